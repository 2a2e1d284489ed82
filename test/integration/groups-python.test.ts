// Consumer groups driven by librdkafka (confluent-kafka) and kafka-python: commit, close, and a
// new member resumes exactly after the commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../../src/broker/broker.js';
import { createClient } from '../../src/client/index.js';
import { run, SYSTEM_PYTHON } from '../helpers/broker.js';

const CONFIG = { 'group.initial.rebalance.delay.ms': '0' };
const have = async (module: string) => (await run(SYSTEM_PYTHON, ['-c', `import ${module}`]).catch(() => ({ code: 1 }))).code === 0;
const HAVE_CONFLUENT = await have('confluent_kafka');
const HAVE_KAFKA_PYTHON = await have('kafka');

async function produce(bootstrap: string, topic: string, count: number): Promise<void> {
  const kafka = createClient({ bootstrapServers: bootstrap });
  await kafka.admin().createTopics([{ topic, numPartitions: 3 }]);
  await kafka.producer().send({ topic, messages: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
  await kafka.close();
}

/** Reads `limit` messages as a member of `group`, commits synchronously, closes; prints the values. */
const CONFLUENT_READER = `
import sys, json, time
from confluent_kafka import Consumer
bootstrap, topic, group, strategy, limit = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'auto.offset.reset': 'earliest',
              'enable.auto.commit': False, 'partition.assignment.strategy': strategy})
c.subscribe([topic])
seen, t0 = [], time.time()
while len(seen) < limit and time.time() - t0 < 25:
    m = c.poll(0.2)
    if m is None or m.error(): continue
    seen.append(m.value().decode())
    c.commit(message=m, asynchronous=False)
c.close()
print(json.dumps(seen))
`;

for (const strategy of ['range', 'cooperative-sticky']) {
  test(`confluent-kafka (${strategy}): commit, close, and the next member resumes exactly after the commit`, { skip: !HAVE_CONFLUENT && 'confluent-kafka not installed' }, async () => {
    const broker = await Broker.start({ port: 0, config: CONFIG });
    try {
      await produce(broker.bootstrap, 't', 60);
      const first = await run(SYSTEM_PYTHON, ['-c', CONFLUENT_READER, broker.bootstrap, 't', 'g', strategy, '25'], { timeoutMs: 40_000 });
      const a = JSON.parse(first.stdout) as string[];
      assert.equal(a.length, 25, first.stderr);
      const second = await run(SYSTEM_PYTHON, ['-c', CONFLUENT_READER, broker.bootstrap, 't', 'g', strategy, '35'], { timeoutMs: 40_000 });
      const b = JSON.parse(second.stdout) as string[];
      assert.equal(b.length, 35, second.stderr);
      assert.deepEqual([...a, ...b].sort(), Array.from({ length: 60 }, (_, i) => `v${i}`).sort(), 'every message once, none twice');
    } finally {
      await broker.stop();
    }
  });
}

test('confluent-kafka cooperative-sticky: two live members split the partitions and together read everything once', { skip: !HAVE_CONFLUENT && 'confluent-kafka not installed' }, async () => {
  const broker = await Broker.start({ port: 0, config: CONFIG });
  try {
    await produce(broker.bootstrap, 'shared', 90);
    const script = `
import sys, json, time
from confluent_kafka import Consumer
conf = {'bootstrap.servers': sys.argv[1], 'group.id': 'pair', 'auto.offset.reset': 'earliest',
        'partition.assignment.strategy': 'cooperative-sticky', 'enable.auto.commit': False}
a, b = Consumer(dict(conf)), Consumer(dict(conf))
a.subscribe(['shared']); b.subscribe(['shared'])
seen = {'a': [], 'b': []}
t0 = time.time()
while len(seen['a']) + len(seen['b']) < 90 and time.time() - t0 < 30:
    for name, c in (('a', a), ('b', b)):
        m = c.poll(0.1)
        if m is not None and not m.error():
            seen[name].append(m.value().decode())
parts = {'a': sorted(p.partition for p in a.assignment()), 'b': sorted(p.partition for p in b.assignment())}
a.close(); b.close()
print(json.dumps({'seen': seen, 'parts': parts}))
`;
    const r = await run(SYSTEM_PYTHON, ['-c', script, broker.bootstrap], { timeoutMs: 45_000 });
    const out = JSON.parse(r.stdout) as { seen: { a: string[]; b: string[] }; parts: { a: number[]; b: number[] } };
    const all = [...out.seen.a, ...out.seen.b];
    assert.equal(all.length, 90, `90 messages read (${r.stderr})`);
    assert.equal(new Set(all).size, 90, 'each message once');
    assert.deepEqual([...out.parts.a, ...out.parts.b].sort(), [0, 1, 2], 'the three partitions are split between the members');
    assert.ok(out.parts.a.length > 0 && out.parts.b.length > 0, 'both members own partitions');
  } finally {
    await broker.stop();
  }
});

test('kafka-python KafkaConsumer with auto-commit resumes after a consumer and broker restart', { skip: !HAVE_KAFKA_PYTHON && 'kafka-python not installed' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-kp-group-'));
  const reader = `
import sys, json
from kafka import KafkaConsumer
c = KafkaConsumer(sys.argv[2], bootstrap_servers=sys.argv[1], group_id='kp-auto', auto_offset_reset='earliest',
                  enable_auto_commit=True, auto_commit_interval_ms=100, consumer_timeout_ms=8000)
limit, seen = int(sys.argv[3]), []
for m in c:
    seen.append(m.value.decode())
    if len(seen) == limit: break
c.close()  # commits the consumed positions (auto-commit on close)
print(json.dumps(seen))
`;
  try {
    let broker = await Broker.start({ port: 0, dataDir: dir, config: CONFIG });
    await produce(broker.bootstrap, 'kp', 40);
    const first = await run(SYSTEM_PYTHON, ['-c', reader, broker.bootstrap, 'kp', '15'], { timeoutMs: 40_000 });
    const a = JSON.parse(first.stdout) as string[];
    assert.equal(a.length, 15, first.stderr);
    await broker.stop();
    broker = await Broker.start({ port: 0, dataDir: dir, config: CONFIG });
    try {
      const second = await run(SYSTEM_PYTHON, ['-c', reader, broker.bootstrap, 'kp', '25'], { timeoutMs: 40_000 });
      const b = JSON.parse(second.stdout) as string[];
      assert.equal(b.length, 25, second.stderr);
      assert.deepEqual([...a, ...b].sort(), Array.from({ length: 40 }, (_, i) => `v${i}`).sort(), 'resumed exactly after the commit');
    } finally {
      await broker.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
