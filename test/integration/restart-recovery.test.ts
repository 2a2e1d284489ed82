/**
 * Restarts of a broker process and what they recover. After SIGKILL the log dir has no
 * clean-shutdown marker, so every partition's last segment is scanned and a torn batch at its
 * end cut off; after SIGTERM the marker is there and nothing is recovered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startBrokerProcess, WireClient, type BrokerProcess } from '../helpers/broker-process.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import type { CreateTopicsResponse } from '../../src/protocol/messages/19-create-topics.js';
import type { FetchResponse } from '../../src/protocol/messages/01-fetch.js';
import { LOG_DIR_CLEAN_SHUTDOWN_MARKER } from '../../src/storage/checkpoint.js';

const TOPIC = 'torn';
const PARTITIONS = 2;
const MESSAGES = 20;
const ENV = { SAMSA_LOG_LEVEL: 'info' };

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

async function produce(broker: BrokerProcess, values: (partition: number, i: number) => string, count: number): Promise<number[]> {
  const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    const bases: number[] = [];
    for (let p = 0; p < PARTITIONS; p++) {
      for (let i = 0; i < count; i++) {
        const res = await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: values(p, i), partition: p }] });
        bases.push(Number(res[0]!.baseOffset));
      }
    }
    return bases;
  } finally {
    await producer.disconnect();
  }
}

/** Every value of a partition, in offset order (offsets checked to be dense from 0). */
async function readAll(broker: BrokerProcess, partition: number): Promise<string[]> {
  const wire = await WireClient.connect(broker.port);
  try {
    const resp = await wire.request<FetchResponse>(1, 4, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0,
      topics: [{ topic: TOPIC, partitions: [{ partition, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
    });
    const p = resp.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, 0);
    const out: string[] = [];
    for (const b of await decodeRecordBatches(p.records ?? Buffer.alloc(0))) {
      for (const r of b.records) {
        assert.equal(b.baseOffset + r.offsetDelta, out.length, 'offsets are dense from 0');
        out.push(r.value?.toString() ?? '');
      }
    }
    assert.equal(out.length, Number(p.highWatermark));
    return out;
  } finally {
    wire.close();
  }
}

function logLines(broker: BrokerProcess, msg: string): Array<Record<string, unknown>> {
  return broker
    .stderr()
    .split('\n')
    .filter((l) => l.includes(`"msg":"${msg}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('after SIGKILL a torn last segment is recovered; after SIGTERM nothing is', { timeout: 60_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'samsa-torn-'));
  let broker: BrokerProcess | null = null;
  try {
    broker = await startBrokerProcess({ dataDir, env: ENV });
    const wire = await WireClient.connect(broker.port);
    const created = await wire.request<CreateTopicsResponse>(19, 4, {
      topics: [{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false,
    });
    wire.close();
    assert.equal(created.topics[0]!.errorCode, 0);
    await produce(broker, (p, i) => `before-${p}-${i}`, MESSAGES);
    await broker.kill('SIGKILL');
    broker = null;
    assert.equal(await exists(join(dataDir, LOG_DIR_CLEAN_SHUTDOWN_MARKER)), false, 'no marker after SIGKILL');

    // The write the kill interrupted: the first 40 bytes of a batch at the end of partition 0.
    const torn = await encodeRecordBatch([{ value: Buffer.from('never acknowledged') }], { baseOffset: MESSAGES });
    const segment = join(dataDir, `${TOPIC}-0`, '00000000000000000000.log');
    const sizeBefore = (await stat(segment)).size;
    await appendFile(segment, torn.subarray(0, 40));

    broker = await startBrokerProcess({ dataDir, env: ENV });
    assert.deepEqual(logLines(broker, 'logs loaded')[0]?.recoveredLogDirs, [dataDir]);
    const truncations = logLines(broker, 'recovery truncated the log at a torn or corrupt batch');
    assert.equal(truncations.length, 1, broker.stderr());
    assert.equal(truncations[0]!.segment, segment);
    assert.equal(truncations[0]!.truncatedBytes, 40);
    assert.equal((await stat(segment)).size, sizeBefore);
    for (let p = 0; p < PARTITIONS; p++) {
      assert.deepEqual(await readAll(broker, p), Array.from({ length: MESSAGES }, (_, i) => `before-${p}-${i}`));
    }
    // The log goes on right after the last whole batch.
    assert.deepEqual(await produce(broker, (p) => `after-${p}`, 1), [MESSAGES, MESSAGES]);
    const stopped = await broker.kill('SIGTERM');
    broker = null;
    assert.deepEqual(stopped, { code: 0, signal: null });
    assert.ok(await exists(join(dataDir, LOG_DIR_CLEAN_SHUTDOWN_MARKER)), 'the marker after SIGTERM');

    broker = await startBrokerProcess({ dataDir, env: ENV });
    assert.deepEqual(logLines(broker, 'logs loaded')[0]?.recoveredLogDirs, [], 'a clean restart recovers no log dir');
    assert.deepEqual(logLines(broker, 'recovery truncated the log at a torn or corrupt batch'), []);
    assert.deepEqual(logLines(broker, 'rebuilding segment indexes'), []);
    for (let p = 0; p < PARTITIONS; p++) {
      const values = await readAll(broker, p);
      assert.equal(values.length, MESSAGES + 1);
      assert.equal(values[MESSAGES], `after-${p}`);
    }
  } finally {
    await broker?.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
});
