/**
 * Checks the record batches a Produce request carries for one partition before the log stores
 * them, as Kafka's broker does: framing, magic, size, CRC-32C, the counts in the header, and that
 * the records exactly fill each batch. Uncompressed records are walked by their length prefixes
 * only; compressed ones are inflated and walked the same way. On a compacted topic or one with
 * timestamp bounds, each record's key and timestamp are read too (record-rules.ts).
 */
import {
  ATTRIBUTES,
  BASE_OFFSET,
  BASE_SEQUENCE,
  BASE_TIMESTAMP,
  BATCH_HEADER_BYTES,
  COMPRESSION_MASK,
  CONTROL_BIT,
  Compression,
  LAST_OFFSET_DELTA,
  MAX_TIMESTAMP,
  PRODUCER_EPOCH,
  PRODUCER_ID,
  RECORDS_COUNT,
  TIMESTAMP_TYPE_BIT,
  TRANSACTIONAL_BIT,
  readInt64,
} from '../protocol/records/batch-header.js';
import { DecompressionError, UnsupportedCompressionError, decompress } from '../protocol/records/compression.js';
import { Reader } from '../protocol/reader.js';
import { checkBatchCrc, checkRecordLengths, frameBatch } from './batch-walk.js';
import { ErrorCode } from './errors.js';
import { checkRecordRules, recordRulesApply, type RecordError, type RecordRules } from './record-rules.js';

/** What the broker needs to know about each valid batch, read from its header. */
export interface ValidatedBatch {
  /** Byte position of the batch in the request's buffer. */
  offset: number;
  size: number;
  recordsCount: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  compression: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  isTransactional: boolean;
  isControl: boolean;
  /** The producer set the LogAppendTime bit (which Kafka refuses unless the topic is CreateTime). */
  logAppendTime: boolean;
}

export interface ValidationResult {
  /** The batches checked so far; all of them when there is no error. */
  batches: ValidatedBatch[];
  /** The first problem found; Kafka then rejects the whole partition's records. */
  error?: { code: number; message: string; recordErrors?: RecordError[] };
}

export interface ValidateOptions {
  /** Transaction markers are written by the coordinator; clients may not send control batches. */
  allowControlBatches?: boolean;
  /**
   * Kafka's per-record rules (keys on compacted topics, CreateTime bounds): a batch with a bad
   * record is refused and the error lists the bad records. Records are walked only when a rule applies.
   */
  recordRules?: RecordRules;
}

export async function validateProducedBatches(
  buf: Buffer,
  maxMessageBytes: number,
  opts: ValidateOptions = {},
): Promise<ValidationResult> {
  const batches: ValidatedBatch[] = [];
  const fail = (code: number, message: string): ValidationResult => ({ batches, error: { code, message } });
  if (buf.length === 0) return fail(ErrorCode.CORRUPT_MESSAGE, 'the request holds no record batch');
  let at = 0;
  while (at < buf.length) {
    const framing = frameBatch(buf, at, buf.length);
    if (typeof framing !== 'number') {
      if (framing.kind === 'magic' && (framing.magic === 0 || framing.magic === 1)) {
        return fail(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `${framing.message}; upgrade the client's message format`);
      }
      return fail(ErrorCode.CORRUPT_MESSAGE, framing.message);
    }
    const size = framing;
    if (size > maxMessageBytes) {
      return fail(ErrorCode.MESSAGE_TOO_LARGE, `a record batch of ${size} bytes is larger than max.message.bytes (${maxMessageBytes})`);
    }
    const crcProblem = checkBatchCrc(buf, at, size);
    if (crcProblem !== null) return fail(ErrorCode.CORRUPT_MESSAGE, crcProblem.message);
    const batch = headerOf(buf, at, size);
    const problem = checkHeader(buf, at, batch, opts);
    if (problem !== null) return fail(ErrorCode.INVALID_RECORD, problem);
    const recordsProblem = await checkRecords(buf, at, batch, batch.isControl ? undefined : opts.recordRules);
    if (recordsProblem !== null) return { batches, error: recordsProblem };
    batches.push(batch);
    at += size;
  }
  return { batches };
}

