/**
 * What the log cleaner does to one stored batch, as Kafka's cleaner does (MemoryRecords.filterTo):
 * a record stays if it is the latest for its key (or past the offsets the map covers) and is not
 * a tombstone whose delete horizon has passed. A batch keeps its base offset, last offset delta,
 * producer id/epoch, base sequence, leader epoch, timestamp type and codec; its surviving records
 * keep their offsets (gaps are allowed) and timestamps. A batch where nothing changes is kept
 * byte for byte.
 *
 * Tombstones follow KIP-534: the first time the cleaner keeps a batch holding tombstones, it
 * sets the batch's delete-horizon bit and stores `now + delete.retention.ms` in the base
 * timestamp (record timestamp deltas are rewritten against it, so record timestamps do not
 * change); a later pass after that time drops the tombstones.
 *
 * Transactions (cleaner-txn.ts decides, the caller passes the verdict in `BatchFate`): the
 * records of an aborted transaction's batch all go; a committed transaction's batch is cleaned
 * like any other. A marker (control batch) stays as it is until its transaction has no data
 * left; then, like a tombstone, it gets a delete horizon, and a pass after that drops it. A
 * producer's last batch is kept, as a header if its records all go, so its sequence numbers and
 * epoch survive a replay of the log (Kafka's RETAIN_EMPTY); a marker that is a producer's last
 * batch is kept whole.
 */
import {
  ATTRIBUTES,
  BASE_OFFSET,
  BASE_TIMESTAMP,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH,
  COMPRESSION_MASK,
  CONTROL_BIT,
  CRC,
  DELETE_HORIZON_BIT,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAX_TIMESTAMP,
  RECORDS_COUNT,
  TIMESTAMP_TYPE_BIT,
  TRANSACTIONAL_BIT,
  readInt64,
  writeInt64,
} from '../protocol/records/batch-header.js';
import { compress } from '../protocol/records/compression.js';
import { type Record, decodeRecordBatches } from '../protocol/records/record-batch.js';
import { Writer } from '../protocol/writer.js';
import { crc32c } from '../util/crc32c.js';
import { CURRENT_MAGIC } from './batch-walk.js';
import type { OffsetMap } from './offset-map.js';

export interface CleaningRules {
  map: OffsetMap;
  /** Records at or after this offset were not mapped: they are kept as they are. */
  mapEnd: number;
  nowMs: number;
  deleteRetentionMs: number;
}

/** What the walk over transactions decided for one batch. */
export interface BatchFate {
  /** A data batch of an aborted transaction, or a marker whose transaction has no data left. */
  discard: boolean;
  /** The producer's last batch: never dropped whole. */
  retainEmpty: boolean;
}

export const PLAIN_FATE: BatchFate = { discard: false, retainEmpty: false };

export interface CleanedBatch {
  /** The bytes to store in place of the batch, or null to drop it. */
  bytes: Buffer | null;
  /** Whether `bytes` differ from the original batch. */
  changed: boolean;
  recordsRead: number;
  recordsKept: number;
  /** Records dropped for having no key (Kafka counts them as invalid). */
  keylessDropped: number;
  /** The batch's last offset and largest timestamp, as stored after cleaning. */
  lastOffset: number;
  maxTimestamp: number;
}

/**
 * Cleans the one whole, CRC-checked batch in `batch`. With `keepEmpty` a batch whose records all
 * go stays as an empty batch (header only), so its last offset stays in the log.
 */
export async function cleanBatch(batch: Buffer, rules: CleaningRules, keepEmpty: boolean, fate: BatchFate = PLAIN_FATE): Promise<CleanedBatch> {
  const attributes = batch.readInt16BE(ATTRIBUTES);
  const baseOffset = readInt64(batch, BASE_OFFSET);
  const lastOffset = baseOffset + batch.readInt32BE(LAST_OFFSET_DELTA);
  const recordsCount = batch.readInt32BE(RECORDS_COUNT);
  const unchanged: CleanedBatch = {
    bytes: batch,
    changed: false,
    recordsRead: recordsCount,
    recordsKept: recordsCount,
    keylessDropped: 0,
    lastOffset,
    maxTimestamp: readInt64(batch, MAX_TIMESTAMP),
  };
  if (baseOffset >= rules.mapEnd) return unchanged;
  keepEmpty ||= fate.retainEmpty;
  // An empty batch left by an earlier pass goes once it no longer has to stay.
  if (recordsCount === 0) return keepEmpty ? unchanged : { ...unchanged, bytes: null, changed: true };
  if ((attributes & CONTROL_BIT) !== 0) return cleanMarker(batch, rules, keepEmpty, fate, unchanged);

  const [decoded] = await decodeRecordBatches(batch);
  const records = decoded!.records;
  const horizon = (attributes & DELETE_HORIZON_BIT) !== 0 ? decoded!.baseTimestamp : null;
  const kept: Record[] = [];
  let keyless = 0;
  for (const r of records) {
    const offset = baseOffset + r.offsetDelta;
    if (fate.discard) {
      // A record of an aborted transaction.
    } else if (offset >= rules.mapEnd) {
      kept.push(r);
    } else if (r.key === null) {
      keyless++;
    } else if (rules.map.get(r.key) > offset) {
      // A later record has the same key.
    } else if (r.value === null && horizon !== null && rules.nowMs >= horizon) {
      // A tombstone past its delete horizon.
    } else {
      kept.push(r);
    }
  }
  const hasTombstones = kept.some((r) => r.value === null);
  if (kept.length === records.length && (!hasTombstones || horizon !== null)) return { ...unchanged, recordsRead: records.length, recordsKept: kept.length };
  const result = { changed: true, recordsRead: records.length, recordsKept: kept.length, keylessDropped: keyless, lastOffset };
  if (kept.length === 0) {
    if (!keepEmpty) return { ...result, bytes: null, maxTimestamp: -1 };
    const empty = emptyBatch(batch);
    return { ...result, bytes: empty, maxTimestamp: readInt64(empty, MAX_TIMESTAMP) };
  }
  const deleteHorizonMs = hasTombstones ? (horizon ?? rules.nowMs + rules.deleteRetentionMs) : null;
  const bytes = await rewriteBatch(batch, decoded!.baseTimestamp, kept, deleteHorizonMs);
  return { ...result, bytes, maxTimestamp: readInt64(bytes, MAX_TIMESTAMP) };
}

