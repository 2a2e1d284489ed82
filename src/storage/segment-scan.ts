/**
 * Scans over a segment's bytes: walking batch headers (reads, timestamp search, the log end),
 * the CRC-checking recovery scan that rebuilds indexes, and truncation. Records are decoded only
 * to find the exact record for a timestamp.
 */
import {
  ATTRIBUTES,
  BASE_TIMESTAMP,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH,
  COMPRESSION_MASK,
  Compression,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAX_TIMESTAMP,
  PARTITION_LEADER_EPOCH,
  RECORDS_COUNT,
  TIMESTAMP_TYPE_BIT,
  readInt64,
} from '../protocol/records/batch-header.js';
import { decompress } from '../protocol/records/compression.js';
import type { Logger } from '../util/logger.js';
import { checkBatch, checkBatchCrc, recordStamps } from './batch-walk.js';
import type { LogConfig } from './config.js';
import { ErrorCode, StorageError } from './errors.js';
import { readFully } from './file.js';
import { RECOVERY_READ_BYTES, RELATIVE_OFFSET_MAX, SCAN_BLOCK_BYTES } from './limits.js';
import { OffsetIndex } from './offset-index.js';
import { type LogSegment, type SegmentReader, floorSegment, offsetIndexEntries, timeIndexEntries } from './segment.js';
import { TimeIndex, type TimestampOffset } from './time-index.js';

const EMPTY = Buffer.alloc(0);

/** A stored batch as its header describes it. */
export interface BatchInfo {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  attributes: number;
  partitionLeaderEpoch: number;
}

function corrupt(seg: LogSegment, position: number, what: string): StorageError {
  return new StorageError(
    ErrorCode.KAFKA_STORAGE_ERROR,
    `segment ${seg.logPath} is corrupt at position ${position}: ${what}`,
  );
}

/**
 * The batch headers in `[from, limit)`, read a block at a time; throws on a bad header. Reads
 * through `reader` when given (the caller ends it), else through one of the segment's own.
 */
export async function* scanHeaders(seg: LogSegment, from: number, limit: number, reader?: SegmentReader): AsyncGenerator<BatchInfo> {
  if (from >= limit) return;
  const r = reader ?? (await seg.reader());
  try {
    let block: Buffer = EMPTY;
    let blockStart = from;
    let pos = from;
    while (pos < limit) {
      if (pos + BATCH_HEADER_BYTES > blockStart + block.length) {
        block = await r.read(pos, Math.min(SCAN_BLOCK_BYTES, limit - pos));
        blockStart = pos;
      }
      const b = headerAt(seg, block, pos - blockStart, pos, limit);
      if (typeof b === 'string') throw corrupt(seg, pos, b);
      yield b;
      pos += b.size;
    }
  } finally {
    if (reader === undefined) r.done();
  }
}

/** The batch header at `at` in `block` (file position `pos`), or what is wrong with it. */
function headerAt(seg: LogSegment, block: Buffer, at: number, pos: number, limit: number): BatchInfo | string {
  if (block.length - at < BATCH_HEADER_BYTES) return `only ${block.length - at} bytes where a batch header should be`;
  const size = LOG_OVERHEAD + block.readInt32BE(at + BATCH_LENGTH);
  if (size < BATCH_HEADER_BYTES || pos + size > limit) return `batch length ${size} does not fit`;
  const baseOffset = readInt64(block, at);
  return {
    position: pos,
    size,
    baseOffset,
    lastOffset: baseOffset + block.readInt32BE(at + LAST_OFFSET_DELTA),
    maxTimestamp: readInt64(block, at + MAX_TIMESTAMP),
    attributes: block.readInt16BE(at + ATTRIBUTES),
    partitionLeaderEpoch: block.readInt32BE(at + PARTITION_LEADER_EPOCH),
  };
}

export interface RecoveryResult {
  /** Bytes of whole valid batches from the start of the segment. */
  validBytes: number;
  /** Why the scan stopped early, or null when every byte was a valid batch. */
  problem: string | null;
  /** The largest timestamp of the first valid batch, null when there is none. */
  firstBatchTimestamp: number | null;
  /** Where each run of batches of one partition leader epoch starts (epochs below 0 left out). */
  epochStarts: Array<{ epoch: number; startOffset: number }>;
}

/**
 * Reads every batch of the segment, checking framing, magic, CRC and that offsets only move
 * forward, and rebuilds the indexes and state from them. With `truncate`, the file is cut at
 * the first bad batch, which is what a crash mid-write leaves at the end of the last segment.
 */
