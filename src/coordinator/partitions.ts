/**
 * Which partitions of a coordinator's internal topic this broker serves, shared by the group and
 * transaction coordinators, whose keys map to partitions by Kafka's hash.
 *
 * Alone, a broker serves every partition: none while the topic does not exist (asking creates
 * it), then each loading → ready (or failed). In a cluster it serves only the partitions it leads
 * (Kafka's onElection / onResignation): an election starts a load (COORDINATOR_LOAD_IN_PROGRESS
 * until the partition is replayed), a resignation forgets the partition (NOT_COORDINATOR). Each
 * election gets a new term, so a load or write begun under an older one knows it is stale.
 */
import type { Logger } from '../util/logger.js';
import { ErrorCode } from '../protocol/errors.js';
import type { CoordinatorLog, InternalTopicSpec } from './internal-topic.js';

export type PartitionState = 'loading' | 'ready' | 'failed';

/** What a coordinator does with a partition's state in memory as it is loaded and let go. */
export interface PartitionLoader {
  /** Replays the partition from its log into memory, stopping early once `cancelled()` says so. */
  load(partition: number, cancelled: () => boolean): Promise<void>;
  /** The partition was replayed whole: make its state live (timers, unfinished work); it is served next. */
  loaded(partition: number): void;
  /** Forgets whatever the partition has in memory, answering what waits on it with NOT_COORDINATOR. */
  drop(partition: number): void;
}

export interface CoordinatorPartitionsOptions {
  log: CoordinatorLog;
  /** Partition count and segment size to create the topic with. */
  spec: () => InternalTopicSpec;
  /** The partition of a key (Kafka's `Utils.abs(key.hashCode) % count`). */
  partitionOf: (key: string, count: number) => number;
  topicName: string;
  logger: Logger;
  loader: PartitionLoader;
  /**
   * In a cluster: partitions are served only while this broker leads them, as `elect` and
   * `resign` say. Alone (false), every partition of the topic is served.
   */
  followsLeadership?: boolean;
}

interface Served {
  state: PartitionState;
  /** Which election this is; stale work compares its term with the current one. */
  term: number;
  /** The partition's leader epoch at the election (the transaction coordinator's epoch). */
  leaderEpoch: number;
}

export class CoordinatorPartitions {
  private readonly served = new Map<number, Served>();
  /** Alone: the topic's partition count once known (null while it does not exist). */
  private knownCount: number | null = null;
  private creating: Promise<void> | null = null;
  private stopped = false;
  private terms = 0;
  private lastCreateError = -Infinity;
  /** Loads run one at a time, in the order queued (as Kafka's single loading thread). */
  private loads: Promise<void> = Promise.resolve();

  constructor(private readonly opts: CoordinatorPartitionsOptions) {}

  get followsLeadership(): boolean {
    return this.opts.followsLeadership === true;
  }

  /** The partition count, or null while the topic does not exist. */
  get count(): number | null {
    return this.followsLeadership ? this.opts.log.partitionCount() : this.knownCount;
  }

  /** True while some partition is still loading (ListGroups reports it). */
  get isLoading(): boolean {
    for (const s of this.served.values()) if (s.state === 'loading') return true;
    return false;
  }

  /** Alone: loads every partition of the topic found at start-up, one after the other. */
  loadAll(count: number): void {
    this.knownCount = count;
    const terms = Array.from({ length: count }, (_, p) => this.elect(p, 0));
    void this.queueLoad(async () => {
      for (let p = 0; p < count && !this.stopped; p++) await this.loadTerm(p, terms[p]!);
    });
  }

  /**
   * An election (Kafka's onElection): the partition is served from now on, loading, under a new
   * term; once the loads queued before it ended, what an older term left is dropped and the
   * partition replayed (unless another election or a resignation came first).
   */
  electAndLoad(partition: number, leaderEpoch: number): void {
    if (this.stopped) return;
    const term = this.elect(partition, leaderEpoch);
    void this.queueLoad(() => this.loadTerm(partition, term));
  }

  /** A resignation (Kafka's onResignation): the partition is no longer served, its state goes. */
  resign(partition: number): void {
    this.served.delete(partition);
    this.opts.loader.drop(partition);
  }

  /** Resolves once every load queued so far has ended. */
  loaded(): Promise<void> {
    return this.loads;
  }

  /** This broker serves `partition` (leading it with `leaderEpoch`): loading, under a new term. */
  private elect(partition: number, leaderEpoch: number): number {
    const term = ++this.terms;
    this.served.set(partition, { state: 'loading', term, leaderEpoch });
    return term;
  }

