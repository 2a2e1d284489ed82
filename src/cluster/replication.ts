/**
 * A broker's part in a cluster (Kafka's ReplicaManager + Partition): it applies the metadata
 * store's partition states to the local logs — leading the partitions whose leader it is, and
 * following the others it holds a replica of, by fetching from their leaders — and, as a leader,
 * tracks its followers, moves the high watermark to the ISR's least log end offset, shrinks and
 * expands the ISR (compare-and-swap writes fenced by its leader epoch), and answers acks=all
 * produces once the ISR holds them.
 *
 * Order when a partition's state changes: the store's event → read the state → leader: stop
 * fetching, take over the followers' bookkeeping, HW from the ISR; follower: the fetcher starts
 * (or keeps) fetching from the new leader with the epoch it now knows; no longer a replica:
 * stop and delete the local log. Waiting acks=all produces end with NOT_LEADER_OR_FOLLOWER
 * when leadership leaves.
 */
import { ErrorCode } from '../protocol/errors.js';
import type { Clock, TimerHandle } from '../platform/clock.js';
import type { Logger } from '../util/logger.js';
import type { LogConfig } from '../storage/config.js';
import type { PartitionLog } from '../storage/partition-log.js';
import { LeaderState } from './leader-state.js';
import { partitionKey, type ReplicaManager } from './replica-manager.js';
import type { FetcherHost, ReplicaFetchers } from './replica-fetcher.js';
import { alterIsr, leaveIsr, writePartition } from './partition-changes.js';
import { brokerMap } from './placement.js';
import { ReplicationThrottles, listsReplica } from './replication-throttle.js';
import { type BrokerEndpoint, type MetadataEvent, type MetadataStore, type PartitionState, type TopicMetadata } from './store/types.js';

export interface ReplicationSettings {
  /** replica.lag.time.max.ms (Kafka default 30000). */
  replicaLagTimeMaxMs: number;
  /** Every key in force, for the fetcher's replica.fetch.* settings. */
  raw: Record<string, string>;
}

export interface ReplicationDeps {
  nodeId: number;
  store: MetadataStore;
  replicas: ReplicaManager;
  clock: Clock;
  logger: Logger;
  settings: ReplicationSettings;
  logConfigFor(topic: TopicMetadata): LogConfig;
  /** Makes the fetchers (one per leader broker) that feed this broker's follower logs. */
  makeFetchers(host: FetcherHost, endpointOf: (brokerId: number) => { host: string; port: number } | null): ReplicaFetchers;
  /** The listener whose endpoint followers use to reach leaders (inter.broker.listener.name). */
  interBrokerListener: string;
  /** The broker's keys in force now (dynamic ones included): the replication throttle rates. */
  keys(): Readonly<Record<string, string>>;
}

/** Where a partition stands for this broker. */
type Role =
  | { kind: 'leader'; topic: string; partition: number; log: PartitionLog; state: LeaderState; leaderEnd: number }
  | { kind: 'follower'; topic: string; partition: number; log: PartitionLog; leaderId: number; leaderEpoch: number; paused: boolean }
  | { kind: 'offline'; topic: string; partition: number; log: PartitionLog; leaderEpoch: number };

/**
 * Word that this broker took or lost a partition's leadership (Kafka's onLeadershipChange, which
 * the coordinators follow for their internal topics): `leaderEpoch` is the epoch it leads with,
 * or -1 when it no longer leads.
 */
export type LeadershipListener = (topic: string, partition: number, leaderEpoch: number) => void;

/** Why this broker cannot take a request for a partition, with the leader it knows (KIP-951). */
export interface NotLeader {
  errorCode: number;
  leaderId: number;
  leaderEpoch: number;
}

interface AckWaiter {
  offset: number;
  resolve(code: number): void;
  timer: TimerHandle;
}

