/**
 * The classic group coordinator (Kafka's GroupCoordinator): consumer groups and their committed
 * offsets, kept in `__consumer_offsets`.
 *
 * A change that must survive a restart is a record: the coordinator computes it from the group
 * as it is, appends it to the group's partition, and only once the append is written replays it
 * into memory and answers. Start-up is the same replay, partition by partition, before that
 * partition's groups are served (COORDINATOR_LOAD_IN_PROGRESS until then). Operations on one
 * group run one at a time, so the state a record was computed from is the state it is replayed
 * onto. JoinGroup is in join.ts, the rebalance and its timers in rebalance.ts, SyncGroup,
 * Heartbeat and LeaveGroup in membership.ts, offsets in offsets.ts, admin APIs in admin.ts.
 */
import { randomUUID } from 'node:crypto';
import { assert } from '../../util/assert.js';
import type { Logger } from '../../util/logger.js';
import type { Clock, TimerHandle } from '../../platform/clock.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { encodeRecordBatch } from '../../protocol/records/record-batch.js';
import type { GroupCoordinatorConfig } from './config.js';
import { OFFSETS_TOPIC, type OffsetsTopic } from './offsets-topic.js';
import { ClassicGroup } from './group.js';
import { joinError, syncError } from './member.js';
import { decodeRecord, encodeRecord, groupPartition, type CoordinatorRecord } from './records.js';
import { loadPartition } from './loader.js';
import * as membership from './membership.js';
import * as join from './join.js';
import { clearHeartbeat, scheduleHeartbeat } from './rebalance.js';
import * as offsets from './offsets.js';
import * as admin from './admin.js';
import * as txnOffsets from './txn-offsets.js';
import { CoordinatorPartitions } from '../partitions.js';
import { ConsumerGroupState } from './consumer/group.js';
import * as consumer from './consumer/heartbeat.js';
import * as consumerAdmin from './consumer/admin.js';
import { ShareGroups, type ShareGroup } from '../share/group.js';
import { shareConfig, type ShareConfig } from '../share/config.js';

/** What a group id may be for an API: Kafka allows "" only for the offset and admin APIs. */
export type GroupIdRule = 'non-empty' | 'any';

export interface GroupCoordinatorOptions {
  config: GroupCoordinatorConfig;
  clock: Clock;
  logger: Logger;
  topic: OffsetsTopic;
  /** Source of the UUIDs in generated member ids (tests may fix it). */
  newUuid?: () => string;
  /** In a cluster: serve only the partitions this broker leads (`onElection` / `onResignation`). */
  followsLeadership?: boolean;
  /** The cluster's topics, for KIP-848 consumer groups' subscriptions (none without it). */
  topics?: consumer.TopicsView;
  /** Per-group configs (consumer.session.timeout.ms, consumer.heartbeat.interval.ms) over the broker's. */
  groupConfigs?: { intValue(group: string, key: string): number };
  /** `group.share.*` for share groups' membership (Kafka's defaults without it). */
  share?: ShareConfig;
}

