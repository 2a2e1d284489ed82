/**
 * Walking record batch v2 bytes without decoding records: the framing and CRC of one batch,
 * and the length prefixes of the records inside it. Shared by produce validation, recovery and
 * the timestamp search.
 */
import {
  ATTRIBUTES,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH,
  CRC,
  LOG_OVERHEAD,
  MAGIC,
} from '../protocol/records/batch-header.js';
import { Reader } from '../protocol/reader.js';
import { crc32c } from '../util/crc32c.js';

/** The only batch format this log stores. */
export const CURRENT_MAGIC = 2;

/**
 * Smallest record body: attributes (1), timestampDelta (1), offsetDelta (1), key length (1),
 * value length (1), header count (1).
 */
const RECORD_BODY_BYTES_MIN = 6;
/** A varint for an int32 takes at most 5 bytes. */
const VARINT_BYTES_MAX = 5;

export type FramingProblem =
  | { kind: 'torn'; message: string }
  | { kind: 'corrupt'; message: string }
  | { kind: 'magic'; magic: number; message: string }
  | { kind: 'crc'; message: string };

/**
 * Checks that a whole batch starts at `at` and ends by `end`: a sane length and magic 2.
 * Returns its size in bytes, or what is wrong. `torn` means the bytes run out before the batch
 * does (what a crash mid-write leaves behind).
 */
export function frameBatch(buf: Buffer, at: number, end: number): number | FramingProblem {
  const remaining = end - at;
  if (remaining < LOG_OVERHEAD) {
    return { kind: 'torn', message: `${remaining} bytes at position ${at} are too few for a batch header` };
  }
  const size = LOG_OVERHEAD + buf.readInt32BE(at + BATCH_LENGTH);
  if (size < BATCH_HEADER_BYTES) {
    return { kind: 'corrupt', message: `batch at position ${at} declares ${size} bytes, less than its ${BATCH_HEADER_BYTES}-byte header` };
  }
  if (size > remaining) {
    return { kind: 'torn', message: `batch at position ${at} declares ${size} bytes but only ${remaining} follow` };
  }
  const magic = buf.readInt8(at + MAGIC);
  if (magic !== CURRENT_MAGIC) {
    return { kind: 'magic', magic, message: `batch at position ${at} has magic ${magic}; only record batch v2 (magic 2) is stored` };
  }
  return size;
}

/** Checks the CRC-32C of the framed batch of `size` bytes at `at`; null when it matches. */
export function checkBatchCrc(buf: Buffer, at: number, size: number): FramingProblem | null {
  const expected = buf.readUInt32BE(at + CRC);
  const actual = crc32c(buf.subarray(at + ATTRIBUTES, at + size));
  if (expected === actual) return null;
  return { kind: 'crc', message: `batch at position ${at} has CRC ${expected} but its bytes give ${actual}` };
}

/** frameBatch and checkBatchCrc together: what recovery asks of every stored batch. */
export function checkBatch(buf: Buffer, at: number, end: number): number | FramingProblem {
  const size = frameBatch(buf, at, end);
  if (typeof size !== 'number') return size;
  return checkBatchCrc(buf, at, size) ?? size;
}

/**
 * Walks `count` length-prefixed records in `buf[start, end)`. Returns null when they fill the
 * range exactly, else why not. Only the length varints are read.
 */
export function checkRecordLengths(buf: Buffer, start: number, end: number, count: number): string | null {
  let pos = start;
  for (let i = 0; i < count; i++) {
    let unsigned = 0;
    let scale = 1;
    let bytes = 0;
    for (;;) {
      if (pos >= end) return `the batch ends inside record ${i} of ${count}`;
      if (bytes === VARINT_BYTES_MAX) return `record ${i} has a length varint longer than ${VARINT_BYTES_MAX} bytes`;
      const b = buf[pos++]!;
      bytes++;
      unsigned += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) break;
    }
    const length = unsigned % 2 === 0 ? unsigned / 2 : -(unsigned + 1) / 2;
    if (length < RECORD_BODY_BYTES_MIN) return `record ${i} declares ${length} bytes, fewer than a record needs`;
    if (length > end - pos) return `record ${i} declares ${length} bytes but only ${end - pos} remain in the batch`;
    pos += length;
  }
  if (pos !== end) return `${end - pos} bytes remain after the ${count} records the batch declares`;
  return null;
}

/** One record's position in its batch, as far as the timestamp search needs it. */
export interface RecordStamp {
  offsetDelta: number;
  timestampDelta: number;
}

/**
 * Reads the timestamp and offset deltas of each record in `buf[start, end)` (uncompressed
 * record bytes). Stops quietly at the first malformed record: callers have checked the CRC.
 */
export function recordStamps(buf: Buffer, start: number, end: number, count: number): RecordStamp[] {
  const out: RecordStamp[] = [];
  const r = new Reader(buf, start, end);
  for (let i = 0; i < count && r.remaining > 0; i++) {
    const length = r.varint();
    const bodyStart = r.pos;
    r.int8(); // attributes: unused by records so far
    const timestampDelta = r.varlong();
    const offsetDelta = r.varint();
    if (r.error !== null || length < RECORD_BODY_BYTES_MIN) break;
    out.push({ offsetDelta, timestampDelta });
    r.pos = bodyStart;
    r.raw(length);
    if (r.error !== null) break;
  }
  return out;
}
