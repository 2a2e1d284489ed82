import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assignReplicas, initialPartitionState, manualPartitionStates, placeNewPartitions, placePartitions, rackAlternatedBrokers } from '../../../src/cluster/placement.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { createTopic, registration, state, testCluster } from '../../helpers/cluster-store.js';
import { seededRandom } from '../../helpers/random.js';

const brokers = (n: number, rack?: (i: number) => string) => Array.from({ length: n }, (_, i) => ({ nodeId: i + 1, rack: rack ? rack(i) : null }));

function countBy(values: number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

test('every broker leads the same number of partitions and holds the same number of replicas, all distinct per partition', () => {
  for (const seed of [1, 2, 3, 42]) {
    const placed = assignReplicas(brokers(6), 60, 3, seededRandom(seed));
    assert.equal(placed.length, 60);
    for (const r of placed) assert.equal(new Set(r).size, 3, `replicas ${r} distinct`);
    assert.deepEqual([...countBy(placed.map((r) => r[0]!)).values()], [10, 10, 10, 10, 10, 10]);
    assert.deepEqual([...countBy(placed.flat()).values()].sort(), [30, 30, 30, 30, 30, 30]);
    // The followers of one broker's partitions spread over the others, not always the same pair.
    const followersOf1 = new Set(placed.filter((r) => r[0] === 1).map((r) => r.slice(1).join(',')));
    assert.ok(followersOf1.size > 1, `broker 1's followers vary: ${[...followersOf1]}`);
  }
});

test('placement is replayed by its seed and starts elsewhere with another', () => {
  assert.deepEqual(assignReplicas(brokers(5), 10, 2, seededRandom(7)), assignReplicas(brokers(5), 10, 2, seededRandom(7)));
  const firstLeaders = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => assignReplicas(brokers(5), 1, 1, seededRandom(seed))[0]![0]));
  assert.ok(firstLeaders.size > 1, 'the start index is random');
});

test("Kafka's documented rack-aware example: the rack-alternated list and the shift after a full round", () => {
  const racks = ['rack1', 'rack3', 'rack3', 'rack2', 'rack2', 'rack1'];
  const bs = racks.map((rack, i) => ({ nodeId: i, rack }));
  assert.deepEqual(rackAlternatedBrokers(bs).map((b) => b.nodeId), [0, 3, 1, 5, 4, 2]);
  const placed = assignReplicas(bs, 7, 3, () => 0);
  assert.deepEqual(placed, [[0, 3, 1], [3, 1, 5], [1, 5, 4], [5, 4, 2], [4, 2, 0], [2, 0, 3], [0, 4, 2]]);
});

test('with racks, a partition never puts two replicas on one rack while there are enough racks', () => {
  for (const seed of [3, 9, 27]) {
    const bs = brokers(9, (i) => `r${i % 3}`);
    const rackOf = new Map(bs.map((b) => [b.nodeId, b.rack]));
    for (const rf of [2, 3]) {
      const placed = assignReplicas(bs, 45, rf, seededRandom(seed));
      for (const r of placed) assert.equal(new Set(r.map((id) => rackOf.get(id))).size, rf, `replicas ${r} on distinct racks`);
      assert.deepEqual([...countBy(placed.map((r) => r[0]!)).values()], [5, 5, 5, 5, 5, 5, 5, 5, 5]);
    }
    // More replicas than racks: every rack gets one, and no broker twice.
    const placed4 = assignReplicas(brokers(6, (i) => `r${i % 3}`), 12, 4, seededRandom(seed));
    for (const r of placed4) assert.equal(new Set(r).size, 4);
  }
});

test("too few usable brokers: Kafka's INVALID_REPLICATION_FACTOR sentences; shutting-down brokers do not count", async () => {
  const c = await testCluster([1, 2, 3]);
  await c.view(3).updateRegistration({ ...registration(3), shuttingDown: true });
  const refused = (rf: number, message: string) =>
    assert.throws(() => placePartitions(c.view(1), 2, rf, seededRandom(1)), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.INVALID_REPLICATION_FACTOR && e.message === message);
  refused(3, 'Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 2 broker(s) are registered.');
  const placed = placePartitions(c.view(1), 4, 2, seededRandom(1));
  for (const p of placed) assert.ok(!p.replicas.includes(3), 'nothing placed on a broker in controlled shutdown');
  assert.deepEqual(placed[0], { replicas: placed[0]!.replicas, isr: placed[0]!.replicas, leader: placed[0]!.replicas[0], leaderEpoch: 0 });
  c.backend.expire(1);
  c.backend.expire(2);
  refused(1, 'Unable to replicate the partition 1 time(s): All brokers are currently fenced.');
});

test('the first state: the ISR is the active replicas and the leader the first of them', async () => {
  const c = await testCluster([1, 2, 3]);
  await c.view(1).updateRegistration({ ...registration(1), shuttingDown: true });
  const b = new Map(c.view(2).brokers().map((r) => [r.nodeId, r]));
  assert.deepEqual(initialPartitionState([1, 2, 3], b), { replicas: [1, 2, 3], isr: [2, 3], leader: 2, leaderEpoch: 0 });
  assert.equal(initialPartitionState([1, 9], b), null);
  assert.throws(() => manualPartitionStates(c.view(2), [[2, 3], [1]], 0), /includes a partition with 1 replica\(s\), but this is not consistent with previous partitions, which have 2/);
  assert.throws(() => manualPartitionStates(c.view(2), [[1]], 4), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.INVALID_REPLICA_ASSIGNMENT && e.message === 'All brokers specified in the manual partition assignment for partition 4 are fenced or in controlled shutdown.');
  assert.throws(() => manualPartitionStates(c.view(2), [[2, 7]]), /includes broker 7, but no such broker is registered/);
});

test("CreatePartitions places new partitions with partition 0's replication factor, or checks the assignments given", async () => {
  const c = await testCluster([1, 2, 3, 4]);
  await createTopic(c.view(1), 't', [state([1, 2]), state([2, 3])]);
  const added = placeNewPartitions(c.view(1), 't', 6, seededRandom(5));
  assert.equal(added.length, 4);
  for (const p of added) assert.equal(new Set(p.replicas).size, 2);
  assert.deepEqual([...countBy(added.map((p) => p.leader)).values()], [1, 1, 1, 1], 'the new partitions continue the round robin');
  assert.throws(() => placeNewPartitions(c.view(1), 't', 4, seededRandom(5), [[1, 2]]), /Attempted to add 2 additional partition\(s\), but only 1 assignment\(s\) were specified\./);
  assert.throws(() => placeNewPartitions(c.view(1), 't', 3, seededRandom(5), [[1, 2, 3]]), /not consistent with previous partitions, which have 2 replica\(s\)/);
  assert.deepEqual(placeNewPartitions(c.view(1), 't', 3, seededRandom(5), [[4, 1]]), [state([4, 1])]);
});
