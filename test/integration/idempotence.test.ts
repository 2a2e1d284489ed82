/**
 * Idempotent producers end to end: librdkafka (confluent-kafka) with enable.idempotence=true while
 * the broker drops produce responses after appending (the test-only
 * `samsa.test.drop.produce.responses.every`), KafkaJS's idempotent producer (the Java client's
 * default path: InitProducerId, then sequences), a retried batch after SIGKILL and restart, and a
 * librdkafka producer sending through a broker SIGKILL and restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { createClient } from '../../src/client/index.js';
import { withBroker, run, SYSTEM_PYTHON } from '../helpers/broker.js';
import { startBrokerProcess, WireClient } from '../helpers/broker-process.js';
import { waitFor } from '../helpers/wait.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import type { FetchResponse } from '../../src/protocol/messages/01-fetch.js';
import type { ProduceResponse } from '../../src/protocol/messages/00-produce.js';
import type { InitProducerIdResponse } from '../../src/protocol/messages/22-init-producer-id.js';
import type { CreateTopicsResponse } from '../../src/protocol/messages/19-create-topics.js';
import type { ListOffsetsResponse } from '../../src/protocol/messages/02-list-offsets.js';

async function pythonHas(mod: string): Promise<boolean> {
  try {
    return (await run(SYSTEM_PYTHON, ['-c', `import ${mod}`], { timeoutMs: 30_000 })).code === 0;
  } catch {
    return false;
  }
}

const HAVE_CONFLUENT = await pythonHas('confluent_kafka');
const SKIP = HAVE_CONFLUENT ? false : `confluent-kafka not installed (${SYSTEM_PYTHON} cannot import confluent_kafka)`;

/** Produces N numbered messages idempotently, then reads every partition back from the start. */
const IDEMPOTENT_PRODUCE = `
import json, sys
from confluent_kafka import Producer, Consumer, TopicPartition, OFFSET_BEGINNING
from confluent_kafka.admin import AdminClient, NewTopic
bs, topic, N, NPART = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
admin = AdminClient({'bootstrap.servers': bs})
for t, f in admin.create_topics([NewTopic(topic, NPART, 1)], operation_timeout=15).items():
    f.result()
errors = []
def cb(err, msg):
    if err is not None:
        errors.append(str(err))
p = Producer({'bootstrap.servers': bs, 'enable.idempotence': True, 'linger.ms': 5, 'batch.num.messages': 100,
              'message.timeout.ms': 120000, 'retry.backoff.ms': 20, 'reconnect.backoff.ms': 10, 'reconnect.backoff.max.ms': 50})
for i in range(N):
    while True:
        try:
            p.produce(topic, value=b'%d' % i, partition=i % NPART, on_delivery=cb)
            break
        except BufferError:
            p.poll(0.05)
    p.poll(0)
left = p.flush(120)
c = Consumer({'bootstrap.servers': bs, 'group.id': 'idem-check', 'enable.auto.commit': False})
c.assign([TopicPartition(topic, q, OFFSET_BEGINNING) for q in range(NPART)])
hw = [c.get_watermark_offsets(TopicPartition(topic, q), timeout=10)[1] for q in range(NPART)]
seen = {q: [] for q in range(NPART)}
total, idle = 0, 0
while total < sum(hw) and idle < 100:
    msgs = c.consume(1000, 0.2)
    if not msgs:
        idle += 1
        continue
    idle = 0
    for m in msgs:
        if m.error():
            continue
        seen[m.partition()].append(int(m.value()))
        total += 1
c.close()
print(json.dumps({'errors': errors[:5], 'errorCount': len(errors), 'left': left, 'hw': hw, 'seen': seen}))
`;

