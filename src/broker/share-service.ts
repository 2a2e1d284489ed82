/**
 * Share groups on this broker (KIP-932): the members (coordinator/share/group.ts), the share
 * sessions (share-sessions.ts) and the share-partitions (coordinator/share/share-partition.ts),
 * whose states are written to `__share_group_state` before a request that changed them is
 * answered. Kafka splits this between the group coordinator, SharePartitionManager and the share
 * coordinator; here one object per broker holds it, made at the first share request.
 *
 * Order in one ShareFetch: session epoch check → acknowledgements applied → records read from
 * the log and acquired for the member → the changed states written → the response. A fetch
 * that acquires nothing waits (long poll) for an append, a release or a lock expiry, up to
 * max_wait_ms.
 *
 * Alone, a broker serves all of it. In a cluster, ShareGroupHeartbeat goes to the group's
 * coordinator (the members, kept by the group coordinator in `__consumer_offsets`) and ShareFetch / ShareAcknowledge to a partition's
 * leader, which holds the share-partition while it leads it. Its state is read and written
 * through the persister (share-persister.ts): the share coordinator of its key, the leader of the
 * key's `__share_group_state` partition, over keys 83–87, or in process when that is this broker.
 * A leadership that ends drops the state held under it, so the next leader (or this one at a new
 * epoch) loads it from the coordinator; a share session opening checks held states against the
 * coordinator (an admin change elsewhere may have re-initialized or deleted them). The admin
 * views (offsets, stateOf) read every partition's state from its coordinator (see README Limits).
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { BASE_OFFSET, ATTRIBUTES, LAST_OFFSET_DELTA, CONTROL_BIT, PRODUCER_ID, readInt64 } from '../protocol/records/batch-header.js';
import { committedBatchFlags } from '../protocol/records/read-committed.js';
import { controlType } from '../storage/producer-state-io.js';
import { batchSpans } from '../protocol/records/record-batch.js';
import { partitionKey } from '../cluster/replica-manager.js';
import { shareConfig, type ShareConfig } from '../coordinator/share/config.js';
import type { ShareGroups } from '../coordinator/share/group.js';
import { SharePartition, ACK_OK, AcknowledgeType, RecordState, type AcquiredRange, type ShareSnapshot } from '../coordinator/share/share-partition.js';
import { SHARE_STATE_TOPIC, ShareStateStore } from '../coordinator/share/state-store.js';
import { ShareCoordinator } from '../coordinator/share/coordinator.js';
import { shareKeyText, type SharePartitionKey } from '../coordinator/share/records.js';
import { LocalPersister, type SharePersister } from './share-persister.js';
import { shareStateLog } from './share-cluster.js';
import type { TimerHandle } from '../platform/clock.js';
import { isInternalTopic } from '../cluster/topic-names.js';
import type { BrokerContext } from './handler.js';
import { ShareSessions } from './share-sessions.js';

/** How long one read for a share-partition may return (a cap on a fetch's records buffer per partition). */
const SHARE_READ_BYTES_MAX = 1 << 20;

interface Held {
  key: SharePartitionKey;
  topic: string;
  partition: number;
  sp: SharePartition;
  /** The partition's leader epoch when this broker loaded the state (a new leadership loads it again). */
  leaderEpoch: number;
  /** Writes of this share-partition's state, one after another. */
  writes: Promise<void>;
  /**
   * Acquisitions, one at a time in the order asked: long-polling fetches woken together take
   * turns (the longest waiting first) rather than race their reads, so members share the records.
   */
  acquiring: Promise<void>;
  lockTimer: TimerHandle | null;
}

export interface ShareAckBatch {
  firstOffset: number;
  lastOffset: number;
  acknowledgeTypes: number[];
}

export interface SharePartitionResult {
  errorCode: number;
  records: Buffer;
  acquired: AcquiredRange[];
}

const services = new WeakMap<BrokerContext, ShareService>();

/** KIP-1222: RENEW (4) acknowledgements come only in v2+ requests that say so with IsRenewAck. */
export function misplacedRenew(batches: readonly ShareAckBatch[], isRenewAck: boolean): boolean {
  return !isRenewAck && batches.some((b) => b.acknowledgeTypes.includes(AcknowledgeType.RENEW));
}

