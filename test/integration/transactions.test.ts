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
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { withBroker, run, SYSTEM_PYTHON } from '../helpers/broker.js';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { seededRandom, randomInt } from '../helpers/random.js';
import { waitFor } from '../helpers/wait.js';

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

/** Values that mark the end of what a readTopic call waits for; never returned. */
const END_MARK = 'end-of-read-';
let reads = 0;

/**
 * Reads a topic from the start with a KafkaJS consumer. First it appends a plain message to each
 * partition; once the consumer has them all, everything stored before them that its isolation
 * level shows has been delivered (read_committed reads up to the last stable offset).
 */
async function readTopic(brokers: string[], topic: string, o: { readUncommitted: boolean; deadlineMs?: number; partitions?: number[] }): Promise<string[]> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100 } });
  const admin = kafka.admin();
  await admin.connect();
  const count = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions.length;
  await admin.disconnect();
  const read = reads++;
  const marks = Array.from({ length: count }, (_, partition) => ({ value: `${END_MARK}${read}-${partition}`, partition }));
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: marks });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${read}`, readUncommitted: o.readUncommitted, maxWaitTimeInMs: 200 });
  const values: string[] = [];
  const seenMarks = new Set<string>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const value = message.value!.toString();
        if (value.startsWith(END_MARK)) {
          seenMarks.add(value);
          return;
        }
        values.push(value);
        o.partitions?.push(partition);
      },
    });
    await waitFor(`the end marks of ${topic}`, () => marks.every((m) => seenMarks.has(m.value)), o.deadlineMs ?? 30_000);
  } finally {
    await consumer.disconnect();
  }
  return values;
}

test('KafkaJS: transaction() commit and abort; sendOffsets commits with the transaction', { timeout: 120_000 }, async () => {
  await withBroker(async (broker) => {
    const brokers = [`127.0.0.1:${broker.port}`];
    const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kjs', numPartitions: 1 }, { topic: 'kjs-in', numPartitions: 1 }] });
    const producer = kafka.producer({ transactionalId: 'kjs-txn', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      let tx = await producer.transaction();
      await tx.send({ topic: 'kjs', messages: [{ value: 'k1' }, { value: 'k2' }] });
      await tx.commit();
      tx = await producer.transaction();
      await tx.send({ topic: 'kjs', messages: [{ value: 'x1' }] });
      await tx.abort();
      tx = await producer.transaction();
      await tx.send({ topic: 'kjs', messages: [{ value: 'k3' }] });
      await tx.sendOffsets({ consumerGroupId: 'kjs-group', topics: [{ topic: 'kjs-in', partitions: [{ partition: 0, offset: '7' }] }] });
      await tx.commit();
      tx = await producer.transaction();
      await tx.sendOffsets({ consumerGroupId: 'kjs-group', topics: [{ topic: 'kjs-in', partitions: [{ partition: 0, offset: '9' }] }] });
      await tx.abort();
    } finally {
      await producer.disconnect();
    }
    const offsets = await admin.fetchOffsets({ groupId: 'kjs-group', topics: ['kjs-in'] });
    assert.deepEqual(offsets[0]!.partitions.map((p) => p.offset), ['7']);
    await admin.disconnect();
    assert.deepEqual(await readTopic(brokers, 'kjs', { readUncommitted: false }), ['k1', 'k2', 'k3']);
    assert.deepEqual(await readTopic(brokers, 'kjs', { readUncommitted: true }), ['k1', 'k2', 'x1', 'k3']);
  }, { config: FAST_GROUPS });
});

test('SIGKILL mid-transaction: after restart the open transaction is aborted; read_committed never sees it', { timeout: 180_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'samsa-txn-kill-'));
  const overrides = { ...FAST_GROUPS, 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '500', 'transaction.state.log.num.partitions': '5' };
  let proc = await startBrokerProcess({ dataDir, overrides });
  try {
    let brokers = [proc.bootstrap];
    const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'killed', numPartitions: 2 }] });
    await admin.disconnect();
    const producer = kafka.producer({ transactionalId: 'kill-txn', idempotent: true, maxInFlightRequests: 1, transactionTimeout: 5_000 });
    await producer.connect();
    const committed = await producer.transaction();
    await committed.send({ topic: 'killed', messages: [{ value: 'ok1', partition: 0 }, { value: 'ok2', partition: 1 }] });
    await committed.commit();
    const open = await producer.transaction();
    await open.send({ topic: 'killed', messages: [{ value: 'partial1', partition: 0 }, { value: 'partial2', partition: 1 }] });
    await proc.kill('SIGKILL');
    await producer.disconnect().catch(() => undefined);

    proc = await startBrokerProcess({ dataDir, overrides });
    brokers = [proc.bootstrap];
    // The open transaction is aborted by its timeout (5 s) once __transaction_state is loaded.
    const { WireClient } = await import('../helpers/broker-process.js');
    const w = await WireClient.connect(proc.port, proc.host);
    try {
      let state = '';
      await waitFor('the open transaction to be aborted', async () => {
        const r = await w.request(65, 0, { transactionalIds: ['kill-txn'] });
        state = r.transactionStates[0].transactionState;
        return state === 'CompleteAbort';
      }, 20_000).catch(() => undefined);
      assert.equal(state, 'CompleteAbort');
    } finally {
      w.close();
    }
    // A new instance of the producer works and commits.
    const kafka2 = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100 } });
    const p2 = kafka2.producer({ transactionalId: 'kill-txn', idempotent: true, maxInFlightRequests: 1 });
    await p2.connect();
    const after = await p2.transaction();
    await after.send({ topic: 'killed', messages: [{ value: 'ok3', partition: 0 }] });
    await after.commit();
    await p2.disconnect();
    const seen = await readTopic(brokers, 'killed', { readUncommitted: false });
    assert.deepEqual([...seen].sort(), ['ok1', 'ok2', 'ok3']);
    const all = await readTopic(brokers, 'killed', { readUncommitted: true });
    assert.deepEqual([...all].sort(), ['ok1', 'ok2', 'ok3', 'partial1', 'partial2']);
  } finally {
    await proc.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('samsa transactions (bin/kafka-transactions.sh): list, describe, describe-producers, abort of a hanging transaction', { timeout: 120_000 }, async () => {
  await withBroker(async (broker) => {
    const bs = `127.0.0.1:${broker.port}`;
    const kafka = new Kafka({ brokers: [bs], logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'hang', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer({ transactionalId: 'cli-txn', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const tx = await producer.transaction();
    await tx.send({ topic: 'hang', messages: [{ value: 'h1' }] });
    const tool = fileURLToPath(new URL('../../../bin/kafka-transactions.sh', import.meta.url));
    const cli = async (...args: string[]) => {
      const r = await run(tool, ['--bootstrap-server', bs, ...args], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim().split('\n').map((l) => l.split('\t').map((c) => c.trim()));
    };
    const list = await cli('list');
    assert.deepEqual(list[0], ['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState']);
    const row = list.find((r) => r[0] === 'cli-txn')!;
    assert.equal(row[3], 'Ongoing');
    const producerId = Number(row[2]);
    const described = await cli('describe', '--transactional-id', 'cli-txn');
    assert.equal(described[0]![4], 'TransactionState');
    assert.deepEqual([described[1]![1], described[1]![4], described[1]![8]], ['cli-txn', 'Ongoing', 'hang-0']);
    const producers = await cli('describe-producers', '--topic', 'hang', '--partition', '0');
    assert.deepEqual(producers[0], ['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset']);
    const p = producers.find((r) => Number(r[0]) === producerId)!;
    assert.equal(p[5], '0');
    // The hanging transaction is ended on the partition: read_committed readers get past it.
    await cli('abort', '--topic', 'hang', '--partition', '0', '--producer-id', String(producerId), '--producer-epoch', p[1]!, '--coordinator-epoch', '0');
    const after = await cli('describe-producers', '--topic', 'hang', '--partition', '0');
    assert.equal(after.find((r) => Number(r[0]) === producerId)![5], 'None');
    const bad = await run(tool, ['--bootstrap-server', bs, 'frobnicate'], { timeoutMs: 30_000 });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /list, describe, describe-producers, abort/);
    await producer.disconnect();
  });
});

test('transaction APIs at the wire: coordinator lookup, timeouts, fencing codes per version, offsets pending until commit', { timeout: 60_000 }, async () => {
  const { WireClient } = await import('../helpers/broker-process.js');
  await withBroker(async (broker) => {
    await broker.topics.create({ name: 'w', numPartitions: 2, replicationFactor: 1, configs: {} });
    const w = await WireClient.connect(broker.port);
    try {
      // The first lookup creates __transaction_state (and __consumer_offsets for the group).
      let found: any;
      await waitFor('both coordinators', async () => {
        found = await w.request(10, 1, { key: 'wire-txn', keyType: 1 });
        const g = await w.request(10, 1, { key: 'wire-group', keyType: 0 });
        return found.errorCode === 0 && g.errorCode === 0;
      }).catch(() => undefined);
      assert.deepEqual([found.errorCode, found.nodeId, found.port], [0, 1, broker.port]);
      assert.equal(broker.topics.get('__transaction_state')!.partitions, 50);
      assert.equal(broker.topics.get('__transaction_state')!.configs['cleanup.policy'], 'compact');
      const init = (version: number, timeoutMs = 60_000) => w.request(22, version, { transactionalId: 'wire-txn', transactionTimeoutMs: timeoutMs, producerId: -1, producerEpoch: -1 });
      assert.equal((await init(1, 900_001)).errorCode, 50); // INVALID_TRANSACTION_TIMEOUT
      const first = await init(1);
      assert.deepEqual([first.errorCode, first.producerEpoch], [0, 0]);
      const second = await init(1);
      assert.deepEqual([second.errorCode, second.producerId, second.producerEpoch], [0, first.producerId, 1]);
      const add = (version: number, epoch: number, topics: Array<{ name: string; partitions: number[] }>) =>
        w.request(24, version, { v3AndBelowTransactionalId: 'wire-txn', v3AndBelowProducerId: first.producerId, v3AndBelowProducerEpoch: epoch, v3AndBelowTopics: topics });
      const codes = (r: any) => r.resultsByTopicV3AndBelow.flatMap((t: any) => t.resultsByPartition.map((p: any) => p.partitionErrorCode));
      assert.deepEqual(codes(await add(1, 0, [{ name: 'w', partitions: [0] }])), [47]); // INVALID_PRODUCER_EPOCH before v2
      assert.deepEqual(codes(await add(2, 0, [{ name: 'w', partitions: [0] }])), [90]); // PRODUCER_FENCED
      assert.deepEqual(codes(await add(3, 1, [{ name: 'w', partitions: [0] }, { name: 'nope', partitions: [0] }])), [55, 3]);
      const end = (version: number, epoch: number, committed: boolean, id = 'wire-txn') => w.request(26, version, { transactionalId: id, producerId: first.producerId, producerEpoch: epoch, committed });
      assert.equal((await end(1, 1, true)).errorCode, 48); // INVALID_TXN_STATE: nothing open
      assert.equal((await end(1, 1, true, 'unknown-id')).errorCode, 49); // INVALID_PRODUCER_ID_MAPPING
      assert.deepEqual(codes(await add(3, 1, [{ name: 'w', partitions: [0, 1] }])), [0, 0]);
      assert.equal((await w.request(25, 1, { transactionalId: 'wire-txn', producerId: first.producerId, producerEpoch: 1, groupId: 'wire-group' })).errorCode, 0);
      const commit = await w.request(28, 3, {
        transactionalId: 'wire-txn', groupId: 'wire-group', producerId: first.producerId, producerEpoch: 1, generationId: -1, memberId: '', groupInstanceId: null,
        topics: [{ name: 'w', partitions: [{ partitionIndex: 1, committedOffset: 42, committedLeaderEpoch: -1, committedMetadata: 'm' }] }],
      });
      assert.equal(commit.topics[0].partitions[0].errorCode, 0);
      const fetch = (requireStable: boolean) => w.request(9, 7, { groupId: 'wire-group', topics: [{ name: 'w', partitionIndexes: [1] }], groups: [], requireStable });
      assert.equal((await fetch(true)).topics[0].partitions[0].errorCode, 88); // UNSTABLE_OFFSET_COMMIT
      assert.equal((await fetch(false)).topics[0].partitions[0].committedOffset, -1n);
      const listed = await w.request(66, 1, { stateFilters: ['Ongoing'], producerIdFilters: [], durationFilter: -1 });
      assert.deepEqual(listed.transactionStates, [{ transactionalId: 'wire-txn', producerId: first.producerId, transactionState: 'Ongoing' }]);
      const described = await w.request(65, 0, { transactionalIds: ['wire-txn', 'nobody'] });
      assert.deepEqual(described.transactionStates[0].topics.map((t: any) => [t.topic, t.partitions]).sort(), [['__consumer_offsets', [broker.groups.partitionFor('wire-group')]], ['w', [0, 1]]]);
      assert.equal(described.transactionStates[1].errorCode, 105); // TRANSACTIONAL_ID_NOT_FOUND
      assert.equal((await end(3, 1, true)).errorCode, 0);
      const after = await fetch(true);
      assert.deepEqual([after.topics[0].partitions[0].errorCode, after.topics[0].partitions[0].committedOffset], [0, 42n]);
      assert.equal((await w.request(65, 0, { transactionalIds: ['wire-txn'] })).transactionStates[0].transactionState, 'CompleteCommit');
    } finally {
      w.close();
    }
  });
});

test('SIGKILL while EndTxn commits across 20 partitions: after restart the transaction is all there or all gone', { timeout: 300_000 }, async (t) => {
  // Killed before EndTxn arrives, while its markers are being written, and after it was answered.
  for (const killAfterMs of [2, 10, 40]) await killDuringCommit(t, killAfterMs);
});

async function killDuringCommit(t: { diagnostic(msg: string): void }, killAfterMs: number): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'samsa-txn-endkill-'));
  const overrides = { ...FAST_GROUPS, 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '500', 'transaction.state.log.num.partitions': '3', 'log.flush.interval.messages': '1' };
  let proc = await startBrokerProcess({ dataDir, overrides });
  try {
    const PARTITIONS = 20;
    const kafka = new Kafka({ brokers: [proc.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'atomic', numPartitions: PARTITIONS }] });
    await admin.disconnect();
    const producer = kafka.producer({ transactionalId: 'atomic-txn', idempotent: true, maxInFlightRequests: 1, transactionTimeout: 5_000 });
    await producer.connect();
    const tx = await producer.transaction();
    await tx.send({ topic: 'atomic', messages: Array.from({ length: PARTITIONS }, (_, p) => ({ value: `v${p}`, partition: p })) });
    const committing = tx.commit().then(
      () => 'acknowledged',
      () => 'failed',
    );
    await new Promise((r) => setTimeout(r, killAfterMs));
    await proc.kill('SIGKILL');
    const outcome = await committing;
    await producer.disconnect().catch(() => undefined);

    proc = await startBrokerProcess({ dataDir, overrides });
    const { WireClient } = await import('../helpers/broker-process.js');
    const w = await WireClient.connect(proc.port, proc.host);
    let state = '';
    try {
      await waitFor('the transaction to complete', async () => {
        const r = await w.request(65, 0, { transactionalIds: ['atomic-txn'] });
        state = r.transactionStates[0].transactionState;
        return state === 'CompleteCommit' || state === 'CompleteAbort';
      }, 20_000).catch(() => undefined);
    } finally {
      w.close();
    }
    t.diagnostic(`killed ${killAfterMs} ms into the commit: the client saw it ${outcome}; after restart: ${state}`);
    assert.ok(state === 'CompleteCommit' || state === 'CompleteAbort', `state after restart: ${state}`);
    // A commit the client saw acknowledged is never lost.
    if (outcome === 'acknowledged') assert.equal(state, 'CompleteCommit');
    const seen = await readTopic([proc.bootstrap], 'atomic', { readUncommitted: false });
    assert.equal(seen.length, state === 'CompleteCommit' ? PARTITIONS : 0, `read_committed saw ${seen.length} of ${PARTITIONS} after ${state}`);
  } finally {
    await proc.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
}

test('checker: three KafkaJS transactional producers, random commits and aborts; read_committed gets every committed write once, in order, and nothing aborted', { timeout: 180_000 }, async () => {
  await withBroker(async (broker) => {
    const brokers = [`127.0.0.1:${broker.port}`];
    const rand = seededRandom(5);
    const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'checked', numPartitions: 4 }] });
    await admin.disconnect();
    const committed: string[] = [];
    const aborted = new Set<string>();
    await Promise.all(
      [0, 1, 2].map(async (p) => {
        const producer = kafka.producer({ transactionalId: `checker-${p}`, idempotent: true, maxInFlightRequests: 1 });
        await producer.connect();
        try {
          for (let t = 0; t < 8; t++) {
            const tx = await producer.transaction();
            const values = Array.from({ length: randomInt(rand, 1, 6) }, (_, k) => ({ value: `p${p}-t${t}-k${k}`, partition: randomInt(rand, 0, 3) }));
            await tx.send({ topic: 'checked', messages: values });
            if (rand() < 0.6) {
              await tx.commit();
              committed.push(...values.map((v) => v.value));
            } else {
              await tx.abort();
              for (const v of values) aborted.add(v.value);
            }
          }
        } finally {
          await producer.disconnect();
        }
      }),
    );
    const partitions: number[] = [];
    const seen = await readTopic(brokers, 'checked', { readUncommitted: false, partitions });
    assert.equal(new Set(seen).size, seen.length, 'no duplicates');
    assert.deepEqual(seen.filter((v) => aborted.has(v)), [], 'no aborted reads');
    assert.deepEqual([...seen].sort(), [...committed].sort(), 'no lost committed writes');
    // Within a partition, each producer's writes are read in the order it sent them.
    const rank = (v: string) => {
      const [, t, k] = v.split('-');
      return Number(t!.slice(1)) * 100 + Number(k!.slice(1));
    };
    for (let partition = 0; partition < 4; partition++)
      for (const p of [0, 1, 2]) {
        const ranks = seen.filter((v, i) => partitions[i] === partition && v.startsWith(`p${p}-`)).map(rank);
        assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b), `partition ${partition}, producer ${p}: out of order`);
      }
  }, { config: FAST_GROUPS });
});

const FENCE = String.raw`import json, sys, time
from confluent_kafka import Producer, Consumer, TopicPartition, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic
bs = sys.argv[1]
admin = AdminClient({'bootstrap.servers': bs})
for f in admin.create_topics([NewTopic('fenced', 1, 1)]).values():
    f.result(30)
