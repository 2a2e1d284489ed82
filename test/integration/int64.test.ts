/**
 * INT64 values beyond 2^53 at the wire: committed offsets come back exactly (also after a
 * restart, from `__consumer_offsets`), and every request that carries an int64 is answered with
 * Kafka's code for a huge value rather than closing the connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Broker } from '../../src/broker/broker.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import { ATTRIBUTES, BASE_TIMESTAMP, CRC, MAX_TIMESTAMP, PRODUCER_ID } from '../../src/protocol/records/batch-header.js';
import { crc32c } from '../../src/util/crc32c.js';
import { WireClient } from '../helpers/broker-process.js';
import { withBroker } from '../helpers/broker.js';

const INT64_MAX = 2n ** 63n - 1n;
const ODD_BEYOND_2_53 = 2n ** 53n + 1n;
/** A number field given 2^63 writes INT64_MAX on the wire (the nearest INT64). */
const HUGE = 2 ** 63;
/** How long the group coordinator may take to load `__consumer_offsets` after a start. */
const LOAD_TIMEOUT_MS = 10_000;

/** OffsetFetch v1 of group `g`, topic `t`, partitions 0–2, retried while the coordinator loads. */
async function fetchCommitted(w: WireClient): Promise<Array<[number, bigint]>> {
  const deadline = Date.now() + LOAD_TIMEOUT_MS;
  for (;;) {
    const r = await w.request(9, 1, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 1, 2] }] });
    const codes = r.topics[0].partitions.map((p: any) => p.errorCode);
    if (codes.every((c: number) => c === 0)) return r.topics[0].partitions.map((p: any) => [p.partitionIndex, p.committedOffset]);
    assert.ok(codes.every((c: number) => c === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || c === ErrorCode.COORDINATOR_NOT_AVAILABLE), `codes ${codes}`);
    if (Date.now() > deadline) throw new Error('the group coordinator did not load in time');
    await sleep(20);
  }
}

/** Waits until the transaction coordinator answers (its log is created by the first request). */
async function txnCoordinatorReady(w: WireClient): Promise<void> {
  const deadline = Date.now() + LOAD_TIMEOUT_MS;
  for (;;) {
    const r = await w.request(10, 1, { key: 'tx', keyType: 1 });
    if (r.errorCode === 0) return;
    if (Date.now() > deadline) throw new Error(`no transaction coordinator: ${r.errorCode}`);
    await sleep(20);
  }
}

test('committed offsets 2^63-1 and 2^53+1 come back exactly from OffsetFetch, also after a restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-int64-'));
  try {
    let broker = await Broker.start({ port: 0, dataDir: dir });
    let w = await WireClient.connect(broker.port);
    try {
      await broker.topics.create({ name: 't', numPartitions: 3, replicationFactor: -1, configs: {} });
      await fetchCommitted(w); // the coordinator is ready
      const partitions = [
        { partitionIndex: 0, committedOffset: INT64_MAX, committedLeaderEpoch: -1, committedMetadata: 'max' },
        { partitionIndex: 1, committedOffset: ODD_BEYOND_2_53, committedLeaderEpoch: -1, committedMetadata: 'odd' },
        { partitionIndex: 2, committedOffset: -(2n ** 63n), committedLeaderEpoch: -1, committedMetadata: 'min' },
      ];
      const commit = await w.request(8, 8, { groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 't', partitions }] });
      assert.deepEqual(commit.topics[0].partitions.map((p: any) => p.errorCode), [0, 0, 0]);
      const expected: Array<[number, bigint]> = [[0, INT64_MAX], [1, ODD_BEYOND_2_53], [2, -(2n ** 63n)]];
      assert.deepEqual(await fetchCommitted(w), expected);
      const v8 = await w.request(9, 8, { groups: [{ groupId: 'g', memberId: null, memberEpoch: -1, topics: null }], requireStable: false });
      assert.deepEqual(v8.groups[0].topics[0].partitions.map((p: any) => [p.partitionIndex, p.committedOffset]), expected);
      w.close();
      await broker.stop();

      broker = await Broker.start({ port: 0, dataDir: dir });
      w = await WireClient.connect(broker.port);
      assert.deepEqual(await fetchCommitted(w), expected, 'replayed from __consumer_offsets');
    } finally {
      w.close();
      await broker.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('OffsetCommit v2 with retention_time_ms 2^63-1 is answered, as Kafka answers it', async () => {
  await withBroker(async (broker) => {
    const w = await WireClient.connect(broker.port);
    try {
      await broker.topics.create({ name: 't', numPartitions: 3, replicationFactor: -1, configs: {} });
      await fetchCommitted(w);
      const partitions = [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: '' }];
      const r = await w.request(8, 2, { groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: INT64_MAX, topics: [{ name: 't', partitions }] });
      assert.deepEqual(r.topics[0].partitions.map((p: any) => p.errorCode), [0]);
      assert.equal((await fetchCommitted(w))[0]![1], 5n);
    } finally {
      w.close();
    }
  });
});

