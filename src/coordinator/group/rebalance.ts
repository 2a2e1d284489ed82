/**
 * The rebalance, as Kafka's GroupCoordinator runs it, and the timers behind it (session,
 * rebalance, initial delay, pending member ids, pending syncs). Each function runs inside the
 * group's queue (`c.run`).
 *
 *   Empty ─join─► PreparingRebalance ─all joined / rebalance timeout─► CompletingRebalance
 *     ▲                 ▲                                                   │ leader's SyncGroup
 *     └─ nobody left ───┴──────── join, leave, expiry ◄──── Stable ◄────────┘ (GroupMetadata record)
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { GroupCoordinator } from './coordinator.js';
import type { ClassicGroup } from './group.js';
import { syncError, type JoinResult, type Member } from './member.js';
import type { CoordinatorRecord, GroupMetadataValue } from './records.js';

export function groupRecord(group: ClassicGroup, value: GroupMetadataValue | null): CoordinatorRecord {
  return { type: 'group', key: { group: group.groupId }, value };
}

/** The group's current generation, as a JoinGroup answer (the member list only for the leader). */
export function currentGeneration(group: ClassicGroup, memberId: string, withMembers: boolean): JoinResult {
  return {
    errorCode: ErrorCode.NONE,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    leader: group.leaderId ?? '',
    skipAssignment: false,
    memberId,
    members: withMembers ? group.currentMemberMetadata() : [],
  };
}

export async function removePendingMember(c: GroupCoordinator, group: ClassicGroup, memberId: string): Promise<void> {
  const timer = group.pendingMembers.get(memberId);
  if (timer !== undefined) c.clock.clearTimeout(timer);
  group.pendingMembers.delete(memberId);
  await tryCompleteJoin(c, group);
}

// ---- the rebalance ---------------------------------------------------------------------------

export async function maybePrepareRebalance(c: GroupCoordinator, group: ClassicGroup, reason: string): Promise<void> {
  if (group.canRebalance()) await prepareRebalance(c, group, reason);
}

export async function prepareRebalance(c: GroupCoordinator, group: ClassicGroup, reason: string): Promise<void> {
  // Members waiting for this generation's assignment must rejoin instead.
  if (group.is('CompletingRebalance')) for (const m of group.members.values()) m.completeSync(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
  clearSyncTimer(c, group);
  const wasEmpty = group.is('Empty');
  group.transitionTo('PreparingRebalance', c.clock.now());
  c.rebalances++;
  c.logger.info('preparing to rebalance group', { group: group.groupId, generation: group.generationId, reason });
  if (wasEmpty) {
    const delayMs = c.config.initialRebalanceDelayMs;
    scheduleJoin(c, group, delayMs, { delayMs, remainingMs: Math.max(group.rebalanceTimeoutMs() - delayMs, 0) });
  } else {
    scheduleJoin(c, group, group.rebalanceTimeoutMs(), null);
  }
  await tryCompleteJoin(c, group);
}

/** Completes the join early once everyone is in (never during the initial delay). */
export async function tryCompleteJoin(c: GroupCoordinator, group: ClassicGroup): Promise<void> {
  if (group.is('PreparingRebalance') && group.initialJoinDelay === null && group.hasAllMembersJoined()) await completeJoin(c, group);
}

/** Kafka's onCompleteJoin: the generation is formed from the members that rejoined. */
export async function completeJoin(c: GroupCoordinator, group: ClassicGroup): Promise<void> {
  clearJoinTimer(c, group);
  for (const m of [...group.members.values()]) if (!m.isAwaitingJoin && !m.isStatic) removeMember(c, group, m.memberId);
  if (group.is('Dead')) return;
  if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
    // Nobody rejoined: wait again, until session timeouts remove the silent members.
    c.logger.warn('group could not complete its rebalance: no member rejoined', { group: group.groupId });
    scheduleJoin(c, group, group.rebalanceTimeoutMs(), null);
    return;
  }
  if (group.size === 0) {
    // Everyone left: the group is Empty in a new generation, and that is written down.
    const now = c.clock.now();
    const value: GroupMetadataValue = {
      protocolType: group.protocolType ?? '', generation: group.generationId + 1, protocol: null, leader: null, currentStateTimestamp: now, members: [],
    };
    const error = await c.write(group.partition, [groupRecord(group, value)], 'group');
    // Kafka moves on even if the write failed: an empty generation has no one to confuse.
    if (error !== ErrorCode.NONE) group.initNextGeneration(now);
    return;
  }
  group.initNextGeneration(c.clock.now());
  c.logger.info('stabilized group', { group: group.groupId, generation: group.generationId, members: group.size });
  for (const m of group.members.values()) {
    m.completeJoin(currentGeneration(group, m.memberId, group.isLeader(m.memberId)));
    scheduleHeartbeat(c, group, m);
    m.isNew = false;
    group.pendingSyncMembers.add(m.memberId);
  }
  scheduleSync(c, group, group.rebalanceTimeoutMs());
}

