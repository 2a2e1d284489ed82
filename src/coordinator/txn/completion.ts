/**
 * The second half of ending a transaction — markers to every partition, then the Complete record —
 * and the two timers: proactive abort of transactions past their timeout, and forgetting
 * transactional ids idle for transactional.id.expiration.ms.
 */
import { ErrorCode, errorName } from '../../protocol/errors.js';
import type { TxnCoordinator } from './coordinator.js';
import { NO_PRODUCER_ID, PRODUCER_EPOCH_MAX, type TxnMetadata } from './metadata.js';

/** First wait before retrying markers that failed; doubles up to the maximum. */
const MARKER_RETRY_BACKOFF_MS = 100;
const MARKER_RETRY_BACKOFF_MAX_MS = 5_000;

/**
 * Writes the markers and the Complete record of a transaction in PrepareCommit/PrepareAbort,
 * retrying in the background until they are written. Resolves the outcome of the first attempt.
 */
export function startCompletion(c: TxnCoordinator, m: TxnMetadata): Promise<number> {
  let first!: (code: number) => void;
  const firstResult = new Promise<number>((r) => (first = r));
  const loop = async () => {
    let backoffMs = MARKER_RETRY_BACKOFF_MS;
    for (let attemptNo = 0; ; attemptNo++) {
      const code = await attempt(c, m);
      if (attemptNo === 0) first(code);
      // A coordinator that lost the id's partition leaves the transaction to the next one.
      if (code === ErrorCode.NONE || !c.owns(m)) return;
      c.logger.warn('completing a transaction failed; retrying', { transactionalId: m.transactionalId, error: errorName(code), backoffMs });
      await sleep(c, backoffMs);
      backoffMs = Math.min(backoffMs * 2, MARKER_RETRY_BACKOFF_MAX_MS);
    }
  };
  m.completing = c.track(loop().finally(() => (m.completing = null)));
  return firstResult;
}

async function attempt(c: TxnCoordinator, m: TxnMetadata): Promise<number> {
  if (!c.owns(m)) return ErrorCode.NOT_COORDINATOR;
  if (m.state !== 'PrepareCommit' && m.state !== 'PrepareAbort') return ErrorCode.NONE;
  const commit = m.state === 'PrepareCommit';
  const marker = { producerId: m.producerId, producerEpoch: m.producerEpoch, commit, coordinatorEpoch: c.coordinatorEpochOf(m.partition) };
  const writes: Promise<number>[] = [];
  for (const [topic, partitions] of m.partitions)
    for (const p of partitions)
      writes.push(
        c.markers.write(topic, p, marker).then(
          () => ErrorCode.NONE,
          (err) => {
            const code = errorCodeOf(err);
            // Kafka drops markers for partitions that no longer exist; a marker older than the
            // producer's epoch there can never be written (the producer moved on), so it goes too.
            if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return ErrorCode.NONE;
            if (code === ErrorCode.INVALID_PRODUCER_EPOCH) {
              c.logger.warn('dropping a transaction marker older than the producer', { topic, partition: p, err });
              return ErrorCode.NONE;
            }
            c.logger.warn('writing a transaction marker failed', { topic, partition: p, err });
            return code;
          },
        ),
      );
  const failed = (await Promise.all(writes)).find((code) => code !== ErrorCode.NONE);
  if (failed !== undefined) return failed;
  // Transactions v2 whose epochs ran out move to the new producer id once the markers are written.
  const rotate = m.bumpsEpoch && m.nextProducerId !== NO_PRODUCER_ID;
  const ids = rotate ? { producerId: m.nextProducerId, producerEpoch: 0, previousProducerId: m.producerId } : {};
  return c.write(m, m.value({ state: commit ? 'CompleteCommit' : 'CompleteAbort', partitions: new Map(), nextProducerId: NO_PRODUCER_ID, ...ids, lastUpdateTimestampMs: c.clock.now() }));
}

/** Waits `ms` on the coordinator's clock, or less if it stops meanwhile. */
function sleep(c: TxnCoordinator, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const h = c.clock.setTimeout(resolve, ms);
    void c.stopping.then(() => {
      c.clock.clearTimeout(h);
      resolve();
    });
  });
}

/** The epoch a fencing bump moves to (Kafka keeps the last epoch when no bump is left). */
export function fencedEpoch(epoch: number): number {
  return epoch < PRODUCER_EPOCH_MAX - 1 ? epoch + 1 : epoch;
}

/**
 * Writes PrepareAbort with a fencing epoch bump (so the old producer's writes are refused) and
 * starts completing. Resolves the error of the PrepareAbort write.
 */
export async function fenceAndAbort(c: TxnCoordinator, m: TxnMetadata): Promise<number> {
  const now = c.clock.now();
  const code = await c.write(m, m.value({ producerEpoch: fencedEpoch(m.producerEpoch), state: 'PrepareAbort', lastUpdateTimestampMs: now }));
  if (code !== ErrorCode.NONE) return code;
  return startCompletion(c, m);
}

/** The transaction.abort.timed.out.transaction.cleanup.interval.ms task. */
export async function abortTimedOut(c: TxnCoordinator): Promise<void> {
  const now = c.clock.now();
  const due = (m: TxnMetadata) => m.state === 'Ongoing' && m.completing === null && m.startTimestampMs + m.timeoutMs < c.clock.now();
  for (const m of [...c.readyTxns()]) {
    if (c.isStopped || !due(m)) continue;
    await c.run(m, async () => {
      if (!due(m)) return;
      c.logger.info('aborting a transaction past its timeout', { transactionalId: m.transactionalId, producerId: m.producerId, timeoutMs: m.timeoutMs, ageMs: now - m.startTimestampMs });
      const code = await fenceAndAbort(c, m);
      if (code !== ErrorCode.NONE) c.logger.warn('aborting a timed-out transaction failed; will retry', { transactionalId: m.transactionalId, error: errorName(code) });
    });
  }
}

/** The transaction.remove.expired.transaction.cleanup.interval.ms task: tombstones for idle ids. */
export async function removeExpiredIds(c: TxnCoordinator): Promise<void> {
  const expired = (m: TxnMetadata) => m.isIdle && m.completing === null && m.lastUpdateTimestampMs + c.config.idExpirationMs <= c.clock.now();
  let removed = 0;
  for (const m of [...c.readyTxns()]) {
    if (c.isStopped || !expired(m)) continue;
    await c.run(m, async () => {
      if (!expired(m) || c.txns.get(m.transactionalId) !== m) return;
      if ((await c.write(m, null)) === ErrorCode.NONE) removed++;
    });
  }
  if (removed > 0) c.logger.info('expired idle transactional ids', { count: removed });
}

/** The Kafka error code an error carries (KafkaError, StorageError), else KAFKA_STORAGE_ERROR. */
export function errorCodeOf(err: unknown): number {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : ErrorCode.KAFKA_STORAGE_ERROR;
}
