/**
 * The server-side assignors of KIP-848 consumer groups (`group.consumer.assignors`; a member picks
 * one with `serverAssignor`, the group uses the first one's when none does):
 *
 * - `uniform` (Kafka's UniformAssignor, the default): every partition of a subscribed topic goes to
 *   one of its subscribers, partition counts per member differ by at most one among members with
 *   the same subscription, and partitions stay where they are in the previous target assignment
 *   whenever balance allows (sticky). The placement is Samsa's own: the same properties as Kafka's,
 *   not always the same choice of member.
 * - `range` (Kafka's RangeAssignor): per topic, the subscribers in member id order each take a
 *   contiguous range; co-partitioned topics give a member the same partition numbers.
 */
import type { TopicPartitions } from './records.js';

export interface AssignorMember {
  memberId: string;
  /** Topic ids the member subscribes to (that exist). */
  subscribedTopicIds: ReadonlySet<string>;
  /** The member's partitions in the previous target assignment. */
  previous: TopicPartitions;
}

export interface Assignor {
  readonly name: string;
  /** topicId → partition count for every subscribed topic. */
  assign(members: readonly AssignorMember[], topics: ReadonlyMap<string, number>): Map<string, TopicPartitions>;
}

const byId = (a: AssignorMember, b: AssignorMember) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0);

function toTopicPartitions(pairs: Array<[string, number]>): TopicPartitions {
  const out: TopicPartitions = new Map();
  for (const [t, p] of pairs) {
    let ps = out.get(t);
    if (ps === undefined) out.set(t, (ps = []));
    ps.push(p);
  }
  for (const ps of out.values()) ps.sort((a, b) => a - b);
  return out;
}

export const rangeAssignor: Assignor = {
  name: 'range',
  assign(members, topics) {
    const owned = new Map<string, Array<[string, number]>>(members.map((m) => [m.memberId, []]));
    for (const [topicId, count] of [...topics].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const subscribers = members.filter((m) => m.subscribedTopicIds.has(topicId)).sort(byId);
      if (subscribers.length === 0) continue;
      const base = Math.floor(count / subscribers.length);
      const extra = count % subscribers.length;
      let next = 0;
      subscribers.forEach((m, i) => {
        const n = base + (i < extra ? 1 : 0);
        for (let k = 0; k < n; k++) owned.get(m.memberId)!.push([topicId, next++]);
      });
    }
    return new Map([...owned].map(([id, pairs]) => [id, toTopicPartitions(pairs)]));
  },
};

export const uniformAssignor: Assignor = {
  name: 'uniform',
  assign(members, topics) {
    const sorted = [...members].sort(byId);
    const owned = new Map<string, Set<string>>(sorted.map((m) => [m.memberId, new Set()]));
    const ownerOf = new Map<string, string>();
    const key = (t: string, p: number) => `${p}:${t}`;
    const parse = (k: string): [string, number] => {
      const i = k.indexOf(':');
      return [k.slice(i + 1), Number(k.slice(0, i))];
    };
    const eligible = (m: AssignorMember, k: string) => m.subscribedTopicIds.has(parse(k)[0]);
    // 1. Keep what each member had, if it still subscribes and the partition still exists.
    for (const m of sorted) {
      for (const [t, ps] of m.previous) {
        const count = topics.get(t);
        if (count === undefined || !m.subscribedTopicIds.has(t)) continue;
        for (const p of ps) {
          const k = key(t, p);
          if (p < count && !ownerOf.has(k)) {
            ownerOf.set(k, m.memberId);
            owned.get(m.memberId)!.add(k);
          }
        }
      }
    }
    // 2. Each partition nobody holds goes to the eligible member holding the fewest.
    const all: string[] = [];
    for (const [t, count] of [...topics].sort(([a], [b]) => (a < b ? -1 : 1))) for (let p = 0; p < count; p++) all.push(key(t, p));
    all.sort((a, b) => parse(a)[1] - parse(b)[1] || (parse(a)[0] < parse(b)[0] ? -1 : 1));
    for (const k of all) {
      if (ownerOf.has(k)) continue;
      let best: AssignorMember | null = null;
      for (const m of sorted) if (eligible(m, k) && (best === null || owned.get(m.memberId)!.size < owned.get(best.memberId)!.size)) best = m;
      if (best === null) continue;
      ownerOf.set(k, best.memberId);
      owned.get(best.memberId)!.add(k);
    }
    // 3. Move partitions from the fullest members to eligible ones holding two or more fewer.
    for (let moves = 0; moves <= all.length; moves++) {
      let moved = false;
      const bySize = [...sorted].sort((a, b) => owned.get(b.memberId)!.size - owned.get(a.memberId)!.size || byId(a, b));
      outer: for (const from of bySize) {
        const fromSet = owned.get(from.memberId)!;
        for (const to of [...bySize].reverse()) {
          const toSet = owned.get(to.memberId)!;
          if (fromSet.size - toSet.size < 2) break;
          for (const k of [...fromSet].sort().reverse()) {
            if (!eligible(to, k)) continue;
            fromSet.delete(k);
            toSet.add(k);
            ownerOf.set(k, to.memberId);
            moved = true;
            break outer;
          }
        }
      }
      if (!moved) break;
    }
    return new Map([...owned].map(([id, ks]) => [id, toTopicPartitions([...ks].map(parse))]));
  },
};

export const ASSIGNORS: ReadonlyMap<string, Assignor> = new Map([
  [uniformAssignor.name, uniformAssignor],
  [rangeAssignor.name, rangeAssignor],
]);
