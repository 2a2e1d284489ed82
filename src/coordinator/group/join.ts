/**
 * JoinGroup, as Kafka's GroupCoordinator answers it: new and known members, MEMBER_ID_REQUIRED,
 * static members taking over their instance id, protocol checks, group.max.size. A join that
 * has to wait for the rebalance is parked on the member and answered by rebalance.ts.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { consumerGroupTombstones } from './consumer/heartbeat.js';
import { joinConsumerGroup } from './consumer/classic-members.js';
import type { GroupCoordinator } from './coordinator.js';
import type { ClassicGroup } from './group.js';
import { Member, joinError, type JoinResult, type Protocol } from './member.js';
import { currentGeneration, groupRecord, maybePrepareRebalance, prepareRebalance, removeMember, removePendingMember, scheduleHeartbeat, tryCompleteJoin } from './rebalance.js';

/** Kafka's bound on a new member's first JoinGroup: it cannot heartbeat yet, so it may be gone. */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 300_000;

export interface JoinGroupArgs {
  groupId: string;
  /** '' for a member joining for the first time. */
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  /** JoinGroup v4+: a dynamic member without an id gets one (MEMBER_ID_REQUIRED) and rejoins. */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+: a static leader rejoining a Stable group is told to skip the assignment. */
  supportSkippingAssignment: boolean;
  reason: string | null;
}

/**
 * An answer given now, or a parked one. A parked answer travels wrapped: awaited inside the
 * group's queue it would hold the queue until the rebalance it waits for, which never comes.
 */
interface Answer<T> {
  result: T | Promise<T>;
}

