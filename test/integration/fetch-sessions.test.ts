// Incremental fetch sessions (KIP-227) at the wire: a full fetch at epoch 0 opens a session, the
// incremental fetches that follow carry only the partitions with news (records, a new high
// watermark or log start offset, an error), the session errors come as Kafka sends them, and the
// bytes an idle incremental fetch saves over a full one with 1,000 partitions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { WireClient } from '../helpers/broker-process.js';
import { createClient } from '../../src/client/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';

interface Part { partition: number; fetchOffset: number }
interface Topic { topic: string; topicId: string; partitions: Part[] }

function fetchRequest(sessionId: number, sessionEpoch: number, topics: Topic[], forgotten: Array<{ topic: string; topicId: string; partitions: number[] }> = []) {
  return {
    clusterId: null, replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1 }, maxWaitMs: 0, minBytes: 0, maxBytes: 50 << 20,
    isolationLevel: 0, sessionId, sessionEpoch, rackId: '', forgottenTopicsData: forgotten,
    topics: topics.map((t) => ({
      topic: t.topic, topicId: t.topicId,
      partitions: t.partitions.map((p) => ({ partition: p.partition, currentLeaderEpoch: -1, fetchOffset: p.fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 })),
    })),
  };
}

/** [partition, high watermark, log start offset, record bytes > 0, error] of each partition answered. */
function answered(resp: any): Array<[number, number, number, boolean, number]> {
  return resp.responses.flatMap((t: any) => t.partitions.map((p: any) => [p.partitionIndex, Number(p.highWatermark), Number(p.logStartOffset), p.records.length > 0, p.errorCode]));
}

test('fetch sessions: full then incremental fetches answer only what changed; epochs, ids and topic ids checked as Kafka', { timeout: 60_000 }, async () => {
  await withBroker(async (broker) => {
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    const w = await WireClient.connect(broker.port);
    try {
      await kafka.admin().createTopics([{ topic: 's', numPartitions: 3 }]);
      const producer = kafka.producer();
      await producer.send({ topic: 's', messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 0 }] });
      const topicId = broker.topics.get('s')!.topicId;
      const all = (offsets: number[]): Topic[] => [{ topic: 's', topicId, partitions: offsets.map((fetchOffset, partition) => ({ partition, fetchOffset })) }];

      const full = await w.request(1, 13, fetchRequest(0, 0, all([0, 0, 0])));
      assert.equal(full.errorCode, 0);
      const id = full.sessionId;
      assert.ok(id > 0, 'epoch 0 opens a session');
      assert.deepEqual(answered(full), [[0, 2, 0, true, 0], [1, 0, 0, false, 0], [2, 0, 0, false, 0]]);
      assert.equal(broker.fetchSessions.snapshot().sessions, 1);

      // Partition 0 moved on to its end: nothing changed anywhere, nothing is answered.
      const idle = await w.request(1, 13, fetchRequest(id, 1, [{ topic: 's', topicId, partitions: [{ partition: 0, fetchOffset: 2 }] }]));
      assert.deepEqual([idle.errorCode, idle.sessionId, answered(idle)], [0, id, []]);

      // New records on partition 2 only: only partition 2 is answered, from the position the session holds.
      await producer.send({ topic: 's', messages: [{ value: 'c', partition: 2 }] });
      const news = await w.request(1, 13, fetchRequest(id, 2, []));
      assert.deepEqual(answered(news), [[2, 1, 0, true, 0]]);

      // A repeated epoch, another request version's topic naming, an unknown id: errors, session id 0.
      const dup = await w.request(1, 13, fetchRequest(id, 2, []));
      assert.deepEqual([dup.errorCode, dup.sessionId, dup.responses.length], [ErrorCode.INVALID_FETCH_SESSION_EPOCH, 0, 0]);
      const v12 = await w.request(1, 12, fetchRequest(id, 3, []));
      assert.deepEqual([v12.errorCode, v12.sessionId], [ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR, 0]);
      const unknown = await w.request(1, 13, fetchRequest(id ^ 1, 3, []));
      assert.deepEqual([unknown.errorCode, unknown.sessionId], [ErrorCode.FETCH_SESSION_ID_NOT_FOUND, 0]);

      // The errors left the session as it was: epoch 3 is still the next one. The log start
      // offset of partition 0 moves: it is answered, with no records.
      await kafka.admin().deleteRecords([{ topic: 's', partition: 0, offset: 1 }]);
      const moved = await w.request(1, 13, fetchRequest(id, 3, [{ topic: 's', topicId, partitions: [{ partition: 2, fetchOffset: 1 }] }]));
      assert.deepEqual(answered(moved), [[0, 2, 1, false, 0]]);

      // Forgotten partitions are no longer fetched: new records on partition 1 after it is forgotten stay unanswered.
      const forgot = await w.request(1, 13, fetchRequest(id, 4, [], [{ topic: '', topicId, partitions: [1] }]));
      assert.deepEqual(answered(forgot), []);
      await producer.send({ topic: 's', messages: [{ value: 'd', partition: 1 }] });
      assert.deepEqual(answered(await w.request(1, 13, fetchRequest(id, 5, []))), []);
      assert.equal(broker.fetchSessions.snapshot().partitions, 2);

      // Epoch -1 closes the session and fetches without one.
      const closing = await w.request(1, 13, fetchRequest(id, -1, all([2, 0, 1])));
      assert.deepEqual([closing.errorCode, closing.sessionId], [0, 0]);
      assert.deepEqual(answered(closing), [[0, 2, 1, false, 0], [1, 1, 0, true, 0], [2, 1, 0, false, 0]]);
      assert.equal((await w.request(1, 13, fetchRequest(id, 6, []))).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
      assert.equal(broker.fetchSessions.snapshot().sessions, 0);
    } finally {
      w.close();
      await kafka.close();
    }
  });
});

