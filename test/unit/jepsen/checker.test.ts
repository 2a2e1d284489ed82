/**
 * The Jepsen checker over crafted histories: a clean one passes with its counts, and each class
 * of anomaly — lost acknowledged write, duplicate, offsets out of order, two records at one
 * offset, an aborted read, a transaction visible in part — is found, with its evidence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, countByKind, EXAMPLES_PER_KIND_MAX, type AnomalyKind, type History, type ReadRecord } from '../../jepsen/checker.js';

/** Two partitions: idempotent writes i0..i2, committed t0 over both, aborted t1 (its offsets 2 and 1 skipped: the marker follows). */
function cleanHistory(): History {
  const final: ReadRecord[] = [
    { partition: 0, offset: 0, value: 'i0' },
    { partition: 0, offset: 1, value: 't0-0' },
    { partition: 0, offset: 5, value: 'i2' },
    { partition: 1, offset: 0, value: 'i1' },
    { partition: 1, offset: 3, value: 't0-1' },
  ];
  return {
    writes: [
      { value: 'i0', partition: 0, acked: true, offset: 0 },
      { value: 'i1', partition: 1, acked: true, offset: 0 },
      { value: 'i2', partition: 0, acked: true, offset: 5 },
      { value: 'i3', partition: 1, acked: false },
    ],
    txns: [
      { id: 0, records: [{ partition: 0, value: 't0-0' }, { partition: 1, value: 't0-1' }], outcome: 'committed' },
      { id: 1, records: [{ partition: 0, value: 't1-0' }, { partition: 1, value: 't1-1' }], outcome: 'aborted' },
      { id: 2, records: [{ partition: 0, value: 't2-0' }, { partition: 1, value: 't2-1' }], outcome: 'unknown' },
    ],
    consumers: [
      { name: 'group', readCommitted: true, events: [final[0]!, final[3]!, final[1]!, { rewind: true }, final[0]!, final[1]!, final[2]!, final[4]!] },
      { name: 'assigned', readCommitted: true, events: [...final] },
    ],
    final,
  };
}

function kinds(h: History): Partial<Record<AnomalyKind, number>> {
  const n = countByKind(check(h).anomalies);
  return Object.fromEntries(Object.entries(n).filter(([, v]) => v > 0));
}

test('a clean history has no anomalies, and says what it checked', () => {
  const r = check(cleanHistory());
  assert.deepEqual(r.anomalies, []);
  assert.deepEqual(r.counts, { ackedWrites: 3, failedWrites: 1, txnsCommitted: 1, txnsAborted: 1, txnsUnknown: 1, recordsRead: 12, finalRecords: 5 });
});

test('an unknown-outcome transaction visible whole passes; a failed write present once passes', () => {
  const h = cleanHistory();
  h.final.push({ partition: 0, offset: 7, value: 't2-0' }, { partition: 1, offset: 5, value: 't2-1' }, { partition: 1, offset: 6, value: 'i3' });
  assert.deepEqual(check(h).anomalies, []);
});

test('lost: an acknowledged write missing from the final read, or at another offset than acknowledged', () => {
  const h = cleanHistory();
  h.final = h.final.filter((r) => r.value !== 'i2');
  h.consumers = [];
  const r = check(h);
  assert.deepEqual(kinds(h), { lost: 1 });
  assert.match(r.anomalies[0]!.detail, /acknowledged write "i2" \(partition 0 offset 5\) is not in the final read/);

  const moved = cleanHistory();
  moved.consumers = [];
  moved.final.find((x) => x.value === 'i2')!.offset = 6;
  assert.deepEqual(kinds(moved), { lost: 1 });
  assert.match(check(moved).anomalies[0]!.detail, /is at partition 0 offset 6 instead/);
});

test('lost: a record a read_committed consumer read that the log no longer has (truncated after it was visible)', () => {
  const h = cleanHistory();
  h.consumers[1]!.events.push({ partition: 1, offset: 4, value: 'i3' });
  assert.deepEqual(kinds(h), { lost: 1 });
  assert.match(check(h).anomalies[0]!.detail, /assigned read "i3" at partition 1 offset 4, which the final read does not have/);
});

