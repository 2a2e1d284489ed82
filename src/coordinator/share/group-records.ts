/**
 * The share group records of `__consumer_offsets` (KIP-932), byte for byte as Kafka 4.1+ writes
 * them. The key's INT16 version says what a record is; every value is at v0, flexible:
 *
 *   key v10  ShareGroupMemberMetadata            group, member  → rack, client id and host, subscribed topics
 *   key v11  ShareGroupMetadata                  group          → group epoch, metadata hash
 *   key v12  ShareGroupTargetAssignmentMetadata  group          → the target assignment's epoch
 *   key v13  ShareGroupTargetAssignmentMember    group, member  → the member's target partitions
 *   key v14  ShareGroupCurrentMemberAssignment   group, member  → epochs, state, assigned partitions
 *   key v15  ShareGroupStatePartitionMetadata    group          → share-partitions initializing, initialized, being deleted
 *
 * (Key v9, ShareGroupPartitionMetadata, was Kafka 4.0's and is no longer written: a load skips it.)
 * A null value is a tombstone. A member's departure is the tombstones of v14, v13, v10; a
 * group's deletion those of v14 and v13 per member, v12, v10 per member, v11, then v15.
 */
import type { Reader } from '../../protocol/reader.js';
import { VERSION_MAX, type FieldSchema, type MessageSchema } from '../../protocol/schema.js';
import { TOPIC_PARTITIONS, decodeBody, encodeWith, fromWire, keySchema as consumerKeySchema, toWire, valueReader, valueSchema, type Wire } from '../group/record-schema.js';

export const SHARE_GROUP_MEMBER_METADATA_KEY_VERSION = 10;
export const SHARE_GROUP_METADATA_KEY_VERSION = 11;
export const SHARE_GROUP_TARGET_ASSIGNMENT_METADATA_KEY_VERSION = 12;
export const SHARE_GROUP_TARGET_ASSIGNMENT_MEMBER_KEY_VERSION = 13;
export const SHARE_GROUP_CURRENT_MEMBER_ASSIGNMENT_KEY_VERSION = 14;
export const SHARE_GROUP_STATE_PARTITION_METADATA_KEY_VERSION = 15;
/** Every value is written at v0; newer versions only add tagged fields (KIP-915). */
const VALUE_VERSION = 0;
/** MemberState.STABLE: share members have no revocation step, so they are always stable. */
export const SHARE_MEMBER_STATE_STABLE = 0;

/** topic id → partitions. */
export type ShareTopicPartitions = Map<string, number[]>;

export interface ShareMemberMetadata {
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
}

export interface ShareMemberAssignment {
  memberEpoch: number;
  previousMemberEpoch: number;
  state: number;
  assignedPartitions: ShareTopicPartitions;
}

export interface ShareTopicPartitionsInfo {
  topicId: string;
  topicName: string;
  partitions: number[];
  createTimestamp: number;
}

export interface ShareStatePartitionMetadata {
  initializingTopics: ShareTopicPartitionsInfo[];
  initializedTopics: ShareTopicPartitionsInfo[];
  deletingTopics: Array<{ topicId: string; topicName: string }>;
}

export type ShareGroupRecord =
  | { type: 'sg-member'; group: string; memberId: string; value: ShareMemberMetadata | null }
  | { type: 'sg-epoch'; group: string; value: { epoch: number; metadataHash: number } | null }
  | { type: 'sg-target-epoch'; group: string; value: { assignmentEpoch: number } | null }
  | { type: 'sg-target-member'; group: string; memberId: string; value: ShareTopicPartitions | null }
  | { type: 'sg-current-assignment'; group: string; memberId: string; value: ShareMemberAssignment | null }
  | { type: 'sg-state-partitions'; group: string; value: ShareStatePartitionMetadata | null };

