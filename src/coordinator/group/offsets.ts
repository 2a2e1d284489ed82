/**
 * Committed offsets: OffsetCommit, OffsetFetch, OffsetDelete and the expiry of old offsets
 * (offsets.retention.minutes), as Kafka's GroupCoordinator and GroupMetadataManager do them.
 * Topic existence is the handler's check (Kafka's KafkaApis does it before the coordinator).
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { GroupCoordinator } from './coordinator.js';
import type { ClassicGroup } from './group.js';
import { CONSUMER_PROTOCOL_TYPE } from './consumer-protocol.js';
import { scheduleHeartbeat, groupRecord } from './rebalance.js';
import { NO_EXPIRE_TIMESTAMP, type CoordinatorRecord } from './records.js';
import { hasPendingOffset } from './txn-offsets.js';
import { consumerGroupTombstones } from './consumer/heartbeat.js';
import type { ConsumerGroupState } from './consumer/group.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** Offsets and timestamps are bigints: a client may commit any INT64 and gets it back exactly. */
export interface OffsetToCommit extends TopicPartition {
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
  /** OffsetCommit v1: the commit's own timestamp; -1 (and every other version): now. */
  commitTimestamp?: bigint;
}

export interface CommitArgs {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2–v4: a retention for these offsets; -1 for the broker's. */
  retentionTimeMs: bigint;
  offsets: OffsetToCommit[];
  /** The OffsetCommit version (a KIP-848 member must commit with v9+); absent: the newest. */
  apiVersion?: number;
}

/** OffsetFetch v9+: who asks (KIP-848 members are checked); null member id and epoch -1 for anyone. */
export interface FetchingMember {
  memberId: string | null;
  memberEpoch: number;
}

export interface FetchTopic {
  name: string;
  partitions: number[];
}

export interface FetchedPartition {
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  errorCode: number;
}

export interface FetchResult {
  errorCode: number;
  topics: Array<{ name: string; partitions: FetchedPartition[] }>;
}

/** What OffsetFetch answers for a partition without a committed offset. */
const NO_OFFSET = -1n;
/** OffsetCommit's "no retention of its own" and "no timestamp of its own". */
const DEFAULT_RETENTION_TIME = -1n;
const DEFAULT_TIMESTAMP = -1n;

/** Kafka computes with Java longs: a sum past the INT64 range wraps around. */
const int64 = (v: bigint): bigint => BigInt.asIntN(64, v);

/** One error per offset, in the order given. */
export async function commitOffsets(c: GroupCoordinator, a: CommitArgs): Promise<number[]> {
  const all = (code: number) => a.offsets.map(() => code);
  const error = c.groupError(a.groupId, 'any');
  if (error !== null) return all(error);
  let group = c.getGroup(a.groupId);
  if (group === undefined) {
    // A commit outside group management (generation -1) creates the group; any other is stale
    // (Kafka 4: GROUP_ID_NOT_FOUND from OffsetCommit v9 on, for both protocols).
    if (a.generationId >= 0) return all((a.apiVersion ?? 0) >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION);
    group = c.getOrCreateGroup(a.groupId);
  }
  const g = group;
  return c.run(g, async () => {
    const invalid = validateOffsetCommit(g, a);
    if (invalid !== null) return all(invalid);
    // A commit is a sign of life: it counts as a heartbeat.
    if (g.has(a.memberId) && (g.is('Stable') || g.is('PreparingRebalance'))) scheduleHeartbeat(c, g, g.get(a.memberId));
    const now = BigInt(c.clock.now());
    // As Kafka: now + retention in a long, so a retention near 2^63 wraps to a timestamp in the
    // past and the offset expires at the next retention check.
    const expireTimestamp = a.retentionTimeMs === DEFAULT_RETENTION_TIME ? NO_EXPIRE_TIMESTAMP : int64(now + a.retentionTimeMs);
    const codes = a.offsets.map((o) => ((o.metadata?.length ?? 0) > c.config.offsetMetadataMaxBytes ? ErrorCode.OFFSET_METADATA_TOO_LARGE : ErrorCode.NONE));
    const records: CoordinatorRecord[] = [];
    a.offsets.forEach((o, i) => {
      if (codes[i] !== ErrorCode.NONE) return;
      records.push({
        type: 'offset',
        key: { group: g.groupId, topic: o.topic, partition: o.partition },
        value: {
          offset: o.offset,
          leaderEpoch: o.leaderEpoch,
          metadata: o.metadata ?? '',
          commitTimestamp: o.commitTimestamp === undefined || o.commitTimestamp === DEFAULT_TIMESTAMP ? now : o.commitTimestamp,
          expireTimestamp,
        },
      });
    });
    if (records.length === 0) return codes;
    const written = await c.write(g.partition, records, 'offsets');
    return codes.map((x) => (x === ErrorCode.NONE ? written : x));
  });
}

