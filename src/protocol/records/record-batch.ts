/**
 * Record batch v2 (magic 2) encode and decode. The broker stores and forwards batches as bytes
 * (see batch-header.ts); these full codecs serve the client, tests, and the few places that must
 * look inside records (control records, compaction, validation).
 */
import { assert } from '../../util/assert.js';
import { crc32c } from '../../util/crc32c.js';
import { Reader } from '../reader.js';
import { Writer } from '../writer.js';
import {
  ATTRIBUTES,
  BASE_OFFSET,
  BASE_SEQUENCE,
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
  PARTITION_LEADER_EPOCH,
  PRODUCER_EPOCH,
  PRODUCER_ID,
  RECORDS_COUNT,
  TRANSACTIONAL_BIT,
  readBatchHeader,
  writeInt64,
  Compression,
  type BatchHeader,
} from './batch-header.js';
import { DECOMPRESSED_BYTES_MAX, UnsupportedCompressionError, compress, decompress } from './compression.js';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface Record {
  attributes: number;
  timestampDelta: number;
  offsetDelta: number;
  /** Keys, values and header values are views into the decoded bytes, not copies. */
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface RecordBatch {
  baseOffset: number;
  partitionLeaderEpoch: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  records: Record[];
}

type Bytes = Buffer | string | null;

export interface NewRecord {
  key?: Bytes;
  value?: Bytes;
  /** An array keeps order and allows repeated keys; an object is the short form. */
  headers?: Array<{ key: string; value: Bytes }> | { [key: string]: Bytes };
  /** Milliseconds since the epoch; defaults to the batch's `timestamp`. */
  timestamp?: number;
}

export interface EncodeBatchOptions {
  baseOffset?: number;
  compression?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  partitionLeaderEpoch?: number;
  /** Milliseconds since the epoch for records that carry none; defaults to Date.now(). */
  timestamp?: number;
}

export interface ControlBatchOptions {
  baseOffset?: number;
  producerId: number;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
  timestamp: number;
  partitionLeaderEpoch?: number;
}

export interface DecodeBatchOptions {
  /** Checked per batch before decompressing; see DECOMPRESSED_BYTES_MAX. */
  decompressedBytesMax?: number;
}

/** The decoded key and value of a control record (the single record in a control batch). */
export interface ControlRecord {
  commit: boolean;
  coordinatorEpoch: number;
}

/** Bytes that are not a well-formed v2 batch: Kafka answers CORRUPT_MESSAGE (2). */
export class CorruptRecordError extends Error {
  override name = 'CorruptRecordError';
  readonly code = 'CORRUPT_MESSAGE';
}

const MAGIC_V2 = 2;
/** Kafka's "none" for producer id, epoch, sequence and leader epoch. */
const NO_PRODUCER_ID = -1;
const NO_PRODUCER_EPOCH = -1;
const NO_SEQUENCE = -1;
const NO_PARTITION_LEADER_EPOCH = -1;
/** A batch's length field counts everything after itself, so it is never less than this. */
const BATCH_LENGTH_MIN = BATCH_HEADER_BYTES - LOG_OVERHEAD;
/** Attributes, timestamp delta, offset delta, key length, value length, header count: 1 byte each. */
const RECORD_BODY_BYTES_MIN = 6;
/** The body plus its own length varint. */
const RECORD_BYTES_MIN = RECORD_BODY_BYTES_MIN + 1;
/** A header's key length and value length. */
const HEADER_BYTES_MIN = 2;

const CONTROL_RECORD_VERSION = 0;
const CONTROL_TYPE_ABORT = 0;
const CONTROL_TYPE_COMMIT = 1;
/** Control key: int16 version, int16 type. */
const CONTROL_KEY_BYTES = 4;
/** Control value: int16 version, int32 coordinator epoch. */
const CONTROL_VALUE_BYTES = 6;

// ---- encoding ------------------------------------------------------------------------------

/** Fields of the 61-byte header that encoders choose; the rest follow from the records. */
interface HeaderFields {
  baseOffset: number;
  partitionLeaderEpoch: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

interface RecordFields {
  timestampDelta: number;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<{ key: Buffer; value: Buffer | null }>;
}

/** Encodes `records` (at least one) as one batch, compressed with `opts.compression`. */
export async function encodeRecordBatch(
  records: NewRecord[],
  opts: EncodeBatchOptions = {},
): Promise<Buffer> {
  assert(records.length > 0, 'a record batch needs at least one record');
  const codec = opts.compression ?? Compression.None;
  const defaultTimestampMs = opts.timestamp ?? Date.now();
  const baseTimestamp = records[0]!.timestamp ?? defaultTimestampMs;
  let maxTimestamp = baseTimestamp;
  const writer = new Writer();
  records.forEach((record, index) => {
    const timestampMs = record.timestamp ?? defaultTimestampMs;
    assert(Number.isSafeInteger(timestampMs), `record ${index} timestamp ${timestampMs} is not whole milliseconds`);
    maxTimestamp = Math.max(maxTimestamp, timestampMs);
    writeRecord(writer, {
      timestampDelta: timestampMs - baseTimestamp,
      offsetDelta: index,
      key: toBytes(record.key),
      value: toBytes(record.value),
      headers: normalizeHeaders(record.headers),
    });
  });
  const body = await compress(codec, writer.toBuffer());
  return assembleBatch(
    {
      baseOffset: opts.baseOffset ?? 0,
      partitionLeaderEpoch: opts.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH,
      attributes: (codec & COMPRESSION_MASK) | (opts.transactional ? TRANSACTIONAL_BIT : 0),
      lastOffsetDelta: records.length - 1,
      baseTimestamp,
      maxTimestamp,
      producerId: opts.producerId ?? NO_PRODUCER_ID,
      producerEpoch: opts.producerEpoch ?? NO_PRODUCER_EPOCH,
      baseSequence: opts.baseSequence ?? NO_SEQUENCE,
      recordsCount: records.length,
    },
    body,
  );
}

/** The commit or abort marker a transaction coordinator writes to each partition it touched. */
export function encodeControlBatch(opts: ControlBatchOptions): Buffer {
  const key = Buffer.alloc(CONTROL_KEY_BYTES);
  key.writeInt16BE(CONTROL_RECORD_VERSION, 0);
  key.writeInt16BE(opts.commit ? CONTROL_TYPE_COMMIT : CONTROL_TYPE_ABORT, 2);
  const value = Buffer.alloc(CONTROL_VALUE_BYTES);
  value.writeInt16BE(CONTROL_RECORD_VERSION, 0);
  value.writeInt32BE(opts.coordinatorEpoch, 2);
  const writer = new Writer();
  writeRecord(writer, { timestampDelta: 0, offsetDelta: 0, key, value, headers: [] });
  return assembleBatch(
    {
      baseOffset: opts.baseOffset ?? 0,
      partitionLeaderEpoch: opts.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH,
      attributes: CONTROL_BIT | TRANSACTIONAL_BIT,
      lastOffsetDelta: 0,
      baseTimestamp: opts.timestamp,
      maxTimestamp: opts.timestamp,
      producerId: opts.producerId,
      producerEpoch: opts.producerEpoch,
      baseSequence: NO_SEQUENCE,
      recordsCount: 1,
    },
    writer.toBuffer(),
  );
}

/** Reads the key and value of a control record; throws CorruptRecordError if they are not one. */
export function decodeControlRecord(record: Record): ControlRecord {
  const { key, value } = record;
  if (key === null || key.length < CONTROL_KEY_BYTES) {
    throw new CorruptRecordError('control record key is missing or short');
  }
  const type = key.readInt16BE(2);
  if (type !== CONTROL_TYPE_ABORT && type !== CONTROL_TYPE_COMMIT) {
    throw new CorruptRecordError(`unknown control record type ${type}`);
  }
  const coordinatorEpoch = value !== null && value.length >= CONTROL_VALUE_BYTES ? value.readInt32BE(2) : -1;
  return { commit: type === CONTROL_TYPE_COMMIT, coordinatorEpoch };
}

function toBytes(v: Bytes | undefined): Buffer | null {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

function normalizeHeaders(headers: NewRecord['headers']): RecordFields['headers'] {
  if (headers === undefined) return [];
  const pairs = Array.isArray(headers)
    ? headers.map((h) => [h.key, h.value] as const)
    : Object.entries(headers);
  return pairs.map(([key, value]) => ({ key: Buffer.from(key, 'utf8'), value: toBytes(value) }));
}

/** Writes one record: its length is computed first so the body is written once, in place. */
function writeRecord(writer: Writer, record: RecordFields): void {
  const bodyBytes = recordBodyBytes(record);
  const start = writer.length;
  writer.varint(bodyBytes).int8(0).varlong(record.timestampDelta).varint(record.offsetDelta);
  writeVarBytes(writer, record.key);
  writeVarBytes(writer, record.value);
  writer.varint(record.headers.length);
  for (const header of record.headers) {
    writeVarBytes(writer, header.key);
    writeVarBytes(writer, header.value);
  }
  const writtenBytes = writer.length - start;
  assert(writtenBytes === varintBytes(bodyBytes) + bodyBytes, 'record length does not match its bytes');
}

function writeVarBytes(writer: Writer, bytes: Buffer | null): void {
  if (bytes === null) {
    writer.varint(-1);
    return;
  }
  writer.varint(bytes.length).raw(bytes);
}

function recordBodyBytes(record: RecordFields): number {
  let bytes = 1 + varlongBytes(record.timestampDelta) + varintBytes(record.offsetDelta);
  bytes += varBytesBytes(record.key) + varBytesBytes(record.value) + varintBytes(record.headers.length);
  for (const header of record.headers) bytes += varBytesBytes(header.key) + varBytesBytes(header.value);
  return bytes;
}

function varBytesBytes(bytes: Buffer | null): number {
  return bytes === null ? varintBytes(-1) : varintBytes(bytes.length) + bytes.length;
}

/** Size of a zigzag varint (32-bit). */
function varintBytes(v: number): number {
  return unsignedVarBytes(((v << 1) ^ (v >> 31)) >>> 0);
}

/** Size of a zigzag varlong, for values within ±2^53 (so the arithmetic stays exact). */
function varlongBytes(v: number): number {
  return unsignedVarBytes(v >= 0 ? v * 2 : -v * 2 - 1);
}

function unsignedVarBytes(u: number): number {
  let bytes = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 0x80);
    bytes++;
  }
  return bytes;
}

/** Lays out header and (possibly compressed) records, then seals the batch with its CRC. */
function assembleBatch(fields: HeaderFields, body: Buffer): Buffer {
  const batch = Buffer.allocUnsafe(BATCH_HEADER_BYTES + body.length);
  writeInt64(batch, BASE_OFFSET, fields.baseOffset);
  batch.writeInt32BE(BATCH_LENGTH_MIN + body.length, BATCH_LENGTH);
  batch.writeInt32BE(fields.partitionLeaderEpoch, PARTITION_LEADER_EPOCH);
  batch.writeInt8(MAGIC_V2, MAGIC);
  batch.writeInt16BE(fields.attributes, ATTRIBUTES);
  batch.writeInt32BE(fields.lastOffsetDelta, LAST_OFFSET_DELTA);
  writeInt64(batch, BASE_TIMESTAMP, fields.baseTimestamp);
  writeInt64(batch, MAX_TIMESTAMP, fields.maxTimestamp);
  writeInt64(batch, PRODUCER_ID, fields.producerId);
  batch.writeInt16BE(fields.producerEpoch, PRODUCER_EPOCH);
  batch.writeInt32BE(fields.baseSequence, BASE_SEQUENCE);
  batch.writeInt32BE(fields.recordsCount, RECORDS_COUNT);
  body.copy(batch, BATCH_HEADER_BYTES);
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES)), CRC);
  return batch;
}

