/**
 * Old versions of the group, offset and admin APIs that need no old message format (served as
 * Redpanda serves them, where Kafka 4 closes the connection after KIP-896): OffsetCommit v0–v1,
 * OffsetFetch v0, ListOffsets v0, CreateTopics v0–v1, DeleteTopics v0, DescribeConfigs v0. Checked
 * at the wire and with kafka-python pinned to old broker versions, which sends them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode } from '../../src/protocol/errors.js';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import { WireClient } from '../helpers/broker-process.js';
import { withBroker, run, SYSTEM_PYTHON } from '../helpers/broker.js';
import type { Broker } from '../../src/broker/broker.js';

/** How long the group coordinator may take to create and load `__consumer_offsets`. */
const LOAD_TIMEOUT_MS = 10_000;

/** Waits until the coordinator of `groupId` has loaded its partition of `__consumer_offsets`. */
async function coordinatorReady(w: WireClient, groupId: string): Promise<void> {
  const deadline = Date.now() + LOAD_TIMEOUT_MS;
  for (;;) {
    const r = await w.request(9, 2, { groupId, topics: null });
    if (r.errorCode === 0) return;
    if (Date.now() > deadline) throw new Error(`no group coordinator: ${r.errorCode}`);
    await sleep(20);
  }
}

async function produce(w: WireClient, topic: string, values: string[]): Promise<void> {
  const records = await encodeRecordBatch(values.map((value) => ({ value })));
  const r = await w.request(0, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  assert.equal(r.responses[0].partitionResponses[0].errorCode, 0);
}

test('ApiVersions lists the old versions served, and still not the ones that need message formats v0/v1', async () => {
  await withBroker(async (broker) => {
    const w = await WireClient.connect(broker.port);
    try {
      const r = await w.request(18, 0, {});
      const min = new Map(r.apiKeys.map((k: any) => [k.apiKey, k.minVersion]));
      for (const key of [2, 8, 9, 19, 20, 32]) assert.equal(min.get(key), 0, `api key ${key}`);
      assert.equal(min.get(1), 4, 'Fetch v0–v3 answer in message formats v0/v1');
    } finally {
      w.close();
    }
  });
});

test('ListOffsets v0 answers old-style offsets at segment boundaries, newest first', async () => {
  await withBroker(async (broker) => {
    // Batches of ~80 bytes in 100-byte segments: one segment per batch.
    await broker.topics.create({ name: 'seg', numPartitions: 1, replicationFactor: -1, configs: { 'segment.bytes': '100' } });
    const w = await WireClient.connect(broker.port);
    try {
      for (const v of ['a', 'b', 'c']) await produce(w, 'seg', [v]);
      const ask = async (timestamp: number, maxNumOffsets: number, partitionIndex = 0) => {
        const r = await w.request(2, 0, { replicaId: -1, topics: [{ name: 'seg', partitions: [{ partitionIndex, timestamp, maxNumOffsets }] }] });
        const p = r.topics[0].partitions[0];
        return [p.errorCode, p.oldStyleOffsets];
      };
      assert.deepEqual(await ask(-1, 1), [0, [3]], 'latest');
      assert.deepEqual(await ask(-2, 1), [0, [0]], 'earliest');
      assert.deepEqual(await ask(-1, 10), [0, [3, 2, 1, 0]], 'the log end and every segment base');
      assert.deepEqual(await ask(-1, 2), [0, [3, 2]]);
      assert.deepEqual(await ask(0, 5), [0, []], 'nothing was written before 1970');
      assert.deepEqual(await ask(2 ** 62, 1), [0, [3]], 'after every write: the log end');
      assert.deepEqual(await ask(-1, -1), [ErrorCode.UNKNOWN_SERVER_ERROR, []], 'Kafka fails a negative count');
      assert.deepEqual(await ask(-1, 1, 7), [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []]);
      assert.deepEqual(await ask(-3, 1), [ErrorCode.UNSUPPORTED_VERSION, []], 'v0 knows only -1 and -2');
    } finally {
      w.close();
    }
  });
});

test('OffsetCommit v0 and v1 (with its commit timestamp) are stored and read back by OffsetFetch v0 and v1', async () => {
  await withBroker(async (broker) => {
    await broker.topics.create({ name: 't', numPartitions: 2, replicationFactor: -1, configs: {} });
    const w = await WireClient.connect(broker.port);
    try {
      await coordinatorReady(w, 'old');
      const v0 = await w.request(8, 0, { groupId: 'old', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 11n, committedMetadata: 'zero' }] }] });
      assert.deepEqual(v0.topics[0].partitions.map((p: any) => p.errorCode), [0]);
      const v1 = await w.request(8, 1, {
        groupId: 'old', generationIdOrMemberEpoch: -1, memberId: '',
        topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 22n, commitTimestamp: 1_234n, committedMetadata: 'one' }, { partitionIndex: 5, committedOffset: 1n, commitTimestamp: -1n, committedMetadata: '' }] }],
      });
      assert.deepEqual(v1.topics[0].partitions.map((p: any) => p.errorCode), [0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
      const stale = await w.request(8, 1, { groupId: 'old', generationIdOrMemberEpoch: 3, memberId: 'm', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, commitTimestamp: -1n, committedMetadata: '' }] }] });
      assert.equal(stale.topics[0].partitions[0].errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'generation and member are checked from v1 on');
      for (const version of [0, 1]) {
        const f = await w.request(9, version, { groupId: 'old', topics: [{ name: 't', partitionIndexes: [0, 1] }] });
        assert.deepEqual(f.topics[0].partitions.map((p: any) => [p.partitionIndex, p.committedOffset, p.metadata, p.errorCode]), [[0, 11n, 'zero', 0], [1, 22n, 'one', 0]], `OffsetFetch v${version}`);
      }
      const group = broker.groups.getGroup('old')!;
      assert.equal(group.offset('t', 1)!.commitTimestamp, 1_234n, 'the v1 commit timestamp is kept');
    } finally {
      w.close();
    }
  });
});

