/**
 * SyncGroup, Heartbeat and LeaveGroup, as Kafka's GroupCoordinator answers them. The leader's
 * SyncGroup writes the generation's assignment; the members' SyncGroups wait for it. In a KIP-848
 * consumer group the classic members' requests go to consumer/classic-members.ts.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { GroupCoordinator } from './coordinator.js';
import type { ClassicGroup } from './group.js';
import { EMPTY_BYTES, syncError, type Member, type SyncResult } from './member.js';
import * as classic from './consumer/classic-members.js';
import { groupRecord, maybePrepareRebalance, removeMemberAndUpdateGroup, removePendingMember, scheduleHeartbeat } from './rebalance.js';

export interface SyncGroupArgs {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** v5+: checked against the group's when given. */
  protocolType: string | null;
  protocolName: string | null;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export interface HeartbeatArgs {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeavingMember {
  memberId: string;
  groupInstanceId: string | null;
  reason: string | null;
}

export interface LeaveResult {
  errorCode: number;
  members: Array<{ memberId: string; groupInstanceId: string | null; errorCode: number }>;
}

// ---- SyncGroup -------------------------------------------------------------------------------

export async function syncGroup(c: GroupCoordinator, a: SyncGroupArgs): Promise<SyncResult> {
  const error = c.groupError(a.groupId, 'non-empty');
  if (error !== null) return syncError(error);
  const group = c.getGroup(a.groupId);
  if (group === undefined) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
  const { result } = await c.run(group, async (): Promise<{ result: SyncResult | Promise<SyncResult> }> => {
    if (group.consumer !== null) return { result: classic.syncConsumerGroup(c, group, a) };
    if (group.is('Dead')) return { result: syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE) };
    if (group.isStaticMemberFenced(a.groupInstanceId, a.memberId)) return { result: syncError(ErrorCode.FENCED_INSTANCE_ID) };
    if (!group.has(a.memberId)) return { result: syncError(ErrorCode.UNKNOWN_MEMBER_ID) };
    if (a.generationId !== group.generationId) return { result: syncError(ErrorCode.ILLEGAL_GENERATION) };
    if ((a.protocolType !== null && a.protocolType !== group.protocolType) || (a.protocolName !== null && a.protocolName !== group.protocolName))
      return { result: syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL) };
    const member = group.get(a.memberId);
    switch (group.state) {
      case 'Empty':
        return { result: syncError(ErrorCode.UNKNOWN_MEMBER_ID) };
      case 'PreparingRebalance':
        return { result: syncError(ErrorCode.REBALANCE_IN_PROGRESS) };
      case 'Stable':
        group.pendingSyncMembers.delete(a.memberId);
        scheduleHeartbeat(c, group, member);
        return { result: assigned(group, member) };
      case 'CompletingRebalance': {
        member.completeSync(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        const parked = new Promise<SyncResult>((resolve) => (member.syncWaiter = resolve));
        group.pendingSyncMembers.delete(a.memberId);
        if (group.isLeader(a.memberId)) await storeAssignment(c, group, a.assignments);
        return { result: parked };
      }
      case 'Dead':
        return { result: syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE) };
    }
  });
  return result;
}

function assigned(group: ClassicGroup, member: Member): SyncResult {
  return { errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment };
}

/**
 * The leader's assignment becomes a GroupMetadata record (members the leader left out get an
 * empty one); replaying it makes the group Stable, and every waiting member gets its share.
 */
async function storeAssignment(c: GroupCoordinator, group: ClassicGroup, assignments: SyncGroupArgs['assignments']): Promise<void> {
  const given = new Map(assignments.map((x) => [x.memberId, x.assignment]));
  const value = group.toRecord((m) => given.get(m.memberId) ?? EMPTY_BYTES);
  const error = await c.write(group.partition, [groupRecord(group, value)], 'group');
  if (error !== ErrorCode.NONE) {
    for (const m of group.members.values()) m.completeSync(syncError(error));
    await maybePrepareRebalance(c, group, 'storing the assignment failed');
    return;
  }
  for (const m of group.members.values()) {
    if (!m.isAwaitingSync) continue;
    m.completeSync(assigned(group, m));
    scheduleHeartbeat(c, group, m);
  }
}

// ---- Heartbeat and LeaveGroup ------------------------------------------------------------------

export async function heartbeat(c: GroupCoordinator, a: HeartbeatArgs): Promise<number> {
  const error = c.groupError(a.groupId, 'non-empty');
  // Kafka answers heartbeats blindly while the group is loading: the member keeps its place.
  if (error === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return ErrorCode.NONE;
  if (error !== null) return error;
  const group = c.getGroup(a.groupId);
  if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
  return c.run(group, () => {
    if (group.consumer !== null) return classic.heartbeatConsumerGroup(c, group, a);
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (group.isStaticMemberFenced(a.groupInstanceId, a.memberId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (!group.has(a.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (a.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (group.is('Empty')) return ErrorCode.UNKNOWN_MEMBER_ID;
    scheduleHeartbeat(c, group, group.get(a.memberId));
    return group.is('PreparingRebalance') ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  });
}

export async function leaveGroup(c: GroupCoordinator, groupId: string, leaving: LeavingMember[]): Promise<LeaveResult> {
  const error = c.groupError(groupId, 'non-empty');
  if (error !== null) return { errorCode: error, members: [] };
  const each = (code: (m: LeavingMember) => number) => leaving.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: code(m) }));
  const group = c.getGroup(groupId);
  if (group === undefined) return { errorCode: ErrorCode.NONE, members: each(() => ErrorCode.UNKNOWN_MEMBER_ID) };
  return c.run(group, async () => {
    if (group.consumer !== null) return classic.leaveConsumerGroup(c, group, leaving);
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const codes: number[] = [];
    for (const m of leaving) codes.push(await leaveOne(c, group, m));
    return { errorCode: ErrorCode.NONE, members: each(() => codes.shift()!) };
  });
}

async function leaveOne(c: GroupCoordinator, group: ClassicGroup, m: LeavingMember): Promise<number> {
  const reason = `member left the group (${m.reason ?? 'no reason given'})`;
  if (m.memberId === '') {
    // An admin removing a static member by its instance id.
    const current = m.groupInstanceId === null ? undefined : group.currentStaticMemberId(m.groupInstanceId);
    if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    await removeMemberAndUpdateGroup(c, group, current, reason);
    return ErrorCode.NONE;
  }
  if (group.pendingMembers.has(m.memberId)) {
    await removePendingMember(c, group, m.memberId);
    return ErrorCode.NONE;
  }
  if (group.isStaticMemberFenced(m.groupInstanceId, m.memberId)) return ErrorCode.FENCED_INSTANCE_ID;
  if (!group.has(m.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
  await removeMemberAndUpdateGroup(c, group, m.memberId, reason);
  return ErrorCode.NONE;
}
