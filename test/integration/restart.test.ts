import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/broker/broker.js';

test('topics, their ids and configs, the cluster id and the data survive a restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-restart-'));
  try {
    let broker = await Broker.start({ port: 0, dataDir: dir });
    const kafka = () => new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    let admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'keep', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '123456' }] }, { topic: 'drop' }] });
    await admin.deleteTopics({ topics: ['drop'] });
    const producer = kafka().producer();
    await producer.connect();
    await producer.send({ topic: 'keep', messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, partition: i % 2 })) });
    await producer.disconnect();
    await admin.disconnect();
    const before = { id: broker.topics.get('keep')!.topicId, cluster: broker.clusterId };
    await broker.stop();

    broker = await Broker.start({ port: 0, dataDir: dir });
    try {
      assert.equal(broker.clusterId, before.cluster);
      assert.equal(broker.topics.get('keep')?.topicId, before.id);
      assert.equal(broker.topics.get('keep')?.configs['retention.ms'], '123456');
      assert.equal(broker.topics.get('drop'), undefined);
      admin = kafka().admin();
      await admin.connect();
      assert.deepEqual(await admin.listTopics(), ['keep']);
      const offsets = await admin.fetchTopicOffsets('keep');
      assert.deepEqual(offsets.map((o) => o.high).sort(), ['5', '5']);
      await admin.disconnect();
      const meta = await readFile(join(dir, 'meta.properties'), 'utf8');
      assert.match(meta, new RegExp(`cluster.id=${before.cluster}`));
      assert.match(meta, /node.id=1/);
    } finally {
      await broker.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('Broker.start with no data dir uses a temporary directory and removes it on stop', async () => {
  const broker = await Broker.start({ port: 0 });
  const dir = broker.dataDir;
  assert.match(dir, /samsa-/);
  await broker.stop();
  await assert.rejects(readFile(join(dir, 'meta.properties')), /ENOENT/);
});

test('a log directory serves one broker at a time; a lock left by a dead process is taken over', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-lock-'));
  try {
    const first = await Broker.start({ port: 0, dataDir: dir });
    await assert.rejects(Broker.start({ port: 0, dataDir: dir }), /in use by another broker/);
    await first.stop();
    // A pid that cannot be running: as after a SIGKILL.
    await writeFile(join(dir, '.lock'), '2147483646\n');
    const second = await Broker.start({ port: 0, dataDir: dir });
    await second.stop();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
