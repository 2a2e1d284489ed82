/**
 * The consumer. It reads partitions either assigned by hand (`assign`) or given to it by a
 * consumer group (`subscribe`, with a `groupId`), keeps a fetch position per partition,
 * long-polls each partition leader with Fetch, and hands out messages in offset order per
 * partition.
 *
 * In a group, poll() also drives the membership (src/client/group/membership.ts): it joins,
 * rejoins when a heartbeat reports a rebalance, calls the rebalance listener, starts newly
 * assigned partitions at the group's committed offset (else `autoOffsetReset`), and commits the
 * consumed positions every `autoCommitIntervalMs`, before each rebalance and on close — so a
 * message returned by poll() counts as consumed at the next poll, as in Kafka's Java consumer.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, KafkaError, errorName } from '../protocol/errors.js';
import type { FetchRequest, FetchResponse, FetchResponsePartitionData } from '../protocol/messages/01-fetch.js';
import { createLogger, type Logger } from '../util/logger.js';
import { Cluster, isTransient, type ClusterOptions } from './cluster.js';
import { REQUEST_TIMEOUT_MS_DEFAULT } from './connection.js';
import { ClosedError, InvalidArgumentError } from './errors.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, READ_COMMITTED, READ_UNCOMMITTED, listOffset } from './offsets.js';
import { nextFetchOffset } from './fetch-records.js';
import { buildFetchRequest, decodePartition } from './consumer-fetch.js';
import { tpKey, type RebalanceProtocol } from './group/assignor.js';
import { GroupMembership, type TopicPartition } from './group/membership.js';
import { ConsumerProtocolMembership } from './group/consumer-membership.js';
import {
  AUTO_COMMIT_INTERVAL_MS_DEFAULT, HEARTBEAT_INTERVAL_MS_DEFAULT, MAX_BYTES_DEFAULT, MAX_WAIT_MS_DEFAULT, METADATA_MAX_AGE_MS_DEFAULT, MIN_BYTES_DEFAULT,
  PARTITION_MAX_BYTES_DEFAULT, REBALANCE_TIMEOUT_MS_DEFAULT, SESSION_TIMEOUT_MS_DEFAULT, resolveAssignors, validateOffset,
  type ConsumerMessage, type ConsumerOptions, type OffsetAndMetadata, type OffsetReset, type RebalanceListener, type TopicPartitionOffset,
} from './consumer-options.js';

export * from './consumer-options.js';
import type { OffsetToCommit } from './group/requests.js';

const FETCH_KEY = 1;
/** Fetch v4 is the first with record batch v2; v13+ names topics by id, which we do not use yet. */
const FETCH_VERSION_MIN = 4;
const FETCH_VERSION_MAX = 12;
interface PartitionState {
  topic: string;
  partition: number;
  /** Next offset to fetch; null until resolved from the committed offset or `reset`. */
  position: number | null;
  reset: OffsetReset;
  /** The group's committed offset is to be looked up before `reset` applies. */
  fromCommitted: boolean;
  /** The broker the last Fetch for this partition went to. */
  leader: number | null;
}

interface FetchTarget {
  state: PartitionState;
  fetchOffset: number;
}

/** A Fetch sent ahead, before the previous response was decoded; settles to its response or error. */
interface Prefetch {
  leader: number;
  targets: FetchTarget[];
  response: Promise<FetchResponse | Error>;
}

type ResolvedOptions = Required<Omit<ConsumerOptions, 'clientId' | 'groupId' | 'groupInstanceId' | 'partitionAssignors' | 'logger' | 'groupProtocol'>>;

export class Consumer {
  private readonly cluster: Cluster;
  private readonly opts: ResolvedOptions;
  private readonly requestTimeoutMs: number;
  private readonly partitions = new Map<string, PartitionState>();
  private readonly paused = new Set<string>();
  /** Fetched messages not yet handed out (the iterator hands them out one at a time). */
  private buffered: ConsumerMessage[] = [];
  /**
   * Fetches sent as soon as a response with data arrived, at the offsets that response ends
   * at, so that the broker reads the next data while this consumer decodes and the application
   * processes the current one. They never wait on the broker (max wait 0): a long poll would hold
   * the connection. Data for a partition that was seeked, paused or reassigned meanwhile is dropped.
   */
  private prefetches: Prefetch[] = [];
  /** Where the next Fetch request starts in its list of partitions (see fetchRequest). */
  private fetchRotation = 0;
  private closed = false;
  private readonly closing = new AbortController();
  private readonly logger: Logger;
  private readonly groupId: string | null;
  private readonly groupInstanceId: string | null;
  private readonly membership: GroupMembership | ConsumerProtocolMembership | null = null;
  /** Topics of subscribe(); null when partitions are assigned by hand. */
  private subscription: string[] | null = null;
  private listener: RebalanceListener = {};
  /** An error from a rebalance listener, raised by the poll that ran it. */
  private listenerError: unknown = null;
  private nextAutoCommitAt = 0;
  private autoCommitInFlight: Promise<void> | null = null;
  private readonly lastCommitted = new Map<string, number>();
  private nextMetadataCheckAt = 0;
  /** Fetch rounds in a row that failed on a broker away or stale metadata, for the backoff. */
  private transientFailures = 0;
  /** Set while leaving the group (unsubscribe, close): no poll may start a new join meanwhile. */
  private leavingGroup = false;

