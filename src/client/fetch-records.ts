/**
 * The consumer's record decoder: turns the record batches of one fetched partition straight
 * into ConsumerMessages, with no intermediate Record objects. Keys, values and header values
 * are views into the response (or decompressed) bytes, not copies. It checks what
 * decodeRecordBatches checks — magic, CRC-32C, record count, every record filling exactly its
 * declared length, the records filling exactly the batch — and throws the same errors
 * (CorruptRecordError; UnsupportedCompressionError for a codec id outside 0-4).
 */
import { crc32c } from '../util/crc32c.js';
import {
  ATTRIBUTES,
  BASE_OFFSET,
  BASE_TIMESTAMP,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH,
  COMPRESSION_MASK,
  CONTROL_BIT,
  CRC,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAX_TIMESTAMP,
  PRODUCER_ID,
  RECORDS_COUNT,
  TIMESTAMP_TYPE_BIT,
  readInt64,
} from '../protocol/records/batch-header.js';
import { CorruptRecordError, batchSpans, type Record, type RecordHeader } from '../protocol/records/record-batch.js';
import { DECOMPRESSED_BYTES_MAX, UnsupportedCompressionError, decompress } from '../protocol/records/compression.js';
import type { ConsumerMessage } from './consumer.js';

const MAGIC_V2 = 2;
/** Attributes, timestamp delta, offset delta, key length, value length, header count: 1 byte each. */
const RECORD_BODY_BYTES_MIN = 6;
/** The body plus its own length varint. */
const RECORD_BYTES_MIN = RECORD_BODY_BYTES_MIN + 1;
/** A header's key length and value length. */
const HEADER_BYTES_MIN = 2;

/** One whole batch of a fetched partition: where it is and the header fields the consumer uses. */
export interface FetchedBatch {
  at: number;
  size: number;
  baseOffset: number;
  lastOffsetDelta: number;
  attributes: number;
  producerId: number;
}

/**
 * The whole batches in `buf`, in order; a partial trailing batch (fetch responses may end with
 * one) is left out. Throws CorruptRecordError on a length field too small for a v2 header.
 */
export function wholeBatches(buf: Buffer): FetchedBatch[] {
  const out: FetchedBatch[] = [];
  for (const { offset: at, size } of batchSpans(buf)) {
    out.push({
      at,
      size,
      baseOffset: readInt64(buf, at + BASE_OFFSET),
      lastOffsetDelta: buf.readInt32BE(at + LAST_OFFSET_DELTA),
      attributes: buf.readInt16BE(at + ATTRIBUTES),
      producerId: readInt64(buf, at + PRODUCER_ID),
    });
  }
  return out;
}

/**
 * The offset after the whole batches in `buf` (at least `from`), stopping at the first batch that
 * reaches `lastStableOffset`: where a consumer that reads them all fetches next. Reads only batch
 * lengths and offsets; bytes a full decode would refuse give some offset, never an error.
 */
export function nextFetchOffset(buf: Buffer, from: number, lastStableOffset = Infinity): number {
  let next = from;
  let at = 0;
  while (buf.length - at >= BATCH_HEADER_BYTES) {
    const size = LOG_OVERHEAD + buf.readInt32BE(at + BATCH_LENGTH);
    if (size < BATCH_HEADER_BYTES || size > buf.length - at) break;
    const lastOffset = readInt64(buf, at + BASE_OFFSET) + buf.readInt32BE(at + LAST_OFFSET_DELTA);
    if (lastOffset >= lastStableOffset) break;
    if (lastOffset + 1 > next) next = lastOffset + 1;
    at += size;
  }
  return next;
}

/** Where messages go and which of them are kept. */
export interface DecodeTarget {
  topic: string;
  partition: number;
  /** Records below this offset are checked but not returned; Infinity checks only. */
  minOffset: number;
  decompressedBytesMax?: number;
}

/**
 * Checks one batch and appends its records at or after `target.minOffset` to `out`. Awaits only
 * to decompress.
 */
