/**
 * What the modern group records of `__consumer_offsets` (KIP-848 consumer groups, KIP-932 share
 * groups) have in common: an INT16 key version then the group id (and member id), values at a
 * flexible version, topic-partition lists by topic id; and the error for bytes that do not decode.
 */
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';
import { codecFor, VERSION_MAX, type FieldSchema, type MessageSchema } from '../../protocol/schema.js';

export class CoordinatorRecordError extends Error {
  override name = 'CoordinatorRecordError';
}

/** topic id → partitions. */
export type TopicPartitions = Map<string, number[]>;

const V = [0, VERSION_MAX] as const;
/** A modern group record's key schema (also the share group records'): the group id, and a member id for per-member records. */
export const keySchema = (version: number, withMember: boolean, prefix = 'ConsumerGroupKey'): MessageSchema => ({
  name: `${prefix}${version}`,
  apiKey: version,
  validVersions: [version, version],
  flexible: null,
  fields: [
    { name: 'groupId', type: 'string', versions: V },
    ...(withMember ? [{ name: 'memberId', type: 'string', versions: V } as FieldSchema] : []),
  ],
});
export const valueSchema = (name: string, fields: FieldSchema[]): MessageSchema => ({ name, apiKey: 0, validVersions: [0, VERSION_MAX], flexible: [0, VERSION_MAX], fields });
export const TOPIC_PARTITIONS: FieldSchema[] = [
  { name: 'topicId', type: 'uuid', versions: V },
  { name: 'partitions', type: '[]int32', versions: V },
];

export type Wire = { topicId: string; partitions: number[] };
export const toWire = (tp: TopicPartitions): Wire[] => [...tp].map(([topicId, partitions]) => ({ topicId, partitions: [...partitions].sort((a, b) => a - b) }));
export const fromWire = (list: Wire[]): TopicPartitions => new Map(list.map((t) => [t.topicId, [...t.partitions]]));

export function encodeWith(schema: MessageSchema, version: number, value: object): Buffer {
  const w = new Writer(64);
  w.int16(version);
  codecFor<object>(schema, version).encode(w, value);
  return w.toBuffer();
}

/** A record value's reader past its INT16 version (null for a tombstone). */
export function valueReader(value: Buffer | null, what: string): { vr: Reader | null; vv: number } {
  if (value === null) return { vr: null, vv: 0 };
  const vr = new Reader(value);
  const vv = vr.int16();
  if (vr.error !== null || vv < 0) throw new CoordinatorRecordError(`${what} has no valid value version`);
  return { vr, vv };
}

export function decodeBody<T>(schema: MessageSchema, version: number, r: Reader): T {
  const v = codecFor<T>(schema, version).decode(r);
  if (r.error !== null) throw new CoordinatorRecordError(`${schema.name} v${version} does not decode: ${r.error}`);
  return v;
}