export async function recoverSegment(seg: LogSegment, config: LogConfig, opts: { truncate: boolean }): Promise<RecoveryResult> {
  const reader = await seg.reader();
  try {
    const result = await scanForRecovery(seg, config, reader);
    if (result.problem !== null && opts.truncate) await seg.cutFile(result.validBytes);
    return result;
  } finally {
    reader.done();
  }
}

/** The scan of `recoverSegment`, through `reader`; cuts nothing. */
async function scanForRecovery(seg: LogSegment, config: LogConfig, reader: SegmentReader): Promise<RecoveryResult> {
  const fileBytes = await reader.size();
  seg.setIndexes(new OffsetIndex(seg.baseOffset, offsetIndexEntries(config)), new TimeIndex(seg.baseOffset, timeIndexEntries(config)));
  seg.size = 0;
  seg.nextOffset = seg.baseOffset;
  seg.maxTimestamp = -1;
  seg.offsetOfMaxTimestamp = seg.baseOffset;
  seg.bytesSinceLastIndexEntry = 0;
  let block: Buffer = EMPTY;
  let blockStart = 0;
  let pos = 0;
  let problem: string | null = null;
  let firstBatchTimestamp: number | null = null;
  const epochStarts: Array<{ epoch: number; startOffset: number }> = [];
  while (pos < fileBytes) {
    let at = pos - blockStart;
    const inBlock = block.length - at;
    const declared = inBlock >= LOG_OVERHEAD ? LOG_OVERHEAD + block.readInt32BE(at + BATCH_LENGTH) : 0;
    // Read on only for a header cut by the block, or a batch that can fit in what the file has
    // left: a torn or garbage length is judged from the 12 bytes already here.
    const needMore = inBlock < LOG_OVERHEAD || (inBlock < declared && declared <= fileBytes - pos);
    if (needMore && blockStart + block.length < fileBytes) {
      const want = Math.min(fileBytes - pos, Math.max(RECOVERY_READ_BYTES, declared));
      block = await reader.read(pos, want);
      blockStart = pos;
      at = 0;
    }
    const size = checkBatch(block, at, block.length);
    if (typeof size !== 'number') {
      problem = size.message;
      break;
    }
    const baseOffset = readInt64(block, at);
    const lastOffset = baseOffset + block.readInt32BE(at + LAST_OFFSET_DELTA);
    if (baseOffset < seg.nextOffset || lastOffset < baseOffset || lastOffset - seg.baseOffset > RELATIVE_OFFSET_MAX) {
      problem = `batch at position ${pos} holds offsets ${baseOffset}..${lastOffset}, not after ${seg.nextOffset - 1}`;
      break;
    }
    const maxTimestamp = readInt64(block, at + MAX_TIMESTAMP);
    if (pos === 0) firstBatchTimestamp = maxTimestamp;
    const epoch = block.readInt32BE(at + PARTITION_LEADER_EPOCH);
    if (epoch >= 0 && epoch !== epochStarts[epochStarts.length - 1]?.epoch) epochStarts.push({ epoch, startOffset: baseOffset });
    seg.addBatch(pos, size, lastOffset, maxTimestamp, config.indexIntervalBytes);
    pos += size;
  }
  seg.writtenBytes = pos;
  return { validBytes: pos, problem, firstBatchTimestamp, epochStarts };
}

/**
 * Restores the state that the indexes do not hold (log end, largest timestamp, bytes since the
 * last index entry) by scanning the batches after the last offset index entry. With
 * `firstBatch`, also returns the largest timestamp of the segment's first batch (what segment.ms
 * counts from after a restart), read in the same pass: the scan starts at it when the offset
 * index is empty, else one more header read on the same file. Null when the segment is empty or
 * that header is not sane (the caller then reads it the usual way, and fails as it would).
 */
export async function restoreTail(seg: LogSegment, opts: { firstBatch?: boolean } = {}): Promise<number | null> {
  const last = seg.offsetIndex.lastEntry();
  const from = seg.offsetIndex.entries > 0 ? last.position : 0;
  const lastTime = seg.timeIndex.lastEntry();
  seg.maxTimestamp = lastTime.timestamp;
  seg.offsetOfMaxTimestamp = lastTime.offset;
  seg.nextOffset = seg.baseOffset;
  let firstBatchTimestamp: number | null = null;
  const reader = await seg.reader();
  try {
    for await (const b of scanHeaders(seg, from, seg.writtenBytes, reader)) {
      if (b.position === 0) firstBatchTimestamp = b.maxTimestamp;
      if (b.maxTimestamp > seg.maxTimestamp) {
        seg.maxTimestamp = b.maxTimestamp;
        seg.offsetOfMaxTimestamp = b.lastOffset;
      }
      seg.nextOffset = b.lastOffset + 1;
    }
    if (opts.firstBatch === true && from > 0) {
      const first = headerAt(seg, await reader.read(0, BATCH_HEADER_BYTES), 0, 0, seg.writtenBytes);
      if (typeof first !== 'string') firstBatchTimestamp = first.maxTimestamp;
    }
  } finally {
    reader.done();
  }
  seg.size = seg.writtenBytes;
  seg.bytesSinceLastIndexEntry = seg.writtenBytes - from;
  return firstBatchTimestamp;
}