export class Replication implements FetcherHost {
  private readonly roles = new Map<string, Role>();
  /** ISR changes of partitions this broker leads since start, by this leader or the controller (Kafka's IsrShrinksPerSec, IsrExpandsPerSec), for the metrics. */
  readonly isrChanges = { shrinks: 0, expands: 0 };
  private readonly waiters = new Map<string, AckWaiter[]>();
  /** Partitions whose state is being applied, so events for one are applied one at a time, in order. */
  private readonly applying = new Map<string, Promise<void>>();
  private readonly fetchers: ReplicaFetchers;
  private unsubscribe: (() => void) | null = null;
  private isrTimer: TimerHandle | null = null;
  private stopped = false;
  private readonly leadershipListeners = new Set<LeadershipListener>();
  private readonly throttles: ReplicationThrottles;
  /** Partitions whose log this broker lost while in their ISR (an empty disk): they leave the ISR before anything else. */
  private readonly lostLogs = new Map<string, { topic: string; partition: number }>();

  constructor(private readonly d: ReplicationDeps) {
    this.fetchers = d.makeFetchers(this, (id) => this.endpointOf(id));
    this.throttles = new ReplicationThrottles(d.clock, d.keys);
  }

  get nodeId(): number {
    return this.d.nodeId;
  }

  /** Applies every partition state the store holds, then follows its changes. */
  async start(): Promise<void> {
    this.unsubscribe = this.d.store.onChange((e) => this.onEvent(e));
    const all: Promise<void>[] = [];
    for (const t of [...this.d.store.topics()]) for (let p = 0; p < t.partitions; p++) all.push(this.schedule(t.name, p));
    await Promise.all(all);
    this.scheduleIsrCheck();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.isrTimer !== null) this.d.clock.clearTimeout(this.isrTimer);
    for (const [key] of this.waiters) this.failWaiters(key, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    await Promise.allSettled([...this.applying.values()]);
    await this.fetchers.close();
  }

  /** Calls `listener` whenever this broker takes or loses a leadership; returns the unsubscribe. */
  onLeadership(listener: LeadershipListener): () => void {
    this.leadershipListeners.add(listener);
    return () => this.leadershipListeners.delete(listener);
  }

  private tellLeadership(topic: string, partition: number, leaderEpoch: number): void {
    for (const l of this.leadershipListeners) {
      try {
        l(topic, partition, leaderEpoch);
      } catch (err) {
        this.d.logger.error('a leadership listener failed', { topic, partition, err });
      }
    }
  }

  /** A broker's endpoint on the inter-broker listener, or null when it is not registered. */
  endpointOf(brokerId: number): { host: string; port: number } | null {
    const b = this.d.store.brokers().find((r) => r.nodeId === brokerId);
    if (b === undefined) return null;
    const e: BrokerEndpoint | undefined = b.endpoints.find((x) => x.name === this.d.interBrokerListener) ?? b.endpoints[0];
    return e === undefined ? null : { host: e.host, port: e.port };
  }

  private onEvent(e: MetadataEvent): void {
    if (this.stopped) return;
    if (e.type === 'partition') void this.schedule(e.topic, e.partition);
    else if (e.type === 'topic-deleted') {
      for (const r of [...this.roles.values()]) if (r.topic === e.name) void this.schedule(r.topic, r.partition);
    } else if (e.type === 'topic') {
      const t = this.d.store.topic(e.name);
      if (t !== undefined) {
        const cfg = this.d.logConfigFor(t);
        for (const r of this.roles.values()) if (r.topic === e.name) r.log.updateConfig(cfg);
      }
    } else if (e.type === 'brokers' || e.type === 'connection') {
      // A leader that came back may be fetched from again.
      for (const r of this.roles.values()) if (r.kind === 'follower' && r.paused) void this.schedule(r.topic, r.partition);
      for (const p of this.lostLogs.values()) void this.schedule(p.topic, p.partition);
    }
  }

  /** Applies a partition's current state after any application of it still running. */
  private schedule(topic: string, partition: number): Promise<void> {
    const key = partitionKey(topic, partition);
    const prev = this.applying.get(key) ?? Promise.resolve();
    const next = prev
      .then(() => (this.stopped ? undefined : this.apply(topic, partition)))
      .catch((err: unknown) => this.d.logger.error('applying a partition state failed', { topic, partition, err }));
    this.applying.set(key, next);
    void next.then(() => {
      if (this.applying.get(key) === next) this.applying.delete(key);
    });
    return next;
  }

