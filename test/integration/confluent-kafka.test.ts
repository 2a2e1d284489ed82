/**
 * confluent-kafka-python 1.7.0 on librdkafka 2.0.2 (Debian's python3-confluent-kafka) against an
 * in-process broker. The client runs as a child process of Debian's Python; each script prints one
 * JSON line that the test checks. librdkafka turns features on from the advertised API ranges and
 * silently sends uncompressed batches when it thinks the broker is too old, so the stored batches'
 * codec bits are checked on disk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withBroker, run, SYSTEM_PYTHON } from '../helpers/broker.js';
import { buildHandlers } from '../../src/broker/handlers/index.js';

async function pythonHas(mod: string): Promise<boolean> {
  try {
    return (await run(SYSTEM_PYTHON, ['-c', `import ${mod}`], { timeoutMs: 30_000 })).code === 0;
  } catch {
    return false; // no /usr/bin/python3 at all
  }
}

const HAVE_CONFLUENT = await pythonHas('confluent_kafka');
const SKIP = HAVE_CONFLUENT ? false : `confluent-kafka not installed (${SYSTEM_PYTHON} cannot import confluent_kafka; Debian package python3-confluent-kafka)`;

/**
 * librdkafka 2.0.2 enables its LZ4 feature only when the broker advertises FindCoordinator v0
 * (rdkafka_feature.c: LZ4 depends on {FindCoordinator, 0, 0}, a stand-in for "broker >= 0.8.2");
 * without it lz4 batches are silently sent uncompressed.
 */
const SERVES_FIND_COORDINATOR = buildHandlers().has(10);
const LZ4_TODO = SERVES_FIND_COORDINATOR
  ? false
  : 'librdkafka only compresses lz4 once the broker advertises FindCoordinator v0 (API key 10), which is not implemented yet';

