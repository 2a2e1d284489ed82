/**
 * The transaction coordinator (Kafka's TransactionCoordinator and TransactionStateManager): the
 * state of every transactional id, kept in `__transaction_state`.
 *
 * As for groups, a change is a record: computed from the state as it is, appended to the id's
 * partition, and replayed into memory once written, before the answer. Start-up replays each
 * partition (COORDINATOR_LOAD_IN_PROGRESS until then) and then finishes the transactions it finds
 * half-ended (PrepareCommit / PrepareAbort): markers, then the Complete record. Operations on one
 * id run one at a time. The APIs are in apis.ts, markers and timers in completion.ts.
 */
import { assert } from '../../util/assert.js';
import type { Logger } from '../../util/logger.js';
import type { Clock, TimerHandle } from '../../platform/clock.js';
import { ErrorCode } from '../../protocol/errors.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../protocol/records/record-batch.js';
import type { TxnCoordinatorConfig } from './config.js';
import { TxnMetadata } from './metadata.js';
import { decodeTxnRecord, encodeTxnRecord, txnPartition, TxnRecordError, type TxnLogRecord, type TxnLogValue } from './records.js';
import { TXN_STATE_TOPIC, type MarkerWriter, type TxnStateLog } from './state-topic.js';
import * as apis from './apis.js';
import * as completion from './completion.js';
import { CoordinatorPartitions } from '../partitions.js';


/** Hands out producer ids that are never reused, across restarts too. */
export interface ProducerIdSource {
  allocate(): Promise<number>;
}

export interface TxnCoordinatorOptions {
  config: TxnCoordinatorConfig;
  clock: Clock;
  logger: Logger;
  log: TxnStateLog;
  markers: MarkerWriter;
  producerIds: ProducerIdSource;
  /** The __consumer_offsets partition of a group (AddOffsetsToTxn). */
  offsetsPartitionFor: (groupId: string) => number;
  /** In a cluster: serve only the partitions this broker leads (`onElection` / `onResignation`). */
  followsLeadership?: boolean;
}

export class TxnCoordinator {
  readonly config: TxnCoordinatorConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly log: TxnStateLog;
  readonly markers: MarkerWriter;
  readonly producerIds: ProducerIdSource;
  readonly offsetsPartitionFor: (groupId: string) => number;
  readonly txns = new Map<string, TxnMetadata>();
  /** Which partitions of __transaction_state are served; none while the topic does not exist. */
  private readonly parts: CoordinatorPartitions;
  private stopped = false;
  private onStop!: () => void;
  /** Resolves when stop() begins, so that waits (marker retries) end early. */
  readonly stopping = new Promise<void>((r) => (this.onStop = r));
  private timers: TimerHandle[] = [];
  readonly inFlight = new Set<Promise<unknown>>();

  constructor(o: TxnCoordinatorOptions) {
    this.config = o.config;
    this.clock = o.clock;
    this.logger = o.logger;
    this.log = o.log;
    this.markers = o.markers;
    this.producerIds = o.producerIds;
    this.offsetsPartitionFor = o.offsetsPartitionFor;
    this.parts = new CoordinatorPartitions({
      log: this.log,
      spec: () => ({ partitions: this.config.stateLogPartitions, segmentBytes: this.config.stateLogSegmentBytes, configs: { 'min.insync.replicas': String(this.config.stateLogMinIsr) } }),
      partitionOf: txnPartition,
      topicName: TXN_STATE_TOPIC,
      logger: this.logger,
      followsLeadership: o.followsLeadership,
      loader: {
        load: (p, cancelled) => this.loadPartition(p, cancelled),
        loaded: (p) => this.onPartitionLoaded(p),
        drop: (p) => this.dropPartition(p),
      },
    });
  }

  /**
   * Starts the expiry timers and, alone, loading an existing __transaction_state; in a cluster
   * partitions load as this broker is elected their leader.
   */
  start(): void {
    const count = this.parts.followsLeadership ? null : this.log.partitionCount();
    if (count !== null) this.parts.loadAll(count);
    this.every(this.config.abortTimedOutIntervalMs, () => completion.abortTimedOut(this));
    this.every(this.config.removeExpiredIntervalMs, () => completion.removeExpiredIds(this));
  }

