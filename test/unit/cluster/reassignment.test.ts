import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alterIsr, leaveIsr, partitionChange } from '../../../src/cluster/partition-changes.js';
import { brokerMap } from '../../../src/cluster/placement.js';
import { alterPartitionReassignments, cancelReassignment, listPartitionReassignments, startReassignment } from '../../../src/cluster/reassignment.js';
import { ReplicationQuota, listsReplica } from '../../../src/cluster/replication-throttle.js';
import type { PartitionState } from '../../../src/cluster/store/types.js';
import { ManualClock } from '../../../src/platform/clock.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { createTopic, registration, state, testCluster } from '../../helpers/cluster-store.js';

const brokers = (...ids: number[]) => new Map(ids.map((id) => [id, registration(id)]));
const at = (replicas: number[], isr = replicas, leader = isr[0]!, extra: Partial<PartitionState> = {}): PartitionState => ({ replicas, isr, leader, leaderEpoch: 3, partitionEpoch: 7, ...extra });

test('a reassignment lists the target first, adds its new brokers and removes the old ones (KIP-455)', () => {
  assert.deepEqual(startReassignment(at([1, 2]), [3, 4]), { replicas: [3, 4, 1, 2], isr: [1, 2], leader: 1, leaderEpoch: 3, addingReplicas: [3, 4], removingReplicas: [1, 2] });
  assert.deepEqual(startReassignment(at([1, 2]), [2, 1]), { replicas: [2, 1], isr: [1, 2], leader: 1, leaderEpoch: 3 }, 'a reorder is no reassignment');
  assert.equal(startReassignment(at([1, 2]), [1, 2]), null, 'the same list changes nothing');
});

test('the reassignment completes once every adding replica is in sync: the removed ones leave, a removed leader hands over with a new epoch', () => {
  const moving = at([3, 4, 1, 2], [1, 2], 1, { addingReplicas: [3, 4], removingReplicas: [1, 2] });
  assert.equal(partitionChange(moving, brokers(1, 2, 3, 4), 'online'), null, 'nothing to do while the new replicas copy');
  const caughtUp = { ...moving, isr: [1, 2, 3, 4] };
  assert.deepEqual(partitionChange(caughtUp, brokers(1, 2, 3, 4), 'online'), { replicas: [3, 4], isr: [3, 4], leader: 3, leaderEpoch: 4 });
  const kept = at([1, 3, 2], [1, 2, 3], 1, { addingReplicas: [3], removingReplicas: [2] });
  assert.deepEqual(partitionChange(kept, brokers(1, 2, 3), 'online'), { replicas: [1, 3], isr: [1, 3], leader: 1, leaderEpoch: 3 }, 'a leader that stays keeps its epoch');
  const shrink = startReassignment(at([1, 2, 3]), [1, 2])!;
  assert.deepEqual(partitionChange({ ...shrink, partitionEpoch: 7 }, brokers(1, 2, 3), 'online'), { replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 3 }, 'removing only completes at once');
});

test('cancelling reverts to the replicas before the move; a leader among the adding ones hands back; an ISR of adding replicas only cannot be reverted', () => {
  const moving = at([3, 1, 2], [1, 2, 3], 3, { addingReplicas: [3], removingReplicas: [] });
  const reverted = cancelReassignment(moving);
  assert.notEqual(typeof reverted, 'string');
  const next = partitionChange({ ...(reverted as PartitionState), partitionEpoch: 7 }, brokers(1, 2, 3), 'online');
  assert.deepEqual(next, { replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 4 });
  assert.equal(typeof cancelReassignment(at([3, 1], [3], 3, { addingReplicas: [3], removingReplicas: [1] })), 'string');
});

