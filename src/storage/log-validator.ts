/**
 * What Kafka's LogValidator does to produced batches beyond their framing and per-record rules
 * (validate.ts, record-rules.ts): re-encodes batches whose codec differs from the topic's
 * `compression.type`. Producer id, epoch, base sequence, the transactional bit and every record's
 * key, value, headers and timestamp are kept; control batches are never converted. LogAppendTime
 * is stamped later, by the log's append, on the converted bytes. With the default ('producer')
 * nothing is decoded.
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

/** Whether a CreateTime log bounds its records' timestamps (so each record must be read). */
export function boundsTimestamps(config: LogValidatorConfig): boolean {
  return (
    config.messageTimestampType === 'CreateTime' &&
    (config.messageTimestampBeforeMaxMs < Number.MAX_SAFE_INTEGER || config.messageTimestampAfterMaxMs < Number.MAX_SAFE_INTEGER)
  );
}

/**
 * Converts codecs for `records`, whose batches validate.ts has checked and described in
 * `batches`. Returns the bytes to append (`records` itself when nothing changed).
 */
export async function validateForLog(
  records: Buffer,
  batches: readonly ValidatedBatch[],
  config: LogValidatorConfig,
): Promise<LogValidation> {
  const target = targetCodec(config.compressionType);
  if (target === null) return { records, converted: false };
  const needsWork = (b: ValidatedBatch): boolean => !b.isControl && b.compression !== target;
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
    // validate.ts checked compressed batches' offsets; an uncompressed one about to be compressed is checked here, as Kafka does.
    const gap = b.compression === Compression.None ? decoded.records.findIndex((r, i) => r.offsetDelta !== i) : -1;
    if (gap >= 0) return fail(ErrorCode.INVALID_RECORD, `record ${gap} of the batch at position ${b.offset} has offset delta ${decoded.records[gap]!.offsetDelta}; the offsets in a batch run 0..${decoded.records.length - 1}`);
    out.push(await reencode(bytes, decoded, target));
    converted = true;
  }
  return { records: converted ? Buffer.concat(out) : records, converted };
}

function fail(code: number, message: string): LogValidation {
  return { error: { code, message } };
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
