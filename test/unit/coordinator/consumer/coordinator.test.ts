// KIP-848 groups in the coordinator, with a ManualClock: session and rebalance timeouts, replay of
// the records into a new coordinator, deletion of an empty group.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../../src/platform/clock.js';
import { silentLogger } from '../../../../src/util/logger.js';
import { ErrorCode } from '../../../../src/protocol/errors.js';
import { GroupCoordinator } from '../../../../src/coordinator/group/coordinator.js';
import { groupCoordinatorConfig } from '../../../../src/coordinator/group/config.js';
import type { ConsumerHeartbeatArgs } from '../../../../src/coordinator/group/consumer/heartbeat.js';
import { MemoryOffsetsTopic } from '../helpers.js';

const T = 'AAAAAAAAAAAAAAAAAAAAAQ';
const topics = { all: () => [{ name: 't', topicId: T, partitions: 4 }] };

async function coordinator(topic: MemoryOffsetsTopic, clock: ManualClock): Promise<GroupCoordinator> {
  const c = new GroupCoordinator({ config: groupCoordinatorConfig({ 'offsets.topic.num.partitions': '4' }), clock, logger: silentLogger, topic, topics });
  c.start();
  await c.loaded();
  return c;
}

const args = (over: Partial<ConsumerHeartbeatArgs>): ConsumerHeartbeatArgs => ({
  groupId: 'g', memberId: 'm1', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 60_000, subscribedTopicNames: ['t'], subscribedTopicRegex: null,
  serverAssignor: null, ownedTopicPartitions: [], clientId: 'c', clientHost: '/h', apiVersion: 1, ...over,
});
const owned = (a: Map<string, number[]> | null) => (a === null ? [] : [...a].map(([topicId, partitions]) => ({ topicId, partitions })));

async function settle(c: GroupCoordinator, clock: ManualClock, ms: number): Promise<void> {
  clock.advance(ms);
  for (let i = 0; i < 3; i++) {
    await c.whenIdle();
    clock.advance(0);
  }
}

/** Two members, reconciled: m1 had everything and gave half to m2. */
async function twoMembers(c: GroupCoordinator, m1Rebalance = 60_000) {
  const a = await c.consumerGroupHeartbeat(args({ rebalanceTimeoutMs: m1Rebalance }));
  const b = await c.consumerGroupHeartbeat(args({ memberId: 'm2' }));
  assert.deepEqual([a.memberEpoch, b.memberEpoch], [1, 2]);
  return { a, b };
}

test('a member without heartbeats for group.consumer.session.timeout.ms (45 s) is removed and the epoch bumps', async () => {
  const clock = new ManualClock();
  const c = await coordinator(new MemoryOffsetsTopic(4), clock);
  const { a } = await twoMembers(c);
  const a2 = await c.consumerGroupHeartbeat(args({ memberEpoch: 1, ownedTopicPartitions: owned(a.assignment) }));
  const kept = owned(a2.assignment);
  await c.consumerGroupHeartbeat(args({ memberEpoch: 1, ownedTopicPartitions: kept }));
  await settle(c, clock, 40_000);
  const b = await c.consumerGroupHeartbeat(args({ memberId: 'm2', memberEpoch: 2, ownedTopicPartitions: [] }));
  assert.equal(b.errorCode, 0);
  await settle(c, clock, 6_000);
  const d = c.consumerGroupDescribe('g');
  assert.deepEqual(d.members.map((m) => m.memberId), ['m2']);
  assert.equal(d.groupEpoch, 3);
  const b2 = await c.consumerGroupHeartbeat(args({ memberId: 'm2', memberEpoch: 2, ownedTopicPartitions: owned(b.assignment) }));
  assert.deepEqual([b2.memberEpoch, b2.assignment?.get(T)], [3, [0, 1, 2, 3]]);
  await c.stop();
});

test('a member that does not revoke within its rebalance timeout is removed, and its partitions go to the others', async () => {
  const clock = new ManualClock();
  const c = await coordinator(new MemoryOffsetsTopic(4), clock);
  const { a } = await twoMembers(c, 1_000);
  // m1 is asked to revoke and never comes back.
  const asked = await c.consumerGroupHeartbeat(args({ memberEpoch: 1, rebalanceTimeoutMs: 1_000, ownedTopicPartitions: owned(a.assignment) }));
  assert.equal(asked.memberEpoch, 1);
  await settle(c, clock, 1_001);
  assert.deepEqual(c.consumerGroupDescribe('g').members.map((m) => m.memberId), ['m2']);
  const b = await c.consumerGroupHeartbeat(args({ memberId: 'm2', memberEpoch: 2, ownedTopicPartitions: [] }));
  assert.deepEqual(b.assignment?.get(T), [0, 1, 2, 3]);
  await c.stop();
});

test('a new coordinator over the same log replays the group exactly; an empty group is deleted with its records', async () => {
  const clock = new ManualClock();
  const topic = new MemoryOffsetsTopic(4);
  const c = await coordinator(topic, clock);
  const { a } = await twoMembers(c);
  await c.consumerGroupHeartbeat(args({ memberEpoch: 1, ownedTopicPartitions: owned(a.assignment) }));
  const before = c.consumerGroupDescribe('g');
  await c.stop();
  const c2 = await coordinator(topic, clock);
  assert.deepEqual(c2.consumerGroupDescribe('g'), before);
  assert.deepEqual(c2.listGroups([], []).groups, [{ groupId: 'g', protocolType: 'consumer', state: 'Reconciling', type: 'consumer' }]);
  assert.equal(await c2.deleteGroup('g'), ErrorCode.NON_EMPTY_GROUP);
  for (const memberId of ['m1', 'm2']) assert.equal((await c2.consumerGroupHeartbeat(args({ memberId, memberEpoch: -1 }))).errorCode, 0);
  assert.equal(c2.consumerGroupDescribe('g').groupState, 'Empty');
  assert.equal(await c2.deleteGroup('g'), ErrorCode.NONE);
  assert.equal(c2.consumerGroupDescribe('g').errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  await c2.stop();
  const c3 = await coordinator(topic, clock);
  assert.equal(c3.consumerGroupDescribe('g').errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  assert.deepEqual(c3.listGroups([], []).groups, []);
  await c3.stop();
});
