/**
 * The KIP-848 consumer group records of `__consumer_offsets`, as Kafka 4.0 writes them. The key's
 * INT16 version says what a record is (the value is at v0, flexible):
 *
 *   key v3  ConsumerGroupMetadata                   group            → group epoch
 *   key v4  ConsumerGroupPartitionMetadata          group            → the subscribed topics' partition counts
 *   key v5  ConsumerGroupMemberMetadata             group, member    → the member's subscription (and a classic member's protocols)
 *   key v6  ConsumerGroupTargetAssignmentMetadata   group            → the target assignment's epoch
 *   key v7  ConsumerGroupTargetAssignmentMember     group, member    → the member's target partitions
 *   key v8  ConsumerGroupCurrentMemberAssignment    group, member    → epochs, state, owned and revoking partitions
 *
 * A null value is a tombstone. Kafka writes a member's departure as the tombstones of v8, v7, v5 in
 * that order, and a group's deletion as v6, v4, v3.
 */
import type { Reader } from '../../../protocol/reader.js';
import { VERSION_MAX, type MessageSchema } from '../../../protocol/schema.js';
import { TOPIC_PARTITIONS, decodeBody, encodeWith, fromWire, keySchema, toWire, valueReader, valueSchema, type TopicPartitions, type Wire } from '../record-schema.js';

export const CONSUMER_GROUP_METADATA_KEY_VERSION = 3;
export const CONSUMER_GROUP_PARTITION_METADATA_KEY_VERSION = 4;
export const CONSUMER_GROUP_MEMBER_METADATA_KEY_VERSION = 5;
export const CONSUMER_GROUP_TARGET_ASSIGNMENT_METADATA_KEY_VERSION = 6;
export const CONSUMER_GROUP_TARGET_ASSIGNMENT_MEMBER_KEY_VERSION = 7;
export const CONSUMER_GROUP_CURRENT_MEMBER_ASSIGNMENT_KEY_VERSION = 8;
/** Every value above is written at v0; newer versions only add tagged fields (KIP-915). */
const VALUE_VERSION = 0;

export type { TopicPartitions };

export interface SubscribedTopic {
  topicId: string;
  topicName: string;
  numPartitions: number;
}

export interface ConsumerMemberMetadata {
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  rebalanceTimeoutMs: number;
  serverAssignor: string | null;
  /** Set for a member that speaks the classic protocol (JoinGroup/SyncGroup/Heartbeat) in a consumer group. */
  classicMemberMetadata: ClassicMemberMetadata | null;
}

/** ConsumerGroupMemberMetadataValue's tagged ClassicMemberMetadata (tag 0): what a classic member joined with. */
export interface ClassicMemberMetadata {
  sessionTimeoutMs: number;
  supportedProtocols: Array<{ name: string; metadata: Buffer }>;
}

/** MemberState of Kafka's modern groups, by its stored byte. */
export const MemberState = { STABLE: 0, UNREVOKED_PARTITIONS: 1, UNRELEASED_PARTITIONS: 2, UNKNOWN: 127 } as const;

export interface ConsumerMemberAssignment {
  memberEpoch: number;
  previousMemberEpoch: number;
  state: number;
  assignedPartitions: TopicPartitions;
  partitionsPendingRevocation: TopicPartitions;
}

export type ConsumerGroupRecord =
  | { type: 'cg-epoch'; group: string; value: { epoch: number } | null }
  | { type: 'cg-partition-metadata'; group: string; value: SubscribedTopic[] | null }
  | { type: 'cg-member'; group: string; memberId: string; value: ConsumerMemberMetadata | null }
  | { type: 'cg-target-epoch'; group: string; value: { assignmentEpoch: number } | null }
  | { type: 'cg-target-member'; group: string; memberId: string; value: TopicPartitions | null }
  | { type: 'cg-current-assignment'; group: string; memberId: string; value: ConsumerMemberAssignment | null };