test('CreateTopics v0–v1, DeleteTopics v0 and DescribeConfigs v0', async () => {
  await withBroker(async (broker) => {
    const w = await WireClient.connect(broker.port);
    try {
      const topic = (name: string) => ({ name, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '1000' }] });
      const c0 = await w.request(19, 0, { topics: [topic('zero'), topic('bad name!')], timeoutMs: 5000 });
      assert.deepEqual(c0.topics.map((t: any) => [t.name, t.errorCode]), [['zero', 0], ['bad name!', ErrorCode.INVALID_TOPIC_EXCEPTION]]);
      const c1 = await w.request(19, 1, { topics: [topic('checked'), topic('zero')], timeoutMs: 5000, validateOnly: true });
      assert.deepEqual(c1.topics.map((t: any) => [t.name, t.errorCode]), [['checked', 0], ['zero', ErrorCode.TOPIC_ALREADY_EXISTS]]);
      assert.match(c1.topics[1].errorMessage, /zero/);
      assert.equal(broker.topics.get('checked'), undefined, 'validate_only creates nothing');
      assert.equal(broker.topics.get('zero')?.partitions, 2);

      const d = await w.request(32, 0, { resources: [{ resourceType: 2, resourceName: 'zero', configurationKeys: ['retention.ms', 'cleanup.policy'] }] });
      const configs = new Map(d.results[0].configs.map((c: any) => [c.name, [c.value, c.isDefault]]));
      assert.deepEqual([d.results[0].errorCode, configs.get('retention.ms'), configs.get('cleanup.policy')], [0, ['1000', false], ['delete', true]]);

      const del = await w.request(20, 0, { topicNames: ['zero', 'missing'], timeoutMs: 5000 });
      assert.deepEqual(del.responses.map((r: any) => [r.name, r.errorCode]), [['zero', 0], ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
      assert.equal(broker.topics.get('zero'), undefined);
    } finally {
      w.close();
    }
  });
});

/** kafka-python pinned to an old broker version: commit, read the commit back, find the log end. */
const PINNED = `
import sys
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata
bootstrap, major, minor, patch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
c = KafkaConsumer(bootstrap_servers=bootstrap, group_id='pinned-%d%d%d' % (major, minor, patch), api_version=(major, minor, patch), enable_auto_commit=False)
tp = TopicPartition('old', 0)
c.assign([tp])
c.commit({tp: OffsetAndMetadata(2, 'pinned')})
print('committed', c.committed(tp))
c.seek_to_end(tp)
print('end', c.position(tp))
c.close()
`;

async function pinnedRun(broker: Broker, version: [number, number, number]) {
  const r = await run(SYSTEM_PYTHON, ['-c', PINNED, broker.bootstrap, ...version.map(String)], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n');
}

test('kafka-python pinned to 0.8.1, 0.8.2 and 0.10.0 commits (OffsetCommit v0, v1), reads commits (OffsetFetch v0, v1) and finds the log end (ListOffsets v0)', async () => {
  await withBroker(async (broker) => {
    await broker.topics.create({ name: 'old', numPartitions: 1, replicationFactor: -1, configs: {} });
    const w = await WireClient.connect(broker.port);
    try {
      await produce(w, 'old', ['a', 'b', 'c', 'd', 'e']);
      for (const version of ['081', '082', '0100']) await coordinatorReady(w, `pinned-${version}`);
    } finally {
      w.close();
    }
    for (const version of [[0, 8, 1], [0, 8, 2], [0, 10, 0]] as Array<[number, number, number]>) {
      assert.deepEqual(await pinnedRun(broker, version), ['committed 2', 'end 5'], `api_version ${version.join('.')}`);
      const group = broker.groups.getGroup(`pinned-${version.join('')}`);
      assert.equal(group?.offset('old', 0)?.metadata, 'pinned', 'stored in the group coordinator');
    }
  });
});