  private async apply(topic: string, partition: number): Promise<void> {
    const key = partitionKey(topic, partition);
    const meta = this.d.store.topic(topic);
    const state = meta === undefined ? undefined : this.d.store.partition(topic, partition);
    const role = this.roles.get(key);
    if (meta === undefined || state === undefined || !state.replicas.includes(this.d.nodeId)) {
      if (role === undefined) return;
      this.leave(key, role);
      // The topic is gone, or this broker no longer holds a replica: its log goes.
      await this.d.replicas.deletePartition(topic, partition);
      return;
    }
    if (role === undefined && this.d.replicas.log(topic, partition) === undefined && state.partitionEpoch > 0 && state.isr.includes(this.d.nodeId)) this.lostLogs.set(key, { topic, partition });
    const log = role?.log ?? (await this.d.replicas.createPartition(topic, partition, this.d.logConfigFor(meta)));
    log.setHighWatermarkFollowsLogEnd(false);
    if (this.lostLogs.has(key)) {
      if (state.isr.includes(this.d.nodeId)) {
        // In the ISR of a partition past its creation, yet no log here: this broker came back with
        // an empty disk. It must not lead or count as in sync on records it no longer has: it leaves
        // the ISR, and follows (copying the log again) once the store says it is out.
        this.d.logger.warn('in the ISR without a local log (an empty disk?): leaving the ISR to copy the log again', { topic, partition, isr: state.isr });
        if (role !== undefined) this.leave(key, role);
        await writePartition(this.d.store, topic, partition, (s) => leaveIsr(s, this.d.nodeId, brokerMap(this.d.store)), this.d.logger).catch((err: unknown) =>
          this.d.logger.warn('could not leave the ISR yet; trying again at the next change', { topic, partition, err: (err as Error).message }),
        );
        return;
      }
      this.lostLogs.delete(key);
    }
    if (state.leader === this.d.nodeId) this.becomeLeader(key, topic, partition, log, state, role);
    else if (state.leader >= 0) this.becomeFollower(key, topic, partition, log, state, role);
    else {
      if (role?.kind === 'leader') this.endLeadership(key, topic, partition);
      if (role?.kind === 'follower') this.fetchers.removePartitions([{ topic, partition }]);
      this.roles.set(key, { kind: 'offline', topic, partition, log, leaderEpoch: state.leaderEpoch });
    }
  }

  private leave(key: string, role: Role): void {
    if (role.kind === 'follower') this.fetchers.removePartitions([{ topic: role.topic, partition: role.partition }]);
    if (role.kind === 'leader') this.endLeadership(key, role.topic, role.partition);
    this.roles.delete(key);
  }

