/**
 * Validating and appending one partition's produced batches: the produce path's one place.
 * Two phases, so that a connection can validate its next Produce request while the previous
 * one is being written: `prepareAppend` checks the batches (asynchronously: compressed batches
 * may be decoded), `placeAppend` assigns offsets in the caller's turn and resolves once the
 * bytes are written (and synced, per the flush policy).
 */
import { ErrorCode } from '../protocol/errors.js';
import { validateProducedBatches } from '../storage/validate.js';
import { boundsTimestamps, validateForLog } from '../storage/log-validator.js';
import type { RecordError, RecordRules } from '../storage/record-rules.js';
import { StorageError } from '../storage/errors.js';
import { notEnoughReplicas } from '../cluster/replica-manager.js';
import { isCompacted } from '../storage/config.js';
import type { PartitionLog } from '../storage/partition-log.js';
import type { RequestContext } from './handler.js';
import { produceVerificationError } from './txn-partitions.js';
import { ATTRIBUTES, BATCH_HEADER_BYTES, BATCH_LENGTH, LOG_OVERHEAD, PRODUCER_EPOCH, PRODUCER_ID, TRANSACTIONAL_BIT, readInt64 } from '../protocol/records/batch-header.js';

export interface AppendOutcome {
  errorCode: number;
  errorMessage: string | null;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  /** Produce v8+ (KIP-467): the records, by index in their batch, that made the batch fail. */
  recordErrors: RecordError[];
  /** Produce v10+ (KIP-951): the leader this broker knows, when it is not this one. */
  currentLeader?: { leaderId: number; leaderEpoch: number };
}

/** Batches that passed every check and may be placed in the log. */
export interface PreparedAppend {
  log: PartitionLog;
  topic: string;
  partition: number;
  records: Buffer;
  /** KIP-890: the guard of the producer whose transactional batch was verified with its coordinator. */
  verificationGuards?: ReadonlyMap<number, object>;
}

/** The outcome of a partition whose records were refused or could not be written. */
export function appendFailed(errorCode: number, errorMessage: string | null = null): AppendOutcome {
  return { errorCode, errorMessage, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [] };
}

/** Checks one partition's batches; an outcome is an error to answer with. */
export async function prepareAppend(ctx: RequestContext, topic: string, partition: number, records: Buffer | null, acks = 1): Promise<PreparedAppend | AppendOutcome> {
  const { replicas, clock, replication } = ctx.broker;
  if (replication !== null) {
    const notLeader = replication.notLeader(topic, partition);
    if (notLeader !== null) return { ...appendFailed(notLeader.errorCode), currentLeader: { leaderId: notLeader.leaderId, leaderEpoch: notLeader.leaderEpoch } };
    // acks=all needs min.insync.replicas in sync before anything is appended (Kafka's NotEnoughReplicasException).
    const minIsr = ctx.broker.topics.minInsyncReplicas(topic);
    const isr = replication.isrSize(topic, partition);
    if (acks === -1 && isr < minIsr) return appendFailed(ErrorCode.NOT_ENOUGH_REPLICAS, notEnoughReplicas(isr, minIsr, topic, partition));
  }
  const log = replicas.log(topic, partition);
  if (log === undefined) return appendFailed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (records === null || records.length === 0) return appendFailed(ErrorCode.CORRUPT_MESSAGE, 'Produce request carried no record batches.');
  const checked = await validateProducedBatches(records, log.config.maxMessageBytes, { recordRules: recordRules(log, topic, partition, clock.now()) });
  const { error } = checked;
  if (error?.recordErrors !== undefined) {
    // As Kafka: the batch is refused, the bad records named, and the log start offset given.
    return { ...appendFailed(error.code, error.message), logStartOffset: log.logStartOffset, recordErrors: error.recordErrors };
  }
  if (error !== undefined) return appendFailed(error.code, error.message);
  // The topic's compression.type; the bytes pass through untouched by default.
  const forLog = await validateForLog(records, checked.batches, log.config);
  if ('error' in forLog) return appendFailed(forLog.error.code, forLog.error.message);
  return { log, topic, partition, records: forLog.records };
}

/**
 * A compacted topic keeps the latest record per key, so it refuses records without one; a
 * CreateTime topic may bound its records' timestamps. Records are walked only when one of these
 * applies, or when a batch carries the LogAppendTime bit, which a producer may not set.
 */
function recordRules(log: PartitionLog, topic: string, partition: number, nowMs: number): RecordRules {
  const { messageTimestampBeforeMaxMs: beforeMaxMs, messageTimestampAfterMaxMs: afterMaxMs, messageTimestampType: timestampType } = log.config;
  return {
    topicPartition: `${topic}-${partition}`,
    requireKeys: isCompacted(log.config),
    timestampBounds: boundsTimestamps(log.config) ? { nowMs, beforeMaxMs, afterMaxMs } : null,
    timestampType,
  };
}