/** Kafka 4's ClassicGroup.validateOffsetCommit (ConsumerGroup's for a KIP-848 group). */
function validateOffsetCommit(g: ClassicGroup, a: CommitArgs): number | null {
  if (g.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (g.consumer !== null) return validateConsumerOffsetCommit(g.consumer, a);
  // Generation -1 comes from an admin or a consumer without group management: fine while nobody is in the group.
  if (a.generationId < 0 && g.is('Empty')) return null;
  if (a.generationId >= 0 || a.memberId !== '' || a.groupInstanceId !== null) {
    if (g.isStaticMemberFenced(a.groupInstanceId, a.memberId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (!g.has(a.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (a.generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
  } else {
    return ErrorCode.UNKNOWN_MEMBER_ID;
  }
  // The member has its new generation but not yet its assignment: it must not commit for the old one.
  if (g.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
  return null;
}

/**
 * Kafka 4's ConsumerGroup.validateOffsetCommit: the member and its current epoch. A transactional
 * commit (TxnOffsetCommit) may use any version and gets ILLEGAL_GENERATION for a stale epoch.
 */
export function validateConsumerOffsetCommit(cg: ConsumerGroupState, a: Pick<CommitArgs, 'generationId' | 'memberId' | 'apiVersion'>, transactional = false): number | null {
  // Epoch -1 comes from an admin or a consumer without group management: fine while nobody is in the group.
  if (a.generationId < 0 && cg.members.size === 0) return null;
  const m = cg.members.get(a.memberId);
  if (m === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
  // A classic member (JoinGroup) commits with any version, its member epoch as the generation.
  const classic = m.metadata.classicMemberMetadata !== null;
  if (!transactional && !classic && (a.apiVersion ?? 9) < 9) return ErrorCode.UNSUPPORTED_VERSION;
  if (a.generationId === m.assignment.memberEpoch) return null;
  return transactional || classic ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.STALE_MEMBER_EPOCH;
}

/** Kafka 4's ConsumerGroup.validateOffsetFetch. */
function validateConsumerOffsetFetch(cg: ConsumerGroupState, member: FetchingMember | null): number | null {
  if (member === null || (member.memberId === null && member.memberEpoch < 0)) return null;
  const m = member.memberId === null ? undefined : cg.members.get(member.memberId);
  if (m === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (member.memberEpoch === m.assignment.memberEpoch) return null;
  return m.metadata.classicMemberMetadata !== null ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.STALE_MEMBER_EPOCH;
}

/**
 * Offsets of the given partitions (-1 where none), or of every partition when `topics` is null.
 * With `requireStable`, a partition with a transactional commit pending is UNSTABLE_OFFSET_COMMIT.
 */
export function fetchOffsets(c: GroupCoordinator, groupId: string, topics: FetchTopic[] | null, requireStable = false, member: FetchingMember | null = null): FetchResult {
  const error = c.groupError(groupId, 'any');
  if (error !== null) return { errorCode: error, topics: [] };
  const g = c.getGroup(groupId);
  const stale = g?.consumer == null ? null : validateConsumerOffsetFetch(g.consumer, member);
  if (stale !== null) return { errorCode: stale, topics: [] };
  const entry = (partition: number, topic: string): FetchedPartition => {
    if (requireStable && g !== undefined && hasPendingOffset(g, topic, partition))
      return { partition, offset: NO_OFFSET, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
    const o = g?.offset(topic, partition);
    if (o === undefined) return { partition, offset: NO_OFFSET, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
    return { partition, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE };
  };
  if (topics !== null) return { errorCode: ErrorCode.NONE, topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => entry(p, t.name)) })) };
  const out: FetchResult = { errorCode: ErrorCode.NONE, topics: [] };
  for (const [name, byPartition] of g?.offsets ?? []) out.topics.push({ name, partitions: [...byPartition.keys()].sort((x, y) => x - y).map((p) => entry(p, name)) });
  return out;
}

/** OffsetDelete: a group error, or one error per partition in the order given. */
export async function deleteOffsets(c: GroupCoordinator, groupId: string, partitions: TopicPartition[]): Promise<{ errorCode: number; errors: number[] }> {
  const error = c.groupError(groupId, 'non-empty');
  if (error !== null) return { errorCode: error, errors: [] };
  const g = c.getGroup(groupId);
  if (g === undefined) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errors: [] };
  return c.run(g, async () => {
    if (g.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errors: [] };
    let errors: number[];
    if (g.is('Empty')) errors = partitions.map(() => ErrorCode.NONE);
    else if (g.protocolType === CONSUMER_PROTOCOL_TYPE)
      errors = partitions.map((p) => (g.isSubscribedToTopic(p.topic) ? ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC : ErrorCode.NONE));
    else return { errorCode: ErrorCode.NON_EMPTY_GROUP, errors: [] };
    const eligible = partitions.filter((_, i) => errors[i] === ErrorCode.NONE);
    if (eligible.length === 0) return { errorCode: ErrorCode.NONE, errors };
    const written = await removeOffsets(c, g, eligible.filter((p) => g.offset(p.topic, p.partition) !== undefined));
    return { errorCode: ErrorCode.NONE, errors: errors.map((x) => (x === ErrorCode.NONE ? written : x)) };
  });
}

/**
 * Writes tombstones for `removed` offsets, and for the group itself when it is Empty and no
 * offsets would be left (Kafka's cleanupGroupMetadata). Resolves NONE when nothing needs writing.
 */
export async function removeOffsets(c: GroupCoordinator, g: ClassicGroup, removed: TopicPartition[]): Promise<number> {
  const records: CoordinatorRecord[] = removed.map((p) => ({ type: 'offset', key: { group: g.groupId, topic: p.topic, partition: p.partition }, value: null }));
  // A KIP-848 group goes only when it has no members; its own tombstones come first (see consumerGroupTombstones).
  const emptied = g.numOffsets() === removed.length;
  if (g.consumer !== null) {
    if (emptied && g.consumer.members.size === 0) records.push(...consumerGroupTombstones(g.groupId), groupRecord(g, null));
  } else if (g.is('Empty') && emptied) records.push(groupRecord(g, null));
  if (records.length === 0) return ErrorCode.NONE;
  return c.write(g.partition, records, 'offsets');
}

/** Kafka's onPartitionsDeleted: a deleted topic's offsets are deleted from every group. */
export async function deleteTopicOffsets(c: GroupCoordinator, topic: string): Promise<void> {
  for (const g of [...c.readyGroups()]) {
    if (!g.offsets.has(topic)) continue;
    await c.run(g, async () => {
      const byPartition = g.offsets.get(topic);
      if (byPartition === undefined || g.is('Dead')) return;
      await removeOffsets(c, g, [...byPartition.keys()].map((partition) => ({ topic, partition })));
    });
  }
}

/** The offsets.retention.check.interval.ms task: expire old offsets and forget empty groups. */
export async function expireOffsets(c: GroupCoordinator): Promise<void> {
  const groups = [...c.readyGroups()];
  let expired = 0;
  for (const g of groups) {
    if (c.isStopped) return;
    expired += await c.run(g, async () => {
      if (g.is('Dead')) return 0;
      const removed = expiredOffsets(g, c.clock.now(), c.config.offsetsRetentionMs);
      await removeOffsets(c, g, removed);
      return removed.length;
    });
  }
  if (expired > 0) c.logger.info('expired committed offsets', { offsets: expired });
}

/** Kafka's GroupMetadata.removeExpiredOffsets rules, returning what is due. */
export function expiredOffsets(g: ClassicGroup, nowMs: number, retentionMs: number): TopicPartition[] {
  let base: ((commitTimestamp: bigint) => bigint) | null = null;
  let exempt: Set<string> | null = null;
  if (g.consumer !== null) {
    // Kafka's consumer groups: offsets age from their commit, except those of subscribed topics.
    base = (commit) => commit;
    exempt = new Set(g.consumer.subscriptionMetadata.map((t) => t.topicName));
  } else if (g.protocolType !== null && g.is('Empty')) {
    // Nobody is in the group: offsets live on for the retention after it became empty.
    const since = g.currentStateTimestampMs;
    base = (commit) => (since === null ? commit : BigInt(since));
  } else if (g.protocolType === CONSUMER_PROTOCOL_TYPE && g.subscribedTopics !== null && g.is('Stable')) {
    // A stable consumer group keeps the topics it reads; offsets of others age from their commit.
    base = (commit) => commit;
    exempt = g.subscribedTopics;
  } else if (g.protocolType === null) {
    // Offsets committed outside group management age from their commit.
    base = (commit) => commit;
  }
  const out: TopicPartition[] = [];
  if (base === null) return out;
  const now = BigInt(nowMs);
  const retention = BigInt(retentionMs);
  for (const [topic, byPartition] of g.offsets) {
    if (exempt?.has(topic)) continue;
    for (const [partition, o] of byPartition) {
      const due = o.expireTimestamp !== NO_EXPIRE_TIMESTAMP ? now >= o.expireTimestamp : int64(now - base(o.commitTimestamp)) >= retention;
      if (due) out.push({ topic, partition });
    }
  }
  return out;
}