function headerOf(buf: Buffer, at: number, size: number): ValidatedBatch {
  const attributes = buf.readInt16BE(at + ATTRIBUTES);
  return {
    offset: at,
    size,
    recordsCount: buf.readInt32BE(at + RECORDS_COUNT),
    lastOffsetDelta: buf.readInt32BE(at + LAST_OFFSET_DELTA),
    baseTimestamp: readInt64(buf, at + BASE_TIMESTAMP),
    maxTimestamp: readInt64(buf, at + MAX_TIMESTAMP),
    compression: attributes & COMPRESSION_MASK,
    producerId: readInt64(buf, at + PRODUCER_ID),
    producerEpoch: buf.readInt16BE(at + PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(at + BASE_SEQUENCE),
    isTransactional: (attributes & TRANSACTIONAL_BIT) !== 0,
    isControl: (attributes & CONTROL_BIT) !== 0,
    logAppendTime: (attributes & TIMESTAMP_TYPE_BIT) !== 0,
  };
}

/** The header rules Kafka's LogValidator applies to client batches (INVALID_RECORD). */
function checkHeader(buf: Buffer, at: number, b: ValidatedBatch, opts: ValidateOptions): string | null {
  const baseOffset = readInt64(buf, at + BASE_OFFSET);
  if (baseOffset !== 0) return `batch at position ${at} has base offset ${baseOffset}; producers must send 0`;
  if (b.recordsCount < 1) return `batch at position ${at} declares ${b.recordsCount} records`;
  if (b.lastOffsetDelta !== b.recordsCount - 1) {
    return `batch at position ${at} declares ${b.recordsCount} records but a last offset delta of ${b.lastOffsetDelta}`;
  }
  if (b.isControl && opts.allowControlBatches !== true) return 'clients may not write control batches';
  if (b.producerId >= 0 && b.baseSequence < 0) {
    return `batch at position ${at} has producer id ${b.producerId} but base sequence ${b.baseSequence}`;
  }
  return null;
}

async function checkRecords(
  buf: Buffer,
  at: number,
  b: ValidatedBatch,
  rules: RecordRules | undefined,
): Promise<{ code: number; message: string; recordErrors?: RecordError[] } | null> {
  let records = buf;
  let start = at + BATCH_HEADER_BYTES;
  let end = at + b.size;
  let problem: string | null;
  if (b.compression === Compression.None) {
    problem = checkRecordLengths(buf, start, end, b.recordsCount);
  } else {
    try {
      records = await decompress(b.compression, buf.subarray(start, end));
    } catch (err) {
      if (err instanceof UnsupportedCompressionError) {
        return { code: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, message: `batch at position ${at}: ${err.message}` };
      }
      if (err instanceof DecompressionError) {
        return { code: ErrorCode.CORRUPT_MESSAGE, message: `batch at position ${at}: ${err.message}` };
      }
      throw err;
    }
    start = 0;
    end = records.length;
    problem = checkRecordLengths(records, start, end, b.recordsCount);
    if (problem === null) problem = checkOffsetDeltas(records, start, end, b.recordsCount);
  }
  if (problem === null && recordRulesApply(rules, b)) {
    const refused = checkRecordRules(records, start, end, b.recordsCount, b, rules);
    if (refused !== null && typeof refused !== 'string') return refused;
    problem = refused;
  }
  return problem === null ? null : { code: ErrorCode.INVALID_RECORD, message: `batch at position ${at}: ${problem}` };
}

/**
 * Kafka's LogValidator requires the records of a compressed batch to carry offset deltas 0..n-1
 * (it assigns offsets by them); `buf[start, end)` holds `count` records whose lengths are checked.
 */
function checkOffsetDeltas(buf: Buffer, start: number, end: number, count: number): string | null {
  const r = new Reader(buf, start, end);
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    const bodyStart = r.pos;
    r.int8();
    r.varlong();
    const offsetDelta = r.varint();
    if (r.error !== null) return `record ${i} cannot be read: ${r.error}`;
    if (offsetDelta !== i) return `record ${i} of a compressed batch has offset delta ${offsetDelta}; the offsets in a batch run 0..${count - 1}`;
    r.pos = bodyStart + length;
  }
  return null;
}
