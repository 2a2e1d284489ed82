// The server assignors: every subscribed partition assigned once, balance, stickiness, range order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rangeAssignor, uniformAssignor, type AssignorMember } from '../../../../src/coordinator/group/consumer/assignors.js';
import type { TopicPartitions } from '../../../../src/coordinator/group/consumer/records.js';

const member = (memberId: string, topics: string[], previous: TopicPartitions = new Map()): AssignorMember => ({ memberId, subscribedTopicIds: new Set(topics), previous });
const flat = (tp: TopicPartitions | undefined) => [...(tp ?? [])].flatMap(([t, ps]) => ps.map((p) => `${t}${p}`)).sort();

function assertComplete(result: Map<string, TopicPartitions>, topics: Map<string, number>): void {
  const all = [...result.values()].flatMap(flat);
  const want = [...topics].flatMap(([t, n]) => Array.from({ length: n }, (_, p) => `${t}${p}`)).sort();
  assert.deepEqual(all.sort(), want, 'every partition exactly once');
}

test('uniform: balanced within one, every partition once, sticky when a member joins', () => {
  const topics = new Map([['A', 5], ['B', 4]]);
  const first = uniformAssignor.assign([member('m1', ['A', 'B']), member('m2', ['A', 'B'])], topics);
  assertComplete(first, topics);
  assert.deepEqual([...first.values()].map((tp) => flat(tp).length).sort(), [4, 5]);
  const second = uniformAssignor.assign([member('m1', ['A', 'B'], first.get('m1')), member('m2', ['A', 'B'], first.get('m2')), member('m3', ['A', 'B'])], topics);
  assertComplete(second, topics);
  assert.deepEqual([...second.values()].map((tp) => flat(tp).length).sort(), [3, 3, 3]);
  for (const id of ['m1', 'm2']) {
    const kept = flat(second.get(id)).filter((p) => flat(first.get(id)).includes(p));
    assert.equal(kept.length, 3, `${id} keeps 3 of its partitions and only gives up what the new member needs`);
  }
});

test('uniform: members with different subscriptions get only topics they subscribe to', () => {
  const topics = new Map([['A', 3], ['B', 3]]);
  const r = uniformAssignor.assign([member('m1', ['A']), member('m2', ['A', 'B']), member('m3', ['B'])], topics);
  assertComplete(r, topics);
  assert.ok(flat(r.get('m1')).every((p) => p.startsWith('A')));
  assert.ok(flat(r.get('m3')).every((p) => p.startsWith('B')));
  assert.deepEqual([...r.values()].map((tp) => flat(tp).length).sort(), [2, 2, 2]);
});

test('uniform: a member gone, its partitions spread over the others; a deleted topic or a dropped subscription frees its partitions', () => {
  const topics = new Map([['A', 4]]);
  const before = uniformAssignor.assign([member('m1', ['A']), member('m2', ['A'])], topics);
  const after = uniformAssignor.assign([member('m2', ['A'], before.get('m2'))], topics);
  assert.deepEqual(flat(after.get('m2')), ['A0', 'A1', 'A2', 'A3']);
  const gone = uniformAssignor.assign([member('m2', [], after.get('m2'))], new Map());
  assert.deepEqual(flat(gone.get('m2')), []);
});

test('range: contiguous ranges in member id order, the first members taking the extra ones; co-partitioned topics line up', () => {
  const topics = new Map([['A', 5], ['B', 5]]);
  const r = rangeAssignor.assign([member('m2', ['A', 'B']), member('m1', ['A', 'B'])], topics);
  assert.deepEqual(flat(r.get('m1')), ['A0', 'A1', 'A2', 'B0', 'B1', 'B2']);
  assert.deepEqual(flat(r.get('m2')), ['A3', 'A4', 'B3', 'B4']);
  assertComplete(r, topics);
});