// ---- framing and CRC -----------------------------------------------------------------------

/**
 * Where each whole batch in `buf` starts and how many bytes it takes. Stops at a partial trailing
 * batch (fetch responses may end with one); throws CorruptRecordError on a length field too small
 * for a v2 header, since no later batch boundary can be trusted after it.
 */
export function* batchSpans(buf: Buffer): Generator<{ offset: number; size: number }> {
  let offset = 0;
  while (buf.length - offset >= LOG_OVERHEAD) {
    const length = buf.readInt32BE(offset + BATCH_LENGTH);
    if (length < BATCH_LENGTH_MIN) {
      throw new CorruptRecordError(
        `batch at byte ${offset} has length ${length}, less than the ${BATCH_LENGTH_MIN}-byte minimum`,
      );
    }
    const size = LOG_OVERHEAD + length;
    if (size > buf.length - offset) return;
    yield { offset, size };
    offset += size;
  }
}

/** True when the whole batch at `at` is in `buf` and its stored CRC-32C matches ATTRIBUTES..end. */
export function batchCrcValid(buf: Buffer, at: number): boolean {
  if (at < 0 || buf.length - at < BATCH_HEADER_BYTES) return false;
  const length = buf.readInt32BE(at + BATCH_LENGTH);
  const end = at + LOG_OVERHEAD + length;
  if (length < BATCH_LENGTH_MIN || end > buf.length) return false;
  return buf.readUInt32BE(at + CRC) === crc32c(buf.subarray(at + ATTRIBUTES, end));
}

