/**
 * What a follower's append (PartitionLog.appendAsFollower) needs besides the log itself: checking
 * batches copied from the leader without decoding their records, placing them with the offsets
 * the leader gave them, and reading a transaction marker's type and coordinator epoch. Nothing
 * here changes a byte of the batches: the follower's segments hold what the leader's hold.
 */
import { BATCH_HEADER_BYTES, COMPRESSION_MASK, CONTROL_BIT, Compression, TRANSACTIONAL_BIT, readBatchHeader } from '../protocol/records/batch-header.js';
import { Reader } from '../protocol/reader.js';
import { checkBatchCrc, checkRecordLengths, frameBatch } from './batch-walk.js';
import { ErrorCode, StorageError } from './errors.js';
import type { AbortedTxn, ProducerBatch, ProducerStateManager } from './producer-state.js';
import type { LogSegment } from './segment.js';

/** A replicated batch as its header describes it. */
export interface ReplicatedBatch extends ProducerBatch {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  partitionLeaderEpoch: number;
  recordsCount: number;
}

/**
 * The leader's first offset is below this log's end: the follower must truncate first (Kafka's
 * UnexpectedAppendOffsetException). Both offsets are named and kept for the caller.
 */
export class UnexpectedAppendOffsetError extends StorageError {
  override name = 'UnexpectedAppendOffsetError';

  constructor(
    readonly firstOffset: number,
    readonly logEndOffset: number,
  ) {
    super(ErrorCode.UNKNOWN_SERVER_ERROR, `the replicated batches start at offset ${firstOffset}, below the log end offset ${logEndOffset}; truncate the log first`);
  }
}

/**
 * Checks batches fetched from the leader: framing, magic 2, CRC-32C, offsets that only move
 * forward from `logEndOffset` (gaps are allowed: compaction on the leader removes whole
 * batches), and, for uncompressed batches, that the records fill each batch. Throws
 * StorageError (CORRUPT_MESSAGE, or UnexpectedAppendOffsetError).
 */
export function checkReplicatedBatches(buf: Buffer, logEndOffset: number): ReplicatedBatch[] {
  const out: ReplicatedBatch[] = [];
  if (buf.length === 0) throw new StorageError(ErrorCode.CORRUPT_MESSAGE, 'a follower append needs at least one batch');
  let next = logEndOffset;
  for (let at = 0; at < buf.length; ) {
    const size = frameBatch(buf, at, buf.length);
    if (typeof size !== 'number') throw new StorageError(ErrorCode.CORRUPT_MESSAGE, `replicated ${size.message}`);
    const crc = checkBatchCrc(buf, at, size);
    if (crc !== null) throw new StorageError(ErrorCode.CORRUPT_MESSAGE, `replicated ${crc.message}`);
    const h = readBatchHeader(buf, at);
    const baseOffset = h.baseOffset;
    const delta = h.lastOffsetDelta;
    if (delta < 0) throw new StorageError(ErrorCode.CORRUPT_MESSAGE, `replicated batch at position ${at} has last offset delta ${delta}`);
    if (baseOffset < next) {
      if (out.length === 0) throw new UnexpectedAppendOffsetError(baseOffset, logEndOffset);
      throw new StorageError(ErrorCode.CORRUPT_MESSAGE, `replicated batch at position ${at} starts at offset ${baseOffset}, not after ${next - 1}`);
    }
    const attributes = h.attributes;
    const recordsCount = h.recordsCount;
    if ((attributes & COMPRESSION_MASK) === Compression.None) {
      const problem = checkRecordLengths(buf, at + BATCH_HEADER_BYTES, at + size, recordsCount);
      if (problem !== null) throw new StorageError(ErrorCode.CORRUPT_MESSAGE, `replicated batch at position ${at}: ${problem}`);
    }
    out.push({
      position: at, size, baseOffset, lastOffset: baseOffset + delta, partitionLeaderEpoch: h.partitionLeaderEpoch, recordsCount,
      producerId: h.producerId, producerEpoch: h.producerEpoch, baseSequence: h.baseSequence, offsetDelta: delta,
      isTransactional: (attributes & TRANSACTIONAL_BIT) !== 0, isControl: (attributes & CONTROL_BIT) !== 0, maxTimestamp: h.maxTimestamp,
    });
    next = baseOffset + delta + 1;
    at += size;
  }
  return out;
}

/** Records the checked batches at the end of `seg` (state and sparse indexes); returns the records placed. */
export function placeReplicatedBatches(batches: readonly ReplicatedBatch[], seg: LogSegment, indexIntervalBytes: number): number {
  let records = 0;
  for (const b of batches) {
    seg.addBatch(seg.size, b.size, b.lastOffset, b.maxTimestamp, indexIntervalBytes);
    records += b.recordsCount;
  }
  return records;
}

/**
 * A transaction marker's decision and coordinator epoch, from its one record (key: version,
 * type; value: version, coordinator epoch); null when the record cannot be read.
 */
export function readControlMarker(buf: Buffer, at: number, size: number): { commit: boolean; coordinatorEpoch: number } | null {
  const r = new Reader(buf, at + BATCH_HEADER_BYTES, at + size);
  r.varint(); // record length
  r.int8(); // attributes
  r.varlong(); // timestamp delta
  r.varint(); // offset delta
  const keyLength = r.varint();
  if (r.error !== null || keyLength < 4) return null;
  r.int16(); // key version
  const type = r.int16();
  r.raw(keyLength - 4);
  const valueLength = r.varint();
  if (r.error !== null || valueLength < 6) return null;
  r.int16(); // value version
  const coordinatorEpoch = r.int32();
  if (r.error !== null || (type !== 0 && type !== 1)) return null;
  return { commit: type === 1, coordinatorEpoch };
}

/**
 * The producer state of a follower's append, as Kafka's REPLICATION origin: data batches are
 * recorded without sequence or epoch checks, markers end their producer's transaction with the
 * coordinator epoch they carry. Returns the aborted transactions for the `.txnindex`.
 */
export function replayReplicated(producers: ProducerStateManager, batches: Buffer, infos: readonly ReplicatedBatch[], lastStableOffset: number): AbortedTxn[] {
  const aborts: AbortedTxn[] = [];
  for (const b of infos) {
    if (b.producerId < 0) continue;
    if (!b.isControl) {
      producers.replay(b, () => false, lastStableOffset);
      continue;
    }
    const marker = readControlMarker(batches, b.position, b.size);
    // An empty marker batch (its transaction compacted away on the leader) ends nothing.
    if (marker === null) continue;
    const lso = producers.lastStableOffsetAfterMarker(b.producerId, b.baseOffset);
    const aborted = producers.completeTxn({
      producerId: b.producerId, producerEpoch: b.producerEpoch, coordinatorEpoch: marker.coordinatorEpoch, commit: marker.commit,
      markerOffset: b.baseOffset, timestampMs: b.maxTimestamp, lastStableOffset: lso,
    });
    if (aborted !== null) aborts.push(aborted);
  }
  return aborts;
}
