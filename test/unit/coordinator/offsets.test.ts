// Committed offsets, durability by replay, expiry and the admin APIs, over an in-memory log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/errors.js';
import type { CommitArgs } from '../../../src/coordinator/group/offsets.js';
import { GroupCoordinator } from '../../../src/coordinator/group/coordinator.js';
import { groupCoordinatorConfig } from '../../../src/coordinator/group/config.js';
import { silentLogger } from '../../../src/util/logger.js';
import { encodeRecord } from '../../../src/coordinator/group/records.js';
import { encodeControlBatch, encodeRecordBatch } from '../../../src/protocol/records/record-batch.js';
import { MemoryOffsetsTopic, harness, joinAlone, joinArgs, settle, subscription, sync } from './helpers.js';

const RETENTION_MS = 7 * 24 * 3_600_000;

function commit(over: Partial<CommitArgs> & { offsets?: CommitArgs['offsets'] } = {}): CommitArgs {
  return {
    groupId: 'g',
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1n,
    offsets: [{ topic: 't', partition: 0, offset: 10n, leaderEpoch: 3, metadata: 'meta' }],
    ...over,
  };
}

test('standalone commits (generation -1, no member) create the group; fetch returns them, -1 where none', async () => {
  const h = await harness();
  assert.deepEqual(await h.c.commitOffsets(commit()), [0]);
  const all = h.c.fetchOffsets('g', null);
  assert.deepEqual(all, { errorCode: 0, topics: [{ name: 't', partitions: [{ partition: 0, offset: 10n, leaderEpoch: 3, metadata: 'meta', errorCode: 0 }] }] });
  const some = h.c.fetchOffsets('g', [{ name: 't', partitions: [0, 1] }, { name: 'other', partitions: [0] }]);
  assert.deepEqual(some.topics.map((t) => t.partitions.map((p) => p.offset)), [[10n, -1n], [-1n]]);
  assert.deepEqual(h.c.fetchOffsets('nobody', [{ name: 't', partitions: [0] }]).topics[0]!.partitions[0], { partition: 0, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: 0 });
  assert.deepEqual(h.c.fetchOffsets('nobody', null).topics, []);
  assert.deepEqual(h.c.listGroups([], []).groups, [{ groupId: 'g', protocolType: '', state: 'Empty', type: 'classic' }]);
  // The empty group id is allowed for offsets, as in Kafka.
  assert.deepEqual(await h.c.commitOffsets(commit({ groupId: '' })), [0]);
  // A commit from a generation of a group that does not exist is stale.
  assert.deepEqual(await h.c.commitOffsets(commit({ groupId: 'x', generationId: 4, memberId: 'm' })), [ErrorCode.ILLEGAL_GENERATION]);
  await h.c.stop();
});

test('commits into a managed group: generation and member are checked, as is the metadata size', async () => {
  const h = await harness({ config: { 'offset.metadata.max.bytes': '8' } });
  const a = await joinAlone(h);
  const base = { generationId: a.generationId, memberId: a.memberId };
  assert.deepEqual(await h.c.commitOffsets(commit(base)), [ErrorCode.REBALANCE_IN_PROGRESS], 'CompletingRebalance');
  await sync(h, 'g', a);
  assert.deepEqual(await h.c.commitOffsets(commit(base)), [0]);
  assert.deepEqual(await h.c.commitOffsets(commit({ ...base, generationId: 7 })), [ErrorCode.ILLEGAL_GENERATION]);
  assert.deepEqual(await h.c.commitOffsets(commit({ ...base, memberId: 'stranger' })), [ErrorCode.UNKNOWN_MEMBER_ID]);
  assert.deepEqual(await h.c.commitOffsets(commit()), [ErrorCode.UNKNOWN_MEMBER_ID], 'standalone commit into a group with members');
  const two = commit({ ...base, offsets: [
    { topic: 't', partition: 1, offset: 5n, leaderEpoch: -1, metadata: 'x'.repeat(9) },
    { topic: 't', partition: 2, offset: 6n, leaderEpoch: -1, metadata: null },
  ] });
  assert.deepEqual(await h.c.commitOffsets(two), [ErrorCode.OFFSET_METADATA_TOO_LARGE, 0]);
  assert.equal(h.c.fetchOffsets('g', [{ name: 't', partitions: [2] }]).topics[0]!.partitions[0]!.metadata, '');
  // A failed append changes nothing and says so.
  h.topic.failAppends = true;
  assert.deepEqual(await h.c.commitOffsets(commit({ ...base, offsets: [{ topic: 't', partition: 0, offset: 99n, leaderEpoch: -1, metadata: null }] })), [ErrorCode.COORDINATOR_NOT_AVAILABLE]);
  assert.equal(h.c.fetchOffsets('g', [{ name: 't', partitions: [0] }]).topics[0]!.partitions[0]!.offset, 10n);
  await h.c.stop();
});

