/**
 * What Kafka's LogValidator does to produced batches beyond their framing (validate.ts): refuses
 * CreateTime timestamps outside `message.timestamp.before.max.ms` / `after.max.ms` (KIP-937) and
 * re-encodes batches whose codec differs from the topic's `compression.type`. Producer id, epoch,
 * base sequence, the transactional bit and every record's key, value, headers and timestamp are
 * kept; control batches are never converted. LogAppendTime is stamped later, by the log's append,
 * on the converted bytes. With the defaults ('producer', no bounds) nothing is decoded.
 */
import {
  ATTRIBUTES,
  COMPRESSION_MASK,
  CRC,
  Compression,
  PARTITION_LEADER_EPOCH,
} from '../protocol/records/batch-header.js';
import { CorruptRecordError, decodeRecordBatches, encodeRecordBatch, type RecordBatch } from '../protocol/records/record-batch.js';
import { crc32c } from '../util/crc32c.js';
import type { CompressionType, LogConfig } from './config.js';
import { ErrorCode } from './errors.js';
import type { ValidatedBatch } from './validate.js';

const TARGET_CODECS: Readonly<Record<Exclude<CompressionType, 'producer'>, number>> = {
  uncompressed: Compression.None,
  gzip: Compression.Gzip,
  snappy: Compression.Snappy,
  lz4: Compression.Lz4,
  zstd: Compression.Zstd,
};

export type LogValidation = { records: Buffer; converted: boolean } | { error: { code: number; message: string } };

/** The settings of LogConfig this step reads. */
export type LogValidatorConfig = Pick<LogConfig, 'compressionType' | 'messageTimestampType' | 'messageTimestampBeforeMaxMs' | 'messageTimestampAfterMaxMs'>;

/** The codec batches are stored with under `compressionType`, or null to keep the producer's. */
export function targetCodec(compressionType: CompressionType): number | null {
  return compressionType === 'producer' ? null : TARGET_CODECS[compressionType];
}

/** Whether a CreateTime log bounds its records' timestamps (so each batch must be decoded). */
export function boundsTimestamps(config: LogValidatorConfig): boolean {
  return (
    config.messageTimestampType === 'CreateTime' &&
    (config.messageTimestampBeforeMaxMs < Number.MAX_SAFE_INTEGER || config.messageTimestampAfterMaxMs < Number.MAX_SAFE_INTEGER)
  );
}

/**
 * Checks timestamps and converts codecs for `records`, whose batches validate.ts has checked and
 * described in `batches`. Returns the bytes to append (`records` itself when nothing changed).
 */
export async function validateForLog(
  records: Buffer,
  batches: readonly ValidatedBatch[],
  config: LogValidatorConfig,
  nowMs: number,
): Promise<LogValidation> {
  const target = targetCodec(config.compressionType);
  const checkTimes = boundsTimestamps(config);
  const needsWork = (b: ValidatedBatch): boolean => !b.isControl && ((target !== null && b.compression !== target) || checkTimes);
  if (!batches.some(needsWork)) return { records, converted: false };
  const out: Buffer[] = [];
  let converted = false;
  for (const b of batches) {
    const bytes = records.subarray(b.offset, b.offset + b.size);
    if (!needsWork(b)) {
      out.push(bytes);
      continue;
    }
    let decoded: RecordBatch | undefined;
    try {
      [decoded] = await decodeRecordBatches(bytes);
    } catch (err) {
      // validate.ts checked the framing; a record whose fields do not fill it is still corrupt.
      if (err instanceof CorruptRecordError) return fail(ErrorCode.CORRUPT_MESSAGE, `batch at position ${b.offset}: ${err.message}`);
      throw err;
    }
    if (decoded === undefined) return fail(ErrorCode.CORRUPT_MESSAGE, `batch at position ${b.offset} cannot be read`);
    const convert = target !== null && b.compression !== target;
    // validate.ts checked compressed batches' offsets; an uncompressed one about to be compressed is checked here, as Kafka does.
    const gap = convert && b.compression === Compression.None ? decoded.records.findIndex((r, i) => r.offsetDelta !== i) : -1;
    if (gap >= 0) return fail(ErrorCode.INVALID_RECORD, `record ${gap} of the batch at position ${b.offset} has offset delta ${decoded.records[gap]!.offsetDelta}; the offsets in a batch run 0..${decoded.records.length - 1}`);
    if (checkTimes) {
      const problem = timestampProblem(decoded, b.offset, config, nowMs);
      if (problem !== null) return fail(ErrorCode.INVALID_TIMESTAMP, problem);
    }
    if (convert) {
      out.push(await reencode(bytes, decoded, target));
      converted = true;
    } else {
      out.push(bytes);
    }
  }
  return { records: converted ? Buffer.concat(out) : records, converted };
}

function fail(code: number, message: string): LogValidation {
  return { error: { code, message } };
}

/** Kafka's rule (KIP-937): a CreateTime timestamp may be at most before.max.ms old and after.max.ms ahead. */
function timestampProblem(batch: RecordBatch, at: number, config: LogValidatorConfig, nowMs: number): string | null {
  for (let i = 0; i < batch.records.length; i++) {
    const timestampMs = batch.baseTimestamp + batch.records[i]!.timestampDelta;
    if (nowMs - timestampMs > config.messageTimestampBeforeMaxMs) {
      return `record ${i} of the batch at position ${at} has timestamp ${timestampMs}, ${nowMs - timestampMs} ms before the broker's time ${nowMs}; message.timestamp.before.max.ms is ${config.messageTimestampBeforeMaxMs}`;
    }
    if (timestampMs - nowMs > config.messageTimestampAfterMaxMs) {
      return `record ${i} of the batch at position ${at} has timestamp ${timestampMs}, ${timestampMs - nowMs} ms after the broker's time ${nowMs}; message.timestamp.after.max.ms is ${config.messageTimestampAfterMaxMs}`;
    }
  }
  return null;
}

/**
 * The same batch with its records compressed by `codec`: the encoder lays out the records and
 * the producer fields, then the original attributes (transactional bit, timestamp type) and
 * partition leader epoch are put back and the CRC sealed again.
 */
async function reencode(original: Buffer, batch: RecordBatch, codec: number): Promise<Buffer> {
  const out = await encodeRecordBatch(
    batch.records.map((r) => ({
      key: r.key,
      value: r.value,
      headers: r.headers.map((h) => ({ key: h.key, value: h.value })),
      timestamp: batch.baseTimestamp + r.timestampDelta,
    })),
    {
      compression: codec,
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence,
      timestamp: batch.baseTimestamp,
    },
  );
  out.writeInt16BE((original.readInt16BE(ATTRIBUTES) & ~COMPRESSION_MASK) | codec, ATTRIBUTES);
  out.writeInt32BE(original.readInt32BE(PARTITION_LEADER_EPOCH), PARTITION_LEADER_EPOCH);
  out.writeUInt32BE(crc32c(out.subarray(ATTRIBUTES)), CRC);
  return out;
}
