import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Controller, type ControllerOptions, leadershipsOf } from '../../../src/cluster/controller.js';
import { alterIsr } from '../../../src/cluster/partition-changes.js';
import type { MetadataStore, PartitionState } from '../../../src/cluster/store/types.js';
import { ManualClock } from '../../../src/platform/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { createTopic, registration, state, testCluster, type TestCluster } from '../../helpers/cluster-store.js';
import { waitFor } from '../../helpers/wait.js';

const uncleanFromConfig = (store: MetadataStore) => (topic: string) => store.topic(topic)?.configs['unclean.leader.election.enable'] === 'true';

/** A controller per broker, all campaigning in id order, so the lowest live id controls. */
function controllers(c: TestCluster, opts: Partial<ControllerOptions> = {}, clock = new ManualClock()): Controller[] {
  const list: Controller[] = [];
  for (const [id, v] of c.views) {
    const ctl = new Controller({ store: v, nodeId: id, clock, logger: silentLogger, uncleanLeaderElection: uncleanFromConfig(v), ...opts });
    ctl.start();
    v.campaign(id);
    list.push(ctl);
  }
  return list;
}

async function stopAll(list: Controller[]): Promise<void> {
  await Promise.all(list.map((c) => c.stop()));
}

function partitionIs(store: MetadataStore, topic: string, p: number, want: Partial<PartitionState>): () => boolean {
  return () => {
    const s = store.partition(topic, p);
    return s !== undefined && Object.entries(want).every(([k, v]) => JSON.stringify(s[k as keyof PartitionState]) === JSON.stringify(v));
  };
}

test("a dead leader is replaced by the first replica in the ISR, the dead broker leaves every ISR, and a new controller takes over", async () => {
  const c = await testCluster([1, 2, 3]);
  const ctls = controllers(c);
  try {
    const s = c.view(3);
    await createTopic(s, 't', [state([1, 2, 3]), state([2, 3, 1]), state([3, 1, 2], [3, 1])]);
    assert.equal(s.controllerId(), 1);
    c.backend.expire(1); // broker 1, the controller, is gone: broker 2 takes over
    await waitFor('p0 to fail over to 2', partitionIs(s, 't', 0, { leader: 2, isr: [2, 3], leaderEpoch: 1, partitionEpoch: 1 }));
    await waitFor('1 to leave the ISR of p1 and p2', () => partitionIs(s, 't', 1, { leader: 2, isr: [2, 3], leaderEpoch: 0 })() && partitionIs(s, 't', 2, { leader: 3, isr: [3], leaderEpoch: 0 })());
    assert.equal(s.controllerId(), 2);
    await ctls[1]!.idle();
    assert.equal(s.partition('t', 0)!.partitionEpoch, 1, 'one write per change, none repeated');

    // Broker 1 comes back: it rejoins ISRs through its leaders (AlterPartition), not by itself.
    await c.view(1).registerBroker(registration(1));
    await ctls[1]!.idle();
    assert.deepEqual(s.partition('t', 0)!.isr, [2, 3]);
    assert.equal(await alterIsr(c.view(2), { topic: 't', partition: 0, leaderId: 2, leaderEpoch: 1, isr: [2, 3, 1] }), 'ok');
    assert.deepEqual(s.partition('t', 0)!.isr, [2, 3, 1]);
  } finally {
    await stopAll(ctls);
  }
});

