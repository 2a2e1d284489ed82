/**
 * The records of `__consumer_offsets`, byte for byte as Kafka writes them, so that a data dir
 * moves between Samsa and Kafka and Kafka's tools read it. Each record's key and value start with
 * an INT16 version; the key version says what the record is:
 *
 *   key v0, v1  OffsetCommitKey    group, topic, partition
 *   key v2      GroupMetadataKey   group
 *   key v3–v8   KIP-848 consumer group records (consumer/records.ts)
 *   key v10–v15 KIP-932 share group records (share/group-records.ts)
 *
 * A null value is a tombstone: the key's offset or group is deleted. Values are written at the
 * versions Kafka writes today (OffsetCommitValue v3, or v1 when the commit carries an explicit
 * retention; GroupMetadataValue v3) and read at every version Kafka has used, 0–4; a newer value
 * version is read as v4 (KIP-915: later versions only add tagged fields).
 */
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';
import { codecFor, VERSION_MAX, type MessageSchema } from '../../protocol/schema.js';
import { CoordinatorRecordError } from './record-schema.js';
import { decodeConsumerGroupRecord, encodeConsumerGroupRecord, isConsumerGroupKeyVersion, type ConsumerGroupRecord } from './consumer/records.js';
import { decodeShareGroupRecord, encodeShareGroupRecord, isShareGroupKeyVersion, type ShareGroupRecord } from '../share/group-records.js';

export const OFFSET_COMMIT_KEY_VERSION = 1;
export const LEGACY_OFFSET_COMMIT_KEY_VERSION = 0;
export const GROUP_METADATA_KEY_VERSION = 2;
/** The value versions written; v1 is only for commits with an explicit expire timestamp. */
export const OFFSET_COMMIT_VALUE_VERSION = 3;
export const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY = 1;
export const GROUP_METADATA_VALUE_VERSION = 3;
/** The expire timestamp of a commit without a retention of its own. */
export const NO_EXPIRE_TIMESTAMP = -1n;
/** Highest value version whose layout is known; newer ones are read with it (KIP-915). */
const VALUE_VERSION_KNOWN_MAX = 4;

export interface OffsetCommitKey {
  group: string;
  topic: string;
  partition: number;
}

/** Offsets and timestamps are bigints: a client may commit any INT64 and gets it back exactly. */
export interface OffsetCommitValue {
  offset: bigint;
  /** -1 when unknown. */
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: bigint;
  /** -1 unless the commit asked for its own retention (OffsetCommit v2–v4). */
  expireTimestamp: bigint;
}

export interface GroupMetadataKey {
  group: string;
}

export interface GroupMemberRecord {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeout: number;
  sessionTimeout: number;
  /** The member's metadata for the group's selected protocol. */
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  /** -1 when the record predates v2. */
  currentStateTimestamp: number;
  members: GroupMemberRecord[];
}

export type CoordinatorRecord =
  | { type: 'offset'; key: OffsetCommitKey; value: OffsetCommitValue | null }
  | { type: 'group'; key: GroupMetadataKey; value: GroupMetadataValue | null }
  /** KIP-848 consumer group records (key versions 3–8, consumer/records.ts). */
  | { type: 'consumer'; key: GroupMetadataKey; value: ConsumerGroupRecord }
  /** KIP-932 share group records (key versions 10–15, share/group-records.ts). */
  | { type: 'share'; key: GroupMetadataKey; value: ShareGroupRecord };

/** A record as it goes into a batch: key and value bytes, value null for a tombstone. */
export interface EncodedRecord {
  key: Buffer;
  value: Buffer | null;
}

export { CoordinatorRecordError };

const OffsetCommitKeySchema: MessageSchema = {
  name: 'OffsetCommitKey',
  apiKey: OFFSET_COMMIT_KEY_VERSION,
  validVersions: [0, 1],
  flexible: null,
  fields: [
    { name: 'group', type: 'string', versions: [0, VERSION_MAX] },
    { name: 'topic', type: 'string', versions: [0, VERSION_MAX] },
    { name: 'partition', type: 'int32', versions: [0, VERSION_MAX] },
  ],
};

const GroupMetadataKeySchema: MessageSchema = {
  name: 'GroupMetadataKey',
  apiKey: GROUP_METADATA_KEY_VERSION,
  validVersions: [2, 2],
  flexible: null,
  fields: [{ name: 'group', type: 'string', versions: [0, VERSION_MAX] }],
};

