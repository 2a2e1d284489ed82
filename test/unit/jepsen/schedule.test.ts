/** The fault schedule depends on its seed alone, covers every kind first when asked, and never cuts off a broker that cannot be. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSchedule } from '../../jepsen/schedule.js';

const BASE = { count: 40, brokers: [1, 2, 3], partitionable: [3] };

test('the same seed gives the same schedule; another seed another one', () => {
  assert.deepEqual(generateSchedule({ ...BASE, seed: 5 }), generateSchedule({ ...BASE, seed: 5 }));
  assert.notDeepEqual(generateSchedule({ ...BASE, seed: 5 }), generateSchedule({ ...BASE, seed: 6 }));
});

test('faults are within bounds: steps in order, partitions only of partitionable brokers, holds and quiets in range', () => {
  const s = generateSchedule({ ...BASE, seed: 1, holdMs: { min: 100, max: 200 }, quietMs: { min: 10, max: 20 } });
  assert.deepEqual(s.map((f) => f.step), Array.from({ length: 40 }, (_, i) => i));
  for (const f of s) {
    assert.ok(BASE.brokers.includes(f.broker));
    if (f.kind === 'partition') assert.equal(f.broker, 3);
    assert.ok(f.holdMs >= 100 && f.holdMs <= 200 && f.quietMs >= 10 && f.quietMs <= 20);
  }
  assert.deepEqual(new Set(s.map((f) => f.kind)), new Set(['kill', 'pause', 'partition']));
});

test('coverKinds puts one fault of every kind first; with no partitionable broker there is no partition', () => {
  for (let seed = 0; seed < 20; seed++) {
    assert.deepEqual(new Set(generateSchedule({ ...BASE, seed, count: 3, coverKinds: true }).map((f) => f.kind)), new Set(['kill', 'pause', 'partition']));
    const none = generateSchedule({ ...BASE, seed, partitionable: [], coverKinds: true });
    assert.ok(none.every((f) => f.kind !== 'partition'));
    assert.deepEqual(new Set(none.slice(0, 2).map((f) => f.kind)), new Set(['kill', 'pause']));
  }
});