const V = [0, VERSION_MAX] as const;
const MetadataValue = valueSchema('ConsumerGroupMetadataValue', [{ name: 'epoch', type: 'int32', versions: V }]);
const PartitionMetadataValue = valueSchema('ConsumerGroupPartitionMetadataValue', [
  { name: 'topics', type: '[]struct', versions: V, fields: [
    { name: 'topicId', type: 'uuid', versions: V },
    { name: 'topicName', type: 'string', versions: V },
    { name: 'numPartitions', type: 'int32', versions: V },
    { name: 'partitionMetadata', type: '[]struct', versions: V, fields: [
      { name: 'partition', type: 'int32', versions: V },
      { name: 'racks', type: '[]string', versions: V },
    ] },
  ] },
]);
const MemberMetadataValue = valueSchema('ConsumerGroupMemberMetadataValue', [
  { name: 'instanceId', type: 'string', versions: V, nullable: V },
  { name: 'rackId', type: 'string', versions: V, nullable: V },
  { name: 'clientId', type: 'string', versions: V },
  { name: 'clientHost', type: 'string', versions: V },
  { name: 'subscribedTopicNames', type: '[]string', versions: V },
  { name: 'subscribedTopicRegex', type: 'string', versions: V, nullable: V },
  { name: 'rebalanceTimeoutMs', type: 'int32', versions: V, default: -1 },
  { name: 'serverAssignor', type: 'string', versions: V, nullable: V },
  { name: 'classicMemberMetadata', type: 'struct', versions: V, nullable: V, tagged: V, tag: 0, default: null, fields: [
    { name: 'sessionTimeoutMs', type: 'int32', versions: V },
    { name: 'supportedProtocols', type: '[]struct', versions: V, fields: [
      { name: 'name', type: 'string', versions: V },
      { name: 'metadata', type: 'bytes', versions: V },
    ] },
  ] },
]);
const TargetMetadataValue = valueSchema('ConsumerGroupTargetAssignmentMetadataValue', [{ name: 'assignmentEpoch', type: 'int32', versions: V }]);
const TargetMemberValue = valueSchema('ConsumerGroupTargetAssignmentMemberValue', [
  { name: 'topicPartitions', type: '[]struct', versions: V, fields: TOPIC_PARTITIONS },
]);
const CurrentAssignmentValue = valueSchema('ConsumerGroupCurrentMemberAssignmentValue', [
  { name: 'memberEpoch', type: 'int32', versions: V },
  { name: 'previousMemberEpoch', type: 'int32', versions: V },
  { name: 'state', type: 'int8', versions: V },
  { name: 'assignedPartitions', type: '[]struct', versions: V, fields: TOPIC_PARTITIONS },
  { name: 'partitionsPendingRevocation', type: '[]struct', versions: V, fields: TOPIC_PARTITIONS },
]);

const KEYS = new Map<number, MessageSchema>([
  [CONSUMER_GROUP_METADATA_KEY_VERSION, keySchema(3, false)],
  [CONSUMER_GROUP_PARTITION_METADATA_KEY_VERSION, keySchema(4, false)],
  [CONSUMER_GROUP_MEMBER_METADATA_KEY_VERSION, keySchema(5, true)],
  [CONSUMER_GROUP_TARGET_ASSIGNMENT_METADATA_KEY_VERSION, keySchema(6, false)],
  [CONSUMER_GROUP_TARGET_ASSIGNMENT_MEMBER_KEY_VERSION, keySchema(7, true)],
  [CONSUMER_GROUP_CURRENT_MEMBER_ASSIGNMENT_KEY_VERSION, keySchema(8, true)],
]);

export const isConsumerGroupKeyVersion = (v: number): boolean => KEYS.has(v);

export function encodeConsumerGroupRecord(r: ConsumerGroupRecord): { key: Buffer; value: Buffer | null } {
  const keyVersion = KEY_VERSION_OF[r.type];
  const key = encodeWith(KEYS.get(keyVersion)!, keyVersion, { groupId: r.group, memberId: 'memberId' in r ? r.memberId : '' });
  if (r.value === null) return { key, value: null };
  const enc = (s: MessageSchema, v: object) => encodeWith(s, VALUE_VERSION, v);
  switch (r.type) {
    case 'cg-epoch':
      return { key, value: enc(MetadataValue, r.value) };
    case 'cg-partition-metadata':
      return { key, value: enc(PartitionMetadataValue, { topics: r.value.map((t) => ({ ...t, partitionMetadata: [] })) }) };
    case 'cg-member':
      return { key, value: enc(MemberMetadataValue, r.value) };
    case 'cg-target-epoch':
      return { key, value: enc(TargetMetadataValue, r.value) };
    case 'cg-target-member':
      return { key, value: enc(TargetMemberValue, { topicPartitions: toWire(r.value) }) };
    case 'cg-current-assignment':
      return {
        key,
        value: enc(CurrentAssignmentValue, { ...r.value, assignedPartitions: toWire(r.value.assignedPartitions), partitionsPendingRevocation: toWire(r.value.partitionsPendingRevocation) }),
      };
  }
}