// ---- decoding ------------------------------------------------------------------------------

/**
 * Decodes every whole batch in `buf` (a trailing partial batch is ignored), checking magic and
 * CRC and decompressing as the attributes say. Throws CorruptRecordError for malformed bytes and
 * UnsupportedCompressionError for a codec id outside 0-4.
 */
export async function decodeRecordBatches(
  buf: Buffer,
  opts: DecodeBatchOptions = {},
): Promise<RecordBatch[]> {
  const decompressedBytesMax = opts.decompressedBytesMax ?? DECOMPRESSED_BYTES_MAX;
  const batches: RecordBatch[] = [];
  for (const { offset, size } of batchSpans(buf)) {
    batches.push(await decodeBatch(buf, offset, size, decompressedBytesMax));
  }
  return batches;
}

async function decodeBatch(buf: Buffer, at: number, size: number, bytesMax: number): Promise<RecordBatch> {
  const header = readBatchHeader(buf, at);
  const where = `batch at byte ${at} (base offset ${header.baseOffset})`;
  if (header.magic !== MAGIC_V2) {
    throw new CorruptRecordError(`${where} has magic ${header.magic}; only v2 record batches are supported`);
  }
  if (!batchCrcValid(buf, at)) {
    const computed = crc32c(buf.subarray(at + ATTRIBUTES, at + size));
    throw new CorruptRecordError(`${where} fails its CRC: stored ${header.crc}, computed ${computed}`);
  }
  if (header.recordsCount < 0) {
    throw new CorruptRecordError(`${where} has a negative record count ${header.recordsCount}`);
  }
  const section = buf.subarray(at + BATCH_HEADER_BYTES, at + size);
  const recordBytes = await recordsSection(section, header, where, bytesMax);
  return toRecordBatch(header, readRecords(recordBytes, header.recordsCount, where));
}

