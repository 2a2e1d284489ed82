/**
 * Retention on an embedded broker driven by a ManualClock: a 7-day retention.ms is checked by
 * advancing the clock 8 days, not by waiting. Consumers positioned at an expired offset get
 * OFFSET_OUT_OF_RANGE and reset per their policy (Samsa's client, KafkaJS's raw fetch, kcat).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Broker, ManualClock, createClient, KafkaError } from '../../src/index.js';
import { installed, run } from '../helpers/broker.js';
import { waitFor as waitUntil } from '../helpers/wait.js';

const require = createRequire(import.meta.url);
const DAY = 86_400_000;
/** Broker-wide retention check period; the clock is moved past it so the check runs at once. */
const CHECK_INTERVAL_MS = 300_000;
const FILE_DELETE_DELAY_MS = 60_000;
/** Bound on waiting for the background retention pass the clock advance started. */
const WAIT_MS_MAX = 10_000;

const HAVE_KCAT = await installed('kcat', ['-V']);

async function startBroker(): Promise<Broker<ManualClock>> {
  const broker = await Broker.start({ port: 0, clock: new ManualClock(), config: { 'log.retention.check.interval.ms': String(CHECK_INTERVAL_MS) } });
  // The type carries the clock: advance() needs no cast.
  broker.clock.advance(0);
  return broker;
}

/** Segment files (`.log`, including `.log.deleted`) in a partition's directory. */
function segmentFiles(broker: Broker, topic: string): string[] {
  return readdirSync(join(broker.dataDir, `${topic}-0`)).filter((f) => f.includes('.log')).sort();
}

function waitFor(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  return waitUntil(what, check, WAIT_MS_MAX);
}

async function produce(kafka: ReturnType<typeof createClient>, topic: string, from: number, count: number, timestamp?: number): Promise<void> {
  const producer = kafka.producer();
  // One request per message, so that the small segments roll often.
  for (let i = from; i < from + count; i++) await producer.send({ topic, messages: [{ key: `k${i}`, value: `value-${i}-${'x'.repeat(100)}`, timestamp }] });
}

test('retention.ms of 7 days: advancing the clock 8 days moves the log start and removes old segments; consumers at an expired offset reset', { timeout: 120_000 }, async () => {
  const broker = await startBroker();
  const kafka = createClient({ bootstrapServers: broker.bootstrap });
  try {
    const admin = kafka.admin();
    await admin.createTopics([{ topic: 'weekly', numPartitions: 1, configs: { 'retention.ms': '604800000', 'segment.bytes': '1024' } }]);
    // A five-day topic created after it: a retention pass checks the logs in creation order, so
    // once this one's log start moved, the pass has looked at 'weekly' too.
    await admin.createTopics([{ topic: 'five-days', numPartitions: 1, configs: { 'retention.ms': String(5 * DAY), 'segment.bytes': '1024' } }]);
    await produce(kafka, 'weekly', 0, 20);
    await produce(kafka, 'five-days', 0, 20);
    const before = segmentFiles(broker, 'weekly');
    assert.ok(before.length >= 3, `several segments: ${before.join(' ')}`);
    assert.equal((await admin.listOffsets('weekly', 0, -2)).offset, 0);

    // A day short of the retention nothing goes (the first check runs once the clock passes it).
    broker.clock.advance(6 * DAY + CHECK_INTERVAL_MS);
    await waitFor('the retention pass to reach the five-day topic', async () => (await admin.listOffsets('five-days', 0, -2)).offset > 0);
    assert.equal((await admin.listOffsets('weekly', 0, -2)).offset, 0);
    // Records stamped six days on: two days old when the first ones are eight.
    await produce(kafka, 'weekly', 20, 10, broker.clock.now());

    broker.clock.advance(2 * DAY);
    let logStart = 0;
    // The periodic check re-arms itself after each pass: keep it due while waiting under load.
    await waitFor('the log start offset to move', async () => {
      broker.clock.advance(CHECK_INTERVAL_MS);
      return (logStart = (await admin.listOffsets('weekly', 0, -2)).offset) > 0;
    });
    assert.equal((await admin.listOffsets('weekly', 0, -1)).offset, 30, 'the high watermark stays');
    assert.ok(logStart <= 20, `the segments of the later records stay (log start ${logStart})`);
    // The deleted files go after file.delete.delay.ms. The deletion timer is set once the
    // segments are renamed, which may happen after the log start moved: keep moving the clock
    // until the files are gone.
    // Checked together: right after the log start moved, the old files may not even be renamed yet.
    const first = `${String(logStart).padStart(20, '0')}.log`;
    await waitFor('old segment files to be removed', () => {
      broker.clock.advance(FILE_DELETE_DELAY_MS);
      const files = segmentFiles(broker, 'weekly');
      return files[0] === first && !files.some((f) => f.endsWith('.deleted'));
    });
    assert.equal(segmentFiles(broker, 'weekly')[0], first);

    // Samsa's consumer at an expired offset: 'earliest' resets to the new log start...
    const earliest = kafka.consumer({ autoOffsetReset: 'earliest' });
    earliest.assign([{ topic: 'weekly', partition: 0, offset: 2 }]);
    const got = await earliest.poll({ timeoutMs: 5000 });
    assert.equal(got[0]?.offset, logStart);
    assert.equal(got[0]?.value?.toString(), `value-${logStart}-${'x'.repeat(100)}`);
    // ...'none' reports OFFSET_OUT_OF_RANGE.
    const none = kafka.consumer({ autoOffsetReset: 'none' });
    none.assign([{ topic: 'weekly', partition: 0, offset: 2 }]);
    await assert.rejects(none.poll({ timeoutMs: 5000 }), (err: unknown) => err instanceof KafkaError && err.code === 1);

    // KafkaJS's raw Fetch at the expired offset gets OFFSET_OUT_OF_RANGE (1).
    const Cluster = require('kafkajs/src/cluster');
    const { createLogger, LEVELS } = require('kafkajs/src/loggers');
    const socketFactory = require('kafkajs/src/network/socketFactory')();
    const logger = createLogger({ level: LEVELS.NOTHING, logCreator: () => () => {} });
    const cluster = new Cluster({
      logger, socketFactory, brokers: [broker.bootstrap], clientId: 'raw', retry: { retries: 0 },
      connectionTimeout: 5000, authenticationTimeout: 10000, requestTimeout: 30000, enforceRequestTimeout: true,
    });
    await cluster.connect();
    try {
      await cluster.addTargetTopic('weekly');
      const leader = await cluster.findBroker({ nodeId: '1' });
      const fetchAt = (offset: number) => leader.fetch({
        replicaId: -1, isolationLevel: 0, maxWaitTime: 100, minBytes: 1,
        topics: [{ topic: 'weekly', partitions: [{ partition: 0, fetchOffset: String(offset), maxBytes: 1 << 20 }] }],
      });
      const code = await fetchAt(2).then((resp: any) => resp.responses[0].partitions[0].errorCode, (err: any) => err.type);
      assert.ok(code === 1 || code === 'OFFSET_OUT_OF_RANGE', `KafkaJS got ${code}`);
      const resp = await fetchAt(logStart);
      assert.equal(resp.responses[0].partitions[0].messages[0].offset, String(logStart));
    } finally {
      await cluster.disconnect();
    }

    // librdkafka (kcat) from offset 2 with auto.offset.reset=earliest restarts at the log start.
    if (HAVE_KCAT) {
      const r = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', 'weekly', '-p', '0', '-o', '2', '-e', '-X', 'auto.offset.reset=earliest', '-f', '%o\n'], { timeoutMs: 45_000 });
      assert.equal(r.code, 0, r.stderr);
      const offsets = r.stdout.trim().split('\n').map(Number);
      assert.equal(offsets[0], logStart, r.stdout);
      assert.equal(offsets.at(-1), 29);
    }
  } finally {
    await kafka.close();
    await broker.stop();
  }
});

