// The group APIs at the wire, across the versions clients use (KafkaJS, kafka-python, librdkafka,
// Java), and consumer groups of kafka-python, confluent-kafka and kcat where installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { installed, withBroker, run, SYSTEM_PYTHON } from '../helpers/broker.js';
import { WireClient } from '../helpers/broker-process.js';
import { waitFor } from '../helpers/wait.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import type { Broker } from '../../src/broker/broker.js';

const CONFIG = { 'group.initial.rebalance.delay.ms': '0', 'num.partitions': '3' };

async function coordinatorReady(w: WireClient): Promise<void> {
  await waitFor('the group coordinator', async () => {
    const r = await w.request(10, 1, { key: 'any', keyType: 0 });
    if (r.errorCode !== 0) assert.equal(r.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    return r.errorCode === 0;
  });
}

const SUBSCRIPTION = Buffer.from([0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0xff, 0xff, 0xff, 0xff]); // v0, topics ["t"], null user data

function join(memberId: string, extra: object = {}) {
  return { groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: SUBSCRIPTION }], reason: null, ...extra };
}

test('FindCoordinator: creates __consumer_offsets on demand; key types; batched keys (v4)', async () => {
  await withBroker(async (broker) => {
    const w = await WireClient.connect(broker.port);
    try {
      const first = await w.request(10, 0, { key: 'g' });
      assert.equal(first.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
      await coordinatorReady(w);
      const topic = broker.topics.get('__consumer_offsets')!;
      assert.equal(topic.partitions, 50);
      assert.equal(topic.configs['cleanup.policy'], 'compact');
      const found = await w.request(10, 0, { key: 'g' });
      assert.deepEqual([found.errorCode, found.nodeId, found.host, found.port], [0, 1, '127.0.0.1', broker.port]);
      const txn = await w.request(10, 2, { key: 'tx', keyType: 1 });
      assert.equal(txn.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
      assert.match(txn.errorMessage, /transaction/);
      assert.equal((await w.request(10, 3, { key: 'x', keyType: 7 })).errorCode, ErrorCode.INVALID_REQUEST);
      const batch = await w.request(10, 4, { keyType: 0, coordinatorKeys: ['a', 'b'] });
      assert.deepEqual(batch.coordinators.map((c: any) => [c.key, c.errorCode, c.nodeId, c.port]), [['a', 0, 1, broker.port], ['b', 0, 1, broker.port]]);
      // v5 as v4; v6 (KIP-932) adds key type 2, a share-partition, found once __share_group_state exists.
      assert.equal((await w.request(10, 5, { keyType: 0, coordinatorKeys: ['a'] })).coordinators[0].nodeId, 1);
      assert.equal((await w.request(10, 4, { keyType: 2, coordinatorKeys: ['g:AAAAAAAAAAAAAAAAAAAAAA:0'] })).coordinators[0].errorCode, ErrorCode.UNSUPPORTED_VERSION);
      const bad = (await w.request(10, 6, { keyType: 2, coordinatorKeys: ['no-colons'] })).coordinators[0];
      assert.equal(bad.errorCode, ErrorCode.INVALID_REQUEST);
      assert.match(bad.errorMessage, /group:topicId:partition/);
      const early = (await w.request(10, 6, { keyType: 2, coordinatorKeys: ['g:AAAAAAAAAAAAAAAAAAAAAA:0'] })).coordinators[0];
      assert.equal(early.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    } finally {
      w.close();
    }
  });
});

test('JoinGroup v0 / SyncGroup v0 / Heartbeat v0 / LeaveGroup v0 and v3 / DescribeGroups / ListGroups', async () => {
  await withBroker(async (broker) => {
    const w = await WireClient.connect(broker.port);
    const other = await WireClient.connect(broker.port);
    try {
      await coordinatorReady(w);
      const j = await w.request(11, 0, join(''));
      assert.equal(j.errorCode, 0);
      assert.equal(j.generationId, 1);
      assert.match(j.memberId, /^wire-client-/);
      const s = await w.request(14, 0, { groupId: 'g', generationId: 1, memberId: j.memberId, assignments: [{ memberId: j.memberId, assignment: Buffer.from('mine') }] });
      assert.deepEqual(s, { errorCode: 0, assignment: Buffer.from('mine'), throttleTimeMs: 0, protocolType: null, protocolName: null });
      assert.equal((await w.request(12, 0, { groupId: 'g', generationId: 1, memberId: j.memberId })).errorCode, 0);
      assert.equal((await w.request(12, 4, { groupId: 'g', generationId: 0, memberId: j.memberId, groupInstanceId: null })).errorCode, ErrorCode.ILLEGAL_GENERATION);
      // JoinGroup v5 from a new member: MEMBER_ID_REQUIRED, then the rejoin parks until the first member rejoins.
      const required = await other.request(11, 5, join(''));
      assert.equal(required.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
      assert.equal(required.protocolName, '');
      const parked = other.request(11, 7, join(required.memberId));
      // Once the join has arrived the first member's heartbeats say the group is rebalancing.
      await waitFor('a heartbeat answered REBALANCE_IN_PROGRESS', async () => {
        const code = (await w.request(12, 2, { groupId: 'g', generationId: 1, memberId: j.memberId })).errorCode;
        if (code !== ErrorCode.REBALANCE_IN_PROGRESS) assert.equal(code, 0, 'before the join arrives the heartbeat succeeds');
        return code === ErrorCode.REBALANCE_IN_PROGRESS;
      });
      const j2 = await w.request(11, 9, join(j.memberId));
      const o2 = await parked;
      assert.equal(j2.generationId, 2);
      assert.equal(j2.members.length, 2);
      assert.equal(o2.protocolType, 'consumer');
      assert.equal(o2.protocolName, 'range');
      assert.deepEqual(o2.members, []);
      // SyncGroup v5 checks the protocol name.
      const wrong = await other.request(14, 5, { groupId: 'g', generationId: 2, memberId: o2.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'sticky', assignments: [] });
      assert.equal(wrong.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      const followerSync = other.request(14, 5, { groupId: 'g', generationId: 2, memberId: o2.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
      await w.request(14, 4, { groupId: 'g', generationId: 2, memberId: j.memberId, groupInstanceId: null, assignments: [{ memberId: o2.memberId, assignment: Buffer.from('yours') }] });
      assert.deepEqual(await followerSync, { errorCode: 0, protocolType: 'consumer', protocolName: 'range', assignment: Buffer.from('yours'), throttleTimeMs: 0 });

      const described = await w.request(15, 0, { groups: ['g', 'nope'] });
      assert.equal(described.groups[0].groupState, 'Stable');
      assert.equal(described.groups[0].protocolData, 'range');
      assert.equal(described.groups[0].members.length, 2);
      assert.equal(described.groups[1].groupState, 'Dead');
      assert.deepEqual((await w.request(16, 0, {})).groups.map((g: any) => [g.groupId, g.protocolType]), [['g', 'consumer']]);
      assert.deepEqual((await w.request(16, 4, { statesFilter: ['Empty'] })).groups, []);

      // LeaveGroup v0 reports the member's error at the top; v3 per member.
      assert.equal((await other.request(13, 0, { groupId: 'g', memberId: 'ghost' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
      const left = await other.request(13, 3, { groupId: 'g', members: [{ memberId: o2.memberId, groupInstanceId: null }, { memberId: 'ghost', groupInstanceId: null }] });
      assert.deepEqual(left.members.map((m: any) => m.errorCode), [0, ErrorCode.UNKNOWN_MEMBER_ID]);
      assert.equal(left.errorCode, 0);
      assert.equal((await w.request(13, 1, { groupId: 'g', memberId: j.memberId })).errorCode, 0);
      assert.equal((await w.request(15, 5, { groups: ['g'], includeAuthorizedOperations: false })).groups[0].groupState, 'Empty');
    } finally {
      w.close();
      other.close();
    }
  }, { config: CONFIG });
});

test('OffsetCommit v2/v5/v8, OffsetFetch v1/v2/v8, OffsetDelete and DeleteGroups at the wire', async () => {
  await withBroker(async (broker) => {
    const w = await WireClient.connect(broker.port);
    try {
      await coordinatorReady(w);
      await w.request(3, 1, { topics: [{ name: 't' }] });
      const partitions = (offsets: number[]) => offsets.map((o, i) => ({ partitionIndex: i, committedOffset: o, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: `m${i}` }));
      const commit = (version: number, group: string, offsets: number[], name = 't') =>
        w.request(8, version, { groupId: group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ name, partitions: partitions(offsets) }] });
      assert.deepEqual((await commit(2, 'a', [1, 2, 3])).topics[0].partitions.map((p: any) => p.errorCode), [0, 0, 0]);
      assert.deepEqual((await commit(5, 'b', [7])).topics[0].partitions.map((p: any) => p.errorCode), [0]);
      const unknown = await commit(8, 'a', [1, 1, 1, 1]);
      assert.deepEqual(unknown.topics[0].partitions.map((p: any) => p.errorCode), [0, 0, 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], 'partition 3 does not exist');
      assert.deepEqual((await commit(8, 'a', [1], 'missing')).topics[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

      const v1 = await w.request(9, 1, { groupId: 'a', topics: [{ name: 't', partitionIndexes: [0, 2] }] });
      assert.deepEqual(v1.topics[0].partitions.map((p: any) => [p.partitionIndex, p.committedOffset, p.metadata]), [[0, 1n, 'm0'], [2, 1n, 'm2']]);
      const all = await w.request(9, 2, { groupId: 'b', topics: null });
      assert.deepEqual(all.topics[0].partitions.map((p: any) => p.committedOffset), [7n]);
      const multi = await w.request(9, 8, { groups: [{ groupId: 'a', memberId: null, memberEpoch: -1, topics: [{ name: 't', partitionIndexes: [1] }] }, { groupId: 'zzz', memberId: null, memberEpoch: -1, topics: null }], requireStable: true });
      assert.deepEqual(multi.groups.map((g: any) => [g.groupId, g.errorCode, g.topics.length]), [['a', 0, 1], ['zzz', 0, 0]]);
      assert.equal(multi.groups[0].topics[0].partitions[0].committedOffset, 1n);

      const del = await w.request(47, 0, { groupId: 'a', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }, { name: 'missing', partitions: [{ partitionIndex: 0 }] }] });
      assert.deepEqual(del.topics.map((t: any) => t.partitions[0].errorCode), [0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
      assert.equal((await w.request(47, 0, { groupId: 'nope', topics: [] })).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
      const groups = await w.request(42, 2, { groupsNames: ['a', 'nope'] });
      assert.deepEqual(groups.results.map((r: any) => [r.groupId, r.errorCode]), [['a', 0], ['nope', ErrorCode.GROUP_ID_NOT_FOUND]]);
      assert.deepEqual((await w.request(9, 2, { groupId: 'a', topics: null })).topics, []);
      // Deleting a topic deletes its committed offsets (and 'b', left with none, goes too).
      assert.equal((await w.request(20, 4, { topicNames: ['t'], timeoutMs: 5000 })).responses[0].errorCode, 0);
      await waitFor("group b's offsets to go with the topic", async () => (await w.request(9, 2, { groupId: 'b', topics: null })).topics.length === 0);
      await waitFor('the groups left without offsets to go', async () => (await w.request(16, 0, {})).groups.length === 0);
    } finally {
      w.close();
    }
  }, { config: CONFIG });
});

/** True when `cmd args` runs and exits 0 (a client library is installed). */
const have = installed;

const HAVE_KAFKA_PYTHON = await have(SYSTEM_PYTHON, ['-c', 'import kafka']);
const HAVE_CONFLUENT = await have(SYSTEM_PYTHON, ['-c', 'import confluent_kafka']);
const HAVE_KCAT = await have('kcat', ['-V']);

async function produce30(broker: Broker, topic: string): Promise<void> {
  const w = await WireClient.connect(broker.port);
  try {
    await w.request(3, 4, { topics: [{ name: topic }], allowAutoTopicCreation: true });
    await waitFor(`topic ${topic} to be created`, () => !broker.topics.isCreating(topic));
  } finally {
    w.close();
  }
  const r = await run('kcat', ['-b', broker.bootstrap, '-P', '-t', topic, '-K:'], { input: Array.from({ length: 30 }, (_, i) => `k${i}:v${i}`).join('\n') + '\n' });
  assert.equal(r.code, 0, r.stderr);
}

function committedTotal(broker: Broker, group: string, topic: string): number {
  const r = broker.groups.fetchOffsets(group, [{ name: topic, partitions: [0, 1, 2] }]);
  return r.topics[0]!.partitions.reduce((sum, p) => sum + Math.max(Number(p.offset), 0), 0);
}

test('kafka-python and confluent-kafka consumer groups consume and commit', { skip: !(HAVE_KAFKA_PYTHON && HAVE_CONFLUENT && HAVE_KCAT) && 'kafka-python, confluent-kafka or kcat not installed' }, async () => {
  await withBroker(async (broker) => {
    await produce30(broker, 'py');
    const kp = `
import sys
from kafka import KafkaConsumer
c = KafkaConsumer('py', bootstrap_servers=sys.argv[1], group_id='kp', auto_offset_reset='earliest', consumer_timeout_ms=10000)
n = 0
for m in c:
    n += 1
    if n == 30: break
c.commit()
c.close()
print(n)
`;
    const a = await run(SYSTEM_PYTHON, ['-c', kp, broker.bootstrap], { timeoutMs: 30_000 });
    assert.equal(a.stdout.trim(), '30', a.stderr);
    assert.equal(committedTotal(broker, 'kp', 'py'), 30);
    const ck = `
import sys, time
from confluent_kafka import Consumer
c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': 'ck', 'auto.offset.reset': 'earliest'})
c.subscribe(['py'])
n, t0 = 0, time.time()
while n < 30 and time.time() - t0 < 20:
    m = c.poll(0.5)
    if m is not None and not m.error(): n += 1
c.commit(asynchronous=False)
c.close()
print(n)
`;
    const b = await run(SYSTEM_PYTHON, ['-c', ck, broker.bootstrap], { timeoutMs: 30_000 });
    assert.equal(b.stdout.trim(), '30', b.stderr);
    assert.equal(committedTotal(broker, 'ck', 'py'), 30);
  }, { config: CONFIG });
});

test('kcat -G consumes as a group and commits', { skip: !HAVE_KCAT && 'kcat not installed' }, async () => {
  await withBroker(async (broker) => {
    await produce30(broker, 'kc');
    const r = await run('kcat', ['-b', broker.bootstrap, '-G', 'kcat-group', '-o', 'beginning', '-c', '30', 'kc'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 30);
    assert.equal(committedTotal(broker, 'kcat-group', 'kc'), 30);
  }, { config: CONFIG });
});
