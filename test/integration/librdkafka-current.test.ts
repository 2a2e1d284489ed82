/**
 * A current librdkafka (2.15, built by `npm run fetch:librdkafka`) under confluent-kafka, on the
 * classic paths that must not regress as clients move on: an idempotent producer, a classic
 * consumer group with committed offsets, and a transaction read back read_committed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { runNewRdkafkaPython } from '../helpers/librdkafka-new.js';

test('librdkafka 2.15 (confluent-kafka): idempotent produce, a classic group consumer with commits, a committed transaction read read_committed', { timeout: 120_000 }, async () => {
  await withBroker(async (broker) => {
    const script = `
import sys, confluent_kafka
from confluent_kafka import Producer, Consumer
bs = sys.argv[1]
assert confluent_kafka.libversion()[0].startswith('2.15'), confluent_kafka.libversion()
p = Producer({'bootstrap.servers': bs, 'enable.idempotence': True})
for i in range(100): p.produce('current', str(i).encode(), key=str(i % 7).encode())
assert p.flush(20) == 0
t = Producer({'bootstrap.servers': bs, 'transactional.id': 'current-tx'})
t.init_transactions(20)
t.begin_transaction()
t.produce('current-tx', b'committed')
t.commit_transaction(20)
def drain(topic, group, n, extra={}):
    c = Consumer(dict({'bootstrap.servers': bs, 'group.id': group, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False}, **extra))
    c.subscribe([topic])
    got = []
    for _ in range(200 if n > 0 else 15):
        m = c.poll(0.2)
        if m is not None and m.error() is None: got.append(m.value().decode())
        if n > 0 and len(got) >= n: break
    if got: c.commit(asynchronous=False)
    c.close()
    return got
got = drain('current', 'g-current', 100)
assert sorted(got, key=int) == [str(i) for i in range(100)], got
assert drain('current', 'g-current', 0) == []  # the commit holds: nothing left for the group
assert drain('current-tx', 'g-tx', 1, {'isolation.level': 'read_committed'}) == ['committed']
print('ok')
`;
    const r = await runNewRdkafkaPython(script, [broker.bootstrap], { timeoutMs: 110_000 });
    assert.equal(r.stdout.trim(), 'ok', r.stderr);
  });
});
