/**
 * Where the transaction coordinator keeps its records (`__transaction_state`) and how it writes
 * markers into the partitions a transaction touched. Interfaces, so that the state machine runs
 * over memory in unit tests and over the broker's partition logs in a broker.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { Clock } from '../../platform/clock.js';
import type { TopicManager } from '../../cluster/topics.js';
import type { ReplicaManager } from '../../cluster/replica-manager.js';
import type { OffsetsTopic } from '../group/offsets-topic.js';
import { InternalTopicLog } from '../internal-topic.js';
import type { TxnMarkerChannels } from '../../cluster/txn-marker-channel.js';

export const TXN_STATE_TOPIC = '__transaction_state';

/** The same shape as the group coordinator's log: a compacted internal topic of record batches. */
export type TxnStateLog = OffsetsTopic;

export interface TxnMarker {
  producerId: number;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
}

export interface MarkerWriter {
  /**
   * Writes a COMMIT or ABORT control batch to a partition; resolves once it is written. Rejects
   * with UNKNOWN_TOPIC_OR_PARTITION when the partition no longer exists (the marker is dropped).
   */
  write(topic: string, partition: number, marker: TxnMarker): Promise<void>;
}

/** `__transaction_state` as partition logs of this broker. */
export class LogTxnStateTopic extends InternalTopicLog {
  constructor(topics: TopicManager, replicas: ReplicaManager, replicationFactor = 1, appendTimeoutMs?: number) {
    super(TXN_STATE_TOPIC, 'uncompressed', topics, replicas, replicationFactor, appendTimeoutMs);
  }
}

/** In a cluster: who leads a partition, and the channels to send markers to other leaders. */
export interface RemoteMarkers {
  nodeId: number;
  /** The partition's leader as the cluster's metadata says (-1: none), or null when there is no such partition. */
  leaderOf(topic: string, partition: number): number | null;
  channels: TxnMarkerChannels;
}

/**
 * Markers through the replica manager's `writeTxnMarker` on the partitions this broker leads,
 * which also ends the producer's transaction in the partition's producer state (last stable
 * offset, aborted index); in a cluster, WriteTxnMarkers to the leader of each other partition.
 * `onMarker` runs after each local write (the group coordinator completes transactional offsets
 * on __consumer_offsets markers; a remote leader's WriteTxnMarkers handler does it there).
 */
export class ReplicaMarkerWriter implements MarkerWriter {
  constructor(
    private readonly replicas: ReplicaManager,
    private readonly clock: Clock,
    private readonly onMarker: (topic: string, partition: number, marker: TxnMarker) => void = () => undefined,
    private readonly remote: RemoteMarkers | null = null,
  ) {}

  async write(topic: string, partition: number, marker: TxnMarker): Promise<void> {
    if (this.remote !== null) {
      const leader = this.remote.leaderOf(topic, partition);
      if (leader === null) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${partition} does not exist`);
      if (leader < 0) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `${topic}-${partition} has no leader`);
      if (leader !== this.remote.nodeId) return this.remote.channels.send(leader, topic, partition, marker);
    }
    await this.replicas.writeTxnMarker(topic, partition, { ...marker, timestampMs: this.clock.now() });
    this.onMarker(topic, partition, marker);
  }
}
