/**
 * ConsumerGroupHeartbeat as Kafka 4's GroupMetadataManager serves it: one request joins, heartbeats,
 * reconciles and leaves. Each heartbeat, on the group's turn: validate the member and its epoch;
 * update its subscription (a change bumps the group epoch); refresh the subscription metadata (a
 * topic created, deleted or grown bumps it too); when the group epoch is ahead of the target
 * assignment, run the assignor for a new target; move the member one step towards its target
 * (reconcile.ts); write the records; answer. Timers (session, rebalance) are memory only.
 */
import { ErrorCode } from '../../../protocol/errors.js';
import type { GroupCoordinator } from '../coordinator.js';
import type { ConsumerGroupHeartbeatRequest } from '../../../protocol/messages/68-consumer-group-heartbeat.js';
import type { ClassicGroup } from '../group.js';
import type { CoordinatorRecord } from '../records.js';
import { ASSIGNORS, type AssignorMember } from './assignors.js';
import { ConsumerGroupState, EMPTY_ASSIGNMENT, EMPTY_METADATA, type ConsumerMember } from './group.js';
import { FencedMemberError, isReconciledTo, reconcile, sameAssignment, samePartitions, type OwnedTopicPartitions } from './reconcile.js';
import { afterDowngrade, downgradeRecords, mayDowngrade, mayUpgrade, releaseClassicMembers, upgradeRecords } from './migration.js';
import { MemberState, type ConsumerGroupRecord, type ConsumerMemberAssignment, type ConsumerMemberMetadata, type SubscribedTopic, type TopicPartitions } from './records.js';

export const LEAVE_GROUP_MEMBER_EPOCH = -1;
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

/** The cluster's topics as the coordinator sees them. */
export interface TopicsView {
  all(): Iterable<{ name: string; topicId: string; partitions: number }>;
}

/** The request's fields, with the owned partitions under their meaning and who sent it. */
export type ConsumerHeartbeatArgs = Omit<ConsumerGroupHeartbeatRequest, 'topicPartitions'> & {
  ownedTopicPartitions: OwnedTopicPartitions[] | null;
  clientId: string;
  clientHost: string;
  apiVersion: number;
};

export interface ConsumerHeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  /** The member's assigned partitions, when the answer carries them. */
  assignment: TopicPartitions | null;
}

const failed = (errorCode: number, errorMessage: string | null = null): ConsumerHeartbeatResult => ({ errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null });

/** Internal topics never match a regular expression subscription. */
const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);

/**
 * The regular expression of `subscribedTopicRegex`. Kafka uses RE2/J; Samsa uses JavaScript's
 * RegExp, anchored to match the whole topic name as RE2/J's matches() does.
 */
export function compileTopicRegex(regex: string): RegExp {
  return new RegExp(`^(?:${regex})$`, 'u');
}

