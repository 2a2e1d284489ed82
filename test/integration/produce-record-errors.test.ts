// Produce refused for its records (KIP-467): a key-less record on a compacted topic and a
// timestamp outside message.timestamp.before/after.max.ms fail their batch, and Produce v8+ names
// each bad record by its index in the batch, with Kafka's messages. At the wire (v7, v8, v9, v11),
// with Samsa's client, and with confluent-kafka on librdkafka 2.0.2, which asks for Produce v7
// at most (record_errors came with librdkafka 2.4) and so fails every message of the batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker, run, SYSTEM_PYTHON } from '../helpers/broker.js';
import { WireClient } from '../helpers/broker-process.js';
import { createClient } from '../../src/client/index.js';
import { ErrorCode, KafkaError } from '../../src/protocol/errors.js';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.js';

const HAVE_CONFLUENT = (await run(SYSTEM_PYTHON, ['-c', 'import confluent_kafka'], { timeoutMs: 30_000 }).catch(() => ({ code: 1 }))).code === 0;

async function produce(w: WireClient, version: number, topic: string, records: Buffer) {
  const r = await w.request(0, version, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  return r.responses[0].partitionResponses[0];
}

async function latest(w: WireClient, topic: string): Promise<number> {
  const r = await w.request(2, 1, { replicaId: -1, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1 }] }] });
  return r.topics[0].partitions[0].offset;
}

test('Produce v8+: a compacted topic refuses key-less records with INVALID_RECORD and names each one', async () => {
  await withBroker(async (broker) => {
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    const w = await WireClient.connect(broker.port);
    try {
      await kafka.admin().createTopics([{ topic: 'table', numPartitions: 1, configs: { 'cleanup.policy': 'compact' } }]);
      const batch = await encodeRecordBatch([{ key: 'a', value: '1' }, { key: null, value: '2' }, { key: 'c', value: '3' }, { key: null, value: '4' }]);
      const why = 'Compacted topic cannot accept message without key in topic partition table-0';
      for (const version of [8, 9, 11]) {
        const p = await produce(w, version, 'table', batch);
        assert.equal(p.errorCode, ErrorCode.INVALID_RECORD, `v${version}`);
        assert.deepEqual(p.recordErrors, [{ batchIndex: 1, batchIndexErrorMessage: why }, { batchIndex: 3, batchIndexErrorMessage: why }], `v${version}`);
        assert.equal(
          p.errorMessage,
          `One or more records have been rejected due to 2 record errors in total, and only showing the first three errors at most: [RecordError(batchIndex=1, message='${why}'), RecordError(batchIndex=3, message='${why}')]`,
        );
        assert.deepEqual([p.baseOffset, p.logStartOffset], [-1, 0], 'no offset; the log start offset, as Kafka answers');
      }
      // v7 has no record_errors: the partition error alone.
      assert.equal((await produce(w, 7, 'table', batch)).errorCode, ErrorCode.INVALID_RECORD);
      assert.equal(await latest(w, 'table'), 0, 'nothing of a refused batch is appended');
      const keyed = await encodeRecordBatch([{ key: 'a', value: '1' }, { key: 'b', value: '2' }]);
      const ok = await produce(w, 9, 'table', keyed);
      assert.deepEqual([ok.errorCode, ok.baseOffset, ok.recordErrors, ok.errorMessage], [0, 0, [], null]);

      // Samsa's client reports the culprits in its error.
      await assert.rejects(
        kafka.producer().send({ topic: 'table', messages: [{ key: 'x', value: 'y' }, { value: 'no key' }] }),
        (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.INVALID_RECORD && err.message.includes(`record 1: ${why}`),
      );
    } finally {
      w.close();
      await kafka.close();
    }
  });
});

test('Produce v8+: timestamps outside message.timestamp.before/after.max.ms give INVALID_TIMESTAMP with the records named', async () => {
  await withBroker(async (broker) => {
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    const w = await WireClient.connect(broker.port);
    try {
      await kafka.admin().createTopics([{ topic: 'bounded', numPartitions: 1, configs: { 'message.timestamp.before.max.ms': '3600000', 'message.timestamp.after.max.ms': '60000' } }]);
      const now = Date.now();
      const batch = await encodeRecordBatch([{ value: 'ok', timestamp: now }, { value: 'old', timestamp: now - 7_200_000 }, { value: 'ahead', timestamp: now + 600_000 }], { compression: 1 });
      const p = await produce(w, 9, 'bounded', batch);
      assert.equal(p.errorCode, ErrorCode.INVALID_TIMESTAMP);
      assert.equal(p.errorMessage, 'One or more records have been rejected due to invalid timestamp');
      assert.deepEqual(p.recordErrors.map((e: { batchIndex: number }) => e.batchIndex), [1, 2]);
      assert.match(p.recordErrors[0].batchIndexErrorMessage, new RegExp(`^Timestamp ${now - 7_200_000} of message with offset 1 is out of range\\. The timestamp should be within \\[\\d+, \\d+\\]$`));
      assert.equal(await latest(w, 'bounded'), 0);
    } finally {
      w.close();
      await kafka.close();
    }
  });
});

test('confluent-kafka (librdkafka 2.0.2, Produce v7): a key-less message fails its whole batch with INVALID_RECORD', { skip: HAVE_CONFLUENT ? false : 'confluent-kafka not installed', timeout: 60_000 }, async () => {
  await withBroker(async (broker) => {
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    try {
      await kafka.admin().createTopics([{ topic: 'table', numPartitions: 1, configs: { 'cleanup.policy': 'compact' } }]);
    } finally {
      await kafka.close();
    }
    const script = `
import json, sys
from confluent_kafka import Producer
reports = []
p = Producer({'bootstrap.servers': sys.argv[1], 'linger.ms': 200, 'message.send.max.retries': 0})
def report(err, msg):
    reports.append([msg.key().decode() if msg.key() else None, err.code() if err else msg.offset()])
# A first message brings the connection up, so the next three leave together as one batch.
p.produce('table', key='w', value=b'v', partition=0, on_delivery=report)
p.flush(20)
for key in ['a', None, 'c']:
    p.produce('table', key=key, value=b'v', partition=0, on_delivery=report)
p.flush(20)
for key in ['d', 'e']:
    p.produce('table', key=key, value=b'v', partition=0, on_delivery=report)
p.flush(20)
print(json.dumps(reports))
`;
    const r = await run(SYSTEM_PYTHON, ['-c', script, broker.bootstrap], { timeoutMs: 45_000 });
    assert.equal(r.code, 0, r.stderr);
    const reports = JSON.parse(r.stdout.trim().split('\n').pop()!);
    // One batch of three: librdkafka 2.0.2 cannot tell the bad message from the others.
    // Failed reports carry the error code 87 (INVALID_RECORD), delivered ones their offset.
    assert.deepEqual(reports, [['w', 0], ['a', 87], [null, 87], ['c', 87], ['d', 1], ['e', 2]]);
  });
});