  constructor(opts: ClusterOptions & ConsumerOptions) {
    this.cluster = new Cluster(opts);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT;
    this.logger = opts.logger ?? createLogger();
    this.opts = {
      autoOffsetReset: opts.autoOffsetReset ?? 'latest',
      maxWaitMs: opts.maxWaitMs ?? MAX_WAIT_MS_DEFAULT,
      minBytes: opts.minBytes ?? MIN_BYTES_DEFAULT,
      maxBytes: opts.maxBytes ?? MAX_BYTES_DEFAULT,
      partitionMaxBytes: opts.partitionMaxBytes ?? PARTITION_MAX_BYTES_DEFAULT,
      sessionTimeoutMs: opts.sessionTimeoutMs ?? SESSION_TIMEOUT_MS_DEFAULT,
      rebalanceTimeoutMs: opts.rebalanceTimeoutMs ?? REBALANCE_TIMEOUT_MS_DEFAULT,
      heartbeatIntervalMs: opts.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS_DEFAULT,
      autoCommit: opts.autoCommit ?? true,
      autoCommitIntervalMs: opts.autoCommitIntervalMs ?? AUTO_COMMIT_INTERVAL_MS_DEFAULT,
      metadataMaxAgeMs: opts.metadataMaxAgeMs ?? METADATA_MAX_AGE_MS_DEFAULT,
      isolationLevel: opts.isolationLevel ?? 'read_uncommitted',
    };
    if (this.opts.isolationLevel !== 'read_uncommitted' && this.opts.isolationLevel !== 'read_committed') {
      throw new InvalidArgumentError(`isolationLevel must be 'read_uncommitted' or 'read_committed', not '${String(this.opts.isolationLevel)}'.`);
    }
    if (!['earliest', 'latest', 'none'].includes(this.opts.autoOffsetReset)) {
      throw new InvalidArgumentError(`autoOffsetReset must be 'earliest', 'latest' or 'none', not '${this.opts.autoOffsetReset}'.`);
    }
    this.groupId = opts.groupId ?? null;
    this.groupInstanceId = opts.groupInstanceId ?? null;
    if (this.groupId === '') throw new InvalidArgumentError('groupId must not be empty; leave it out to consume without a group.');
    if (this.groupId !== null) {
      const Membership = opts.groupProtocol === 'consumer' ? ConsumerProtocolMembership : GroupMembership;
      if (opts.groupProtocol !== undefined && opts.groupProtocol !== 'classic' && opts.groupProtocol !== 'consumer')
        throw new InvalidArgumentError(`groupProtocol must be 'classic' or 'consumer', not '${String(opts.groupProtocol)}'.`);
      this.membership = new Membership(
        this.cluster,
        {
          groupId: this.groupId,
          groupInstanceId: opts.groupInstanceId ?? null,
          sessionTimeoutMs: this.opts.sessionTimeoutMs,
          rebalanceTimeoutMs: this.opts.rebalanceTimeoutMs,
          heartbeatIntervalMs: this.opts.heartbeatIntervalMs,
          assignors: resolveAssignors(opts.partitionAssignors ?? ['range']),
          clientId: opts.clientId ?? null,
          requestTimeoutMs: opts.requestTimeoutMs,
          connectTimeoutMs: opts.connectTimeoutMs,
          logger: this.logger,
        },
        {
          owned: () => this.assignment(),
          beforeJoin: (protocol) => this.beforeJoin(protocol),
          assigned: (partitions, protocol) => this.onAssigned(partitions, protocol),
          lost: () => this.onLost(),
        },
      );
    }
    this.nextAutoCommitAt = Date.now() + this.opts.autoCommitIntervalMs;
  }

  /** Replaces the set of partitions this consumer reads (not for a subscribed consumer). */
  assign(assignments: TopicPartitionOffset[]): void {
    this.assertOpen();
    if (this.subscription !== null) {
      throw new InvalidArgumentError('This consumer is subscribed to topics; call unsubscribe() before assigning partitions by hand.');
    }
    this.partitions.clear();
    this.paused.clear();
    this.buffered = [];
    this.prefetches = [];
    for (const a of assignments) this.setPosition(a);
  }

