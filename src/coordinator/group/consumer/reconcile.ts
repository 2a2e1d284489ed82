/**
 * A member's way from its current assignment to its target (Kafka's CurrentAssignmentBuilder), as
 * a pure function. A partition moves in two steps: the coordinator first asks its old owner to
 * give it up (UNREVOKED_PARTITIONS: the member keeps its epoch until a heartbeat no longer lists
 * it), and only once nobody holds it (its partition epoch is -1) hands it to the new owner
 * (UNRELEASED_PARTITIONS while it waits).
 */
import { MemberState, type ConsumerMemberAssignment, type TopicPartitions } from './records.js';

export interface OwnedTopicPartitions {
  topicId: string;
  partitions: number[];
}

export interface ReconcileInput {
  current: ConsumerMemberAssignment;
  targetEpoch: number;
  target: TopicPartitions;
  /** The epoch of the member holding a partition, or -1 when free. */
  partitionEpoch: (topicId: string, partition: number) => number;
  /** What the member says it owns; null when its heartbeat did not say. */
  owned: OwnedTopicPartitions[] | null;
}

/** Thrown when the member must drop everything and rejoin (an UNKNOWN state). */
export class FencedMemberError extends Error {}

function ownsAnyOf(owned: OwnedTopicPartitions[] | null, revoking: TopicPartitions): boolean {
  if (owned === null) return true;
  for (const t of owned) {
    const pending = revoking.get(t.topicId);
    if (pending !== undefined && t.partitions.some((p) => pending.includes(p))) return true;
  }
  return false;
}

export function isReconciledTo(a: ConsumerMemberAssignment, targetEpoch: number): boolean {
  return a.state === MemberState.STABLE && a.memberEpoch === targetEpoch;
}

/** The member's next assignment state (the same object when nothing changes). */
export function reconcile(i: ReconcileInput): ConsumerMemberAssignment {
  const c = i.current;
  switch (c.state) {
    case MemberState.STABLE:
      return c.memberEpoch === i.targetEpoch ? c : next(i, c.memberEpoch);
    case MemberState.UNREVOKED_PARTITIONS:
      return ownsAnyOf(i.owned, c.partitionsPendingRevocation) ? c : next(i, c.memberEpoch + 1);
    case MemberState.UNRELEASED_PARTITIONS:
      return next(i, c.memberEpoch);
    default:
      if (i.owned === null || i.owned.length > 0) throw new FencedMemberError('The consumer group member is in a unknown state. The member must abandon all its partitions and rejoin.');
      return next(i, i.targetEpoch);
  }
}

function next(i: ReconcileInput, memberEpoch: number): ConsumerMemberAssignment {
  const c = i.current;
  let unreleased = false;
  const assigned: TopicPartitions = new Map();
  const revoking: TopicPartitions = new Map();
  const pending: TopicPartitions = new Map();
  const topicIds = new Set([...i.target.keys(), ...c.assignedPartitions.keys()]);
  for (const t of topicIds) {
    const target = new Set(i.target.get(t) ?? []);
    const had = c.assignedPartitions.get(t) ?? [];
    const keep = had.filter((p) => target.has(p));
    const revoke = had.filter((p) => !target.has(p));
    const toAssign = [...target].filter((p) => !keep.includes(p));
    const free = toAssign.filter((p) => i.partitionEpoch(t, p) === -1);
    if (free.length < toAssign.length) unreleased = true;
    if (keep.length > 0) assigned.set(t, keep);
    if (revoke.length > 0) revoking.set(t, revoke);
    if (free.length > 0) pending.set(t, free);
  }
  // As Kafka's updateMemberEpoch: the previous epoch is the one the member had before this step.
  if (revoking.size > 0 && ownsAnyOf(i.owned, revoking)) {
    return { previousMemberEpoch: c.memberEpoch, memberEpoch, state: MemberState.UNREVOKED_PARTITIONS, assignedPartitions: assigned, partitionsPendingRevocation: revoking };
  }
  for (const [t, ps] of pending) assigned.set(t, [...(assigned.get(t) ?? []), ...ps].sort((a, b) => a - b));
  return {
    memberEpoch: i.targetEpoch,
    previousMemberEpoch: c.memberEpoch,
    state: unreleased ? MemberState.UNRELEASED_PARTITIONS : MemberState.STABLE,
    assignedPartitions: assigned,
    partitionsPendingRevocation: new Map(),
  };
}

/** Whether two assignment states are the same (so no record is needed). */
export function sameAssignment(a: ConsumerMemberAssignment, b: ConsumerMemberAssignment): boolean {
  return a.memberEpoch === b.memberEpoch && a.previousMemberEpoch === b.previousMemberEpoch && a.state === b.state && samePartitions(a.assignedPartitions, b.assignedPartitions) && samePartitions(a.partitionsPendingRevocation, b.partitionsPendingRevocation);
}

export function samePartitions(a: TopicPartitions, b: TopicPartitions): boolean {
  const norm = (tp: TopicPartitions) => JSON.stringify([...tp].filter(([, ps]) => ps.length > 0).map(([t, ps]) => [t, [...ps].sort((x, y) => x - y)]).sort(([x], [y]) => (x < y ? -1 : 1)));
  return norm(a) === norm(b);
}
