/**
 * `__share_group_state`: where share-partition states live durably (Kafka's share coordinator
 * topic). Each change of a share-partition writes its whole state as one ShareSnapshot record
 * keyed by group, topic id and partition; the broker answers the request that made the change
 * only after the write. At first use the topic is created (as Kafka does) and replayed whole,
 * keeping the latest snapshot per key; a tombstone (a deleted share-partition) removes its key.
 */
import { encodeRecordBatch, decodeRecordBatches } from '../../protocol/records/record-batch.js';
import { CONTROL_BIT } from '../../protocol/records/batch-header.js';
import type { Logger } from '../../util/logger.js';
import type { CoordinatorLog } from '../internal-topic.js';
import { groupPartition } from '../group/records.js';
import type { ShareConfig } from './config.js';
import { decodeShareRecord, decodeSnapshotKey, encodeSnapshotKey, encodeSnapshotValue, shareKeyText, ShareRecordError, type SharePartitionKey, type ShareSnapshotRecord } from './records.js';
import type { ShareSnapshot } from './share-partition.js';

export const SHARE_STATE_TOPIC = '__share_group_state';
/** Bytes read per step while replaying the topic. */
const LOAD_READ_BYTES = 1 << 20;

export class ShareStateStore {
  private loading: Promise<void> | null = null;
  private readonly latest = new Map<string, ShareSnapshotRecord>();
  private partitions = 0;
  /** True in a cluster: partitions are replayed one by one as the share coordinator is elected (replayPartition). */
  private served = false;

  constructor(
    private readonly log: CoordinatorLog,
    private readonly config: ShareConfig,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  /** Creates the topic if need be and replays it, once. */
  ready(): Promise<void> {
    this.loading ??= this.load().catch((err: unknown) => {
      this.loading = null;
      throw err;
    });
    return this.loading;
  }

  /** The latest stored state of a share-partition, or undefined when it has none. */
  read(key: SharePartitionKey): ShareSnapshotRecord | undefined {
    return this.latest.get(shareKeyText(key));
  }

  /** Every stored share-partition (for describe). */
  all(): ShareSnapshotRecord[] {
    return [...this.latest.values()];
  }

  /** Alone: after the whole topic is replayed (ready); in a cluster the share coordinator checks its partition is served. */
  async write(key: SharePartitionKey, s: ShareSnapshot, leaderEpoch: number): Promise<void> {
    if (!this.served) await this.ready();
    const text = shareKeyText(key);
    const prev = this.latest.get(text);
    const now = this.now();
    const rec: ShareSnapshotRecord = { ...s, key, snapshotEpoch: (prev?.snapshotEpoch ?? -1) + 1, leaderEpoch, createTimestamp: prev?.createTimestamp ?? now, writeTimestamp: now };
    const batch = await encodeRecordBatch([{ key: encodeSnapshotKey(key), value: encodeSnapshotValue(rec) }], { timestamp: now });
    await this.log.append(this.partitionOf(key), batch);
    this.latest.set(text, rec);
  }

  /**
   * Removes a share-partition's state (DeleteShareGroupOffsets, DeleteGroups): a tombstone, so
   * that replay and compaction forget it and the group starts again from share.auto.offset.reset.
   */
  async delete(key: SharePartitionKey): Promise<void> {
    if (!this.served) await this.ready();
    const text = shareKeyText(key);
    const batch = await encodeRecordBatch([{ key: encodeSnapshotKey(key), value: null }], { timestamp: this.now() });
    await this.log.append(this.partitionOf(key), batch);
    this.latest.delete(text);
  }

  private async load(): Promise<void> {
    // Alone the topic has one replica: its min.insync.replicas (a cluster's, see coordinator.ts) plays no part.
    if (this.log.partitionCount() === null) await this.log.create({ partitions: this.config.stateTopicPartitions, segmentBytes: this.config.stateTopicSegmentBytes });
    this.partitions = this.log.partitionCount() ?? this.config.stateTopicPartitions;
    for (let p = 0; p < this.partitions; p++) await this.replayPartition(p, () => false);
  }

  /** In a cluster: the topic's partition count, once the share coordinator serves partitions of it. */
  usePartitionCount(count: number): void {
    this.served = true;
    this.partitions = count;
  }

  /** The partition of `__share_group_state` that holds a share-partition's state (Kafka's hash of the key text). */
  partitionOf(key: SharePartitionKey): number {
    return groupPartition(shareKeyText(key), this.partitions);
  }

  /**
   * Replays one partition of the topic into memory, to its log end, stopping early once
   * `cancelled()` says so (the share coordinator's load of a partition it was elected to lead).
   */
  async replayPartition(p: number, cancelled: () => boolean): Promise<void> {
    const end = this.log.endOffset(p);
    let offset = this.log.logStartOffset(p);
    while (offset < end && !cancelled()) {
      const batches = await decodeRecordBatches(await this.log.read(p, offset, LOAD_READ_BYTES, end));
      if (batches.length === 0) break;
      for (const b of batches) {
        const next = b.baseOffset + b.lastOffsetDelta + 1;
        if (next <= offset) continue;
        offset = next;
        if ((b.attributes & CONTROL_BIT) === 0) for (const r of b.records) this.replay(p, r.key, r.value);
      }
    }
  }

  /** Forgets the share-partitions one partition of the topic holds (its leadership moved away). */
  dropPartition(p: number): void {
    for (const [text, rec] of this.latest) if (this.partitionOf(rec.key) === p) this.latest.delete(text);
  }

  private replay(p: number, key: Buffer | null, value: Buffer | null): void {
    try {
      const rec = decodeShareRecord(key, value);
      if (rec !== null) this.latest.set(shareKeyText(rec.key), rec);
      else if (value === null) {
        const gone = decodeSnapshotKey(key);
        if (gone !== null) this.latest.delete(shareKeyText(gone));
      }
    } catch (err) {
      if (!(err instanceof ShareRecordError)) throw err;
      this.logger.error(`skipping an unreadable ${SHARE_STATE_TOPIC} record`, { partition: p, err: err.message });
    }
  }
}