test('fetch sessions by name (v12): an unknown topic stays in the answer with its error; v13 may not use the session', { timeout: 60_000 }, async () => {
  await withBroker(async (broker) => {
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    const w = await WireClient.connect(broker.port);
    try {
      await kafka.admin().createTopics([{ topic: 'n', numPartitions: 2 }]);
      const topics: Topic[] = [{ topic: 'n', topicId: '', partitions: [{ partition: 0, fetchOffset: 0 }, { partition: 1, fetchOffset: 0 }] }, { topic: 'missing', topicId: '', partitions: [{ partition: 0, fetchOffset: 0 }] }];
      const full = await w.request(1, 12, fetchRequest(0, 0, topics));
      assert.ok(full.sessionId > 0);
      const idle = await w.request(1, 12, fetchRequest(full.sessionId, 1, []));
      assert.deepEqual(idle.responses.map((t: any) => [t.topic, t.partitions.map((p: any) => [p.partitionIndex, p.errorCode])]), [['missing', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]]], 'an error is always answered');
      assert.equal((await w.request(1, 13, fetchRequest(full.sessionId, 2, []))).errorCode, ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
      // Fetch v4-v6 have no sessions: always sessionless.
      const v4 = await w.request(1, 4, fetchRequest(0, 0, topics));
      assert.equal(v4.responses.length, 2);
      assert.equal(broker.fetchSessions.snapshot().sessions, 1);
      // A follower's (replica id >= 0) session is privileged, so consumers' sessions cannot evict it.
      const follower = await w.request(1, 12, { ...fetchRequest(0, 0, topics.slice(0, 1)), replicaId: 1 });
      assert.equal(broker.fetchSessions.get(follower.sessionId)?.privileged, true);
      assert.equal(broker.fetchSessions.get(full.sessionId)?.privileged, false);
    } finally {
      w.close();
      await kafka.close();
    }
  });
});

