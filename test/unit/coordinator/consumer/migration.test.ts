// Online migration (KIP-848) in the coordinator, with a ManualClock: a classic group upgraded by a
// ConsumerGroupHeartbeat, its classic members working through JoinGroup/SyncGroup/Heartbeat, the
// converted group replayed by a new coordinator, the downgrade when the consumer member leaves,
// and `disabled` keeping today's errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../../src/platform/clock.js';
import { silentLogger } from '../../../../src/util/logger.js';
import { ErrorCode } from '../../../../src/protocol/errors.js';
import { GroupCoordinator } from '../../../../src/coordinator/group/coordinator.js';
import { groupCoordinatorConfig } from '../../../../src/coordinator/group/config.js';
import type { ConsumerHeartbeatArgs } from '../../../../src/coordinator/group/consumer/heartbeat.js';
import type { JoinResult } from '../../../../src/coordinator/group/member.js';
import { assignmentPartitions, encodeMemberAssignment } from '../../../../src/coordinator/group/consumer-protocol.js';
import { MemoryOffsetsTopic, joinArgs, subscription } from '../helpers.js';

const T = 'AAAAAAAAAAAAAAAAAAAAAQ';
const topics = { all: () => [{ name: 't', topicId: T, partitions: 4 }] };
let uuid = 0;

async function coordinator(topic: MemoryOffsetsTopic, clock: ManualClock, raw: Record<string, string> = {}): Promise<GroupCoordinator> {
  const config = groupCoordinatorConfig({ 'offsets.topic.num.partitions': '4', 'group.initial.rebalance.delay.ms': '0', ...raw });
  const c = new GroupCoordinator({ config, clock, logger: silentLogger, topic, topics, newUuid: () => `u${++uuid}` });
  c.start();
  await c.loaded();
  return c;
}

const cgh = (over: Partial<ConsumerHeartbeatArgs>): ConsumerHeartbeatArgs => ({
  groupId: 'g', memberId: 'm3', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 60_000, subscribedTopicNames: ['t'], subscribedTopicRegex: null,
  serverAssignor: null, ownedTopicPartitions: [], clientId: 'c', clientHost: '/h', apiVersion: 1, ...over,
});
const parts = (b: Buffer) => assignmentPartitions(b)!.flatMap((t) => t.partitions).sort();

async function idle(c: GroupCoordinator, clock: ManualClock, ms = 0): Promise<void> {
  await c.whenIdle();
  clock.advance(ms);
  for (let i = 0; i < 3; i++) {
    await c.whenIdle();
    clock.advance(0);
  }
}

