/**
 * Leader elections and partition reassignments on one broker, answered as Kafka's controller
 * answers them (ReplicationControlManager) when this broker is the only one: it is every
 * partition's only replica and its preferred leader, so an election is never needed, the only
 * valid replica set is [this broker] (already in place), and no reassignment is ever in progress.
 */
import { ErrorCode } from '../protocol/errors.js';
import type { TopicManager } from './topics.js';

/** A partition's outcome: Kafka's error code and message (null: none, or Kafka's default). */
export interface PartitionOutcome {
  errorCode: number;
  errorMessage: string | null;
}

/** ElectLeaders election types (KIP-460). */
export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const;

const DONE: PartitionOutcome = { errorCode: ErrorCode.NONE, errorMessage: null };

function hasPartition(topics: TopicManager, topic: string, partition: number): boolean | 'no-topic' {
  const t = topics.get(topic);
  if (t === undefined) return 'no-topic';
  return partition >= 0 && partition < t.partitions;
}

/**
 * A preferred or unclean election for one partition: this broker already leads it (the preferred
 * replica, in sync), so the election is not needed.
 */
export function electLeader(topics: TopicManager, topic: string, partition: number): PartitionOutcome {
  const found = hasPartition(topics, topic, partition);
  if (found === 'no-topic') return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such topic as ${topic}` };
  if (!found) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such partition as ${topic}-${partition}` };
  return { errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: 'Leader election not needed for topic partition.' };
}

/**
 * Moves one partition to `replicas`, or cancels its reassignment (null). Kafka's checks of a
 * manual assignment, in its order (the broker ids sorted): not empty, every broker registered
 * (only `nodeId` is), none twice. What passes is [nodeId], the replica set it already has.
 */
export function reassignPartition(topics: TopicManager, nodeId: number, topic: string, partition: number, replicas: readonly number[] | null): PartitionOutcome {
  const found = hasPartition(topics, topic, partition);
  if (found === 'no-topic') return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Unable to find a topic named ${topic}.` };
  if (!found) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Unable to find partition ${topic}:${partition}.` };
  // Kafka leaves out a message that only repeats the error's own.
  if (replicas === null) return { errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage: null };
  const invalid = (why: string): PartitionOutcome => ({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `The manual partition assignment ${why}` });
  if (replicas.length === 0) return invalid('includes an empty replica list.');
  const sorted = [...replicas].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; i++) {
    const brokerId = sorted[i]!;
    if (brokerId !== nodeId) return invalid(`includes broker ${brokerId}, but no such broker is registered.`);
    if (i > 0 && sorted[i - 1] === brokerId) return invalid(`includes the broker ${brokerId} more than once.`);
  }
  return DONE;
}
