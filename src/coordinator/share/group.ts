/**
 * Share groups' membership (KIP-932's ShareGroupHeartbeat), as Kafka's GroupMetadataManager
 * runs it for share groups: a member joins with epoch 0 and gets the group's epoch, leaves with
 * −1, and is dropped when no heartbeat comes within `group.share.session.timeout.ms`. Every
 * change of members or subscriptions bumps the group epoch and recomputes the assignment with
 * the "simple" assignor, which gives every subscribed partition to some member and may give one
 * partition to several (records, not partitions, are what members share). There is no
 * revocation step: a share member may drop a partition at once, so assignments apply directly
 * (each member's target and current assignment are the same).
 *
 * Membership is durable, as Kafka's: the group coordinator keeps these groups with the
 * `__consumer_offsets` partition that owns the group. A change is computed on a copy of the
 * group, written as Kafka's share group records (group-records.ts) through the coordinator's
 * write path, and only replayed into the groups once written; then the heartbeat is answered.
 * A partition's load replays its records (members keep their ids, epochs and assignments) and
 * starts every member's session timer from the load; a resignation drops its groups. Operations
 * on one group run one at a time. What is not kept: Kafka's metadata hash (written as 0) and the
 * ShareGroupStatePartitionMetadata record's contents (replayed, never written but as the
 * tombstone of a deleted group: here a share-partition's leader initializes its state itself).
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { Clock, TimerHandle } from '../../platform/clock.js';
import type { Logger } from '../../util/logger.js';
import type { ShareConfig } from './config.js';
import { SHARE_MEMBER_STATE_STABLE, type ShareGroupRecord, type ShareStatePartitionMetadata, type ShareTopicPartitions } from './group-records.js';

export const SHARE_ASSIGNOR = 'simple';
export const LEAVE_GROUP_EPOCH = -1;

export interface ShareTopic {
  name: string;
  topicId: string;
  partitions: number;
}

/** What the coordinator needs of the cluster's topics: a subscribed name's id and partitions. */
export type TopicResolver = (name: string) => ShareTopic | undefined;

export interface ShareMember {
  memberId: string;
  memberEpoch: number;
  previousMemberEpoch: number;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  /** topicId → partitions: the current assignment. */
  assignment: ShareTopicPartitions;
  /** The target assignment (the same as the current one once written: no revocation step). */
  target: ShareTopicPartitions;
  /** Memory only: the session timer and when it ends. */
  timer: TimerHandle | null;
  sessionDeadlineMs: number;
}

export interface ShareGroup {
  groupId: string;
  /** The `__consumer_offsets` partition that holds it. */
  partition: number;
  groupEpoch: number;
  assignmentEpoch: number;
  members: Map<string, ShareMember>;
  statePartitions: ShareStatePartitionMetadata | null;
}

export interface HeartbeatInput {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  rackId: string | null;
  subscribedTopicNames: string[] | null;
  clientId: string;
  clientHost: string;
}

export interface HeartbeatResult {
  memberId: string;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: Array<{ topicId: string; partitions: number[] }> | null;
}

export interface ShareGroupsOptions {
  config: ShareConfig;
  clock: Clock;
  logger: Logger;
  topics: TopicResolver;
  /** The `__consumer_offsets` partition of a group, or null while this coordinator cannot serve it. */
  partitionFor: (groupId: string) => number | null;
  /** Appends the records to the partition; once written they are replayed here. Resolves an error code (0 when written). */
  write: (partition: number, records: ShareGroupRecord[]) => Promise<number>;
}

export class ShareGroups {
  private readonly groups = new Map<string, ShareGroup>();
  /** Each group's operations, one after another. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly goneListeners: Array<(groupId: string, memberId: string) => void> = [];
  /** Group epoch bumps written since start (Kafka's share-group-rebalance-count), for the metrics. */
  rebalances = 0;

  constructor(private readonly o: ShareGroupsOptions) {}

  /** Called when a member leaves or is dropped (its share sessions and records are let go). */
  onMemberGone(listener: (groupId: string, memberId: string) => void): void {
    this.goneListeners.push(listener);
  }