/** Removes a member and its timer, answering its parked requests. */
export function removeMember(c: GroupCoordinator, group: ClassicGroup, memberId: string): void {
  const m = group.members.get(memberId);
  if (m !== undefined) clearHeartbeat(c, m);
  group.remove(memberId);
}

/** A member left or expired: the others rebalance. */
export async function removeMemberAndUpdateGroup(c: GroupCoordinator, group: ClassicGroup, memberId: string, reason: string): Promise<void> {
  removeMember(c, group, memberId);
  switch (group.state) {
    case 'Stable':
    case 'CompletingRebalance':
      await maybePrepareRebalance(c, group, reason);
      break;
    case 'PreparingRebalance':
      await tryCompleteJoin(c, group);
      break;
    default:
      break;
  }
}

// ---- timers ----------------------------------------------------------------------------------

/** (Re)starts a member's session: unless it heartbeats (or commits) within the timeout, it is removed. */
export function scheduleHeartbeat(c: GroupCoordinator, group: ClassicGroup, member: Member, timeoutMs = member.sessionTimeoutMs): void {
  clearHeartbeat(c, member);
  const timer = c.clock.setTimeout(() => {
    void c.run(group, async () => {
      if (member.heartbeatTimer !== timer || group.members.get(member.memberId) !== member) return;
      member.heartbeatTimer = null;
      // A member waiting in a join or sync is alive by definition, unless it is new (see NEW_MEMBER_JOIN_TIMEOUT_MS).
      if (!member.isNew && (member.isAwaitingJoin || member.isAwaitingSync)) return;
      c.logger.info('member session expired; removing it from the group', { group: group.groupId, member: member.memberId });
      await removeMemberAndUpdateGroup(c, group, member.memberId, 'session timeout');
    });
  }, timeoutMs);
  member.heartbeatTimer = timer;
}

export function clearHeartbeat(c: GroupCoordinator, member: Member): void {
  if (member.heartbeatTimer !== null) c.clock.clearTimeout(member.heartbeatTimer);
  member.heartbeatTimer = null;
}

/** The join phase ends when its timer fires (or earlier once everyone joined, outside the initial delay). */
export function scheduleJoin(c: GroupCoordinator, group: ClassicGroup, delayMs: number, initial: ClassicGroup['initialJoinDelay']): void {
  clearJoinTimer(c, group);
  group.initialJoinDelay = initial;
  const timer = c.clock.setTimeout(() => {
    void c.run(group, async () => {
      if (group.joinTimer !== timer || !group.is('PreparingRebalance')) return;
      group.joinTimer = null;
      const d = group.initialJoinDelay;
      if (d !== null && group.newMemberAdded && d.remainingMs !== 0) {
        // Members are still arriving at a new group: wait a little longer, within the rebalance timeout.
        group.newMemberAdded = false;
        scheduleJoin(c, group, Math.min(d.delayMs, d.remainingMs), { delayMs: d.delayMs, remainingMs: Math.max(d.remainingMs - d.delayMs, 0) });
        return;
      }
      await completeJoin(c, group);
    });
  }, delayMs);
  group.joinTimer = timer;
}

function clearJoinTimer(c: GroupCoordinator, group: ClassicGroup): void {
  if (group.joinTimer !== null) c.clock.clearTimeout(group.joinTimer);
  group.joinTimer = null;
  group.initialJoinDelay = null;
  group.newMemberAdded = false;
}

/** Members that do not send SyncGroup within the rebalance timeout are removed, and the group rebalances. */
export function scheduleSync(c: GroupCoordinator, group: ClassicGroup, timeoutMs: number): void {
  clearSyncTimer(c, group);
  const generation = group.generationId;
  const timer = c.clock.setTimeout(() => {
    void c.run(group, async () => {
      if (group.syncTimer !== timer) return;
      group.syncTimer = null;
      if (generation !== group.generationId || !(group.is('CompletingRebalance') || group.is('Stable'))) return;
      if (group.pendingSyncMembers.size === 0) return;
      const missing = [...group.pendingSyncMembers];
      for (const id of missing) removeMember(c, group, id);
      await prepareRebalance(c, group, `members ${missing.join(', ')} did not sync in time`);
    });
  }, timeoutMs);
  group.syncTimer = timer;
}

function clearSyncTimer(c: GroupCoordinator, group: ClassicGroup): void {
  if (group.syncTimer !== null) c.clock.clearTimeout(group.syncTimer);
  group.syncTimer = null;
}
