/**
 * Share group membership in the group coordinator (KIP-932): Kafka's share group records of
 * `__consumer_offsets` byte for byte and round-tripped; heartbeats written before they are
 * answered; a new coordinator over the same log replays the members with their ids, epochs and
 * assignments, restarts their sessions from the load, and drops one that never comes back; an
 * empty group stays until deleted, and its deletion is durable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/platform/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { GroupCoordinator } from '../../../src/coordinator/group/coordinator.js';
import { groupCoordinatorConfig } from '../../../src/coordinator/group/config.js';
import { decodeRecord, encodeRecord, type CoordinatorRecord } from '../../../src/coordinator/group/records.js';
import { shareConfig } from '../../../src/coordinator/share/config.js';
import { ShareGroups, type HeartbeatInput } from '../../../src/coordinator/share/group.js';
import type { ShareGroupRecord } from '../../../src/coordinator/share/group-records.js';
import { MemoryOffsetsTopic } from './helpers.js';

const T = 'AAAAAAAAAAAAAAAAAAAAAQ'; // the uuid 00…01
const topics = { all: () => [{ name: 't', topicId: T, partitions: 2 }] };
const SESSION_MS = 45_000;

async function coordinator(topic: MemoryOffsetsTopic, clock: ManualClock): Promise<GroupCoordinator> {
  const c = new GroupCoordinator({
    config: groupCoordinatorConfig({ 'offsets.topic.num.partitions': '4' }), clock, logger: silentLogger, topic, topics,
    share: shareConfig({ 'group.share.session.timeout.ms': String(SESSION_MS) }),
  });
  c.start();
  await c.loaded();
  return c;
}

const beat = (memberId: string, memberEpoch: number, subscribedTopicNames: string[] | null = null): HeartbeatInput => ({ groupId: 'g', memberId, memberEpoch, rackId: null, subscribedTopicNames, clientId: 'c', clientHost: 'h' });
const hex = (b: Buffer | null) => b?.toString('hex') ?? null;
const share = (value: ShareGroupRecord): CoordinatorRecord => ({ type: 'share', key: { group: value.group }, value });
const refusal = (code: number) => (e: unknown) => e instanceof KafkaError && e.code === code;

async function settle(c: GroupCoordinator, clock: ManualClock, ms: number): Promise<void> {
  clock.advance(ms);
  for (let i = 0; i < 3; i++) {
    await c.whenIdle();
    await c.shares.idle();
    clock.advance(0);
  }
}

test('share group records: Kafka\'s key versions and value layouts, byte for byte', () => {
  const epoch = encodeRecord(share({ type: 'sg-epoch', group: 'g', value: { epoch: 3, metadataHash: 0 } }));
  assert.equal(hex(epoch.key), '000b' + '0001' + '67', 'ShareGroupMetadataKey: version 11, group "g" (INT16 length)');
  assert.equal(hex(epoch.value), '0000' + '00000003' + '0000000000000000' + '00', 'ShareGroupMetadataValue v0: epoch, metadata hash, no tagged fields');
  const member = encodeRecord(share({ type: 'sg-member', group: 'g', memberId: 'm', value: { rackId: null, clientId: 'c', clientHost: 'h', subscribedTopicNames: ['t'] } }));
  assert.equal(hex(member.key), '000a' + '000167' + '00016d', 'ShareGroupMemberMetadataKey: version 10, group, member');
  assert.equal(hex(member.value), '0000' + '00' + '0263' + '0268' + '02' + '0274' + '00', 'compact strings, null rack, compact array');
  const current = encodeRecord(share({ type: 'sg-current-assignment', group: 'g', memberId: 'm', value: { memberEpoch: 3, previousMemberEpoch: 2, state: 0, assignedPartitions: new Map([[T, [1, 0]]]) } }));
  assert.equal(hex(current.key)!.slice(0, 4), '000e', 'ShareGroupCurrentMemberAssignmentKey is version 14');
  assert.equal(hex(current.value), '0000' + '00000003' + '00000002' + '00' + '02' + '00'.repeat(15) + '01' + '03' + '00000000' + '00000001' + '00' + '00', 'partitions sorted');
  assert.equal(hex(encodeRecord(share({ type: 'sg-target-epoch', group: 'g', value: { assignmentEpoch: 3 } })).key)!.slice(0, 4), '000c');
  assert.equal(hex(encodeRecord(share({ type: 'sg-target-member', group: 'g', memberId: 'm', value: new Map() })).key)!.slice(0, 4), '000d');
  const state = encodeRecord(share({ type: 'sg-state-partitions', group: 'g', value: { initializingTopics: [], initializedTopics: [{ topicId: T, topicName: 't', partitions: [0], createTimestamp: 5 }], deletingTopics: [] } }));
  assert.equal(hex(state.key), '000f000167');
  assert.equal(hex(state.value), '0000' + '01' + '02' + '00'.repeat(15) + '01' + '0274' + '02' + '00000000' + '0000000000000005' + '00' + '01' + '00');
});

test('share group records: every type round-trips, tombstones too; a 4.0 ShareGroupPartitionMetadata (key 9) is skipped', () => {
  const records: ShareGroupRecord[] = [
    { type: 'sg-member', group: 'g', memberId: 'm', value: { rackId: 'r1', clientId: 'c', clientHost: '/1.2.3.4', subscribedTopicNames: ['a', 'b'] } },
    { type: 'sg-epoch', group: 'g', value: { epoch: 7, metadataHash: 12345 } },
    { type: 'sg-target-member', group: 'g', memberId: 'm', value: new Map([[T, [0, 1]]]) },
    { type: 'sg-target-epoch', group: 'g', value: { assignmentEpoch: 7 } },
    { type: 'sg-current-assignment', group: 'g', memberId: 'm', value: { memberEpoch: 7, previousMemberEpoch: 6, state: 0, assignedPartitions: new Map([[T, [0, 1]]]) } },
    { type: 'sg-state-partitions', group: 'g', value: { initializingTopics: [{ topicId: T, topicName: 't', partitions: [2], createTimestamp: 9 }], initializedTopics: [], deletingTopics: [{ topicId: T, topicName: 't' }] } },
  ];
  for (const r of records) {
    for (const rec of [r, { ...r, value: null } as ShareGroupRecord]) {
      const e = encodeRecord(share(rec));
      assert.deepEqual(decodeRecord(e.key, e.value), share(rec));
    }
  }
  assert.equal(decodeRecord(Buffer.from('0009000167', 'hex'), Buffer.from('000000', 'hex')), null);
});

test('share members: heartbeats are written before the answer; a new coordinator replays ids, epochs and assignments', async () => {
  const clock = new ManualClock();
  const topic = new MemoryOffsetsTopic(4);
  const c1 = await coordinator(topic, clock);
  const gone: string[] = [];
  c1.shares.onMemberGone((_g, m) => gone.push(m));
  const a = await c1.shares.heartbeat(beat('a', 0, ['t']));
  assert.deepEqual(a.assignment, [{ topicId: T, partitions: [0, 1] }]);
  await c1.shares.heartbeat(beat('b', 0, ['t']));
  const c = await c1.shares.heartbeat(beat('c', 0, ['t']));
  assert.deepEqual(c.assignment, [{ topicId: T, partitions: [0] }], 'three members, two partitions: c shares partition 0 with a');
  assert.equal((await c1.shares.heartbeat(beat('a', 1))).memberEpoch, 3, 'a member behind gets the current epoch');
  await assert.rejects(c1.shares.heartbeat(beat('a', 9)), refusal(ErrorCode.FENCED_MEMBER_EPOCH));
  await assert.rejects(c1.shares.heartbeat(beat('x', 1)), refusal(ErrorCode.UNKNOWN_MEMBER_ID));
  await c1.shares.heartbeat(beat('c', -1));
  assert.deepEqual(gone, ['c']);
  const written = (await topic.allRecords()).filter((r) => r.type === 'share').map((r) => (r.value as ShareGroupRecord).type + (r.value!.value === null ? ' tombstone' : ''));
  assert.deepEqual(written.slice(0, 5), ['sg-member', 'sg-epoch', 'sg-target-member', 'sg-target-epoch', 'sg-current-assignment'], 'a join, in Kafka\'s order');
  assert.deepEqual(written.slice(-7), [
    'sg-current-assignment tombstone', 'sg-target-member tombstone', 'sg-member tombstone', 'sg-epoch', 'sg-target-epoch', 'sg-current-assignment', 'sg-current-assignment',
  ], 'c\'s departure, then a and b move to the new epoch (their targets unchanged)');
  const described = (co: GroupCoordinator) => [...co.shares.get('g')!.members.values()].map((m) => [m.memberId, m.memberEpoch, [...m.assignment]]).sort();
  const before = described(c1);
  assert.deepEqual(before, [['a', 4, [[T, [0]]]], ['b', 4, [[T, [1]]]]]);
  c1.shares.close();

  // A new coordinator (the broker restarted, or another one leads the partition) replays the log.
  const c2 = await coordinator(topic, clock);
  assert.deepEqual(described(c2), before);
  assert.equal(c2.shares.get('g')!.groupEpoch, 4);
  assert.equal(ShareGroups.state(c2.shares.get('g')!), 'Stable');
  // a comes back with its id and epoch and carries on; b never does.
  await settle(c2, clock, SESSION_MS - 1000);
  const again = await c2.shares.heartbeat(beat('a', 4));
  assert.deepEqual([again.memberEpoch, again.assignment], [4, [{ topicId: T, partitions: [0] }]]);
  await settle(c2, clock, 1000);
  assert.deepEqual([...c2.shares.get('g')!.members.keys()], ['a'], 'b sent nothing for a session timeout after the load');
  assert.equal(c2.shares.get('g')!.members.get('a')!.memberEpoch, 5);
  c2.shares.close();
  // The expiry was written too.
  const c3 = await coordinator(topic, clock);
  assert.deepEqual([...c3.shares.get('g')!.members.keys()], ['a']);
  await c3.stop();
  await c2.stop();
});

test('share members: an empty group survives a reload, is deleted with tombstones, and stays deleted', async () => {
  const clock = new ManualClock();
  const topic = new MemoryOffsetsTopic(4);
  const c1 = await coordinator(topic, clock);
  await c1.shares.heartbeat(beat('a', 0, ['t']));
  assert.equal(await c1.shares.delete('g'), ErrorCode.NON_EMPTY_GROUP);
  await c1.shares.heartbeat(beat('a', -1));
  await c1.stop();
  const c2 = await coordinator(topic, clock);
  const g = c2.shares.get('g');
  assert.ok(g !== undefined, 'the group is still there without members');
  assert.equal(ShareGroups.state(g), 'Empty');
  assert.equal(g.groupEpoch, 2);
  assert.equal(await c2.shares.delete('g'), ErrorCode.NONE);
  assert.equal(c2.shares.get('g'), undefined);
  await c2.stop();
  const c3 = await coordinator(topic, clock);
  assert.equal(c3.shares.get('g'), undefined, 'deleted for good');
  // A failed write answers the error and changes nothing.
  topic.failAppends = true;
  await assert.rejects(c3.shares.heartbeat(beat('z', 0, ['t'])), refusal(ErrorCode.COORDINATOR_NOT_AVAILABLE));
  assert.equal(c3.shares.get('g'), undefined);
  await c3.stop();
});

test('share members: a removal whose write fails is tried again until it is written, so a silent member always goes', async () => {
  const clock = new ManualClock();
  const topic = new MemoryOffsetsTopic(4);
  const c = await coordinator(topic, clock);
  await c.shares.heartbeat(beat('a', 0, ['t']));
  await c.shares.heartbeat(beat('b', 0, ['t']));
  // a keeps heartbeating; b stops. When b's session ends, __consumer_offsets refuses writes.
  const keepA = async (ms: number) => {
    for (let t = 0; t < ms; t += 5000) {
      await settle(c, clock, 5000);
      await c.shares.heartbeat(beat('a', c.shares.get('g')!.members.get('a')!.memberEpoch)).catch(() => undefined);
    }
  };
  await keepA(SESSION_MS - 5000);
  topic.failAppends = true;
  await keepA(10_000);
  assert.deepEqual([...c.shares.get('g')!.members.keys()].sort(), ['a', 'b'], 'the removal could not be written, so b is still there');
  topic.failAppends = false;
  await keepA(5000);
  assert.deepEqual([...c.shares.get('g')!.members.keys()], ['a'], 'once writes work again, b is removed');
  c.shares.close();
  await c.stop();
});
