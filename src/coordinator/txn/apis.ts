/**
 * The transaction APIs as Kafka's TransactionCoordinator answers them: InitProducerId with a
 * transactional id, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, DescribeTransactions and
 * ListTransactions. Each change is one record of `__transaction_state`, written under the id's
 * lock and replayed before the answer. Errors are Kafka's newest; handlers map PRODUCER_FENCED to
 * INVALID_PRODUCER_EPOCH for the versions that predate it.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { TxnCoordinator } from './coordinator.js';
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, PRODUCER_EPOCH_MAX, type TxnMetadata } from './metadata.js';
import { TXN_STATE_DISPLAY, txnStateName, TxnState, type TxnStateName } from './records.js';
import { fenceAndAbort, startCompletion } from './completion.js';

const OFFSETS_TOPIC = '__consumer_offsets';

export interface InitProducerIdArgs {
  transactionalId: string;
  transactionTimeoutMs: number;
  /** v3+ (KIP-360): the id and epoch the producer has, or -1 for none. */
  producerId: number;
  producerEpoch: number;
}

export interface InitProducerIdResult {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface AddPartitionsArgs {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  partitions: TopicPartition[];
  /** The producer's transaction version when a transaction starts: 2 when a leader adds the partition for it (Produce v12, TxnOffsetCommit v5). */
  clientTransactionVersion?: number;
}

export interface VerifyPartitionsArgs {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  partitions: TopicPartition[];
}

export interface AddOffsetsArgs {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  groupId: string;
}

export interface EndTxnArgs {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  commit: boolean;
  /** 2 for EndTxn v5+ (KIP-890 transactions v2): the epoch is bumped, and the new one answered. */
  clientTransactionVersion: number;
}

export interface EndTxnResult {
  errorCode: number;
  /** The id and epoch the producer goes on with (EndTxn v5); -1 on an error. */
  producerId: number;
  producerEpoch: number;
}

export interface DescribedTxn {
  errorCode: number;
  transactionalId: string;
  transactionState: string;
  transactionTimeoutMs: number;
  transactionStartTimeMs: number;
  producerId: number;
  producerEpoch: number;
  topics: Array<{ topic: string; partitions: number[] }>;
}

export interface ListFilter {
  states: string[];
  producerIds: number[];
  /** v1: only transactions started more than this long ago; -1 for all. */
  durationFilterMs: number;
}

export interface ListResult {
  errorCode: number;
  unknownStateFilters: string[];
  transactionStates: Array<{ transactionalId: string; producerId: number; transactionState: string }>;
}

export async function initProducerId(c: TxnCoordinator, a: InitProducerIdArgs): Promise<InitProducerIdResult> {
  const fail = (errorCode: number): InitProducerIdResult => ({ errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });
  if (a.transactionTimeoutMs <= 0 || a.transactionTimeoutMs > c.config.maxTimeoutMs) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  const error = c.idError(a.transactionalId);
  if (error !== null) return fail(error);
  const m = c.getOrCreate(a.transactionalId);
  return c.run(m, async () => {
    if (c.txns.get(a.transactionalId) !== m || m.completing !== null) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    const ok = (): InitProducerIdResult => ({ errorCode: ErrorCode.NONE, producerId: m.producerId, producerEpoch: m.producerEpoch });
    const now = c.clock.now();
    if (m.producerId === NO_PRODUCER_ID) {
      let producerId: number;
      try {
        producerId = await c.producerIds.allocate();
      } catch (err) {
        c.logger.warn('allocating a producer id failed', { err });
        c.txns.delete(a.transactionalId);
        return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
      const code = await c.write(m, { producerId, producerEpoch: 0, transactionTimeoutMs: a.transactionTimeoutMs, state: 'Empty', partitions: [], lastUpdateTimestampMs: now, startTimestampMs: -1 });
      if (code !== ErrorCode.NONE) {
        if (m.producerId === NO_PRODUCER_ID) c.txns.delete(a.transactionalId);
        return fail(code);
      }
      return ok();
    }
    if (a.producerId !== NO_PRODUCER_ID) {
      // A retry of a bump whose answer was lost gets the same id and epoch again.
      if (a.producerId === m.lastProducerId && a.producerEpoch === m.lastProducerEpoch && m.state === 'Empty') return ok();
      if (a.producerId !== m.producerId || a.producerEpoch !== m.producerEpoch) return fail(ErrorCode.PRODUCER_FENCED);
    }
    if (m.state === 'PrepareCommit' || m.state === 'PrepareAbort') {
      void startCompletion(c, m);
      return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    }
    if (m.state === 'Ongoing') {
      // A new instance of the producer: fence the old one and abort what it left open, then bump again below.
      const code = await fenceAndAbort(c, m);
      if (code !== ErrorCode.NONE || !m.isIdle) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    }
    if (!m.isIdle) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    let producerId = m.producerId;
    let producerEpoch = m.producerEpoch + 1;
    if (producerEpoch >= PRODUCER_EPOCH_MAX - 1) {
      // The epochs of this id are used up: a new producer id starts again at 0.
      try {
        producerId = await c.producerIds.allocate();
      } catch (err) {
        c.logger.warn('allocating a producer id failed', { err });
        return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
      producerEpoch = 0;
    }
    const code = await c.write(m, m.value({ producerId, producerEpoch, transactionTimeoutMs: a.transactionTimeoutMs, state: 'Empty', partitions: new Map(), lastUpdateTimestampMs: now, startTimestampMs: -1 }));
    return code === ErrorCode.NONE ? ok() : fail(code);
  });
}

/** The checks every request of an ongoing producer passes: null, or the error. */
function producerError(m: TxnMetadata, producerId: number, producerEpoch: number): number | null {
  if (m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
  if (m.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
  if (m.completing !== null) return ErrorCode.CONCURRENT_TRANSACTIONS;
  return null;
}

/** One error for all the partitions: Kafka adds all or none. */
export async function addPartitionsToTxn(c: TxnCoordinator, a: AddPartitionsArgs): Promise<number> {
  const error = c.idError(a.transactionalId);
  if (error !== null) return error;
  const m = c.txns.get(a.transactionalId);
  if (m === undefined) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
  return c.run(m, async () => {
    if (c.txns.get(a.transactionalId) !== m) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    const bad = producerError(m, a.producerId, a.producerEpoch);
    if (bad !== null) return bad;
    if (m.state === 'Ongoing' && a.partitions.every((p) => m.has(p.topic, p.partition))) return ErrorCode.NONE;
    if (m.state !== 'Ongoing' && !m.isIdle) return ErrorCode.CONCURRENT_TRANSACTIONS;
    const now = c.clock.now();
    const starting = m.isIdle;
    const partitions = new Map<string, Set<number>>();
    if (!starting) for (const [t, ps] of m.partitions) partitions.set(t, new Set(ps));
    for (const p of a.partitions) {
      let set = partitions.get(p.topic);
      if (set === undefined) partitions.set(p.topic, (set = new Set()));
      set.add(p.partition);
    }
    const version = starting ? { clientTransactionVersion: a.clientTransactionVersion ?? 0 } : {};
    return c.write(m, m.value({ state: 'Ongoing', partitions, lastUpdateTimestampMs: now, startTimestampMs: starting ? now : m.startTimestampMs, ...version }));
  });
}

/**
 * KIP-890's verification (AddPartitionsToTxn v4+ with VerifyOnly, from a partition leader before
 * it appends a transactional batch): per partition NONE when it is in the producer's ongoing
 * transaction, else TRANSACTION_ABORTABLE; one error for all when the producer is not the
 * current one or its transaction is ending.
 */
export function verifyPartitions(c: TxnCoordinator, a: VerifyPartitionsArgs): Map<TopicPartition, number> {
  const all = (code: number) => new Map(a.partitions.map((p) => [p, code]));
  const error = c.idError(a.transactionalId);
  if (error !== null) return all(error);
  const m = c.txns.get(a.transactionalId);
  if (m === undefined || m.producerId !== a.producerId) return all(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  if (m.producerEpoch !== a.producerEpoch) return all(ErrorCode.PRODUCER_FENCED);
  if (m.state === 'PrepareCommit' || m.state === 'PrepareAbort' || m.completing !== null) return all(ErrorCode.CONCURRENT_TRANSACTIONS);
  return new Map(a.partitions.map((p) => [p, m.state === 'Ongoing' && m.has(p.topic, p.partition) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE]));
}

/** Adds the group's partition of __consumer_offsets to the transaction. */
export function addOffsetsToTxn(c: TxnCoordinator, a: AddOffsetsArgs): Promise<number> {
  if (a.groupId === '') return Promise.resolve(ErrorCode.INVALID_GROUP_ID);
  const partition = c.offsetsPartitionFor(a.groupId);
  return addPartitionsToTxn(c, { ...a, partitions: [{ topic: OFFSETS_TOPIC, partition }] });
}

export async function endTxn(c: TxnCoordinator, a: EndTxnArgs): Promise<EndTxnResult> {
  const fail = (errorCode: number): EndTxnResult => ({ errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });
  const error = c.idError(a.transactionalId);
  if (error !== null) return fail(error);
  const m = c.txns.get(a.transactionalId);
  if (m === undefined) return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  return c.run(m, async (): Promise<EndTxnResult> => {
    if (c.txns.get(a.transactionalId) !== m) return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    const bad = endTxnProducerError(m, a);
    if (bad !== null) return fail(bad);
    if (m.completing !== null) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    const current = (): EndTxnResult => ({ errorCode: ErrorCode.NONE, producerId: m.producerId, producerEpoch: m.producerEpoch });
    const want = (commit: TxnStateName, abort: TxnStateName) => (a.commit ? commit : abort);
    switch (m.state) {
      case 'Ongoing': {
        // Transactions v2: the epoch moves on at every end, so that a write of this transaction
        // arriving late is fenced; when the epochs are used up, the producer moves to a new id.
        const bump = a.clientTransactionVersion >= 2;
        let nextProducerId = NO_PRODUCER_ID;
        if (bump && m.producerEpoch >= PRODUCER_EPOCH_MAX - 1) {
          try {
            nextProducerId = await c.producerIds.allocate();
          } catch (err) {
            c.logger.warn('allocating a producer id failed', { err });
            return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
          }
        }
        const producerEpoch = bump ? m.producerEpoch + 1 : m.producerEpoch;
        const code = await c.write(m, m.value({ state: want('PrepareCommit', 'PrepareAbort'), producerEpoch, nextProducerId, clientTransactionVersion: a.clientTransactionVersion, lastUpdateTimestampMs: c.clock.now() }));
        if (code !== ErrorCode.NONE) return fail(code);
        const answer: EndTxnResult = nextProducerId === NO_PRODUCER_ID ? current() : { errorCode: ErrorCode.NONE, producerId: nextProducerId, producerEpoch: 0 };
        // The outcome is decided once the Prepare record is written; markers that fail are retried.
        await startCompletion(c, m);
        return answer;
      }
      case 'PrepareCommit':
      case 'PrepareAbort':
        if (m.state !== want('PrepareCommit', 'PrepareAbort')) return fail(ErrorCode.INVALID_TXN_STATE);
        void startCompletion(c, m);
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      case 'CompleteCommit':
      case 'CompleteAbort':
        // A retry of an EndTxn that already completed.
        return m.state === want('CompleteCommit', 'CompleteAbort') ? current() : fail(ErrorCode.INVALID_TXN_STATE);
      default:
        return fail(ErrorCode.INVALID_TXN_STATE);
    }
  });
}

/**
 * Kafka's checks of an EndTxn's producer id and epoch. With transactions v1 the epoch must be the
 * current one. With v2 the current one is also required while the transaction is open, but a
 * retry of an EndTxn that already bumped the epoch comes with the one before it (or, after the
 * epochs ran out, with the previous id and the last epoch).
 */
function endTxnProducerError(m: TxnMetadata, a: EndTxnArgs): number | null {
  const retryOnOverflow = m.bumpsEpoch && m.previousProducerId === a.producerId && a.producerEpoch === PRODUCER_EPOCH_MAX - 1 && m.producerEpoch === 0;
  if (m.producerId !== a.producerId && !retryOnOverflow) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
  const retryOnBump = m.bumpsEpoch && m.producerEpoch === a.producerEpoch + 1;
  let valid: boolean;
  if (!m.bumpsEpoch) valid = a.producerEpoch === m.producerEpoch;
  else if (m.state === 'PrepareCommit' || m.state === 'PrepareAbort') valid = retryOnBump;
  else if (m.state === 'CompleteCommit' || m.state === 'CompleteAbort') valid = retryOnBump || retryOnOverflow;
  else valid = a.producerEpoch === m.producerEpoch;
  return valid ? null : ErrorCode.PRODUCER_FENCED;
}

export function describeTransaction(c: TxnCoordinator, transactionalId: string): DescribedTxn {
  const base: DescribedTxn = { errorCode: ErrorCode.NONE, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH, topics: [] };
  const error = transactionalId === '' ? ErrorCode.TRANSACTIONAL_ID_NOT_FOUND : c.idError(transactionalId);
  if (error !== null) return { ...base, errorCode: error };
  const m = c.txns.get(transactionalId);
  if (m === undefined || m.producerId === NO_PRODUCER_ID) return { ...base, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND };
  return {
    ...base,
    transactionState: TXN_STATE_DISPLAY[m.state],
    transactionTimeoutMs: m.timeoutMs,
    transactionStartTimeMs: m.startTimestampMs,
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    topics: [...m.partitions].map(([topic, ps]) => ({ topic, partitions: [...ps].sort((x, y) => x - y) })),
  };
}

export function listTransactions(c: TxnCoordinator, f: ListFilter): ListResult {
  const known = new Set(Object.keys(TxnState));
  const unknownStateFilters = f.states.filter((s) => !known.has(s));
  const out: ListResult = { errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates: [] };
  if (c.isStopped) return { ...out, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
  if (c.isLoading) return { ...out, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS };
  if (unknownStateFilters.length > 0 && unknownStateFilters.length === f.states.length) return out;
  const states = new Set(f.states);
  const pids = new Set(f.producerIds);
  const now = c.clock.now();
  for (const m of c.readyTxns()) {
    if (m.producerId === NO_PRODUCER_ID) continue;
    const state = TXN_STATE_DISPLAY[txnStateName(TxnState[m.state])];
    if (states.size > 0 && !states.has(state)) continue;
    if (pids.size > 0 && !pids.has(m.producerId)) continue;
    // Kafka's rule: only those whose (last) transaction started more than the filter ago.
    if (f.durationFilterMs >= 0 && now - m.startTimestampMs <= f.durationFilterMs) continue;
    out.transactionStates.push({ transactionalId: m.transactionalId, producerId: m.producerId, transactionState: state });
  }
  return out;
}