/** Runs a Python script with arguments and returns the JSON object on the last line of its stdout. */
async function python(script: string, args: string[], timeoutMs = 60_000): Promise<any> {
  const r = await run(SYSTEM_PYTHON, ['-c', script, ...args], { timeoutMs });
  assert.equal(r.code, 0, `python exited with ${r.code} (null = killed after ${timeoutMs} ms)\n--- stderr:\n${r.stderr}\n--- stdout:\n${r.stdout}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last);
}

/** Codec (attribute bits 0–2) and record count of every batch in a partition's first segment. */
function storedBatches(dataDir: string, topic: string, partition: number): { codec: number; records: number }[] {
  const buf = readFileSync(join(dataDir, `${topic}-${partition}`, '00000000000000000000.log'));
  const out: { codec: number; records: number }[] = [];
  for (let pos = 0; pos + 61 <= buf.length; ) {
    const length = buf.readInt32BE(pos + 8);
    if (length <= 0 || buf[pos + 16] !== 2) break;
    out.push({ codec: buf.readInt16BE(pos + 21) & 0x7, records: buf.readInt32BE(pos + 57) });
    pos += 12 + length;
  }
  return out;
}

const CODECS = [
  { name: 'none', id: 0 },
  { name: 'gzip', id: 1 },
  { name: 'snappy', id: 2 },
  { name: 'lz4', id: 3 },
  { name: 'zstd', id: 4 },
];
const PARTITIONS = 3;
const MESSAGES = 100;

// Creates one topic per codec (AdminClient, CreateTopics), produces 100 keyed messages with
// headers to explicit partitions with each codec, then reads every partition back from the
// beginning with assign() — no subscribe(), no commit(): consumer groups are not implemented.
const PRODUCE_CONSUME = `
import base64, json, sys, time
from confluent_kafka import Producer, Consumer, TopicPartition, OFFSET_BEGINNING
from confluent_kafka.admin import AdminClient, NewTopic
bs, codecs, NPART, N = sys.argv[1], sys.argv[2].split(','), int(sys.argv[3]), int(sys.argv[4])

def b64(b):
    return None if b is None else base64.b64encode(b).decode('ascii')

admin = AdminClient({'bootstrap.servers': bs})
for topic, f in admin.create_topics([NewTopic('ck-' + c, NPART, 1) for c in codecs], operation_timeout=15).items():
    f.result(30)

out = {'codecs': {}}
for codec in codecs:
    topic = 'ck-' + codec
    errors, delivered = [], []
    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            delivered.append([msg.partition(), msg.offset()])
    producer = Producer({'bootstrap.servers': bs, 'compression.type': codec, 'enable.idempotence': False,
                         'linger.ms': 20, 'message.timeout.ms': 30000,
                         'error_cb': lambda e: errors.append('error_cb: ' + str(e))})
    sent = []
    for i in range(N):
        key = ('key-%d' % i).encode()
        # Compressible even alone: librdkafka sends a batch uncompressed when compressing does not shrink it.
        value = ('value %d with %s; ' % (i, codec)).encode() * (20 + i % 13)
        headers = [('idx', str(i).encode()), ('codec', codec.encode()), ('empty', b'')]
        partition = i % NPART
        producer.produce(topic, value=value, key=key, headers=headers, partition=partition, on_delivery=on_delivery)
        sent.append({'partition': partition, 'key': b64(key), 'value': b64(value), 'headers': [[k, b64(v)] for k, v in headers]})
        producer.poll(0)
    left = producer.flush(30)
    out['codecs'][codec] = {'undelivered': left, 'errors': errors, 'delivered': delivered, 'sent': sent}

client_errors = []
consumer = Consumer({'bootstrap.servers': bs, 'group.id': 'samsa-confluent-test', 'enable.auto.commit': False,
                     'enable.auto.offset.store': False, 'auto.offset.reset': 'earliest',
                     'error_cb': lambda e: client_errors.append(str(e))})
consumer.assign([TopicPartition('ck-' + c, p, OFFSET_BEGINNING) for c in codecs for p in range(NPART)])
want = N * len(codecs)
received, message_errors, count = {}, [], 0
deadline = time.time() + 40
while count < want and time.time() < deadline:
    for m in consumer.consume(num_messages=1000, timeout=0.5):
        if m.error() is not None:
            message_errors.append(str(m.error()))
            continue
        received.setdefault(m.topic(), []).append({'partition': m.partition(), 'offset': m.offset(), 'key': b64(m.key()),
            'value': b64(m.value()), 'headers': [[k, b64(v)] for k, v in (m.headers() or [])]})
        count += 1
consumer.close()
out['received'] = received
out['message_errors'] = message_errors
out['client_errors'] = client_errors
print(json.dumps(out))
`;

test('confluent-kafka: every compression.type produces 100 keyed messages with headers; assign() reads them back in order', { skip: SKIP, timeout: 120_000 }, async (t) => {
  await withBroker(async (broker) => {
    const out = await python(PRODUCE_CONSUME, [broker.bootstrap, CODECS.map((c) => c.name).join(','), String(PARTITIONS), String(MESSAGES)], 100_000);
    // Errors from the consumer's group machinery are tolerated (no groups yet) but shown.
    if (out.client_errors.length > 0) t.diagnostic(`consumer error_cb: ${JSON.stringify(out.client_errors)}`);
    if (out.message_errors.length > 0) t.diagnostic(`consumer message errors: ${JSON.stringify(out.message_errors)}`);

    for (const { name, id } of CODECS) {
      const topic = `ck-${name}`;
      const r = out.codecs[name];
      await t.test(`${name}: delivered and read back`, () => {
        assert.deepEqual(r.errors, [], 'no delivery or client errors');
        assert.equal(r.undelivered, 0, 'flush() left nothing undelivered');
        assert.equal(r.delivered.length, MESSAGES);
        const got: any[] = out.received[topic] ?? [];
        assert.equal(got.length, MESSAGES, `messages consumed from ${topic}`);
        for (let p = 0; p < PARTITIONS; p++) {
          const sentHere = r.sent.filter((m: any) => m.partition === p);
          const gotHere = got.filter((m: any) => m.partition === p);
          // Same messages, same order, offsets 0..n-1 in each partition.
          assert.deepEqual(gotHere.map((m: any) => m.offset), sentHere.map((_: any, i: number) => i), `offsets in partition ${p}`);
          assert.deepEqual(gotHere.map(({ offset: _o, ...m }: any) => m), sentHere, `messages in partition ${p}`);
          const deliveredHere = r.delivered.filter((d: number[]) => d[0] === p).map((d: number[]) => d[1]).sort((a: number, b: number) => a - b);
          assert.deepEqual(deliveredHere, sentHere.map((_: any, i: number) => i), `delivery reports for partition ${p}`);
        }
      });
      await t.test(`${name}: stored batches carry codec ${id}`, { todo: name === 'lz4' ? LZ4_TODO : false }, () => {
        for (let p = 0; p < PARTITIONS; p++) {
          const batches = storedBatches(broker.dataDir, topic, p);
          assert.equal(batches.reduce((n, b) => n + b.records, 0), r.sent.filter((m: any) => m.partition === p).length, `records on disk in ${topic}-${p}`);
          assert.deepEqual(new Set(batches.map((b) => b.codec)), new Set([id]), `codec bits of ${topic}-${p}'s batches: ${JSON.stringify(batches)}`);
        }
      });
    }
  });
});