test('no live ISR member: the partition goes offline keeping its last ISR member, and that member leads again when it is back', async () => {
  const c = await testCluster([1, 2, 3]);
  const ctls = controllers(c);
  try {
    const s = c.view(1);
    await createTopic(s, 'solo', [state([3]), state([2, 3], [3])]);
    c.backend.expire(3);
    await waitFor('both partitions offline', () => partitionIs(s, 'solo', 0, { leader: -1, isr: [3], leaderEpoch: 1 })() && partitionIs(s, 'solo', 1, { leader: -1, isr: [3], leaderEpoch: 1 })());
    await ctls[0]!.idle();
    assert.equal(s.partition('solo', 1)!.leader, -1, 'broker 2 is live but out of sync: no unclean election by default');
    await c.view(3).registerBroker(registration(3));
    await waitFor('3 to lead again', () => partitionIs(s, 'solo', 0, { leader: 3, isr: [3], leaderEpoch: 2 })() && partitionIs(s, 'solo', 1, { leader: 3, isr: [3], leaderEpoch: 2 })());
  } finally {
    await stopAll(ctls);
  }
});

test('unclean.leader.election.enable: off keeps the partition offline; on makes a live out-of-sync replica leader with the ISR just it', async () => {
  const c = await testCluster([1, 2, 3]);
  const ctls = controllers(c);
  try {
    const s = c.view(1);
    await createTopic(s, 'u', [state([3, 2], [3])]);
    c.backend.expire(3);
    await waitFor('offline', partitionIs(s, 'u', 0, { leader: -1, isr: [3], leaderEpoch: 1 }));
    await ctls[0]!.idle();
    assert.equal(s.partition('u', 0)!.leader, -1);
    await s.updateTopicConfigs('u', { 'unclean.leader.election.enable': 'true' });
    await waitFor('2 to lead after an unclean election', partitionIs(s, 'u', 0, { leader: 2, isr: [2], leaderEpoch: 2 }));
    // Once 3 is back it stays out of the ISR: 2's log is now the truth.
    await c.view(3).registerBroker(registration(3));
    await ctls[0]!.idle();
    assert.ok(partitionIs(s, 'u', 0, { leader: 2, isr: [2], leaderEpoch: 2 })());
  } finally {
    await stopAll(ctls);
  }
});

test('controlled shutdown moves leaderships away and takes the broker out of ISRs; what cannot move goes offline; leadershipsOf empties', async () => {
  const c = await testCluster([1, 2, 3]);
  const ctls = controllers(c);
  try {
    const s = c.view(3);
    await createTopic(s, 'c', [state([2, 1, 3]), state([1, 2, 3]), state([2]), state([3, 2])]);
    assert.deepEqual(leadershipsOf(s, 2), [{ topic: 'c', partition: 0 }, { topic: 'c', partition: 2 }]);
    await c.view(2).updateRegistration({ ...registration(2), shuttingDown: true });
    await waitFor('2 to lead nothing', () => leadershipsOf(s, 2).length === 0);
    await ctls[0]!.idle();
    assert.ok(partitionIs(s, 'c', 0, { leader: 1, isr: [1, 3], leaderEpoch: 1 })());
    assert.ok(partitionIs(s, 'c', 1, { leader: 1, isr: [1, 3], leaderEpoch: 0 })());
    assert.ok(partitionIs(s, 'c', 2, { leader: -1, isr: [2], leaderEpoch: 1 })());
    assert.ok(partitionIs(s, 'c', 3, { leader: 3, isr: [3], leaderEpoch: 0 })());
    // A leader cannot add a broker in controlled shutdown back to its ISR.
    assert.equal(await alterIsr(s, { topic: 'c', partition: 3, leaderId: 3, leaderEpoch: 0, isr: [3, 2] }), 'invalid');
    // The broker ends its shutdown and starts again: its single-replica partition comes back.
    await c.view(2).unregisterBroker(2);
    await c.view(2).registerBroker(registration(2, null, 'inc-2-again'));
    await waitFor('2 to lead c-2 again', partitionIs(s, 'c', 2, { leader: 2, isr: [2], leaderEpoch: 2 }));
  } finally {
    await stopAll(ctls);
  }
});