export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig;
  private readonly groupConfigs: { intValue(group: string, key: string): number } | null;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly topic: OffsetsTopic;
  readonly newUuid: () => string;
  readonly topicsView: consumer.TopicsView;
  readonly groups = new Map<string, ClassicGroup>();
  /** Share groups (KIP-932), kept with the partitions of their groups. */
  readonly shares: ShareGroups;
  /** Rebalances of classic groups begun since start (Kafka's group-rebalance-count), for the metrics. */
  rebalances = 0;
  /** KIP-848 rebalances since start: group epochs written (Kafka's consumer-group-rebalance-count counts each bump), for the metrics. */
  consumerRebalances = 0;
  /** Which partitions of __consumer_offsets are served; none while the topic does not exist. */
  private readonly parts: CoordinatorPartitions;
  private stopped = false;
  private retentionTimer: TimerHandle | null = null;
  private readonly inFlight = new Set<Promise<unknown>>();

  /** A consumer group's session timeout: its consumer.session.timeout.ms, else group.consumer.session.timeout.ms. */
  consumerSessionTimeoutMs(groupId: string): number {
    return this.groupConfigs?.intValue(groupId, 'consumer.session.timeout.ms') ?? this.config.consumer.sessionTimeoutMs;
  }

  /** A consumer group's heartbeat interval: its consumer.heartbeat.interval.ms, else the broker's. */
  consumerHeartbeatIntervalMs(groupId: string): number {
    return this.groupConfigs?.intValue(groupId, 'consumer.heartbeat.interval.ms') ?? this.config.consumer.heartbeatIntervalMs;
  }

  constructor(opts: GroupCoordinatorOptions) {
    this.config = opts.config;
    this.clock = opts.clock;
    this.logger = opts.logger;
    this.topic = opts.topic;
    this.newUuid = opts.newUuid ?? randomUUID;
    this.topicsView = opts.topics ?? { all: () => [] };
    this.groupConfigs = opts.groupConfigs ?? null;
    this.shares = new ShareGroups({
      config: opts.share ?? shareConfig({}),
      clock: this.clock,
      logger: this.logger,
      topics: (name) => {
        for (const t of this.topicsView.all()) if (t.name === name) return { name: t.name, topicId: t.topicId, partitions: t.partitions };
        return undefined;
      },
      partitionFor: (groupId) => (this.partitionError(groupId) === null ? this.partitionFor(groupId) : null),
      // A write that timed out waiting for the ISR is COORDINATOR_NOT_AVAILABLE to a share member (it retries), as Kafka answers heartbeats.
      write: async (p, records) => {
        const code = await this.write(p, records.map((value) => ({ type: 'share', key: { group: value.group }, value })), 'group');
        return code === ErrorCode.REBALANCE_IN_PROGRESS ? ErrorCode.COORDINATOR_NOT_AVAILABLE : code;
      },
    });
    this.parts = new CoordinatorPartitions({
      log: this.topic,
      spec: () => ({ partitions: this.config.offsetsTopicPartitions, segmentBytes: this.config.offsetsTopicSegmentBytes }),
      partitionOf: groupPartition,
      topicName: OFFSETS_TOPIC,
      logger: this.logger,
      followsLeadership: opts.followsLeadership,
      loader: {
        load: (p, cancelled) => this.loadGroups(p, cancelled),
        loaded: (p) => this.onPartitionLoaded(p),
        drop: (p) => this.dropPartition(p),
      },
    });
  }

  /**
   * Starts the retention timer and, alone, loading every partition of an existing
   * __consumer_offsets; in a cluster partitions load as this broker is elected their leader.
   */
  start(): void {
    const count = this.parts.followsLeadership ? null : this.topic.partitionCount();
    if (count !== null) this.parts.loadAll(count);
    this.scheduleRetentionCheck();
  }

  /** Resolves when the partitions found at start (and those elected so far) are loaded. */
  loaded(): Promise<void> {
    return this.parts.loaded();
  }

  /** Stops timers, answers parked requests (NOT_COORDINATOR) and waits for writes in flight. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const partsStopped = this.parts.stop();
    if (this.retentionTimer !== null) this.clock.clearTimeout(this.retentionTimer);
    await this.parts.loaded();
    await partsStopped;
    await this.shares.idle();
    this.shares.close();
    for (const g of this.groups.values()) this.unload(g, ErrorCode.NOT_COORDINATOR);
    this.groups.clear();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * In a cluster, this broker now leads a partition of __consumer_offsets (Kafka's onElection):
   * its groups load from the log (COORDINATOR_LOAD_IN_PROGRESS until then).
   */
  onElection(partition: number, leaderEpoch: number): void {
    this.parts.electAndLoad(partition, leaderEpoch);
  }

  /** In a cluster, this broker no longer leads a partition (Kafka's onResignation): its groups go. */
  onResignation(partition: number): void {
    this.parts.resign(partition);
  }

  /** Forgets the groups of a partition, answering their parked requests with NOT_COORDINATOR. */
  private dropPartition(partition: number): void {
    this.shares.dropPartition(partition);
    for (const g of [...this.groups.values()]) {
      if (g.partition !== partition) continue;
      this.unload(g, ErrorCode.NOT_COORDINATOR);
      this.groups.delete(g.groupId);
    }
  }

  /** Replays one partition's records into memory. */
  private async loadGroups(p: number, cancelled: () => boolean): Promise<void> {
    const started = this.clock.now();
    const stats = await loadPartition({
      topic: this.topic,
      partition: p,
      bufferBytes: this.config.offsetsLoadBufferBytes,
      replay: (r) => this.replay(p, r),
      replayPending: (producerId, r) => txnOffsets.replayPending(this, producerId, r),
      isCancelled: cancelled,
      logger: this.logger,
    });
    if (stats.records > 0 && !cancelled())
      this.logger.info('loaded group metadata', { partition: p, records: stats.records, skipped: stats.skipped, ms: this.clock.now() - started });
  }

  /** A partition's groups are loaded: empty leftovers go, members' heartbeats start. */
  private onPartitionLoaded(p: number): void {
    this.shares.loaded(p);
    for (const g of this.groups.values()) {
      if (g.partition !== p) continue;
      // Offsets that were all deleted leave nothing behind (Kafka builds groups only from what remains).
      if (g.consumer !== null) {
        for (const m of g.consumer.members.values()) consumer.scheduleSessionTimeout(this, g, m);
        continue;
      }
      if (g.is('Empty') && !g.hasOffsets && g.generationId === 0 && g.protocolType === null && txnOffsets.pendingOf(g).size === 0) {
        this.drop(g);
        continue;
      }
      for (const m of g.members.values()) scheduleHeartbeat(this, g, m);
    }
  }

  /** The partition of __consumer_offsets for a group, or null while the topic does not exist. */
  partitionFor(groupId: string): number | null {
    return this.parts.partitionFor(groupId);
  }

  /**
   * Kafka's validateGroupStatus: null when this coordinator can serve the group now, else the
   * error to answer. Asking for a group while __consumer_offsets is missing creates it.
   */
  groupError(groupId: string, rule: GroupIdRule): number | null {
    if (rule === 'non-empty' && groupId === '') return ErrorCode.INVALID_GROUP_ID;
    return this.partitionError(groupId);
  }

  private partitionError(key: string): number | null {
    return this.parts.error(key);
  }

  /** FindCoordinator for a group: null when this broker coordinates it, else the error. */
  findCoordinatorError(groupId: string): number | null {
    return this.parts.findCoordinatorError(groupId);
  }

  /** True while some partition is still loading (ListGroups reports it). */
  get isLoading(): boolean {
    return this.parts.isLoading;
  }

  /** A live group (never Dead). */
  getGroup(groupId: string): ClassicGroup | undefined {
    return this.groups.get(groupId);
  }

  /** Kafka's getOrMaybeCreateGroup: a new group starts Empty, in memory only, until it writes a record. */
  getOrCreateGroup(groupId: string): ClassicGroup {
    let g = this.groups.get(groupId);
    if (g === undefined) {
      const p = this.partitionFor(groupId);
      assert(p !== null, 'a group is created only once its partition is ready');
      g = new ClassicGroup(groupId, p, this.clock.now());
      this.groups.set(groupId, g);
    }
    return g;
  }

  /** Runs an operation on a group after the ones before it; tracked so stop() can wait for it. */
  run<T>(group: ClassicGroup, fn: () => Promise<T> | T): Promise<T> {
    const op = group.exclusive(fn);
    this.inFlight.add(op);
    const done = () => this.inFlight.delete(op);
    op.then(done, done);
    return op;
  }

  /** Resolves once no operation is queued or running (tests use it after moving a ManualClock). */
  async whenIdle(): Promise<void> {
    for (let rounds = 0; rounds < 100; rounds++) {
      await new Promise((r) => setImmediate(r));
      if (this.inFlight.size === 0) return;
      await Promise.allSettled([...this.inFlight]);
    }
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Appends `records` to the partition as one batch; once written, replays them and resolves
   * NONE, else resolves the error a client should see (Kafka's mapping of append errors).
   */
  async write(partition: number, records: CoordinatorRecord[], kind: 'group' | 'offsets'): Promise<number> {
    assert(records.length > 0, 'a write needs records');
    if (this.stopped) return ErrorCode.NOT_COORDINATOR;
    const encoded = records.map(encodeRecord);
    const term = this.parts.termOf(partition);
    try {
      const batch = await encodeRecordBatch(encoded, { timestamp: this.clock.now() });
      await this.topic.append(partition, batch);
    } catch (err) {
      const code = appendErrorCode(err, kind);
      this.logger.warn('writing to __consumer_offsets failed', { partition, kind, code, err });
      return code;
    }
    // Leadership of the partition moved while the write waited: the new leader replays it.
    if (this.parts.termOf(partition) !== term) return ErrorCode.NOT_COORDINATOR;
    // A group emptied by one record may be refilled by the next (a migration's batch): drops wait for the whole batch.
    const emptied = new Set<ClassicGroup>();
    for (const e of encoded) this.replay(partition, decodeRecord(e.key, e.value)!, emptied);
    for (const g of emptied) if (g.is('Dead')) this.drop(g);
    for (const r of records) if (r.type === 'consumer' && r.value.type === 'cg-epoch' && r.value.value !== null) this.consumerRebalances++;
    return ErrorCode.NONE;
  }

  /** Applies one record to memory: the only way durable group state changes. */
  replay(partition: number, record: CoordinatorRecord, emptied?: Set<ClassicGroup>): void {
    if (record.type === 'share') return this.shares.replay(partition, record.value);
    const groupId = record.key.group;
    const existing = this.groups.get(groupId);
    if (record.value === null && existing === undefined) return;
    const g = existing ?? new ClassicGroup(groupId, partition, null);
    if (existing === undefined) this.groups.set(groupId, g);
    if (record.type === 'consumer') {
      g.consumer ??= new ConsumerGroupState();
      // An upgrade's records follow the classic group's tombstone in the same batch.
      if (g.is('Dead')) g.state = 'Empty';
      g.consumer.apply(record.value);
      // The group itself stays (as an empty classic one) for whoever deleted it; loading drops leftovers.
      if (g.consumer.isDeleted) g.consumer = null;
      return;
    }
    if (record.type === 'offset') g.applyOffsetRecord(record.key.topic, record.key.partition, record.value);
    else if (record.value !== null) g.applyGroupRecord(record.value);
    else g.applyGroupTombstone();
    if (g.is('Dead')) {
      if (emptied !== undefined) emptied.add(g);
      else this.drop(g);
    }
  }

  /** Forgets a group whose records are all deleted. */
  private drop(g: ClassicGroup): void {
    this.unload(g, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    g.state = 'Dead';
    if (this.groups.get(g.groupId) === g) this.groups.delete(g.groupId);
  }

  /** Clears a group's timers and answers its parked requests. */
  private unload(g: ClassicGroup, errorCode: number): void {
    for (const m of g.consumer?.members.values() ?? []) consumer.clearTimers(this, m);
    for (const m of g.members.values()) {
      clearHeartbeat(this, m);
      m.completeJoin(joinError(m.memberId, errorCode));
      m.completeSync(syncError(errorCode));
    }
    for (const t of g.pendingMembers.values()) this.clock.clearTimeout(t);
    g.pendingMembers.clear();
    if (g.joinTimer !== null) this.clock.clearTimeout(g.joinTimer);
    if (g.syncTimer !== null) this.clock.clearTimeout(g.syncTimer);
    g.joinTimer = g.syncTimer = null;
  }

  private scheduleRetentionCheck(): void {
    if (this.stopped) return;
    this.retentionTimer = this.clock.setTimeout(() => {
      this.retentionTimer = null;
      void offsets.expireOffsets(this).finally(() => this.scheduleRetentionCheck());
    }, this.config.offsetsRetentionCheckIntervalMs);
  }

  /**
   * A topic was deleted: its committed offsets go too. If it was __consumer_offsets itself, every
   * group is forgotten and the topic is created again on the next group request.
   */
  async onTopicDeleted(topic: string): Promise<void> {
    if (topic !== OFFSETS_TOPIC) return offsets.deleteTopicOffsets(this, topic);
    this.logger.warn('__consumer_offsets was deleted: every group and committed offset is gone');
    for (const g of [...this.groups.values()]) this.drop(g);
    this.shares.dropPartition(null);
    this.parts.reset();
  }

  /** True when this coordinator serves the group's partition now (no side effect: the topic is not created). */
  servesGroup(groupId: string): boolean {
    const p = this.partitionFor(groupId);
    return p !== null && this.parts.isReady(p);
  }

  /** Share groups in partitions that are loaded. */
  *readyShareGroups(): Generator<ShareGroup> {
    for (const g of this.shares.list()) if (this.parts.isReady(g.partition)) yield g;
  }

  /** Groups in partitions that are loaded. */
  *readyGroups(): Generator<ClassicGroup> {
    for (const g of this.groups.values()) if (this.parts.isReady(g.partition)) yield g;
  }

  // The APIs, by Kafka request.
  consumerGroupHeartbeat(a: consumer.ConsumerHeartbeatArgs) {
    return consumer.consumerGroupHeartbeat(this, a);
  }
  consumerGroupDescribe(groupId: string) {
    return consumerAdmin.describeConsumerGroup(this, groupId);
  }
  joinGroup(a: join.JoinGroupArgs) {
    return join.joinGroup(this, a);
  }
  syncGroup(a: membership.SyncGroupArgs) {
    return membership.syncGroup(this, a);
  }
  heartbeat(a: membership.HeartbeatArgs) {
    return membership.heartbeat(this, a);
  }
  leaveGroup(groupId: string, members: membership.LeavingMember[]) {
    return membership.leaveGroup(this, groupId, members);
  }
  commitOffsets(a: offsets.CommitArgs) {
    return offsets.commitOffsets(this, a);
  }
  fetchOffsets(groupId: string, topics: offsets.FetchTopic[] | null, requireStable = false, member: offsets.FetchingMember | null = null) {
    return offsets.fetchOffsets(this, groupId, topics, requireStable, member);
  }
  commitTxnOffsets(a: txnOffsets.TxnCommitArgs) {
    return txnOffsets.commitTxnOffsets(this, a);
  }
  /** A transaction marker was written to a partition of __consumer_offsets. */
  completeTxn(partition: number, producerId: number, commit: boolean) {
    txnOffsets.completeTxn(this, partition, producerId, commit);
  }
  deleteOffsets(groupId: string, partitions: offsets.TopicPartition[]) {
    return offsets.deleteOffsets(this, groupId, partitions);
  }
  describeGroup(groupId: string) {
    return admin.describeGroup(this, groupId);
  }
  listGroups(statesFilter: string[], typesFilter: string[]) {
    return admin.listGroups(this, statesFilter, typesFilter);
  }
  deleteGroup(groupId: string) {
    return admin.deleteGroup(this, groupId);
  }
}

/** Kafka's mapping of a failed append to what the client is told. */
export function appendErrorCode(err: unknown, kind: 'group' | 'offsets'): number {
  // KafkaError and the log's StorageError both carry a code.
  const carried = (err as { code?: unknown } | null)?.code;
  const code = err instanceof KafkaError || typeof carried === 'number' ? (carried as number) : ErrorCode.KAFKA_STORAGE_ERROR;
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.REQUEST_TIMED_OUT:
      return kind === 'group' ? ErrorCode.REBALANCE_IN_PROGRESS : code;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return kind === 'group' ? ErrorCode.UNKNOWN_SERVER_ERROR : ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return code;
  }
}
