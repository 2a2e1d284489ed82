/**
 * Classic members in a consumer group (Kafka 4's classicGroupJoinToConsumerGroup and its sync,
 * heartbeat and leave siblings): a consumer that speaks JoinGroup/SyncGroup/Heartbeat/LeaveGroup
 * is a member of the consumer group like any other, its subscription read from its JoinGroup
 * metadata. Its JoinGroup is one reconciliation step (heartbeat.ts's updateMember) answered at
 * once with its member epoch as the generation (no leader: the coordinator assigns); SyncGroup
 * hands it its assigned partitions in the consumer protocol; Heartbeat answers
 * REBALANCE_IN_PROGRESS when its assignment must change, so that it rejoins. As in Kafka, a member
 * that does not sync within its rebalance timeout after joining, or does not rejoin within it
 * after being told to, is removed; a static member joining with an unknown member id takes the
 * place of the one holding its instance id, which is fenced.
 */
import { ErrorCode } from '../../../protocol/errors.js';
import type { GroupCoordinator } from '../coordinator.js';
import type { ClassicGroup } from '../group.js';
import { joinError, syncError, type JoinResult, type SyncResult } from '../member.js';
import type { CoordinatorRecord } from '../records.js';
import type { JoinGroupArgs } from '../join.js';
import type { HeartbeatArgs, LeaveResult, LeavingMember, SyncGroupArgs } from '../membership.js';
import { CONSUMER_PROTOCOL_TYPE, encodeMemberAssignment, memberSubscription, protocolVersion } from '../consumer-protocol.js';
import { EMPTY_ASSIGNMENT, EMPTY_METADATA, type ConsumerGroupState, type ConsumerMember } from './group.js';
import { FencedMemberError } from './reconcile.js';
import { MemberState, type ConsumerGroupRecord, type ConsumerMemberMetadata } from './records.js';
import { clearTimers, fenceMember, inheritedAssignment, removalRecords, scheduleSessionTimeout, subscriptionMetadata, updateMember } from './heartbeat.js';

/** Kafka's ConsumerGroup.supportsClassicProtocols: the consumer type and a protocol every classic member has. */
function supportsProtocols(cg: ConsumerGroupState, protocolType: string, names: string[]): boolean {
  if (protocolType !== CONSUMER_PROTOCOL_TYPE) return false;
  const classic = [...cg.members.values()].filter((m) => m.metadata.classicMemberMetadata !== null);
  return names.some((n) => classic.every((m) => m.metadata.classicMemberMetadata!.supportedProtocols.some((p) => p.name === n)));
}

