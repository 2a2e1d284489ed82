/**
 * How a partition's leader and ISR change, as Kafka's controller changes them
 * (PartitionChangeBuilder, with KIP-455 reassignments completing once their new replicas are in
 * sync; no eligible leader replicas), and the
 * compare-and-swap writes that carry the changes to the metadata store. The decisions are pure
 * functions of a partition's state and the live brokers, so any broker can compute them and a
 * write computed from a stale image simply loses its compare-and-swap.
 */
import type { Logger } from '../util/logger.js';
import { isActive } from './placement.js';
import { type BrokerRegistration, type MetadataStore, type PartitionChange, type PartitionState, type PartitionSwap, MetadataUnavailableError } from './store/types.js';

/**
 * ONLINE: keep a valid leader, else the first valid replica; UNCLEAN: as ONLINE, then any active
 * replica (the ISR becomes just it); PREFERRED: the first replica when valid, else as ONLINE.
 * Valid means in the ISR and active (live, not shutting down).
 */
export type Election = 'online' | 'unclean' | 'preferred';

/** How often one write is re-read and retried after losing its compare-and-swap, before giving up (someone else keeps writing). */
export const CAS_ATTEMPTS_MAX = 8;

/**
 * The ISR without members that are gone or shutting down, never emptied: when none is left, the
 * one member kept is the leader (it held everything acknowledged), as Kafka leaves the last one.
 */
function targetIsr(state: PartitionState, active: (id: number) => boolean): number[] {
  const isr = state.isr.filter(active);
  if (isr.length > 0) return isr;
  if (state.isr.includes(state.leader)) return [state.leader];
  return state.isr.slice(0, 1);
}

/** The same ids in the same order. */
export function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The change a partition needs under `election`, or null when it needs none. The leader epoch
 * goes up exactly when the leader changes (to -1 included), which fences the old leader.
 * `inactive` names brokers to treat as gone although registered (a new incarnation).
 */
export function partitionChange(
  state: PartitionState,
  brokers: ReadonlyMap<number, BrokerRegistration>,
  election: Election,
  inactive: ReadonlySet<number> = new Set(),
): PartitionChange | null {
  const active = (id: number): boolean => !inactive.has(id) && isActive(brokers, id);
  let isr = targetIsr(state, active);
  let { replicas, addingReplicas: adding = [], removingReplicas: removing = [] } = state;
  if (adding.length + removing.length > 0) {
    // KIP-455: once every adding replica is in sync, and an in-sync replica stays, the removed ones go.
    const kept = isr.filter((r) => !removing.includes(r));
    if (kept.length > 0 && adding.every((r) => kept.includes(r))) {
      replicas = replicas.filter((r) => !removing.includes(r));
      isr = kept;
      adding = [];
      removing = [];
    }
  }
  const valid = (id: number): boolean => replicas.includes(id) && isr.includes(id) && active(id);
  let leader = -1;
  if (election === 'preferred' && replicas.length > 0 && valid(replicas[0]!)) leader = replicas[0]!;
  else if (valid(state.leader)) leader = state.leader;
  else leader = replicas.find(valid) ?? -1;
  if (leader === -1 && election === 'unclean') {
    // Data loss accepted by the operator (unclean.leader.election.enable): the new leader's log is the truth.
    leader = replicas.find(active) ?? -1;
    if (leader !== -1) isr = [leader];
  }
  const sameReassignment = sameMembers(adding, state.addingReplicas ?? []) && sameMembers(removing, state.removingReplicas ?? []);
  if (leader === state.leader && sameMembers(isr, state.isr) && sameMembers(replicas, state.replicas) && sameReassignment) return null;
  return withReassignment({ replicas: [...replicas], isr, leader, leaderEpoch: leader === state.leader ? state.leaderEpoch : state.leaderEpoch + 1 }, adding, removing);
}

/** A change with its reassignment fields, left out when none is in progress (as stored states have them). */
export function withReassignment(change: PartitionChange, adding: readonly number[], removing: readonly number[]): PartitionChange {
  if (adding.length + removing.length === 0) return change;
  return { ...change, addingReplicas: [...adding], removingReplicas: [...removing] };
}

/**
 * The change that takes `nodeId` out of a partition's ISR because its log is gone (a broker back
 * with an empty disk): the leadership moves to another in-sync replica that is active, and with
 * none left the partition goes offline (an empty ISR), since nothing in sync holds its records.
 * Null when `nodeId` is not in the ISR.
 */
export function leaveIsr(state: PartitionState, nodeId: number, brokers: ReadonlyMap<number, BrokerRegistration>): PartitionChange | null {
  if (!state.isr.includes(nodeId)) return null;
  const isr = state.isr.filter((r) => r !== nodeId);
  const next = partitionChange({ ...state, isr }, brokers, 'online', new Set([nodeId]));
  if (next !== null) return next;
  const { partitionEpoch: _, ...rest } = state;
  return { ...rest, isr };
}

export type WriteOutcome = 'changed' | 'unchanged' | 'gone' | 'contended';

/**
 * Applies `decide` to a partition's current state and writes the result with a compare-and-swap;
 * on a lost swap, re-reads and decides again, up to CAS_ATTEMPTS_MAX times. Rejects with
 * MetadataUnavailableError while the store cannot be reached.
 */
function logChange(logger: Logger, topic: string, partition: number, next: PartitionChange, was: PartitionState): void {
  logger.info('partition changed', { topic, partition, leader: next.leader, leaderEpoch: next.leaderEpoch, isr: next.isr, was: { leader: was.leader, isr: was.isr } });
}