export class ShareService {
  readonly config: ShareConfig;
  readonly groups: ShareGroups;
  readonly sessions: ShareSessions;
  /** The share coordinator in this process: alone, of every share-partition; in a cluster, of the keys whose state partitions it leads. */
  readonly coordinator: ShareCoordinator;
  readonly store: ShareStateStore;
  /** Where states are read and written: this broker's coordinator alone, each key's coordinator in a cluster. */
  private readonly persister: SharePersister;
  private readonly held = new Map<string, Held>();
  private readonly loading = new Map<string, Promise<Held>>();
  /** Long-polling fetches, woken when records become available again. */
  private readonly waiters = new Set<() => void>();

  /** The broker's share service, made at its first use. */
  static of(broker: BrokerContext): ShareService {
    let s = services.get(broker);
    if (s === undefined) {
      s = new ShareService(broker);
      services.set(broker, s);
    }
    return s;
  }

  /** The broker's share service if a share request made it, else undefined (listing must not start one). */
  static existing(broker: BrokerContext): ShareService | undefined {
    return services.get(broker);
  }

  /**
   * The share service when share groups may exist here: made by a share request, or with a
   * `__share_group_state` topic left by an earlier run. Else undefined, so that admin requests
   * for other groups (DeleteGroups) do not create the topic.
   */
  static ifAny(broker: BrokerContext): ShareService | undefined {
    return services.get(broker) ?? (broker.topics.get(SHARE_STATE_TOPIC) !== undefined ? ShareService.of(broker) : undefined);
  }

  /** The share coordinator that answers keys 83–87 here (a cluster's is made at start-up, to follow elections). */
  static coordinatorOf(broker: BrokerContext): ShareCoordinator {
    return broker.shareState?.coordinator ?? ShareService.of(broker).coordinator;
  }

  private constructor(private readonly broker: BrokerContext) {
    this.config = shareConfig(broker.config.raw);
    this.sessions = new ShareSessions(this.config.maxShareSessions, (groupId, memberId) => this.groups.get(groupId)?.members.has(memberId) === true);
    // Membership is the group coordinator's (kept in __consumer_offsets); a member gone lets go of what it holds here.
    this.groups = broker.groups.shares;
    this.groups.onMemberGone((groupId, memberId) => void this.memberGone(groupId, memberId));
    this.coordinator = broker.shareState?.coordinator ?? new ShareCoordinator({
      log: shareStateLog(broker.topics, broker.replicas, broker.config.raw), config: this.config, logger: broker.logger, now: () => broker.clock.now(), followsLeadership: false,
    });
    this.store = this.coordinator.store;
    this.persister = broker.shareState?.persister ?? new LocalPersister(this.coordinator);
    // A leadership that ends (or moves to a new epoch) drops what was loaded under it; the next leader reads the coordinator's state.
    broker.replication?.onLeadership((topic, partition) => {
      for (const [text, h] of this.held) if (h.topic === topic && h.partition === partition) this.drop(text, h);
    });
    broker.onStopping(() => this.stop());
  }

  private drop(text: string, h: Held): void {
    if (this.held.get(text) !== h) return;
    if (h.lockTimer !== null) this.broker.clock.clearTimeout(h.lockTimer);
    h.lockTimer = null;
    this.held.delete(text);
  }

  /** The partition's leader epoch; in a cluster, throws NOT_LEADER_OR_FOLLOWER (and the like) unless this broker leads it. */
  private leadership(topic: string, partition: number): number {
    const notLeader = this.broker.replication?.notLeader(topic, partition) ?? null;
    if (notLeader !== null) throw new KafkaError(notLeader.errorCode, `${topic}-${partition} is led by broker ${notLeader.leaderId}, not here`);
    return this.broker.replicas.leaderEpoch(topic, partition);
  }

  private stop(): void {
    for (const h of this.held.values()) if (h.lockTimer !== null) this.broker.clock.clearTimeout(h.lockTimer);
    for (const w of this.waiters) w();
  }

