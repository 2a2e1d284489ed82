/**
 * A coordinator's log: the partitions of a compacted internal topic (`__consumer_offsets`,
 * `__transaction_state`) hosted by this broker. Both coordinators write records and replay them
 * through this one interface, so their state machines also run over memory in unit tests.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { TopicManager } from '../cluster/topics.js';
import type { ReplicaManager } from '../cluster/replica-manager.js';
import type { PartitionLog } from '../storage/partition-log.js';
import { nextSequence } from '../storage/producer-state.js';

export interface InternalTopicSpec {
  partitions: number;
  segmentBytes: number;
  /** Topic configs beyond compaction, segment size and compression (min.insync.replicas for __transaction_state). */
  configs?: Record<string, string>;
}

export interface CoordinatorLog {
  /** The topic's partition count, or null while it does not exist (or is still being created). */
  partitionCount(): number | null;
  /** Creates the topic unless it exists; resolves once its partitions can be written. */
  create(spec: InternalTopicSpec): Promise<void>;
  /** Appends one record batch; resolves once it is written (and flushed, per the log's policy). */
  append(partition: number, batch: Buffer): Promise<void>;
  logStartOffset(partition: number): number;
  /**
   * The offset after the last record to replay: alone, the high watermark; in a cluster, the
   * leader's log end (a new leader's high watermark may trail what its log holds, all of which
   * is the partition's now).
   */
  endOffset(partition: number): number;
  /** Whole batches from the one holding `offset`, below `maxOffset`, at least one if any. */
  read(partition: number, offset: number, maxBytes: number, maxOffset: number): Promise<Buffer>;
  /**
   * The sequence a coordinator's next batch for a producer must carry on this partition (the log
   * checks producers' sequences); 0 when the log knows no batch of that producer and epoch.
   */
  nextSequence?(partition: number, producerId: number, producerEpoch: number): number;
}

/** An internal topic as partition logs of this broker. */
export class InternalTopicLog implements CoordinatorLog {
  constructor(
    readonly name: string,
    /** The topic's `compression.type`. */
    private readonly compressionType: string,
    private readonly topics: TopicManager,
    private readonly replicas: ReplicaManager,
    /** The topic's replication factor in a cluster (offsets.topic.replication.factor, …); alone, 1. */
    private readonly replicationFactor = 1,
    /** How long a write waits for the ISR in a cluster (Kafka's coordinators append with acks=all). */
    private readonly appendTimeoutMs = 30_000,
  ) {}

  partitionCount(): number | null {
    if (this.topics.isCreating(this.name)) return null;
    return this.topics.get(this.name)?.partitions ?? null;
  }

  async create(spec: InternalTopicSpec): Promise<void> {
    await this.topics.ensureInternalTopic({
      name: this.name,
      numPartitions: spec.partitions,
      replicationFactor: this.topics.cluster === null ? 1 : this.replicationFactor,
      configs: { 'cleanup.policy': 'compact', 'segment.bytes': String(spec.segmentBytes), 'compression.type': this.compressionType, ...(spec.configs ?? {}) },
    });
  }

  private log(partition: number): PartitionLog {
    const log = this.replicas.log(this.name, partition);
    if (log === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${this.name}-${partition} is not hosted here`);
    return log;
  }

  async append(partition: number, batch: Buffer): Promise<void> {
    const r = await this.replicas.append(this.log(partition), this.name, partition, batch);
    if (this.topics.cluster !== null) await this.replicas.awaitReplicated(this.name, partition, r.lastOffset + 1, this.appendTimeoutMs, this.topics.minInsyncReplicas(this.name));
  }

  logStartOffset(partition: number): number {
    return this.log(partition).logStartOffset;
  }

  endOffset(partition: number): number {
    const log = this.log(partition);
    return this.topics.cluster === null ? log.highWatermark : log.logEndOffset;
  }

  async read(partition: number, offset: number, maxBytes: number, maxOffset: number): Promise<Buffer> {
    return (await this.log(partition).read(offset, maxBytes, { maxOffset })).records;
  }

  nextSequence(partition: number, producerId: number, producerEpoch: number): number {
    const e = this.log(partition).producerState.entry(producerId);
    const last = e?.producerEpoch === producerEpoch ? e.batches.at(-1) : undefined;
    return last === undefined ? 0 : nextSequence(last.lastSeq, 1);
  }
}