/**
 * A marker stays as it is while its transaction may have data in the log; once it has none the
 * marker gets a delete horizon (KIP-534), and after that horizon it goes.
 */
async function cleanMarker(batch: Buffer, rules: CleaningRules, keepEmpty: boolean, fate: BatchFate, unchanged: CleanedBatch): Promise<CleanedBatch> {
  const attributes = batch.readInt16BE(ATTRIBUTES);
  if (!fate.discard || fate.retainEmpty) return unchanged;
  const [decoded] = await decodeRecordBatches(batch);
  const records = decoded!.records;
  const changed = { ...unchanged, changed: true };
  if ((attributes & DELETE_HORIZON_BIT) === 0) {
    const bytes = await rewriteBatch(batch, decoded!.baseTimestamp, records, rules.nowMs + rules.deleteRetentionMs);
    return { ...changed, bytes, maxTimestamp: readInt64(bytes, MAX_TIMESTAMP) };
  }
  if (rules.nowMs < decoded!.baseTimestamp) return unchanged;
  if (!keepEmpty) return { ...changed, bytes: null, recordsKept: 0, maxTimestamp: -1 };
  const empty = emptyBatch(batch);
  return { ...changed, bytes: empty, recordsKept: 0, maxTimestamp: readInt64(empty, MAX_TIMESTAMP) };
}

/**
 * A batch holding `kept` (records of `original`, in order) with the original's header fields.
 * `originalBase` is the timestamp the records' deltas count from.
 */
async function rewriteBatch(original: Buffer, originalBase: number, kept: Record[], deleteHorizonMs: number | null): Promise<Buffer> {
  const attributes = original.readInt16BE(ATTRIBUTES);
  const logAppendTime = (attributes & TIMESTAMP_TYPE_BIT) !== 0;
  const stamps = kept.map((r) => originalBase + r.timestampDelta);
  const baseTimestamp = deleteHorizonMs ?? stamps[0]!;
  const maxTimestamp = logAppendTime ? readInt64(original, MAX_TIMESTAMP) : Math.max(...stamps);
  const w = new Writer();
  kept.forEach((r, i) => writeRecord(w, r, stamps[i]! - baseTimestamp));
  const codec = attributes & COMPRESSION_MASK;
  const body = await compress(codec, w.toBuffer());
  const out = headerLike(original, body.length, kept.length);
  out.writeInt16BE(deleteHorizonMs === null ? attributes & ~DELETE_HORIZON_BIT : attributes | DELETE_HORIZON_BIT, ATTRIBUTES);
  writeInt64(out, BASE_TIMESTAMP, baseTimestamp);
  writeInt64(out, MAX_TIMESTAMP, maxTimestamp);
  body.copy(out, BATCH_HEADER_BYTES);
  return seal(out);
}

/**
 * What Kafka writes when it must keep a batch whose records all went: the header alone,
 * uncompressed, with the original's offsets, producer fields and largest timestamp.
 */
function emptyBatch(original: Buffer): Buffer {
  const attributes = original.readInt16BE(ATTRIBUTES);
  const out = headerLike(original, 0, 0);
  out.writeInt16BE(attributes & (TIMESTAMP_TYPE_BIT | TRANSACTIONAL_BIT | CONTROL_BIT), ATTRIBUTES);
  const maxTimestamp = readInt64(original, MAX_TIMESTAMP);
  writeInt64(out, BASE_TIMESTAMP, maxTimestamp);
  writeInt64(out, MAX_TIMESTAMP, maxTimestamp);
  return seal(out);
}

/**
 * A new batch buffer whose header is the original's (base offset, leader epoch, last offset
 * delta, producer id/epoch, base sequence) with a new length and record count.
 */
function headerLike(original: Buffer, bodyBytes: number, recordsCount: number): Buffer {
  const out = Buffer.alloc(BATCH_HEADER_BYTES + bodyBytes);
  original.copy(out, 0, 0, BATCH_HEADER_BYTES);
  out.writeInt32BE(BATCH_HEADER_BYTES - LOG_OVERHEAD + bodyBytes, BATCH_LENGTH);
  out.writeInt32BE(recordsCount, RECORDS_COUNT);
  return out;
}

function seal(batch: Buffer): Buffer {
  batch.writeInt8(CURRENT_MAGIC, MAGIC);
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES)), CRC);
  return batch;
}

/** One record in the v2 layout, its length first; the offset delta is the original one. */
function writeRecord(w: Writer, r: Record, timestampDelta: number): void {
  const body = new Writer();
  body.int8(r.attributes).varlong(timestampDelta).varint(r.offsetDelta);
  writeVarBytes(body, r.key);
  writeVarBytes(body, r.value);
  body.varint(r.headers.length);
  for (const h of r.headers) {
    writeVarBytes(body, Buffer.from(h.key, 'utf8'));
    writeVarBytes(body, h.value);
  }
  w.varint(body.length).append(body);
}

function writeVarBytes(w: Writer, bytes: Buffer | null): void {
  if (bytes === null) w.varint(-1);
  else w.varint(bytes.length).raw(bytes);
}
