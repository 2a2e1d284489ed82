/**
 * The records of `__share_group_state`, in the layout of Kafka's share coordinator: a key
 * (record type, then group id, topic id, partition) and a flexible value (compact strings and
 * arrays, tagged-field sections). Samsa writes only ShareSnapshot records (type 0), each the whole
 * state of one share-partition, so compaction keeps just the latest per key; Kafka also writes
 * ShareUpdate deltas (type 1), which this decoder skips.
 */
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';
import type { ShareSnapshot, StateBatch } from './share-partition.js';

export const SHARE_SNAPSHOT_RECORD = 0;
export const SHARE_UPDATE_RECORD = 1;
const VALUE_VERSION = 0;
/** Bytes a state batch takes at least (two int64, int8, int16, empty tags). */
const STATE_BATCH_BYTES_MIN = 20;

export interface SharePartitionKey {
  groupId: string;
  topicId: string;
  partition: number;
}

export interface ShareSnapshotRecord extends ShareSnapshot {
  key: SharePartitionKey;
  snapshotEpoch: number;
  leaderEpoch: number;
  createTimestamp: number;
  writeTimestamp: number;
}

export class ShareRecordError extends Error {
  override readonly name = 'ShareRecordError';
}

export function shareKeyText(k: SharePartitionKey): string {
  return `${k.groupId}:${k.topicId}:${k.partition}`;
}

export function encodeSnapshotKey(k: SharePartitionKey): Buffer {
  return new Writer().int16(SHARE_SNAPSHOT_RECORD).compactString(k.groupId).uuid(k.topicId).int32(k.partition).uvarint(0).toBuffer();
}

export function encodeSnapshotValue(r: ShareSnapshotRecord): Buffer {
  const w = new Writer().int16(VALUE_VERSION).int32(r.snapshotEpoch).int32(r.stateEpoch).int32(r.leaderEpoch).int64(r.startOffset).int64(r.createTimestamp).int64(r.writeTimestamp);
  w.uvarint(r.stateBatches.length + 1);
  for (const b of r.stateBatches) w.int64(b.firstOffset).int64(b.lastOffset).int8(b.deliveryState).int16(b.deliveryCount).uvarint(0);
  return w.uvarint(0).toBuffer();
}

function skipTags(r: Reader): void {
  const n = r.uvarint();
  for (let i = 0; i < n && r.error === null; i++) {
    r.uvarint();
    r.raw(r.uvarint());
  }
}

/** The share-partition a ShareSnapshot key names, or null for another record type (ShareUpdate). */
export function decodeSnapshotKey(key: Buffer | null): SharePartitionKey | null {
  if (key === null) throw new ShareRecordError('a __share_group_state record without a key');
  const kr = new Reader(key);
  const type = kr.int16();
  if (type !== SHARE_SNAPSHOT_RECORD) return null;
  const k: SharePartitionKey = { groupId: kr.compactString(), topicId: kr.uuid(), partition: kr.int32() };
  if (kr.error !== null) throw new ShareRecordError(`unreadable ShareSnapshot key: ${kr.error}`);
  return k;
}

/** A ShareSnapshot record, or null for another record type (ShareUpdate) or a tombstone. */
export function decodeShareRecord(key: Buffer | null, value: Buffer | null): ShareSnapshotRecord | null {
  const k = decodeSnapshotKey(key);
  if (k === null || value === null) return null;
  const r = new Reader(value);
  const version = r.int16();
  if (version !== VALUE_VERSION) throw new ShareRecordError(`ShareSnapshot value version ${version} is not known`);
  const snapshotEpoch = r.int32();
  const stateEpoch = r.int32();
  const leaderEpoch = r.int32();
  const startOffset = r.int64();
  const createTimestamp = r.int64();
  const writeTimestamp = r.int64();
  const n = r.arrayLength(r.uvarint() - 1, STATE_BATCH_BYTES_MIN);
  const stateBatches: StateBatch[] = [];
  for (let i = 0; i < n && r.error === null; i++) {
    stateBatches.push({ firstOffset: r.int64(), lastOffset: r.int64(), deliveryState: r.int8(), deliveryCount: r.int16() });
    skipTags(r);
  }
  skipTags(r);
  if (r.error !== null) throw new ShareRecordError(`unreadable ShareSnapshot value: ${r.error}`);
  return { key: k, snapshotEpoch, stateEpoch, leaderEpoch, startOffset, createTimestamp, writeTimestamp, stateBatches };
}
