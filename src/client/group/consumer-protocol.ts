/**
 * Kafka's ConsumerProtocol: the bytes consumers put in JoinGroup metadata (a Subscription) and
 * that the leader puts in SyncGroup (an Assignment). Every Kafka consumer — Java, librdkafka,
 * KafkaJS — reads and writes this layout, so members of one group understand each other.
 *
 *   Subscription v0–v3: version int16, topics [string], userData nullable bytes,
 *     v1+ ownedPartitions [topic string, partitions [int32]], v2+ generationId int32,
 *     v3+ rackId nullable string.
 *   Assignment v0–v3: version int16, partitions [topic string, partitions [int32]],
 *     userData nullable bytes.
 *
 * Neither is a flexible version: plain INT16-length strings and INT32-length arrays. A version
 * newer than ours is read as our newest, as Java does: fields are only ever appended.
 */
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';
import { ProtocolError } from '../errors.js';

export const SUBSCRIPTION_VERSION_MAX = 3;
export const ASSIGNMENT_VERSION_MAX = 3;
/** A Subscription written by a consumer that is in no generation (Kafka's default). */
export const NO_GENERATION = -1;

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface Subscription {
  topics: string[];
  userData: Buffer | null;
  /** v1+: what the member holds now (cooperative rebalancing). */
  ownedPartitions: TopicPartitions[];
  /** v2+: the generation in which the member got `ownedPartitions`; -1 when none. */
  generationId: number;
  /** v3+ */
  rackId: string | null;
}

export interface Assignment {
  partitions: TopicPartitions[];
  userData: Buffer | null;
}

export function encodeSubscription(s: Subscription, version = SUBSCRIPTION_VERSION_MAX): Buffer {
  const w = new Writer(256);
  w.int16(version);
  w.int32(s.topics.length);
  for (const t of s.topics) w.string(t);
  w.nullableBytes(s.userData);
  if (version >= 1) writeTopicPartitions(w, s.ownedPartitions);
  if (version >= 2) w.int32(s.generationId);
  if (version >= 3) w.nullableString(s.rackId);
  return w.toBuffer();
}

export function decodeSubscription(bytes: Buffer): Subscription & { version: number } {
  const r = new Reader(bytes);
  const version = r.int16();
  const topics: string[] = [];
  const n = r.arrayLength(r.int32(), 2);
  for (let i = 0; i < n; i++) topics.push(r.string());
  const userData = copyOrNull(r.nullableBytes());
  // A Java consumer reads a newer version than it knows as its newest; so do we.
  const v = Math.min(version, SUBSCRIPTION_VERSION_MAX);
  // An old member may stop after the v0 fields even when it claims a newer version.
  const ownedPartitions = v >= 1 && r.remaining > 0 ? readTopicPartitions(r) : [];
  const generationId = v >= 2 && r.remaining > 0 ? r.int32() : NO_GENERATION;
  const rackId = v >= 3 && r.remaining > 0 ? r.nullableString() : null;
  if (version < 0) r.fail(`negative version ${version}`);
  if (r.error !== null) throw new ProtocolError(`A group member sent a subscription that is not in Kafka's consumer format: ${r.error}`);
  return { version, topics, userData, ownedPartitions, generationId, rackId };
}

export function encodeAssignment(a: Assignment, version = 0): Buffer {
  const w = new Writer(256);
  w.int16(version);
  writeTopicPartitions(w, a.partitions);
  w.nullableBytes(a.userData);
  return w.toBuffer();
}

/** An empty buffer is an empty assignment: brokers send one to members the leader left out. */
export function decodeAssignment(bytes: Buffer): Assignment & { version: number } {
  if (bytes.length === 0) return { version: 0, partitions: [], userData: null };
  const r = new Reader(bytes);
  const version = r.int16();
  const partitions = readTopicPartitions(r);
  const userData = r.remaining > 0 ? copyOrNull(r.nullableBytes()) : null;
  if (version < 0) r.fail(`negative version ${version}`);
  if (r.error !== null) throw new ProtocolError(`The group leader sent an assignment that is not in Kafka's consumer format: ${r.error}`);
  return { version, partitions, userData };
}

function writeTopicPartitions(w: Writer, list: TopicPartitions[]): void {
  w.int32(list.length);
  for (const tp of list) {
    w.string(tp.topic);
    w.int32(tp.partitions.length);
    for (const p of tp.partitions) w.int32(p);
  }
}

function readTopicPartitions(r: Reader): TopicPartitions[] {
  const out: TopicPartitions[] = [];
  const n = r.arrayLength(r.int32(), 6);
  for (let i = 0; i < n; i++) {
    const topic = r.string();
    const partitions: number[] = [];
    const m = r.arrayLength(r.int32(), 4);
    for (let j = 0; j < m; j++) partitions.push(r.int32());
    out.push({ topic, partitions });
  }
  return out;
}

/** User data outlives the response frame it came in, so it gets its own memory. */
function copyOrNull(b: Buffer | null): Buffer | null {
  return b === null ? null : Buffer.from(b);
}
