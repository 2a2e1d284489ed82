/**
 * Samsa's own producer and consumer with idempotence and transactions, against an in-process
 * broker: the default idempotent producer writes each message once and in order; committed and
 * aborted transactions as read_committed and read_uncommitted consumers see them;
 * consume-transform-produce moves a group's offsets only on commit; a second producer with the
 * same transactional id fences the first; and a confluent-kafka transactional producer read by a
 * Samsa read_committed consumer.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Broker } from '../../src/broker/broker.js';
import { createClient, ErrorCode, KafkaError, TransactionStateError, type Client, type Consumer, type ConsumerMessage } from '../../src/client/index.js';
import { run, SYSTEM_PYTHON } from '../helpers/broker.js';

let broker: Broker;
let client: Client;

before(async () => {
  broker = await Broker.start({ port: 0, config: { 'group.initial.rebalance.delay.ms': '0' } });
  client = createClient({ bootstrapServers: broker.bootstrap, clientId: 'client-txn-test', retryBackoffMs: 20 });
});

after(async () => {
  await client.close();
  await broker.stop();
});

/** Polls until `count` messages arrived, or until `timeoutMs` passed. */
async function collect(consumer: Consumer, count: number, timeoutMs = 15_000): Promise<ConsumerMessage[]> {
  const out: ConsumerMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count && Date.now() < deadline) out.push(...(await consumer.poll({ timeoutMs: 300 })));
  return out;
}

/** Everything readable in one partition from offset 0 with the given isolation, waiting `quietMs` for more. */
async function readAll(topic: string, isolationLevel: 'read_committed' | 'read_uncommitted', expected: number, partitions = [0], timeoutMs = 15_000): Promise<ConsumerMessage[]> {
  const consumer = client.consumer({ isolationLevel, maxWaitMs: 100 });
  try {
    consumer.assign(partitions.map((partition) => ({ topic, partition, offset: 'earliest' as const })));
    const got = await collect(consumer, expected, timeoutMs);
    // A little longer, so that anything the consumer should not see would have arrived.
    got.push(...(await consumer.poll({ timeoutMs: 300 })));
    return got;
  } finally {
    await consumer.close();
  }
}

const values = (ms: ConsumerMessage[]): string[] => ms.map((m) => m.value!.toString());

test('the default producer is idempotent: 5000 keyed messages over 3 partitions, sent concurrently, arrive once each, in order', async () => {
  const admin = client.admin();
  await admin.createTopics([{ topic: 'idem', numPartitions: 3, replicationFactor: 1 }]);
  await admin.close();
  const producer = client.producer();
  const sends: Promise<unknown>[] = [];
  for (let chunk = 0; chunk < 50; chunk++) {
    const messages = [];
    for (let i = chunk * 100; i < (chunk + 1) * 100; i++) messages.push({ key: `k${i % 17}`, value: String(i) });
    sends.push(producer.send({ topic: 'idem', messages }));
  }
  await Promise.all(sends);
  await producer.close();

  const states = await Promise.all([0, 1, 2].map(async (p) => {
    const a = client.admin();
    try {
      return await a.describeProducers('idem', p);
    } finally {
      await a.close();
    }
  }));
  for (const s of states) {
    assert.equal(s.length, 1, 'one producer id wrote each partition');
    assert.ok(s[0]!.producerId >= 0);
  }

  const got = await readAll('idem', 'read_uncommitted', 5000, [0, 1, 2]);
  assert.equal(got.length, 5000);
  const seen = new Set(values(got));
  assert.equal(seen.size, 5000, 'no duplicates');
  // Per key, values come back in the order they were sent.
  const lastByKey = new Map<string, number>();
  for (const m of got.sort((a, b) => a.partition - b.partition || a.offset - b.offset)) {
    const v = Number(m.value!.toString());
    const key = m.key!.toString();
    assert.ok((lastByKey.get(key) ?? -1) < v, `key ${key}: ${v} after ${lastByKey.get(key)}`);
    lastByKey.set(key, v);
  }
});

test('a sequence gap (OUT_OF_ORDER_SEQUENCE_NUMBER) makes the producer bump its epoch and resend once, as in KIP-360', async () => {
  const producer = client.producer();
  await producer.send({ topic: 'gap', messages: [{ value: 'one' }] });
  // Lose a batch as a failed send would: its sequence numbers are spent but nothing was written.
  (producer as unknown as { state: { takeSequence(t: string, p: number, n: number): number } }).state.takeSequence('gap', 0, 3);
  await producer.send({ topic: 'gap', messages: [{ value: 'two' }] });
  await producer.send({ topic: 'gap', messages: [{ value: 'three' }] });
  await producer.close();
  const admin = client.admin();
  const [state] = await admin.describeProducers('gap', 0);
  await admin.close();
  assert.equal(state!.producerEpoch, 1, 'the epoch was bumped once');
  assert.equal(state!.lastSequence, 1, 'the new epoch numbered from 0');
  assert.deepEqual(values(await readAll('gap', 'read_uncommitted', 3)), ['one', 'two', 'three']);
});