/** The member a classic request names (Kafka's validateConsumerGroupMember), or the error code. */
function classicMember(cg: ConsumerGroupState, memberId: string, instanceId: string | null): ConsumerMember | number {
  let m: ConsumerMember | undefined;
  if (instanceId === null) m = cg.members.get(memberId);
  else {
    m = cg.staticMember(instanceId);
    if (m !== undefined && m.memberId !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
  }
  // A consumer-protocol member is not known to the classic APIs.
  if (m === undefined || m.metadata.classicMemberMetadata === null) return ErrorCode.UNKNOWN_MEMBER_ID;
  return m;
}

export async function joinConsumerGroup(c: GroupCoordinator, g: ClassicGroup, a: JoinGroupArgs): Promise<JoinResult> {
  const cg = g.consumer!;
  const isUnknown = a.memberId === '';
  const memberId = isUnknown ? c.newUuid() : a.memberId;
  if (cg.members.size >= c.config.consumer.maxSize && !cg.members.has(memberId)) return joinError(memberId, ErrorCode.GROUP_MAX_SIZE_REACHED);
  if (!supportsProtocols(cg, a.protocolType, a.protocols.map((p) => p.name))) return joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  if (isUnknown && a.groupInstanceId === null && a.requireKnownMemberId) return joinError(memberId, ErrorCode.MEMBER_ID_REQUIRED);
  let old: ConsumerMember | undefined;
  let replaced: ConsumerMember | undefined;
  // As in Kafka, a dynamic member id the group does not know joins as a new member.
  if (a.groupInstanceId === null) old = cg.members.get(memberId);
  else {
    const holder = cg.staticMember(a.groupInstanceId);
    if (isUnknown) replaced = holder;
    else if (holder === undefined) return joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID);
    else if (holder.memberId !== memberId) return joinError(memberId, ErrorCode.FENCED_INSTANCE_ID);
    else old = holder;
  }
  if (old !== undefined && old.metadata.classicMemberMetadata === null) return joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID);
  const sub = memberSubscription(a.protocols[0]!.metadata);
  if (sub === null) return joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const oldMeta = (old ?? replaced)?.metadata ?? EMPTY_METADATA;
  const meta: ConsumerMemberMetadata = {
    instanceId: a.groupInstanceId ?? oldMeta.instanceId,
    rackId: sub.rackId ?? oldMeta.rackId,
    clientId: a.clientId,
    clientHost: a.clientHost,
    subscribedTopicNames: sub.topics,
    subscribedTopicRegex: oldMeta.subscribedTopicRegex,
    rebalanceTimeoutMs: a.rebalanceTimeoutMs !== -1 ? a.rebalanceTimeoutMs : oldMeta.rebalanceTimeoutMs,
    serverAssignor: oldMeta.serverAssignor,
    classicMemberMetadata: { sessionTimeoutMs: a.sessionTimeoutMs, supportedProtocols: a.protocols.map((p) => ({ name: p.name, metadata: p.metadata })) },
  };
  const ids = new Map([...c.topicsView.all()].map((t) => [t.name, t.topicId]));
  const owned = sub.ownedPartitions.filter((t) => ids.has(t.topic)).map((t) => ({ topicId: ids.get(t.topic)!, partitions: t.partitions }));
  const records: CoordinatorRecord[] = [];
  const rec = (r: ConsumerGroupRecord) => records.push({ type: 'consumer', key: { group: g.groupId }, value: r });
  let next;
  try {
    const current = replaced !== undefined ? inheritedAssignment(replaced) : (old?.assignment ?? EMPTY_ASSIGNMENT);
    next = updateMember(c, g, cg, { memberId, old, replaced, current, meta, owned, rejoining: false }, rec);
  } catch (err) {
    if (err instanceof FencedMemberError) return joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID);
    throw err;
  }
  if (records.length > 0) {
    const code = await c.write(g.partition, records, 'group');
    if (code !== ErrorCode.NONE) return joinError(memberId, code);
  }
  if (replaced !== undefined) {
    clearTimers(c, replaced);
    c.logger.info('static member replaced: a classic member joined with its instance id under a new member id', { groupId: g.groupId, instanceId: a.groupInstanceId, memberId, replaced: replaced.memberId });
  }
  const member = g.consumer?.members.get(memberId);
  if (member !== undefined) {
    scheduleSessionTimeout(c, g, member);
    scheduleClassicTimeout(c, g, member, 'sync');
  }
  return {
    errorCode: ErrorCode.NONE, generationId: next.memberEpoch, protocolType: CONSUMER_PROTOCOL_TYPE, protocolName: a.protocols[0]!.name,
    leader: '', skipAssignment: false, memberId, members: [],
  };
}

export function syncConsumerGroup(c: GroupCoordinator, g: ClassicGroup, a: SyncGroupArgs): SyncResult {
  const cg = g.consumer!;
  const m = classicMember(cg, a.memberId, a.groupInstanceId);
  if (typeof m === 'number') return syncError(m);
  if (a.generationId !== m.assignment.memberEpoch) return syncError(ErrorCode.ILLEGAL_GENERATION);
  const first = m.metadata.classicMemberMetadata!.supportedProtocols[0]!;
  if ((a.protocolType !== null && a.protocolType !== CONSUMER_PROTOCOL_TYPE) || (a.protocolName !== null && a.protocolName !== first.name)) return syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  // A new epoch the member has not joined for yet: it rejoins first (unless it is still revoking).
  if (cg.groupEpoch > m.assignment.memberEpoch && m.assignment.state !== MemberState.UNREVOKED_PARTITIONS) return syncError(ErrorCode.REBALANCE_IN_PROGRESS);
  cancelClassicTimeout(c, m);
  scheduleSessionTimeout(c, g, m);
  const names = new Map([...c.topicsView.all()].map((t) => [t.topicId, t.name]));
  const partitions = [...m.assignment.assignedPartitions].filter(([id]) => names.has(id)).map(([id, ps]) => ({ topic: names.get(id)!, partitions: ps }));
  return { errorCode: ErrorCode.NONE, protocolType: a.protocolType ?? CONSUMER_PROTOCOL_TYPE, protocolName: a.protocolName ?? first.name, assignment: encodeMemberAssignment(partitions, protocolVersion(first.metadata)) };
}

