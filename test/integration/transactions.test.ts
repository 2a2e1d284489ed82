/**
 * Transactions end to end: confluent-kafka (librdkafka 2.0.2) and KafkaJS transactional
 * producers against an in-process broker, read_committed and read_uncommitted consumers,
 * consume-transform-produce with send_offsets_to_transaction, and a broker killed with SIGKILL in
 * the middle of a transaction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { withBroker, run, SYSTEM_PYTHON } from '../helpers/broker.js';
import { startBrokerProcess } from '../helpers/broker-process.js';

async function pythonHas(mod: string): Promise<boolean> {
  try {
    return (await run(SYSTEM_PYTHON, ['-c', `import ${mod}`], { timeoutMs: 30_000 })).code === 0;
  } catch {
    return false;
  }
}

const HAVE_CONFLUENT = await pythonHas('confluent_kafka');
const SKIP = HAVE_CONFLUENT ? false : `confluent-kafka not installed (${SYSTEM_PYTHON} cannot import confluent_kafka)`;
const FAST_GROUPS = { 'group.initial.rebalance.delay.ms': '0' };

async function python(script: string, args: string[], timeoutMs = 120_000): Promise<any> {
  const r = await run(SYSTEM_PYTHON, ['-c', script, ...args], { timeoutMs });
  assert.equal(r.code, 0, `python exited with ${r.code}\n--- stderr:\n${r.stderr.slice(-4000)}\n--- stdout:\n${r.stdout}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
}

const COMMIT_ABORT_CTP = String.raw`import json, sys, time
from confluent_kafka import Producer, Consumer, TopicPartition, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic
bs = sys.argv[1]
admin = AdminClient({'bootstrap.servers': bs})
for f in admin.create_topics([NewTopic(t, 1, 1) for t in ('out', 'in', 'out2')]).values():
    f.result(30)
p = Producer({'bootstrap.servers': bs, 'transactional.id': 'ck-txn', 'transaction.timeout.ms': 60000})
p.init_transactions(30)
def txn(values, commit, topic='out'):
    p.begin_transaction()
    for v in values:
        p.produce(topic, v.encode())
    p.flush(30)
    (p.commit_transaction if commit else p.abort_transaction)(30)
txn(['c1', 'c2', 'c3'], True)
txn(['a1', 'a2'], False)
txn(['c4'], True)
def read(topic, isolation, group=None):
    c = Consumer({'bootstrap.servers': bs, 'group.id': group or 'reader-' + isolation, 'isolation.level': isolation,
                  'enable.partition.eof': True, 'enable.auto.commit': False})
    c.assign([TopicPartition(topic, 0, 0)])
    out = []
    deadline = time.time() + 30
    while time.time() < deadline:
        m = c.poll(1)
        if m is None: continue
        if m.error():
            if m.error().code() == -191: break
            raise KafkaException(m.error())
        out.append([m.offset(), m.value().decode()])
    c.close()
    return out
committed = read('out', 'read_committed')
uncommitted = read('out', 'read_uncommitted')
# consume-transform-produce
plain = Producer({'bootstrap.servers': bs})
for i in range(8): plain.produce('in', ('m%d' % i).encode())
plain.flush(30)
c = Consumer({'bootstrap.servers': bs, 'group.id': 'ctp', 'isolation.level': 'read_committed', 'enable.auto.commit': False, 'auto.offset.reset': 'earliest'})
c.subscribe(['in'])
got = []
deadline = time.time() + 60
while len(got) < 8 and time.time() < deadline:
    m = c.poll(1)
    if m is None or m.error(): continue
    got.append(m)
def ctp(msgs, commit):
    p.begin_transaction()
    for m in msgs: p.produce('out2', m.value().upper())
    p.send_offsets_to_transaction([TopicPartition('in', 0, msgs[-1].offset() + 1)], c.consumer_group_metadata(), 30)
    (p.commit_transaction if commit else p.abort_transaction)(30)
ctp(got[:5], True)
after_commit = c.committed([TopicPartition('in', 0)], 30)[0].offset
ctp(got[5:], False)
after_abort = c.committed([TopicPartition('in', 0)], 30)[0].offset
c.close()
out2 = read('out2', 'read_committed')
print(json.dumps({'committed': committed, 'uncommitted': uncommitted, 'afterCommit': after_commit, 'afterAbort': after_abort, 'out2': [v for _, v in out2]}))
`;

test('confluent-kafka: committed and aborted transactions, read_committed and read_uncommitted, consume-transform-produce', { skip: SKIP, timeout: 180_000 }, async () => {
  await withBroker(async (broker) => {
    const r = await python(COMMIT_ABORT_CTP, [`127.0.0.1:${broker.port}`]);
    assert.deepEqual(r.committed.map((x: [number, string]) => x[1]), ['c1', 'c2', 'c3', 'c4']);
    assert.deepEqual(r.uncommitted.map((x: [number, string]) => x[1]), ['c1', 'c2', 'c3', 'a1', 'a2', 'c4']);
    // Markers take offsets (3 after the first transaction, 6 after the abort) and are never delivered.
    assert.deepEqual(r.uncommitted.map((x: [number, string]) => x[0]), [0, 1, 2, 4, 5, 7]);
    assert.equal(r.afterCommit, 5);
    assert.equal(r.afterAbort, 5);
    assert.deepEqual(r.out2, ['M0', 'M1', 'M2', 'M3', 'M4']);
  }, { config: FAST_GROUPS });
});