/** A Stable classic group: a has partitions 0–1, b has 2–3, at generation 1. */
async function classicGroup(c: GroupCoordinator, clock: ManualClock): Promise<[JoinResult, JoinResult]> {
  const ja = c.joinGroup(joinArgs({ clientId: 'a' }));
  const jb = c.joinGroup(joinArgs({ clientId: 'b' }));
  await idle(c, clock);
  const [a, b] = [await ja, await jb];
  assert.deepEqual([a.errorCode, b.errorCode, a.generationId], [0, 0, 1]);
  const [leader, follower] = a.leader === a.memberId ? [a, b] : [b, a];
  const assignments = [
    { memberId: a.memberId, assignment: encodeMemberAssignment([{ topic: 't', partitions: [0, 1] }], 0) },
    { memberId: b.memberId, assignment: encodeMemberAssignment([{ topic: 't', partitions: [2, 3] }], 0) },
  ];
  const fs = c.syncGroup({ groupId: 'g', generationId: 1, memberId: follower.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
  await c.syncGroup({ groupId: 'g', generationId: 1, memberId: leader.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments });
  await fs;
  return [a, b];
}

const hb = (c: GroupCoordinator, memberId: string, generationId: number) => c.heartbeat({ groupId: 'g', generationId, memberId, groupInstanceId: null });
const rejoin = (c: GroupCoordinator, memberId: string) => c.joinGroup(joinArgs({ memberId, clientId: 'x' }));
const syncOf = (c: GroupCoordinator, memberId: string, generationId: number) =>
  c.syncGroup({ groupId: 'g', generationId, memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });

test('upgrade: a ConsumerGroupHeartbeat converts a Stable classic group in place, its members keep their partitions and rejoin through JoinGroup; a restart replays it', async () => {
  const clock = new ManualClock();
  const topic = new MemoryOffsetsTopic(4);
  const c = await coordinator(topic, clock);
  const [a, b] = await classicGroup(c, clock);
  const m3 = await c.consumerGroupHeartbeat(cgh({}));
  assert.equal(m3.errorCode, 0);
  // The new member waits: every partition is still held by a classic member.
  assert.deepEqual([m3.memberEpoch, m3.assignment?.size ?? 0], [2, 0]);
  assert.deepEqual(c.listGroups([], []).groups.map((g) => [g.groupId, g.type]), [['g', 'consumer']]);
  let d = c.consumerGroupDescribe('g');
  assert.deepEqual(d.members.map((m) => [m.memberId, m.memberEpoch, m.assignment.topicPartitions[0]?.partitions ?? []]).sort(), [
    [a.memberId, 1, [0, 1]], [b.memberId, 1, [2, 3]], ['m3', 2, []],
  ].sort());
  // Kafka's records: the classic tombstone, then members (with classic metadata), epoch, targets, target epoch, assignments.
  const written = (await topic.records(c.partitionFor('g')!)).slice(-16);
  assert.equal(written[0]!.type === 'group' && written[0]!.value, null);
  const kinds = written.slice(1, 9).map((r) => (r.type === 'consumer' ? r.value.type : r.type));
  assert.deepEqual(kinds, ['cg-member', 'cg-member', 'cg-epoch', 'cg-target-member', 'cg-target-member', 'cg-target-epoch', 'cg-current-assignment', 'cg-current-assignment']);
  const meta = written[1]!.type === 'consumer' && written[1]!.value.type === 'cg-member' ? written[1]!.value.value : null;
  assert.equal(meta?.classicMemberMetadata?.sessionTimeoutMs, 10_000);

  // Classic members learn of the new epoch from their heartbeat and rejoin; eager ones own nothing while they do.
  assert.equal(await hb(c, a.memberId, 1), ErrorCode.REBALANCE_IN_PROGRESS);
  const a2 = await rejoin(c, a.memberId);
  assert.deepEqual([a2.errorCode, a2.generationId, a2.leader, a2.members, a2.protocolName], [0, 2, '', [], 'range']);
  const as = await syncOf(c, a.memberId, 2);
  assert.equal(as.errorCode, 0);
  assert.equal(parts(as.assignment).length <= 2, true);
  assert.equal(await hb(c, b.memberId, 1), ErrorCode.REBALANCE_IN_PROGRESS);
  const b2 = await rejoin(c, b.memberId);
  assert.equal(b2.generationId, 2);
  const bs = await syncOf(c, b.memberId, 2);
  // The consumer member now gets what the classic members gave up.
  const m3b = await c.consumerGroupHeartbeat(cgh({ memberEpoch: 2, ownedTopicPartitions: [] }));
  const held = [...parts(as.assignment), ...parts(bs.assignment), ...(m3b.assignment?.get(T) ?? [])].sort();
  assert.deepEqual(held, [0, 1, 2, 3], 'every partition held exactly once');
  assert.ok((m3b.assignment?.get(T)?.length ?? 0) > 0);
  assert.equal(await hb(c, a.memberId, 2), ErrorCode.NONE);
  // Offsets: a classic member commits with its generation (any version); a stale one is ILLEGAL_GENERATION.
  const commit = (generationId: number) => c.commitOffsets({ groupId: 'g', memberId: a.memberId, generationId, groupInstanceId: null, retentionTimeMs: -1n, apiVersion: 5, offsets: [{ topic: 't', partition: parts(as.assignment)[0] ?? 0, offset: 5n, leaderEpoch: -1, metadata: null }] });
  assert.deepEqual(await commit(2), [0]);
  assert.deepEqual(await commit(1), [ErrorCode.ILLEGAL_GENERATION]);

  d = c.consumerGroupDescribe('g');
  await c.stop();
  const c2 = await coordinator(topic, clock);
  assert.deepEqual(c2.consumerGroupDescribe('g'), d);
  assert.equal(await hb(c2, a.memberId, 2), ErrorCode.NONE);
  await c2.stop();
});

test('downgrade: when the consumer-protocol member leaves, the classic members carry on as a classic group that rebalances; a restart replays it', async () => {
  const clock = new ManualClock();
  const topic = new MemoryOffsetsTopic(4);
  const c = await coordinator(topic, clock);
  const [a, b] = await classicGroup(c, clock);
  await c.consumerGroupHeartbeat(cgh({}));
  const left = await c.consumerGroupHeartbeat(cgh({ memberEpoch: -1 }));
  assert.equal(left.errorCode, 0);
  assert.deepEqual(c.listGroups([], []).groups.map((g) => [g.type, g.state]), [['classic', 'PreparingRebalance']]);
  const last = (await topic.records(c.partitionFor('g')!)).at(-1)!;
  assert.ok(last.type === 'group' && last.value !== null);
  assert.equal(last.value.generation, 2);
  // Each member's assignment is its target in the consumer group (computed with the member that left).
  const d = c.describeGroup('g');
  assert.deepEqual(last.value.members.map((m) => m.memberId).sort(), [a.memberId, b.memberId].sort());
  const targets = last.value.members.flatMap((m) => parts(m.assignment));
  assert.equal(new Set(targets).size, targets.length, 'no partition in two assignments');
  assert.deepEqual(d.members.map((m) => m.memberId).sort(), [a.memberId, b.memberId].sort());
  // They rejoin as classic members and form generation 3.
  const ja = rejoin(c, a.memberId);
  const jb = rejoin(c, b.memberId);
  await idle(c, clock);
  const [a3, b3] = [await ja, await jb];
  assert.deepEqual([a3.errorCode, b3.errorCode, a3.generationId, b3.generationId], [0, 0, 3, 3]);
  assert.equal(c.describeGroup('g').state, 'CompletingRebalance');
  await c.stop();
  const c2 = await coordinator(topic, clock);
  assert.deepEqual(c2.listGroups([], []).groups.map((g) => [g.type, g.state]), [['classic', 'Stable']]);
  await c2.stop();
});

test('a classic member may join a consumer group with members; a consumer member that times out leaves it to the classic ones (downgrade)', async () => {
  const clock = new ManualClock();
  const c = await coordinator(new MemoryOffsetsTopic(4), clock);
  const m = await c.consumerGroupHeartbeat(cgh({ memberId: 'm1' }));
  assert.equal(m.memberEpoch, 1);
  const required = await c.joinGroup(joinArgs({ requireKnownMemberId: true }));
  assert.equal(required.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  const j = await c.joinGroup(joinArgs({ memberId: required.memberId }));
  assert.deepEqual([j.errorCode, j.generationId], [0, 2]);
  assert.equal((await c.joinGroup(joinArgs({ memberId: required.memberId, protocols: [{ name: 'other', metadata: subscription(['t']) }] }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await syncOf(c, required.memberId, j.generationId)).errorCode, 0);
  // The classic member heartbeats within its 10 s session (rejoining and syncing when told to, as a
  // classic client does); the consumer member's 45 s runs out.
  for (let i = 0; i < 5; i++) {
    await idle(c, clock, 9_000);
    const g = c.consumerGroupDescribe('g').groupState === 'Empty' ? null : c.consumerGroupDescribe('g').members.find((x) => x.memberId === required.memberId)?.memberEpoch;
    if (g === undefined || g === null) continue;
    if ((await hb(c, required.memberId, g)) !== ErrorCode.REBALANCE_IN_PROGRESS) continue;
    const again = await rejoin(c, required.memberId);
    if (again.errorCode === 0) await syncOf(c, required.memberId, again.generationId);
  }
  assert.deepEqual(c.listGroups([], []).groups.map((g) => g.type), ['classic']);
  assert.equal(c.describeGroup('g').members.length, 1);
  await c.stop();
});

test('group.consumer.migration.policy=disabled keeps the errors of a group that cannot change protocol online', async () => {
  const clock = new ManualClock();
  const c = await coordinator(new MemoryOffsetsTopic(4), clock, { 'group.consumer.migration.policy': 'disabled' });
  await classicGroup(c, clock);
  const r = await c.consumerGroupHeartbeat(cgh({}));
  assert.deepEqual([r.errorCode, r.errorMessage], [ErrorCode.GROUP_ID_NOT_FOUND, 'Group g is not a consumer group.']);
  assert.deepEqual(c.listGroups([], []).groups.map((g) => g.type), ['classic']);
  assert.equal((await c.consumerGroupHeartbeat(cgh({ groupId: 'h', memberId: 'm1' }))).errorCode, 0);
  const j = await c.joinGroup(joinArgs({ groupId: 'h' }));
  assert.equal(j.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  await c.stop();
  // 'downgrade' refuses the upgrade the same way; 'upgrade' never downgrades.
  const d = await coordinator(new MemoryOffsetsTopic(4), clock, { 'group.consumer.migration.policy': 'downgrade' });
  await classicGroup(d, clock);
  assert.equal((await d.consumerGroupHeartbeat(cgh({}))).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  await d.stop();
  const u = await coordinator(new MemoryOffsetsTopic(4), clock, { 'group.consumer.migration.policy': 'upgrade' });
  await classicGroup(u, clock);
  assert.equal((await u.consumerGroupHeartbeat(cgh({}))).errorCode, 0);
  assert.equal((await u.consumerGroupHeartbeat(cgh({ memberEpoch: -1 }))).errorCode, 0);
  assert.deepEqual(u.listGroups([], []).groups.map((g) => g.type), ['consumer']);
  await u.stop();
});
