/**
 * Every producer codec × every topic compression.type: Samsa's producer sends one batch per codec
 * to one topic per compression.type; the codec bits of the stored batches must be the topic's
 * (or the producer's, for 'producer'), and kcat, kafka-python and KafkaJS's raw Fetch must each
 * read back exactly what was sent. Each client runs once per topic (kafka-python once in all).
 * Also through the produce path: LogAppendTime on a converted topic, and the timestamp bounds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { createClient, KafkaError } from '../../src/index.js';
import { decodeRecordBatches } from '../../src/protocol/records/record-batch.js';
import { decompress } from '../../src/protocol/records/compression.js';
import { installed, withBroker, run, SYSTEM_PYTHON } from '../helpers/broker.js';

const require = createRequire(import.meta.url);
const { CompressionCodecs, CompressionTypes } = require('kafkajs');

const PRODUCER_CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const CODEC_IDS: Record<string, number> = { none: 0, uncompressed: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };
const TOPIC_TYPES = ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const PER_BATCH = 3;
const TS = 1_700_000_000_000;

const HAVE_KCAT = await installed('kcat', ['-V']);
const HAVE_KAFKA_PYTHON = await installed(SYSTEM_PYTHON, ['-c', 'import kafka, snappy, lz4, zstandard']);

interface Expected {
  offset: number;
  key: string | null;
  value: string;
  headers: Array<[string, string]>;
  ts: number;
}

/** What each topic holds: one batch per producer codec, in PRODUCER_CODECS order. */
function expectedMessages(topicType: string): Expected[] {
  const out: Expected[] = [];
  for (const codec of PRODUCER_CODECS) {
    for (let i = 0; i < PER_BATCH; i++) {
      out.push({
        offset: out.length,
        key: i === 1 ? null : `${codec}-${i}`,
        // Repetitive, so every codec really shrinks it.
        value: `${topicType}/${codec}/${i} `.repeat(10),
        headers: i === 2 ? [] : [['codec', codec], ['i', String(i)]],
        ts: TS + out.length,
      });
    }
  }
  return out;
}

/** Codec bits of every batch in a partition's segment files, oldest first. */
function storedCodecs(dataDir: string, topic: string): number[] {
  const dir = join(dataDir, `${topic}-0`);
  const codecs: number[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.log')).sort()) {
    const buf = readFileSync(join(dir, file));
    for (let pos = 0; pos + 61 <= buf.length; ) {
      const length = buf.readInt32BE(pos + 8);
      if (length <= 0 || buf[pos + 16] !== 2) break;
      codecs.push(buf.readInt16BE(pos + 21) & 0x7);
      pos += 12 + length;
    }
  }
  return codecs;
}

const PY_READ = `
import json, sys, time
from kafka import KafkaConsumer, TopicPartition
bs, topics, n = sys.argv[1], sys.argv[2].split(','), int(sys.argv[3])
consumer = KafkaConsumer(bootstrap_servers=bs, enable_auto_commit=False, auto_offset_reset='earliest')
tps = [TopicPartition(t, 0) for t in topics]
consumer.assign(tps)
out = {t: [] for t in topics}
deadline = time.time() + 30
while sum(len(v) for v in out.values()) < n * len(topics) and time.time() < deadline:
    for tp, records in consumer.poll(timeout_ms=500).items():
        for m in records:
            out[tp.topic].append({'offset': m.offset, 'key': None if m.key is None else m.key.decode(), 'value': m.value.decode(),
                                  'headers': [[k, v.decode()] for k, v in m.headers], 'ts': m.timestamp})
consumer.close()
print(json.dumps(out))
`;

/** KafkaJS ships only gzip; other codecs are plugins, here the broker's own decompressor. */
function registerKafkaJsCodecs(): void {
  const plugin = (id: number) => () => ({
    compress: async () => assert.fail('the test only reads with KafkaJS'),
    decompress: (buffer: Buffer) => decompress(id, buffer),
  });
  (CompressionCodecs as any)[CompressionTypes.Snappy] = plugin(2);
  (CompressionCodecs as any)[CompressionTypes.LZ4] = plugin(3);
  (CompressionCodecs as any)[CompressionTypes.ZSTD] = plugin(4);
}