test('a broker back under a new incarnation while still registered leads nothing on its old log: it is taken out first', async () => {
  const c = await testCluster([1, 2, 3]);
  const ctls = controllers(c);
  try {
    const s = c.view(1);
    await createTopic(s, 'r', [state([3, 2], [3, 2]), state([3])]);
    await ctls[0]!.idle();
    await c.view(3).registerBroker(registration(3, null, 'inc-3-restarted'));
    await waitFor('r-0 to move to 2', partitionIs(s, 'r', 0, { leader: 2, isr: [2], leaderEpoch: 1 }));
    await waitFor('r-1 to be led by the new incarnation under a new epoch', partitionIs(s, 'r', 1, { leader: 3, isr: [3], leaderEpoch: 2 }));
  } finally {
    await stopAll(ctls);
  }
});

test('automatic preferred leader election every leader.imbalance.check.interval.seconds, above leader.imbalance.per.broker.percentage', async () => {
  const c = await testCluster([1, 2]);
  const clock = new ManualClock();
  const ctls = controllers(c, { rebalance: { leaderImbalancePerBrokerPercentage: 10 } }, clock);
  try {
    const s = c.view(2);
    // Ten partitions prefer broker 1; one is led by 2: 10% is not above 10%.
    await createTopic(s, 'b', Array.from({ length: 10 }, (_, p) => (p === 0 ? state([1, 2], [1, 2], 2, 3) : state([1, 2]))));
    await ctls[0]!.idle();
    clock.advance(300_000);
    await ctls[0]!.idle();
    await ctls[0]!.rebalanceLeaders(); // the same check, awaited
    assert.equal(s.partition('b', 0)!.leader, 2, 'within the allowed imbalance');
    // A second one led elsewhere: 20% > 10%, both move back once the check runs.
    assert.equal(await s.compareAndSetPartition('b', 1, 0, state([1, 2], [1, 2], 2, 1)), true);
    await ctls[0]!.idle();
    assert.equal(s.partition('b', 1)!.leader, 2, 'nothing moves before the interval');
    clock.advance(300_000);
    await waitFor('leaderships back on the preferred replica', () => partitionIs(s, 'b', 0, { leader: 1, leaderEpoch: 4 })() && partitionIs(s, 'b', 1, { leader: 1, leaderEpoch: 2 })());
  } finally {
    await stopAll(ctls);
  }
});

test('auto.leader.rebalance.enable=false: leaders stay where they are', async () => {
  const c = await testCluster([1, 2]);
  const clock = new ManualClock();
  const ctls = controllers(c, { rebalance: { autoLeaderRebalanceEnable: false } }, clock);
  try {
    const s = c.view(2);
    await createTopic(s, 'n', [state([1, 2], [1, 2], 2, 1)]);
    clock.advance(3_600_000);
    await ctls[0]!.idle();
    assert.equal(s.partition('n', 0)!.leader, 2);
  } finally {
    await stopAll(ctls);
  }
});

test('a dead broker\'s partitions change in one store write, so other brokers see them move together', async () => {
  const c = await testCluster([1, 2, 3]);
  const s = c.view(3);
  await createTopic(s, 'w', [state([3, 1, 2]), state([1, 3, 2]), state([2, 3, 1]), state([3, 2, 1])]);
  const writes: number[] = [];
  // The controller is broker 1's; count how many partitions each of its writes carries.
  const v1 = c.view(1);
  const together = v1.compareAndSetPartitions.bind(v1);
  v1.compareAndSetPartitions = async (changes) => {
    writes.push(changes.length);
    return together(changes);
  };
  const ctls = controllers(c);
  try {
    await ctls[0]!.idle();
    writes.length = 0;
    c.backend.expire(3);
    await waitFor('3 to leave every ISR', () => [0, 1, 2, 3].every((p) => !s.partition('w', p)!.isr.includes(3)));
    await ctls[0]!.idle();
    assert.deepEqual(writes, [4], 'one write for the four partitions');
    assert.equal(s.partition('w', 0)!.leader, 1);
    assert.equal(s.partition('w', 3)!.leader, 2);
  } finally {
    await stopAll(ctls);
  }
});