export async function decodeBatchInto(buf: Buffer, batch: FetchedBatch, target: DecodeTarget, out: ConsumerMessage[]): Promise<void> {
  const { at, size } = batch;
  const magic = buf.readInt8(at + MAGIC);
  if (magic !== MAGIC_V2) throw new CorruptRecordError(`${where(batch)} has magic ${magic}; only v2 record batches are supported`);
  const stored = buf.readUInt32BE(at + CRC);
  const computed = crc32c(buf.subarray(at + ATTRIBUTES, at + size));
  if (stored !== computed) throw new CorruptRecordError(`${where(batch)} fails its CRC: stored ${stored}, computed ${computed}`);
  const count = buf.readInt32BE(at + RECORDS_COUNT);
  if (count < 0) throw new CorruptRecordError(`${where(batch)} has a negative record count ${count}`);
  const codec = batch.attributes & COMPRESSION_MASK;
  let records = buf;
  let start = at + BATCH_HEADER_BYTES;
  let end = at + size;
  if (codec !== 0) {
    try {
      records = await decompress(codec, buf.subarray(start, end), target.decompressedBytesMax ?? DECOMPRESSED_BYTES_MAX);
    } catch (err) {
      if (err instanceof UnsupportedCompressionError) throw err;
      throw new CorruptRecordError(`${where(batch)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    start = 0;
    end = records.length;
  }
  const logAppendTime = (batch.attributes & TIMESTAMP_TYPE_BIT) !== 0;
  const timestampBase = logAppendTime ? readInt64(buf, at + MAX_TIMESTAMP) : readInt64(buf, at + BASE_TIMESTAMP);
  const error = readRecords(records, start, end, count, batch.baseOffset, logAppendTime, timestampBase, target, out);
  if (error !== null) throw new CorruptRecordError(`${where(batch)}: ${error}`);
}

function where(batch: FetchedBatch): string {
  return `batch at byte ${batch.at} (base offset ${batch.baseOffset})`;
}

/** A control batch's records (one, the marker, for read_committed), checked like any batch. */
export async function controlRecords(buf: Buffer, batch: FetchedBatch): Promise<Record[]> {
  const out: ConsumerMessage[] = [];
  await decodeBatchInto(buf, batch, { topic: '', partition: -1, minOffset: 0 }, out);
  return out.map((m) => ({ attributes: 0, timestampDelta: 0, offsetDelta: m.offset - batch.baseOffset, key: m.key, value: m.value, headers: m.headers }));
}

/**
 * Reads `count` records that must fill [start, end) exactly, appending those at or after
 * `target.minOffset`. Returns the first problem found, or null. This loop runs once per
 * consumed message: no per-record objects but the message, its views and its headers array.
 */
function readRecords(
  buf: Buffer,
  start: number,
  end: number,
  count: number,
  baseOffset: number,
  logAppendTime: boolean,
  timestampBase: number,
  target: DecodeTarget,
  out: ConsumerMessage[],
): string | null {
  if (count * RECORD_BYTES_MIN > end - start) return `array of ${count} elements cannot fit in the ${end - start} bytes left`;
  const { topic, partition, minOffset } = target;
  const timestampType = logAppendTime ? 'LogAppendTime' : 'CreateTime';
  const c = new RecordCursor(buf, start);
  for (let i = 0; i < count; i++) {
    const bodyBytes = c.varint(end);
    if (c.error !== null) return c.error;
    if (bodyBytes < RECORD_BODY_BYTES_MIN || bodyBytes > end - c.pos) {
      return `record at offset ${c.pos} declares ${bodyBytes} bytes; ${end - c.pos} remain`;
    }
    const bodyEnd = c.pos + bodyBytes;
    c.pos++; // attributes, unused in v2
    const timestampDelta = c.varlong(bodyEnd);
    const offset = baseOffset + c.varint(bodyEnd);
    const keep = offset >= minOffset;
    const key = c.bytes(bodyEnd, keep);
    const value = c.bytes(bodyEnd, keep);
    const headers: RecordHeader[] = [];
    if (buf[c.pos] === 0 && c.pos < bodyEnd) c.pos++;
    else c.headers(bodyEnd, headers);
    if (c.error !== null) return c.error;
    if (c.pos !== bodyEnd) return `record has ${bodyEnd - c.pos} bytes beyond its fields`;
    if (keep) {
      out.push({
        topic,
        partition,
        offset,
        key,
        value,
        headers,
        timestamp: logAppendTime ? timestampBase : timestampBase + timestampDelta,
        timestampType,
      });
    }
  }
  if (c.pos !== end) return `${end - c.pos} bytes left after its ${count} records`;
  return null;
}

/**
 * A position in record bytes. Varints take a one-byte fast path. The first problem is kept in
 * `error` (reads after it return 0 or null) and the caller checks it once per record.
 */
class RecordCursor {
  error: string | null = null;

  constructor(
    readonly buf: Buffer,
    public pos: number,
  ) {}

  /** A zigzag varint of at most 5 bytes that must end by `end`. */
  varint(end: number): number {
    const b = this.buf[this.pos]!;
    if (b < 0x80 && this.pos < end) {
      this.pos++;
      return (b >>> 1) ^ -(b & 1);
    }
    const u = this.unsigned(end, 5);
    return (u >>> 1) ^ -(u & 1);
  }

  /** A zigzag varlong of at most 10 bytes; exact for values within ±2^53. */
  varlong(end: number): number {
    const b = this.buf[this.pos]!;
    if (b < 0x80 && this.pos < end) {
      this.pos++;
      return (b >>> 1) ^ -(b & 1);
    }
    const u = this.unsigned(end, 10);
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  private unsigned(end: number, bytesMax: number): number {
    const buf = this.buf;
    let at = this.pos;
    // Two bytes (lengths up to 8191 after zigzag) are the common multi-byte case.
    if (at + 1 < end) {
      const b1 = buf[at + 1]!;
      if (b1 < 0x80) {
        this.pos = at + 2;
        return (buf[at]! & 0x7f) | (b1 << 7);
      }
    }
    let u = 0;
    let scale = 1;
    for (let i = 0; i < bytesMax && at < end; i++) {
      const b = buf[at++]!;
      u += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = at;
        return u;
      }
      scale *= 0x80;
    }
    this.fail(`varint at offset ${at} runs past its record or is longer than ${bytesMax} bytes`);
    return 0;
  }

  /** A varint length then that many bytes as a view (null for -1, and when not `keep`). */
  bytes(end: number, keep: boolean): Buffer | null {
    const n = this.varint(end);
    if (n < 0) {
      if (n < -1) this.fail(`negative length ${n}`);
      return null;
    }
    const at = this.pos;
    if (n > end - at) {
      this.fail(`needed ${n} bytes at offset ${at} but only ${Math.max(0, end - at)} remain`);
      return null;
    }
    this.pos = at + n;
    return keep ? this.buf.subarray(at, at + n) : null;
  }

  /** Header count, then per header a non-null UTF-8 key and a nullable value. */
  headers(end: number, into: RecordHeader[]): void {
    const count = this.varint(end);
    if (count < 0) return this.fail(`negative header count ${count}`);
    if (count * HEADER_BYTES_MIN > end - this.pos) return this.fail(`array of ${count} elements cannot fit in the ${end - this.pos} bytes left`);
    for (let i = 0; i < count && this.error === null; i++) {
      const keyBytes = this.varint(end);
      if (keyBytes < 0) return this.fail('header key is null');
      const at = this.pos;
      if (keyBytes > end - at) return this.fail(`needed ${keyBytes} bytes at offset ${at} but only ${Math.max(0, end - at)} remain`);
      this.pos = at + keyBytes;
      into.push({ key: this.buf.toString('utf8', at, at + keyBytes), value: this.bytes(end, true) });
    }
  }

  private fail(message: string): void {
    this.error ??= message;
    // Past every end, so later reads fail too.
    this.pos = this.buf.length + 1;
  }
}
