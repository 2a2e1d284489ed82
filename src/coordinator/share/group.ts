/**
 * Share groups' membership (KIP-932's ShareGroupHeartbeat), as Kafka's GroupMetadataManager
 * runs it for share groups: a member joins with epoch 0 and gets the group's epoch, leaves with
 * −1, and is dropped when no heartbeat comes within `group.share.session.timeout.ms`. Every
 * change of members or subscriptions bumps the group epoch and recomputes the assignment with
 * the "simple" assignor, which gives every subscribed partition to some member and may give one
 * partition to several (records, not partitions, are what members share). There is no
 * revocation step: a share member may drop a partition at once, so assignments apply directly.
 *
 * Membership is kept in memory: after a coordinator restart members get UNKNOWN_MEMBER_ID and
 * join again (the share-partition state that matters is durable, in `__share_group_state`).
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { Clock, TimerHandle } from '../../platform/clock.js';
import type { ShareConfig } from './config.js';

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
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  /** topicId → partitions. */
  assignment: Map<string, number[]>;
  timer: TimerHandle | null;
}

export interface ShareGroup {
  groupId: string;
  groupEpoch: number;
  assignmentEpoch: number;
  members: Map<string, ShareMember>;
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

export class ShareGroups {
  private readonly groups = new Map<string, ShareGroup>();
  /** Group epoch bumps since start (Kafka's share-group-rebalance-count), for the metrics. */
  rebalances = 0;

  constructor(
    private readonly config: ShareConfig,
    private readonly clock: Clock,
    private readonly topics: TopicResolver,
    /** Called when a member leaves or is dropped (its share sessions and records are let go). */
    private readonly onMemberGone: (groupId: string, memberId: string) => void = () => undefined,
  ) {}

  get(groupId: string): ShareGroup | undefined {
    return this.groups.get(groupId);
  }

  list(): ShareGroup[] {
    return [...this.groups.values()];
  }

  /** Forgets an empty group (DeleteGroups); false when it still has members. */
  delete(groupId: string): boolean {
    const g = this.groups.get(groupId);
    if (g !== undefined && g.members.size > 0) return false;
    this.groups.delete(groupId);
    return true;
  }

  /** Kafka's share group states: Empty without members, else Stable (assignments apply at once). */
  static state(g: ShareGroup): 'Empty' | 'Stable' {
    return g.members.size === 0 ? 'Empty' : 'Stable';
  }

  heartbeat(h: HeartbeatInput): HeartbeatResult {
    if (h.memberEpoch === LEAVE_GROUP_EPOCH) return this.leave(h);
    let g = this.groups.get(h.groupId);
    let m = g?.members.get(h.memberId);
    if (h.memberEpoch === 0) {
      if (h.subscribedTopicNames === null || h.subscribedTopicNames.length === 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'SubscribedTopicNames must be set in the first heartbeat');
      if (g === undefined) this.groups.set(h.groupId, (g = { groupId: h.groupId, groupEpoch: 0, assignmentEpoch: 0, members: new Map() }));
      if (m === undefined) {
        if (g.members.size >= this.config.maxSize) throw new KafkaError(ErrorCode.GROUP_MAX_SIZE_REACHED, `share group ${h.groupId} has its ${this.config.maxSize} members (group.share.max.size)`);
        // Kafka 4.1+ clients make their member id; an older or bare client may leave it to the coordinator.
        const memberId = h.memberId === '' ? randomUUID() : h.memberId;
        m = { memberId, memberEpoch: 0, rackId: h.rackId, clientId: h.clientId, clientHost: h.clientHost, subscribedTopicNames: [...h.subscribedTopicNames], assignment: new Map(), timer: null };
        g.members.set(memberId, m);
        this.rebalance(g);
      } else this.update(g, m, h);
    } else {
      if (g === undefined || m === undefined) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `member ${h.memberId} is not in share group ${h.groupId}`);
      // A member may be behind by the epochs whose responses it missed; ahead of the coordinator is a fence.
      if (h.memberEpoch > m.memberEpoch) throw new KafkaError(ErrorCode.FENCED_MEMBER_EPOCH, `member ${h.memberId} sent epoch ${h.memberEpoch}, the coordinator has ${m.memberEpoch}`);
      this.update(g, m, h);
    }
    this.refreshAssignment(g);
    this.touch(g, m);
    return { memberId: m.memberId, memberEpoch: m.memberEpoch, heartbeatIntervalMs: this.config.heartbeatIntervalMs, assignment: [...m.assignment].map(([topicId, partitions]) => ({ topicId, partitions })) };
  }

  /** Drops every member's timer (the broker is stopping). */
  close(): void {
    for (const g of this.groups.values()) for (const m of g.members.values()) if (m.timer !== null) this.clock.clearTimeout(m.timer);
  }

  private leave(h: HeartbeatInput): HeartbeatResult {
    const g = this.groups.get(h.groupId);
    const m = g?.members.get(h.memberId);
    if (g === undefined || m === undefined) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `member ${h.memberId} is not in share group ${h.groupId}`);
    this.remove(g, m);
    return { memberId: h.memberId, memberEpoch: LEAVE_GROUP_EPOCH, heartbeatIntervalMs: this.config.heartbeatIntervalMs, assignment: null };
  }

  private update(g: ShareGroup, m: ShareMember, h: HeartbeatInput): void {
    let changed = false;
    if (h.rackId !== null && h.rackId !== m.rackId) m.rackId = h.rackId;
    if (h.subscribedTopicNames !== null && !sameNames(h.subscribedTopicNames, m.subscribedTopicNames)) {
      m.subscribedTopicNames = [...h.subscribedTopicNames];
      changed = true;
    }
    if (changed) this.rebalance(g);
  }

  private remove(g: ShareGroup, m: ShareMember): void {
    if (m.timer !== null) this.clock.clearTimeout(m.timer);
    g.members.delete(m.memberId);
    this.rebalance(g);
    this.onMemberGone(g.groupId, m.memberId);
  }

  private touch(g: ShareGroup, m: ShareMember): void {
    if (m.timer !== null) this.clock.clearTimeout(m.timer);
    m.timer = this.clock.setTimeout(() => {
      m.timer = null;
      if (g.members.get(m.memberId) === m) this.remove(g, m);
    }, this.config.sessionTimeoutMs);
  }

  private rebalance(g: ShareGroup): void {
    g.groupEpoch++;
    this.rebalances++;
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
      this.rebalances++;
      for (const m of g.members.values()) m.memberEpoch = g.groupEpoch;
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
      const t = this.topics(name);
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
    for (const m of members) for (const ps of m.assignment.values()) ps.sort((a, b) => a - b);
    if (bumpEpochs) {
      for (const m of members) m.memberEpoch = g.groupEpoch;
      g.assignmentEpoch = g.groupEpoch;
    }
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((n) => s.has(n));
}
