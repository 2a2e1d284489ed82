/**
 * One consumer's membership of a group, as Kafka's classic group protocol runs it:
 *
 *   FindCoordinator → (prepare: commit, revoke) → JoinGroup → the leader assigns → SyncGroup →
 *   stable, heartbeating every heartbeatIntervalMs → … → LeaveGroup on close.
 *
 * The consumer drives it from poll() through `ensureActive()`, and reacts to it through
 * `MembershipHooks` (revoking and assigning partitions, calling the user's listeners). A
 * heartbeat timer runs on its own; what it learns (a rebalance started, the member was fenced)
 * is acted on by the next poll, as in Kafka's Java consumer.
 *
 * The coordinator gets a connection of its own: a broker answers one request at a time per
 * connection, and a JoinGroup may wait there for the whole rebalance, which must not hold up
 * fetches — nor may a long-poll fetch hold up heartbeats.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, KafkaError, errorName } from '../../protocol/errors.js';
import type { JoinGroupRequest, JoinGroupResponse, JoinGroupResponseMember } from '../../protocol/messages/11-join-group.js';
import type { SyncGroupRequest, SyncGroupResponse } from '../../protocol/messages/14-sync-group.js';
import type { HeartbeatRequest, HeartbeatResponse } from '../../protocol/messages/12-heartbeat.js';
import type { LeaveGroupRequest, LeaveGroupResponse } from '../../protocol/messages/13-leave-group.js';
import type { Logger } from '../../util/logger.js';
import type { Cluster } from '../cluster.js';
import { Connection } from '../connection.js';
import { ClosedError, ConnectionError, InvalidArgumentError, RequestTimeoutError } from '../errors.js';
import { flatten, type MemberSubscription, type PartitionAssignor, type RebalanceProtocol } from './assignor.js';
import {
  ASSIGNMENT_VERSION_MAX,
  NO_GENERATION,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type TopicPartitions,
} from './consumer-protocol.js';
import { COORDINATOR_MOVED, groupErrorMessage, STANDALONE_GENERATION, type CommittedOffset, type OffsetToCommit } from './requests.js';
import { Attempts, CoordinatorLink } from './coordinator-link.js';

const JOIN_GROUP_KEY = 11;
/** v4+ answers a first join with MEMBER_ID_REQUIRED; v9 adds skipAssignment, which we never get. */
const JOIN_GROUP_VERSION_MAX = 9;
const SYNC_GROUP_KEY = 14;
const SYNC_GROUP_VERSION_MAX = 5;
const HEARTBEAT_KEY = 12;
const HEARTBEAT_VERSION_MAX = 4;
const LEAVE_GROUP_KEY = 13;
const LEAVE_GROUP_VERSION_MAX = 5;
/** What the consumer protocol is called in JoinGroup; every Kafka consumer uses it. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';
/** JoinGroup and SyncGroup may wait out a whole rebalance; their timeout gets this much on top (as Java). */
const REBALANCE_REQUEST_PADDING_MS = 5000;

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface MembershipOptions {
  groupId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  assignors: PartitionAssignor[];
  clientId: string | null;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  logger: Logger;
}

export interface MembershipHooks {
  /** The partitions this member holds now (sent as ownedPartitions). */
  owned(): TopicPartition[];
  /** Before each JoinGroup while still in the old generation: commit, revoke what must go. */
  beforeJoin(protocol: RebalanceProtocol): Promise<void>;
  /** After SyncGroup: take the new assignment (may call `requestRejoin`). */
  assigned(partitions: TopicPartition[], protocol: RebalanceProtocol): Promise<void>;
  /** The member was fenced or fell out of the group: its partitions are gone already. */
  lost(): Promise<void>;
}

type State = 'unjoined' | 'rebalancing' | 'stable';