  /** Loads run one at a time, in the order queued (as Kafka's single loading thread). */
  private queueLoad(fn: () => Promise<void>): Promise<void> {
    this.loads = this.loads.then(fn).catch((err: unknown) => this.opts.logger.error(`loading ${this.opts.topicName} failed`, { err }));
    return this.loads;
  }

  private async loadTerm(partition: number, term: number): Promise<void> {
    if (this.termOf(partition) !== term) return;
    const { loader, logger, topicName } = this.opts;
    const stale = () => this.stopped || this.termOf(partition) !== term;
    loader.drop(partition);
    try {
      await loader.load(partition, stale);
    } catch (err) {
      if (this.set(partition, 'failed', term)) logger.error(`loading ${topicName} failed; the partition is not served`, { partition, err });
      return;
    }
    if (stale()) {
      // Leadership moved on while loading: what was replayed is not this broker's to serve.
      if (!this.stopped && this.termOf(partition) === null) loader.drop(partition);
      return;
    }
    loader.loaded(partition);
    this.set(partition, 'ready', term);
  }

  /** Sets a partition's state, if `term` is still its current one; false when it is stale. */
  private set(partition: number, state: PartitionState, term: number): boolean {
    const s = this.served.get(partition);
    if (s === undefined || s.term !== term) return false;
    s.state = state;
    return true;
  }

  /** The current term of a served partition, or null when it is not served. */
  termOf(partition: number): number | null {
    return this.served.get(partition)?.term ?? null;
  }

  /** The leader epoch of a served partition's election (0 alone), or -1. */
  leaderEpochOf(partition: number): number {
    return this.served.get(partition)?.leaderEpoch ?? -1;
  }

  isReady(partition: number): boolean {
    return this.served.get(partition)?.state === 'ready';
  }

  /** The partition of a key, or null while the topic does not exist. */
  partitionFor(key: string): number | null {
    const count = this.count;
    return count === null ? null : this.opts.partitionOf(key, count);
  }

  /** Null when the key's partition can be served now, else the error (creating the topic if missing). */
  error(key: string): number | null {
    if (this.stopped) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const p = this.partitionFor(key);
    if (p === null) {
      this.ensureTopic();
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    switch (this.served.get(p)?.state) {
      case 'loading':
        return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
      case 'ready':
        return null;
      case 'failed':
        return ErrorCode.NOT_COORDINATOR;
      case undefined:
        // Alone, a partition is unserved only while the topic's creation completes.
        return this.followsLeadership ? ErrorCode.NOT_COORDINATOR : ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  /**
   * FindCoordinator: null when the key's coordinator can be named (alone: this broker; in a
   * cluster: its partition's leader), else the error (creating the topic if missing).
   */
  findCoordinatorError(key: string): number | null {
    if (this.stopped) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const p = this.partitionFor(key);
    if (p === null) {
      this.ensureTopic();
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    if (this.followsLeadership) return null;
    const state = this.served.get(p)?.state;
    return state === undefined || state === 'failed' ? ErrorCode.COORDINATOR_NOT_AVAILABLE : null;
  }

  /**
   * Creates the topic in the background. Alone its partitions are empty, so ready at once; in a
   * cluster their leaders are elected through the metadata store, and `elect` follows.
   */
  private ensureTopic(): void {
    if (this.creating !== null || this.stopped) return;
    const { log, topicName, logger } = this.opts;
    this.creating = log.create(this.opts.spec()).then(
      () => {
        const count = log.partitionCount();
        if (count === null) throw new Error(`${topicName} was created but has no partitions`);
        if (!this.followsLeadership && this.knownCount === null) {
          this.knownCount = count;
          for (let p = 0; p < count; p++) this.set(p, 'ready', this.elect(p, 0));
        }
        logger.info(`created ${topicName}`, { partitions: count });
      },
      (err) => {
        // Retried on every request (a cluster may lack brokers for a while): logged once a minute.
        const now = Date.now();
        if (now - this.lastCreateError >= 60_000) {
          this.lastCreateError = now;
          logger.error(`creating ${topicName} failed; retrying on each request`, { err: err instanceof Error ? err.message : err });
        }
        this.creating = null;
      },
    );
  }

  /** Stops creating and serving; resolves once a creation in flight has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.creating?.catch(() => undefined);
  }

  /** Forgets the topic (it was deleted): the next request creates it again. */
  reset(): void {
    this.served.clear();
    this.knownCount = null;
    this.creating = null;
  }
}