test('a broker without InitProducerId: the idempotent producer fails with an error that names it', async () => {
  const producer = client.producer();
  type Internals = { cluster: { anyConnection(): Promise<{ brokerVersions: Map<number, unknown> }> } };
  // Make this connection look like a broker that does not advertise InitProducerId (api key 22).
  (await (producer as unknown as Internals).cluster.anyConnection()).brokerVersions.delete(22);
  await assert.rejects(producer.send({ topic: 'no-pid', messages: [{ value: 'x' }] }), /InitProducerId \(api key 22\).*idempotent: false/);
  await producer.close();
});

test('idempotent: false keeps plain sends; idempotent: true with acks=1 is refused', async () => {
  const producer = client.producer({ idempotent: false, acks: 1 });
  const [r] = await producer.send({ topic: 'plain', messages: [{ value: 'x' }] });
  assert.equal(r!.baseOffset, 0);
  await producer.close();
  assert.throws(() => client.producer({ idempotent: true, acks: 1 }), /acks=-1/);
});

test('a committed and an aborted transaction: read_committed sees only the committed one, read_uncommitted both', async () => {
  const producer = client.producer({ transactionalId: 'samsa-txn-1' });
  await assert.rejects(producer.send({ topic: 'txn-out', messages: [{ value: 'early' }] }), TransactionStateError);
  await producer.initTransactions();
  await assert.rejects(producer.send({ topic: 'txn-out', messages: [{ value: 'outside' }] }), /beginTransaction/);

  producer.beginTransaction();
  await producer.send({ topic: 'txn-out', messages: [{ value: 'c1' }, { value: 'c2' }] });
  await producer.send({ topic: 'txn-out', messages: [{ value: 'c3' }] });
  await producer.commitTransaction();

  producer.beginTransaction();
  await producer.send({ topic: 'txn-out', messages: [{ value: 'a1' }, { value: 'a2' }] });
  await producer.abortTransaction();

  producer.beginTransaction();
  await producer.send({ topic: 'txn-out', messages: [{ value: 'c4' }] });
  await producer.commitTransaction();
  await assert.rejects(producer.commitTransaction(), /no transaction is open/);
  await producer.close();

  assert.deepEqual(values(await readAll('txn-out', 'read_committed', 4)), ['c1', 'c2', 'c3', 'c4']);
  assert.deepEqual(values(await readAll('txn-out', 'read_uncommitted', 6)), ['c1', 'c2', 'c3', 'a1', 'a2', 'c4']);
});

test('read_committed stops at an open transaction and reads on once it commits', async () => {
  const producer = client.producer({ transactionalId: 'samsa-txn-open' });
  await producer.initTransactions();
  const plain = client.producer();
  await plain.send({ topic: 'txn-open', messages: [{ value: 'before' }] });
  producer.beginTransaction();
  await producer.send({ topic: 'txn-open', messages: [{ value: 'inside' }] });
  await plain.send({ topic: 'txn-open', messages: [{ value: 'after' }] });
  // Waits 1.5 s for a second message that must not come while the transaction is open.
  assert.deepEqual(values(await readAll('txn-open', 'read_committed', 2, [0], 1_500)), ['before']);
  await producer.commitTransaction();
  assert.deepEqual(values(await readAll('txn-open', 'read_committed', 3)), ['before', 'inside', 'after']);
  await producer.close();
  await plain.close();
});

test('consume-transform-produce: the group offsets move only when the transaction commits', async () => {
  const seed = client.producer();
  await seed.send({ topic: 'ctp-in', messages: ['m0', 'm1', 'm2', 'm3'].map((value) => ({ value })) });
  await seed.close();

  const consumer = client.consumer({ groupId: 'ctp-group', autoOffsetReset: 'earliest', autoCommit: false, isolationLevel: 'read_committed', maxWaitMs: 100 });
  consumer.subscribe(['ctp-in']);
  const producer = client.producer({ transactionalId: 'samsa-ctp' });
  await producer.initTransactions();
  const input = await collect(consumer, 4);
  assert.equal(input.length, 4);

  // First attempt: transform two, then abort — neither the output nor the offsets count.
  producer.beginTransaction();
  await producer.send({ topic: 'ctp-out', messages: input.slice(0, 2).map((m) => ({ value: m.value!.toString().toUpperCase() })) });
  await producer.sendOffsetsToTransaction([{ topic: 'ctp-in', partition: 0, offset: 2 }], consumer.groupMetadata());
  await producer.abortTransaction();
  const admin = client.admin();
  assert.deepEqual(await admin.fetchOffsets('ctp-group'), []);

  // Second attempt: all four, committed.
  producer.beginTransaction();
  await producer.send({ topic: 'ctp-out', messages: input.map((m) => ({ value: m.value!.toString().toUpperCase() })) });
  await producer.sendOffsetsToTransaction([{ topic: 'ctp-in', partition: 0, offset: 4 }], consumer.groupMetadata());
  await producer.commitTransaction();
  const offsets = await admin.fetchOffsets('ctp-group');
  assert.deepEqual(offsets.map((o) => [o.topic, o.partition, o.offset]), [['ctp-in', 0, 4]]);
  await admin.close();
  await consumer.close();
  await producer.close();

  assert.deepEqual(values(await readAll('ctp-out', 'read_committed', 4)), ['M0', 'M1', 'M2', 'M3']);
});