export class GroupMembership {
  memberId = '';
  generationId = NO_GENERATION;
  protocolName: string | null = null;
  leaderId = '';
  private state: State = 'unjoined';
  private subscription: string[] = [];
  private rejoinNeeded = true;
  private rejoinReason = 'joining';
  private needsJoinPrepare = true;
  private lostPending = false;
  /** An error the heartbeat found that the next poll must raise (e.g. fenced instance id). */
  private readonly attempts = new Attempts();
  /** Set while LeaveGroup is under way, so that an interrupted join does not start again. */
  private leaving = false;
  private readonly link: CoordinatorLink;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private heartbeatInFlight = false;
  /** Partition counts the leader assigned from, to notice when topics grow. */
  private assignedFrom = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly opts: MembershipOptions,
    private readonly hooks: MembershipHooks,
  ) {
    this.link = new CoordinatorLink(cluster, opts.groupId);
    if (opts.assignors.length === 0) throw new InvalidArgumentError('A group consumer needs at least one partition assignor.');
    if (opts.heartbeatIntervalMs >= opts.sessionTimeoutMs) {
      throw new InvalidArgumentError(`heartbeatIntervalMs (${opts.heartbeatIntervalMs}) must be lower than sessionTimeoutMs (${opts.sessionTimeoutMs}).`);
    }
  }

  get groupId(): string {
    return this.opts.groupId;
  }

  get isLeader(): boolean {
    return this.state === 'stable' && this.leaderId !== '' && this.leaderId === this.memberId;
  }

  get isStable(): boolean {
    return this.state === 'stable' && !this.rejoinNeeded;
  }

  /** Cooperative only when every configured assignor is (Kafka's rule). */
  get protocol(): RebalanceProtocol {
    return this.opts.assignors.every((a) => a.protocol === 'cooperative') ? 'cooperative' : 'eager';
  }

  get topics(): string[] {
    return this.subscription;
  }

  subscribe(topics: string[]): void {
    const next = [...new Set(topics)].sort();
    if (next.join('\u0000') === this.subscription.join('\u0000') && this.state !== 'unjoined') return;
    this.subscription = next;
    this.requestRejoin('subscription changed');
  }

  requestRejoin(reason: string): void {
    this.rejoinNeeded = true;
    this.rejoinReason = reason;
  }

  /**
   * Starts joining (or rejoining) the group if needed and resolves when that attempt ends — it
   * never rejects; an attempt's error waits in `takeError()`. Concurrent callers share one attempt,
   * and a caller that stops waiting (a poll that timed out) leaves the error for the next one.
   */
  activate(): Promise<void> {
    if (this.attempts.blocked) return Promise.resolve();
    if (!this.rejoinNeeded && this.state === 'stable' && !this.lostPending) return Promise.resolve();
    return this.attempts.start(() => this.runActivation(), () => !this.closed && !this.leaving);
  }

  /** The error that ended the last attempt to join, once; a fatal one (fenced) every time. */
  takeError(): Error | null {
    return this.attempts.take();
  }

  /** Joins if needed and returns once the member is stable with its assignment taken. */
  async ensureActive(): Promise<void> {
    await this.activate();
    const err = this.takeError();
    if (err !== null) throw err;
  }

  private async runActivation(): Promise<void> {
    for (let attempt = 0; !this.closed && !this.leaving; ) {
      if (this.lostPending) {
        this.lostPending = false;
        await this.hooks.lost();
      }
      if (!this.rejoinNeeded && this.state === 'stable') return;
      try {
        await this.coordinatorConnection();
        if (this.needsJoinPrepare) {
          this.needsJoinPrepare = false;
          await this.hooks.beforeJoin(this.protocol);
        }
        if (this.closed || this.leaving) return;
        await this.joinAndSync();
        attempt = 0;
      } catch (err) {
        if (this.closed || this.leaving) return;
        if (!this.handleRetriable(err)) throw err;
        await sleep(this.cluster.backoffMs(attempt));
        attempt++;
      }
    }
  }

  /** True when `err` means "try the join again"; adjusts the member's state accordingly. */
  private handleRetriable(err: unknown): boolean {
    if (this.link.gone(err)) return true;
    if (!(err instanceof KafkaError)) return false;
    switch (err.code) {
      case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
      case ErrorCode.REBALANCE_IN_PROGRESS:
        return true;
      case ErrorCode.UNKNOWN_MEMBER_ID:
        this.resetMember();
        return true;
      case ErrorCode.ILLEGAL_GENERATION:
        this.generationId = NO_GENERATION;
        return true;
      default:
        return false;
    }
  }

  private async joinAndSync(): Promise<void> {
    this.state = 'rebalancing';
    this.stopHeartbeat();
    const reason = this.rejoinReason;
    this.rejoinNeeded = false;
    let join: JoinGroupResponse;
    try {
      join = await this.sendJoin(reason);
    } catch (err) {
      this.rejoinNeeded = true;
      throw err;
    }
    this.memberId = join.memberId;
    this.generationId = join.generationId;
    this.protocolName = join.protocolName;
    this.leaderId = join.leader;
    const assignments = join.leader === join.memberId ? await this.assign(join) : [];
    const conn = await this.coordinatorConnection();
    const version = conn.versionFor(SYNC_GROUP_KEY, SYNC_GROUP_VERSION_MAX);
    const sync = await conn.request<SyncGroupRequest, SyncGroupResponse>(
      SYNC_GROUP_KEY,
      version,
      {
        groupId: this.opts.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: this.opts.groupInstanceId,
        protocolType: CONSUMER_PROTOCOL_TYPE,
        protocolName: this.protocolName,
        assignments,
      },
      { timeoutMs: this.opts.rebalanceTimeoutMs + REBALANCE_REQUEST_PADDING_MS },
    );
    if (sync.errorCode !== ErrorCode.NONE) {
      this.rejoinNeeded = true;
      throw new KafkaError(sync.errorCode, groupErrorMessage(this.opts.groupId, sync.errorCode));
    }
    const assignment = decodeAssignment(sync.assignment);
    this.state = 'stable';
    this.needsJoinPrepare = true;
    this.startHeartbeat();
    await this.hooks.assigned(flatten(assignment.partitions), this.protocol);
  }

  private async sendJoin(reason: string): Promise<JoinGroupResponse> {
    for (;;) {
      const conn = await this.coordinatorConnection();
      const version = conn.versionFor(JOIN_GROUP_KEY, JOIN_GROUP_VERSION_MAX);
      const resp = await conn.request<JoinGroupRequest, JoinGroupResponse>(
        JOIN_GROUP_KEY,
        version,
        {
          groupId: this.opts.groupId,
          sessionTimeoutMs: this.opts.sessionTimeoutMs,
          rebalanceTimeoutMs: this.opts.rebalanceTimeoutMs,
          memberId: this.memberId,
          groupInstanceId: this.opts.groupInstanceId,
          protocolType: CONSUMER_PROTOCOL_TYPE,
          protocols: this.opts.assignors.map((a) => ({ name: a.name, metadata: this.subscriptionBytes(a) })),
          reason,
        },
        { timeoutMs: this.opts.rebalanceTimeoutMs + REBALANCE_REQUEST_PADDING_MS },
      );
      // KIP-394: a first join gets a member id back and must come again with it.
      if (resp.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.memberId = resp.memberId;
        continue;
      }
      if (resp.errorCode !== ErrorCode.NONE) throw new KafkaError(resp.errorCode, groupErrorMessage(this.opts.groupId, resp.errorCode));
      return resp;
    }
  }

  private subscriptionBytes(assignor: PartitionAssignor): Buffer {
    const owned = this.hooks.owned();
    return encodeSubscription({
      topics: this.subscription,
      userData: assignor.subscriptionUserData(),
      ownedPartitions: groupOwned(owned),
      generationId: this.generationId,
      rackId: null,
    });
  }

  /** The leader's part: decode every member's subscription, run the chosen assignor. */
  private async assign(join: JoinGroupResponse): Promise<Array<{ memberId: string; assignment: Buffer }>> {
    const assignor = this.opts.assignors.find((a) => a.name === join.protocolName);
    if (assignor === undefined) {
      throw new KafkaError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `The coordinator chose assignor '${join.protocolName}', which this consumer does not have.`);
    }
    const members: MemberSubscription[] = join.members.map((m: JoinGroupResponseMember) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      subscription: decodeSubscription(m.metadata),
    }));
    const topics = [...new Set(members.flatMap((m) => m.subscription.topics))].sort();
    const counts = await this.partitionCounts(topics);
    this.assignedFrom = counts;
    const result = assignor.assign({ members, partitionsPerTopic: counts });
    return members.map((m) => ({
      memberId: m.memberId,
      assignment: encodeAssignment({ partitions: result.get(m.memberId) ?? [], userData: null }, ASSIGNMENT_VERSION_MAX),
    }));
  }

  private async partitionCounts(topics: string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (topics.length === 0) return counts;
    const snapshot = await this.cluster.withRetry(() => this.cluster.refresh(topics));
    for (const t of snapshot.topics) if (topics.includes(t.name)) counts.set(t.name, t.partitions.length);
    return counts;
  }

  /**
   * The leader notices topics that were created or grew since it assigned, and starts a
   * rebalance (Java does this on its metadata refresh).
   */
  async checkMetadata(): Promise<void> {
    if (!this.isLeader) return;
    const topics = [...this.assignedFrom.keys(), ...this.subscription.filter((t) => !this.assignedFrom.has(t))];
    const counts = await this.partitionCounts([...new Set(topics)]);
    for (const t of new Set([...counts.keys(), ...this.assignedFrom.keys()])) {
      if (counts.get(t) !== this.assignedFrom.get(t)) {
        this.requestRejoin(`partitions of topic '${t}' changed`);
        return;
      }
    }
  }

  // ---- heartbeats ----

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.opts.heartbeatIntervalMs);
    // A forgotten consumer must not keep the process alive on heartbeats alone.
    this.heartbeatTimer.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private async heartbeat(): Promise<void> {
    if (this.heartbeatInFlight || this.state !== 'stable' || this.closed) return;
    this.heartbeatInFlight = true;
    const generationId = this.generationId;
    try {
      const conn = await this.coordinatorConnection();
      const version = conn.versionFor(HEARTBEAT_KEY, HEARTBEAT_VERSION_MAX);
      const resp = await conn.request<HeartbeatRequest, HeartbeatResponse>(HEARTBEAT_KEY, version, {
        groupId: this.opts.groupId,
        generationId,
        memberId: this.memberId,
        groupInstanceId: this.opts.groupInstanceId,
      });
      // A heartbeat of an older generation says nothing about this one.
      if (this.state !== 'stable' || this.generationId !== generationId) return;
      this.onHeartbeat(resp.errorCode);
    } catch (err) {
      if (err instanceof KafkaError && COORDINATOR_MOVED.has(err.code)) this.markCoordinatorUnknown();
      else if (err instanceof ConnectionError || err instanceof RequestTimeoutError) this.markCoordinatorUnknown();
      else if (!(err instanceof ClosedError)) this.opts.logger.warn('heartbeat failed', { groupId: this.opts.groupId, error: err });
    } finally {
      this.heartbeatInFlight = false;
    }
  }

  private onHeartbeat(code: number): void {
    switch (code) {
      case ErrorCode.NONE:
        return;
      case ErrorCode.REBALANCE_IN_PROGRESS:
        this.requestRejoin('the group is rebalancing');
        return;
      case ErrorCode.ILLEGAL_GENERATION:
        this.opts.logger.info('heartbeat: generation is gone, rejoining', { groupId: this.opts.groupId, generationId: this.generationId });
        this.generationId = NO_GENERATION;
        this.memberLost('the generation ended');
        return;
      case ErrorCode.UNKNOWN_MEMBER_ID:
        this.opts.logger.info('heartbeat: the coordinator no longer knows this member, rejoining', { groupId: this.opts.groupId, memberId: this.memberId });
        this.resetMember();
        this.memberLost('the member was removed');
        return;
      case ErrorCode.FENCED_INSTANCE_ID:
        this.attempts.fatal = new KafkaError(code, groupErrorMessage(this.opts.groupId, code));
        this.resetMember();
        this.memberLost('fenced');
        return;
      case ErrorCode.NOT_COORDINATOR:
      case ErrorCode.COORDINATOR_NOT_AVAILABLE:
        this.markCoordinatorUnknown();
        return;
      default:
        this.opts.logger.warn('heartbeat error', { groupId: this.opts.groupId, error: errorName(code) });
    }
  }

  /** The partitions are no longer ours: the next poll calls onPartitionsLost and rejoins. */
  private memberLost(reason: string): void {
    this.state = 'unjoined';
    this.stopHeartbeat();
    this.lostPending = true;
    this.needsJoinPrepare = false;
    this.requestRejoin(reason);
  }

  private resetMember(): void {
    this.memberId = '';
    this.generationId = NO_GENERATION;
  }

  // ---- the coordinator ----

  /** The coordinator's connection, found and opened on first use and after it moved. */
  coordinatorConnection(): Promise<Connection> {
    return this.link.connection();
  }

  private markCoordinatorUnknown(): void {
    this.link.markUnknown();
  }

  // ---- offsets ----

  /**
   * Commits offsets: as a member of the current generation when subscribed, else as a
   * standalone commit (generation -1), which Kafka accepts for groups with no members.
   */
  async commit(offsets: OffsetToCommit[], opts: { asMember: boolean }): Promise<void> {
    if (offsets.length === 0) return;
    if (opts.asMember && (this.lostPending || this.state === 'unjoined')) {
      throw new KafkaError(
        ErrorCode.UNKNOWN_MEMBER_ID,
        `Cannot commit for group '${this.opts.groupId}': this consumer is no longer part of the group's current generation ` +
          `(it was dropped, e.g. because it did not poll within rebalanceTimeoutMs); poll to rejoin.`,
      );
    }
    if (opts.asMember && this.state !== 'stable') {
      throw new KafkaError(
        ErrorCode.REBALANCE_IN_PROGRESS,
        `Cannot commit for group '${this.opts.groupId}' while it is rebalancing; poll to finish the rebalance, then commit again.`,
      );
    }
    const ctx = opts.asMember
      ? { groupId: this.opts.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.opts.groupInstanceId }
      : { groupId: this.opts.groupId, generationId: STANDALONE_GENERATION, memberId: '', groupInstanceId: null };
    await this.link.commit(ctx, offsets, opts.asMember ? (code) => this.onCommitError(code) : undefined);
  }

  private onCommitError(code: number): void {
    if (code === ErrorCode.REBALANCE_IN_PROGRESS) this.requestRejoin('a commit found the group rebalancing');
    else if (code === ErrorCode.UNKNOWN_MEMBER_ID || code === ErrorCode.ILLEGAL_GENERATION) {
      if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.resetMember();
      else this.generationId = NO_GENERATION;
      this.memberLost('a commit found the member out of the group');
    }
  }

  committed(partitions: TopicPartition[], deadline?: number): Promise<Map<string, CommittedOffset>> {
    return this.link.committed(partitions, deadline);
  }

  // ---- leaving ----

  /** Leaves the group (not for static members, whose seat waits for them, as in Kafka). */
  async leave(reason: string): Promise<void> {
    this.stopHeartbeat();
    this.leaving = true;
    try {
      // A JoinGroup may be parked at the coordinator for the whole rebalance, and the broker
      // answers a connection's requests in order: cut it off so that LeaveGroup gets through.
      if (this.state === 'rebalancing') this.markCoordinatorUnknown();
      await this.attempts.current;
      const memberId = this.memberId;
      const wasJoined = this.state !== 'unjoined' && memberId !== '';
      this.state = 'unjoined';
      this.resetMember();
      this.requestRejoin('rejoining after leaving');
      if (!wasJoined || this.opts.groupInstanceId !== null) return;
      const conn = await this.coordinatorConnection();
      const version = conn.versionFor(LEAVE_GROUP_KEY, LEAVE_GROUP_VERSION_MAX);
      const resp = await conn.request<LeaveGroupRequest, LeaveGroupResponse>(LEAVE_GROUP_KEY, version, {
        groupId: this.opts.groupId,
        memberId,
        members: [{ memberId, groupInstanceId: this.opts.groupInstanceId, reason }],
      });
      const code = resp.errorCode !== ErrorCode.NONE ? resp.errorCode : (resp.members.find((m) => m.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE);
      if (code !== ErrorCode.NONE) this.opts.logger.info('LeaveGroup refused', { groupId: this.opts.groupId, error: errorName(code) });
    } catch (err) {
      this.opts.logger.info('LeaveGroup failed', { groupId: this.opts.groupId, error: err });
    } finally {
      this.leaving = false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.stopHeartbeat();
    this.closed = true;
    await this.link.close();
  }
}

function groupOwned(owned: TopicPartition[]): TopicPartitions[] {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of owned) {
    let list = byTopic.get(topic);
    if (list === undefined) byTopic.set(topic, (list = []));
    list.push(partition);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
}