test('retention.bytes: the next retention check deletes the oldest segments past the size', { timeout: 60_000 }, async () => {
  const broker = await startBroker();
  const kafka = createClient({ bootstrapServers: broker.bootstrap });
  try {
    const admin = kafka.admin();
    await admin.createTopics([{ topic: 'sized', numPartitions: 1, configs: { 'retention.bytes': '2048', 'segment.bytes': '1024', 'file.delete.delay.ms': '0' } }]);
    await produce(kafka, 'sized', 0, 40);
    const before = segmentFiles(broker, 'sized');
    assert.ok(before.length >= 5, `several segments: ${before.join(' ')}`);
    broker.clock.advance(CHECK_INTERVAL_MS);
    let logStart = 0;
    await waitFor('the log start offset to move', async () => {
      broker.clock.advance(CHECK_INTERVAL_MS);
      return (logStart = (await admin.listOffsets('sized', 0, -2)).offset) > 0;
    });
    // The log start moves at once; the files are renamed to .deleted and removed after it.
    const firstKept = `${String(logStart).padStart(20, '0')}.log`;
    await waitFor('deleted segment files to go', () => {
      const files = segmentFiles(broker, 'sized');
      return files[0] === firstKept && !files.some((f) => f.endsWith('.deleted'));
    });
    const after = segmentFiles(broker, 'sized');
    assert.ok(after.length < before.length, `${after.length} segments left of ${before.length}`);
    assert.equal(after[0], `${String(logStart).padStart(20, '0')}.log`);
    // What is kept is at least retention.bytes: the active segment and the one before it.
    const consumer = kafka.consumer({ autoOffsetReset: 'earliest' });
    consumer.assign([{ topic: 'sized', partition: 0, offset: 0 }]);
    const got = await consumer.poll({ timeoutMs: 5000 });
    assert.equal(got[0]?.offset, logStart);
  } finally {
    await kafka.close();
    await broker.stop();
  }
});

test('retention.ms expires the active segment too, as in Kafka: KafkaJS sees the log start reach the log end, and writes go on from there', { timeout: 60_000 }, async () => {
  const broker = await startBroker();
  const kafka = createClient({ bootstrapServers: broker.bootstrap });
  const { Kafka, logLevel } = require('kafkajs');
  const kjs = new Kafka({ clientId: 'retention', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const kjsAdmin = kjs.admin();
  await kjsAdmin.connect();
  try {
    await kafka.admin().createTopics([{ topic: 'daily', numPartitions: 1, configs: { 'retention.ms': String(DAY) } }]);
    await produce(kafka, 'daily', 0, 5);
    assert.equal(segmentFiles(broker, 'daily').length, 1, 'everything is in the active segment');
    broker.clock.advance(DAY + CHECK_INTERVAL_MS);
    await waitFor('the log start to reach the log end', async () => {
      broker.clock.advance(CHECK_INTERVAL_MS);
      const [p] = await kjsAdmin.fetchTopicOffsets('daily');
      return p.low === '5';
    });
    const [p] = await kjsAdmin.fetchTopicOffsets('daily');
    assert.deepEqual([p.low, p.high], ['5', '5']);
    const producer = kjs.producer();
    await producer.connect();
    const [r] = await producer.send({ topic: 'daily', acks: -1, messages: [{ value: 'after' }] });
    await producer.disconnect();
    assert.equal(r.baseOffset, '5');
  } finally {
    await kjsAdmin.disconnect();
    await kafka.close();
    await broker.stop();
  }
});