  get(groupId: string): ShareGroup | undefined {
    return this.groups.get(groupId);
  }

  list(): ShareGroup[] {
    return [...this.groups.values()];
  }

  /** Kafka's share group states: Empty without members, else Stable (assignments apply at once). */
  static state(g: ShareGroup): 'Empty' | 'Stable' {
    return g.members.size === 0 ? 'Empty' : 'Stable';
  }

  heartbeat(h: HeartbeatInput): Promise<HeartbeatResult> {
    return this.exclusive(h.groupId, async () => {
      const partition = this.o.partitionFor(h.groupId);
      if (partition === null) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `this broker does not coordinate group ${h.groupId}`);
      const before = this.groups.get(h.groupId);
      const next = before === undefined ? emptyGroup(h.groupId, partition) : cloneGroup(before);
      const memberId = this.change(next, h);
      await this.commit(before, next);
      if (h.memberEpoch === LEAVE_GROUP_EPOCH) return { memberId, memberEpoch: LEAVE_GROUP_EPOCH, heartbeatIntervalMs: this.o.config.heartbeatIntervalMs, assignment: null };
      const g = this.groups.get(h.groupId);
      const m = g?.members.get(memberId);
      if (g === undefined || m === undefined) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `group ${h.groupId} moved while its heartbeat was written`);
      this.touch(g, m);
      return { memberId, memberEpoch: m.memberEpoch, heartbeatIntervalMs: this.o.config.heartbeatIntervalMs, assignment: [...m.assignment].map(([topicId, partitions]) => ({ topicId, partitions })) };
    });
  }

  /** Deletes an empty group (DeleteGroups): its tombstones written. NON_EMPTY_GROUP while it has members. */
  delete(groupId: string): Promise<number> {
    return this.exclusive(groupId, async () => {
      const g = this.groups.get(groupId);
      if (g === undefined) return ErrorCode.NONE;
      if (g.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
      return this.o.write(g.partition, [
        { type: 'sg-target-epoch', group: groupId, value: null },
        { type: 'sg-epoch', group: groupId, value: null },
        { type: 'sg-state-partitions', group: groupId, value: null },
      ]);
    });
  }

  /** Applies one written (or loaded) record: the only way durable share group state changes. */
  replay(partition: number, r: ShareGroupRecord): void {
    let g = this.groups.get(r.group);
    if (g === undefined) {
      if (r.value === null) return;
      this.groups.set(r.group, (g = emptyGroup(r.group, partition)));
    }
    const member = (memberId: string): ShareMember => {
      let m = g.members.get(memberId);
      if (m === undefined) g.members.set(memberId, (m = newMember(memberId)));
      return m;
    };
    switch (r.type) {
      case 'sg-epoch':
        if (r.value !== null) g.groupEpoch = r.value.epoch;
        else this.forget(g);
        return;
      case 'sg-target-epoch':
        g.assignmentEpoch = r.value?.assignmentEpoch ?? 0;
        return;
      case 'sg-state-partitions':
        g.statePartitions = r.value;
        return;
      case 'sg-member':
        if (r.value === null) {
          const m = g.members.get(r.memberId);
          if (m !== undefined) this.clearTimer(m);
          g.members.delete(r.memberId);
        } else Object.assign(member(r.memberId), { ...r.value, subscribedTopicNames: [...r.value.subscribedTopicNames] });
        return;
      case 'sg-target-member':
        if (r.value !== null) member(r.memberId).target = copyPartitions(r.value);
        else if (g.members.has(r.memberId)) member(r.memberId).target = new Map();
        return;
      case 'sg-current-assignment':
        if (r.value !== null) Object.assign(member(r.memberId), { memberEpoch: r.value.memberEpoch, previousMemberEpoch: r.value.previousMemberEpoch, assignment: copyPartitions(r.value.assignedPartitions) });
        else if (g.members.has(r.memberId)) Object.assign(member(r.memberId), { memberEpoch: 0, previousMemberEpoch: -1, assignment: new Map() });
        return;
    }
  }

  /** A partition's groups are loaded: every member's session starts now, as Kafka's do after a load. */
  loaded(partition: number): void {
    for (const g of this.groups.values()) if (g.partition === partition) for (const m of g.members.values()) this.touch(g, m);
  }

  /** The partition moved away (or its topic was deleted): its groups are forgotten here. */
  dropPartition(partition: number | null): void {
    for (const g of [...this.groups.values()]) if (partition === null || g.partition === partition) this.forget(g);
  }

  /** Resolves once no operation on any group is queued or running. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  /** Drops every member's timer (the broker is stopping). */
  close(): void {
    for (const g of this.groups.values()) for (const m of g.members.values()) this.clearTimer(m);
  }

  private forget(g: ShareGroup): void {
    for (const m of g.members.values()) this.clearTimer(m);
    if (this.groups.get(g.groupId) === g) this.groups.delete(g.groupId);
  }

  /** Runs an operation on a group after the ones queued before it. */
  private exclusive<T>(groupId: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.chains.get(groupId) ?? Promise.resolve()).then(fn);
    const tail = run.then(() => undefined, () => undefined);
    this.chains.set(groupId, tail);
    void tail.then(() => {
      if (this.chains.get(groupId) === tail) this.chains.delete(groupId);
    });
    return run;
  }

  /** Writes what turns `before` into `next` (nothing when they are the same); throws the write's error. */
  private async commit(before: ShareGroup | undefined, next: ShareGroup): Promise<void> {
    const records = recordsBetween(before, next);
    if (records.length === 0) return;
    // Read before the write: replaying it changes `before` in place.
    const departed = [...(before?.members.keys() ?? [])].filter((id) => !next.members.has(id));
    const code = await this.o.write(next.partition, records);
    if (code !== ErrorCode.NONE) throw new KafkaError(code, `share group ${next.groupId} could not be written to __consumer_offsets`);
    this.rebalances += records.filter((r) => r.type === 'sg-epoch' && r.value !== null).length;
    for (const id of departed) for (const l of this.goneListeners) l(next.groupId, id);
  }

  /** Applies the heartbeat to a copy of the group; returns the member id. Throws Kafka's refusals. */
  private change(g: ShareGroup, h: HeartbeatInput): string {
    const m = g.members.get(h.memberId);
    if (h.memberEpoch === LEAVE_GROUP_EPOCH) {
      if (m === undefined) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `member ${h.memberId} is not in share group ${h.groupId}`);
      g.members.delete(m.memberId);
      this.rebalance(g);
      return m.memberId;
    }
    if (h.memberEpoch === 0) {
      if (h.subscribedTopicNames === null || h.subscribedTopicNames.length === 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'SubscribedTopicNames must be set in the first heartbeat');
      if (m !== undefined) return this.update(g, m, h);
      if (g.members.size >= this.o.config.maxSize) throw new KafkaError(ErrorCode.GROUP_MAX_SIZE_REACHED, `share group ${h.groupId} has its ${this.o.config.maxSize} members (group.share.max.size)`);
      // Kafka 4.1+ clients make their member id; an older or bare client may leave it to the coordinator.
      const joined = { ...newMember(h.memberId === '' ? randomUUID() : h.memberId), rackId: h.rackId, clientId: h.clientId, clientHost: h.clientHost, subscribedTopicNames: [...h.subscribedTopicNames] };
      g.members.set(joined.memberId, joined);
      this.rebalance(g);
      this.refreshAssignment(g);
      return joined.memberId;
    }
    if (m === undefined) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `member ${h.memberId} is not in share group ${h.groupId}`);
    // A member may be behind by the epochs whose responses it missed; ahead of the coordinator is a fence.
    if (h.memberEpoch > m.memberEpoch) throw new KafkaError(ErrorCode.FENCED_MEMBER_EPOCH, `member ${h.memberId} sent epoch ${h.memberEpoch}, the coordinator has ${m.memberEpoch}`);
    return this.update(g, m, h);
  }

  private update(g: ShareGroup, m: ShareMember, h: HeartbeatInput): string {
    if (h.rackId !== null && h.rackId !== m.rackId) m.rackId = h.rackId;
    if (h.subscribedTopicNames !== null && !sameNames(h.subscribedTopicNames, m.subscribedTopicNames)) {
      m.subscribedTopicNames = [...h.subscribedTopicNames];
      this.rebalance(g);
    }
    this.refreshAssignment(g);
    return m.memberId;
  }

  /** A member's session timer restarts; when it runs out the member is removed (its tombstones written). */
  private touch(g: ShareGroup, m: ShareMember): void {
    this.clearTimer(m);
    m.sessionDeadlineMs = this.o.clock.now() + this.o.config.sessionTimeoutMs;
    this.arm(g.groupId, m, this.o.config.sessionTimeoutMs);
  }

  /**
   * The session timer. A timer may fire a little before the deadline by the clock (timers run on
   * the event loop's cached time), and a removal's write may fail (the partition's leadership
   * moving): either way the timer is armed again, so a member that stopped heartbeating always goes.
   */
  private arm(groupId: string, m: ShareMember, delayMs: number): void {
    m.timer = this.o.clock.setTimeout(() => {
      m.timer = null;
      this.expire(groupId, m.memberId).catch((err: unknown) => {
        this.o.logger.warn('could not remove a share member whose session ended; trying again in a second', { groupId, memberId: m.memberId, err: String(err) });
        if (m.timer === null && this.groups.get(groupId)?.members.get(m.memberId) === m) this.arm(groupId, m, 1000);
      });
    }, delayMs);
  }

  private expire(groupId: string, memberId: string): Promise<void> {
    return this.exclusive(groupId, async () => {
      const before = this.groups.get(groupId);
      const m = before?.members.get(memberId);
      // A heartbeat queued before this turn may have restarted the session.
      if (before === undefined || m === undefined || m.timer !== null) return;
      const leftMs = m.sessionDeadlineMs - this.o.clock.now();
      if (leftMs > 0) {
        this.arm(groupId, m, leftMs);
        return;
      }
      const next = cloneGroup(before);
      next.members.delete(memberId);
      this.rebalance(next);
      await this.commit(before, next);
    });
  }

  private clearTimer(m: ShareMember): void {
    if (m.timer !== null) this.o.clock.clearTimeout(m.timer);
    m.timer = null;
  }

  private rebalance(g: ShareGroup): void {
    g.groupEpoch++;
    this.assign(g);
  }

  /** Topics created or grown since the last assignment are picked up on the next heartbeat. */
  private refreshAssignment(g: ShareGroup): void {
    const before = [...g.members.values()].map((m) => JSON.stringify([...m.assignment]));
    const epoch = g.assignmentEpoch;
    this.assign(g, false);
    const after = [...g.members.values()].map((m) => JSON.stringify([...m.assignment]));
    if (before.join() !== after.join()) {
      g.groupEpoch++;
      for (const m of g.members.values()) setEpoch(m, g.groupEpoch);
      g.assignmentEpoch = g.groupEpoch;
    } else g.assignmentEpoch = epoch;
  }

  /**
   * The simple assignor for one subscription set per topic: with no more members than
   * partitions, partitions go round-robin to the topic's members; with more members, members go
   * round-robin to partitions, so every member gets one and partitions are shared.
   */
  private assign(g: ShareGroup, bumpEpochs = true): void {
    const members = [...g.members.values()].sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
    for (const m of members) m.assignment = new Map();
    const names = new Set(members.flatMap((m) => m.subscribedTopicNames));
    for (const name of [...names].sort()) {
      const t = this.o.topics(name);
      if (t === undefined || t.partitions === 0) continue;
      const subs = members.filter((m) => m.subscribedTopicNames.includes(name));
      if (subs.length === 0) continue;
      const give = (m: ShareMember, p: number) => {
        const ps = m.assignment.get(t.topicId) ?? [];
        if (!ps.includes(p)) ps.push(p);
        m.assignment.set(t.topicId, ps);
      };
      if (subs.length <= t.partitions) for (let p = 0; p < t.partitions; p++) give(subs[p % subs.length]!, p);
      else subs.forEach((m, i) => give(m, i % t.partitions));
    }
    for (const m of members) {
      for (const ps of m.assignment.values()) ps.sort((a, b) => a - b);
      m.target = copyPartitions(m.assignment);
    }
    if (bumpEpochs) {
      for (const m of members) setEpoch(m, g.groupEpoch);
      g.assignmentEpoch = g.groupEpoch;
    }
  }
}

