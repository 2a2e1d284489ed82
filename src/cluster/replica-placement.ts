/**
 * Leader elections and partition reassignments, answered as Kafka's controller answers them
 * (ReplicationControlManager). `electLeaders` works over the cluster's metadata store from any
 * broker. `electLeader` and `reassignPartition` are the single broker's answers: it is every
 * partition's only replica and its preferred leader, so an election is never needed, the only
 * valid replica set is [this broker] (already in place), and no reassignment is ever in progress.
 */
import { ErrorCode } from '../protocol/errors.js';
import { silentLogger } from '../util/logger.js';
import { partitionChange, runBounded, writePartition } from './partition-changes.js';
import { brokerMap } from './placement.js';
import type { MetadataStore } from './store/types.js';
import type { TopicManager } from './topics.js';

/** A partition's outcome: Kafka's error code and message (null: none, or Kafka's default). */
export interface PartitionOutcome {
  errorCode: number;
  errorMessage: string | null;
}

/** ElectLeaders election types (KIP-460). */
export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const;

export const DONE: PartitionOutcome = { errorCode: ErrorCode.NONE, errorMessage: null };

export function hasPartition(topics: TopicManager, topic: string, partition: number): boolean | 'no-topic' {
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
  return checkManualAssignment(replicas, new Set([nodeId])) ?? DONE;
}

/**
 * Kafka's checks of a manual replica assignment, in its order (the broker ids sorted): not empty,
 * every broker registered, none twice. Null when it passes.
 */
export function checkManualAssignment(replicas: readonly number[], registered: ReadonlySet<number>): PartitionOutcome | null {
  const invalid = (why: string): PartitionOutcome => ({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `The manual partition assignment ${why}` });
  if (replicas.length === 0) return invalid('includes an empty replica list.');
  const sorted = [...replicas].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; i++) {
    const brokerId = sorted[i]!;
    if (!registered.has(brokerId)) return invalid(`includes broker ${brokerId}, but no such broker is registered.`);
    if (i > 0 && sorted[i - 1] === brokerId) return invalid(`includes the broker ${brokerId} more than once.`);
  }
  return null;
}

/** One topic's partitions named in an ElectLeaders request. */
export interface ElectionTarget {
  topic: string;
  partitions: number[];
}

export interface ElectionResult {
  topic: string;
  partitionResult: Array<{ partitionId: number } & PartitionOutcome>;
}

/** Elections written at once by one ElectLeaders request. */
const ELECTIONS_IN_FLIGHT_MAX = 32;

/**
 * One partition's election over the store (Kafka's ReplicationControlManager.electLeader):
 * PREFERRED is not needed when the preferred replica leads, and fails when it cannot lead (not in
 * the ISR, or not active); UNCLEAN is not needed while a live leader exists, and otherwise lets
 * any active replica lead, in sync or not (the ISR becomes just it).
 */
async function electOne(store: MetadataStore, type: number, topic: string, partition: number): Promise<PartitionOutcome> {
  if (store.topic(topic) === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such topic as ${topic}` };
  if (store.partition(topic, partition) === undefined)
    return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such partition as ${topic}-${partition}` };
  let notNeeded = false;
  const outcome = await writePartition(
    store,
    topic,
    partition,
    (s) => {
      const brokers = brokerMap(store);
      notNeeded = type === ElectionType.PREFERRED ? s.leader === s.replicas[0] : s.leader !== -1 && brokers.has(s.leader);
      return notNeeded ? null : partitionChange(s, brokers, type === ElectionType.PREFERRED ? 'preferred' : 'unclean');
    },
    silentLogger,
  );
  if (outcome === 'gone') return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such partition as ${topic}-${partition}` };
  if (outcome === 'changed') return DONE;
  if (notNeeded) return { errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: 'Leader election not needed for topic partition.' };
  if (outcome === 'contended') return { errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: `The leader of ${topic}-${partition} kept changing during the election; try again.` };
  return type === ElectionType.PREFERRED
    ? { errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: 'The preferred leader was not available.' }
    : { errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, errorMessage: 'Eligible topic partition leaders are not available.' };
}

/**
 * ElectLeaders (KIP-460) over the cluster's metadata store, callable from any broker: each named
 * partition's outcome, or with `targets` null every partition of every topic, leaving out those
 * whose election was not needed (as Kafka does). `type` is ElectionType.PREFERRED or UNCLEAN
 * (the handler refuses others). Rejects with MetadataUnavailableError while the store is unreachable.
 */
export async function electLeaders(store: MetadataStore, type: number, targets: readonly ElectionTarget[] | null): Promise<ElectionResult[]> {
  const all = targets === null;
  const named: ElectionTarget[] =
    targets === null ? [...store.topics()].map((t) => ({ topic: t.name, partitions: Array.from({ length: t.partitions }, (_, p) => p) })) : [...targets];
  const results: ElectionResult[] = named.map((t) => ({ topic: t.topic, partitionResult: [] }));
  const jobs = named.flatMap((t, i) => t.partitions.map((partitionId, j) => ({ i, j, topic: t.topic, partitionId })));
  const outcomes: Array<Array<{ partitionId: number } & PartitionOutcome>> = named.map((t) => new Array(t.partitions.length));
  await runBounded(jobs, ELECTIONS_IN_FLIGHT_MAX, async ({ i, j, topic, partitionId }) => {
    outcomes[i]![j] = { partitionId, ...(await electOne(store, type, topic, partitionId)) };
  });
  named.forEach((_, i) => {
    results[i]!.partitionResult = outcomes[i]!.filter((o) => !(all && o.errorCode === ErrorCode.ELECTION_NOT_NEEDED));
  });
  return results;
}