  /** The share-partition of a group, loaded from `__share_group_state` or started per share.auto.offset.reset (the group's, else samsa.share.auto.offset.reset). */
  private async partition(groupId: string, topicId: string, topic: string, partition: number): Promise<Held> {
    const key: SharePartitionKey = { groupId, topicId, partition };
    const text = shareKeyText(key);
    const leaderEpoch = this.leadership(topic, partition);
    const have = this.held.get(text);
    if (have !== undefined && have.leaderEpoch === leaderEpoch) return have;
    if (have !== undefined) this.drop(text, have);
    let p = this.loading.get(text);
    if (p === undefined) {
      p = (async () => {
        const log = this.broker.replicas.log(topic, partition);
        if (log === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${partition} is not hosted here`);
        const gc = this.broker.groupConfigs;
        const limits = this.limits(groupId);
        const stored = await this.persister.read(key, leaderEpoch);
        const start = stored !== null ? 0 : await startOffset(log, gc.overrides(groupId)['share.auto.offset.reset'] ?? this.config.autoOffsetReset, this.broker.clock.now());
        const sp = stored !== null ? SharePartition.restore(stored, limits) : new SharePartition(start, limits);
        const h: Held = { key, topic, partition, sp, leaderEpoch, writes: Promise.resolve(), acquiring: Promise.resolve(), lockTimer: null };
        this.held.set(text, h);
        // A share-partition starts durable, so that a restart keeps its start offset (latest would move).
        if (stored === null) await this.persist(h);
        return h;
      })().finally(() => this.loading.delete(text));
      this.loading.set(text, p);
    }
    return p;
  }

  /**
   * In a cluster, a share session opens: the states held here for its partitions are checked
   * against their share coordinators, where AlterShareGroupOffsets or DeleteShareGroupOffsets (sent
   * from the group's coordinator, elsewhere) may have re-initialized or deleted them. A state whose
   * epoch moved on, or that is gone, is dropped and loaded again at its next use.
   */
  async revalidate(groupId: string, partitions: Iterable<{ topicId: string; partition: number }>): Promise<void> {
    if (this.broker.shareState === undefined) return;
    await Promise.all([...partitions].map(async (p) => {
      const text = shareKeyText({ groupId, topicId: p.topicId, partition: p.partition });
      const h = this.held.get(text);
      if (h === undefined) return;
      await h.writes;
      const stored = await this.persister.summary(h.key).catch(() => undefined);
      // Unanswered (undefined): kept; a write under a stale state epoch would be fenced anyway.
      if (stored !== undefined && (stored === null || stored.stateEpoch !== h.sp.stateEpoch)) this.drop(text, h);
    }));
  }

  /** The group's configs (share.*, IncrementalAlterConfigs on GROUP) over the broker's group.share.* keys. */
  private limits(groupId: string) {
    const gc = this.broker.groupConfigs;
    return {
      lockDurationMs: gc.intValue(groupId, 'share.record.lock.duration.ms'),
      deliveryCountLimit: gc.intValue(groupId, 'share.delivery.count.limit'),
      maxRecordLocks: gc.intValue(groupId, 'share.partition.max.record.locks'),
    };
  }

  /**
   * AlterShareGroupOffsets of an empty group: the share-partition starts again at `startOffset`
   * (its SPSO) with nothing in flight and a new state epoch, written to `__share_group_state`
   * before this resolves. A share-partition held in memory is replaced in place, after the writes
   * queued before it.
   */
  async resetStart(groupId: string, topicId: string, partition: number, startOffset: number): Promise<void> {
    const key: SharePartitionKey = { groupId, topicId, partition };
    const text = shareKeyText(key);
    await this.loading.get(text)?.catch(() => undefined);
    const h = this.held.get(text);
    const stateEpoch = (h?.sp.snapshot().stateEpoch ?? (await this.persister.summary(key))?.stateEpoch ?? -1) + 1;
    // Held elsewhere (another broker leads the partition), the state is initialized at its
    // coordinator; that leader's next write, under the older state epoch, is fenced and it reloads.
    if (h === undefined) return this.persister.initialize(key, stateEpoch, startOffset);
    const fresh: ShareSnapshot = { startOffset, stateEpoch, stateBatches: [] };
    h.sp = SharePartition.restore(fresh, this.limits(groupId));
    this.armLocks(h);
    await this.persist(h);
    this.wake();
  }

  /**
   * DeleteShareGroupOffsets / DeleteGroups of an empty group: the share-partition's state is gone
   * (a tombstone in `__share_group_state`), so its next use starts from share.auto.offset.reset.
   */
  async forget(groupId: string, topicId: string, partition: number): Promise<void> {
    const key: SharePartitionKey = { groupId, topicId, partition };
    const text = shareKeyText(key);
    await this.loading.get(text)?.catch(() => undefined);
    const h = this.held.get(text);
    if (h !== undefined) {
      this.drop(text, h);
      await h.writes;
    }
    await this.persister.delete(key);
  }

  /** The share-partitions of a group that have state here (stored or held). */
  async stateOf(groupId: string): Promise<SharePartitionKey[]> {
    const keys = new Map<string, SharePartitionKey>();
    for (const r of await this.storedStates(groupId)) keys.set(shareKeyText(r.key), r.key);
    for (const h of this.held.values()) if (h.key.groupId === groupId) keys.set(shareKeyText(h.key), h.key);
    return [...keys.values()];
  }

  /**
   * The group's stored share-partition states. Alone: this broker's `__share_group_state`. In a
   * cluster no broker holds them all, and the group's members do not name every partition it has
   * state for, so every partition of every topic is read from its share coordinator (one
   * ReadShareGroupState each, in parallel) — the admin APIs' cost, not the fetch path's.
   */
  private async storedStates(groupId: string): Promise<Array<{ key: SharePartitionKey; state: ShareSnapshot; leaderEpoch: number }>> {
    if (this.broker.shareState === undefined) {
      await this.store.ready();
      return this.store.all().filter((r) => r.key.groupId === groupId).map((r) => ({ key: r.key, state: r, leaderEpoch: r.leaderEpoch }));
    }
    const keys: Array<{ key: SharePartitionKey; topic: string }> = [];
    for (const t of this.broker.topics.all()) {
      if (isInternalTopic(t.name)) continue;
      for (let partition = 0; partition < t.partitions; partition++) keys.push({ key: { groupId, topicId: t.topicId, partition }, topic: t.name });
    }
    const found = await Promise.all(keys.map(async ({ key, topic }) => {
      const state = await this.persister.read(key, -1);
      return state === null ? null : { key, state, leaderEpoch: this.broker.metadataStore?.partition(topic, key.partition)?.leaderEpoch ?? -1 };
    }));
    return found.filter((f) => f !== null);
  }

  /** Writes the share-partition's current state (after the writes before it). */
  private persist(h: Held): Promise<void> {
    const w = h.writes.then(() => this.persister.write(h.key, h.sp.snapshot(), h.leaderEpoch)).catch((err: unknown) => {
      if (!(err instanceof KafkaError) || (err.code !== ErrorCode.FENCED_STATE_EPOCH && err.code !== ErrorCode.FENCED_LEADER_EPOCH)) throw err;
      // The coordinator holds a newer state (re-initialized, or a newer leader's): what is held here
      // is dropped and the client, told to find the leader again, retries against a fresh load.
      this.drop(shareKeyText(h.key), h);
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `the state of ${shareKeyText(h.key)} moved on at its share coordinator (${err.message}); it is loaded again`);
    });
    h.writes = w.catch(() => undefined);
    return w;
  }

  /** Re-arms the lock timer for the share-partition's earliest acquisition lock. */
  private armLocks(h: Held): void {
    if (h.lockTimer !== null) this.broker.clock.clearTimeout(h.lockTimer);
    h.lockTimer = null;
    const next = h.sp.nextLockExpiryMs();
    if (next === null) return;
    h.lockTimer = this.broker.clock.setTimeout(() => {
      h.lockTimer = null;
      if (h.sp.expireLocks(this.broker.clock.now()) > 0) {
        this.persist(h).catch((err: unknown) => this.broker.logger.warn('could not write a share-partition after its locks expired', { err: String(err) }));
        this.wake();
      }
      this.armLocks(h);
    }, Math.max(0, next - this.broker.clock.now()));
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** A partition's leader as ShareFetch and ShareAcknowledge report it (CurrentLeader): alone this broker; in a cluster the metadata's. */
  currentLeader(topicId: string, partition: number): { leaderId: number; leaderEpoch: number } {
    const t = this.broker.topics.getById(topicId);
    const state = t === undefined ? undefined : this.broker.metadataStore?.partition(t.name, partition);
    return state === undefined ? { leaderId: this.broker.nodeId, leaderEpoch: -1 } : { leaderId: state.leader, leaderEpoch: state.leaderEpoch };
  }

  /** Resolves a topic id to this broker's topic, or throws UNKNOWN_TOPIC_ID. */
  topicName(topicId: string): string {
    const t = this.broker.topics.getById(topicId);
    if (t === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, `no topic has id ${topicId}`);
    return t.name;
  }

  /** Applies a member's acknowledgements to one share-partition and writes the result. */
  async acknowledge(groupId: string, memberId: string, topicId: string, partition: number, batches: readonly ShareAckBatch[]): Promise<number> {
    const topic = this.topicName(topicId);
    const h = await this.partition(groupId, topicId, topic, partition);
    let errorCode = 0;
    let changed = false;
    for (const b of batches) {
      const r = h.sp.acknowledge(memberId, b.firstOffset, b.lastOffset, b.acknowledgeTypes, this.broker.clock.now());
      if (r === ACK_OK) changed = true;
      else errorCode ||= r;
    }
    if (changed) {
      this.armLocks(h);
      await this.persist(h);
      this.wake();
    }
    return errorCode;
  }

  /** Acquires records of one share-partition for the member: what it reads, and the ranges it now holds. */
  async acquire(groupId: string, memberId: string, topicId: string, partition: number, maxRecords: number, maxBytes: number): Promise<SharePartitionResult> {
    const topic = this.topicName(topicId);
    const h = await this.partition(groupId, topicId, topic, partition);
    const turn = h.acquiring.then(() => this.acquireNow(h, memberId, maxRecords, maxBytes));
    h.acquiring = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  private async acquireNow(h: Held, memberId: string, maxRecords: number, maxBytes: number): Promise<SharePartitionResult> {
    const { topic, partition } = h;
    const log = this.broker.replicas.log(topic, partition);
    if (log === undefined) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${topic}-${partition} is not led here`);
    h.sp.moveStartTo(log.logStartOffset);
    const none: SharePartitionResult = { errorCode: 0, records: Buffer.alloc(0), acquired: [] };
    // share.isolation.level (a group config): read_committed reads up to the last stable offset,
    // and the records of aborted transactions are archived, never delivered.
    const isolation = this.broker.groupConfigs.overrides(h.key.groupId)['share.isolation.level'] === 'read_committed' ? 'read_committed' : 'read_uncommitted';
    const bound = isolation === 'read_committed' ? log.lastStableOffset : log.highWatermark;
    const start = h.sp.nextFetchOffset();
    if (maxRecords <= 0 || !h.sp.canAcquire() || start >= bound) return none;
    const read = await log.read(start, Math.min(maxBytes, SHARE_READ_BYTES_MAX), { maxOffset: bound, minOneBatch: true, isolation });
    const spans = [...batchSpans(read.records)];
    const taken = isolation === 'read_committed' ? committedSpans(read.records, spans, read.abortedTransactions ?? null) : null;
    // After the await: the state may have moved, and acquire() takes only what is still available.
    const kept: Buffer[] = [];
    const acquired: AcquiredRange[] = [];
    let left = maxRecords;
    let changed = false;
    for (const [i, { offset: at, size }] of spans.entries()) {
      if (left <= 0) break;
      const base = readInt64(read.records, at + BASE_OFFSET);
      const last = base + read.records.readInt32BE(at + LAST_OFFSET_DELTA);
      if (last < start) continue;
      if ((read.records.readInt16BE(at + ATTRIBUTES) & CONTROL_BIT) !== 0 || taken?.[i] === false) {
        changed = h.sp.archiveNonRecords(base, last) || changed;
        continue;
      }
      const got = h.sp.acquire(memberId, range(Math.max(base, start), last), left, this.broker.clock.now());
      if (got.length === 0) {
        if (h.sp.endOffset <= last && !h.sp.canAcquire()) break; // out of record locks
        continue;
      }
      for (const g of got) left -= g.lastOffset - g.firstOffset + 1;
      acquired.push(...got);
      kept.push(read.records.subarray(at, at + size));
    }
    if (acquired.length === 0) {
      if (changed) await this.persist(h);
      return none;
    }
    this.armLocks(h);
    // Delivery counts are durable before the member sees the records, so a crash cannot reset them.
    await this.persist(h);
    return { errorCode: 0, records: Buffer.concat(kept), acquired };
  }

  /**
   * Calls `wake` at the next event that may make records acquirable: an append or high-watermark
   * move on one of the partitions, a release, a lock expiry, or the broker stopping. Returns a
   * function that cancels it. A fetch listens before it reads, so that nothing between its read and
   * its wait is missed.
   */
  listen(partitions: Array<{ topic: string; partition: number }>, wake: () => void): () => void {
    const cancel = this.broker.replicas.onAppend(partitions.map((p) => partitionKey(p.topic, p.partition)), wake);
    this.waiters.add(wake);
    const unlisten = this.broker.onStopping(wake);
    return () => {
      cancel();
      this.waiters.delete(wake);
      unlisten();
    };
  }

  /** A session closed (or its member left the group): what the member holds in its partitions is released for others. */
  async releaseSession(groupId: string, memberId: string, close = true): Promise<void> {
    const s = close ? this.sessions.close(groupId, memberId) : this.sessions.get(groupId, memberId);
    if (s === undefined) return;
    const writes: Array<Promise<void>> = [];
    for (const p of s.partitions.values()) {
      const h = this.held.get(shareKeyText({ groupId, topicId: p.topicId, partition: p.partition }));
      if (h === undefined || h.sp.releaseMember(memberId) === 0) continue;
      this.armLocks(h);
      writes.push(this.persist(h));
    }
    await Promise.all(writes);
    if (writes.length > 0) this.wake();
  }

  private async memberGone(groupId: string, memberId: string): Promise<void> {
    try {
      // The session stays: the member's last requests (acknowledgements, epoch −1) may still come.
      await this.releaseSession(groupId, memberId, false);
    } catch (err) {
      this.broker.logger.warn('could not release the records of a share member that left', { groupId, memberId, err: String(err) });
    }
  }

  /**
   * A group's share-partitions as DescribeShareGroupOffsets reports them: the start offset (SPSO)
   * and the offsets from it on that are already done (acknowledged or archived), for the lag.
   * Null when the group has neither members nor stored state here (not a share group).
   */
  async offsets(groupId: string): Promise<Map<string, { topicId: string; partition: number; startOffset: number; doneInFlight: number; leaderEpoch: number }> | null> {
    const out = new Map<string, { topicId: string; partition: number; startOffset: number; doneInFlight: number; leaderEpoch: number }>();
    const add = (key: SharePartitionKey, s: ShareSnapshot, leaderEpoch: number) => {
      const doneInFlight = s.stateBatches.filter((b) => b.deliveryState === RecordState.ACKNOWLEDGED || b.deliveryState === RecordState.ARCHIVED).reduce((n, b) => n + b.lastOffset - b.firstOffset + 1, 0);
      out.set(shareKeyText(key), { topicId: key.topicId, partition: key.partition, startOffset: s.startOffset, doneInFlight, leaderEpoch });
    };
    for (const r of await this.storedStates(groupId)) add(r.key, r.state, r.leaderEpoch);
    for (const h of this.held.values()) if (h.key.groupId === groupId) add(h.key, h.sp.snapshot(), h.leaderEpoch);
    if (out.size === 0 && this.groups.get(groupId) === undefined) return null;
    return out;
  }
}

function* range(first: number, last: number): Generator<number> {
  for (let o = first; o <= last; o++) yield o;
}

/** ISO 8601 PnDTnHnMn.nS as milliseconds (share.auto.offset.reset=by_duration:…). */
function durationMs(text: string): number {
  const m = /^p(?:(\d+)d)?(?:t(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?)?$/i.exec(text.trim());
  if (m === null) return 0;
  return (Number(m[1] ?? 0) * 86_400 + Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0)) * 1000;
}

/** Where a share group starts on a partition it has no state for: earliest, latest, or the first offset at now − duration. */
async function startOffset(log: { logStartOffset: number; highWatermark: number; offsetForTimestamp(ts: number): Promise<{ offset: number } | null> }, reset: string, nowMs: number): Promise<number> {
  const r = reset.trim().toLowerCase();
  if (r === 'earliest') return log.logStartOffset;
  if (r.startsWith('by_duration:')) {
    const found = await log.offsetForTimestamp(nowMs - durationMs(r.slice('by_duration:'.length)));
    return Math.min(found?.offset ?? log.highWatermark, log.highWatermark);
  }
  return log.highWatermark;
}

/** read_committed: which of the read batches are committed (false for markers and aborted transactions' batches). */
function committedSpans(records: Buffer, spans: ReadonlyArray<{ offset: number; size: number }>, aborted: ReadonlyArray<{ producerId: number; firstOffset: number }> | null): boolean[] {
  const headers = spans.map(({ offset: at, size }) => ({
    at, size,
    baseOffset: readInt64(records, at + BASE_OFFSET),
    lastOffsetDelta: records.readInt32BE(at + LAST_OFFSET_DELTA),
    attributes: records.readInt16BE(at + ATTRIBUTES),
    producerId: readInt64(records, at + PRODUCER_ID),
  }));
  return committedBatchFlags(headers, aborted, (b) => controlType(records, b.at, b.size) === 0);
}