const V = [0, VERSION_MAX] as const;
const keySchema = (version: number, withMember: boolean) => consumerKeySchema(version, withMember, 'ShareGroupKey');
const TOPIC_PARTITIONS_INFO: FieldSchema[] = [
  { name: 'topicId', type: 'uuid', versions: V },
  { name: 'topicName', type: 'string', versions: V },
  { name: 'partitions', type: '[]int32', versions: V },
  { name: 'createTimestamp', type: 'int64', versions: V },
];

const MemberMetadataValue = valueSchema('ShareGroupMemberMetadataValue', [
  { name: 'rackId', type: 'string', versions: V, nullable: V },
  { name: 'clientId', type: 'string', versions: V },
  { name: 'clientHost', type: 'string', versions: V },
  { name: 'subscribedTopicNames', type: '[]string', versions: V },
]);
const MetadataValue = valueSchema('ShareGroupMetadataValue', [
  { name: 'epoch', type: 'int32', versions: V },
  { name: 'metadataHash', type: 'int64', versions: V },
]);
const TargetMetadataValue = valueSchema('ShareGroupTargetAssignmentMetadataValue', [{ name: 'assignmentEpoch', type: 'int32', versions: V }]);
const TargetMemberValue = valueSchema('ShareGroupTargetAssignmentMemberValue', [
  { name: 'topicPartitions', type: '[]struct', versions: V, fields: TOPIC_PARTITIONS },
]);
const CurrentAssignmentValue = valueSchema('ShareGroupCurrentMemberAssignmentValue', [
  { name: 'memberEpoch', type: 'int32', versions: V },
  { name: 'previousMemberEpoch', type: 'int32', versions: V },
  { name: 'state', type: 'int8', versions: V },
  { name: 'assignedPartitions', type: '[]struct', versions: V, fields: TOPIC_PARTITIONS },
]);
const StatePartitionMetadataValue = valueSchema('ShareGroupStatePartitionMetadataValue', [
  { name: 'initializingTopics', type: '[]struct', versions: V, fields: TOPIC_PARTITIONS_INFO },
  { name: 'initializedTopics', type: '[]struct', versions: V, fields: TOPIC_PARTITIONS_INFO },
  { name: 'deletingTopics', type: '[]struct', versions: V, fields: [
    { name: 'topicId', type: 'uuid', versions: V },
    { name: 'topicName', type: 'string', versions: V },
  ] },
]);

const KEY_VERSION_OF: Record<ShareGroupRecord['type'], number> = {
  'sg-member': SHARE_GROUP_MEMBER_METADATA_KEY_VERSION,
  'sg-epoch': SHARE_GROUP_METADATA_KEY_VERSION,
  'sg-target-epoch': SHARE_GROUP_TARGET_ASSIGNMENT_METADATA_KEY_VERSION,
  'sg-target-member': SHARE_GROUP_TARGET_ASSIGNMENT_MEMBER_KEY_VERSION,
  'sg-current-assignment': SHARE_GROUP_CURRENT_MEMBER_ASSIGNMENT_KEY_VERSION,
  'sg-state-partitions': SHARE_GROUP_STATE_PARTITION_METADATA_KEY_VERSION,
};
const WITH_MEMBER = new Set([SHARE_GROUP_MEMBER_METADATA_KEY_VERSION, SHARE_GROUP_TARGET_ASSIGNMENT_MEMBER_KEY_VERSION, SHARE_GROUP_CURRENT_MEMBER_ASSIGNMENT_KEY_VERSION]);
const KEYS = new Map<number, MessageSchema>(Object.values(KEY_VERSION_OF).map((v) => [v, keySchema(v, WITH_MEMBER.has(v))]));

export const isShareGroupKeyVersion = (v: number): boolean => KEYS.has(v);