test('a second producer with the same transactionalId fences the first', async () => {
  const first = client.producer({ transactionalId: 'samsa-fence' });
  await first.initTransactions();
  first.beginTransaction();
  await first.send({ topic: 'fence-out', messages: [{ value: 'zombie' }] });

  const second = client.producer({ transactionalId: 'samsa-fence' });
  await second.initTransactions();
  second.beginTransaction();
  await second.send({ topic: 'fence-out', messages: [{ value: 'fresh' }] });
  await second.commitTransaction();

  await assert.rejects(
    (async () => {
      await first.send({ topic: 'fence-out', messages: [{ value: 'zombie-2' }] });
      await first.commitTransaction();
    })(),
    (err: unknown) => err instanceof KafkaError && (err.code === ErrorCode.PRODUCER_FENCED || err.code === ErrorCode.INVALID_PRODUCER_EPOCH),
  );
  assert.equal(first.transactionState, 'fatalError');
  await assert.rejects(first.commitTransaction(), /fatal error/);
  await first.close();
  await second.close();

  assert.deepEqual(values(await readAll('fence-out', 'read_committed', 1)), ['fresh']);
});

test('a transactional send that fails on a sequence gap leaves the transaction abortable; abort bumps the epoch and the next transaction commits', async () => {
  const producer = client.producer({ transactionalId: 'samsa-gap' });
  await producer.initTransactions();
  producer.beginTransaction();
  await producer.send({ topic: 'txn-gap', messages: [{ value: 'kept' }] });
  await producer.commitTransaction();

  producer.beginTransaction();
  (producer as unknown as { state: { takeSequence(t: string, p: number, n: number): number } }).state.takeSequence('txn-gap', 0, 3);
  await assert.rejects(producer.send({ topic: 'txn-gap', messages: [{ value: 'lost' }] }), (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(producer.transactionState, 'abortableError');
  await assert.rejects(producer.commitTransaction(), /abortTransaction/);
  await assert.rejects(producer.send({ topic: 'txn-gap', messages: [{ value: 'no' }] }), TransactionStateError);
  await producer.abortTransaction();

  producer.beginTransaction();
  await producer.send({ topic: 'txn-gap', messages: [{ value: 'after' }] });
  await producer.commitTransaction();
  await producer.close();
  const admin = client.admin();
  const [state] = await admin.describeProducers('txn-gap', 0);
  await admin.close();
  // Transactions v2: each of the three EndTxn moved the epoch on (the abort's bump is EndTxn's own).
  assert.equal(state!.producerEpoch, 3, 'every end of a transaction bumped the epoch');
  assert.deepEqual(values(await readAll('txn-gap', 'read_committed', 2)), ['kept', 'after']);
});

async function pythonHas(mod: string): Promise<boolean> {
  try {
    return (await run(SYSTEM_PYTHON, ['-c', `import ${mod}`], { timeoutMs: 30_000 })).code === 0;
  } catch {
    return false;
  }
}

const HAVE_CONFLUENT = await pythonHas('confluent_kafka');

const CONFLUENT_TXNS = String.raw`import sys
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1], 'transactional.id': 'ck-for-samsa'})
p.init_transactions(30)
for values, commit in ((['c1', 'c2'], True), (['a1', 'a2', 'a3'], False), (['c3'], True)):
    p.begin_transaction()
    for v in values:
        p.produce('ck-txn-out', v.encode(), partition=0)
    p.flush(30)
    (p.commit_transaction if commit else p.abort_transaction)(30)
print('ok')
`;

test('interop: a Samsa read_committed consumer reads only the committed transactions of a confluent-kafka producer', {
  skip: HAVE_CONFLUENT ? false : `confluent-kafka not installed (${SYSTEM_PYTHON} cannot import confluent_kafka)`,
  timeout: 120_000,
}, async () => {
  const admin = client.admin();
  await admin.createTopics([{ topic: 'ck-txn-out', numPartitions: 1, replicationFactor: 1 }]);
  await admin.close();
  const r = await run(SYSTEM_PYTHON, ['-c', CONFLUENT_TXNS, `127.0.0.1:${broker.port}`], { timeoutMs: 90_000 });
  assert.equal(r.code, 0, r.stderr.slice(-4000));
  assert.deepEqual(values(await readAll('ck-txn-out', 'read_committed', 3)), ['c1', 'c2', 'c3']);
  assert.deepEqual(values(await readAll('ck-txn-out', 'read_uncommitted', 6)), ['c1', 'c2', 'a1', 'a2', 'a3', 'c3']);
});
