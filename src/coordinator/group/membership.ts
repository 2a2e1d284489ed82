/**
 * The classic rebalance protocol, as Kafka's GroupCoordinator runs it: JoinGroup, SyncGroup,
 * Heartbeat and LeaveGroup, and the timers behind them (session, rebalance, initial delay,
 * pending member ids, pending syncs). Each function runs inside the group's queue (`c.run`).
 *
 *   Empty ─join─► PreparingRebalance ─all joined / rebalance timeout─► CompletingRebalance
 *     ▲                 ▲                                                   │ leader's SyncGroup
 *     └─ nobody left ───┴──────── join, leave, expiry ◄──── Stable ◄────────┘ (GroupMetadata record)
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { GroupCoordinator } from './coordinator.js';
import { EMPTY_BYTES, Member, joinError, syncError, type ClassicGroup, type JoinResult, type Protocol, type SyncResult } from './group.js';
import type { CoordinatorRecord, GroupMetadataValue } from './records.js';

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

export function groupRecord(group: ClassicGroup, value: GroupMetadataValue | null): CoordinatorRecord {
  return { type: 'group', key: { group: group.groupId }, value };
}

// ---- JoinGroup -------------------------------------------------------------------------------

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
    if (!acceptJoiningMember(c, group, a.memberId)) {
      if (group.has(a.memberId)) removeMember(c, group, a.memberId);
      answer = now(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
    } else if (isUnknownMember) answer = await joinNewMember(c, group, a);
    else answer = await joinKnownMember(c, group, a);
    await tryCompleteJoin(c, group);
    return answer;
  });
  return result;
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

function currentGeneration(group: ClassicGroup, memberId: string, withMembers: boolean): JoinResult {
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

async function removePendingMember(c: GroupCoordinator, group: ClassicGroup, memberId: string): Promise<void> {
  const timer = group.pendingMembers.get(memberId);
  if (timer !== undefined) c.clock.clearTimeout(timer);
  group.pendingMembers.delete(memberId);
  await tryCompleteJoin(c, group);
}

// ---- the rebalance ---------------------------------------------------------------------------

async function maybePrepareRebalance(c: GroupCoordinator, group: ClassicGroup, reason: string): Promise<void> {
  if (group.canRebalance()) await prepareRebalance(c, group, reason);
}

async function prepareRebalance(c: GroupCoordinator, group: ClassicGroup, reason: string): Promise<void> {
  // Members waiting for this generation's assignment must rejoin instead.
  if (group.is('CompletingRebalance')) for (const m of group.members.values()) m.completeSync(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
  clearSyncTimer(c, group);
  const wasEmpty = group.is('Empty');
  group.transitionTo('PreparingRebalance', c.clock.now());
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
async function tryCompleteJoin(c: GroupCoordinator, group: ClassicGroup): Promise<void> {
  if (group.is('PreparingRebalance') && group.initialJoinDelay === null && group.hasAllMembersJoined()) await completeJoin(c, group);
}

/** Kafka's onCompleteJoin: the generation is formed from the members that rejoined. */
async function completeJoin(c: GroupCoordinator, group: ClassicGroup): Promise<void> {
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
function removeMember(c: GroupCoordinator, group: ClassicGroup, memberId: string): void {
  const m = group.members.get(memberId);
  if (m !== undefined) clearHeartbeat(c, m);
  group.remove(memberId);
}

/** A member left or expired: the others rebalance. */
async function removeMemberAndUpdateGroup(c: GroupCoordinator, group: ClassicGroup, memberId: string, reason: string): Promise<void> {
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

// ---- SyncGroup -------------------------------------------------------------------------------

export async function syncGroup(c: GroupCoordinator, a: SyncGroupArgs): Promise<SyncResult> {
  const error = c.groupError(a.groupId, 'non-empty');
  if (error !== null) return syncError(error);
  const group = c.getGroup(a.groupId);
  if (group === undefined) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
  const { result } = await c.run(group, async (): Promise<{ result: SyncResult | Promise<SyncResult> }> => {
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
function scheduleJoin(c: GroupCoordinator, group: ClassicGroup, delayMs: number, initial: ClassicGroup['initialJoinDelay']): void {
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
function scheduleSync(c: GroupCoordinator, group: ClassicGroup, timeoutMs: number): void {
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
