import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Kafka, logLevel, CompressionTypes } from 'kafkajs';
import { ManualClock } from '../../src/platform/clock.js';
import { withBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait.js';

const require = createRequire(import.meta.url);

/** Below KafkaJS's 30 s request timeout, far above how long a fetch takes to answer. */
const LONG_POLL_MS = 20_000;

function kafkaFor(bootstrap: string) {
  return new Kafka({ clientId: 'samsa-test', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 50 } });
}

test('KafkaJS admin creates, lists and deletes topics', async () => {
  await withBroker(async (broker) => {
    const admin = kafkaFor(broker.bootstrap).admin();
    await admin.connect();
    try {
      assert.equal(await admin.createTopics({ topics: [{ topic: 'alpha', numPartitions: 3 }, { topic: 'beta' }] }), true);
      assert.deepEqual((await admin.listTopics()).sort(), ['alpha', 'beta']);
      const meta = await admin.fetchTopicMetadata({ topics: ['alpha'] });
      assert.equal(meta.topics[0]!.partitions.length, 3);
      // Creating an existing topic is not an error for KafkaJS: it reports false.
      assert.equal(await admin.createTopics({ topics: [{ topic: 'alpha' }] }), false);
      await assert.rejects(admin.createTopics({ topics: [{ topic: 'bad name!' }] }));
      await assert.rejects(admin.createTopics({ topics: [{ topic: 'rf', replicationFactor: 3 }] }), (err: any) => {
        assert.equal(err.errors[0].type, 'INVALID_REPLICATION_FACTOR');
        return true;
      });
      await admin.deleteTopics({ topics: ['beta'] });
      assert.deepEqual(await admin.listTopics(), ['alpha']);
      const cluster = await admin.describeCluster();
      assert.equal(cluster.controller, 1);
      assert.equal(cluster.brokers.length, 1);
    } finally {
      await admin.disconnect();
    }
  });
});

test('KafkaJS producer: headers, null keys and values, timestamps, compression; offsets read back through its raw fetch, which long-polls', async () => {
  // The broker's clock: the long poll's max_wait_ms passes when the test moves it.
  const clock = new ManualClock();
  await withBroker(async (broker) => {
    const kafka = kafkaFor(broker.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    const ts = 1_700_000_000_000;
    const first = await producer.send({
      topic: 'events',
      acks: -1,
      messages: [
        { key: 'k1', value: 'v1', headers: { h: 'x' }, timestamp: String(ts) },
        { key: null, value: 'no key' },
        { key: 'tombstone', value: null },
      ],
    });
    assert.equal(first[0]!.errorCode, 0);
    assert.equal(first[0]!.baseOffset, '0');
    const second = await producer.send({ topic: 'events', compression: CompressionTypes.GZIP, messages: [{ value: 'zipped' }] });
    assert.equal(second[0]!.baseOffset, '3');
    await producer.disconnect();

    const offsets = await admin.fetchTopicOffsets('events');
    assert.equal(offsets[0]!.high, '4');
    assert.equal(offsets[0]!.low, '0');
    const byTime = await admin.fetchTopicOffsetsByTimestamp('events', ts);
    assert.equal(byTime[0]!.offset, '0');
    await admin.disconnect();

    // KafkaJS's consumer needs groups; its lower-level broker API performs a plain Fetch.
    const Cluster = require('kafkajs/src/cluster');
    const { createLogger, LEVELS } = require('kafkajs/src/loggers');
    const socketFactory = require('kafkajs/src/network/socketFactory')();
    const logger = createLogger({ level: LEVELS.NOTHING, logCreator: () => () => {} });
    // The Kafka class normally supplies these defaults; without them KafkaJS times out at once.
    const cluster = new Cluster({
      logger, socketFactory, brokers: [broker.bootstrap], clientId: 'raw', retry: { retries: 2 },
      connectionTimeout: 5000, authenticationTimeout: 10000, requestTimeout: 30000, enforceRequestTimeout: true,
    });
    await cluster.connect();
    try {
      await cluster.addTargetTopic('events');
      const leader = await cluster.findBroker({ nodeId: '1' });
      const resp = await leader.fetch({
        replicaId: -1, isolationLevel: 1, maxWaitTime: 100, minBytes: 1,
        topics: [{ topic: 'events', partitions: [{ partition: 0, fetchOffset: '0', maxBytes: 1 << 20 }] }],
      });
      const p = resp.responses[0].partitions[0];
      assert.equal(p.errorCode, 0);
      assert.equal(p.highWatermark, '4');
      const msgs = p.messages.map((m: any) => ({
        offset: m.offset, key: m.key?.toString() ?? null, value: m.value?.toString() ?? null, ts: m.timestamp,
        h: m.headers?.h?.toString(),
      }));
      assert.deepEqual(msgs.map((m: any) => m.offset), ['0', '1', '2', '3']);
      assert.deepEqual(msgs[0], { offset: '0', key: 'k1', value: 'v1', ts: String(ts), h: 'x' });
      assert.equal(msgs[1].key, null);
      assert.equal(msgs[2].value, null);
      assert.equal(msgs[3].value, 'zipped');

      // A long poll on an up-to-date offset waits: an append wakes it with the new record...
      const longPoll = (fetchOffset: string) => leader.fetch({
        replicaId: -1, isolationLevel: 1, maxWaitTime: LONG_POLL_MS, minBytes: 1,
        topics: [{ topic: 'events', partitions: [{ partition: 0, fetchOffset, maxBytes: 1 << 20 }] }],
      });
      const woken = longPoll('4');
      const late = kafka.producer();
      await late.connect();
      await late.send({ topic: 'events', acks: -1, messages: [{ value: 'late' }] });
      await late.disconnect();
      const wake = (await woken).responses[0].partitions[0];
      assert.deepEqual(wake.messages.map((m: any) => [m.offset, m.value.toString()]), [['4', 'late']], 'the waiting fetch answered with the append');
      // ...and without one it answers empty once max_wait_ms has passed on the broker's clock.
      let answered = false;
      const idle = longPoll('5').finally(() => (answered = true));
      await waitFor('the long poll to end at max_wait_ms', () => {
        clock.advance(LONG_POLL_MS);
        return answered;
      });
      assert.equal((await idle).responses[0].partitions[0].messages.length, 0);
    } finally {
      await cluster.disconnect();
    }
  }, { clock });
});

test('KafkaJS auto-creates a topic on first produce (auto.create.topics.enable)', async () => {
  await withBroker(async (broker) => {
    const producer = kafkaFor(broker.bootstrap).producer({ allowAutoTopicCreation: true });
    await producer.connect();
    const res = await producer.send({ topic: 'auto', messages: [{ value: 'hi' }] });
    assert.equal(res[0]!.errorCode, 0);
    await producer.disconnect();
    assert.equal(broker.topics.get('auto')?.partitions, 3);
  }, { config: { 'num.partitions': '3' } });
});
