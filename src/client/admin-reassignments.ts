/**
 * Admin calls for partition reassignments (KIP-455), as Kafka's Admin offers them:
 * AlterPartitionReassignments (a target replica list per partition, or null to cancel) and
 * ListPartitionReassignments. Kafka sends both to the controller; any Samsa broker answers them
 * (it writes the cluster's metadata store). The Admin class exposes them.
 */
import { ErrorCode, KafkaError, errorName } from '../protocol/errors.js';
import type { AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse } from '../protocol/messages/45-alter-partition-reassignments.js';
import type { ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse } from '../protocol/messages/46-list-partition-reassignments.js';
import type { Cluster } from './cluster.js';

const ALTER_KEY = 45;
const LIST_KEY = 46;
const TIMEOUT_MS = 60_000;

export interface PartitionReassignmentSpec {
  topic: string;
  partition: number;
  /** The target replicas, preferred leader first; null cancels the partition's reassignment in progress. */
  replicas: number[] | null;
}

/** One partition's outcome: null when the broker accepted it. */
export interface ReassignmentOutcome {
  topic: string;
  partition: number;
  error: KafkaError | null;
}

export interface PartitionReassignment {
  topic: string;
  partition: number;
  /** Every replica while the reassignment runs: the target first, then those it removes. */
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

function byTopic<T extends { topic: string; partition: number }>(items: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) m.set(it.topic, [...(m.get(it.topic) ?? []), it]);
  return m;
}

/** Starts (or cancels) reassignments; each partition's outcome, in no particular order. */
export async function alterPartitionReassignments(cluster: Cluster, specs: readonly PartitionReassignmentSpec[]): Promise<ReassignmentOutcome[]> {
  const topics = [...byTopic(specs)].map(([name, ps]) => ({ name, partitions: ps.map((p) => ({ partitionIndex: p.partition, replicas: p.replicas === null ? null : [...p.replicas] })) }));
  return cluster.withRetry(async () => {
    const conn = await cluster.anyConnection();
    const resp = await conn.request<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>(ALTER_KEY, conn.versionFor(ALTER_KEY, 0), { timeoutMs: TIMEOUT_MS, topics });
    if (resp.errorCode !== ErrorCode.NONE) throw new KafkaError(resp.errorCode, resp.errorMessage ?? errorName(resp.errorCode));
    return resp.responses.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.name,
        partition: p.partitionIndex,
        error: p.errorCode === ErrorCode.NONE ? null : new KafkaError(p.errorCode, p.errorMessage ?? errorName(p.errorCode)),
      })),
    );
  });
}

/** The reassignments in progress: of these partitions, or of every topic when none are named. */
export async function listPartitionReassignments(cluster: Cluster, partitions?: ReadonlyArray<{ topic: string; partition: number }>): Promise<PartitionReassignment[]> {
  const topics = partitions === undefined ? null : [...byTopic(partitions)].map(([name, ps]) => ({ name, partitionIndexes: ps.map((p) => p.partition) }));
  return cluster.withRetry(async () => {
    const conn = await cluster.anyConnection();
    const resp = await conn.request<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>(LIST_KEY, conn.versionFor(LIST_KEY, 0), { timeoutMs: TIMEOUT_MS, topics });
    if (resp.errorCode !== ErrorCode.NONE) throw new KafkaError(resp.errorCode, resp.errorMessage ?? errorName(resp.errorCode));
    return resp.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, addingReplicas: p.addingReplicas, removingReplicas: p.removingReplicas })),
    );
  });
}