test('a coordinator loading the same log has the same offsets and group; silent members then expire', async () => {
  const h = await harness();
  const a = await joinAlone(h);
  await sync(h, 'g', a, [{ memberId: a.memberId, assignment: Buffer.from('assigned') }]);
  await h.c.commitOffsets(commit({ generationId: 1, memberId: a.memberId }));
  await h.c.commitOffsets(commit({ groupId: 'other', offsets: [{ topic: 'u', partition: 3, offset: 77n, leaderEpoch: -1, metadata: null }] }));
  await h.c.deleteOffsets('other', [{ topic: 'u', partition: 3 }]);
  await h.c.stop();

  const h2 = await harness({ topic: h.topic, clock: h.clock });
  const d = h2.c.describeGroup('g');
  assert.equal(d.state, 'Stable');
  assert.deepEqual(d.members.map((m) => [m.memberId, m.assignment.toString()]), [[a.memberId, 'assigned']]);
  assert.equal(h2.c.fetchOffsets('g', null).topics[0]!.partitions[0]!.offset, 10n);
  // All of 'other' was deleted: it is not back.
  assert.deepEqual(h2.c.listGroups([], []).groups.map((g) => g.groupId), ['g']);
  assert.equal(await h2.c.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null }), 0);
  await settle(h2, 10_001);
  assert.equal(h2.c.describeGroup('g').state, 'Empty');
  assert.equal(h2.c.fetchOffsets('g', null).topics[0]!.partitions[0]!.offset, 10n);
  await h2.c.stop();
});