export async function writePartition(
  store: MetadataStore,
  topic: string,
  partition: number,
  decide: (state: PartitionState) => PartitionChange | null,
  logger: Logger,
): Promise<WriteOutcome> {
  for (let attempt = 1; attempt <= CAS_ATTEMPTS_MAX; attempt++) {
    const state = store.partition(topic, partition);
    if (state === undefined) return 'gone';
    const next = decide(state);
    if (next === null) return 'unchanged';
    if (await store.compareAndSetPartition(topic, partition, state.partitionEpoch, next)) {
      logChange(logger, topic, partition, next, state);
      return 'changed';
    }
    logger.debug('partition write lost its compare-and-swap; re-reading', { topic, partition, attempt });
  }
  logger.warn('partition write gave up after repeated compare-and-swap conflicts', { topic, partition, attempts: CAS_ATTEMPTS_MAX });
  return 'contended';
}

/** At most this many partitions in one store write (etcd allows 128 operations in a transaction by default; each swap is a compare and a put). */
export const PARTITIONS_PER_WRITE_MAX = 50;

/**
 * Decides every partition's change against one read of the image and writes the changes
 * together, `PARTITIONS_PER_WRITE_MAX` at a time, so that other brokers see them at once (as
 * Kafka's brokers apply a controller's batch of records together) rather than one partition after
 * another. Returns the partitions of the batches that lost a compare-and-swap, for the caller to
 * write one by one with `writePartition`.
 */
export async function writePartitionsTogether(
  store: MetadataStore,
  keys: ReadonlyArray<{ topic: string; partition: number }>,
  decide: (topic: string, state: PartitionState) => PartitionChange | null,
  logger: Logger,
): Promise<Array<{ topic: string; partition: number }>> {
  const swaps: Array<PartitionSwap & { was: PartitionState }> = [];
  for (const { topic, partition } of keys) {
    const state = store.partition(topic, partition);
    if (state === undefined) continue;
    const next = decide(topic, state);
    if (next !== null) swaps.push({ topic, partition, expectedPartitionEpoch: state.partitionEpoch, next, was: state });
  }
  const lost: Array<{ topic: string; partition: number }> = [];
  for (let i = 0; i < swaps.length; i += PARTITIONS_PER_WRITE_MAX) {
    const batch = swaps.slice(i, i + PARTITIONS_PER_WRITE_MAX);
    if (await store.compareAndSetPartitions(batch)) {
      for (const { topic, partition, next, was } of batch) logChange(logger, topic, partition, next, was);
    } else lost.push(...batch.map(({ topic, partition }) => ({ topic, partition })));
  }
  return lost;
}

/** A leader's request to change its partition's ISR (Kafka's AlterPartition). */
export interface AlterIsrRequest {
  topic: string;
  partition: number;
  leaderId: number;
  leaderEpoch: number;
  isr: number[];
}

/**
 * 'ok': the ISR is now `isr`; 'fenced': the leader epoch moved on (FENCED_LEADER_EPOCH), the
 * caller is no longer the leader it thinks; 'invalid': the request breaks a rule (unknown
 * partition, not the leader, a member not a replica or twice, the leader left out, an added
 * member gone or shutting down); 'retry': the store is unreachable, our image is behind the
 * leader's, or others kept winning the swap — try again later.
 */
export type AlterIsrResult = 'ok' | 'fenced' | 'invalid' | 'retry';

/** Kafka's checks of an AlterPartition, in its order, against one read of the state. */
function checkAlterIsr(state: PartitionState | undefined, req: AlterIsrRequest, brokers: ReadonlyMap<number, BrokerRegistration>): AlterIsrResult | null {
  if (state === undefined) return 'invalid';
  if (req.leaderEpoch > state.leaderEpoch) return 'retry';
  if (req.leaderEpoch < state.leaderEpoch) return 'fenced';
  if (req.leaderId !== state.leader) return 'invalid';
  if (new Set(req.isr).size !== req.isr.length || req.isr.some((r) => !state.replicas.includes(r))) return 'invalid';
  if (!req.isr.includes(state.leader)) return 'invalid';
  if (req.isr.some((r) => !state.isr.includes(r) && !isActive(brokers, r))) return 'invalid';
  return null;
}

/** Changes a partition's ISR for its leader, as a compare-and-swap on the store. */
export async function alterIsr(store: MetadataStore, req: AlterIsrRequest): Promise<AlterIsrResult> {
  try {
    for (let attempt = 1; attempt <= CAS_ATTEMPTS_MAX; attempt++) {
      const state = store.partition(req.topic, req.partition);
      const refused = checkAlterIsr(state, req, new Map(store.brokers().map((b) => [b.nodeId, b])));
      if (refused !== null) return refused;
      if (sameMembers(state!.isr, req.isr)) return 'ok';
      const { partitionEpoch, ...rest } = state!;
      const next: PartitionChange = { ...rest, isr: [...req.isr] };
      if (await store.compareAndSetPartition(req.topic, req.partition, state!.partitionEpoch, next)) return 'ok';
    }
    return 'retry';
  } catch (err) {
    if (err instanceof MetadataUnavailableError) return 'retry';
    throw err;
  }
}

/** The partitions `nodeId` leads, by topic: a broker in controlled shutdown waits until this is empty before it unregisters. */
export function leadershipsOf(store: Pick<MetadataStore, 'topics' | 'partition'>, nodeId: number): Array<{ topic: string; partition: number }> {
  const led: Array<{ topic: string; partition: number }> = [];
  for (const t of store.topics())
    for (let p = 0; p < t.partitions; p++) if (store.partition(t.name, p)?.leader === nodeId) led.push({ topic: t.name, partition: p });
  return led;
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function runBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