test('confluent-kafka idempotent producer: 50k messages with dropped responses land exactly once, in order', { skip: SKIP, timeout: 180_000 }, async () => {
  const N = 50_000;
  const NPART = 3;
  await withBroker(
    async (broker) => {
      const r = await run(SYSTEM_PYTHON, ['-c', IDEMPOTENT_PRODUCE, `127.0.0.1:${broker.port}`, 'idem', String(N), String(NPART)], { timeoutMs: 170_000 });
      assert.equal(r.code, 0, `python failed\n${r.stderr}\n${r.stdout}`);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { errors: string[]; errorCount: number; left: number; hw: number[]; seen: Record<string, number[]> };
      assert.equal(out.errorCount, 0, `delivery errors: ${out.errors.join('; ')}`);
      assert.equal(out.left, 0);
      for (let q = 0; q < NPART; q++) {
        const expected = Array.from({ length: N }, (_, i) => i).filter((i) => i % NPART === q);
        assert.equal(out.hw[q], expected.length, `partition ${q} holds each message once`);
        assert.deepEqual(out.seen[String(q)], expected, `partition ${q} in order, exactly once`);
      }
    },
    { config: { 'samsa.test.drop.produce.responses.every': '7' } },
  );
});

test('KafkaJS idempotent producer (InitProducerId, sequences) with dropped responses', { timeout: 60_000 }, async () => {
  await withBroker(
    async (broker) => {
      const kafka = new Kafka({ clientId: 'idem', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 20 } });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'kidem', numPartitions: 1 }] });
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      for (let i = 0; i < 30; i++) {
        await producer.send({ topic: 'kidem', acks: -1, messages: Array.from({ length: 5 }, (_, j) => ({ value: `m${i * 5 + j}` })) });
      }
      await producer.disconnect();
      const offsets = await admin.fetchTopicOffsets('kidem');
      assert.equal(offsets[0]!.high, '150', 'every message once although some responses were lost');
      await admin.disconnect();
      // Each message at the offset of its place in the sequence sent: none twice, none reordered.
      const client = createClient({ bootstrapServers: broker.bootstrap });
      try {
        const consumer = client.consumer({ autoOffsetReset: 'earliest' });
        consumer.assign([{ topic: 'kidem', partition: 0, offset: 0 }]);
        const got: Array<{ offset: number; value: string }> = [];
        const deadline = Date.now() + 10_000;
        while (got.length < 150 && Date.now() < deadline) for (const m of await consumer.poll({ timeoutMs: 500 })) got.push({ offset: m.offset, value: m.value!.toString() });
        await consumer.close();
        assert.deepEqual(got, Array.from({ length: 150 }, (_, i) => ({ offset: i, value: `m${i}` })));
      } finally {
        await client.close();
      }
    },
    { config: { 'samsa.test.drop.produce.responses.every': '4' } },
  );
});

async function produce(wire: WireClient, topic: string, batch: Buffer): Promise<{ errorCode: number; baseOffset: number }> {
  const resp = await wire.request<ProduceResponse>(0, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
  const p = resp.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, baseOffset: Number(p.baseOffset) };
}

async function latest(wire: WireClient, topic: string): Promise<number> {
  const resp = await wire.request<ListOffsetsResponse>(2, 2, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1, currentLeaderEpoch: -1, maxNumOffsets: 1 }] }] });
  return Number(resp.topics[0]!.partitions[0]!.offset);
}

