/**
 * KIP-890 on the wire, request by request as a Java client of Kafka 4 sends them.
 *
 * Transactions v2: ApiVersions finalizes transaction.version 2; Produce v12 puts its partition in
 * the transaction (no AddPartitionsToTxn), TxnOffsetCommit v5 its offsets (no AddOffsetsToTxn);
 * EndTxn v5 answers a new epoch each time, so a write of the finished transaction that arrives
 * late is fenced, and a retried EndTxn — across a broker restart too — gets the same answer.
 *
 * Part 1, for transactions-v1 clients: a transactional batch for a partition the coordinator does
 * not have in the producer's transaction is refused (INVALID_TXN_STATE, TRANSACTION_ABORTABLE
 * from Produce v11) and opens no transaction, unless transaction.partition.verification.enable
 * is false. kcat (librdkafka) is the reader that judges what read_committed sees.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../../src/broker/broker.js';
import { createClient } from '../../src/client/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import { installed, run } from '../helpers/broker.js';
import { WireClient } from '../helpers/broker-process.js';
import { waitFor } from '../helpers/wait.js';
import { Cluster } from '../../src/broker/in-process-cluster.js';
import { txnPartition } from '../../src/coordinator/txn/records.js';

const HAVE_KCAT = await installed('kcat', ['-V']);
const SKIP = HAVE_KCAT ? false : 'kcat is not installed (Debian package kcat)';
const TIMEOUT_MS = 60_000;

interface Producer {
  producerId: number;
  producerEpoch: number;
}

/** InitProducerId, waiting out the coordinator while __transaction_state is created and loaded. */
async function initProducerId(w: WireClient, transactionalId: string, version = 5): Promise<Producer> {
  let r = await w.request(22, version, { transactionalId, transactionTimeoutMs: TIMEOUT_MS, producerId: -1, producerEpoch: -1 });
  for (let i = 0; i < 200 && (r.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE || r.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    r = await w.request(22, version, { transactionalId, transactionTimeoutMs: TIMEOUT_MS, producerId: -1, producerEpoch: -1 });
  }
  assert.equal(r.errorCode, ErrorCode.NONE);
  return { producerId: Number(r.producerId), producerEpoch: r.producerEpoch };
}

/** One transactional batch of `values` to topic-partition; the partition's error code and message. */
async function produce(w: WireClient, version: number, transactionalId: string, p: Producer, topic: string, partition: number, baseSequence: number, values: string[]) {
  const records = await encodeRecordBatch(values.map((v) => ({ value: v })), { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence, transactional: true });
  const r = await w.request(0, version, { transactionalId, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
  const pr = r.responses[0].partitionResponses[0];
  return { errorCode: pr.errorCode as number, errorMessage: pr.errorMessage as string | null };
}

async function endTxn(w: WireClient, version: number, transactionalId: string, p: Producer, committed: boolean) {
  const r = await w.request(26, version, { transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch, committed });
  return { errorCode: r.errorCode as number, producerId: Number(r.producerId), producerEpoch: r.producerEpoch as number };
}

async function kcatRead(bootstrap: string, topic: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  const r = await run('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-X', `isolation.level=${isolation}`, '-f', '%s\n'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '');
}

async function createTopic(bootstrap: string, topic: string, partitions = 1): Promise<void> {
  const kafka = createClient({ bootstrapServers: bootstrap });
  try {
    await kafka.admin().createTopics([{ topic, numPartitions: partitions, replicationFactor: 1 }]);
  } finally {
    await kafka.close();
  }
}

test('transactions v2 on the wire: ApiVersions, Produce v12 joins the transaction, EndTxn v5 bumps the epoch and fences the late write, a retried EndTxn gets the same answer across a restart', { skip: SKIP, timeout: 90_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'samsa-txn-v2-'));
  let broker = await Broker.start({ port: 0, dataDir });
  try {
    await createTopic(broker.bootstrap, 'v2', 2);
    let w = await WireClient.connect(broker.port);
    const versions = await w.request(18, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    const max = (key: number) => versions.apiKeys.find((k: { apiKey: number }) => k.apiKey === key)?.maxVersion;
    assert.deepEqual([max(0), max(24), max(26), max(28)], [12, 5, 5, 5], 'Produce, AddPartitionsToTxn, EndTxn, TxnOffsetCommit');
    assert.deepEqual(versions.finalizedFeatures.find((f: { name: string }) => f.name === 'transaction.version'), { name: 'transaction.version', minVersionLevel: 2, maxVersionLevel: 2 });

    const first = await initProducerId(w, 'tv2');
    assert.equal(first.producerEpoch, 0);
    // No AddPartitionsToTxn: the produce itself puts both partitions in the transaction.
    assert.equal((await produce(w, 12, 'tv2', first, 'v2', 0, 0, ['c1-a', 'c1-b'])).errorCode, ErrorCode.NONE);
    assert.equal((await produce(w, 12, 'tv2', first, 'v2', 1, 0, ['c1-c'])).errorCode, ErrorCode.NONE);
    const described = await w.request(65, 0, { transactionalIds: ['tv2'] });
    assert.equal(described.transactionStates[0].transactionState, 'Ongoing');
    assert.deepEqual(described.transactionStates[0].topics.map((t: { topic: string; partitions: number[] }) => [t.topic, t.partitions]), [['v2', [0, 1]]]);
    const committed = await endTxn(w, 5, 'tv2', first, true);
    assert.deepEqual(committed, { errorCode: ErrorCode.NONE, producerId: first.producerId, producerEpoch: 1 }, 'the commit moved the producer to epoch 1');

    // A write of the committed transaction that arrives late (epoch 0) is fenced, not appended.
    const late = await produce(w, 12, 'tv2', first, 'v2', 0, 2, ['late']);
    assert.equal(late.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    // The EndTxn retried with the epoch it was sent with gets the same answer.
    assert.deepEqual(await endTxn(w, 5, 'tv2', first, true), committed);
    assert.equal((await endTxn(w, 5, 'tv2', first, false)).errorCode, ErrorCode.INVALID_TXN_STATE, 'an abort cannot retry a commit');

    // The next transaction, at epoch 1, starts each partition at sequence 0; it aborts.
    const second: Producer = { producerId: committed.producerId, producerEpoch: committed.producerEpoch };
    assert.equal((await produce(w, 12, 'tv2', second, 'v2', 0, 0, ['a1-a'])).errorCode, ErrorCode.NONE);
    const aborted = await endTxn(w, 5, 'tv2', second, false);
    assert.deepEqual(aborted, { errorCode: ErrorCode.NONE, producerId: first.producerId, producerEpoch: 2 });

    // TxnOffsetCommit v5 without AddOffsetsToTxn: the offsets count once the transaction commits.
    const third: Producer = { producerId: aborted.producerId, producerEpoch: aborted.producerEpoch };
    // As a client does first: find the group's coordinator (which creates __consumer_offsets).
    for (let i = 0; i < 200 && (await w.request(10, 4, { keyType: 0, coordinatorKeys: ['tv2-group'] })).coordinators[0].errorCode !== ErrorCode.NONE; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await produce(w, 12, 'tv2', third, 'v2', 1, 0, ['c2-a'])).errorCode, ErrorCode.NONE);
    const offsets = await w.request(28, 5, {
      transactionalId: 'tv2', groupId: 'tv2-group', producerId: third.producerId, producerEpoch: third.producerEpoch, generationId: -1, memberId: '', groupInstanceId: null,
      topics: [{ name: 'v2', partitions: [{ partitionIndex: 0, committedOffset: 2n, committedLeaderEpoch: -1, committedMetadata: '' }] }],
    });
    assert.equal(offsets.topics[0].partitions[0].errorCode, ErrorCode.NONE);
    const done = await endTxn(w, 5, 'tv2', third, true);
    assert.equal(done.producerEpoch, 3);
    w.socket.destroy();

    assert.deepEqual((await kcatRead(broker.bootstrap, 'v2', 'read_committed')).sort(), ['c1-a', 'c1-b', 'c1-c', 'c2-a']);
    assert.ok(!(await kcatRead(broker.bootstrap, 'v2', 'read_uncommitted')).includes('late'), 'the fenced write is nowhere in the log');

    // A restart replays __transaction_state (values v1 with ClientTransactionVersion 2): the
    // retry of the last EndTxn is still recognised as one.
    await broker.stop();
    broker = await Broker.start({ port: 0, dataDir });
    w = await WireClient.connect(broker.port);
    let retried = await endTxn(w, 5, 'tv2', third, true);
    for (let i = 0; i < 100 && retried.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS; i++) {
      await new Promise((r) => setTimeout(r, 50));
      retried = await endTxn(w, 5, 'tv2', third, true);
    }
    assert.deepEqual(retried, done);
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    try {
      const fetched = await kafka.admin().fetchOffsets('tv2-group');
      assert.deepEqual(fetched.map((o) => [o.topic, o.partition, o.offset]), [['v2', 0, 2]]);
    } finally {
      await kafka.close();
    }
    w.socket.destroy();
  } finally {
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('part 1 for transactions-v1 producers: a transactional batch for a partition not in the transaction is refused and opens no transaction; without verification it is taken', { skip: SKIP, timeout: 90_000 }, async () => {
  for (const verify of [true, false]) {
    const broker = await Broker.start({ port: 0, config: verify ? {} : { 'transaction.partition.verification.enable': 'false' } });
    try {
      await createTopic(broker.bootstrap, 'v1');
      const w = await WireClient.connect(broker.port);
      const p = await initProducerId(w, 'tv1', 4);
      // Before AddPartitionsToTxn: refused with verification (INVALID_TXN_STATE up to v10,
      // TRANSACTION_ABORTABLE from v11).
      const early = await produce(w, 9, 'tv1', p, 'v1', 0, 0, ['stray']);
      if (verify) {
        assert.deepEqual(early, { errorCode: ErrorCode.INVALID_TXN_STATE, errorMessage: 'Partition was not added to the transaction' });
        assert.equal((await produce(w, 11, 'tv1', p, 'v1', 0, 0, ['stray'])).errorCode, ErrorCode.TRANSACTION_ABORTABLE);
        // AddPartitionsToTxn v4 (the brokers' form), VerifyOnly: the coordinator's view, partition by partition.
        const v = await w.request(24, 4, { transactions: [{ transactionalId: 'tv1', producerId: p.producerId, producerEpoch: p.producerEpoch, verifyOnly: true, topics: [{ name: 'v1', partitions: [0] }] }] });
        assert.equal(v.resultsByTransaction[0].topicResults[0].resultsByPartition[0].partitionErrorCode, ErrorCode.TRANSACTION_ABORTABLE);
      } else {
        assert.equal(early.errorCode, ErrorCode.NONE, 'without verification Kafka takes the batch');
      }
      const seq = verify ? 0 : 1;
      const add = await w.request(24, 3, { v3AndBelowTransactionalId: 'tv1', v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: [{ name: 'v1', partitions: [0] }] });
      assert.equal(add.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode, ErrorCode.NONE);
      assert.equal((await produce(w, 9, 'tv1', p, 'v1', 0, seq, ['kept'])).errorCode, ErrorCode.NONE);
      assert.equal((await endTxn(w, 4, 'tv1', p, true)).errorCode, ErrorCode.NONE);
      // A write of the committed transaction that arrives late, same epoch (transactions v1 do not
      // bump it): with verification it is refused, so no transaction is left open for ever.
      const late = await produce(w, 9, 'tv1', p, 'v1', 0, seq + 1, ['late']);
      const kafka = createClient({ bootstrapServers: broker.bootstrap });
      try {
        const [state] = await kafka.admin().describeProducers('v1', 0);
        if (verify) {
          assert.equal(late.errorCode, ErrorCode.INVALID_TXN_STATE);
          assert.equal(state!.currentTransactionStartOffset, -1, 'no transaction is open on the partition');
          assert.deepEqual(await kcatRead(broker.bootstrap, 'v1', 'read_committed'), ['kept']);
        } else {
          assert.equal(late.errorCode, ErrorCode.NONE);
          assert.ok(state!.currentTransactionStartOffset >= 0, 'the late write opened a transaction nobody ends (a hanging transaction)');
        }
      } finally {
        await kafka.close();
      }
      w.socket.destroy();
    } finally {
      await broker.stop();
    }
  }
});

const CLUSTER_CONFIG = {
  'replica.lag.time.max.ms': '2000',
  'offsets.topic.num.partitions': '3',
  'transaction.state.log.num.partitions': '3',
  'offsets.topic.replication.factor': '3',
  'transaction.state.log.replication.factor': '3',
  'transaction.state.log.min.isr': '2',
  'min.insync.replicas': '2',
};

test('transactions v2 across brokers: partition leaders add their partitions at the coordinator on another broker (AddPartitionsToTxn v5), and the transactions survive the death of that coordinator', { skip: SKIP, timeout: 180_000 }, async () => {
  const c = await Cluster.start({ brokers: 3, config: CLUSTER_CONFIG });
  const kafka = createClient({ bootstrapServers: c.bootstrap, retryBackoffMs: 50 });
  try {
    const admin = kafka.admin();
    await admin.createTopics([{ topic: 'span', numPartitions: 3, replicationFactor: 3 }]);
    await waitFor('span fully replicated', () => [0, 1, 2].every((p) => (c.metadata.partition('span', p)?.isr.length ?? 0) === 3), 30_000);
    const producer = kafka.producer({ transactionalId: 'span-v2' });
    await producer.initTransactions();
    const coordinator = c.metadata.partition('__transaction_state', txnPartition('span-v2', 3))!.leader;
    const expected: string[] = [];
    const txn = async (label: string, commit: boolean) => {
      producer.beginTransaction();
      for (let p = 0; p < 3; p++) await producer.send({ topic: 'span', messages: Array.from({ length: 5 }, (_, i) => ({ partition: p, value: `${label}-${p}-${i}` })) });
      if (commit) {
        await producer.commitTransaction();
        for (let p = 0; p < 3; p++) for (let i = 0; i < 5; i++) expected.push(`${label}-${p}-${i}`);
      } else await producer.abortTransaction();
    };
    await txn('c1', true);
    await txn('a1', false);
    // The coordinator dies while a transaction is open; its successor has the transaction (and
    // its clientTransactionVersion) from the replicated __transaction_state.
    producer.beginTransaction();
    for (let p = 0; p < 3; p++) await producer.send({ topic: 'span', messages: [{ partition: p, value: `c2-${p}-0` }] });
    await c.kill(coordinator);
    await producer.commitTransaction();
    for (let p = 0; p < 3; p++) expected.push(`c2-${p}-0`);
    await txn('c3', true);
    await producer.close();
    await c.restart(coordinator);
    await waitFor('span fully replicated again', () => [0, 1, 2].every((p) => (c.metadata.partition('span', p)?.isr.length ?? 0) === 3), 30_000);
    assert.deepEqual((await kcatRead(c.bootstrap, 'span', 'read_committed')).sort(), expected.sort());
    const tx = await admin.describeTransaction('span-v2');
    assert.equal(tx.producerEpoch, 4, 'each of the four EndTxn bumped the epoch');
  } finally {
    await kafka.close();
    await c.stop();
  }
});