conf = {'bootstrap.servers': bs, 'transactional.id': 'fence-txn'}
p1 = Producer(conf)
p1.init_transactions(30)
p1.begin_transaction()
p1.produce('fenced', b'z1')
p1.flush(30)
p2 = Producer(conf)
p2.init_transactions(30)
fatal = None
try:
    p1.commit_transaction(30)
except KafkaException as e:
    fatal = {'fatal': e.args[0].fatal(), 'name': e.args[0].name()}
p2.begin_transaction()
p2.produce('fenced', b'z2')
p2.commit_transaction(30)
c = Consumer({'bootstrap.servers': bs, 'group.id': 'fence-reader', 'isolation.level': 'read_committed', 'enable.partition.eof': True})
c.assign([TopicPartition('fenced', 0, 0)])
seen = []
deadline = time.time() + 30
while time.time() < deadline:
    m = c.poll(1)
    if m is None: continue
    if m.error():
        if m.error().code() == -191: break
        raise KafkaException(m.error())
    seen.append(m.value().decode())
c.close()
print(json.dumps({'fatal': fatal, 'seen': seen}))
`;

test('confluent-kafka: a second producer with the same transactional.id fences the first and aborts its open transaction', { skip: SKIP, timeout: 120_000 }, async () => {
  await withBroker(async (broker) => {
    const r = await python(FENCE, [`127.0.0.1:${broker.port}`]);
    assert.equal(r.fatal?.fatal, true, JSON.stringify(r));
    assert.match(r.fatal.name, /FENCED|INVALID_PRODUCER_EPOCH/);
    assert.deepEqual(r.seen, ['z2']);
  }, { config: FAST_GROUPS });
});
