/** Validating and appending one partition's produced batches: the produce path's one place. */
import { ErrorCode } from '../protocol/errors.js';
import { validateProducedBatches } from '../storage/validate.js';
import { validateForLog } from '../storage/log-validator.js';
import { StorageError } from '../storage/errors.js';
import { isCompacted } from '../storage/config.js';
import type { RequestContext } from './handler.js';

export interface AppendOutcome {
  errorCode: number;
  errorMessage: string | null;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
}

export async function appendToPartition(ctx: RequestContext, topic: string, partition: number, records: Buffer | null): Promise<AppendOutcome> {
  const { replicas, logger, clock } = ctx.broker;
  const out: AppendOutcome = { errorCode: 0, errorMessage: null, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
  const log = replicas.log(topic, partition);
  if (log === undefined) return { ...out, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  if (records === null || records.length === 0) return { ...out, errorCode: ErrorCode.CORRUPT_MESSAGE, errorMessage: 'Produce request carried no record batches.' };
  // A compacted topic keeps the latest record per key, so a record without a key is refused.
  const checked = await validateProducedBatches(records, log.config.maxMessageBytes, { requireKeys: isCompacted(log.config) });
  if (checked.error !== undefined) return { ...out, errorCode: checked.error.code, errorMessage: checked.error.message };
  // Timestamp bounds and the topic's compression.type; the bytes pass through untouched by default.
  const forLog = await validateForLog(records, checked.batches, log.config, clock.now());
  if ('error' in forLog) return { ...out, errorCode: forLog.error.code, errorMessage: forLog.error.message };
  const appendTimeMs = log.config.messageTimestampType === 'LogAppendTime' ? clock.now() : undefined;
  try {
    const r = await replicas.append(log, topic, partition, forLog.records, appendTimeMs);
    return { ...out, baseOffset: r.baseOffset, logAppendTimeMs: appendTimeMs ?? -1, logStartOffset: r.logStartOffset };
  } catch (err) {
    if (err instanceof StorageError) {
      if (err.code === ErrorCode.KAFKA_STORAGE_ERROR) logger.error('append failed', { topic, partition, err });
      return { ...out, errorCode: err.code, errorMessage: err.message };
    }
    throw err;
  }
}
