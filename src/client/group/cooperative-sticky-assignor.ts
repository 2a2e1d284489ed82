/**
 * The 'cooperative-sticky' assignor (Kafka's CooperativeStickyAssignor, KIP-429), written from
 * its contract rather than its code:
 *
 * 1. Members keep the partitions they own (from their Subscription's ownedPartitions), as long as
 *    the topic still exists and they still subscribe to it. When two members claim the same
 *    partition, the claim from the newer generation wins; a tie leaves it unowned.
 * 2. Unowned partitions go, one by one, to the eligible member holding the fewest (partitions
 *    with the fewest eligible members first, so constrained ones are placed while there is room).
 * 3. While some member holds at least two more than an eligible member, one partition moves from
 *    the fuller to the emptier member. With equal subscriptions this ends balanced within one,
 *    and a member leaving moves nothing of the others: its partitions fill the emptiest members.
 * 4. Cooperative step: a partition that moves from one member to another is left out of this
 *    round entirely. Its owner sees it missing and revokes it, then rejoins; in the next round
 *    it is unowned and step 2 places it.
 */
import {
  compareMembers,
  compareStrings,
  groupByTopic,
  parseTpKey,
  tpKey,
  type AssignmentInput,
  type GroupAssignment,
  type MemberSubscription,
  type PartitionAssignor,
} from './assignor.js';

export class CooperativeStickyAssignor implements PartitionAssignor {
  readonly name = 'cooperative-sticky';
  readonly protocol = 'cooperative' as const;

  /** Java's assignor (3.x+) keeps its state in ownedPartitions and generationId, not user data. */
  subscriptionUserData(): Buffer | null {
    return null;
  }

  assign(input: AssignmentInput): GroupAssignment {
    const members = [...input.members].sort(compareMembers);
    const eligible = eligibleMembers(members, input.partitionsPerTopic);
    const owner = currentOwners(members, eligible);

    const assigned = new Map<string, Set<string>>(members.map((m) => [m.memberId, new Set<string>()]));
    for (const [key, memberId] of owner) assigned.get(memberId)!.add(key);

    // Step 2: constrained partitions first, then in topic/partition order.
    const unowned = [...eligible.keys()].filter((k) => !owner.has(k));
    unowned.sort((a, b) => eligible.get(a)!.length - eligible.get(b)!.length || compareTp(a, b));
    for (const key of unowned) {
      const target = leastLoaded(eligible.get(key)!, assigned);
      if (target !== undefined) assigned.get(target)!.add(key);
    }

    rebalance(members, eligible, assigned, owner);

    // Step 4: whatever changes hands waits for its owner to let go first.
    const ownedBy = rawOwnership(members);
    for (const [memberId, keys] of assigned) {
      for (const key of [...keys]) {
        const previous = ownedBy.get(key);
        if (previous === undefined || previous.has(memberId)) continue;
        const ownerKeepsNone = [...previous].some((o) => assigned.has(o) && !assigned.get(o)!.has(key));
        if (ownerKeepsNone) keys.delete(key);
      }
    }
    return new Map([...assigned].map(([memberId, keys]) => [memberId, groupByTopic([...keys].map(parseTpKey))]));
  }
}

/** Every existing partition of a subscribed topic → the member ids subscribed to its topic. */
function eligibleMembers(members: MemberSubscription[], partitionsPerTopic: Map<string, number>): Map<string, string[]> {
  const byTopic = new Map<string, string[]>();
  for (const m of members) {
    for (const topic of new Set(m.subscription.topics)) {
      if (!partitionsPerTopic.has(topic)) continue;
      let list = byTopic.get(topic);
      if (list === undefined) byTopic.set(topic, (list = []));
      list.push(m.memberId);
    }
  }
  const out = new Map<string, string[]>();
  for (const topic of [...byTopic.keys()].sort(compareStrings)) {
    const count = partitionsPerTopic.get(topic)!;
    for (let p = 0; p < count; p++) out.set(tpKey(topic, p), byTopic.get(topic)!);
  }
  return out;
}

/** Step 1: the member each partition stays with, from the newest generation's claims. */
function currentOwners(members: MemberSubscription[], eligible: Map<string, string[]>): Map<string, string> {
  const best = new Map<string, { memberId: string | null; generation: number }>();
  for (const m of members) {
    const generation = m.subscription.generationId;
    for (const tp of m.subscription.ownedPartitions) {
      for (const p of tp.partitions) {
        const key = tpKey(tp.topic, p);
        if (!eligible.get(key)?.includes(m.memberId)) continue;
        const claim = best.get(key);
        if (claim === undefined || generation > claim.generation) best.set(key, { memberId: m.memberId, generation });
        else if (generation === claim.generation && claim.memberId !== m.memberId) claim.memberId = null;
      }
    }
  }
  const out = new Map<string, string>();
  for (const [key, claim] of best) if (claim.memberId !== null) out.set(key, claim.memberId);
  return out;
}

/** Who says they own each partition, conflicts and stale generations included. */
function rawOwnership(members: MemberSubscription[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const m of members) {
    for (const tp of m.subscription.ownedPartitions) {
      for (const p of tp.partitions) {
        const key = tpKey(tp.topic, p);
        let set = out.get(key);
        if (set === undefined) out.set(key, (set = new Set()));
        set.add(m.memberId);
      }
    }
  }
  return out;
}

/** The candidate with the fewest partitions; ties go to the earliest in Kafka's member order. */
function leastLoaded(candidates: string[], assigned: Map<string, Set<string>>): string | undefined {
  let best: string | undefined;
  for (const c of candidates) {
    if (best === undefined || assigned.get(c)!.size < assigned.get(best)!.size) best = c;
  }
  return best;
}

/**
 * Step 3. Each move lowers the sum of squared loads by at least 2, so this ends; with equal
 * subscriptions it stops exactly when every load is within one of every other.
 */
function rebalance(
  members: MemberSubscription[],
  eligible: Map<string, string[]>,
  assigned: Map<string, Set<string>>,
  owner: Map<string, string>,
): void {
  for (;;) {
    const byLoad = [...members].sort((a, b) => assigned.get(b.memberId)!.size - assigned.get(a.memberId)!.size || compareMembers(a, b));
    let moved = false;
    for (const from of byLoad) {
      const fromKeys = assigned.get(from.memberId)!;
      // Give up partitions that were not this member's before this round first, then the highest.
      const candidates = [...fromKeys].sort((a, b) => Number(owner.get(a) === from.memberId) - Number(owner.get(b) === from.memberId) || compareTp(b, a));
      for (const key of candidates) {
        const to = leastLoaded(eligible.get(key)!, assigned);
        if (to === undefined || assigned.get(to)!.size >= fromKeys.size - 1) continue;
        fromKeys.delete(key);
        assigned.get(to)!.add(key);
        moved = true;
        break;
      }
      if (moved) break;
    }
    if (!moved) return;
  }
}

function compareTp(a: string, b: string): number {
  const x = parseTpKey(a);
  const y = parseTpKey(b);
  return compareStrings(x.topic, y.topic) || x.partition - y.partition;
}