const KEY_VERSION_OF: Record<ConsumerGroupRecord['type'], number> = {
  'cg-epoch': CONSUMER_GROUP_METADATA_KEY_VERSION,
  'cg-partition-metadata': CONSUMER_GROUP_PARTITION_METADATA_KEY_VERSION,
  'cg-member': CONSUMER_GROUP_MEMBER_METADATA_KEY_VERSION,
  'cg-target-epoch': CONSUMER_GROUP_TARGET_ASSIGNMENT_METADATA_KEY_VERSION,
  'cg-target-member': CONSUMER_GROUP_TARGET_ASSIGNMENT_MEMBER_KEY_VERSION,
  'cg-current-assignment': CONSUMER_GROUP_CURRENT_MEMBER_ASSIGNMENT_KEY_VERSION,
};

/** Decodes a record whose key (after its INT16 version, already read into `keyVersion`) is a consumer group key. */
export function decodeConsumerGroupRecord(keyVersion: number, keyReader: Reader, value: Buffer | null): ConsumerGroupRecord {
  const k = decodeBody<{ groupId: string; memberId: string }>(KEYS.get(keyVersion)!, keyVersion, keyReader);
  const { vr, vv } = valueReader(value, `consumer group record (key v${keyVersion})`);
  const dec = <T>(s: MessageSchema): T => decodeBody<T>(s, vv, vr!);
  const group = k.groupId;
  switch (keyVersion) {
    case CONSUMER_GROUP_METADATA_KEY_VERSION:
      return { type: 'cg-epoch', group, value: vr === null ? null : { epoch: dec<{ epoch: number }>(MetadataValue).epoch } };
    case CONSUMER_GROUP_PARTITION_METADATA_KEY_VERSION:
      return {
        type: 'cg-partition-metadata',
        group,
        value: vr === null ? null : dec<{ topics: SubscribedTopic[] }>(PartitionMetadataValue).topics.map((t) => ({ topicId: t.topicId, topicName: t.topicName, numPartitions: t.numPartitions })),
      };
    case CONSUMER_GROUP_MEMBER_METADATA_KEY_VERSION: {
      const m = vr === null ? null : dec<ConsumerMemberMetadata>(MemberMetadataValue);
      return {
        type: 'cg-member', group, memberId: k.memberId,
        value: m === null ? null : {
          instanceId: m.instanceId, rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost, subscribedTopicNames: m.subscribedTopicNames, subscribedTopicRegex: m.subscribedTopicRegex, rebalanceTimeoutMs: m.rebalanceTimeoutMs, serverAssignor: m.serverAssignor,
          classicMemberMetadata: m.classicMemberMetadata == null ? null : { sessionTimeoutMs: m.classicMemberMetadata.sessionTimeoutMs, supportedProtocols: m.classicMemberMetadata.supportedProtocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })) },
        },
      };
    }
    case CONSUMER_GROUP_TARGET_ASSIGNMENT_METADATA_KEY_VERSION:
      return { type: 'cg-target-epoch', group, value: vr === null ? null : { assignmentEpoch: dec<{ assignmentEpoch: number }>(TargetMetadataValue).assignmentEpoch } };
    case CONSUMER_GROUP_TARGET_ASSIGNMENT_MEMBER_KEY_VERSION:
      return { type: 'cg-target-member', group, memberId: k.memberId, value: vr === null ? null : fromWire(dec<{ topicPartitions: Wire[] }>(TargetMemberValue).topicPartitions) };
    default: {
      const a = vr === null ? null : dec<{ memberEpoch: number; previousMemberEpoch: number; state: number; assignedPartitions: Wire[]; partitionsPendingRevocation: Wire[] }>(CurrentAssignmentValue);
      return {
        type: 'cg-current-assignment', group, memberId: k.memberId,
        value: a === null ? null : { memberEpoch: a.memberEpoch, previousMemberEpoch: a.previousMemberEpoch, state: a.state, assignedPartitions: fromWire(a.assignedPartitions), partitionsPendingRevocation: fromWire(a.partitionsPendingRevocation) },
      };
    }
  }
}