/** The largest timestamp of the segment's first batch, -1 when it has none; throws on a bad header. */
export async function firstBatchTimestamp(seg: LogSegment): Promise<number> {
  for await (const b of scanHeaders(seg, 0, seg.writtenBytes)) return b.maxTimestamp;
  return -1;
}

const loading = new WeakMap<LogSegment, Promise<void>>();

/**
 * Loads a closed segment's indexes on first use; an index file that cannot be trusted is
 * rebuilt from the log (without truncating: only the last segment is cut at a bad batch).
 */
export async function ensureIndexes(seg: LogSegment, config: LogConfig, logger: Logger): Promise<void> {
  // A load in progress comes first: its indexes are set before the tail is restored.
  let p = loading.get(seg);
  if (p === undefined && seg.indexesLoaded) return;
  if (p === undefined) {
    p = (async () => {
      let problem = await seg.loadIndexFiles(config);
      if (problem === null) {
        try {
          await restoreTail(seg);
          return;
        } catch (err) {
          problem = `the index does not match the log: ${(err as Error).message}`;
        }
      }
      logger.warn('rebuilding segment indexes', { segment: seg.logPath, reason: problem });
      const result = await recoverSegment(seg, config, { truncate: false });
      if (result.problem !== null) logger.error('segment holds a bad batch', { segment: seg.logPath, problem: result.problem });
      await seg.writeIndexFiles();
    })().finally(() => loading.delete(seg));
    loading.set(seg, p);
  }
  await p;
}

/** The first batch in the segment whose last offset is >= target, found via the offset index. */
export async function findBatch(seg: LogSegment, target: number): Promise<BatchInfo | null> {
  const from = seg.offsetIndex.lookup(target).position;
  for await (const b of scanHeaders(seg, from, seg.writtenBytes)) {
    if (b.lastOffset >= target) return b;
  }
  return null;
}

export interface ReadRange {
  fetchOffset: number;
  maxBytes: number;
  /** Only batches ending before this offset are returned. */
  maxOffset: number;
  minOneBatch: boolean;
}

/**
 * Reads from the segment holding `fetchOffset`, moving on to the next segment only when nothing
 * was found (a segment can end before the offsets its successor starts at).
 */
export async function readSegments(segments: readonly LogSegment[], r: ReadRange, config: LogConfig, logger: Logger): Promise<Buffer> {
  if (r.fetchOffset >= r.maxOffset) return EMPTY;
  for (let i = floorSegment(segments, r.fetchOffset); i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg.baseOffset >= r.maxOffset) break;
    await ensureIndexes(seg, config, logger);
    const records = await readSegment(seg, r.fetchOffset, r.maxBytes, r.maxOffset, r.minOneBatch);
    if (records.length > 0) return records;
  }
  return EMPTY;
}

/** The first record at or after `startOffset` with a timestamp >= target, in the first segment that has one. */
export async function findOffsetInSegments(
  segments: readonly LogSegment[],
  target: number,
  startOffset: number,
  config: LogConfig,
  logger: Logger,
): Promise<TimestampOffset | null> {
  for (const seg of segments) {
    await ensureIndexes(seg, config, logger);
    if (seg.maxTimestamp < target || seg.nextOffset <= startOffset) continue;
    const found = await findOffsetByTimestamp(seg, target, startOffset);
    if (found !== null) return found;
  }
  return null;
}

/**
 * Whole batches from the one holding `fetchOffset`, up to `maxBytes` (at least one batch when
 * `minOneBatch`, KIP-74) and only batches that end before `maxOffset`: one read of the range.
 */
