/**
 * One classic consumer group: its state, members and committed offsets.
 *
 * Two kinds of state live here. What survives a restart — committed offsets, and the group's last
 * completed generation (protocol, leader, members and their assignments) — changes only in
 * `applyGroupRecord` / `applyOffsetRecord`, which replay records of `__consumer_offsets` after they
 * are written (and at start-up). What Kafka never writes — members waiting in a JoinGroup or
 * SyncGroup, pending member ids, the PreparingRebalance/CompletingRebalance states and the
 * generation they are building, timers — is kept in memory only, as in Kafka: a restart forgets
 * it and the members rejoin.
 */
import { assert } from '../../util/assert.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { TimerHandle } from '../../platform/clock.js';
import type { GroupMetadataValue, OffsetCommitValue } from './records.js';
import { EMPTY_BYTES, Member, joinError, syncError, type JoinMember } from './member.js';
import { CONSUMER_PROTOCOL_TYPE, subscriptionTopics } from './consumer-protocol.js';
import type { ConsumerGroupState } from './consumer/group.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** The states a group may move to each state from (Kafka's GroupState.validPreviousStates). */
const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export interface CommittedOffset {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: bigint;
  /** -1 unless the commit asked for its own retention. */
  expireTimestamp: bigint;
}

export class ClassicGroup {
  state: GroupState = 'Empty';
  currentStateTimestampMs: number | null;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  members = new Map<string, Member>();
  /** group.instance.id → member id of the static members. */
  staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, awaiting the rejoin; each with its expiry. */
  readonly pendingMembers = new Map<string, TimerHandle>();
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  /** topic → partition → committed offset. */
  readonly offsets = new Map<string, Map<number, CommittedOffset>>();
  /** Topics the members subscribe to (consumer protocol), or null when not known. */
  subscribedTopics: Set<string> | null = null;
  /** A member joined during the initial rebalance delay, so the delay may be extended. */
  newMemberAdded = false;
  /** Set while the join phase is the initial delay of an empty group (group.initial.rebalance.delay.ms). */
  initialJoinDelay: { delayMs: number; remainingMs: number } | null = null;
  joinTimer: TimerHandle | null = null;
  syncTimer: TimerHandle | null = null;
  /**
   * Set when this is a KIP-848 consumer group (its ConsumerGroupMetadata record exists): then the
   * classic part stays Empty and only the offsets here are used.
   */
  consumer: ConsumerGroupState | null = null;
  /** Operations on this group run one at a time, in arrival order (see `exclusive`). */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly groupId: string,
    readonly partition: number,
    nowMs: number | null,
  ) {
    this.currentStateTimestampMs = nowMs;
  }

  /**
   * Runs `fn` after every operation queued before it has finished, so that the state an
   * operation reads is still the state when its records are replayed.
   */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  get size(): number {
    return this.members.size;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  get(memberId: string): Member {
    const m = this.members.get(memberId);
    assert(m !== undefined, `group ${this.groupId} has no member ${memberId}`);
    return m;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  transitionTo(state: GroupState, nowMs: number): void {
    assert(VALID_PREVIOUS[state].includes(this.state), `group ${this.groupId} cannot go from ${this.state} to ${state}`);
    this.state = state;
    this.currentStateTimestampMs = nowMs;
  }

  canRebalance(): boolean {
    return VALID_PREVIOUS.PreparingRebalance.includes(this.state);
  }

  add(member: Member): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    assert(this.protocolType === member.protocolType, 'a member of another protocol type');
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.pendingMembers.delete(member.memberId);
  }

  /** Removes a member, answering any request it has parked: it is no longer known. */
  remove(memberId: string): void {
    const m = this.members.get(memberId);
    if (m !== undefined) {
      this.members.delete(memberId);
      if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === memberId) this.staticMembers.delete(m.groupInstanceId);
      m.completeJoin(joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
      m.completeSync(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    }
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
    this.pendingSyncMembers.delete(memberId);
  }

  /** Kafka waits for the slowest member: the largest rebalance timeout of any member. */
  rebalanceTimeoutMs(): number {
    let t = 0;
    for (const m of this.members.values()) t = Math.max(t, m.rebalanceTimeoutMs);
    return t;
  }

  numAwaitingJoin(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.isAwaitingJoin) n++;
    return n;
  }

  hasAllMembersJoined(): boolean {
    return this.members.size === this.numAwaitingJoin() && this.pendingMembers.size === 0;
  }

  /** Whether a member with these protocols may join: the group's type and a protocol every member speaks. */
  supportsProtocols(protocolType: string, names: ReadonlySet<string>): boolean {
    if (this.is('Empty')) return protocolType !== '' && names.size > 0;
    if (this.protocolType !== protocolType) return false;
    for (const n of names) if (this.supportedBy(n) === this.members.size) return true;
    return false;
  }

  private supportedBy(protocol: string): number {
    let n = 0;
    for (const m of this.members.values()) if (m.protocols.some((p) => p.name === protocol)) n++;
    return n;
  }

  /** Protocols every member supports, in the first member's order of preference. */
  candidateProtocols(): Set<string> {
    const first = this.members.values().next().value;
    const out = new Set<string>();
    if (first === undefined) return out;
    for (const p of first.protocols) if (this.supportedBy(p.name) === this.members.size) out.add(p.name);
    return out;
  }

  /** Kafka's choice: each member votes for its preferred candidate; the most votes wins. */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    assert(candidates.size > 0, `group ${this.groupId} has no protocol every member supports`);
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    let best = '';
    let most = -1;
    for (const c of candidates) {
      const n = votes.get(c) ?? 0;
      if (n > most) [best, most] = [c, n];
    }
    return best;
  }

  /** If the leader did not rejoin, any member that did becomes leader; false if none did. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader !== undefined && leader.isAwaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  initNextGeneration(nowMs: number): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.computeSubscribedTopics();
      this.transitionTo('CompletingRebalance', nowMs);
    } else {
      this.protocolName = null;
      this.computeSubscribedTopics();
      this.transitionTo('Empty', nowMs);
    }
    this.pendingSyncMembers.clear();
  }

  currentMemberMetadata(): JoinMember[] {
    assert(this.protocolName !== null, 'no protocol selected');
    const protocol = this.protocolName;
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata(protocol) }));
  }

  currentStaticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  /** A static member whose instance id now belongs to another member id was replaced. */
  isStaticMemberFenced(groupInstanceId: string | null, memberId: string): boolean {
    if (groupInstanceId === null) return false;
    const current = this.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  /** Renames a static member in memory (Kafka's replaceStaticMember); its old requests are fenced. */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): Member {
    const m = this.get(oldMemberId);
    m.completeJoin(joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
    m.completeSync(syncError(ErrorCode.FENCED_INSTANCE_ID));
    this.members = renameKey(this.members, oldMemberId, newMemberId);
    m.memberId = newMemberId;
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return m;
  }

  computeSubscribedTopics(): void {
    this.subscribedTopics = null;
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return;
    if (this.members.size === 0) {
      this.subscribedTopics = new Set();
      return;
    }
    if (this.protocolName === null) return;
    const topics = new Set<string>();
    for (const m of this.members.values()) {
      const t = subscriptionTopics(m.metadata(this.protocolName));
      if (t === null) return;
      for (const x of t) topics.add(x);
    }
    this.subscribedTopics = topics;
  }

  /** Unknown subscriptions count as subscribed, so nothing is expired or deleted by mistake. */
  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics === null || this.subscribedTopics.has(topic);
  }

  offset(topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(topic)?.get(partition);
  }

  get hasOffsets(): boolean {
    return this.offsets.size > 0;
  }

  numOffsets(): number {
    let n = 0;
    for (const ps of this.offsets.values()) n += ps.size;
    return n;
  }

  /** The group as a GroupMetadataValue, with each member's assignment from `assignmentOf`. */
  toRecord(assignmentOf: (m: Member) => Buffer): GroupMetadataValue {
    const protocol = this.protocolName;
    return {
      protocolType: this.protocolType ?? '',
      generation: this.generationId,
      protocol,
      leader: this.leaderId,
      currentStateTimestamp: this.currentStateTimestampMs ?? -1,
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: protocol === null ? EMPTY_BYTES : m.metadata(protocol),
        assignment: assignmentOf(m),
      })),
    };
  }

  /**
   * Replays a GroupMetadataValue: the group becomes the record's generation, Stable with the
   * record's members and assignments, or Empty without members. Members already in memory keep
   * what Kafka keeps only there (all their protocols, parked requests); a static member the
   * record knows under a new member id is renamed.
   */
  applyGroupRecord(value: GroupMetadataValue): void {
    const next = new Map<string, Member>();
    const statics = new Map<string, string>();
    for (const r of value.members) {
      let m = this.members.get(r.memberId);
      if (m === undefined && r.groupInstanceId !== null) {
        const oldId = this.staticMembers.get(r.groupInstanceId);
        const old = oldId === undefined ? undefined : this.members.get(oldId);
        if (old !== undefined && !next.has(old.memberId)) {
          old.completeJoin(joinError(old.memberId, ErrorCode.FENCED_INSTANCE_ID));
          old.completeSync(syncError(ErrorCode.FENCED_INSTANCE_ID));
          if (this.pendingSyncMembers.delete(old.memberId)) this.pendingSyncMembers.add(r.memberId);
          old.memberId = r.memberId;
          m = old;
        }
      }
      if (m === undefined) {
        m = new Member({
          memberId: r.memberId,
          groupInstanceId: r.groupInstanceId,
          clientId: r.clientId,
          clientHost: r.clientHost,
          rebalanceTimeoutMs: r.rebalanceTimeout,
          sessionTimeoutMs: r.sessionTimeout,
          protocolType: value.protocolType,
          protocols: value.protocol === null ? [] : [{ name: value.protocol, metadata: r.subscription }],
        });
      } else {
        Object.assign(m, { clientId: r.clientId, clientHost: r.clientHost, rebalanceTimeoutMs: r.rebalanceTimeout, sessionTimeoutMs: r.sessionTimeout });
        if (value.protocol !== null && !m.protocols.some((p) => p.name === value.protocol && p.metadata.equals(r.subscription)))
          m.protocols = [{ name: value.protocol, metadata: r.subscription }];
      }
      m.assignment = r.assignment;
      m.isNew = false;
      next.set(r.memberId, m);
      if (r.groupInstanceId !== null) statics.set(r.groupInstanceId, r.memberId);
    }
    for (const [id, m] of this.members) if (!next.has(id) && !next.has(m.memberId)) this.remove(id);
    this.members = next;
    this.staticMembers = statics;
    this.protocolType = value.protocolType === '' ? null : value.protocolType;
    this.generationId = value.generation;
    this.protocolName = value.protocol;
    this.leaderId = value.leader;
    this.currentStateTimestampMs = value.currentStateTimestamp >= 0 ? value.currentStateTimestamp : null;
    this.state = next.size > 0 ? 'Stable' : 'Empty';
    this.computeSubscribedTopics();
  }

  /** Replays an offset commit (or its tombstone, `value` null). */
  applyOffsetRecord(topic: string, partition: number, value: OffsetCommitValue | null): void {
    let byPartition = this.offsets.get(topic);
    if (value === null) {
      byPartition?.delete(partition);
      if (byPartition?.size === 0) this.offsets.delete(topic);
      return;
    }
    if (byPartition === undefined) this.offsets.set(topic, (byPartition = new Map()));
    byPartition.set(partition, { ...value });
  }

  /** Replays a group tombstone: the group's metadata is gone; offsets are separate records. */
  applyGroupTombstone(): void {
    for (const id of [...this.members.keys()]) this.remove(id);
    this.staticMembers.clear();
    this.protocolType = null;
    this.protocolName = null;
    this.leaderId = null;
    this.generationId = 0;
    this.subscribedTopics = null;
    this.state = this.hasOffsets ? 'Empty' : 'Dead';
  }
}

function renameKey<V>(map: Map<string, V>, from: string, to: string): Map<string, V> {
  const out = new Map<string, V>();
  for (const [k, v] of map) out.set(k === from ? to : k, v);
  return out;
}