test('fetch sessions: response bytes of an idle incremental fetch vs a full fetch of 1,000 partitions', { timeout: 120_000 }, async () => {
  const PARTITIONS = 1000;
  await withBroker(async (broker) => {
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    const w = await WireClient.connect(broker.port);
    let received = 0;
    w.socket.on('data', (d: Buffer) => (received += d.length));
    /** The bytes on the wire of one request's response (size prefix and header included). */
    const bytesOf = async (body: object): Promise<[number, any]> => {
      received = 0;
      const resp = await w.request(1, 13, body);
      return [received, resp];
    };
    try {
      await kafka.admin().createTopics([{ topic: 'wide', numPartitions: PARTITIONS }]);
      const topicId = broker.topics.get('wide')!.topicId;
      const topics = [{ topic: 'wide', topicId, partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, fetchOffset: 0 })) }];
      const [sessionlessBytes] = await bytesOf(fetchRequest(0, -1, topics));
      const [fullBytes, full] = await bytesOf(fetchRequest(0, 0, topics));
      const [idleBytes, idle] = await bytesOf(fetchRequest(full.sessionId, 1, []));
      assert.equal(answered(full).length, PARTITIONS);
      assert.deepEqual(answered(idle), []);
      await kafka.producer().send({ topic: 'wide', messages: [{ value: 'x', partition: 7 }] });
      const [oneBytes, one] = await bytesOf(fetchRequest(full.sessionId, 2, []));
      assert.deepEqual(answered(one).map((p) => p[0]), [7]);
      assert.equal(fullBytes, sessionlessBytes);
      assert.ok(idleBytes * 100 < fullBytes, `idle ${idleBytes} B vs full ${fullBytes} B`);
      console.log(`fetch response bytes, ${PARTITIONS} partitions (Fetch v13): full ${fullBytes}, idle incremental ${idleBytes}, incremental with 1 changed partition ${oneBytes}; saved ${fullBytes - idleBytes} bytes (${((1 - idleBytes / fullBytes) * 100).toFixed(2)} %) per idle fetch`);
    } finally {
      w.close();
      await kafka.close();
    }
  });
});

test('fetch sessions under a consumer quota: a throttled incremental fetch keeps its session and what it last sent', { timeout: 60_000 }, async () => {
  await withBroker(async (broker) => {
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    const w = await WireClient.connect(broker.port);
    const w2 = await WireClient.connect(broker.port);
    try {
      await kafka.admin().createTopics([{ topic: 'q', numPartitions: 2 }]);
      const topicId = broker.topics.get('q')!.topicId;
      const full = await w.request(1, 13, fetchRequest(0, 0, [{ topic: 'q', topicId, partitions: [{ partition: 0, fetchOffset: 0 }, { partition: 1, fetchOffset: 0 }] }]));
      assert.ok(full.sessionId > 0);
      await kafka.producer().send({ topic: 'q', messages: Array.from({ length: 5 }, () => ({ partition: 0, value: 'x'.repeat(1000) })) });
      // The WireClient's client id, held to 100 bytes/s: the fetch of 5 KB is throttled.
      await kafka.admin().alterClientQuotas([{ entity: { 'client-id': 'wire-client' }, ops: { consumer_byte_rate: 100 } }]);
      const throttled = await w.request(1, 13, fetchRequest(full.sessionId, 1, []));
      assert.ok(throttled.throttleTimeMs > 0);
      assert.deepEqual([throttled.errorCode, throttled.sessionId, throttled.responses], [0, full.sessionId, []]);
      // Quota gone, on another connection (the first is muted): the records not sent are answered now.
      await kafka.admin().alterClientQuotas([{ entity: { 'client-id': 'wire-client' }, ops: { consumer_byte_rate: null } }]);
      const next = await w2.request(1, 13, fetchRequest(full.sessionId, 2, []));
      assert.deepEqual([next.throttleTimeMs, next.sessionId, answered(next)], [0, full.sessionId, [[0, 5, 0, true, 0]]]);
    } finally {
      w.close();
      w2.close();
      await kafka.close();
    }
  });
});