export async function readSegment(
  seg: LogSegment,
  fetchOffset: number,
  maxBytes: number,
  maxOffset: number,
  minOneBatch: boolean,
): Promise<Buffer> {
  const first = await findBatch(seg, fetchOffset);
  if (first === null || first.lastOffset >= maxOffset) return EMPTY;
  const wanted = Math.max(maxBytes, minOneBatch ? first.size : 0);
  if (wanted < first.size) return EMPTY;
  const length = Math.min(seg.writtenBytes - first.position, wanted);
  const buf = await readFully(await seg.handle(), first.position, length);
  if (buf.length < first.size || readInt64(buf, 0) !== first.baseOffset) {
    throw corrupt(seg, first.position, 'the batch read back differs from its header');
  }
  let end = 0;
  while (end + BATCH_HEADER_BYTES <= buf.length) {
    const size = LOG_OVERHEAD + buf.readInt32BE(end + BATCH_LENGTH);
    if (size < BATCH_HEADER_BYTES || end + size > buf.length) break;
    if (readInt64(buf, end) + buf.readInt32BE(end + LAST_OFFSET_DELTA) >= maxOffset) break;
    end += size;
  }
  return buf.subarray(0, end);
}

/**
 * The first record at or after `startOffset` whose timestamp is >= target, as Kafka's
 * LogSegment.findOffsetByTimestamp: the time index gives a starting offset, batch headers find
 * the batch, and that one batch is decoded to find the record.
 */
export async function findOffsetByTimestamp(seg: LogSegment, target: number, startOffset: number): Promise<TimestampOffset | null> {
  const hint = seg.timeIndex.lookup(target);
  const from = seg.offsetIndex.lookup(Math.max(hint.offset, startOffset)).position;
  for await (const b of scanHeaders(seg, from, seg.writtenBytes)) {
    if (b.maxTimestamp >= target && b.lastOffset >= startOffset) return exactRecord(seg, b, target, startOffset);
  }
  return null;
}

async function exactRecord(seg: LogSegment, b: BatchInfo, target: number, startOffset: number): Promise<TimestampOffset> {
  for await (const r of recordTimes(seg, b)) if (r.timestamp >= target && r.offset >= startOffset) return r;
  return { offset: Math.max(b.baseOffset, startOffset), timestamp: b.maxTimestamp };
}

/**
 * ListOffsets MAX_TIMESTAMP (-3), as Kafka answers it since KAFKA-16310: the first record that
 * carries the segment's largest timestamp, found in the first batch that reaches it (the batch's
 * last offset, which the segment and the time index keep, is not that record's). Null when no
 * record carries it.
 */
export async function findMaxTimestampRecord(seg: LogSegment): Promise<TimestampOffset | null> {
  if (seg.maxTimestamp < 0) return null;
  const from = seg.offsetIndex.lookup(seg.offsetOfMaxTimestamp).position;
  for await (const b of scanHeaders(seg, from, seg.writtenBytes)) {
    if (b.maxTimestamp !== seg.maxTimestamp) continue;
    for await (const r of recordTimes(seg, b)) if (r.timestamp === b.maxTimestamp) return r;
    return null;
  }
  return null;
}

/** Each record's offset and timestamp in batch `b`, read from disk and decompressed if need be. */
async function* recordTimes(seg: LogSegment, b: BatchInfo): AsyncGenerator<TimestampOffset> {
  // With LogAppendTime every record of the batch carries the batch's timestamp.
  if ((b.attributes & TIMESTAMP_TYPE_BIT) !== 0) {
    for (let offset = b.baseOffset; offset <= b.lastOffset; offset++) yield { offset, timestamp: b.maxTimestamp };
    return;
  }
  const buf = await readFully(await seg.handle(), b.position, b.size);
  if (buf.length < b.size || checkBatchCrc(buf, 0, b.size) !== null) throw corrupt(seg, b.position, 'bad CRC');
  const codec = b.attributes & COMPRESSION_MASK;
  const records = codec === Compression.None ? buf : await decompress(codec, buf.subarray(BATCH_HEADER_BYTES));
  const start = codec === Compression.None ? BATCH_HEADER_BYTES : 0;
  const baseTimestamp = readInt64(buf, BASE_TIMESTAMP);
  for (const r of recordStamps(records, start, records.length, buf.readInt32BE(RECORDS_COUNT))) {
    yield { offset: b.baseOffset + r.offsetDelta, timestamp: baseTimestamp + r.timestampDelta };
  }
}

/**
 * Cuts the segment before the batch that holds `offset` (Kafka truncates whole batches, so the
 * new end may fall below `offset`). Returns the segment's new end offset.
 */
export async function truncateSegmentTo(seg: LogSegment, offset: number): Promise<number> {
  const b = await findBatch(seg, offset);
  if (b === null) return seg.nextOffset;
  await seg.truncateFile(b.position);
  seg.offsetIndex.truncateToOffset(b.baseOffset);
  seg.timeIndex.truncateToOffset(b.baseOffset);
  await restoreTail(seg);
  await seg.removeIndexFiles();
  return seg.nextOffset;
}