/**
 * Places prepared batches: offsets are assigned before this returns (in the caller's turn),
 * the promise settles once they are written.
 */
export function placeAppend(ctx: RequestContext, p: PreparedAppend, acks = 1, timeoutMs = 30_000): Promise<AppendOutcome> {
  const { replicas, logger, clock, replication } = ctx.broker;
  const appendTimeMs = p.log.config.messageTimestampType === 'LogAppendTime' ? clock.now() : undefined;
  return replicas.append(p.log, p.topic, p.partition, p.records, appendTimeMs, p.verificationGuards).then(
    async (r): Promise<AppendOutcome> => {
      if (r.duplicate !== true) ctx.broker.metrics?.produced(p.topic, r.lastOffset - r.baseOffset + 1, p.records.length);
      const done: AppendOutcome = { errorCode: 0, errorMessage: null, baseOffset: r.baseOffset, logAppendTimeMs: appendTimeMs ?? -1, logStartOffset: r.logStartOffset, recordErrors: [] };
      if (replication === null || acks !== -1) return done;
      // acks=all: answered once the ISR holds the records (the high watermark passed them).
      try {
        await replicas.awaitReplicated(p.topic, p.partition, r.lastOffset + 1, timeoutMs, ctx.broker.topics.minInsyncReplicas(p.topic));
      } catch (err) {
        if (err instanceof StorageError) return appendFailed(err.code, err.code === ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND ? err.message : null);
        throw err;
      }
      return done;
    },
    (err: unknown): AppendOutcome => {
      if (err instanceof StorageError) {
        if (err.code === ErrorCode.KAFKA_STORAGE_ERROR) logger.error('append failed', { topic: p.topic, partition: p.partition, err });
        return appendFailed(err.code, err.message);
      }
      throw err;
    },
  );
}

/**
 * KIP-890 before a transactional producer's batches are placed: each partition where the
 * producer has not yet written in its open transaction is verified with (Produce v0–11, when
 * transaction.partition.verification.enable) or added to (Produce v12, transactions v2) its
 * transaction by the coordinator, in one request; a partition it does not vouch for fails with
 * Kafka's error, the others carry the verification guard to the append.
 */
export async function checkTransactionalAppends(ctx: RequestContext, transactionalId: string | null, version: number, prepared: Array<Array<PreparedAppend | AppendOutcome>>): Promise<void> {
  const gateway = ctx.broker.txnPartitions;
  const add = version >= 12;
  if (transactionalId === null || gateway === undefined || (!add && !gateway.verifying)) return;
  const pending: Array<{ at: [number, number]; p: PreparedAppend; producerId: number; producerEpoch: number; guard: object }> = [];
  prepared.forEach((ps, ti) =>
    ps.forEach((p, pi) => {
      if (!('log' in p)) return;
      const producer = transactionalProducer(p.records);
      if (producer === null || p.log.producerState.inTransaction(producer.producerId, producer.producerEpoch)) return;
      pending.push({ at: [ti, pi], p, ...producer, guard: p.log.producerState.verificationGuard(producer.producerId) });
    }),
  );
  if (pending.length === 0) return;
  const fail = (t: (typeof pending)[number], code: number, message: string | null) => (prepared[t.at[0]]![t.at[1]] = appendFailed(code, message));
  const first = pending[0]!;
  if (pending.some((t) => t.producerId !== first.producerId || t.producerEpoch !== first.producerEpoch)) {
    for (const t of pending) fail(t, ErrorCode.INVALID_PRODUCER_ID_MAPPING, 'Transactional records contained more than one producer ID');
    return;
  }
  const codes = await gateway.check({
    transactionalId, producerId: first.producerId, producerEpoch: first.producerEpoch, verifyOnly: !add,
    partitions: pending.map((t) => ({ topic: t.p.topic, partition: t.p.partition })),
  });
  pending.forEach((t, i) => {
    const e = produceVerificationError(codes[i]!, version);
    if (e.code === ErrorCode.NONE) t.p.verificationGuards = new Map([[t.producerId, t.guard]]);
    else fail(t, e.code, e.message);
  });
}

/** The producer of the first transactional batch in `records`, or null when none is transactional. */
function transactionalProducer(records: Buffer): { producerId: number; producerEpoch: number } | null {
  for (let at = 0; at + BATCH_HEADER_BYTES <= records.length; at += LOG_OVERHEAD + records.readInt32BE(at + BATCH_LENGTH)) {
    if ((records.readInt16BE(at + ATTRIBUTES) & TRANSACTIONAL_BIT) !== 0) return { producerId: readInt64(records, at + PRODUCER_ID), producerEpoch: records.readInt16BE(at + PRODUCER_EPOCH) };
  }
  return null;
}
