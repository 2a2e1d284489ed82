/**
 * kafka-python 2.0.2 (Debian's python3-kafka) against an in-process broker. The client runs as a
 * child process of Debian's Python; each script prints one JSON line that the test checks.
 * kafka-python probes the broker itself (ApiVersions v0 + Metadata v0) and then uses fixed API
 * versions for what it inferred, so nothing here passes api_version.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withBroker, run, SYSTEM_PYTHON } from '../helpers/broker.js';

/** True when Debian's Python can import `mod`. */
async function pythonHas(mod: string): Promise<boolean> {
  try {
    return (await run(SYSTEM_PYTHON, ['-c', `import ${mod}`], { timeoutMs: 30_000 })).code === 0;
  } catch {
    return false; // no /usr/bin/python3 at all
  }
}

const HAVE_KAFKA_PYTHON = await pythonHas('kafka');
const SKIP = HAVE_KAFKA_PYTHON ? false : `kafka-python not installed (${SYSTEM_PYTHON} cannot import kafka; Debian package python3-kafka)`;

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

const SEED = `
import json, sys
from kafka import KafkaProducer, KafkaConsumer
bs = sys.argv[1]

producer = KafkaProducer(bootstrap_servers=bs)
future = producer.send('mytopic', b'Bonjour, Kafka !')
producer.flush(timeout=30)
sent = future.get(timeout=5)
producer_version = producer.config['api_version']
producer.close(timeout=10)

consumer = KafkaConsumer('mytopic', bootstrap_servers=bs, auto_offset_reset='earliest', consumer_timeout_ms=20000)
received = []
for message in consumer:
    received.append({'value': message.value.decode('utf-8'), 'offset': message.offset, 'partition': message.partition})
    break
consumer_version = consumer.config['api_version']
consumer.close()
print(json.dumps({'producer_version': list(producer_version), 'consumer_version': list(consumer_version),
                  'sent': {'topic': sent.topic, 'partition': sent.partition, 'offset': sent.offset}, 'received': received}))
`;

test('kafka-python: the seed example round-trips with auto-detected broker version', { skip: SKIP, timeout: 90_000 }, async () => {
  await withBroker(async (broker) => {
    const out = await python(SEED, [broker.bootstrap]);
    // Produce v8 is advertised: kafka-python infers at least 2.4 (2.5 once DescribeAcls v2 exists).
    for (const key of ['producer_version', 'consumer_version'] as const) {
      const v = out[key] as number[];
      assert.ok(v[0]! > 2 || (v[0] === 2 && v[1]! >= 4), `${key} inferred ${JSON.stringify(v)}, expected >= (2, 4)`);
    }
    assert.deepEqual(out.sent, { topic: 'mytopic', partition: 0, offset: 0 });
    assert.deepEqual(out.received, [{ value: 'Bonjour, Kafka !', offset: 0, partition: 0 }]);
    assert.ok(broker.topics.get('mytopic'), 'mytopic was auto-created');
  });
});

// For every codec the client can use: 25 messages with and without keys, with null values,
// binary bytes, headers (including an empty header value) and none. Everything sent is printed
// next to everything read back (base64) so the test compares them exactly.
const ROUND_TRIP = `
import base64, json, sys, time
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
from kafka import codec as kcodec
bs = sys.argv[1]
codecs = sys.argv[2].split(',')
available = {'none': True, 'gzip': kcodec.has_gzip(), 'snappy': kcodec.has_snappy(), 'lz4': kcodec.has_lz4(), 'zstd': kcodec.has_zstd()}
N = 25

def b64(b):
    return None if b is None else base64.b64encode(b).decode('ascii')

def message(i):
    key = None if i % 5 == 0 else ('key-%d' % i).encode()
    if i % 7 == 3 and key is not None:
        value = None
    elif i == 11:
        value = bytes(range(256)) * 4
    else:
        # Compressible even alone: kafka-python sends a batch uncompressed when compressing does not shrink it.
        value = ('value %d; ' % i).encode() * (20 + i)
    headers = [] if i % 4 == 0 else [('h1', ('x%d' % i).encode()), ('h2', b''), ('h1', b'dup')]
    return key, value, headers

out = {}
for codec in codecs:
    if not available[codec]:
        out[codec] = {'unavailable': True}
        continue
    topic = 'kp-' + codec
    producer = KafkaProducer(bootstrap_servers=bs, compression_type=None if codec == 'none' else codec, linger_ms=100, acks='all')
    sent, futures = [], []
    for i in range(N):
        key, value, headers = message(i)
        futures.append(producer.send(topic, key=key, value=value, headers=headers, partition=0))
        sent.append({'key': b64(key), 'value': b64(value), 'headers': [[k, b64(v)] for k, v in headers]})
    producer.flush(timeout=30)
    offsets = [f.get(timeout=5).offset for f in futures]
    version = producer.config['api_version']
    producer.close(timeout=10)

    consumer = KafkaConsumer(bootstrap_servers=bs, enable_auto_commit=False, auto_offset_reset='earliest')
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    received = []
    deadline = time.time() + 20
    while len(received) < N and time.time() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            for m in records:
                received.append({'offset': m.offset, 'key': b64(m.key), 'value': b64(m.value),
                                 'headers': [[k, b64(v)] for k, v in m.headers]})
    end = consumer.end_offsets([tp])[tp]
    consumer.close()
    out[codec] = {'version': list(version), 'offsets': offsets, 'sent': sent, 'received': received, 'end_offset': end}
print(json.dumps(out))
`;

const CODECS = [
  { name: 'none', id: 0 },
  { name: 'gzip', id: 1 },
  { name: 'snappy', id: 2 },
  { name: 'lz4', id: 3 },
  { name: 'zstd', id: 4 },
];

test('kafka-python: keys, headers, null values and every compression codec read back identically', { skip: SKIP, timeout: 120_000 }, async (t) => {
  await withBroker(async (broker) => {
    const out = await python(ROUND_TRIP, [broker.bootstrap, CODECS.map((c) => c.name).join(',')], 90_000);
    for (const { name, id } of CODECS) {
      const r = out[name];
      const pkg = { snappy: 'python3-snappy', lz4: 'python3-lz4', zstd: 'python3-zstandard' }[name];
      await t.test(name, { skip: r.unavailable ? `kafka-python has no ${name} codec (${pkg} not installed)` : false }, () => {
        const n = r.sent.length;
        assert.deepEqual(r.offsets, Array.from({ length: n }, (_, i) => i), 'produce offsets');
        assert.equal(r.end_offset, n);
        assert.deepEqual(r.received.map((m: any) => m.offset), r.offsets, 'consumed offsets');
        assert.deepEqual(r.received.map(({ offset: _o, ...m }: any) => m), r.sent, 'consumed messages equal the sent ones');
        // The cases meant to be covered really are.
        assert.ok(r.sent.some((m: any) => m.key === null) && r.sent.some((m: any) => m.value === null));
        assert.ok(r.sent.some((m: any) => m.headers.length === 0) && r.sent.some((m: any) => m.headers.some((h: any) => h[1] === '')));
        // The client really compressed (zstd needs the broker version it inferred to be >= 2.1).
        const batches = storedBatches(broker.dataDir, `kp-${name}`, 0);
        assert.equal(batches.reduce((k, b) => k + b.records, 0), n, 'records on disk');
        assert.deepEqual(new Set(batches.map((b) => b.codec)), new Set([id]), `codec bits of the stored batches (${name} = ${id}): ${JSON.stringify(batches)}`);
      });
    }
  });
});