function validate(c: GroupCoordinator, a: ConsumerHeartbeatArgs): ConsumerHeartbeatResult | null {
  const invalid = (m: string) => failed(ErrorCode.INVALID_REQUEST, m);
  if (a.groupId === '') return invalid("GroupId can't be empty.");
  if (a.instanceId === '') return invalid("InstanceId can't be empty.");
  if (a.rackId === '') return invalid("RackId can't be empty.");
  if (a.apiVersion >= 1 && a.memberId === '') return invalid("MemberId can't be empty.");
  if (a.memberEpoch > 0 || a.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH) {
    if (a.memberId === '') return invalid("MemberId can't be empty.");
  } else if (a.memberEpoch === 0) {
    if (a.rebalanceTimeoutMs === -1) return invalid('RebalanceTimeoutMs must be provided in first request.');
    if (a.ownedTopicPartitions === null || a.ownedTopicPartitions.length > 0) return invalid('TopicPartitions must be empty when (re-)joining.');
    const names = a.subscribedTopicNames !== null && a.subscribedTopicNames.length > 0;
    const regex = a.subscribedTopicRegex !== null && a.subscribedTopicRegex !== '';
    if (!names && !regex) return invalid('SubscribedTopicNames or SubscribedTopicRegex must be set in first request.');
  } else if (a.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    if (a.memberId === '') return invalid("MemberId can't be empty.");
    if (a.instanceId === null) return invalid("InstanceId can't be null.");
  } else return invalid('MemberEpoch is invalid.');
  if (a.subscribedTopicRegex !== null && a.subscribedTopicRegex !== '') {
    try {
      compileTopicRegex(a.subscribedTopicRegex);
    } catch (err) {
      return failed(ErrorCode.INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex \`${a.subscribedTopicRegex}\` is not a valid regular expression: ${(err as Error).message}.`);
    }
  }
  const assignors = c.config.consumer.assignors;
  if (a.serverAssignor !== null && !assignors.includes(a.serverAssignor))
    return failed(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${a.serverAssignor} is not supported. Supported assignors: ${assignors.join(', ')}.`);
  return null;
}

export async function consumerGroupHeartbeat(c: GroupCoordinator, a: ConsumerHeartbeatArgs): Promise<ConsumerHeartbeatResult> {
  const invalid = validate(c, a);
  if (invalid !== null) return invalid;
  const error = c.groupError(a.groupId, 'non-empty');
  if (error !== null) return failed(error);
  let g = c.getGroup(a.groupId);
  if (a.memberEpoch < 0) {
    if (g === undefined) return failed(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${a.groupId} not found.`);
    const group = g;
    return c.run(group, () => leave(c, group, a));
  }
  if (g === undefined) {
    if (a.memberEpoch !== 0) return failed(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${a.groupId} not found.`);
    g = c.getOrCreateGroup(a.groupId);
  }
  const group = g;
  return c.run(group, () => heartbeat(c, group, a));
}

/** Kafka's throwIfConsumerGroupMemberEpochIsInvalid. */
function epochError(m: ConsumerMember, epoch: number, owned: OwnedTopicPartitions[] | null): ConsumerHeartbeatResult | null {
  const known = m.assignment.memberEpoch;
  if (epoch > known)
    return failed(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a greater member epoch (${epoch}) than the one known by the group coordinator (${known}). The member must abandon all its partitions and rejoin.`);
  if (epoch < known && (epoch !== m.assignment.previousMemberEpoch || !isSubset(owned, m.assignment.assignedPartitions)))
    return failed(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a smaller member epoch (${epoch}) than the one known by the group coordinator (${known}). The member must abandon all its partitions and rejoin.`);
  return null;
}

function isSubset(owned: OwnedTopicPartitions[] | null, of: TopicPartitions): boolean {
  if (owned === null) return false;
  return owned.every((t) => t.partitions.every((p) => of.get(t.topicId)?.includes(p) === true));
}

const unknownMember = (memberId: string, groupId: string) => failed(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${groupId}.`);

async function heartbeat(c: GroupCoordinator, g: ClassicGroup, a: ConsumerHeartbeatArgs): Promise<ConsumerHeartbeatResult> {
  const records: CoordinatorRecord[] = [];
  let cg: ConsumerGroupState;
  if (g.consumer !== null) cg = g.consumer;
  else if (a.memberEpoch === 0 && g.members.size === 0 && g.is('Empty')) cg = new ConsumerGroupState(); // an empty classic group (offsets only) becomes a consumer group
  else {
    // A classic group with members is converted in place, when the policy allows it (migration.ts).
    const upgrade = a.memberEpoch === 0 && g.members.size > 0 && mayUpgrade(c, g) ? upgradeRecords(c, g) : null;
    if (upgrade === null) return failed(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${g.groupId} is not a consumer group.`);
    releaseClassicMembers(c, g);
    records.push(...upgrade.records);
    cg = upgrade.cg;
  }
  const memberId = a.memberId === '' ? c.newUuid() : a.memberId;
  if (cg.members.size >= c.config.consumer.maxSize && !cg.members.has(memberId))
    return failed(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${c.config.consumer.maxSize} members.`);
  const rec = (r: ConsumerGroupRecord) => records.push({ type: 'consumer', key: { group: g.groupId }, value: r });
  let old: ConsumerMember | undefined;
  let replaced: ConsumerMember | undefined;
  if (a.instanceId === null) {
    old = cg.members.get(memberId);
    if (old === undefined && a.memberEpoch !== 0) return unknownMember(memberId, g.groupId);
  } else {
    const holder = cg.staticMember(a.instanceId);
    if (a.memberEpoch === 0) {
      if (holder !== undefined && holder.memberId !== memberId) {
        if (holder.assignment.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH)
          return failed(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${memberId} with instance id ${a.instanceId} cannot join the group because the instance id is owned by ${holder.memberId} member.`);
        replaced = holder;
      } else old = holder;
    } else {
      if (holder === undefined) return failed(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${a.instanceId} is unknown.`);
      if (holder.memberId !== memberId) return failed(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} with instance id ${a.instanceId} was fenced by member ${holder.memberId}.`);
      old = holder;
    }
  }
  if (old !== undefined && a.memberEpoch !== 0) {
    const e = epochError(old, a.memberEpoch, a.ownedTopicPartitions);
    if (e !== null) return e;
  }
  // The member as it was: a static member taking over an instance id inherits its partitions at epoch 0;
  // a member rejoining with epoch 0 owns nothing any more.
  const before = old ?? replaced;
  const oldMeta = before?.metadata ?? EMPTY_METADATA;
  const current: ConsumerMemberAssignment =
    old !== undefined && a.memberEpoch !== 0 ? old.assignment : replaced !== undefined ? inheritedAssignment(replaced) : EMPTY_ASSIGNMENT;
  const meta: ConsumerMemberMetadata = {
    instanceId: a.instanceId ?? oldMeta.instanceId,
    rackId: a.rackId ?? oldMeta.rackId,
    clientId: a.clientId,
    clientHost: a.clientHost,
    subscribedTopicNames: a.subscribedTopicNames ?? oldMeta.subscribedTopicNames,
    subscribedTopicRegex: a.subscribedTopicRegex === null ? oldMeta.subscribedTopicRegex : a.subscribedTopicRegex === '' ? null : a.subscribedTopicRegex,
    rebalanceTimeoutMs: a.rebalanceTimeoutMs !== -1 ? a.rebalanceTimeoutMs : oldMeta.rebalanceTimeoutMs,
    serverAssignor: a.serverAssignor ?? oldMeta.serverAssignor,
    // A member heartbeating with this API speaks the consumer protocol, whatever it spoke before.
    classicMemberMetadata: null,
  };
  let next: ConsumerMemberAssignment;
  try {
    next = updateMember(c, g, cg, { memberId, old, replaced, current, meta, owned: a.ownedTopicPartitions, rejoining: a.memberEpoch === 0 }, rec);
  } catch (err) {
    if (err instanceof FencedMemberError) return failed(ErrorCode.FENCED_MEMBER_EPOCH, err.message);
    throw err;
  }
  // What the member had, read before the write replays its new assignment into `old`.
  const hadPartitions = old?.assignment.assignedPartitions ?? new Map<string, number[]>();
  if (records.length > 0) {
    const code = await c.write(g.partition, records, 'group');
    if (code !== ErrorCode.NONE) return failed(code);
  }
  if (replaced !== undefined) clearTimers(c, replaced);
  // The members an upgrade brought in keep their classic session timeouts.
  if (g.consumer !== null && g.consumer !== cg) for (const m of g.consumer.members.values()) if (m.memberId !== memberId) scheduleSessionTimeout(c, g, m);
  const member = g.consumer?.members.get(memberId);
  if (member !== undefined) {
    scheduleSessionTimeout(c, g, member);
    if (next.state === MemberState.UNREVOKED_PARTITIONS) scheduleRebalanceTimeout(c, g, member);
    else if (member.rebalanceTimer !== null) {
      c.clock.clearTimeout(member.rebalanceTimer);
      member.rebalanceTimer = null;
    }
  }
  const full = a.memberEpoch === 0 || (a.rebalanceTimeoutMs !== -1 && (a.subscribedTopicNames !== null || a.subscribedTopicRegex !== null) && a.ownedTopicPartitions !== null);
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    memberId,
    memberEpoch: next.memberEpoch,
    heartbeatIntervalMs: c.consumerHeartbeatIntervalMs(g.groupId),
    assignment: full || !samePartitions(hadPartitions, next.assignedPartitions) ? next.assignedPartitions : null,
  };
}

/** A member's join or heartbeat, as the records it takes: who it is, what it holds and asks for. */
export interface MemberUpdate {
  memberId: string;
  /** The member as stored, when it is known. */
  old: ConsumerMember | undefined;
  /** A static member whose instance id this member takes over. */
  replaced: ConsumerMember | undefined;
  /** Its assignment before this request. */
  current: ConsumerMemberAssignment;
  meta: ConsumerMemberMetadata;
  owned: OwnedTopicPartitions[] | null;
  /** A known member joining again at epoch 0: it owns nothing any more. */
  rejoining: boolean;
}

/**
 * Kafka's steps 1–3 of a member's turn, shared by ConsumerGroupHeartbeat and a classic member's
 * JoinGroup: its metadata (a subscription change bumps the group epoch), the subscription metadata,
 * a new target assignment when the group epoch is ahead, one reconciliation step. Records go to
 * `rec`; returns the member's next assignment. Throws FencedMemberError.
 */
export function updateMember(c: GroupCoordinator, g: ClassicGroup, cg: ConsumerGroupState, u: MemberUpdate, rec: (r: ConsumerGroupRecord) => void): ConsumerMemberAssignment {
  const { memberId, old, replaced, current, meta } = u;
  const oldMeta = (old ?? replaced)?.metadata ?? EMPTY_METADATA;
  let bump = old === undefined && replaced === undefined;
  if (!sameSet(meta.subscribedTopicNames, oldMeta.subscribedTopicNames) || meta.subscribedTopicRegex !== oldMeta.subscribedTopicRegex) bump = true;
  if (replaced !== undefined) {
    removalRecords(rec, g.groupId, replaced.memberId);
    rec({ type: 'cg-member', group: g.groupId, memberId, value: meta });
    rec({ type: 'cg-target-member', group: g.groupId, memberId, value: cg.targets.get(replaced.memberId) ?? new Map() });
    rec({ type: 'cg-current-assignment', group: g.groupId, memberId, value: current });
  } else if (old === undefined || !sameMetadata(meta, oldMeta)) {
    rec({ type: 'cg-member', group: g.groupId, memberId, value: meta });
  }
  // Everyone's subscriptions as they will be, this member's new one included.
  const subscriptions = new Map<string, ConsumerMemberMetadata>();
  for (const m of cg.members.values()) if (m.memberId !== replaced?.memberId) subscriptions.set(m.memberId, m.metadata);
  subscriptions.set(memberId, meta);
  const metadata = subscriptionMetadata(c, subscriptions.values());
  if (!sameMetadataList(metadata, cg.subscriptionMetadata)) {
    rec({ type: 'cg-partition-metadata', group: g.groupId, value: metadata });
    bump = true;
  }
  let groupEpoch = cg.groupEpoch;
  if (bump) rec({ type: 'cg-epoch', group: g.groupId, value: { epoch: (groupEpoch += 1) } });
  let targetEpoch = cg.assignmentEpoch;
  let target: TopicPartitions = cg.targets.get(memberId) ?? (replaced !== undefined ? (cg.targets.get(replaced.memberId) ?? new Map()) : new Map());
  if (groupEpoch > cg.assignmentEpoch) {
    const assignorName = preferredAssignor(c, subscriptions);
    const previousTarget = (id: string) => cg.targets.get(id) ?? (id === memberId && replaced !== undefined ? cg.targets.get(replaced.memberId) : undefined) ?? new Map();
    const members: AssignorMember[] = [...subscriptions].map(([id, m]) => ({ memberId: id, subscribedTopicIds: subscribedTopicIds(m, metadata), previous: previousTarget(id) }));
    const assignment = ASSIGNORS.get(assignorName)!.assign(members, new Map(metadata.map((t) => [t.topicId, t.numPartitions])));
    for (const [id, tp] of assignment) {
      const prev = cg.targets.get(id);
      if (prev === undefined || !samePartitions(prev, tp)) rec({ type: 'cg-target-member', group: g.groupId, memberId: id, value: tp });
    }
    rec({ type: 'cg-target-epoch', group: g.groupId, value: { assignmentEpoch: groupEpoch } });
    targetEpoch = groupEpoch;
    target = assignment.get(memberId) ?? new Map();
  }
  let next = current;
  if (!isReconciledTo(current, targetEpoch)) {
    // Partitions this member itself held before rejoining are not held by anyone else.
    const own = old !== undefined && u.rejoining ? old.assignment : null;
    const heldByMe = (t: string, p: number) => own !== null && (own.assignedPartitions.get(t)?.includes(p) === true || own.partitionsPendingRevocation.get(t)?.includes(p) === true);
    next = reconcile({ current, targetEpoch, target, owned: u.owned, partitionEpoch: (t, p) => (heldByMe(t, p) ? -1 : cg.partitionEpoch(t, p)) });
  }
  const storedAssignment = replaced !== undefined ? current : old?.assignment;
  if (storedAssignment === undefined || (old !== undefined && u.rejoining) || !sameAssignment(next, storedAssignment))
    rec({ type: 'cg-current-assignment', group: g.groupId, memberId, value: next });
  return next;
}

async function leave(c: GroupCoordinator, g: ClassicGroup, a: ConsumerHeartbeatArgs): Promise<ConsumerHeartbeatResult> {
  const cg = g.consumer;
  if (cg === null) return failed(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${g.groupId} is not a consumer group.`);
  let member: ConsumerMember | undefined;
  if (a.instanceId === null) {
    member = cg.members.get(a.memberId);
    if (member === undefined) return unknownMember(a.memberId, g.groupId);
  } else {
    member = cg.staticMember(a.instanceId);
    if (member === undefined) return failed(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${a.instanceId} is unknown.`);
    if (member.memberId !== a.memberId) return failed(ErrorCode.FENCED_INSTANCE_ID, `Static member ${a.memberId} with instance id ${a.instanceId} was fenced by member ${member.memberId}.`);
  }
  let code: number;
  if (a.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    // A static member away for a while keeps its partitions until its session times out.
    const value = { ...member.assignment, memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH, partitionsPendingRevocation: new Map() };
    code = await c.write(g.partition, [{ type: 'consumer', key: { group: g.groupId }, value: { type: 'cg-current-assignment', group: g.groupId, memberId: member.memberId, value } }], 'group');
  } else {
    code = await fenceMember(c, g, member);
  }
  if (code !== ErrorCode.NONE) return failed(code);
  return { errorCode: ErrorCode.NONE, errorMessage: null, memberId: a.memberId, memberEpoch: a.memberEpoch, heartbeatIntervalMs: 0, assignment: null };
}

export function removalRecords(rec: (r: ConsumerGroupRecord) => void, group: string, memberId: string): void {
  // Kafka's order: current assignment, target assignment, then the member.
  rec({ type: 'cg-current-assignment', group, memberId, value: null });
  rec({ type: 'cg-target-member', group, memberId, value: null });
  rec({ type: 'cg-member', group, memberId, value: null });
}

/**
 * Removes a member: its records go, the subscription metadata is refreshed, the group epoch bumps;
 * or, when only classic members stay and the policy allows it, the group becomes a classic one.
 */
export async function fenceMember(c: GroupCoordinator, g: ClassicGroup, member: ConsumerMember): Promise<number> {
  const cg = g.consumer!;
  const records: CoordinatorRecord[] = [];
  const rec = (r: ConsumerGroupRecord) => records.push({ type: 'consumer', key: { group: g.groupId }, value: r });
  clearTimers(c, member);
  if (mayDowngrade(c, g, member.memberId)) {
    // The last consumer-protocol member goes: the classic members carry on as a classic group.
    for (const m of cg.members.values()) clearTimers(c, m);
    const code = await c.write(g.partition, downgradeRecords(c, g, member.memberId), 'group');
    if (code === ErrorCode.NONE) await afterDowngrade(c, g);
    else for (const m of cg.members.values()) if (m !== member) scheduleSessionTimeout(c, g, m);
    return code;
  }
  removalRecords(rec, g.groupId, member.memberId);
  const rest = [...cg.members.values()].filter((m) => m !== member).map((m) => m.metadata);
  const metadata = subscriptionMetadata(c, rest);
  if (!sameMetadataList(metadata, cg.subscriptionMetadata)) rec({ type: 'cg-partition-metadata', group: g.groupId, value: metadata });
  rec({ type: 'cg-epoch', group: g.groupId, value: { epoch: cg.groupEpoch + 1 } });
  return c.write(g.partition, records, 'group');
}

export function clearTimers(c: GroupCoordinator, m: ConsumerMember): void {
  if (m.sessionTimer !== null) c.clock.clearTimeout(m.sessionTimer);
  if (m.rebalanceTimer !== null) c.clock.clearTimeout(m.rebalanceTimer);
  if (m.classicTimer !== null) c.clock.clearTimeout(m.classicTimer);
  m.sessionTimer = m.rebalanceTimer = m.classicTimer = null;
}

/** What a static member taking over an instance id starts from: the old member's partitions, at epoch 0. */
export function inheritedAssignment(replaced: ConsumerMember): ConsumerMemberAssignment {
  return { ...replaced.assignment, memberEpoch: 0, previousMemberEpoch: 0, partitionsPendingRevocation: new Map() };
}

/**
 * A member that sends no heartbeat within its group's session timeout (consumer.session.timeout.ms;
 * a classic member's own, from its JoinGroup) is removed.
 */
export function scheduleSessionTimeout(c: GroupCoordinator, g: ClassicGroup, m: ConsumerMember): void {
  if (m.sessionTimer !== null) c.clock.clearTimeout(m.sessionTimer);
  m.sessionTimer = c.clock.setTimeout(() => {
    m.sessionTimer = null;
    if (c.isStopped) return;
    void c.run(g, async () => {
      if (g.consumer?.members.get(m.memberId) !== m) return;
      c.logger.info('consumer group member fenced: its session timed out', { groupId: g.groupId, memberId: m.memberId });
      await fenceMember(c, g, m);
    });
  }, m.metadata.classicMemberMetadata?.sessionTimeoutMs ?? c.consumerSessionTimeoutMs(g.groupId));
}

/** A member that does not give up revoked partitions within its rebalance timeout is removed. */
function scheduleRebalanceTimeout(c: GroupCoordinator, g: ClassicGroup, m: ConsumerMember): void {
  const epoch = m.assignment.memberEpoch;
  if (m.rebalanceTimer !== null && m.rebalanceTimerEpoch === epoch) return;
  if (m.rebalanceTimer !== null) c.clock.clearTimeout(m.rebalanceTimer);
  m.rebalanceTimerEpoch = epoch;
  m.rebalanceTimer = c.clock.setTimeout(() => {
    m.rebalanceTimer = null;
    if (c.isStopped) return;
    void c.run(g, async () => {
      if (g.consumer?.members.get(m.memberId) !== m || m.assignment.memberEpoch !== epoch) return;
      c.logger.info('consumer group member fenced: it did not revoke its partitions within its rebalance timeout', { groupId: g.groupId, memberId: m.memberId, epoch });
      await fenceMember(c, g, m);
    });
  }, Math.max(m.metadata.rebalanceTimeoutMs, 0));
}

/** Subscribed topics that exist, with their ids and partition counts, by name. */
export function subscriptionMetadata(c: GroupCoordinator, members: Iterable<ConsumerMemberMetadata>): SubscribedTopic[] {
  const names = new Set<string>();
  const regexes = new Set<string>();
  for (const m of members) {
    for (const t of m.subscribedTopicNames) names.add(t);
    if (m.subscribedTopicRegex !== null) regexes.add(m.subscribedTopicRegex);
  }
  const compiled = [...regexes].map(compileTopicRegex);
  const out: SubscribedTopic[] = [];
  for (const t of c.topicsView.all()) {
    if (names.has(t.name) || (!INTERNAL_TOPICS.has(t.name) && compiled.some((r) => r.test(t.name)))) out.push({ topicId: t.topicId, topicName: t.name, numPartitions: t.partitions });
  }
  return out.sort((x, y) => (x.topicName < y.topicName ? -1 : x.topicName > y.topicName ? 1 : 0));
}

function subscribedTopicIds(m: ConsumerMemberMetadata, metadata: SubscribedTopic[]): Set<string> {
  const regex = m.subscribedTopicRegex === null ? null : compileTopicRegex(m.subscribedTopicRegex);
  const names = new Set(m.subscribedTopicNames);
  return new Set(metadata.filter((t) => names.has(t.topicName) || (regex !== null && !INTERNAL_TOPICS.has(t.topicName) && regex.test(t.topicName))).map((t) => t.topicId));
}

function preferredAssignor(c: GroupCoordinator, subscriptions: Map<string, ConsumerMemberMetadata>): string {
  const votes = new Map<string, number>();
  for (const m of subscriptions.values()) if (m.serverAssignor !== null) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
  let best = c.config.consumer.assignors[0]!;
  let most = 0;
  for (const [name, n] of votes) if (n > most && ASSIGNORS.has(name)) [best, most] = [name, n];
  return best;
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && new Set(a).size === new Set([...a, ...b]).size;
const sameMetadata = (a: ConsumerMemberMetadata, b: ConsumerMemberMetadata) => JSON.stringify(a) === JSON.stringify(b);
const sameMetadataList = (a: SubscribedTopic[], b: SubscribedTopic[]) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The records that delete an empty consumer group (Kafka's createGroupTombstoneRecords): its
 * target assignment epoch, subscription metadata and group epoch.
 */
export function consumerGroupTombstones(groupId: string): CoordinatorRecord[] {
  const rec = (value: ConsumerGroupRecord): CoordinatorRecord => ({ type: 'consumer', key: { group: groupId }, value });
  return [
    rec({ type: 'cg-target-epoch', group: groupId, value: null }),
    rec({ type: 'cg-partition-metadata', group: groupId, value: null }),
    rec({ type: 'cg-epoch', group: groupId, value: null }),
  ];
}
