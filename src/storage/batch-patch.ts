/**
 * The in-place edits an append makes to already-validated batches. Only the base offset and
 * partition leader epoch change for CreateTime, and the CRC does not cover them; LogAppendTime
 * also changes covered bytes and so needs a new CRC.
 */
import {
  ATTRIBUTES,
  BASE_OFFSET,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH,
  CRC,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAX_TIMESTAMP,
  PARTITION_LEADER_EPOCH,
  RECORDS_COUNT,
  TIMESTAMP_TYPE_BIT,
  readInt64,
  writeInt64,
} from '../protocol/records/batch-header.js';
import { assert } from '../util/assert.js';
import { crc32c } from '../util/crc32c.js';
import { CURRENT_MAGIC } from './batch-walk.js';
import type { LogSegment } from './segment.js';

/** Walks the framing of already-validated batches; returns how many offsets they span. */
export function countOffsets(batches: Buffer): number {
  assert(batches.length >= BATCH_HEADER_BYTES, 'an append needs at least one whole batch');
  let offsets = 0;
  for (let at = 0; at < batches.length; ) {
    assert(batches.length - at >= BATCH_HEADER_BYTES, `trailing ${batches.length - at} bytes are not a batch`);
    const size = LOG_OVERHEAD + batches.readInt32BE(at + BATCH_LENGTH);
    assert(size >= BATCH_HEADER_BYTES && at + size <= batches.length, `batch at ${at} has a bad length`);
    assert(batches.readInt8(at + MAGIC) === CURRENT_MAGIC, `batch at ${at} is not magic 2`);
    const delta = batches.readInt32BE(at + LAST_OFFSET_DELTA);
    assert(delta >= 0, `batch at ${at} has a negative last offset delta`);
    offsets += delta + 1;
    at += size;
  }
  return offsets;
}

/** LogAppendTime: the broker's time replaces maxTimestamp, which the CRC covers. */
export function stampLogAppendTime(buf: Buffer, at: number, size: number, timeMs: number): void {
  buf.writeInt16BE(buf.readInt16BE(at + ATTRIBUTES) | TIMESTAMP_TYPE_BIT, at + ATTRIBUTES);
  writeInt64(buf, at + MAX_TIMESTAMP, timeMs);
  buf.writeUInt32BE(crc32c(buf.subarray(at + ATTRIBUTES, at + size)), at + CRC);
}

export interface Placement {
  leaderEpoch: number;
  /** The broker time to stamp (LogAppendTime), or -1 to keep the producer's (CreateTime). */
  appendTimeMs: number;
  indexIntervalBytes: number;
}

/**
 * Gives each batch its offsets from `baseOffset` on, patching the header in place, and records
 * it at the end of `seg` (state and sparse indexes). Returns the records placed and the next
 * offset to assign.
 */
export function placeBatches(batches: Buffer, seg: LogSegment, baseOffset: number, p: Placement): { records: number; nextOffset: number } {
  let records = 0;
  let next = baseOffset;
  for (let at = 0; at < batches.length; ) {
    const size = LOG_OVERHEAD + batches.readInt32BE(at + BATCH_LENGTH);
    writeInt64(batches, at + BASE_OFFSET, next);
    batches.writeInt32BE(p.leaderEpoch, at + PARTITION_LEADER_EPOCH);
    if (p.appendTimeMs >= 0) stampLogAppendTime(batches, at, size, p.appendTimeMs);
    const last = next + batches.readInt32BE(at + LAST_OFFSET_DELTA);
    seg.addBatch(seg.size, size, last, readInt64(batches, at + MAX_TIMESTAMP), p.indexIntervalBytes);
    records += batches.readInt32BE(at + RECORDS_COUNT);
    next = last + 1;
    at += size;
  }
  return { records, nextOffset: next };
}
