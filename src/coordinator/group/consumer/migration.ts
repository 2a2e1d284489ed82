/**
 * Online migration of a group between the classic and the consumer protocol (KIP-848), as Kafka 4's
 * GroupMetadataManager does it, under `group.consumer.migration.policy`:
 *
 *   upgrade    a ConsumerGroupHeartbeat joining a classic group with members (every one of the
 *              `consumer` protocol type): the classic group's tombstone, then the consumer group's
 *              records built from it (each member at the generation's epoch, Stable, holding and
 *              targeted with its SyncGroup assignment); the heartbeat's own records follow.
 *   downgrade  the last consumer-protocol member is fenced (leaves, times out) from a group whose
 *              other members are all classic: the consumer group's tombstones, then a classic
 *              GroupMetadata record (generation = group epoch, each member's target assignment);
 *              the classic group then rebalances.
 *
 * Both write one batch; replaying it is the conversion, at runtime as at load.
 */
import { ErrorCode } from '../../../protocol/errors.js';
import type { GroupCoordinator } from '../coordinator.js';
import type { ClassicGroup } from '../group.js';
import { joinError, syncError } from '../member.js';
import type { CoordinatorRecord, GroupMetadataValue } from '../records.js';
import { clearHeartbeat, groupRecord, prepareRebalance, scheduleHeartbeat } from '../rebalance.js';
import { CONSUMER_PROTOCOL_TYPE, assignmentPartitions, encodeMemberAssignment, memberSubscription, protocolVersion, type NamedPartitions } from '../consumer-protocol.js';
import { ConsumerGroupState } from './group.js';
import { MemberState, type ConsumerGroupRecord, type TopicPartitions } from './records.js';

/** Kafka's validateOnlineUpgrade: the policy allows it, every member speaks `consumer`, the group fits. */
export function mayUpgrade(c: GroupCoordinator, g: ClassicGroup): boolean {
  const why = !c.config.consumer.migration.upgrade
    ? 'the online upgrade is disabled'
    : g.protocolType !== CONSUMER_PROTOCOL_TYPE || g.protocolName === null
      ? 'the group does not use the consumer embedded protocol'
      : g.size > c.config.consumer.maxSize
        ? 'the group size exceeds the consumer group maximum size'
        : null;
  if (why !== null) c.logger.info(`cannot upgrade classic group to consumer group because ${why}`, { groupId: g.groupId });
  return why === null;
}

/** topic name → topic id, for the topics that exist. */
function topicIds(c: GroupCoordinator): Map<string, string> {
  return new Map([...c.topicsView.all()].map((t) => [t.name, t.topicId]));
}

function byId(list: NamedPartitions[], ids: Map<string, string>): TopicPartitions {
  const out: TopicPartitions = new Map();
  for (const { topic, partitions } of list) {
    const id = ids.get(topic);
    if (id !== undefined && partitions.length > 0) out.set(id, [...new Set([...(out.get(id) ?? []), ...partitions])].sort((a, b) => a - b));
  }
  return out;
}

/**
 * Kafka's convertToConsumerGroup: the records that turn the classic group into a consumer group
 * (classic tombstone first), and that consumer group as they leave it, for the heartbeat to go on
 * from. Null when a member's subscription or assignment is not in the consumer protocol's format.
 */
export function upgradeRecords(c: GroupCoordinator, g: ClassicGroup): { records: CoordinatorRecord[]; cg: ConsumerGroupState } | null {
  const ids = topicIds(c);
  const epoch = g.generationId;
  const members: ConsumerGroupRecord[] = [];
  const targets: ConsumerGroupRecord[] = [];
  const current: ConsumerGroupRecord[] = [];
  const groupId = g.groupId;
  for (const m of g.members.values()) {
    const sub = memberSubscription(m.metadata(g.protocolName!));
    const assigned = assignmentPartitions(m.assignment);
    if (sub === null || assigned === null) {
      c.logger.warn('cannot upgrade the classic group: a member has a malformed consumer protocol subscription or assignment', { groupId, memberId: m.memberId });
      return null;
    }
    const partitions = byId(assigned, ids);
    members.push({
      type: 'cg-member', group: groupId, memberId: m.memberId,
      value: {
        instanceId: m.groupInstanceId, rackId: sub.rackId, clientId: m.clientId, clientHost: m.clientHost, subscribedTopicNames: sub.topics, subscribedTopicRegex: null,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs, serverAssignor: null,
        classicMemberMetadata: { sessionTimeoutMs: m.sessionTimeoutMs, supportedProtocols: m.protocols.map((p) => ({ name: p.name, metadata: p.metadata })) },
      },
    });
    targets.push({ type: 'cg-target-member', group: groupId, memberId: m.memberId, value: partitions });
    current.push({ type: 'cg-current-assignment', group: groupId, memberId: m.memberId, value: { memberEpoch: epoch, previousMemberEpoch: epoch, state: MemberState.STABLE, assignedPartitions: partitions, partitionsPendingRevocation: new Map() } });
  }
  // Kafka's createConsumerGroupRecords order: members, group epoch, targets, target epoch, current assignments.
  const consumerRecords: ConsumerGroupRecord[] = [
    ...members,
    { type: 'cg-epoch', group: groupId, value: { epoch } },
    ...targets,
    { type: 'cg-target-epoch', group: groupId, value: { assignmentEpoch: epoch } },
    ...current,
  ];
  const cg = new ConsumerGroupState();
  for (const r of consumerRecords) cg.apply(r);
  return { records: [groupRecord(g, null), ...consumerRecords.map((value): CoordinatorRecord => ({ type: 'consumer', key: { group: groupId }, value }))], cg };
}

