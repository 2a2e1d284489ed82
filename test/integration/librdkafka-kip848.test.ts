/**
 * The KIP-848 consumer group protocol with librdkafka 2.15 (confluent-kafka on a current
 * librdkafka, `group.protocol=consumer`): two members of one group share the partitions of a topic
 * without overlap, read every record exactly once between them, and commit; a third consumer of
 * the group started after them resumes from the commits and finds nothing left. With
 * group.coordinator.rebalance.protocols=classic the consumer protocol is refused as Kafka refuses it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { runNewRdkafkaPython } from '../helpers/librdkafka-new.js';
import { WireClient } from '../helpers/broker-process.js';
import { ErrorCode } from '../../src/protocol/errors.js';

test('librdkafka 2.15 with group.protocol=consumer: two members split the partitions, read everything once, commit; a later member finds the commits', { timeout: 120_000 }, async () => {
  await withBroker(async (broker) => {
    await broker.topics.create({ name: 'kip848', numPartitions: 4, replicationFactor: 1, configs: {} });
    const script = `
import sys, time, json, threading
from confluent_kafka import Producer, Consumer
bs = sys.argv[1]
conf = {'bootstrap.servers': bs, 'group.id': 'g848', 'group.protocol': 'consumer', 'auto.offset.reset': 'earliest', 'enable.auto.commit': False}
got = {0: [], 1: []}
assigned = {0: set(), 1: set()}
stop = threading.Event()
def run(n):
    def on_assign(c, ps): assigned[n].update(p.partition for p in ps)
    def on_revoke(c, ps): assigned[n].difference_update(p.partition for p in ps)
    c = Consumer(conf)
    c.subscribe(['kip848'], on_assign=on_assign, on_revoke=on_revoke)
    while not stop.is_set():
        m = c.poll(0.2)
        if m is None or m.error() is not None: continue
        got[n].append((m.partition(), int(m.value())))
    c.commit(asynchronous=False)
    c.close()
ts = [threading.Thread(target=run, args=(n,)) for n in (0, 1)]
for t in ts: t.start()
deadline = time.time() + 40
while time.time() < deadline and not (assigned[0] and assigned[1] and assigned[0] | assigned[1] == {0, 1, 2, 3} and not assigned[0] & assigned[1]):
    time.sleep(0.1)
split = [sorted(assigned[0]), sorted(assigned[1])]
p = Producer({'bootstrap.servers': bs})
for i in range(200): p.produce('kip848', str(i).encode(), partition=i % 4)
assert p.flush(20) == 0
while time.time() < deadline and len(got[0]) + len(got[1]) < 200: time.sleep(0.1)
stop.set()
for t in ts: t.join()
later = Consumer(conf)
later.subscribe(['kip848'])
left = []
end = time.time() + 6
while time.time() < end:
    m = later.poll(0.2)
    if m is not None and m.error() is None: left.append(int(m.value()))
later.close()
each = [sorted({p for p, _ in got[n]}) for n in (0, 1)]
print(json.dumps({'all': sorted(v for n in (0, 1) for _, v in got[n]), 'split': split, 'read': each, 'left': left}))
`;
    const r = await runNewRdkafkaPython(script, [broker.bootstrap], { timeoutMs: 110_000 });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { all: number[]; split: number[][]; read: number[][]; left: number[] };
    assert.deepEqual(out.all, Array.from({ length: 200 }, (_, i) => i), 'every record once');
    assert.ok(out.split[0]!.length > 0 && out.split[1]!.length > 0, `both members got partitions: ${JSON.stringify(out.split)}`);
    assert.deepEqual([...out.split[0]!, ...out.split[1]!].sort(), [0, 1, 2, 3], 'the partitions split without overlap');
    assert.deepEqual(out.read, out.split, 'each member read only its own partitions');
    assert.deepEqual(out.left, [], 'the commits hold for a later member');
  }, { config: { 'offsets.topic.num.partitions': '3' } });
});

test('group.coordinator.rebalance.protocols=classic: librdkafka with group.protocol=consumer stops with UNSUPPORTED_VERSION, a classic member of the same group still reads; ConsumerGroupDescribe answers UNSUPPORTED_VERSION', { timeout: 90_000 }, async () => {
  await withBroker(async (broker) => {
    await broker.topics.create({ name: 'classic-only', numPartitions: 2, replicationFactor: 1, configs: {} });
    const script = `
import sys, time, json
from confluent_kafka import Producer, Consumer
bs = sys.argv[1]
p = Producer({'bootstrap.servers': bs})
for i in range(20): p.produce('classic-only', str(i).encode(), partition=i % 2)
assert p.flush(20) == 0
def consume(protocol, seconds):
    errors, got = [], []
    c = Consumer({'bootstrap.servers': bs, 'group.id': 'gc', 'group.protocol': protocol, 'auto.offset.reset': 'earliest', 'error_cb': lambda e: errors.append(e.code())})
    c.subscribe(['classic-only'])
    end = time.time() + seconds
    while time.time() < end and len(got) < 20:
        m = c.poll(0.2)
        if m is None: continue
        if m.error() is not None:
            errors.append(m.error().code())
            if m.error().fatal(): break
        else: got.append(int(m.value()))
    c.close()
    return errors, sorted(got)
new_errors, new_got = consume('consumer', 10)
old_errors, old_got = consume('classic', 30)
print(json.dumps({'new': [new_errors, new_got], 'old': [old_errors, old_got]}))
`;
    const r = await runNewRdkafkaPython(script, [broker.bootstrap], { timeoutMs: 80_000 });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { new: [number[], number[]]; old: [number[], number[]] };
    assert.deepEqual(out.new[1], [], 'the consumer-protocol member reads nothing');
    assert.ok(out.new[0].includes(-150), `a fatal error (librdkafka's _FATAL, -150) for group.protocol=consumer: ${JSON.stringify(out.new[0])}; stderr: ${r.stderr.slice(-600)}`);
    assert.match(r.stderr, /ConsumerGroupHeartbeat fatal error: Broker: API version not supported/);
    assert.deepEqual(out.old[1], Array.from({ length: 20 }, (_, i) => i), 'the classic member reads every record');
    const w = await WireClient.connect(broker.port);
    try {
      const d = await w.request(69, 0, { groupIds: ['gc', 'other'], includeAuthorizedOperations: false });
      assert.deepEqual(d.groups.map((g: { errorCode: number }) => g.errorCode), [ErrorCode.UNSUPPORTED_VERSION, ErrorCode.UNSUPPORTED_VERSION]);
    } finally {
      w.close();
    }
  }, { config: { 'offsets.topic.num.partitions': '3', 'group.initial.rebalance.delay.ms': '0', 'group.coordinator.rebalance.protocols': 'classic' } });
});
