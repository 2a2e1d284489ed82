/**
 * The per-record rules of Kafka's LogValidator: a compacted topic refuses records without a key,
 * a CreateTime topic with `message.timestamp.before.max.ms` / `.after.max.ms` refuses records
 * outside them (KIP-937), and a producer may not mark its batch LogAppendTime (unless the topic
 * is CreateTime and the batch carries a timestamp). A batch with a bad record is refused whole,
 * and the answer names every bad record by its index in the batch (Produce v8+ `record_errors`,
 * KIP-467), with Kafka's texts. Only the fields these rules need are read (the record's length,
 * attributes, timestamp and offset deltas, key and value lengths), and only when a rule applies.
 */
import { Reader } from '../protocol/reader.js';
import { ErrorCode } from './errors.js';

/** Kafka's NO_TIMESTAMP: a record without a timestamp escapes the bounds. */
const NO_TIMESTAMP = -1;
/** Kafka's partition-level message quotes at most this many record errors. */
const QUOTED_RECORD_ERRORS_MAX = 3;

export interface RecordRules {
  /** `topic-partition`, as Kafka names the partition in its messages. */
  topicPartition: string;
  /** The topic is compacted (cleanup.policy holds 'compact'): every record needs a key. */
  requireKeys: boolean;
  /** The broker's time and the CreateTime bounds around it; null when neither bound is set. */
  timestampBounds: { nowMs: number; beforeMaxMs: number; afterMaxMs: number } | null;
  /** The topic's message.timestamp.type. */
  timestampType: 'CreateTime' | 'LogAppendTime';
}

/** What the rules need of the batch's header. */
export interface BatchStamps {
  baseTimestamp: number;
  maxTimestamp: number;
  /** The producer set the LogAppendTime bit: every record's timestamp is then the batch's max. */
  logAppendTime: boolean;
}

/** One refused record: its index in the batch and why. */
export interface RecordError {
  batchIndex: number;
  message: string;
}

/** What refuses a batch: the partition's error code and message, and the records at fault. */
export interface RecordsRefused {
  code: number;
  message: string;
  recordErrors: RecordError[];
}

/** Whether any rule applies to a batch, i.e. whether its records must be walked at all. */
export function recordRulesApply(rules: RecordRules | undefined, batch: BatchStamps): rules is RecordRules {
  return rules !== undefined && (rules.requireKeys || rules.timestampBounds !== null || batch.logAppendTime);
}

/**
 * Checks the `count` records in `buf[start, end)` (uncompressed record bytes whose length
 * prefixes have been checked) of the batch described by `batch`. Returns null when every record
 * passes; otherwise the refusal, or a sentence when a record cannot be read.
 */
export function checkRecordRules(
  buf: Buffer,
  start: number,
  end: number,
  count: number,
  batch: BatchStamps,
  rules: RecordRules,
): RecordsRefused | string | null {
  const errors: { batchIndex: number; message: string; timestamp: boolean }[] = [];
  const r = new Reader(buf, start, end);
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    const bodyStart = r.pos;
    r.int8();
    const timestampDelta = r.varlong();
    const offsetDelta = r.varint();
    const keyLength = r.varint();
    if (keyLength > 0) r.raw(keyLength);
    const valueLength = r.varint();
    if (r.error !== null || r.pos > bodyStart + length) return `record ${i} cannot be read: ${r.error ?? 'its key runs past its end'}`;
    r.pos = bodyStart + length;
    // Kafka checks the key first; a record gets at most one error.
    if (rules.requireKeys && keyLength < 0) {
      errors.push({ batchIndex: i, message: `Compacted topic cannot accept message without key in topic partition ${rules.topicPartition}`, timestamp: false });
      continue;
    }
    const b = rules.timestampBounds;
    const timestampMs = batch.logAppendTime ? batch.maxTimestamp : batch.baseTimestamp + timestampDelta;
    // Producers send base offset 0, so a record's offset is its offset delta.
    if (rules.timestampType === 'CreateTime' && timestampMs !== NO_TIMESTAMP) {
      if (b !== null && (b.nowMs - timestampMs > b.beforeMaxMs || timestampMs - b.nowMs > b.afterMaxMs)) {
        const message = `Timestamp ${timestampMs} of message with offset ${offsetDelta} is out of range. The timestamp should be within [${b.nowMs - b.beforeMaxMs}, ${b.nowMs + b.afterMaxMs}]`;
        errors.push({ batchIndex: i, message, timestamp: true });
      }
    } else if (batch.logAppendTime) {
      const record = `DefaultRecord(offset=${offsetDelta}, timestamp=${timestampMs}, key=${Math.max(keyLength, 0)} bytes, value=${Math.max(valueLength, 0)} bytes)`;
      errors.push({ batchIndex: i, message: `Invalid timestamp type in message ${record}. Producer should not set timestamp type to LogAppendTime.`, timestamp: true });
    }
  }
  if (errors.length === 0) return null;
  const recordErrors = errors.map(({ batchIndex, message }) => ({ batchIndex, message }));
  if (errors.some((e) => e.timestamp)) {
    return { code: ErrorCode.INVALID_TIMESTAMP, message: 'One or more records have been rejected due to invalid timestamp', recordErrors };
  }
  const quoted = recordErrors.slice(0, QUOTED_RECORD_ERRORS_MAX).map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.message}')`);
  return {
    code: ErrorCode.INVALID_RECORD,
    message: `One or more records have been rejected due to ${errors.length} record errors in total, and only showing the first three errors at most: [${quoted.join(', ')}]`,
    recordErrors,
  };
}