test('duplicate: one value at two offsets, in the log or as a consumer read it', () => {
  const h = cleanHistory();
  h.final.push({ partition: 0, offset: 6, value: 'i2' });
  assert.equal(kinds(h).duplicate, 1);
  assert.match(check(h).anomalies.find((a) => a.kind === 'duplicate')!.detail, /"i2" is in the log at partition 0 offset 5 and at partition 0 offset 6/);

  const read = cleanHistory();
  read.consumers[1]!.events.push({ partition: 1, offset: 9, value: 'i1' });
  assert.equal(kinds(read).duplicate, 1);
});

test('offset-order: a consumer going back in a partition with no rewind declared; after a rewind it may', () => {
  const h = cleanHistory();
  h.consumers[1]!.events.push({ partition: 0, offset: 1, value: 't0-0' });
  assert.deepEqual(kinds(h), { 'offset-order': 1 });
  assert.match(check(h).anomalies[0]!.detail, /assigned read partition 0 offset 1 \("t0-0"\) after offset 5 with no rewind between/);

  const same = cleanHistory();
  same.consumers[1]!.events.push({ partition: 0, offset: 5, value: 'i2' });
  assert.deepEqual(kinds(same), { 'offset-order': 1 }, 'the same offset twice is not strictly increasing');

  const rewound = cleanHistory();
  rewound.consumers[1]!.events.push({ rewind: true, partition: 0 }, { partition: 0, offset: 1, value: 't0-0' });
  assert.deepEqual(check(rewound).anomalies, []);
});

test('offset-conflict: two values at one offset, between consumers or in the final read', () => {
  const h = cleanHistory();
  h.consumers[0]!.events.push({ rewind: true }, { partition: 1, offset: 3, value: 'i3' });
  const r = check(h);
  assert.equal(countByKind(r.anomalies)['offset-conflict'], 1);
  assert.match(r.anomalies.find((a) => a.kind === 'offset-conflict')!.detail, /group read "i3" at partition 1 offset 3, where the final read read "t0-1"/);

  const twice = cleanHistory();
  twice.final.push({ partition: 0, offset: 0, value: 'i9' });
  assert.equal(kinds(twice)['offset-conflict'], 1);
});

test('aborted-read: a read_committed consumer or the final read returning a record of an aborted transaction', () => {
  const h = cleanHistory();
  h.consumers[0]!.events.push({ partition: 1, offset: 4, value: 't1-1' }, { partition: 1, offset: 5, value: 't1-0' });
  assert.deepEqual(kinds(h), { 'aborted-read': 1 }, 'once per transaction and reader, and not also as lost');
  assert.match(check(h).anomalies[0]!.detail, /group \(read_committed\) read "t1-1" of aborted transaction 1 at partition 1 offset 4/);

  const final = cleanHistory();
  final.consumers = [];
  final.final.push({ partition: 0, offset: 2, value: 't1-0' });
  assert.deepEqual(kinds(final), { 'aborted-read': 1 });

  const uncommitted = cleanHistory();
  uncommitted.consumers.push({ name: 'read_uncommitted', readCommitted: false, events: [{ partition: 0, offset: 2, value: 't1-0' }] });
  assert.deepEqual(check(uncommitted).anomalies, [], 'read_uncommitted may see aborted records');
});

test('partial-txn: a committed transaction missing a record, an unknown one visible in part', () => {
  const h = cleanHistory();
  h.final = h.final.filter((r) => r.value !== 't0-1');
  h.consumers = [];
  assert.deepEqual(kinds(h), { 'partial-txn': 1 });
  assert.match(check(h).anomalies[0]!.detail, /committed transaction 0 is missing 1 of its 2 records from the final read \("t0-1" in partition 1\)/);

  const unknown = cleanHistory();
  unknown.final.push({ partition: 0, offset: 7, value: 't2-0' });
  assert.deepEqual(kinds(unknown), { 'partial-txn': 1 });
  assert.match(check(unknown).anomalies[0]!.detail, /transaction 2 of unknown outcome is visible in part: 1 of 2 records/);
});

test('examples are capped per kind, and the count still says how many there were', () => {
  const h = cleanHistory();
  h.consumers = [];
  for (let i = 0; i < 50; i++) h.writes.push({ value: `x${i}`, partition: 0, acked: true });
  const r = check(h);
  assert.equal(r.anomalies.length, EXAMPLES_PER_KIND_MAX + 1);
  assert.equal(countByKind(r.anomalies).lost, 50);
});