test('an ISR change keeps the reassignment in progress; a replica that lost its log leaves the ISR, and with nothing else in sync the partition goes offline', async () => {
  const c = await testCluster([1, 2, 3]);
  await createTopic(c.view(1), 't', [state([1, 2])]);
  const [r] = await alterPartitionReassignments(c.view(1), [{ topic: 't', partitions: [{ partitionIndex: 0, replicas: [1, 2, 3] }] }]);
  assert.deepEqual(r!.partitions, [{ partitionIndex: 0, errorCode: 0, errorMessage: null }]);
  assert.equal(await alterIsr(c.view(1), { topic: 't', partition: 0, leaderId: 1, leaderEpoch: 0, isr: [1] }), 'ok');
  assert.deepEqual(c.view(2).partition('t', 0)!.addingReplicas, [3], 'the shrink kept the reassignment');
  assert.deepEqual(listPartitionReassignments(c.view(2), null), [{ name: 't', partitions: [{ partitionIndex: 0, replicas: [1, 2, 3], addingReplicas: [3], removingReplicas: [] }] }]);
  assert.deepEqual(leaveIsr(at([1, 2], [1, 2], 1), 1, brokers(1, 2)), { replicas: [1, 2], isr: [2], leader: 2, leaderEpoch: 4 });
  assert.deepEqual(leaveIsr(at([1, 2], [1, 2], 2), 1, brokers(1, 2)), { replicas: [1, 2], isr: [2], leader: 2, leaderEpoch: 3 });
  assert.deepEqual(leaveIsr(at([1, 2], [1], 1), 1, brokers(1, 2)), { replicas: [1, 2], isr: [], leader: -1, leaderEpoch: 4 });
  assert.equal(leaveIsr(at([1, 2], [2], 2), 1, brokers(1, 2)), null);
});

test('AlterPartitionReassignments refuses what Kafka refuses, with its messages', async () => {
  const c = await testCluster([1, 2]);
  await createTopic(c.view(1), 't', [state([1, 2])]);
  const ask = async (topic: string, partitionIndex: number, replicas: number[] | null) =>
    (await alterPartitionReassignments(c.view(1), [{ topic, partitions: [{ partitionIndex, replicas }] }]))[0]!.partitions[0]!;
  assert.deepEqual(await ask('nope', 0, [1]), { partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'Unable to find a topic named nope.' });
  assert.deepEqual(await ask('t', 5, [1]), { partitionIndex: 5, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'Unable to find partition t:5.' });
  assert.equal((await ask('t', 0, [1, 7])).errorMessage, 'The manual partition assignment includes broker 7, but no such broker is registered.');
  assert.equal((await ask('t', 0, [])).errorMessage, 'The manual partition assignment includes an empty replica list.');
  assert.equal((await ask('t', 0, [2, 2])).errorMessage, 'The manual partition assignment includes the broker 2 more than once.');
  assert.deepEqual(await ask('t', 0, null), { partitionIndex: 0, errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage: null });
  assert.deepEqual(brokerMap(c.view(1)).size, 2);
});

test('replication throttles: partition:broker lists and *, and a rate over a sliding window', () => {
  assert.equal(listsReplica('0:1,1:2', 1, 2), true);
  assert.equal(listsReplica('0:1,1:2', 1, 1), false);
  assert.equal(listsReplica('*', 9, 9), true);
  assert.equal(listsReplica('', 0, 1), false);
  const clock = new ManualClock();
  let rate = 1000;
  const q = new ReplicationQuota(clock, { rate: () => rate, windowSamples: () => 11, sampleMs: () => 1000 });
  assert.equal(q.exceeded(), false);
  q.record(10_000);
  assert.equal(q.exceeded(), false, '10 000 bytes over the 10 s floor is 1000 B/s: at the rate, not above');
  q.record(1);
  assert.equal(q.exceeded(), true);
  clock.advance(11_000);
  assert.equal(q.exceeded(), false, 'the window slid past the bytes');
  q.record(50_000);
  rate = 9223372036854775807;
  assert.equal(q.exceeded(), false, 'no rate set: never throttled');
});
