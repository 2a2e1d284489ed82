/**
 * Where the group coordinator keeps its records: the partitions of `__consumer_offsets`. An
 * interface, so that the state machine runs over an in-memory log in unit tests and over the
 * broker's partition logs in a broker.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { TopicManager } from '../../cluster/topics.js';
import type { ReplicaManager } from '../../cluster/replica-manager.js';
import { nextSequence } from '../../storage/producer-state.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

export interface OffsetsTopicSpec {
  partitions: number;
  segmentBytes: number;
}

export interface OffsetsTopic {
  /** The topic's partition count, or null while it does not exist (or is still being created). */
  partitionCount(): number | null;
  /** Creates the topic unless it exists; resolves once its partitions can be written. */
  create(spec: OffsetsTopicSpec): Promise<void>;
  /** Appends one record batch; resolves once it is written (and flushed, per the log's policy). */
  append(partition: number, batch: Buffer): Promise<void>;
  logStartOffset(partition: number): number;
  /** The offset after the last record to replay (the high watermark). */
  endOffset(partition: number): number;
  /** Whole batches from the one holding `offset`, below `maxOffset`, at least one if any. */
  read(partition: number, offset: number, maxBytes: number, maxOffset: number): Promise<Buffer>;
  /**
   * The sequence a coordinator's next batch for a producer must carry on this partition (the log
   * checks producers' sequences); 0 when the log knows no batch of that producer and epoch.
   */
  nextSequence?(partition: number, producerId: number, producerEpoch: number): number;
}

/** `__consumer_offsets` as partition logs of this broker. */
export class LogOffsetsTopic implements OffsetsTopic {
  constructor(
    private readonly topics: TopicManager,
    private readonly replicas: ReplicaManager,
  ) {}

  partitionCount(): number | null {
    if (this.topics.isCreating(OFFSETS_TOPIC)) return null;
    return this.topics.get(OFFSETS_TOPIC)?.partitions ?? null;
  }

  async create(spec: OffsetsTopicSpec): Promise<void> {
    await this.topics.ensureInternalTopic({
      name: OFFSETS_TOPIC,
      numPartitions: spec.partitions,
      // One broker: offsets.topic.replication.factor cannot be met above 1.
      replicationFactor: 1,
      configs: { 'cleanup.policy': 'compact', 'segment.bytes': String(spec.segmentBytes), 'compression.type': 'producer' },
    });
  }

  private log(partition: number) {
    const log = this.replicas.log(OFFSETS_TOPIC, partition);
    if (log === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${OFFSETS_TOPIC}-${partition} is not hosted here`);
    return log;
  }

  async append(partition: number, batch: Buffer): Promise<void> {
    await this.replicas.append(this.log(partition), OFFSETS_TOPIC, partition, batch);
  }

  logStartOffset(partition: number): number {
    return this.log(partition).logStartOffset;
  }

  endOffset(partition: number): number {
    return this.log(partition).highWatermark;
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