  /**
   * Joins the consumer group and reads whatever partitions of `topics` the group gives this
   * consumer; the next poll() joins. Calling it again replaces the topic list.
   */
  subscribe(topics: string[], listener: RebalanceListener = {}): void {
    this.assertOpen();
    if (this.membership === null) throw new InvalidArgumentError('subscribe() needs a consumer group: create the consumer with a groupId.');
    if (this.subscription === null && this.partitions.size > 0) {
      throw new InvalidArgumentError('This consumer has partitions assigned by hand; call unsubscribe() (or assign([])) before subscribing.');
    }
    if (topics.length === 0) throw new InvalidArgumentError('subscribe() needs at least one topic; call unsubscribe() to stop.');
    for (const t of topics) if (typeof t !== 'string' || t === '') throw new InvalidArgumentError(`'${String(t)}' is not a topic name.`);
    this.subscription = [...new Set(topics)];
    this.listener = listener;
    this.membership.subscribe(this.subscription);
  }

  /** The topics of subscribe(), or [] when not subscribed. */
  subscribed(): string[] {
    return [...(this.subscription ?? [])];
  }

  /** Leaves the group (committing first when autoCommit) or drops the hand-made assignment. */
  async unsubscribe(): Promise<void> {
    this.assertOpen();
    if (this.subscription !== null && this.membership !== null) {
      try {
        await this.leaveGroup('the consumer unsubscribed');
      } finally {
        this.subscription = null;
        this.leavingGroup = false;
      }
    }
    this.subscription = null;
    this.partitions.clear();
    this.paused.clear();
    this.buffered = [];
  }

  /** Moves one partition's position; buffered messages of that partition are dropped. */
  seek(target: TopicPartitionOffset): void {
    this.assertOpen();
    if (this.subscription !== null && !this.partitions.has(tpKey(target.topic, target.partition))) {
      throw new InvalidArgumentError(`Cannot seek ${target.topic}-${target.partition}: the group has not assigned it to this consumer.`);
    }
    this.setPosition(target);
  }

  private setPosition(target: TopicPartitionOffset): void {
    if (!Number.isInteger(target.partition) || target.partition < 0) {
      throw new InvalidArgumentError(`Partition must be a non-negative integer, not ${target.partition}.`);
    }
    const key = tpKey(target.topic, target.partition);
    const state: PartitionState = {
      topic: target.topic,
      partition: target.partition,
      position: null,
      reset: this.opts.autoOffsetReset,
      fromCommitted: target.offset === undefined && this.membership !== null,
      leader: null,
    };
    const o = target.offset;
    if (o === 'earliest' || o === EARLIEST_TIMESTAMP) state.reset = 'earliest';
    else if (o === 'latest' || o === LATEST_TIMESTAMP) state.reset = 'latest';
    else if (typeof o === 'number') {
      if (!Number.isInteger(o) || o < 0) throw new InvalidArgumentError(`Offset must be a non-negative integer, 'earliest' or 'latest', not ${o}.`);
      state.position = o;
    }
    this.partitions.set(key, state);
    this.buffered = this.buffered.filter((m) => tpKey(m.topic, m.partition) !== key);
  }

  /** Stops fetching these partitions until resume(); poll() returns nothing of them meanwhile. */
  pause(partitions: TopicPartition[]): void {
    for (const { topic, partition } of partitions) {
      const key = tpKey(topic, partition);
      const state = this.partitions.get(key);
      if (state === undefined) throw new InvalidArgumentError(`Cannot pause ${topic}-${partition}: it is not assigned to this consumer.`);
      if (this.paused.has(key)) continue;
      this.paused.add(key);
      // Unread messages are dropped and fetched again after resume().
      const first = this.buffered.find((m) => tpKey(m.topic, m.partition) === key);
      if (first !== undefined) {
        state.position = first.offset;
        this.buffered = this.buffered.filter((m) => tpKey(m.topic, m.partition) !== key);
      }
    }
  }

  resume(partitions: TopicPartition[]): void {
    for (const { topic, partition } of partitions) this.paused.delete(tpKey(topic, partition));
  }

  pausedPartitions(): TopicPartition[] {
    return [...this.partitions.values()].filter((s) => this.paused.has(tpKey(s.topic, s.partition))).map(({ topic, partition }) => ({ topic, partition }));
  }