const BASE_TS = 1_700_000_000_000;

// Metadata through list_topics(); ListOffsets through get_watermark_offsets() (latest/earliest)
// and offsets_for_times() (by timestamp).
const METADATA_OFFSETS = `
import json, sys
from confluent_kafka import Producer, Consumer, TopicPartition
bs, BASE = sys.argv[1], int(sys.argv[2])
out, errors = {}, []
producer = Producer({'bootstrap.servers': bs, 'enable.idempotence': False})
md = producer.list_topics(timeout=15)
out['brokers'] = sorted([b.id, b.host, b.port] for b in md.brokers.values())
out['controller_id'] = md.controller_id
out['cluster_id'] = md.cluster_id
out['topics'] = {name: {'error': None if t.error is None else str(t.error),
                        'partitions': sorted([p.id, p.leader, list(p.replicas), list(p.isrs), None if p.error is None else str(p.error)]
                                             for p in t.partitions.values())}
                 for name, t in md.topics.items()}
one = producer.list_topics(topic='wide', timeout=15)
out['one_topic'] = sorted(one.topics.keys())

for i in range(10):
    producer.produce('times', value=b'm%d' % i, partition=0, timestamp=BASE + i * 1000,
                     on_delivery=lambda err, msg: errors.append(str(err)) if err is not None else None)
left = producer.flush(30)

consumer = Consumer({'bootstrap.servers': bs, 'group.id': 'samsa-offsets-test', 'enable.auto.commit': False})
out['watermarks'] = {
    'times': list(consumer.get_watermark_offsets(TopicPartition('times', 0), timeout=15)),
    'wide-1': list(consumer.get_watermark_offsets(TopicPartition('wide', 1), timeout=15)),
}
by_time = {}
for label, ts in (('between', BASE + 5500), ('exact', BASE + 3000), ('first', BASE), ('before', BASE - 60000), ('after', BASE + 3600000)):
    r = consumer.offsets_for_times([TopicPartition('times', 0, ts)], timeout=15)[0]
    by_time[label] = {'offset': r.offset, 'error': None if r.error is None else str(r.error)}
out['by_time'] = by_time
consumer.close()
out['produce_errors'] = errors
out['undelivered'] = left
print(json.dumps(out))
`;

test('confluent-kafka: list_topics() metadata, get_watermark_offsets() and offsets_for_times()', { skip: SKIP, timeout: 90_000 }, async () => {
  await withBroker(async (broker) => {
    await broker.topics.create({ name: 'wide', numPartitions: 4, replicationFactor: -1, configs: {} });
    await broker.topics.create({ name: 'times', numPartitions: 1, replicationFactor: -1, configs: {} });
    const out = await python(METADATA_OFFSETS, [broker.bootstrap, String(BASE_TS)]);
    const node = broker.config.nodeId;

    assert.deepEqual(out.brokers, [[node, '127.0.0.1', broker.port]]);
    assert.equal(out.controller_id, node);
    assert.equal(out.cluster_id, broker.clusterId);
    assert.deepEqual(Object.keys(out.topics).sort(), ['times', 'wide']);
    assert.equal(out.topics.wide.error, null);
    assert.deepEqual(out.topics.wide.partitions, [0, 1, 2, 3].map((p) => [p, node, [node], [node], null]));
    assert.deepEqual(out.one_topic, ['wide']);

    assert.deepEqual(out.produce_errors, []);
    assert.equal(out.undelivered, 0);
    assert.deepEqual(out.watermarks, { times: [0, 10], 'wide-1': [0, 0] });
    assert.deepEqual(out.by_time, {
      between: { offset: 6, error: null },
      exact: { offset: 3, error: null },
      first: { offset: 0, error: null },
      before: { offset: 0, error: null },
      // No record at or after the time: librdkafka reports OFFSET_END (-1).
      after: { offset: -1, error: null },
    });
  });
});
