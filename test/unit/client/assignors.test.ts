import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flatten, tpKey, type GroupAssignment, type MemberSubscription, type PartitionAssignor } from '../../../src/client/group/assignor.js';
import { RangeAssignor } from '../../../src/client/group/range-assignor.js';
import { CooperativeStickyAssignor } from '../../../src/client/group/cooperative-sticky-assignor.js';
import type { TopicPartitions } from '../../../src/client/group/consumer-protocol.js';
import { randomInt, seededRandom } from '../../helpers/random.js';

function member(memberId: string, topics: string[], owned: TopicPartitions[] = [], generationId = -1, groupInstanceId: string | null = null): MemberSubscription {
  return { memberId, groupInstanceId, subscription: { topics, userData: null, ownedPartitions: owned, generationId, rackId: null } };
}

const counts = (o: Record<string, number>): Map<string, number> => new Map(Object.entries(o));
const partitionsOf = (a: GroupAssignment, memberId: string): string[] => flatten(a.get(memberId) ?? []).map((tp) => `${tp.topic}-${tp.partition}`);

/** Every partition of every subscribed topic is assigned to exactly one member subscribed to it. */
function assertExactlyOnce(a: GroupAssignment, members: MemberSubscription[], partitionsPerTopic: Map<string, number>): void {
  const seen = new Map<string, string>();
  for (const [memberId, list] of a) {
    const m = members.find((x) => x.memberId === memberId)!;
    for (const tp of flatten(list)) {
      const key = tpKey(tp.topic, tp.partition);
      assert.ok(!seen.has(key), `${tp.topic}-${tp.partition} assigned to ${seen.get(key)} and ${memberId}`);
      assert.ok(m.subscription.topics.includes(tp.topic), `${memberId} got ${tp.topic} without subscribing`);
      assert.ok(tp.partition < (partitionsPerTopic.get(tp.topic) ?? 0), `${tp.topic}-${tp.partition} does not exist`);
      seen.set(key, memberId);
    }
  }
  const subscribed = new Set(members.flatMap((m) => m.subscription.topics));
  for (const [topic, n] of partitionsPerTopic) {
    if (!subscribed.has(topic)) continue;
    for (let p = 0; p < n; p++) assert.ok(seen.has(tpKey(topic, p)), `${topic}-${p} was not assigned`);
  }
}

function loads(a: GroupAssignment): number[] {
  return [...a.values()].map((l) => flatten(l).length);
}

function assertBalanced(a: GroupAssignment): void {
  const l = loads(a);
  assert.ok(Math.max(...l) - Math.min(...l) <= 1, `unbalanced: ${l.join(',')}`);
}

/** Feeds an assignment back as the members' owned partitions of the next generation. */
function asOwned(members: MemberSubscription[], a: GroupAssignment, generationId: number): MemberSubscription[] {
  return members.map((m) => member(m.memberId, m.subscription.topics, a.get(m.memberId) ?? [], generationId, m.groupInstanceId));
}

// ---- range ----

test("range: Kafka's worked example — 2 topics of 3 partitions over 2 members", () => {
  const a = new RangeAssignor().assign({ members: [member('C1', ['t0', 't1']), member('C0', ['t0', 't1'])], partitionsPerTopic: counts({ t0: 3, t1: 3 }) });
  assert.deepEqual(partitionsOf(a, 'C0'), ['t0-0', 't0-1', 't1-0', 't1-1']);
  assert.deepEqual(partitionsOf(a, 'C1'), ['t0-2', 't1-2']);
});

test('range: 7 partitions over 3 members are 0–2, 3–4, 5–6; static members come first', () => {
  const a = new RangeAssignor().assign({
    members: [member('a', ['t']), member('b', ['t']), member('z', ['t'], [], -1, 'instance-1')],
    partitionsPerTopic: counts({ t: 7 }),
  });
  assert.deepEqual(partitionsOf(a, 'z'), ['t-0', 't-1', 't-2']);
  assert.deepEqual(partitionsOf(a, 'a'), ['t-3', 't-4']);
  assert.deepEqual(partitionsOf(a, 'b'), ['t-5', 't-6']);
});

test('range: members only get topics they subscribe to; missing topics are skipped; more members than partitions', () => {
  const members = [member('a', ['x', 'y']), member('b', ['y']), member('c', ['y', 'gone']), member('d', ['y'])];
  const a = new RangeAssignor().assign({ members, partitionsPerTopic: counts({ x: 2, y: 3 }) });
  assert.deepEqual(partitionsOf(a, 'a'), ['x-0', 'x-1', 'y-0']);
  assert.deepEqual(partitionsOf(a, 'b'), ['y-1']);
  assert.deepEqual(partitionsOf(a, 'c'), ['y-2']);
  assert.deepEqual(partitionsOf(a, 'd'), []);
  assertExactlyOnce(a, members, counts({ x: 2, y: 3 }));
});

test('range: random groups — every partition exactly once, each topic balanced within 1', () => {
  const rand = seededRandom(7);
  for (let round = 0; round < 200; round++) {
    const topicCount = randomInt(rand, 1, 4);
    const ppt = counts(Object.fromEntries(Array.from({ length: topicCount }, (_, i) => [`t${i}`, randomInt(rand, 1, 12)])));
    const topics = [...ppt.keys()];
    const members = Array.from({ length: randomInt(rand, 1, 6) }, (_, i) => member(`m${i}-${randomInt(rand, 0, 999)}`, topics));
    const a = new RangeAssignor().assign({ members, partitionsPerTopic: ppt });
    assertExactlyOnce(a, members, ppt);
    for (const topic of topics) {
      const perMember = [...a.values()].map((l) => flatten(l).filter((tp) => tp.topic === topic).length);
      assert.ok(Math.max(...perMember) - Math.min(...perMember) <= 1);
    }
  }
});