test('compression matrix: every producer codec × every topic compression.type is stored as the topic says and reads back identically in kcat, kafka-python and KafkaJS', { timeout: 120_000 }, async (t) => {
  await withBroker(async (broker) => {
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    const topicOf = (type: string) => `cm-${type}`;
    try {
      const admin = kafka.admin();
      await admin.createTopics(TOPIC_TYPES.map((type) => ({ topic: topicOf(type), numPartitions: 1, configs: { 'compression.type': type } })));
      const producer = kafka.producer();
      for (const type of TOPIC_TYPES) {
        const expected = expectedMessages(type);
        for (const [n, codec] of PRODUCER_CODECS.entries()) {
          const messages = expected.slice(n * PER_BATCH, (n + 1) * PER_BATCH).map((m) => ({
            key: m.key, value: m.value, headers: m.headers.map(([key, value]) => ({ key, value })), timestamp: m.ts, partition: 0,
          }));
          const [r] = await producer.send({ topic: topicOf(type), compression: codec, messages });
          assert.equal(r!.baseOffset, n * PER_BATCH);
        }
      }

      await t.test('stored codec bits', () => {
        for (const type of TOPIC_TYPES) {
          const want = PRODUCER_CODECS.map((codec) => (type === 'producer' ? CODEC_IDS[codec] : CODEC_IDS[type]));
          assert.deepEqual(storedCodecs(broker.dataDir, topicOf(type)), want, `compression.type=${type}`);
        }
      });

      await t.test('kcat', { skip: HAVE_KCAT ? false : 'kcat not installed (Debian package kcat)' }, async () => {
        for (const type of TOPIC_TYPES) {
          const r = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', topicOf(type), '-p', '0', '-o', 'beginning', '-e', '-J'], { timeoutMs: 45_000 });
          assert.equal(r.code, 0, r.stderr);
          const got = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).map((m) => ({
            offset: m.offset, key: m.key, value: m.payload, ts: m.ts,
            headers: ((m.headers ?? []) as string[]).reduce<Array<[string, string]>>((acc, x, i, all) => (i % 2 === 0 ? [...acc, [x, all[i + 1]!]] : acc), []),
          }));
          assert.deepEqual(got, expectedMessages(type), `kcat reads compression.type=${type}`);
        }
      });

      await t.test('kafka-python', { skip: HAVE_KAFKA_PYTHON ? false : 'kafka-python or its codecs not installed (python3-kafka, python3-snappy, python3-lz4, python3-zstandard)' }, async () => {
        const topics = TOPIC_TYPES.map(topicOf);
        const r = await run(SYSTEM_PYTHON, ['-c', PY_READ, broker.bootstrap, topics.join(','), String(PRODUCER_CODECS.length * PER_BATCH)], { timeoutMs: 60_000 });
        assert.equal(r.code, 0, r.stderr);
        const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
        for (const type of TOPIC_TYPES) assert.deepEqual(out[topicOf(type)], expectedMessages(type), `kafka-python reads compression.type=${type}`);
      });

      await t.test('KafkaJS raw fetch', async () => {
        registerKafkaJsCodecs();
        const Cluster = require('kafkajs/src/cluster');
        const { createLogger, LEVELS } = require('kafkajs/src/loggers');
        const socketFactory = require('kafkajs/src/network/socketFactory')();
        const logger = createLogger({ level: LEVELS.NOTHING, logCreator: () => () => {} });
        const cluster = new Cluster({
          logger, socketFactory, brokers: [broker.bootstrap], clientId: 'raw', retry: { retries: 2 },
          connectionTimeout: 5000, authenticationTimeout: 10000, requestTimeout: 30000, enforceRequestTimeout: true,
        });
        await cluster.connect();
        try {
          for (const type of TOPIC_TYPES) {
            await cluster.addTargetTopic(topicOf(type));
            const leader = await cluster.findBroker({ nodeId: '1' });
            const resp = await leader.fetch({
              replicaId: -1, isolationLevel: 0, maxWaitTime: 100, minBytes: 1,
              topics: [{ topic: topicOf(type), partitions: [{ partition: 0, fetchOffset: '0', maxBytes: 1 << 20 }] }],
            });
            const p = resp.responses[0].partitions[0];
            assert.equal(p.errorCode, 0);
            const got = p.messages.map((m: any) => ({
              offset: Number(m.offset), key: m.key?.toString() ?? null, value: m.value.toString(),
              headers: Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)]), ts: Number(m.timestamp),
            }));
            assert.deepEqual(got, expectedMessages(type), `KafkaJS reads compression.type=${type}`);
          }
        } finally {
          await cluster.disconnect();
        }
      });
    } finally {
      await kafka.close();
    }
  });
});

test('produce path: a converted batch gets LogAppendTime; CreateTime outside message.timestamp.before/after.max.ms is INVALID_TIMESTAMP', { timeout: 60_000 }, async () => {
  await withBroker(async (broker) => {
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    try {
      const admin = kafka.admin();
      await admin.createTopics([
        { topic: 'stamped', numPartitions: 1, configs: { 'compression.type': 'lz4', 'message.timestamp.type': 'LogAppendTime' } },
        { topic: 'bounded', numPartitions: 1, configs: { 'message.timestamp.before.max.ms': '3600000', 'message.timestamp.after.max.ms': '60000' } },
      ]);
      const producer = kafka.producer();
      const before = Date.now();
      const [r] = await producer.send({ topic: 'stamped', compression: 'gzip', messages: [{ key: 'a', value: 'x'.repeat(50), timestamp: TS }, { value: 'y', timestamp: TS }] });
      assert.ok(r!.logAppendTimeMs >= before, `logAppendTimeMs ${r!.logAppendTimeMs}`);
      const consumer = kafka.consumer({ autoOffsetReset: 'earliest' });
      consumer.assign([{ topic: 'stamped', partition: 0, offset: 0 }]);
      const got = await consumer.poll({ timeoutMs: 5000 });
      assert.deepEqual(got.map((m) => [m.offset, m.timestamp]), [[0, r!.logAppendTimeMs], [1, r!.logAppendTimeMs]]);
      assert.deepEqual(storedCodecs(broker.dataDir, 'stamped'), [3]);
      const [stored] = await decodeRecordBatches(readFileSync(join(broker.dataDir, 'stamped-0', '00000000000000000000.log')));
      assert.equal(stored!.maxTimestamp, r!.logAppendTimeMs);

      const now = Date.now();
      await producer.send({ topic: 'bounded', messages: [{ value: 'fine', timestamp: now - 1000 }] });
      for (const [name, timestamp] of [['2 hours old', now - 7_200_000], ['10 minutes ahead', now + 600_000]] as const) {
        await assert.rejects(
          producer.send({ topic: 'bounded', compression: 'zstd', messages: [{ value: 'ok', timestamp: now }, { value: name, timestamp }] }),
          (err: unknown) => err instanceof KafkaError && err.code === 32 && /record 1: Timestamp \d+ of message with offset 1 is out of range/.test(err.message),
          name,
        );
      }
      assert.equal((await admin.listOffsets('bounded', 0, -1)).offset, 1, 'refused batches are not appended');
    } finally {
      await kafka.close();
    }
  });
});
