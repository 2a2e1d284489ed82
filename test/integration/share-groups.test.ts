/**
 * Share groups (KIP-932) with a real share consumer: librdkafka 2.15's preview C API
 * (test/helpers/share-consumer.ts compiles it; `npm run fetch:librdkafka` builds the library).
 * Several consumers on one partition share its records; a consumer killed while it holds records
 * has them redelivered once their locks expire; a REJECTed record and one past the delivery limit
 * are archived; acknowledgements survive a broker restart and what was in flight is redelivered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../../src/broker/broker.js';
import { createClient } from '../../src/client/index.js';
import { runShareConsumer, shareConsumerBinary } from '../helpers/share-consumer.js';
import { Kafka, logLevel } from 'kafkajs';

/** Small locks and a small delivery limit, so that expiry and archiving happen within a test. */
const SHARE_CONFIG = {
  'samsa.share.auto.offset.reset': 'earliest',
  'group.share.min.record.lock.duration.ms': '1000',
  'group.share.record.lock.duration.ms': '2000',
  'group.share.delivery.count.limit': '3',
  'group.share.min.heartbeat.interval.ms': '500',
  'group.share.heartbeat.interval.ms': '500',
};

async function produce(bootstrap: string, topic: string, values: string[], perSend = values.length, pauseMs = 0, partitions = 1): Promise<void> {
  const client = createClient({ bootstrapServers: bootstrap, clientId: 'share-test' });
  try {
    const admin = client.admin();
    await admin.createTopics([{ topic, numPartitions: partitions, replicationFactor: 1 }]).catch(() => undefined);
    const producer = client.producer();
    for (let i = 0; i < values.length; i += perSend) {
      await producer.send({ topic, messages: values.slice(i, i + perSend).map((value) => ({ value, ...(partitions > 1 ? { partition: (i / perSend) % partitions } : {}) })) });
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  } finally {
    await client.close();
  }
}

async function withShareBroker<T>(fn: (b: Broker) => Promise<T>, dataDir?: string): Promise<T> {
  const broker = await Broker.start({ port: 0, config: SHARE_CONFIG, ...(dataDir === undefined ? {} : { dataDir }) });
  try {
    return await fn(broker);
  } finally {
    await broker.stop();
  }
}

test('share groups with librdkafka 2.15: three consumers on one partition get distinct records and together all of them', { timeout: 90_000 }, async () => {
  await shareConsumerBinary();
  await withShareBroker(async (broker) => {
    const values = Array.from({ length: 120 }, (_, i) => `v${i}`);
    await produce(broker.bootstrap, 'queue', values.slice(0, 1));
    // Workers that take 10 ms per record and poll at most 8: while one works, the others acquire.
    const consumers = [0, 1, 2].map(() => runShareConsumer({ bootstrap: broker.bootstrap, groupId: 'workers', topic: 'queue', mode: 'accept', idleMs: 6000, conf: { 'max.poll.records': '8', 'process.ms': '10' } }));
    await new Promise((r) => setTimeout(r, 2500));
    await produce(broker.bootstrap, 'queue', values.slice(1), 4, 30);
    const runs = await Promise.all(consumers);
    const all = runs.flatMap((r) => r.records.map((m) => m.value));
    for (const r of runs) assert.ok(r.records.length > 0, `every consumer gets records: ${runs.map((x) => x.records.length).join(', ')}\n${r.stderr}`);
    assert.equal(new Set(all).size, all.length, 'no record goes to two consumers');
    assert.deepEqual([...all].sort(), [...values].sort());
  });
});

test('share groups with librdkafka 2.15: two consumers of a three-partition topic get every record once', { timeout: 90_000 }, async () => {
  await shareConsumerBinary();
  await withShareBroker(async (broker) => {
    const values = Array.from({ length: 60 }, (_, i) => `p${i}`);
    await produce(broker.bootstrap, 'spread', values, 10, 0, 3);
    const runs = await Promise.all([0, 1].map(() => runShareConsumer({ bootstrap: broker.bootstrap, groupId: 'g-spread', topic: 'spread', mode: 'accept', idleMs: 4000 })));
    const all = runs.flatMap((r) => r.records.map((m) => m.value));
    assert.deepEqual([...all].sort(), [...values].sort(), runs.map((r) => r.stderr).join('\n'));
  });
});

test('share groups with librdkafka 2.15: records of a consumer killed with SIGKILL are redelivered to another after the lock expires', { timeout: 90_000 }, async () => {
  await shareConsumerBinary();
  await withShareBroker(async (broker) => {
    await produce(broker.bootstrap, 'jobs', Array.from({ length: 10 }, (_, i) => `job${i}`));
    const dead = await runShareConsumer({ bootstrap: broker.bootstrap, groupId: 'g-kill', topic: 'jobs', mode: 'hold', count: 10, idleMs: 15_000 });
    assert.match(dead.stdout, /HELD/, dead.stderr);
    assert.equal(dead.code, null, 'killed by its own SIGKILL');
    assert.equal(dead.records.length, 10);
    const started = Date.now();
    const next = await runShareConsumer({ bootstrap: broker.bootstrap, groupId: 'g-kill', topic: 'jobs', mode: 'accept', count: 10, idleMs: 8000 });
    assert.deepEqual(next.records.map((m) => m.value).sort(), dead.records.map((m) => m.value).sort(), next.stderr);
    assert.ok(next.records.every((m) => m.deliveryCount === 2), 'each was delivered before, to the dead consumer');
    assert.ok(Date.now() - started < 20_000);
  });
});

test('share groups with librdkafka 2.15: a REJECTed poison record and one released past group.share.delivery.count.limit are archived', { timeout: 90_000 }, async () => {
  await shareConsumerBinary();
  await withShareBroker(async (broker) => {
    await produce(broker.bootstrap, 'poison', ['a', 'poison', 'b']);
    const rejecting = await runShareConsumer({ bootstrap: broker.bootstrap, groupId: 'g-reject', topic: 'poison', mode: 'reject=poison', idleMs: 3000 });
    assert.deepEqual(rejecting.records.map((m) => m.value), ['a', 'poison', 'b'], rejecting.stderr);
    const after = await runShareConsumer({ bootstrap: broker.bootstrap, groupId: 'g-reject', topic: 'poison', mode: 'accept', idleMs: 3000 });
    assert.deepEqual(after.records, [], 'nothing is delivered again');

    // RELEASE every time: the record comes back until its third delivery (the limit), then no more.
    await produce(broker.bootstrap, 'flaky', ['x']);
    const releasing = await runShareConsumer({ bootstrap: broker.bootstrap, groupId: 'g-release', topic: 'flaky', mode: 'release', idleMs: 3000 });
    assert.deepEqual(releasing.records.map((m) => m.deliveryCount), [1, 2, 3], releasing.stderr);
    const later = await runShareConsumer({ bootstrap: broker.bootstrap, groupId: 'g-release', topic: 'flaky', mode: 'accept', idleMs: 3000 });
    assert.deepEqual(later.records, []);
  });
});

test('share groups with librdkafka 2.15: acknowledgements survive a broker restart, and records in flight are redelivered', { timeout: 90_000 }, async () => {
  await shareConsumerBinary();
  const dir = await mkdtemp(join(tmpdir(), 'samsa-share-restart-'));
  try {
    await withShareBroker(async (broker) => {
      await produce(broker.bootstrap, 'durable', Array.from({ length: 10 }, (_, i) => `d${i}`));
      const first = await runShareConsumer({ bootstrap: broker.bootstrap, groupId: 'g-durable', topic: 'durable', mode: 'ackbelow=5', count: 10, idleMs: 15_000 });
      assert.match(first.stdout, /COMMITTED/, first.stderr);
    }, dir);
    await withShareBroker(async (broker) => {
      const second = await runShareConsumer({ bootstrap: broker.bootstrap, groupId: 'g-durable', topic: 'durable', mode: 'accept', idleMs: 4000 });
      assert.deepEqual(second.records.map((m) => [m.offset, m.deliveryCount]), [5, 6, 7, 8, 9].map((o) => [o, 2]), second.stderr);
    }, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('share.isolation.level=read_committed (a group config): a librdkafka share consumer gets only committed transactions, nothing past an open one until it commits; read_uncommitted gets everything', { timeout: 90_000 }, async () => {
  await shareConsumerBinary();
  await withShareBroker(async (broker) => {
    const client = createClient({ bootstrapServers: broker.bootstrap, clientId: 'share-txn-test' });
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ transactionalId: 'share-txn', idempotent: true, maxInFlightRequests: 1 });
    try {
      const admin = client.admin();
      await admin.createTopics([{ topic: 'txq', numPartitions: 1, replicationFactor: 1 }]);
      await admin.incrementalAlterConfigs({ type: 'group', name: 'rc' }, [{ name: 'share.isolation.level', op: 'set', value: 'read_committed' }]);
      await producer.connect();
      const txn = async (values: string[], commit: boolean) => {
        const t = await producer.transaction();
        await t.send({ topic: 'txq', messages: values.map((value) => ({ value })) });
        if (commit) await t.commit();
        else await t.abort();
        return t;
      };
      await txn(['c1', 'c2'], true);
      await txn(['a1', 'a2'], false);
      await txn(['c3'], true);
      const open = await producer.transaction();
      await open.send({ topic: 'txq', messages: [{ value: 'o1' }] });

      const committed = await runShareConsumer({ bootstrap: broker.bootstrap, groupId: 'rc', topic: 'txq', mode: 'accept', idleMs: 3000 });
      assert.deepEqual(committed.records.map((r) => r.value), ['c1', 'c2', 'c3'], committed.stderr);
      const everything = await runShareConsumer({ bootstrap: broker.bootstrap, groupId: 'ru', topic: 'txq', mode: 'accept', idleMs: 3000 });
      assert.deepEqual(everything.records.map((r) => r.value), ['c1', 'c2', 'a1', 'a2', 'c3', 'o1'], everything.stderr);

      await open.commit();
      const rest = await runShareConsumer({ bootstrap: broker.bootstrap, groupId: 'rc', topic: 'txq', mode: 'accept', idleMs: 3000 });
      assert.deepEqual(rest.records.map((r) => r.value), ['o1'], 'the transaction committed: its record now, the aborted ones never');
    } finally {
      await producer.disconnect().catch(() => undefined);
      await client.close();
    }
  });
});