  /** A leadership ends: acks=all produces waiting on it fail, and the listeners hear of it. */
  private endLeadership(key: string, topic: string, partition: number): void {
    this.failWaiters(key, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    this.tellLeadership(topic, partition, -1);
  }

  private becomeLeader(key: string, topic: string, partition: number, log: PartitionLog, s: PartitionState, role: Role | undefined): void {
    const now = this.d.clock.now();
    if (role?.kind === 'leader' && role.state.leaderEpoch === s.leaderEpoch) {
      this.updateLeaderState(role, s);
      this.advanceHighWatermark(key, role);
      return;
    }
    if (role?.kind === 'follower') this.fetchers.removePartitions([{ topic, partition }]);
    // A new epoch of a leadership this broker already held: the old one ends first.
    if (role?.kind === 'leader') this.endLeadership(key, topic, partition);
    const leader: Role = { kind: 'leader', topic, partition, log, state: new LeaderState(this.d.nodeId, s.leaderEpoch, s.partitionEpoch, s.replicas, s.isr, now), leaderEnd: log.logEndOffset };
    // The new epoch starts at this log's end: followers that diverge truncate to it.
    log.maybeAssignEpochStartOffset(s.leaderEpoch, log.logEndOffset);
    this.roles.set(key, leader);
    this.d.logger.info('leading partition', { topic, partition, leaderEpoch: s.leaderEpoch, isr: s.isr });
    this.advanceHighWatermark(key, leader);
    this.d.replicas.notify(key);
    this.tellLeadership(topic, partition, s.leaderEpoch);
  }

  private becomeFollower(key: string, topic: string, partition: number, log: PartitionLog, s: PartitionState, role: Role | undefined): void {
    if (role?.kind === 'leader') this.endLeadership(key, topic, partition);
    if (role?.kind === 'follower' && role.leaderId === s.leader && role.leaderEpoch === s.leaderEpoch && !role.paused) return;
    if (role?.kind === 'follower') this.fetchers.removePartitions([{ topic, partition }]);
    this.roles.set(key, { kind: 'follower', topic, partition, log, leaderId: s.leader, leaderEpoch: s.leaderEpoch, paused: false });
    this.d.logger.info('following partition', { topic, partition, leader: s.leader, leaderEpoch: s.leaderEpoch });
    this.fetchers.addPartitions(s.leader, [{ topic, partition }]);
    this.d.replicas.notify(key);
  }

  // --- what handlers ask ---

  /** Null when this broker leads the partition; else the error to answer with and the leader it knows. */
  notLeader(topic: string, partition: number, currentLeaderEpoch = -1): NotLeader | null {
    const role = this.roles.get(partitionKey(topic, partition));
    const state = this.d.store.partition(topic, partition);
    if (role?.kind === 'leader') {
      if (currentLeaderEpoch >= 0 && currentLeaderEpoch < role.state.leaderEpoch) return { errorCode: ErrorCode.FENCED_LEADER_EPOCH, leaderId: this.d.nodeId, leaderEpoch: role.state.leaderEpoch };
      if (currentLeaderEpoch > role.state.leaderEpoch) return { errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH, leaderId: this.d.nodeId, leaderEpoch: role.state.leaderEpoch };
      return null;
    }
    if (state === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, leaderId: -1, leaderEpoch: -1 };
    if (state.leader < 0) return { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, leaderId: -1, leaderEpoch: state.leaderEpoch };
    return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, leaderId: state.leader, leaderEpoch: state.leaderEpoch };
  }

  // --- consumers fetching from followers (KIP-392) ---

  /**
   * Null when this broker follows the partition and may serve a consumer's fetch from its copy
   * (up to its high watermark); else why not, as notLeader says it. `currentLeaderEpoch` is
   * checked against the leader epoch this follower knows.
   */
  notFollower(topic: string, partition: number, currentLeaderEpoch = -1): NotLeader | null {
    const role = this.roles.get(partitionKey(topic, partition));
    if (role?.kind !== 'follower') return this.notLeader(topic, partition, currentLeaderEpoch);
    if (currentLeaderEpoch >= 0 && currentLeaderEpoch < role.leaderEpoch) return { errorCode: ErrorCode.FENCED_LEADER_EPOCH, leaderId: role.leaderId, leaderEpoch: role.leaderEpoch };
    if (currentLeaderEpoch > role.leaderEpoch) return { errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH, leaderId: role.leaderId, leaderEpoch: role.leaderEpoch };
    return null;
  }

  /**
   * The replica a consumer in `clientRack` should fetch from, as Kafka's RackAwareReplicaSelector
   * picks it when `replica.selector.class` names it: among this leader and the in-sync followers
   * whose log reaches `fetchOffset`, those in the client's rack; this leader when it is one of
   * them, else the one furthest ahead. -1 means this leader (no selector, no rack, or no match).
   */
  preferredReadReplica(topic: string, partition: number, clientRack: string, fetchOffset: number): number {
    const selector = (this.d.keys()['replica.selector.class'] ?? '').trim();
    if (!selector.endsWith('RackAwareReplicaSelector') || clientRack === '') return -1;
    const role = this.roles.get(partitionKey(topic, partition));
    if (role?.kind !== 'leader') return -1;
    const racks = new Map(this.d.store.brokers().map((b) => [b.nodeId, b.rack]));
    if (racks.get(this.d.nodeId) === clientRack) return -1;
    let best = -1;
    let bestEnd = -1;
    for (const [id, f] of role.state.followers) {
      if (racks.get(id) !== clientRack || !role.state.isr.includes(id) || f.logEndOffset < fetchOffset) continue;
      if (f.logEndOffset > bestEnd) [best, bestEnd] = [id, f.logEndOffset];
    }
    return best;
  }

