/**
 * Partition reassignments over the cluster's metadata store (KIP-455, as Kafka's KRaft
 * controller runs them), callable from any broker:
 *
 * 1. AlterPartitionReassignments writes the target: `replicas` becomes the target followed by the
 *    current replicas not in it, `addingReplicas` the target's new brokers, `removingReplicas`
 *    the current ones not in the target. A target within the current set that keeps an in-sync
 *    replica completes in the same write.
 * 2. The adding brokers see themselves in `replicas`, create the log and fetch it from the
 *    leader (Replication); the leader adds each to the ISR once caught up.
 * 3. At the ISR change, the controller's partitionChange sees every adding replica in sync and
 *    completes: the removing replicas leave `replicas` and the ISR, a leader among them hands
 *    over to the first in-sync target replica (new leader epoch), and each removed broker deletes
 *    its log when it sees the state.
 *
 * Cancelling (null replicas) reverts to the replicas before the reassignment: the adding ones
 * leave (and delete what they copied), unless that would leave the ISR empty.
 */
import { ErrorCode } from '../protocol/errors.js';
import { silentLogger } from '../util/logger.js';
import { partitionChange, runBounded, sameMembers, withReassignment, writePartition } from './partition-changes.js';
import { brokerMap } from './placement.js';
import { DONE, checkManualAssignment, type PartitionOutcome } from './replica-placement.js';
import type { MetadataStore, PartitionChange, PartitionState } from './store/types.js';

/** Reassignment writes in flight at once for one request. */
const REASSIGNMENTS_IN_FLIGHT_MAX = 32;

export interface ReassignmentTarget {
  topic: string;
  partitions: Array<{ partitionIndex: number; replicas: number[] | null }>;
}

export interface ReassignmentResult {
  name: string;
  partitions: Array<{ partitionIndex: number } & PartitionOutcome>;
}

/** One partition's reassignment in progress, as ListPartitionReassignments reports it. */
export interface OngoingReassignment {
  partitionIndex: number;
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

export function reassigning(s: PartitionState): boolean {
  return (s.addingReplicas?.length ?? 0) + (s.removingReplicas?.length ?? 0) > 0;
}

/** The replica set a partition had before its reassignment in progress (all of them when none is). */
export function originalReplicas(s: PartitionState): number[] {
  const adding = s.addingReplicas ?? [];
  return s.replicas.filter((r) => !adding.includes(r));
}

/**
 * The state a new reassignment to `target` writes: the current replicas (those of a reassignment
 * in progress included) are what it moves from. Null when nothing would change.
 */
export function startReassignment(s: PartitionState, target: readonly number[]): PartitionChange | null {
  const current = s.replicas;
  const adding = target.filter((r) => !current.includes(r));
  const removing = current.filter((r) => !target.includes(r));
  if (adding.length + removing.length === 0 && sameMembers(target, current) && !reassigning(s)) return null;
  const { partitionEpoch: _, addingReplicas: _a, removingReplicas: _r, ...rest } = s;
  return withReassignment({ ...rest, replicas: [...target, ...removing] }, adding, removing);
}

/** The state cancelling a reassignment in progress writes, or a reason it cannot (an empty ISR). */
export function cancelReassignment(s: PartitionState): PartitionChange | string {
  const adding = s.addingReplicas ?? [];
  const replicas = originalReplicas(s);
  const isr = s.isr.filter((r) => !adding.includes(r));
  if (isr.length === 0) return `Unable to revert partition assignment because it would make the ISR empty.`;
  // A leader among the adding replicas is replaced by partitionChange, which the caller applies.
  return { replicas, isr, leader: s.leader, leaderEpoch: s.leaderEpoch };
}

async function reassignOne(store: MetadataStore, topic: string, partition: number, replicas: number[] | null): Promise<PartitionOutcome> {
  if (store.topic(topic) === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Unable to find a topic named ${topic}.` };
  if (store.partition(topic, partition) === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Unable to find partition ${topic}:${partition}.` };
  if (replicas !== null) {
    const refused = checkManualAssignment(replicas, new Set(store.brokers().map((b) => b.nodeId)));
    if (refused !== null) return refused;
  }
  let refusal: PartitionOutcome | null = null;
  const outcome = await writePartition(
    store,
    topic,
    partition,
    (s) => {
      refusal = null;
      let next: PartitionChange | null;
      if (replicas === null) {
        // Kafka leaves out a message that only repeats the error's own.
        if (!reassigning(s)) return ((refusal = { errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage: null }), null);
        const reverted = cancelReassignment(s);
        if (typeof reverted === 'string') return ((refusal = { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: reverted }), null);
        next = reverted;
      } else next = startReassignment(s, replicas);
      if (next === null) return null;
      // A target already in sync completes at once; a leader that left is replaced.
      const written: PartitionState = { ...next, partitionEpoch: s.partitionEpoch };
      return partitionChange(written, brokerMap(store), 'online') ?? next;
    },
    silentLogger,
  );
  if (refusal !== null) return refusal;
  if (outcome === 'gone') return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Unable to find partition ${topic}:${partition}.` };
  if (outcome === 'contended') return { errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: `The state of ${topic}-${partition} kept changing during the reassignment; try again.` };
  return DONE;
}

/**
 * AlterPartitionReassignments over the store: each named partition's outcome, in the request's
 * order. Rejects with MetadataUnavailableError while the store is unreachable.
 */
export async function alterPartitionReassignments(store: MetadataStore, targets: readonly ReassignmentTarget[]): Promise<ReassignmentResult[]> {
  const results: ReassignmentResult[] = targets.map((t) => ({ name: t.topic, partitions: new Array(t.partitions.length) }));
  const jobs = targets.flatMap((t, i) => t.partitions.map((p, j) => ({ i, j, topic: t.topic, ...p })));
  await runBounded(jobs, REASSIGNMENTS_IN_FLIGHT_MAX, async ({ i, j, topic, partitionIndex, replicas }) => {
    results[i]!.partitions[j] = { partitionIndex, ...(await reassignOne(store, topic, partitionIndex, replicas)) };
  });
  return results;
}

/**
 * ListPartitionReassignments: the reassignments in progress, of every topic (null) or of the
 * named partitions (those not reassigning, or unknown, are left out, as Kafka leaves them).
 */
export function listPartitionReassignments(
  store: Pick<MetadataStore, 'topics' | 'topic' | 'partition'>,
  named: ReadonlyArray<{ name: string; partitionIndexes: number[] }> | null,
): Array<{ name: string; partitions: OngoingReassignment[] }> {
  const wanted = named ?? [...store.topics()].map((t) => ({ name: t.name, partitionIndexes: Array.from({ length: t.partitions }, (_, p) => p) }));
  const out: Array<{ name: string; partitions: OngoingReassignment[] }> = [];
  for (const { name, partitionIndexes } of wanted) {
    const partitions: OngoingReassignment[] = [];
    for (const p of partitionIndexes) {
      const s = store.partition(name, p);
      if (s === undefined || !reassigning(s)) continue;
      partitions.push({ partitionIndex: p, replicas: [...s.replicas], addingReplicas: [...(s.addingReplicas ?? [])], removingReplicas: [...(s.removingReplicas ?? [])] });
    }
    if (partitions.length > 0) out.push({ name, partitions });
  }
  return out;
}