test('after SIGKILL and restart a retried batch is still de-duplicated, and producer ids are not reused', { timeout: 60_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'samsa-idem-'));
  try {
    let broker = await startBrokerProcess({ dataDir });
    let wire = await WireClient.connect(broker.port);
    const created = await wire.request<CreateTopicsResponse>(19, 4, { topics: [{ name: 'crashidem', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    assert.equal(created.topics[0]!.errorCode, 0);
    const init = await wire.request<InitProducerIdResponse>(22, 0, { transactionalId: null, transactionTimeoutMs: 60_000 });
    assert.equal(init.errorCode, 0);
    const pid = Number(init.producerId);
    assert.ok(pid >= 0);
    const batch = (seq: number) =>
      encodeRecordBatch([0, 1, 2].map((i) => ({ value: Buffer.from(`v${seq + i}`) })), { producerId: pid, producerEpoch: 0, baseSequence: seq });
    for (let seq = 0; seq < 30; seq += 3) assert.deepEqual(await produce(wire, 'crashidem', await batch(seq)), { errorCode: 0, baseOffset: seq });
    wire.close();
    assert.equal((await broker.kill('SIGKILL')).signal, 'SIGKILL');

    broker = await startBrokerProcess({ dataDir });
    wire = await WireClient.connect(broker.port);
    // The last batch's response was "lost": the producer retries it after the restart.
    assert.deepEqual(await produce(wire, 'crashidem', await batch(27)), { errorCode: 0, baseOffset: 27 });
    assert.equal(await latest(wire, 'crashidem'), 30, 'the retry was not appended again');
    assert.deepEqual(await produce(wire, 'crashidem', await batch(33)), { errorCode: 45, baseOffset: -1 }, 'a gap is out of order');
    assert.deepEqual(await produce(wire, 'crashidem', await batch(30)), { errorCode: 0, baseOffset: 30 });
    const again = await wire.request<InitProducerIdResponse>(22, 0, { transactionalId: null, transactionTimeoutMs: 60_000 });
    assert.ok(Number(again.producerId) > pid, `a new id after restart (${again.producerId} after ${pid})`);
    wire.close();
    await broker.kill('SIGTERM');
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

/** Produces N numbered messages to one partition, slowly enough that a broker kill lands mid-stream. */
const PRODUCE_THROUGH_RESTART = `
import json, sys, time
from confluent_kafka import Producer
bs, topic, N = sys.argv[1], sys.argv[2], int(sys.argv[3])
errors = []
def cb(err, msg):
    if err is not None:
        errors.append(str(err))
p = Producer({'bootstrap.servers': bs, 'enable.idempotence': True, 'linger.ms': 2, 'batch.num.messages': 50,
              'message.timeout.ms': 60000, 'retry.backoff.ms': 50, 'reconnect.backoff.ms': 20, 'reconnect.backoff.max.ms': 200})
for i in range(N):
    p.produce(topic, value=b'%d' % i, partition=0, on_delivery=cb)
    p.poll(0)
    if i % 100 == 99:
        time.sleep(0.02)
left = p.flush(60)
print(json.dumps({'errors': errors[:5], 'errorCount': len(errors), 'left': left}))
`;

test('confluent-kafka idempotent producer through a broker SIGKILL and restart: each message exactly once, in order', { skip: SKIP, timeout: 120_000 }, async () => {
  const N = 8000;
  const dataDir = await mkdtemp(join(tmpdir(), 'samsa-idem-kill-'));
  try {
    let broker = await startBrokerProcess({ dataDir });
    const port = broker.port;
    const wire = await WireClient.connect(port);
    const created = await wire.request<CreateTopicsResponse>(19, 4, { topics: [{ name: 'killidem', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    assert.equal(created.topics[0]!.errorCode, 0);
    wire.close();
    const producing = run(SYSTEM_PYTHON, ['-c', PRODUCE_THROUGH_RESTART, `127.0.0.1:${port}`, 'killidem', String(N)], { timeoutMs: 100_000 });
    let finished = false;
    void producing.then(() => (finished = true));
    // Killed once a good part of the messages is stored, while the producer is still sending.
    const watcher = await WireClient.connect(port);
    try {
      await waitFor('a thousand messages stored', async () => finished || (await latest(watcher, 'killidem')) >= 1000, 60_000);
    } finally {
      watcher.close();
    }
    await broker.kill('SIGKILL');
    assert.equal(finished, false, 'the broker was killed while the producer was still sending');
    broker = await startBrokerProcess({ dataDir, port });
    const r = await producing;
    assert.equal(r.code, 0, `python failed\n${r.stderr}\n${r.stdout}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { errors: string[]; errorCount: number; left: number };
    assert.equal(out.errorCount, 0, `delivery errors: ${out.errors.join('; ')}`);
    assert.equal(out.left, 0);
    const reader = await WireClient.connect(broker.port);
    const values: number[] = [];
    let offset = 0;
    for (;;) {
      const resp = await reader.request<FetchResponse>(1, 4, {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0,
        topics: [{ topic: 'killidem', partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
      });
      const batches = await decodeRecordBatches(resp.responses[0]!.partitions[0]!.records ?? Buffer.alloc(0));
      if (batches.length === 0) break;
      for (const b of batches) for (const rec of b.records) if (b.baseOffset + rec.offsetDelta >= offset) values.push(Number(rec.value!.toString()));
      const last = batches[batches.length - 1]!;
      offset = last.baseOffset + last.records[last.records.length - 1]!.offsetDelta + 1;
    }
    reader.close();
    assert.equal(values.length, N, 'each message once');
    assert.deepEqual(values, Array.from({ length: N }, (_, i) => i), 'in order');
    await broker.kill('SIGTERM');
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