  /** The partition numbers of a topic; throws KafkaError UNKNOWN_TOPIC_OR_PARTITION if it does not exist. */
  async partitionsFor(topic: string): Promise<number[]> {
    const info = await this.cluster.withRetry(() => this.cluster.topic(topic, { refresh: true }), { topics: [topic] });
    return info.partitions.map((p) => p.partition);
  }

  /** The partitions this consumer reads now (for a group member: its current assignment). */
  assignment(): TopicPartition[] {
    return [...this.partitions.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  /** The offset of the next message this consumer will hand out, once known. */
  position(topic: string, partition: number): number | null {
    const next = this.buffered.find((m) => m.topic === topic && m.partition === partition);
    if (next !== undefined) return next.offset;
    return this.partitions.get(tpKey(topic, partition))?.position ?? null;
  }

  /** The group's committed offsets for these partitions (null where none is committed). */
  async committed(partitions: TopicPartition[]): Promise<Array<TopicPartition & { offset: number | null }>> {
    const membership = this.requireGroup('committed()');
    const found = await membership.committed(partitions);
    return partitions.map(({ topic, partition }) => {
      const c = found.get(tpKey(topic, partition));
      return { topic, partition, offset: c === undefined || c.offset < 0 ? null : c.offset };
    });
  }

  /**
   * Commits offsets to the group and waits for the broker: the given ones, or the position of
   * every assigned partition (everything poll() has returned so far).
   */
  async commitSync(offsets?: OffsetAndMetadata[]): Promise<void> {
    this.assertOpen();
    const membership = this.requireGroup('commitSync()');
    const list = offsets === undefined ? this.consumedOffsets() : offsets.map(validateOffset);
    await membership.commit(list, { asMember: this.subscription !== null });
    for (const o of list) this.lastCommitted.set(tpKey(o.topic, o.partition), o.offset);
  }

  /** Like commitSync() without waiting; `callback` hears the outcome (errors are logged without one). */
  commitAsync(offsets?: OffsetAndMetadata[], callback?: (err: Error | null) => void): void {
    this.commitSync(offsets).then(
      () => callback?.(null),
      (err: Error) => {
        if (callback !== undefined) callback(err);
        else this.logger.warn('commitAsync failed', { groupId: this.groupId, error: err });
      },
    );
  }

  /**
   * Waits up to `timeoutMs` (default: maxWaitMs) for messages and returns all that arrived in one
   * fetch round; an empty array means none came in time. In a group, it also joins and rejoins.
   */
  async poll(opts: { timeoutMs?: number } = {}): Promise<ConsumerMessage[]> {
    this.assertOpen();
    this.raiseListenerError();
    this.maybeAutoCommit();
    if (this.buffered.length > 0) return this.takeBuffered();
    const deadline = Date.now() + (opts.timeoutMs ?? this.opts.maxWaitMs);
    while (!this.closed) {
      if (!(await this.ensureGroup(deadline))) break;
      const left = deadline - Date.now();
      try {
        await this.fetchRound(Math.max(0, Math.min(this.opts.maxWaitMs, left)), deadline);
        this.transientFailures = 0;
      } catch (err) {
        if (this.closed) break;
        if (!isTransient(err)) throw err;
        await this.backOff(err, deadline);
      }
      if (this.buffered.length > 0 || Date.now() >= deadline) break;
    }
    return this.takeBuffered();
  }

  /**
   * A broker away (restarting) or stale metadata: as Kafka's consumer, poll keeps trying until
   * its own timeout. Waits retry.backoff.ms, doubling per failure in a row up to the max.
   */
  private async backOff(err: unknown, deadline: number): Promise<void> {
    if (this.transientFailures === 0) this.logger.warn('fetching paused: the broker cannot be reached or its metadata changed; retrying', { error: err });
    const waitMs = Math.min(this.cluster.backoffMs(this.transientFailures++), Math.max(0, deadline - Date.now()));
    await sleep(waitMs, undefined, { signal: this.closing.signal }).catch(() => undefined);
  }

  /** Messages one by one until `close()`; breaking out keeps unread messages for the next poll. */
  async *[Symbol.asyncIterator](): AsyncGenerator<ConsumerMessage> {
    while (!this.closed) {
      this.raiseListenerError();
      this.maybeAutoCommit();
      if (this.buffered.length === 0) await this.fetchUntilData();
      const next = this.buffered.shift();
      if (next !== undefined) yield next;
    }
  }

  private async fetchUntilData(): Promise<void> {
    while (!this.closed && this.buffered.length === 0) {
      try {
        await this.ensureGroup(Infinity);
        await this.fetchRound(this.opts.maxWaitMs);
        this.transientFailures = 0;
      } catch (err) {
        if (this.closed) return;
        if (!isTransient(err)) throw err;
        await this.backOff(err, Infinity);
      }
    }
  }

  private takeBuffered(): ConsumerMessage[] {
    const out = this.buffered;
    this.buffered = [];
    return out;
  }

  /**
   * Closes the consumer; a group member first commits (when autoCommit), calls
   * onPartitionsRevoked and leaves the group, so its partitions move on at once.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.membership !== null && this.subscription !== null) await this.leaveGroup('the consumer is closing');
      else if (this.membership !== null && this.opts.autoCommit && this.partitions.size > 0) {
        await this.commitSync().catch((err: unknown) => this.logger.warn('commit on close failed', { groupId: this.groupId, error: err }));
      }
    } finally {
      this.closed = true;
      this.closing.abort();
      await this.membership?.close();
      await this.cluster.close();
    }
  }

  // ---- the group ----

  /**
   * Makes sure the group membership is stable before a fetch. Returns false when `deadline`
   * passed first (the rebalance goes on and the next poll waits for it again).
   */
  private async ensureGroup(deadline: number): Promise<boolean> {
    const membership = this.membership;
    if (membership === null || this.subscription === null) return true;
    if (this.leavingGroup) return false;
    for (let attempt = 0; !membership.isStable; attempt++) {
      if (this.closed || this.subscription === null || this.leavingGroup) return false;
      // An attempt that ended without joining (the member is leaving) is not retried in a busy loop.
      const settled = attempt === 0 ? membership.activate() : sleep(this.cluster.backoffMs(0)).then(() => membership.activate());
      if (!(await this.waitUntil(settled, deadline))) return false;
      const err = membership.takeError();
      if (err !== null) throw err;
      this.raiseListenerError();
    }
    if (membership.isLeader && Date.now() >= this.nextMetadataCheckAt) {
      this.nextMetadataCheckAt = Date.now() + this.opts.metadataMaxAgeMs;
      membership.checkMetadata().catch((e: unknown) => this.logger.warn('metadata check failed', { groupId: this.groupId, error: e }));
    }
    return true;
  }

  /** Waits for `p` until `deadline`; false when the deadline came first. */
  private async waitUntil(p: Promise<void>, deadline: number): Promise<boolean> {
    if (deadline === Infinity) {
      await p;
      return true;
    }
    const left = deadline - Date.now();
    if (left <= 0) return false;
    const timer = new AbortController();
    const done = await Promise.race([p.then(() => true), sleep(left, false, { signal: timer.signal }).catch(() => false)]);
    timer.abort();
    return done;
  }

  private async leaveGroup(reason: string): Promise<void> {
    const membership = this.membership!;
    // Stays set until the caller has dropped the subscription (or closed the consumer).
    this.leavingGroup = true;
    if (membership.isStable || membership.generationId >= 0) {
      if (this.opts.autoCommit) await this.commitQuietly('before leaving the group');
      await this.revoke(this.assignment());
    }
    await membership.leave(reason);
  }

  /** Before a JoinGroup: commit what was consumed; eager assignors give up everything now. */
  private async beforeJoin(protocol: RebalanceProtocol): Promise<void> {
    if (this.opts.autoCommit) await this.commitQuietly('before the rebalance');
    if (protocol === 'eager') {
      await this.revoke(this.assignment());
    } else {
      const topics = new Set(this.subscription ?? []);
      await this.revoke(this.assignment().filter((tp) => !topics.has(tp.topic)));
    }
  }

  /** After a SyncGroup: start the new partitions; cooperative members give up what moved, then rejoin. */
  private async onAssigned(assigned: TopicPartition[], protocol: RebalanceProtocol): Promise<void> {
    const next = new Set(assigned.map((tp) => tpKey(tp.topic, tp.partition)));
    const revoked = this.assignment().filter((tp) => !next.has(tpKey(tp.topic, tp.partition)));
    if (revoked.length > 0) {
      if (this.opts.autoCommit) await this.commitQuietly('before giving up partitions', revoked);
      await this.revoke(revoked);
      // KIP-429: what was given up is free only in the next round.
      if (protocol === 'cooperative') this.membership!.requestRejoin('partitions were revoked');
    }
    const added = assigned.filter((tp) => !this.partitions.has(tpKey(tp.topic, tp.partition)));
    for (const tp of added) this.setPosition({ topic: tp.topic, partition: tp.partition });
    await this.callListener('onPartitionsAssigned', added);
  }

  private async onLost(): Promise<void> {
    const lost = this.assignment();
    this.removePartitions(lost);
    if (lost.length === 0) return;
    await this.callListener(this.listener.onPartitionsLost !== undefined ? 'onPartitionsLost' : 'onPartitionsRevoked', lost);
  }

  private async revoke(partitions: TopicPartition[]): Promise<void> {
    if (partitions.length === 0) return;
    await this.callListener('onPartitionsRevoked', partitions);
    this.removePartitions(partitions);
  }

  private removePartitions(partitions: TopicPartition[]): void {
    const keys = new Set(partitions.map((tp) => tpKey(tp.topic, tp.partition)));
    for (const key of keys) {
      this.partitions.delete(key);
      this.paused.delete(key);
    }
    this.buffered = this.buffered.filter((m) => !keys.has(tpKey(m.topic, m.partition)));
  }

  /** Runs a listener callback; its error is raised by poll() once the rebalance is done. */
  private async callListener(name: keyof RebalanceListener, partitions: TopicPartition[]): Promise<void> {
    const fn = this.listener[name];
    if (fn === undefined) return;
    try {
      await fn.call(this.listener, partitions);
    } catch (err) {
      this.listenerError ??= err;
    }
  }

  private raiseListenerError(): void {
    if (this.listenerError === null) return;
    const err = this.listenerError;
    this.listenerError = null;
    throw err;
  }

  private requireGroup(what: string): GroupMembership | ConsumerProtocolMembership {
    if (this.membership === null) throw new InvalidArgumentError(`${what} needs a consumer group: create the consumer with a groupId.`);
    return this.membership;
  }

  /** The position of every partition whose position is known: the next offset to read. */
  private consumedOffsets(partitions: TopicPartition[] = this.assignment()): OffsetToCommit[] {
    const out: OffsetToCommit[] = [];
    for (const { topic, partition } of partitions) {
      const offset = this.position(topic, partition);
      if (offset !== null) out.push({ topic, partition, offset, metadata: '' });
    }
    return out;
  }

  private async commitQuietly(when: string, partitions?: TopicPartition[]): Promise<void> {
    const offsets = this.consumedOffsets(partitions);
    if (offsets.length === 0) return;
    try {
      await this.membership!.commit(offsets, { asMember: this.subscription !== null });
      for (const o of offsets) this.lastCommitted.set(tpKey(o.topic, o.partition), o.offset);
    } catch (err) {
      this.logger.warn(`auto-commit ${when} failed`, { groupId: this.groupId, error: err });
    }
  }

  /** Kafka's auto-commit: from poll(), at most every autoCommitIntervalMs, only what moved. */
  private maybeAutoCommit(): void {
    if (this.membership === null || !this.opts.autoCommit || this.autoCommitInFlight !== null) return;
    const now = Date.now();
    if (now < this.nextAutoCommitAt) return;
    this.nextAutoCommitAt = now + this.opts.autoCommitIntervalMs;
    if (this.subscription !== null && !this.membership.isStable) return;
    const offsets = this.consumedOffsets().filter((o) => this.lastCommitted.get(tpKey(o.topic, o.partition)) !== o.offset);
    if (offsets.length === 0) return;
    const run = this.membership
      .commit(offsets, { asMember: this.subscription !== null })
      .then(() => {
        for (const o of offsets) this.lastCommitted.set(tpKey(o.topic, o.partition), o.offset);
      })
      .catch((err: unknown) => {
        if (!this.closed) this.logger.warn('auto-commit failed', { groupId: this.groupId, error: err });
      })
      .finally(() => (this.autoCommitInFlight = null));
    this.autoCommitInFlight = run;
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError('This consumer was closed; create a new one.');
  }

  // ---- fetching ----

  /**
   * Takes the answers of the fetches sent ahead; then resolves unknown positions and sends one
   * Fetch per leader in parallel for the partitions those did not cover (all of them when they
   * brought nothing), without waiting on the broker when there is data already.
   */
  private async fetchRound(maxWaitMs: number, deadline?: number): Promise<void> {
    const covered = new Set<PartitionState>();
    if (this.prefetches.length > 0) {
      const ahead = this.prefetches;
      this.prefetches = [];
      await Promise.all(ahead.map((p) => this.fetchFrom(p.leader, p.targets, 0, p.response)));
      // Partitions with a fetch out again are read next round; the others are fetched below.
      if (this.buffered.length > 0) for (const p of this.prefetches) for (const t of p.targets) covered.add(t.state);
    }
    const active = [...this.partitions.values()].filter((s) => !this.paused.has(tpKey(s.topic, s.partition)) && !covered.has(s));
    const haveData = this.buffered.length > 0;
    if (haveData) {
      if (active.length === 0) return;
      maxWaitMs = 0;
    }
    if (active.length === 0) {
      await sleep(maxWaitMs, undefined, { signal: this.closing.signal }).catch(() => undefined);
      return;
    }
    const fromCommitted = active.filter((s) => s.position === null && s.fromCommitted);
    if (fromCommitted.length > 0) await this.loadCommitted(fromCommitted, deadline);
    await Promise.all(active.filter((s) => s.position === null && !s.fromCommitted).map((s) => this.resolvePosition(s, deadline)));
    const byLeader = new Map<number, FetchTarget[]>();
    for (const state of active) {
      if (state.position === null || this.partitions.get(tpKey(state.topic, state.partition)) !== state) continue;
      let leader: number;
      try {
        leader = await this.cluster.leaderFor(state.topic, state.partition);
      } catch (err) {
        if (!isTransient(err)) throw err;
        this.cluster.invalidate(state.topic);
        continue; // asked again next round, after the metadata refresh
      }
      let list = byLeader.get(leader);
      if (list === undefined) byLeader.set(leader, (list = []));
      list.push({ state, fetchOffset: state.position });
      state.leader = leader;
    }
    if (byLeader.size === 0) {
      if (haveData) return;
      await sleep(this.cluster.backoffMs(0), undefined, { signal: this.closing.signal }).catch(() => undefined);
      return;
    }
    await Promise.all([...byLeader].map(([leader, targets]) => this.fetchFrom(leader, targets, maxWaitMs)));
  }

  /** Starts partitions at the group's committed offsets; those without one fall back to `reset`. */
  private async loadCommitted(states: PartitionState[], deadline?: number): Promise<void> {
    const committed = await this.membership!.committed(states.map(({ topic, partition }) => ({ topic, partition })), deadline);
    for (const s of states) {
      const key = tpKey(s.topic, s.partition);
      if (this.partitions.get(key) !== s || s.position !== null) continue;
      s.fromCommitted = false;
      const c = committed.get(key);
      if (c !== undefined && c.offset >= 0) {
        s.position = c.offset;
        this.lastCommitted.set(key, c.offset);
      }
    }
  }

  private async resolvePosition(state: PartitionState, deadline?: number): Promise<void> {
    if (state.reset === 'none') {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `No valid position for ${state.topic}-${state.partition} and autoOffsetReset is 'none'; seek to an offset first.`,
      );
    }
    const timestamp = state.reset === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP;
    const { offset } = await listOffset(this.cluster, { topic: state.topic, partition: state.partition, timestamp, isolationLevel: this.isolation() }, deadline);
    // Only apply if nobody seeked meanwhile.
    if (this.partitions.get(tpKey(state.topic, state.partition)) === state && state.position === null) state.position = offset;
  }

  /** One Fetch to `leader` (or the answer to one sent ahead), its data into `buffered`. */
  private async fetchFrom(leader: number, targets: FetchTarget[], maxWaitMs: number, sent?: Promise<FetchResponse | Error>): Promise<void> {
    let resp: FetchResponse;
    try {
      const answer = await (sent ?? this.sendFetch(leader, targets, maxWaitMs));
      if (answer instanceof Error) throw answer;
      resp = answer;
    } catch (err) {
      if (err instanceof ClosedError && this.closed) return;
      if (!isTransient(err)) throw err;
      for (const t of targets) this.cluster.invalidate(t.state.topic);
      await sleep(this.cluster.backoffMs(0), undefined, { signal: this.closing.signal }).catch(() => undefined);
      return;
    }
    if (resp.errorCode !== ErrorCode.NONE) {
      throw new KafkaError(resp.errorCode, `Fetch from broker ${leader} failed: ${errorName(resp.errorCode)}`);
    }
    this.prefetchAfter(leader, targets, resp);
    for (const topic of resp.responses) {
      for (const p of topic.partitions) {
        const key = tpKey(topic.topic, p.partitionIndex);
        const target = targets.find((t) => t.state.topic === topic.topic && t.state.partition === p.partitionIndex);
        // Ignore partitions we did not ask for, ones revoked or paused, and ones seeked while the fetch was out.
        if (target === undefined || !this.isCurrent(target) || this.paused.has(key)) continue;
        await this.handlePartition(target, p);
      }
    }
  }

  private async sendFetch(leader: number, targets: FetchTarget[], maxWaitMs: number): Promise<FetchResponse> {
    const conn = await this.cluster.connectionTo(leader);
    const version = conn.versionFor(FETCH_KEY, FETCH_VERSION_MAX, FETCH_VERSION_MIN);
    return conn.request<FetchRequest, FetchResponse>(FETCH_KEY, version, this.fetchRequest(targets, maxWaitMs), {
      timeoutMs: this.requestTimeoutMs + maxWaitMs,
    });
  }

  /**
   * Sends the next Fetch to `leader` right away when `resp` brought data and no errors: each
   * partition from where its data ends (read from the batch headers alone), as handlePartition
   * will leave its position, and the leader's other partitions (seeked, resumed, new) from their
   * positions. One such fetch per leader at a time.
   */
  private prefetchAfter(leader: number, targets: FetchTarget[], resp: FetchResponse): void {
    if (this.closed || this.prefetches.some((p) => p.leader === leader)) return;
    const readCommitted = this.opts.isolationLevel === 'read_committed';
    const next: FetchTarget[] = [];
    let data = false;
    for (const topic of resp.responses) {
      for (const p of topic.partitions) {
        if (p.errorCode !== ErrorCode.NONE) return;
        const target = targets.find((t) => t.state.topic === topic.topic && t.state.partition === p.partitionIndex);
        // Not for partitions whose data handlePartition will drop (revoked, paused, seeked).
        if (target === undefined || !this.isCurrent(target) || this.paused.has(tpKey(topic.topic, p.partitionIndex))) continue;
        const lastStableOffset = readCommitted && p.lastStableOffset >= 0 ? p.lastStableOffset : Infinity;
        const fetchOffset = p.records === null ? target.fetchOffset : nextFetchOffset(p.records, target.fetchOffset, lastStableOffset);
        if (fetchOffset > target.fetchOffset) data = true;
        next.push({ state: target.state, fetchOffset });
      }
    }
    if (!data) return;
    for (const state of this.partitions.values()) {
      if (state.leader !== leader || state.position === null || this.paused.has(tpKey(state.topic, state.partition))) continue;
      if (!next.some((t) => t.state === state)) next.push({ state, fetchOffset: state.position });
    }
    const response = this.sendFetch(leader, next, 0).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
    this.prefetches.push({ leader, targets: next, response });
  }

  /** The partition is still assigned and was not moved since `target` was fetched. */
  private isCurrent(target: FetchTarget): boolean {
    const { state } = target;
    return this.partitions.get(tpKey(state.topic, state.partition)) === state && state.position === target.fetchOffset;
  }

  private fetchRequest(targets: FetchTarget[], maxWaitMs: number): FetchRequest {
    const wanted = targets.map((t) => ({ topic: t.state.topic, partition: t.state.partition, fetchOffset: t.fetchOffset }));
    return buildFetchRequest(wanted, wanted.length === 0 ? 0 : this.fetchRotation++, { maxWaitMs, minBytes: this.opts.minBytes, maxBytes: this.opts.maxBytes, partitionMaxBytes: this.opts.partitionMaxBytes, isolationLevel: this.isolation() });
  }


  /**
   * The group, generation and member id, for a transactional producer's
   * sendOffsetsToTransaction: the coordinator refuses offsets from a member that has moved on.
   */
  groupMetadata(): { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null } {
    if (this.groupId === null || this.membership === null) throw new InvalidArgumentError('groupMetadata() needs a consumer with a groupId.');
    return { groupId: this.groupId, generationId: this.membership.generationId, memberId: this.membership.memberId, groupInstanceId: this.groupInstanceId };
  }

  private isolation(): number {
    return this.opts.isolationLevel === 'read_committed' ? READ_COMMITTED : READ_UNCOMMITTED;
  }

  private async handlePartition(target: FetchTarget, p: FetchResponsePartitionData): Promise<void> {
    const { state } = target;
    const where = `${state.topic}-${state.partition}`;
    if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
      if (state.reset === 'none' || this.opts.autoOffsetReset === 'none') {
        throw new KafkaError(
          p.errorCode,
          `Offset ${target.fetchOffset} is out of range for ${where} (log start ${p.logStartOffset}, high watermark ${p.highWatermark}) and autoOffsetReset is 'none'.`,
        );
      }
      state.reset = this.opts.autoOffsetReset;
      state.position = null;
      return;
    }
    if (p.errorCode !== ErrorCode.NONE) {
      const err = new KafkaError(p.errorCode, `Fetching ${where} failed: ${errorName(p.errorCode)}`);
      if (!err.retriable) throw err;
      this.cluster.invalidate(state.topic);
      return;
    }
    if (p.records === null || p.records.length === 0) return;
    const { decoded, position } = await decodePartition(p, state.topic, state.partition, target.fetchOffset, this.opts.isolationLevel === 'read_committed');
    // Decoding may yield to the event loop: a rebalance or seek meanwhile makes this data stale.
    if (this.partitions.get(tpKey(state.topic, state.partition)) !== state || state.position !== target.fetchOffset) return;
    if (this.buffered.length === 0) this.buffered = decoded;
    else for (const m of decoded) this.buffered.push(m);
    state.position = position;
  }
}