  /**
   * In a cluster, this broker now leads a partition of __transaction_state (Kafka's onElection):
   * its transactional ids load from the log, and transactions it finds half-ended are completed
   * by this coordinator, whose epoch is the partition's leader epoch.
   */
  onElection(partition: number, leaderEpoch: number): void {
    this.parts.electAndLoad(partition, leaderEpoch);
  }

  /** In a cluster, this broker no longer leads a partition (Kafka's onResignation): its ids go. */
  onResignation(partition: number): void {
    this.parts.resign(partition);
  }

  /** The epoch this coordinator writes in markers for ids of `partition` (its leader epoch; 0 alone). */
  coordinatorEpochOf(partition: number): number {
    return Math.max(0, this.parts.leaderEpochOf(partition));
  }

  /** Whether `m` is still this coordinator's to complete (its partition is still led in the same term). */
  owns(m: TxnMetadata): boolean {
    return !this.stopped && this.txns.get(m.transactionalId) === m && this.parts.termOf(m.partition) !== null;
  }

  private dropPartition(partition: number): void {
    for (const m of [...this.txns.values()]) if (m.partition === partition) this.txns.delete(m.transactionalId);
  }

  /** A partition's ids are loaded: the transactions found decided but not completed are completed. */
  private onPartitionLoaded(p: number): void {
    for (const m of this.txns.values())
      if (m.partition === p && (m.state === 'PrepareCommit' || m.state === 'PrepareAbort')) completion.startCompletion(this, m);
  }