test('COORDINATOR_LOAD_IN_PROGRESS while a partition loads; heartbeats are answered blindly', async () => {
  const topic = new MemoryOffsetsTopic(4);
  const h = await harness({ topic });
  await h.c.commitOffsets(commit());
  await h.c.stop();
  let open!: () => void;
  topic.readGate = new Promise((r) => (open = r));
  // harness() waits for the load, so this one is built by hand.
  const c = new GroupCoordinator({ config: groupCoordinatorConfig({ 'offsets.topic.num.partitions': '4' }), clock: h.clock, logger: silentLogger, topic });
  c.start();
  assert.equal(h.c.partitionFor('g'), c.partitionFor('g'));
  assert.equal(c.fetchOffsets('g', null).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal((await c.joinGroup(joinArgs())).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal(await c.heartbeat({ groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null }), 0);
  assert.equal(c.listGroups([], []).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal(c.findCoordinatorError('g'), null);
  open();
  await c.loaded();
  assert.equal(c.fetchOffsets('g', null).topics[0]!.partitions[0]!.offset, 10n);
  await c.stop();
});

test('no __consumer_offsets yet: COORDINATOR_NOT_AVAILABLE, and the first request creates it', async () => {
  const topic = new MemoryOffsetsTopic(null);
  const h = await harness({ topic, config: { 'offsets.topic.num.partitions': '7' } });
  assert.equal(h.c.findCoordinatorError('g'), ErrorCode.COORDINATOR_NOT_AVAILABLE);
  await settle(h);
  assert.equal(topic.partitionCount(), 7);
  assert.equal(h.c.findCoordinatorError('g'), null);
  assert.deepEqual(await h.c.commitOffsets(commit()), [0]);
  await h.c.stop();
});

test('offsets of a group that has been Empty for offsets.retention.minutes expire, and the group with them', async () => {
  const h = await harness({ config: { 'offsets.retention.minutes': '1', 'offsets.retention.check.interval.ms': '10000' } });
  const a = await joinAlone(h);
  await sync(h, 'g', a);
  await h.c.commitOffsets(commit({ generationId: 1, memberId: a.memberId, offsets: [
    { topic: 't', partition: 0, offset: 1n, leaderEpoch: -1, metadata: null },
    { topic: 'unsubscribed', partition: 0, offset: 2n, leaderEpoch: -1, metadata: null },
  ] }));
  // While the group is Stable, offsets of its subscribed topic stay; others age from their commit.
  for (let t = 0; t < 90_000; t += 5_000) {
    await settle(h, 5_000);
    assert.equal(await h.c.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null }), 0);
  }
  assert.deepEqual(h.c.fetchOffsets('g', null).topics.map((t) => t.name), ['t']);
  await h.c.leaveGroup('g', [{ memberId: a.memberId, groupInstanceId: null, reason: null }]);
  await settle(h);
  assert.equal(h.c.describeGroup('g').state, 'Empty');
  await settle(h, 50_000);
  assert.equal(h.c.fetchOffsets('g', null).topics.length, 1, 'not yet: the retention counts from when the group became empty');
  await settle(h, 20_000);
  assert.deepEqual(h.c.fetchOffsets('g', null).topics, []);
  assert.equal(h.c.describeGroup('g').state, 'Dead');
  const records = await h.topic.records(h.c.partitionFor('g')!);
  assert.deepEqual(records.slice(-2).map((r) => [r.type, r.value]), [['offset', null], ['group', null]]);
  await h.c.stop();
});

test('standalone offsets age from their commit; an explicit retention (OffsetCommit v2–v4) overrides', async () => {
  const h = await harness({ config: { 'offsets.retention.check.interval.ms': '60000' } });
  await h.c.commitOffsets(commit());
  await h.c.commitOffsets(commit({ groupId: 'short', retentionTimeMs: 120_000n }));
  await settle(h, 180_000);
  assert.deepEqual(h.c.fetchOffsets('short', null).topics, []);
  assert.equal(h.c.fetchOffsets('g', null).topics.length, 1);
  await settle(h, RETENTION_MS);
  assert.deepEqual(h.c.fetchOffsets('g', null).topics, []);
  await h.c.stop();
});

test('a retention near 2^63 wraps past the commit time in a long, as in Kafka: stored, then expired at the next check', async () => {
  const h = await harness({ config: { 'offsets.retention.check.interval.ms': '60000' } });
  assert.deepEqual(await h.c.commitOffsets(commit({ groupId: 'wrap', retentionTimeMs: 2n ** 63n - 1n })), [0]);
  const [record] = await h.topic.records(h.c.partitionFor('wrap')!);
  assert.ok(record!.type === 'offset' && record!.value !== null);
  const { commitTimestamp, expireTimestamp } = record!.value;
  assert.ok(expireTimestamp < 0n);
  assert.equal(expireTimestamp, BigInt.asIntN(64, commitTimestamp + 2n ** 63n - 1n));
  assert.equal(h.c.fetchOffsets('wrap', null).topics.length, 1, 'committed until the retention check runs');
  await settle(h, 60_000);
  assert.deepEqual(h.c.fetchOffsets('wrap', null).topics, []);
  await h.c.stop();
});

test('an OffsetCommit v1 commit timestamp is kept as given, exactly; -1 means now', async () => {
  const h = await harness();
  const at = (commitTimestamp: bigint, partition: number) => ({ topic: 't', partition, offset: 2n ** 53n + 1n, leaderEpoch: -1, metadata: null, commitTimestamp });
  await h.c.commitOffsets(commit({ groupId: 'v1', offsets: [at(2n ** 63n - 1n, 0), at(-1n, 1)] }));
  const records = await h.topic.records(h.c.partitionFor('v1')!);
  const values = records.map((r) => (r.type === 'offset' ? [r.value!.offset, r.value!.commitTimestamp] : null));
  assert.deepEqual(values[0], [2n ** 53n + 1n, 2n ** 63n - 1n]);
  assert.ok(values[1]![1]! > 0n && values[1]![1]! <= BigInt(h.clock.now()), 'now');
  await h.c.stop();
});

test('DeleteGroups and OffsetDelete', async () => {
  const h = await harness();
  const a = await joinAlone(h, { protocols: [{ name: 'range', metadata: subscription(['t']) }] });
  await sync(h, 'g', a);
  await h.c.commitOffsets(commit({ generationId: 1, memberId: a.memberId, offsets: [
    { topic: 't', partition: 0, offset: 1n, leaderEpoch: -1, metadata: null },
    { topic: 'old', partition: 0, offset: 2n, leaderEpoch: -1, metadata: null },
  ] }));
  assert.equal(await h.c.deleteGroup('g'), ErrorCode.NON_EMPTY_GROUP);
  assert.equal(await h.c.deleteGroup('missing'), ErrorCode.GROUP_ID_NOT_FOUND);
  const del = await h.c.deleteOffsets('g', [{ topic: 't', partition: 0 }, { topic: 'old', partition: 0 }]);
  assert.deepEqual(del, { errorCode: 0, errors: [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, 0] });
  assert.deepEqual(h.c.fetchOffsets('g', null).topics.map((t) => t.name), ['t']);
  assert.equal((await h.c.deleteOffsets('missing', [])).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  await h.c.leaveGroup('g', [{ memberId: a.memberId, groupInstanceId: null, reason: null }]);
  await settle(h);
  assert.equal(await h.c.deleteGroup('g'), 0);
  assert.equal(h.c.describeGroup('g').state, 'Dead');
  assert.deepEqual(h.c.fetchOffsets('g', null).topics, []);
  // And after a reload it is still gone.
  await h.c.stop();
  const h2 = await harness({ topic: h.topic, clock: h.clock });
  assert.deepEqual(h2.c.listGroups([], []).groups, []);
  await h2.c.stop();
});

test('ListGroups filters by state and type; DescribeGroups shows metadata only while Stable', async () => {
  const h = await harness();
  await h.c.commitOffsets(commit({ groupId: 'standalone' }));
  const a = await joinAlone(h);
  assert.deepEqual(h.c.describeGroup('g').members[0]!.metadata, Buffer.alloc(0));
  await sync(h, 'g', a, [{ memberId: a.memberId, assignment: Buffer.from('z') }]);
  const d = h.c.describeGroup('g');
  assert.equal(d.protocolType, 'consumer');
  assert.deepEqual(d.members[0]!.metadata, subscription(['t']));
  assert.equal(d.members[0]!.clientHost, '/127.0.0.1');
  assert.deepEqual(h.c.listGroups(['stable'], []).groups.map((g) => g.groupId), ['g']);
  assert.deepEqual(h.c.listGroups(['Empty'], ['classic']).groups.map((g) => g.groupId), ['standalone']);
  assert.deepEqual(h.c.listGroups([], ['consumer']).groups, []);
  await h.c.stop();
});

test("a deleted topic's offsets are deleted from every group; a group left with none goes too", async () => {
  const h = await harness();
  const one = (topic: string) => ({ topic, partition: 0, offset: 1n, leaderEpoch: -1, metadata: null });
  await h.c.commitOffsets(commit({ groupId: 'both', offsets: [one('gone'), one('kept')] }));
  await h.c.commitOffsets(commit({ groupId: 'only', offsets: [one('gone')] }));
  await h.c.onTopicDeleted('gone');
  assert.deepEqual(h.c.fetchOffsets('both', null).topics.map((t) => t.name), ['kept']);
  assert.deepEqual(h.c.listGroups([], []).groups.map((g) => g.groupId), ['both']);
  await h.c.stop();
});

test('loading: transactional offset commits count once their commit marker is read; aborted ones never', async () => {
  const topic = new MemoryOffsetsTopic(4);
  const h = await harness({ topic });
  const p = h.c.partitionFor('tx')!;
  const txn = async (producerId: number, partition: number, commitIt: boolean) => {
    const r = encodeRecord({ type: 'offset', key: { group: 'tx', topic: 't', partition }, value: { offset: BigInt(40 + partition), leaderEpoch: -1, metadata: '', commitTimestamp: 1n, expireTimestamp: -1n } });
    await topic.append(p, await encodeRecordBatch([r], { transactional: true, producerId, producerEpoch: 0 }));
    return () => topic.append(p, encodeControlBatch({ producerId, producerEpoch: 0, commit: commitIt, coordinatorEpoch: 0, timestamp: 1 }));
  };
  const endCommitted = await txn(7, 0, true);
  const endAborted = await txn(8, 1, false);
  await endAborted();
  await endCommitted();
  await txn(9, 2, true); // still open at the end of the log: not applied
  await h.c.stop();
  const h2 = await harness({ topic, clock: h.clock });
  assert.deepEqual(h2.c.fetchOffsets('tx', [{ name: 't', partitions: [0, 1, 2] }]).topics[0]!.partitions.map((x) => x.offset), [40n, -1n, -1n]);
  await h2.c.stop();
});