/**
 * The records that turn `before` into `next`, in Kafka's order: departed members' tombstones
 * (current assignment, target, metadata), changed member metadata, the group epoch, changed
 * targets, the target epoch, changed current assignments.
 */
export function recordsBetween(before: ShareGroup | undefined, next: ShareGroup): ShareGroupRecord[] {
  const group = next.groupId;
  const old = before?.members ?? new Map<string, ShareMember>();
  const out: ShareGroupRecord[] = [];
  for (const memberId of old.keys()) {
    if (next.members.has(memberId)) continue;
    out.push({ type: 'sg-current-assignment', group, memberId, value: null }, { type: 'sg-target-member', group, memberId, value: null }, { type: 'sg-member', group, memberId, value: null });
  }
  const changed = (pick: (m: ShareMember) => unknown) => [...next.members.values()].filter((m) => {
    const o = old.get(m.memberId);
    return o === undefined || JSON.stringify(pick(o)) !== JSON.stringify(pick(m));
  });
  for (const m of changed((x) => [x.rackId, x.clientId, x.clientHost, x.subscribedTopicNames])) {
    out.push({ type: 'sg-member', group, memberId: m.memberId, value: { rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost, subscribedTopicNames: [...m.subscribedTopicNames] } });
  }
  if (before?.groupEpoch !== next.groupEpoch) out.push({ type: 'sg-epoch', group, value: { epoch: next.groupEpoch, metadataHash: 0 } });
  for (const m of changed((x) => [...x.target])) out.push({ type: 'sg-target-member', group, memberId: m.memberId, value: copyPartitions(m.target) });
  if (before?.assignmentEpoch !== next.assignmentEpoch) out.push({ type: 'sg-target-epoch', group, value: { assignmentEpoch: next.assignmentEpoch } });
  for (const m of changed((x) => [x.memberEpoch, x.previousMemberEpoch, [...x.assignment]])) {
    out.push({ type: 'sg-current-assignment', group, memberId: m.memberId, value: { memberEpoch: m.memberEpoch, previousMemberEpoch: m.previousMemberEpoch, state: SHARE_MEMBER_STATE_STABLE, assignedPartitions: copyPartitions(m.assignment) } });
  }
  return out;
}

function emptyGroup(groupId: string, partition: number): ShareGroup {
  return { groupId, partition, groupEpoch: 0, assignmentEpoch: 0, members: new Map(), statePartitions: null };
}

function newMember(memberId: string): ShareMember {
  return { memberId, memberEpoch: 0, previousMemberEpoch: -1, rackId: null, clientId: '', clientHost: '', subscribedTopicNames: [], assignment: new Map(), target: new Map(), timer: null, sessionDeadlineMs: 0 };
}

/** A copy to compute a change on: members copied without their timers. */
function cloneGroup(g: ShareGroup): ShareGroup {
  const members = new Map([...g.members].map(([id, m]) => [id, { ...m, subscribedTopicNames: [...m.subscribedTopicNames], assignment: copyPartitions(m.assignment), target: copyPartitions(m.target), timer: null }]));
  return { ...g, members };
}

function copyPartitions(tp: ShareTopicPartitions): ShareTopicPartitions {
  return new Map([...tp].map(([t, ps]) => [t, [...ps]]));
}

function setEpoch(m: ShareMember, epoch: number): void {
  if (m.memberEpoch === epoch) return;
  m.previousMemberEpoch = m.memberEpoch;
  m.memberEpoch = epoch;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((n) => s.has(n));
}