test('huge int64 values in Fetch, ListOffsets, DeleteRecords and the transaction APIs get Kafka answers, never a closed connection', async () => {
  await withBroker(async (broker) => {
    const w = await WireClient.connect(broker.port);
    try {
      await broker.topics.create({ name: 't', numPartitions: 3, replicationFactor: -1, configs: {} });
      const fetchPartition = { partition: 0, currentLeaderEpoch: -1, fetchOffset: HUGE, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1024 };
      for (const version of [4, 12]) {
        const f = await w.request(1, version, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1024, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 't', partitions: [fetchPartition] }], forgottenTopicsData: [], rackId: '' });
        assert.equal(f.responses[0].partitions[0].errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, `Fetch v${version}`);
      }
      const list = await w.request(2, 1, { replicaId: -1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: HUGE }] }] });
      assert.deepEqual([list.topics[0].partitions[0].errorCode, list.topics[0].partitions[0].offset], [0, -1], 'no record at or after that time');
      const negative = await w.request(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -HUGE }, { partitionIndex: 1, currentLeaderEpoch: -1, timestamp: -4 }] }] });
      assert.deepEqual(negative.topics[0].partitions.map((p: any) => p.errorCode), [ErrorCode.UNSUPPORTED_VERSION, ErrorCode.UNSUPPORTED_VERSION], 'negative timestamps that name no lookup at v7');
      const del = await w.request(21, 0, { topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: HUGE }] }], timeoutMs: 1000 });
      assert.equal(del.topics[0].partitions[0].errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);

      // An idempotent producer's InitProducerId ignores the id it carries, as Kafka does.
      const init = await w.request(22, 3, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: HUGE, producerEpoch: 0 });
      assert.equal(init.errorCode, 0);
      assert.ok(init.producerId >= 0 && init.producerId < HUGE);
      // The transaction APIs answer a huge producer id as they answer any other id they did not give out.
      const txnRequests: Array<[number, number, (transactionalId: string, producerId: number) => object, (r: any) => number]> = [
        [22, 3, (transactionalId, producerId) => ({ transactionalId, transactionTimeoutMs: 60_000, producerId, producerEpoch: 0 }), (r) => r.errorCode],
        [24, 1, (transactionalId, producerId) => ({ v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: 't', partitions: [0] }], transactions: [] }), (r) => r.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode],
        [25, 1, (transactionalId, producerId) => ({ transactionalId, producerId, producerEpoch: 0, groupId: 'g' }), (r) => r.errorCode],
        [26, 1, (transactionalId, producerId) => ({ transactionalId, producerId, producerEpoch: 0, committed: true }), (r) => r.errorCode],
        [28, 0, (transactionalId, producerId) => ({ transactionalId, groupId: 'g', producerId, producerEpoch: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: INT64_MAX, committedLeaderEpoch: -1, committedMetadata: '' }] }] }), (r) => r.topics[0].partitions[0].errorCode],
      ];
      await txnCoordinatorReady(w);
      for (const [apiKey, version, body, code] of txnRequests) {
        const huge = code(await w.request(apiKey, version, body('tx-huge', HUGE)));
        const unknown = code(await w.request(apiKey, version, body('tx-other', 987_654)));
        assert.equal(huge, unknown, `api ${apiKey} v${version}`);
      }
      const listTxn = await w.request(66, 1, { stateFilters: [], producerIdFilters: [HUGE, -HUGE], durationFilter: HUGE });
      assert.deepEqual([listTxn.errorCode, listTxn.transactionStates], [0, []]);
      // The connection is still open and answers.
      assert.equal((await w.request(18, 0, {})).errorCode, 0);
    } finally {
      w.close();
    }
  });
});

test('an idempotent batch with producer id and timestamps of 2^63-1 is stored, found, and its log closes cleanly and reopens', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-int64-ts-'));
  try {
    let broker = await Broker.start({ port: 0, dataDir: dir });
    let w = await WireClient.connect(broker.port);
    const producers = async () => (await w.request(61, 0, { topics: [{ name: 't', partitionIndexes: [0] }] })).topics[0].partitions[0].activeProducers.map((p: any) => [p.producerId, p.lastSequence, p.lastTimestamp]);
    try {
      await broker.topics.create({ name: 't', numPartitions: 1, replicationFactor: -1, configs: {} });
      const batch = Buffer.from(await encodeRecordBatch([{ value: 'x' }, { value: 'y' }], { producerId: 1, producerEpoch: 0, baseSequence: 0 }));
      for (const at of [BASE_TIMESTAMP, MAX_TIMESTAMP, PRODUCER_ID]) batch.writeBigInt64BE(INT64_MAX, at);
      batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES)) >>> 0, CRC);
      const produced = await w.request(0, 7, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records: batch }] }] });
      assert.equal(produced.responses[0].partitionResponses[0].errorCode, 0);
      const found = await w.request(2, 1, { replicaId: -1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: HUGE }] }] });
      assert.deepEqual([found.topics[0].partitions[0].errorCode, found.topics[0].partitions[0].offset], [0, 0]);
      // Numbers on this side: INT64_MAX on the wire reads as 2^63.
      assert.deepEqual(await producers(), [[HUGE, 1, HUGE]]);
      w.close();
      await broker.stop();
      // Every log closed cleanly (time index, producer snapshot): the log dir has its marker.
      await access(join(dir, '.kafka_cleanshutdown'));
      broker = await Broker.start({ port: 0, dataDir: dir });
      w = await WireClient.connect(broker.port);
      assert.deepEqual(await producers(), [[HUGE, 1, HUGE]], 'the producer snapshot read back');
    } finally {
      w.close();
      await broker.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