/** The records section, decompressed; unknown codecs pass through as UnsupportedCompressionError. */
async function recordsSection(
  section: Buffer,
  header: BatchHeader,
  where: string,
  bytesMax: number,
): Promise<Buffer> {
  const codec = header.attributes & COMPRESSION_MASK;
  try {
    return await decompress(codec, section, bytesMax);
  } catch (err) {
    if (err instanceof UnsupportedCompressionError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new CorruptRecordError(`${where}: ${reason}`, { cause: err });
  }
}

function toRecordBatch(header: BatchHeader, records: Record[]): RecordBatch {
  return {
    baseOffset: header.baseOffset,
    partitionLeaderEpoch: header.partitionLeaderEpoch,
    attributes: header.attributes,
    lastOffsetDelta: header.lastOffsetDelta,
    baseTimestamp: header.baseTimestamp,
    maxTimestamp: header.maxTimestamp,
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    records,
  };
}

/** Reads exactly `count` records that must fill `bytes` to the last byte, as Kafka requires. */
function readRecords(bytes: Buffer, count: number, where: string): Record[] {
  const reader = new Reader(bytes);
  const n = reader.arrayLength(count, RECORD_BYTES_MIN);
  const records: Record[] = [];
  for (let i = 0; i < n && reader.error === null; i++) records.push(readRecord(reader));
  if (reader.error !== null) throw new CorruptRecordError(`${where}: ${reader.error}`);
  if (reader.remaining !== 0) {
    throw new CorruptRecordError(`${where}: ${reader.remaining} bytes left after its ${count} records`);
  }
  return records;
}

/** One record, read through a reader bounded to its declared length so it cannot overrun. */
function readRecord(outer: Reader): Record {
  const bodyBytes = outer.varint();
  if (bodyBytes < RECORD_BODY_BYTES_MIN || bodyBytes > outer.remaining) {
    outer.fail(`record at offset ${outer.pos} declares ${bodyBytes} bytes; ${outer.remaining} remain`);
  }
  const body = new Reader(outer.buf, outer.pos, outer.error === null ? outer.pos + bodyBytes : outer.pos);
  outer.raw(Math.max(bodyBytes, 0));
  const record: Record = {
    attributes: body.int8(),
    timestampDelta: body.varlong(),
    offsetDelta: body.varint(),
    key: readVarBytes(body),
    value: readVarBytes(body),
    headers: readHeaders(body),
  };
  if (body.error === null && body.remaining !== 0) {
    body.fail(`record has ${body.remaining} bytes beyond its fields`);
  }
  if (body.error !== null) outer.fail(body.error);
  return record;
}

function readHeaders(reader: Reader): RecordHeader[] {
  const count = reader.varint();
  if (count < 0) reader.fail(`negative header count ${count}`);
  const n = reader.arrayLength(count, HEADER_BYTES_MIN);
  const headers: RecordHeader[] = [];
  for (let i = 0; i < n && reader.error === null; i++) {
    const keyBytes = reader.varint();
    if (keyBytes < 0) reader.fail('header key is null');
    const key = reader.raw(keyBytes).toString('utf8');
    headers.push({ key, value: readVarBytes(reader) });
  }
  return headers;
}

/** Varint length then bytes; -1 means null. */
function readVarBytes(reader: Reader): Buffer | null {
  const n = reader.varint();
  if (n === -1) return null;
  if (n < -1) reader.fail(`negative length ${n}`);
  return reader.raw(n);
}