/** Whether a partition the member is to get is still held by another member (Kafka's waitingOnUnreleasedPartition). */
function waitingOnUnreleased(cg: ConsumerGroupState, m: ConsumerMember): boolean {
  for (const [t, ps] of cg.targets.get(m.memberId) ?? new Map<string, number[]>()) {
    const have = m.assignment.assignedPartitions.get(t) ?? [];
    for (const p of ps) if (!have.includes(p) && cg.partitionEpoch(t, p) !== -1) return true;
  }
  return false;
}

export function heartbeatConsumerGroup(c: GroupCoordinator, g: ClassicGroup, a: HeartbeatArgs): number {
  const cg = g.consumer!;
  const m = classicMember(cg, a.memberId, a.groupInstanceId);
  if (typeof m === 'number') return m;
  if (a.generationId !== m.assignment.memberEpoch) return ErrorCode.ILLEGAL_GENERATION;
  scheduleSessionTimeout(c, g, m);
  const s = m.assignment.state;
  const rejoin = m.assignment.memberEpoch < cg.groupEpoch || s === MemberState.UNREVOKED_PARTITIONS || (s === MemberState.UNRELEASED_PARTITIONS && !waitingOnUnreleased(cg, m));
  if (!rejoin) return ErrorCode.NONE;
  if (m.classicTimer === null) scheduleClassicTimeout(c, g, m, 'join');
  return ErrorCode.REBALANCE_IN_PROGRESS;
}

/**
 * Kafka's consumer-group join and sync timeouts for a classic member: told to rejoin, it must send
 * JoinGroup within its rebalance timeout; joined, it must send SyncGroup within it. Else it is removed.
 */
function scheduleClassicTimeout(c: GroupCoordinator, g: ClassicGroup, m: ConsumerMember, phase: 'join' | 'sync'): void {
  cancelClassicTimeout(c, m);
  m.classicTimer = c.clock.setTimeout(() => {
    m.classicTimer = null;
    if (c.isStopped) return;
    void c.run(g, async () => {
      if (g.consumer?.members.get(m.memberId) !== m) return;
      c.logger.info(`classic member of a consumer group fenced: it did not ${phase === 'join' ? 'rejoin' : 'sync'} within its rebalance timeout`, { groupId: g.groupId, memberId: m.memberId });
      await fenceMember(c, g, m);
    });
  }, Math.max(m.metadata.rebalanceTimeoutMs, 0));
}

function cancelClassicTimeout(c: GroupCoordinator, m: ConsumerMember): void {
  if (m.classicTimer !== null) c.clock.clearTimeout(m.classicTimer);
  m.classicTimer = null;
}

/** Kafka's classicGroupLeaveToConsumerGroup: the members go, the subscription metadata is refreshed, the epoch bumps. */
export async function leaveConsumerGroup(c: GroupCoordinator, g: ClassicGroup, leaving: LeavingMember[]): Promise<LeaveResult> {
  const cg = g.consumer!;
  const records: CoordinatorRecord[] = [];
  const rec = (r: ConsumerGroupRecord) => records.push({ type: 'consumer', key: { group: g.groupId }, value: r });
  const gone = new Set<string>();
  const members = leaving.map((l) => {
    let m: ConsumerMember | number;
    if (l.groupInstanceId === null) m = classicMember(cg, l.memberId, null);
    else {
      // An admin may remove a static member by its instance id alone.
      const holder = cg.staticMember(l.groupInstanceId);
      m = holder === undefined ? ErrorCode.UNKNOWN_MEMBER_ID : l.memberId !== '' && holder.memberId !== l.memberId ? ErrorCode.FENCED_INSTANCE_ID : classicMember(cg, holder.memberId, null);
    }
    if (typeof m === 'number') return { memberId: l.memberId, groupInstanceId: l.groupInstanceId, errorCode: m };
    if (!gone.has(m.memberId)) removalRecords(rec, g.groupId, m.memberId);
    gone.add(m.memberId);
    clearTimers(c, m);
    return { memberId: m.memberId, groupInstanceId: l.groupInstanceId, errorCode: ErrorCode.NONE };
  });
  if (records.length > 0) {
    const metadata = subscriptionMetadata(c, [...cg.members.values()].filter((m) => !gone.has(m.memberId)).map((m) => m.metadata));
    if (JSON.stringify(metadata) !== JSON.stringify(cg.subscriptionMetadata)) rec({ type: 'cg-partition-metadata', group: g.groupId, value: metadata });
    rec({ type: 'cg-epoch', group: g.groupId, value: { epoch: cg.groupEpoch + 1 } });
    const code = await c.write(g.partition, records, 'group');
    if (code !== ErrorCode.NONE) return { errorCode: code, members: [] };
  }
  return { errorCode: ErrorCode.NONE, members };
}
