/**
 * The parts of the consumer protocol (protocol type "consumer") the coordinator reads and writes:
 * the topics in a member's subscription (Kafka uses them to keep offsets of subscribed topics from
 * expiring and to refuse OffsetDelete on them), and, for a group changing protocol online, a
 * classic member's owned partitions and rack, and its assignment both ways.
 *
 * ConsumerProtocolSubscription: INT16 version, topics (INT32 count of INT16-length strings),
 * user data (nullable bytes); v1+ owned partitions; v2+ generation id; v3+ rack id.
 * ConsumerProtocolAssignment: INT16 version, partitions (topic, INT32 partitions); user data.
 * Versions only append fields, so a newer version is read as far as its known fields go.
 */
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export interface NamedPartitions {
  topic: string;
  partitions: number[];
}

export interface MemberSubscription {
  version: number;
  topics: string[];
  ownedPartitions: NamedPartitions[];
  rackId: string | null;
}

/** The subscribed topics, or null when the bytes are not a consumer subscription. */
export function subscriptionTopics(metadata: Buffer): string[] | null {
  return memberSubscription(metadata)?.topics ?? null;
}

/** The whole subscription, or null when the bytes are not a consumer subscription. */
export function memberSubscription(metadata: Buffer): MemberSubscription | null {
  const r = new Reader(metadata);
  const version = r.int16();
  if (version < 0) return null;
  const count = r.arrayLength(r.int32(), 2);
  const topics: string[] = [];
  for (let i = 0; i < count; i++) topics.push(r.string());
  if (r.error !== null) return null;
  // What follows the topics is optional to the coordinator: an old member may stop early.
  let ownedPartitions: NamedPartitions[] = [];
  let rackId: string | null = null;
  if (r.remaining > 0) r.nullableBytes();
  if (version >= 1 && r.remaining > 0) ownedPartitions = partitionsOf(r);
  if (version >= 2 && r.remaining > 0) r.int32();
  if (version >= 3 && r.remaining > 0) rackId = r.nullableString();
  if (r.error !== null) return { version, topics, ownedPartitions: [], rackId: null };
  return { version, topics, ownedPartitions, rackId };
}

/** A classic member's assignment as the partitions it names; an empty buffer is an empty one; null when malformed. */
export function assignmentPartitions(bytes: Buffer): NamedPartitions[] | null {
  if (bytes.length === 0) return [];
  const r = new Reader(bytes);
  if (r.int16() < 0) return null;
  const out = partitionsOf(r);
  return r.error === null ? out : null;
}

/** ConsumerProtocolAssignment at `version` (the member's subscription version, as Kafka answers), without user data. */
export function encodeMemberAssignment(partitions: readonly NamedPartitions[], version: number): Buffer {
  const w = new Writer(64);
  w.int16(Math.max(version, 0));
  w.int32(partitions.length);
  for (const { topic, partitions: ps } of partitions) {
    w.string(topic);
    w.int32(ps.length);
    for (const p of ps) w.int32(p);
  }
  w.nullableBytes(null);
  return w.toBuffer();
}

/** The version a consumer protocol blob starts with (0 when too short). */
export function protocolVersion(metadata: Buffer): number {
  return metadata.length >= 2 ? metadata.readInt16BE(0) : 0;
}

function partitionsOf(r: Reader): NamedPartitions[] {
  const out: NamedPartitions[] = [];
  const n = r.arrayLength(r.int32(), 6);
  for (let i = 0; i < n && r.error === null; i++) {
    const topic = r.string();
    const m = r.arrayLength(r.int32(), 4);
    const partitions: number[] = [];
    for (let j = 0; j < m; j++) partitions.push(r.int32());
    out.push({ topic, partitions });
  }
  return out;
}