  loaded(): Promise<void> {
    return this.parts.loaded();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const partsStopped = this.parts.stop();
    this.onStop();
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers = [];
    await this.parts.loaded();
    await partsStopped;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Resolves once nothing is queued or running (tests use it after moving a ManualClock). */
  async whenIdle(): Promise<void> {
    for (let rounds = 0; rounds < 100; rounds++) {
      await new Promise((r) => setImmediate(r));
      if (this.inFlight.size === 0) return;
      await Promise.allSettled([...this.inFlight]);
    }
  }

  private every(ms: number, task: () => Promise<void>): void {
    const schedule = () => {
      if (this.stopped) return;
      const handle = this.clock.setTimeout(() => {
        this.timers = this.timers.filter((t) => t !== handle);
        void this.track(task()).catch((err) => this.logger.error('transaction coordinator task failed', { err })).finally(schedule);
      }, ms);
      this.timers.push(handle);
    };
    schedule();
  }

  /** Keeps a promise in the set stop() waits for. */
  track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  /** Replays one partition's records into memory. */
  private async loadPartition(p: number, cancelled: () => boolean): Promise<void> {
    const end = this.log.endOffset(p);
    let offset = this.log.logStartOffset(p);
    let records = 0;
    while (offset < end && !cancelled()) {
      const batches = await decodeRecordBatches(await this.log.read(p, offset, this.config.loadBufferBytes, end));
      if (batches.length === 0) break;
      for (const batch of batches) {
        const next = batch.baseOffset + batch.lastOffsetDelta + 1;
        if (next <= offset) continue;
        offset = next;
        for (const r of batch.records) {
          let rec: TxnLogRecord | null;
          try {
            rec = decodeTxnRecord(r.key, r.value);
          } catch (err) {
            if (!(err instanceof TxnRecordError)) throw err;
            this.logger.error('skipping an unreadable __transaction_state record', { partition: p, offset: batch.baseOffset + r.offsetDelta, err: err.message });
            continue;
          }
          if (rec === null) continue;
          this.replay(p, rec);
          records++;
        }
      }
    }
    if (records > 0 && !cancelled()) this.logger.info('loaded transaction state', { partition: p, records, coordinatorEpoch: this.coordinatorEpochOf(p) });
  }

  /** Applies one record to memory: the only way durable transaction state changes. */
  replay(partition: number, rec: TxnLogRecord): void {
    const existing = this.txns.get(rec.transactionalId);
    if (rec.value === null) {
      if (existing !== undefined) existing.state = 'Dead';
      this.txns.delete(rec.transactionalId);
      return;
    }
    const m = existing ?? new TxnMetadata(rec.transactionalId, partition);
    m.applyRecord(rec.value);
    if (existing === undefined) this.txns.set(rec.transactionalId, m);
  }

  /** Appends one record for `m`; once written, replays it and resolves NONE, else the error for the client. */
  async write(m: TxnMetadata, value: TxnLogValue | null): Promise<number> {
    if (this.stopped) return ErrorCode.NOT_COORDINATOR;
    const rec: TxnLogRecord = { transactionalId: m.transactionalId, value };
    const term = this.parts.termOf(m.partition);
    try {
      const batch = await encodeRecordBatch([encodeTxnRecord(rec)], { timestamp: this.clock.now() });
      await this.log.append(m.partition, batch);
    } catch (err) {
      const code = appendErrorCode(err);
      this.logger.warn('writing to __transaction_state failed', { transactionalId: m.transactionalId, code, err });
      return code;
    }
    // Leadership of the partition moved while the write waited: the new coordinator replays it.
    if (this.parts.termOf(m.partition) !== term) return ErrorCode.NOT_COORDINATOR;
    this.replay(m.partition, rec);
    return ErrorCode.NONE;
  }

  /** Null when this coordinator can serve the transactional id now, else the error (creating the topic if missing). */
  idError(transactionalId: string): number | null {
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST;
    return this.parts.error(transactionalId);
  }

  /** FindCoordinator key type 1: null when this broker coordinates the id, else the error. */
  findCoordinatorError(transactionalId: string): number | null {
    return this.parts.findCoordinatorError(transactionalId);
  }

  /** The partition of __transaction_state that holds an id (null until the topic exists). */
  partitionFor(transactionalId: string): number | null {
    return this.parts.partitionFor(transactionalId);
  }

  get isLoading(): boolean {
    return this.parts.isLoading;
  }

  /** The metadata of an id, creating an entry in memory only (it is durable once a record is written). */
  getOrCreate(transactionalId: string): TxnMetadata {
    let m = this.txns.get(transactionalId);
    if (m === undefined) {
      const partition = this.parts.partitionFor(transactionalId);
      assert(partition !== null, 'a transactional id is created only once its partition is ready');
      m = new TxnMetadata(transactionalId, partition);
      this.txns.set(transactionalId, m);
    }
    return m;
  }

  /** Runs an operation on one id after the ones before it; tracked so stop() waits for it. */
  run<T>(m: TxnMetadata, fn: () => Promise<T> | T): Promise<T> {
    return this.track(m.exclusive(fn));
  }

  /** Transactional ids in loaded partitions. */
  *readyTxns(): Generator<TxnMetadata> {
    for (const m of this.txns.values()) if (this.parts.isReady(m.partition)) yield m;
  }

  /** A topic was deleted: __transaction_state itself means every transactional id is forgotten. */
  onTopicDeleted(topic: string): void {
    if (topic !== TXN_STATE_TOPIC) return;
    this.logger.warn('__transaction_state was deleted: every transactional id is forgotten');
    this.txns.clear();
    this.parts.reset();
  }

  // The APIs, by Kafka request.
  initProducerId(a: apis.InitProducerIdArgs) {
    return apis.initProducerId(this, a);
  }
  addPartitionsToTxn(a: apis.AddPartitionsArgs) {
    return apis.addPartitionsToTxn(this, a);
  }
  addOffsetsToTxn(a: apis.AddOffsetsArgs) {
    return apis.addOffsetsToTxn(this, a);
  }
  verifyPartitions(a: apis.VerifyPartitionsArgs) {
    return apis.verifyPartitions(this, a);
  }
  endTxn(a: apis.EndTxnArgs) {
    return apis.endTxn(this, a);
  }
  describeTransaction(transactionalId: string) {
    return apis.describeTransaction(this, transactionalId);
  }
  listTransactions(f: apis.ListFilter) {
    return apis.listTransactions(this, f);
  }
}

/** Kafka's mapping of a failed append to __transaction_state to what the client is told. */
function appendErrorCode(err: unknown): number {
  const code = completion.errorCodeOf(err);
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}
