/**
 * Where the group coordinator keeps its records: the partitions of `__consumer_offsets`. An
 * interface, so that the state machine runs over an in-memory log in unit tests and over the
 * broker's partition logs in a broker.
 */
import type { TopicManager } from '../../cluster/topics.js';
import type { ReplicaManager } from '../../cluster/replica-manager.js';
import { InternalTopicLog, type CoordinatorLog, type InternalTopicSpec } from '../internal-topic.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

export type OffsetsTopicSpec = InternalTopicSpec;
export type OffsetsTopic = CoordinatorLog;

/** `__consumer_offsets` as partition logs of this broker. */
export class LogOffsetsTopic extends InternalTopicLog {
  constructor(topics: TopicManager, replicas: ReplicaManager, replicationFactor = 1, appendTimeoutMs?: number) {
    super(OFFSETS_TOPIC, 'producer', topics, replicas, replicationFactor, appendTimeoutMs);
  }
}