// ---- cooperative-sticky ----

const sticky = (): PartitionAssignor => new CooperativeStickyAssignor();

test('cooperative-sticky: a fresh group is balanced and covers every partition once', () => {
  const ppt = counts({ a: 5, b: 4 });
  const members = [member('m1', ['a', 'b']), member('m2', ['a', 'b']), member('m3', ['a', 'b'])];
  const a = sticky().assign({ members, partitionsPerTopic: ppt });
  assertExactlyOnce(a, members, ppt);
  assertBalanced(a);
});

test('cooperative-sticky: when a member leaves, the others keep every partition they had', () => {
  const ppt = counts({ t: 10, u: 3 });
  let members = ['m1', 'm2', 'm3', 'm4'].map((id) => member(id, ['t', 'u']));
  const first = sticky().assign({ members, partitionsPerTopic: ppt });
  members = asOwned(members, first, 1).filter((m) => m.memberId !== 'm2');
  const second = sticky().assign({ members, partitionsPerTopic: ppt });
  assertExactlyOnce(second, members, ppt);
  assertBalanced(second);
  for (const m of members) {
    for (const tp of partitionsOf(first, m.memberId)) assert.ok(partitionsOf(second, m.memberId).includes(tp), `${m.memberId} lost ${tp}`);
  }
});

test('cooperative-sticky: a joining member gets partitions in two rounds, revoked from their owners first', () => {
  const ppt = counts({ t: 6 });
  const old = [member('m1', ['t'], [{ topic: 't', partitions: [0, 1, 2, 3, 4, 5] }], 3)];
  const joined = [...old, member('m2', ['t'])];
  // Round 1: m1 keeps what stays with it; what must move to m2 is given to nobody yet.
  const r1 = sticky().assign({ members: joined, partitionsPerTopic: ppt });
  assert.equal(partitionsOf(r1, 'm1').length, 3);
  assert.deepEqual(partitionsOf(r1, 'm2'), []);
  // Round 2: m1 revoked the rest and rejoined owning 3; m2 now gets them.
  const r2 = sticky().assign({ members: asOwned(joined, r1, 4), partitionsPerTopic: ppt });
  assertExactlyOnce(r2, joined, ppt);
  assertBalanced(r2);
  assert.deepEqual(partitionsOf(r2, 'm1'), partitionsOf(r1, 'm1'));
});

test('cooperative-sticky: a claim from an older generation loses to the newer; equal claims leave it unowned', () => {
  const ppt = counts({ t: 2 });
  const members = [member('m1', ['t'], [{ topic: 't', partitions: [0, 1] }], 2), member('m2', ['t'], [{ topic: 't', partitions: [0] }], 5)];
  const a = sticky().assign({ members, partitionsPerTopic: ppt });
  // m2's newer claim on t-0 stands, so m1 keeps t-1 and gives up t-0 (it was m2's anyway).
  assert.deepEqual(partitionsOf(a, 'm2'), ['t-0']);
  assert.deepEqual(partitionsOf(a, 'm1'), ['t-1']);
});

test('cooperative-sticky: unequal subscriptions — everything assigned once to a subscriber', () => {
  const ppt = counts({ x: 4, y: 4, z: 2 });
  const members = [member('a', ['x']), member('b', ['x', 'y']), member('c', ['y', 'z']), member('d', ['z'])];
  const a = sticky().assign({ members, partitionsPerTopic: ppt });
  assertExactlyOnce(a, members, ppt);
});

test('cooperative-sticky: random membership changes over many generations stay exact, balanced and sticky', () => {
  const rand = seededRandom(2024);
  for (let run = 0; run < 30; run++) {
    const ppt = counts({ a: randomInt(rand, 1, 16), b: randomInt(rand, 0, 8) });
    const topics = ['a', 'b'];
    let nextId = 0;
    let members = Array.from({ length: randomInt(rand, 1, 5) }, () => member(`m${nextId++}`, topics));
    let generation = 1;
    let current = sticky().assign({ members, partitionsPerTopic: ppt });
    for (let step = 0; step < 8; step++) {
      // Settle cooperative second rounds first: assign until nothing is left out.
      for (let settle = 0; settle < 3; settle++) {
        members = asOwned(members, current, generation++);
        current = sticky().assign({ members, partitionsPerTopic: ppt });
      }
      assertExactlyOnce(current, members, ppt);
      assertBalanced(current);
      const before = current;
      if (members.length > 1 && rand() < 0.5) {
        const leaving = members[randomInt(rand, 0, members.length - 1)]!.memberId;
        members = asOwned(members, before, generation++).filter((m) => m.memberId !== leaving);
        current = sticky().assign({ members, partitionsPerTopic: ppt });
        assertExactlyOnce(current, members, ppt);
        assertBalanced(current);
        for (const m of members) {
          for (const tp of partitionsOf(before, m.memberId)) assert.ok(partitionsOf(current, m.memberId).includes(tp), `after a leave, ${m.memberId} lost ${tp}`);
        }
      } else {
        members = [...asOwned(members, before, generation++), member(`m${nextId++}`, topics)];
        current = sticky().assign({ members, partitionsPerTopic: ppt });
        // In the first round after a join, nobody gains a partition someone else still owns.
        for (const m of members) {
          for (const tp of partitionsOf(current, m.memberId)) {
            const owner = members.find((o) => partitionsOf(before, o.memberId).includes(tp));
            assert.ok(owner === undefined || owner.memberId === m.memberId, `${tp} moved from ${owner?.memberId} to ${m.memberId} without a revocation`);
          }
        }
      }
    }
  }
});