const OffsetCommitValueSchema: MessageSchema = {
  name: 'OffsetCommitValue',
  apiKey: OFFSET_COMMIT_KEY_VERSION,
  validVersions: [0, VALUE_VERSION_KNOWN_MAX],
  flexible: [4, VERSION_MAX],
  fields: [
    { name: 'offset', type: 'int64', versions: [0, VERSION_MAX], exact: true },
    { name: 'leaderEpoch', type: 'int32', versions: [3, VERSION_MAX], default: -1 },
    { name: 'metadata', type: 'string', versions: [0, VERSION_MAX] },
    { name: 'commitTimestamp', type: 'int64', versions: [0, VERSION_MAX], exact: true },
    { name: 'expireTimestamp', type: 'int64', versions: [1, 1], exact: true, default: -1 },
  ],
};

const GroupMetadataValueSchema: MessageSchema = {
  name: 'GroupMetadataValue',
  apiKey: GROUP_METADATA_KEY_VERSION,
  validVersions: [0, VALUE_VERSION_KNOWN_MAX],
  flexible: [4, VERSION_MAX],
  fields: [
    { name: 'protocolType', type: 'string', versions: [0, VERSION_MAX] },
    { name: 'generation', type: 'int32', versions: [0, VERSION_MAX] },
    { name: 'protocol', type: 'string', versions: [0, VERSION_MAX], nullable: [0, VERSION_MAX] },
    { name: 'leader', type: 'string', versions: [0, VERSION_MAX], nullable: [0, VERSION_MAX] },
    { name: 'currentStateTimestamp', type: 'int64', versions: [2, VERSION_MAX], default: -1 },
    { name: 'members', type: '[]struct', versions: [0, VERSION_MAX], fields: [
      { name: 'memberId', type: 'string', versions: [0, VERSION_MAX] },
      { name: 'groupInstanceId', type: 'string', versions: [3, VERSION_MAX], nullable: [3, VERSION_MAX], default: null },
      { name: 'clientId', type: 'string', versions: [0, VERSION_MAX] },
      { name: 'clientHost', type: 'string', versions: [0, VERSION_MAX] },
      // v0 has no rebalance timeout; Kafka reads it as the session timeout (see decode).
      { name: 'rebalanceTimeout', type: 'int32', versions: [1, VERSION_MAX], default: -1 },
      { name: 'sessionTimeout', type: 'int32', versions: [0, VERSION_MAX] },
      { name: 'subscription', type: 'bytes', versions: [0, VERSION_MAX] },
      { name: 'assignment', type: 'bytes', versions: [0, VERSION_MAX] },
    ] },
  ],
};

function encode(schema: MessageSchema, version: number, value: object): Buffer {
  const w = new Writer(64);
  w.int16(version);
  codecFor<object>(schema, version).encode(w, value);
  return w.toBuffer();
}

function decodeBody<T>(schema: MessageSchema, version: number, r: Reader, what: string): T {
  const v = codecFor<T>(schema, version).decode(r);
  if (r.error !== null) throw new CoordinatorRecordError(`${what} v${version} does not decode: ${r.error}`);
  return v;
}

export function encodeOffsetCommitKey(key: OffsetCommitKey): Buffer {
  return encode(OffsetCommitKeySchema, OFFSET_COMMIT_KEY_VERSION, key);
}

export function encodeGroupMetadataKey(key: GroupMetadataKey): Buffer {
  return encode(GroupMetadataKeySchema, GROUP_METADATA_KEY_VERSION, key);
}

/**
 * Encodes at v3, or at v1 when the commit has an expire timestamp (v3 has no field for it): any
 * value but -1, as Kafka reads it (a retention that overflowed the commit time is negative).
 */
export function encodeOffsetCommitValue(value: OffsetCommitValue, version?: number): Buffer {
  const v = version ?? (value.expireTimestamp !== NO_EXPIRE_TIMESTAMP ? OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY : OFFSET_COMMIT_VALUE_VERSION);
  return encode(OffsetCommitValueSchema, v, value);
}

export function encodeGroupMetadataValue(value: GroupMetadataValue, version = GROUP_METADATA_VALUE_VERSION): Buffer {
  return encode(GroupMetadataValueSchema, version, value);
}