export function encodeShareGroupRecord(r: ShareGroupRecord): { key: Buffer; value: Buffer | null } {
  const keyVersion = KEY_VERSION_OF[r.type];
  const key = encodeWith(KEYS.get(keyVersion)!, keyVersion, { groupId: r.group, memberId: 'memberId' in r ? r.memberId : '' });
  if (r.value === null) return { key, value: null };
  const enc = (s: MessageSchema, v: object) => encodeWith(s, VALUE_VERSION, v);
  switch (r.type) {
    case 'sg-member':
      return { key, value: enc(MemberMetadataValue, r.value) };
    case 'sg-epoch':
      return { key, value: enc(MetadataValue, r.value) };
    case 'sg-target-epoch':
      return { key, value: enc(TargetMetadataValue, r.value) };
    case 'sg-target-member':
      return { key, value: enc(TargetMemberValue, { topicPartitions: toWire(r.value) }) };
    case 'sg-current-assignment':
      return { key, value: enc(CurrentAssignmentValue, { ...r.value, assignedPartitions: toWire(r.value.assignedPartitions) }) };
    case 'sg-state-partitions':
      return { key, value: enc(StatePartitionMetadataValue, r.value) };
  }
}

const infoOf = (t: ShareTopicPartitionsInfo): ShareTopicPartitionsInfo => ({ topicId: t.topicId, topicName: t.topicName, partitions: [...t.partitions], createTimestamp: t.createTimestamp });

/** Decodes a record whose key (after its INT16 version, already read into `keyVersion`) is a share group key. */
export function decodeShareGroupRecord(keyVersion: number, keyReader: Reader, value: Buffer | null): ShareGroupRecord {
  const k = decodeBody<{ groupId: string; memberId: string }>(KEYS.get(keyVersion)!, keyVersion, keyReader);
  const { vr, vv } = valueReader(value, `share group record (key v${keyVersion})`);
  const dec = <T>(s: MessageSchema): T => decodeBody<T>(s, vv, vr!);
  const group = k.groupId;
  const memberId = k.memberId;
  switch (keyVersion) {
    case SHARE_GROUP_MEMBER_METADATA_KEY_VERSION: {
      const m = vr === null ? null : dec<ShareMemberMetadata>(MemberMetadataValue);
      return { type: 'sg-member', group, memberId, value: m === null ? null : { rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost, subscribedTopicNames: [...m.subscribedTopicNames] } };
    }
    case SHARE_GROUP_METADATA_KEY_VERSION: {
      const m = vr === null ? null : dec<{ epoch: number; metadataHash: number }>(MetadataValue);
      return { type: 'sg-epoch', group, value: m === null ? null : { epoch: m.epoch, metadataHash: m.metadataHash } };
    }
    case SHARE_GROUP_TARGET_ASSIGNMENT_METADATA_KEY_VERSION:
      return { type: 'sg-target-epoch', group, value: vr === null ? null : { assignmentEpoch: dec<{ assignmentEpoch: number }>(TargetMetadataValue).assignmentEpoch } };
    case SHARE_GROUP_TARGET_ASSIGNMENT_MEMBER_KEY_VERSION:
      return { type: 'sg-target-member', group, memberId, value: vr === null ? null : fromWire(dec<{ topicPartitions: Wire[] }>(TargetMemberValue).topicPartitions) };
    case SHARE_GROUP_CURRENT_MEMBER_ASSIGNMENT_KEY_VERSION: {
      const a = vr === null ? null : dec<{ memberEpoch: number; previousMemberEpoch: number; state: number; assignedPartitions: Wire[] }>(CurrentAssignmentValue);
      return {
        type: 'sg-current-assignment', group, memberId,
        value: a === null ? null : { memberEpoch: a.memberEpoch, previousMemberEpoch: a.previousMemberEpoch, state: a.state, assignedPartitions: fromWire(a.assignedPartitions) },
      };
    }
    default: {
      const s = vr === null ? null : dec<ShareStatePartitionMetadata>(StatePartitionMetadataValue);
      return {
        type: 'sg-state-partitions', group,
        value: s === null ? null : { initializingTopics: s.initializingTopics.map(infoOf), initializedTopics: s.initializedTopics.map(infoOf), deletingTopics: s.deletingTopics.map((t) => ({ topicId: t.topicId, topicName: t.topicName })) },
      };
    }
  }
}