/** Before the upgrade's write: members parked in a join or sync must rejoin, now through the consumer group. */
export function releaseClassicMembers(c: GroupCoordinator, g: ClassicGroup): void {
  for (const m of g.members.values()) {
    m.completeJoin(joinError(m.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    m.completeSync(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    clearHeartbeat(c, m);
  }
  for (const t of g.pendingMembers.values()) c.clock.clearTimeout(t);
  g.pendingMembers.clear();
  if (g.joinTimer !== null) c.clock.clearTimeout(g.joinTimer);
  if (g.syncTimer !== null) c.clock.clearTimeout(g.syncTimer);
  g.joinTimer = g.syncTimer = null;
}

/** Kafka's validateOnlineDowngradeWithFencedMember. */
export function mayDowngrade(c: GroupCoordinator, g: ClassicGroup, fencedMemberId: string): boolean {
  const cg = g.consumer!;
  for (const m of cg.members.values()) if (m.memberId !== fencedMemberId && m.metadata.classicMemberMetadata === null) return false;
  if (cg.members.size <= 1) return false;
  const why = !c.config.consumer.migration.downgrade
    ? 'the online downgrade is disabled'
    : cg.members.size - 1 > c.config.groupMaxSize
      ? 'its group size is greater than classic group max size'
      : null;
  if (why !== null) c.logger.info(`cannot downgrade consumer group to classic group because ${why}`, { groupId: g.groupId });
  return why === null;
}

/**
 * Kafka's convertToClassicGroup for a fenced member: every member's tombstones and the group's
 * (createGroupTombstoneRecords' order), then the classic group: generation = the group epoch, the
 * first member its leader, the protocol every member votes for, each member's target assignment
 * serialized at its subscription's version.
 */
export function downgradeRecords(c: GroupCoordinator, g: ClassicGroup, fencedMemberId: string): CoordinatorRecord[] {
  const cg = g.consumer!;
  const groupId = g.groupId;
  const ids = [...cg.members.keys()];
  const rec = (value: ConsumerGroupRecord): CoordinatorRecord => ({ type: 'consumer', key: { group: groupId }, value });
  const records: CoordinatorRecord[] = [
    ...ids.map((memberId) => rec({ type: 'cg-current-assignment', group: groupId, memberId, value: null })),
    ...ids.map((memberId) => rec({ type: 'cg-target-member', group: groupId, memberId, value: null })),
    rec({ type: 'cg-target-epoch', group: groupId, value: null }),
    ...ids.map((memberId) => rec({ type: 'cg-member', group: groupId, memberId, value: null })),
    rec({ type: 'cg-partition-metadata', group: groupId, value: null }),
    rec({ type: 'cg-epoch', group: groupId, value: null }),
  ];
  const names = new Map([...c.topicsView.all()].map((t) => [t.topicId, t.name]));
  const staying = [...cg.members.values()].filter((m) => m.memberId !== fencedMemberId);
  const protocol = selectProtocol(staying.map((m) => m.metadata.classicMemberMetadata!.supportedProtocols.map((p) => p.name)));
  const value: GroupMetadataValue = {
    protocolType: CONSUMER_PROTOCOL_TYPE,
    generation: cg.groupEpoch,
    protocol,
    leader: staying[0]!.memberId,
    currentStateTimestamp: c.clock.now(),
    members: staying.map((m) => {
      const classic = m.metadata.classicMemberMetadata!;
      const subscription = classic.supportedProtocols.find((p) => p.name === protocol)!.metadata;
      const target = [...(cg.targets.get(m.memberId) ?? new Map<string, number[]>())].filter(([id]) => names.has(id)).map(([id, partitions]) => ({ topic: names.get(id)!, partitions }));
      return {
        memberId: m.memberId, groupInstanceId: m.metadata.instanceId, clientId: m.metadata.clientId, clientHost: m.metadata.clientHost,
        rebalanceTimeout: m.metadata.rebalanceTimeoutMs, sessionTimeout: classic.sessionTimeoutMs, subscription,
        assignment: encodeMemberAssignment(target, protocolVersion(subscription)),
      };
    }),
  };
  records.push(groupRecord(g, value));
  return records;
}

/** After the downgrade's write: the classic members' sessions start and the group rebalances. */
export async function afterDowngrade(c: GroupCoordinator, g: ClassicGroup): Promise<void> {
  for (const m of g.members.values()) scheduleHeartbeat(c, g, m);
  c.logger.info('downgraded consumer group to classic group', { groupId: g.groupId, generation: g.generationId });
  if (g.canRebalance()) await prepareRebalance(c, g, `Downgrade group ${g.groupId} from consumer to classic.`);
}

/** Kafka's ClassicGroup.selectProtocol over each member's protocols in order of preference. */
function selectProtocol(members: string[][]): string {
  const candidates = members[0]!.filter((name) => members.every((ps) => ps.includes(name)));
  const votes = new Map<string, number>();
  for (const ps of members) {
    const v = ps.find((p) => candidates.includes(p))!;
    votes.set(v, (votes.get(v) ?? 0) + 1);
  }
  let best = candidates[0]!;
  for (const name of candidates) if ((votes.get(name) ?? 0) > (votes.get(best) ?? 0)) best = name;
  return best;
}