export function encodeRecord(record: CoordinatorRecord): EncodedRecord {
  if (record.type === 'consumer') return encodeConsumerGroupRecord(record.value);
  if (record.type === 'share') return encodeShareGroupRecord(record.value);
  if (record.type === 'offset') {
    return { key: encodeOffsetCommitKey(record.key), value: record.value === null ? null : encodeOffsetCommitValue(record.value) };
  }
  return { key: encodeGroupMetadataKey(record.key), value: record.value === null ? null : encodeGroupMetadataValue(record.value) };
}

/**
 * Decodes one record of `__consumer_offsets`. Returns null for a key version this coordinator
 * does not know (Kafka skips those too: e.g. Kafka 4.0's ShareGroupPartitionMetadata, streams groups); throws
 * CoordinatorRecordError for bytes that do not decode.
 */
export function decodeRecord(key: Buffer | null, value: Buffer | null): CoordinatorRecord | null {
  if (key === null || key.length < 2) throw new CoordinatorRecordError('a __consumer_offsets record has no key');
  const r = new Reader(key);
  const keyVersion = r.int16();
  if (keyVersion === LEGACY_OFFSET_COMMIT_KEY_VERSION || keyVersion === OFFSET_COMMIT_KEY_VERSION) {
    const k = decodeBody<OffsetCommitKey>(OffsetCommitKeySchema, keyVersion, r, 'OffsetCommitKey');
    return { type: 'offset', key: k, value: value === null ? null : decodeOffsetCommitValue(value) };
  }
  if (keyVersion === GROUP_METADATA_KEY_VERSION) {
    const k = decodeBody<GroupMetadataKey>(GroupMetadataKeySchema, keyVersion, r, 'GroupMetadataKey');
    return { type: 'group', key: k, value: value === null ? null : decodeGroupMetadataValue(value) };
  }
  if (isConsumerGroupKeyVersion(keyVersion)) {
    const rec = decodeConsumerGroupRecord(keyVersion, r, value);
    return { type: 'consumer', key: { group: rec.group }, value: rec };
  }
  if (isShareGroupKeyVersion(keyVersion)) {
    const rec = decodeShareGroupRecord(keyVersion, r, value);
    return { type: 'share', key: { group: rec.group }, value: rec };
  }
  return null;
}

function valueVersion(r: Reader, what: string): number {
  const version = r.int16();
  if (r.error !== null || version < 0) throw new CoordinatorRecordError(`${what} has no valid version`);
  return Math.min(version, VALUE_VERSION_KNOWN_MAX);
}

export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue {
  const r = new Reader(buf);
  const version = valueVersion(r, 'OffsetCommitValue');
  const v = decodeBody<OffsetCommitValue>(OffsetCommitValueSchema, version, r, 'OffsetCommitValue');
  return { offset: v.offset, leaderEpoch: v.leaderEpoch, metadata: v.metadata, commitTimestamp: v.commitTimestamp, expireTimestamp: v.expireTimestamp };
}

export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  const r = new Reader(buf);
  const version = valueVersion(r, 'GroupMetadataValue');
  const v = decodeBody<GroupMetadataValue>(GroupMetadataValueSchema, version, r, 'GroupMetadataValue');
  return {
    protocolType: v.protocolType,
    generation: v.generation,
    protocol: v.protocol,
    leader: v.leader,
    currentStateTimestamp: v.currentStateTimestamp,
    members: v.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeout: version === 0 ? m.sessionTimeout : m.rebalanceTimeout,
      sessionTimeout: m.sessionTimeout,
      subscription: Buffer.from(m.subscription),
      assignment: Buffer.from(m.assignment),
    })),
  };
}

/** Java's `String.hashCode`: s[0]·31^(n−1) + … + s[n−1] over UTF-16 code units, in 32-bit ints. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * The `__consumer_offsets` partition that holds a group: Kafka's
 * `Utils.abs(groupId.hashCode()) % partitions`, where `Utils.abs(Integer.MIN_VALUE)` is 0.
 */
export function groupPartition(groupId: string, partitions: number): number {
  const h = javaStringHashCode(groupId);
  const abs = h === -2147483648 ? 0 : Math.abs(h);
  return abs % partitions;
}