  /** The epoch this broker leads a partition with (for appends), or -1. */
  leaderEpoch(topic: string, partition: number): number {
    const role = this.roles.get(partitionKey(topic, partition));
    return role?.kind === 'leader' ? role.state.leaderEpoch : -1;
  }

  /** The ISR size of a partition this broker leads (0 when it does not lead it). */
  isrSize(topic: string, partition: number): number {
    const role = this.roles.get(partitionKey(topic, partition));
    return role?.kind === 'leader' ? role.state.isr.length : 0;
  }

  /** A leader's append completed up to `endOffset`: with an ISR of one, the high watermark follows. */
  appended(topic: string, partition: number, endOffset: number): void {
    const key = partitionKey(topic, partition);
    const role = this.roles.get(key);
    if (role?.kind !== 'leader') return;
    role.leaderEnd = Math.max(role.leaderEnd, endOffset);
    this.advanceHighWatermark(key, role);
  }

  /**
   * acks=all: resolves with NONE once the ISR holds every offset below `endOffset`, or with the
   * error that ends the wait (leadership lost, the timeout).
   */
  waitForIsr(topic: string, partition: number, endOffset: number, timeoutMs: number): Promise<number> {
    const key = partitionKey(topic, partition);
    const role = this.roles.get(key);
    if (role?.kind !== 'leader' || this.stopped) return Promise.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    if (role.log.highWatermark >= endOffset) return Promise.resolve(ErrorCode.NONE);
    return new Promise<number>((resolve) => {
      const list = this.waiters.get(key) ?? [];
      const w: AckWaiter = {
        offset: endOffset,
        resolve,
        timer: this.d.clock.setTimeout(() => {
          const l = this.waiters.get(key);
          const i = l?.indexOf(w) ?? -1;
          if (i >= 0) l!.splice(i, 1);
          resolve(ErrorCode.REQUEST_TIMED_OUT);
        }, Math.max(0, timeoutMs)),
      };
      list.push(w);
      this.waiters.set(key, list);
    });
  }

  private failWaiters(key: string, code: number): void {
    const list = this.waiters.get(key);
    if (list === undefined) return;
    this.waiters.delete(key);
    for (const w of list) {
      this.d.clock.clearTimeout(w.timer);
      w.resolve(code);
    }
  }