export async function joinGroup(c: GroupCoordinator, a: JoinGroupArgs): Promise<JoinResult> {
  const error = c.groupError(a.groupId, 'non-empty');
  if (error !== null) return joinError(a.memberId, error);
  if (a.sessionTimeoutMs < c.config.minSessionTimeoutMs || a.sessionTimeoutMs > c.config.maxSessionTimeoutMs)
    return joinError(a.memberId, ErrorCode.INVALID_SESSION_TIMEOUT);
  const isUnknownMember = a.memberId === '';
  const group = isUnknownMember ? c.getOrCreateGroup(a.groupId) : c.getGroup(a.groupId);
  if (group === undefined) return joinError(a.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
  const { result } = await c.run(group, async (): Promise<Answer<JoinResult>> => {
    let answer: Answer<JoinResult>;
    if (group.consumer !== null && group.consumer.members.size > 0 && c.config.consumer.migration.name !== 'disabled') {
      // A consumer group with members takes classic members as its own (consumer/classic-members.ts).
      return now(await joinConsumerGroup(c, group, a));
    } else if (group.consumer !== null && !(await classicMayJoin(c, group))) {
      answer = now(joinError(a.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    } else if (!acceptJoiningMember(c, group, a.memberId)) {
      if (group.has(a.memberId)) removeMember(c, group, a.memberId);
      answer = now(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
    } else if (isUnknownMember) answer = await joinNewMember(c, group, a);
    else answer = await joinKnownMember(c, group, a);
    await tryCompleteJoin(c, group);
    return answer;
  });
  return result;
}

/**
 * A classic member joining an empty KIP-848 consumer group deletes it (its tombstones written) and
 * the group goes on as a classic one, as in Kafka. With group.consumer.migration.policy=disabled a
 * consumer group with members refuses classic members (INCONSISTENT_GROUP_PROTOCOL, as Kafka since
 * KAFKA-20640); otherwise they join it as classic members (joinConsumerGroup).
 */
async function classicMayJoin(c: GroupCoordinator, group: ClassicGroup): Promise<boolean> {
  const cg = group.consumer!;
  if (cg.members.size > 0) {
    c.logger.info('a classic member cannot join a consumer group that has consumer-protocol members', { groupId: group.groupId });
    return false;
  }
  return (await c.write(group.partition, consumerGroupTombstones(group.groupId), 'group')) === ErrorCode.NONE && group.consumer === null;
}

function now<T>(result: T): Answer<T> {
  return { result };
}

/** group.max.size: Kafka counts members already waiting in the join, so late joiners are the ones refused. */
function acceptJoiningMember(c: GroupCoordinator, group: ClassicGroup, memberId: string): boolean {
  const max = c.config.groupMaxSize;
  switch (group.state) {
    case 'Empty':
    case 'Dead':
      return true;
    case 'PreparingRebalance':
      return (group.has(memberId) && group.get(memberId).isAwaitingJoin) || group.numAwaitingJoin() < max;
    case 'CompletingRebalance':
    case 'Stable':
      return group.has(memberId) || group.size < max;
  }
}

async function joinNewMember(c: GroupCoordinator, group: ClassicGroup, a: JoinGroupArgs): Promise<Answer<JoinResult>> {
  if (group.is('Dead')) return now(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
  if (!group.supportsProtocols(a.protocolType, protocolNames(a.protocols))) return now(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
  const newMemberId = `${a.groupInstanceId ?? a.clientId}-${c.newUuid()}`;
  if (a.groupInstanceId !== null) {
    const oldMemberId = group.currentStaticMemberId(a.groupInstanceId);
    if (oldMemberId !== undefined) return replaceStaticMember(c, group, a, oldMemberId, newMemberId);
    return addMemberAndRebalance(c, group, a, newMemberId);
  }
  if (a.requireKnownMemberId) {
    addPendingMember(c, group, newMemberId, a.sessionTimeoutMs);
    return now(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
  }
  return addMemberAndRebalance(c, group, a, newMemberId);
}

async function joinKnownMember(c: GroupCoordinator, group: ClassicGroup, a: JoinGroupArgs): Promise<Answer<JoinResult>> {
  if (group.is('Dead')) return now(joinError(a.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
  if (!group.supportsProtocols(a.protocolType, protocolNames(a.protocols))) return now(joinError(a.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
  if (group.pendingMembers.has(a.memberId)) return addMemberAndRebalance(c, group, a, a.memberId);
  if (group.isStaticMemberFenced(a.groupInstanceId, a.memberId)) return now(joinError(a.memberId, ErrorCode.FENCED_INSTANCE_ID));
  const unknownInstance = a.groupInstanceId !== null && group.currentStaticMemberId(a.groupInstanceId) === undefined;
  if (!group.has(a.memberId) || unknownInstance) return now(joinError(a.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
  const member = group.get(a.memberId);
  switch (group.state) {
    case 'PreparingRebalance':
      return updateMemberAndRebalance(c, group, member, a);
    case 'CompletingRebalance':
      // The same metadata again (the member missed the JoinGroup answer): the current generation.
      if (member.matches(a.protocols)) return now(currentGeneration(group, member.memberId, group.isLeader(member.memberId)));
      return updateMemberAndRebalance(c, group, member, a);
    case 'Stable':
      // A leader's rejoin rebalances, so it can act on changes the metadata does not show (new partitions).
      if (group.isLeader(member.memberId) || !member.matches(a.protocols)) return updateMemberAndRebalance(c, group, member, a);
      return now(currentGeneration(group, member.memberId, false));
    case 'Empty':
    case 'Dead':
      return now(joinError(a.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
  }
}

async function addMemberAndRebalance(c: GroupCoordinator, group: ClassicGroup, a: JoinGroupArgs, memberId: string): Promise<Answer<JoinResult>> {
  const member = new Member({ ...a, memberId });
  member.isNew = true;
  if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true;
  const parked = park(member);
  group.add(member);
  const pendingTimer = group.pendingMembers.get(memberId);
  if (pendingTimer !== undefined) c.clock.clearTimeout(pendingTimer);
  group.pendingMembers.delete(memberId);
  // A new member cannot heartbeat while its JoinGroup waits, so the wait itself is bounded.
  scheduleHeartbeat(c, group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
  await maybePrepareRebalance(c, group, `adding new member ${memberId}`);
  return { result: parked };
}

async function updateMemberAndRebalance(c: GroupCoordinator, group: ClassicGroup, member: Member, a: JoinGroupArgs): Promise<Answer<JoinResult>> {
  const parked = updateMember(member, a);
  await maybePrepareRebalance(c, group, `member ${member.memberId} rejoining (${a.reason ?? 'no reason given'})`);
  return { result: parked };
}

function updateMember(member: Member, a: JoinGroupArgs): Promise<JoinResult> {
  member.protocols = a.protocols;
  member.rebalanceTimeoutMs = a.rebalanceTimeoutMs;
  member.sessionTimeoutMs = a.sessionTimeoutMs;
  return park(member);
}

/** Parks a JoinGroup until the rebalance completes; a JoinGroup it supersedes is told to retry. */
function park(member: Member): Promise<JoinResult> {
  member.completeJoin(joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
  return new Promise((resolve) => (member.joinWaiter = resolve));
}

/**
 * A static member rejoining with a new member id takes over the old one's place. In a Stable
 * group whose protocol would not change this needs no rebalance: the group is rewritten with the
 * new member id and the member gets the current generation.
 */
async function replaceStaticMember(c: GroupCoordinator, group: ClassicGroup, a: JoinGroupArgs, oldMemberId: string, newMemberId: string): Promise<Answer<JoinResult>> {
  const instanceId = a.groupInstanceId!;
  const old = group.get(oldMemberId);
  if (group.is('Stable')) {
    const saved = old.protocols;
    old.protocols = a.protocols;
    const selected = group.selectProtocol();
    old.protocols = saved;
    if (selected === group.protocolName) {
      const currentLeader = group.leaderId ?? '';
      const value = group.toRecord((m) => m.assignment);
      value.members = value.members.map((r) =>
        r.memberId !== oldMemberId ? r : {
          ...r, memberId: newMemberId, clientId: a.clientId, clientHost: a.clientHost,
          rebalanceTimeout: a.rebalanceTimeoutMs, sessionTimeout: a.sessionTimeoutMs,
          subscription: a.protocols.find((p) => p.name === selected)!.metadata,
        });
      if (value.leader === oldMemberId) value.leader = newMemberId;
      const error = await c.write(group.partition, [groupRecord(group, value)], 'group');
      if (error !== ErrorCode.NONE)
        return now({ ...joinError('', error), generationId: group.generationId, protocolType: group.protocolType, protocolName: group.protocolName, leader: currentLeader });
      const member = group.get(newMemberId);
      member.protocols = a.protocols;
      scheduleHeartbeat(c, group, member);
      const isLeader = group.isLeader(newMemberId);
      // Before v9 the old leader id is returned, so a new leader instance does not reassign a stable group.
      return now({
        ...currentGeneration(group, newMemberId, a.supportSkippingAssignment && isLeader),
        leader: a.supportSkippingAssignment ? (group.leaderId ?? '') : currentLeader,
        skipAssignment: a.supportSkippingAssignment && isLeader,
      });
    }
  }
  const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
  scheduleHeartbeat(c, group, member);
  const parked = updateMember(member, a);
  // In CompletingRebalance the leader may be assigning to the old id: rebalance again.
  if (group.is('CompletingRebalance')) await prepareRebalance(c, group, `static member ${instanceId} rejoined`);
  else await maybePrepareRebalance(c, group, `static member ${instanceId} rejoined with new protocols`);
  return { result: parked };
}

function protocolNames(protocols: readonly Protocol[]): Set<string> {
  return new Set(protocols.map((p) => p.name));
}

function addPendingMember(c: GroupCoordinator, group: ClassicGroup, memberId: string, sessionTimeoutMs: number): void {
  const timer = c.clock.setTimeout(() => {
    void c.run(group, async () => {
      if (group.pendingMembers.get(memberId) !== timer) return;
      await removePendingMember(c, group, memberId);
    });
  }, sessionTimeoutMs);
  group.pendingMembers.set(memberId, timer);
}