  /** A follower fetched from a partition this broker leads (Kafka's updateFollowerFetchState). */
  followerFetched(topic: string, partition: number, replicaId: number, fetchOffset: number): NotLeader | null {
    const key = partitionKey(topic, partition);
    const role = this.roles.get(key);
    if (role?.kind !== 'leader') return this.notLeader(topic, partition);
    if (!role.state.recordFetch(replicaId, fetchOffset, role.leaderEnd, this.d.clock.now())) {
      return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, leaderId: this.d.nodeId, leaderEpoch: role.state.leaderEpoch };
    }
    this.maybeExpandIsr(role);
    this.advanceHighWatermark(key, role);
    return null;
  }

  // --- replication throttles (replication-throttle.ts) ---

  private throttledHere(topic: string, partition: number, side: 'leader' | 'follower'): boolean {
    return listsReplica(this.d.store.topic(topic)?.configs[`${side}.replication.throttled.replicas`], partition, this.d.nodeId);
  }

  /** A follower's fetch of a partition this broker leads gets no data now: it is throttled, out of the ISR, and the leader's rate is used up. */
  leaderThrottled(topic: string, partition: number, replicaId: number): boolean {
    // Cheapest first: on the replica fetch path, and with no rate set (the default) nothing else is looked at.
    if (!this.throttles.leader.limited()) return false;
    const role = this.roles.get(partitionKey(topic, partition));
    if (role?.kind !== 'leader' || role.state.isr.includes(replicaId) || !this.throttledHere(topic, partition, 'leader')) return false;
    return this.throttles.leader.exceeded();
  }

  /** Bytes sent to a follower: they count against the leader's throttle when the partition is throttled here. */
  sentToFollower(topic: string, partition: number, bytes: number): void {
    if (bytes > 0 && this.throttles.leader.limited() && this.throttledHere(topic, partition, 'leader')) this.throttles.leader.record(bytes);
  }

  private advanceHighWatermark(key: string, role: Extract<Role, { kind: 'leader' }>): void {
    const hw = role.state.highWatermark(role.leaderEnd);
    if (hw > role.log.highWatermark) {
      role.log.updateHighWatermark(hw);
      this.d.replicas.notify(key);
    }
    const list = this.waiters.get(key);
    if (list === undefined) return;
    const now = role.log.highWatermark;
    const done = list.filter((w) => w.offset <= now);
    if (done.length === 0) return;
    const rest = list.filter((w) => w.offset > now);
    if (rest.length === 0) this.waiters.delete(key);
    else this.waiters.set(key, rest);
    for (const w of done) {
      this.d.clock.clearTimeout(w.timer);
      w.resolve(ErrorCode.NONE);
    }
  }

  // --- the ISR ---

  private maybeExpandIsr(role: Extract<Role, { kind: 'leader' }>): void {
    if (role.state.pendingIsr !== null) return;
    const epochStart = role.log.leaderEpochEntries.find((e) => e.epoch === role.state.leaderEpoch)?.startOffset ?? 0;
    const joining = role.state.caughtUp(role.log.highWatermark, epochStart, this.d.clock.now(), this.d.settings.replicaLagTimeMaxMs);
    const live = new Set(this.d.store.brokers().filter((b) => !b.shuttingDown).map((b) => b.nodeId));
    const add = joining.filter((r) => live.has(r));
    if (add.length === 0) return;
    void this.writeIsr(role, [...role.state.isr, ...add], 'expand');
  }

  /**
   * A leadership's partition state moves on: an ISR that lost members counts as a shrink, one that
   * gained members as an expansion, whoever wrote it (this leader, or the controller dropping a
   * broker that went away: Kafka's IsrShrinksPerSec is how operators see a broker go down).
   */
  private updateLeaderState(role: Extract<Role, { kind: 'leader' }>, s: PartitionState): void {
    const before = role.state.isr;
    role.state.update(s.partitionEpoch, s.replicas, s.isr, this.d.clock.now());
    if (before.some((r) => !s.isr.includes(r))) this.isrChanges.shrinks++;
    if (s.isr.some((r) => !before.includes(r))) this.isrChanges.expands++;
  }

  private scheduleIsrCheck(): void {
    if (this.stopped) return;
    const every = Math.max(10, Math.floor(this.d.settings.replicaLagTimeMaxMs / 2));
    this.isrTimer = this.d.clock.setTimeout(() => {
      this.checkIsr();
      this.scheduleIsrCheck();
    }, every);
  }

  /** Kafka's maybeShrinkIsr: in-sync followers that have not caught up within replica.lag.time.max.ms leave. */
  checkIsr(): void {
    const now = this.d.clock.now();
    for (const role of this.roles.values()) {
      if (role.kind !== 'leader' || role.state.pendingIsr !== null) continue;
      const out = role.state.outOfSync(now, this.d.settings.replicaLagTimeMaxMs);
      if (out.length === 0) continue;
      void this.writeIsr(role, role.state.isr.filter((r) => !out.includes(r)), 'shrink');
    }
  }

  private async writeIsr(role: Extract<Role, { kind: 'leader' }>, isr: number[], why: 'shrink' | 'expand'): Promise<void> {
    const { state, topic, partition } = role;
    const key = partitionKey(topic, partition);
    // Until the write settles, a joining follower already holds the high watermark back (LeaderState.maximalIsr).
    state.pendingIsr = isr;
    const from = state.isr;
    try {
      const result = await alterIsr(this.d.store, { topic, partition, leaderId: this.d.nodeId, leaderEpoch: state.leaderEpoch, isr });
      if (result !== 'ok') {
        this.d.logger.debug('ISR change not made', { topic, partition, result });
        return;
      }
      this.d.logger.info(why === 'shrink' ? 'shrinking ISR' : 'expanding ISR', { topic, partition, from, to: isr });
      // The store holds the new ISR now: take it at once, as Kafka's leader does on AlterPartition's
      // answer, rather than with the store's event, which may come later (the event applies it again).
      const s = this.d.store.partition(topic, partition);
      if (this.roles.get(key) === role && s !== undefined && s.leader === this.d.nodeId && s.leaderEpoch === state.leaderEpoch) {
        this.updateLeaderState(role, s);
      }
    } finally {
      if (state.pendingIsr === isr) state.pendingIsr = null;
      if (this.roles.get(key) === role) this.advanceHighWatermark(key, role);
    }
  }

  // --- the follower side (FetcherHost) ---

  fetchState(topic: string, partition: number): { fetchOffset: number; lastFetchedEpoch: number; logStartOffset: number; leaderEpoch: number } | null {
    const role = this.roles.get(partitionKey(topic, partition));
    if (role?.kind !== 'follower' || role.paused) return null;
    // Throttled out of the ISR with the follower's rate used up: asked again after the fetch backoff.
    if (this.throttles.follower.limited() && this.throttledHere(topic, partition, 'follower') && !this.d.store.partition(topic, partition)?.isr.includes(this.d.nodeId) && this.throttles.follower.exceeded()) return null;
    return { fetchOffset: role.log.logEndOffset, lastFetchedEpoch: role.log.latestEpoch ?? -1, logStartOffset: role.log.logStartOffset, leaderEpoch: role.leaderEpoch };
  }

  async onRecords(topic: string, partition: number, records: Buffer, highWatermark: number, leaderLogStartOffset: number): Promise<void> {
    const key = partitionKey(topic, partition);
    const role = this.roles.get(key);
    if (role?.kind !== 'follower') return;
    if (records.length > 0 && this.throttles.follower.limited() && this.throttledHere(topic, partition, 'follower')) this.throttles.follower.record(records.length);
    if (records.length > 0) await role.log.appendAsFollower(records);
    if (leaderLogStartOffset > role.log.logStartOffset && leaderLogStartOffset <= role.log.logEndOffset) await role.log.deleteRecordsBefore(leaderLogStartOffset);
    role.log.updateHighWatermark(Math.min(highWatermark, role.log.logEndOffset));
    this.d.replicas.notify(key);
  }

  async onDiverging(topic: string, partition: number, epoch: number, endOffset: number): Promise<void> {
    const role = this.roles.get(partitionKey(topic, partition));
    if (role?.kind !== 'follower') return;
    const local = role.log.endOffsetForEpoch(epoch);
    const to = Math.min(endOffset, local === null ? endOffset : local.endOffset, role.log.logEndOffset);
    this.d.logger.info('truncating a diverged replica', { topic, partition, from: role.log.logEndOffset, to, epoch });
    await role.log.truncateTo(Math.max(to, role.log.logStartOffset));
  }

  async onOutOfRange(topic: string, partition: number, leaderLogStartOffset: number): Promise<void> {
    const role = this.roles.get(partitionKey(topic, partition));
    if (role?.kind !== 'follower') return;
    // The leader no longer has what this replica needs next: start over at the leader's log start.
    this.d.logger.info('replica out of range: starting over at the leader log start', { topic, partition, leaderLogStartOffset });
    await role.log.truncateFullyAndStartAt(leaderLogStartOffset);
  }

  onPartitionError(topic: string, partition: number, errorCode: number): void {
    const role = this.roles.get(partitionKey(topic, partition));
    if (role?.kind !== 'follower') return;
    role.paused = true;
    this.d.logger.debug('replica fetch paused', { topic, partition, errorCode });
  }

  /** Partitions this broker leads now (controlled shutdown waits for these to move). */
  leaderships(): Array<{ topic: string; partition: number }> {
    return [...this.roles.values()].filter((r) => r.kind === 'leader').map((r) => ({ topic: r.topic, partition: r.partition }));
  }
}
