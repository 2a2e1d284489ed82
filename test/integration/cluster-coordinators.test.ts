/**
 * The coordinators in a cluster (three brokers in this process over the in-memory store), driven
 * by KafkaJS: a group's coordinator is the leader of its __consumer_offsets partition, others say
 * NOT_COORDINATOR, and a group of three keeps consuming with its offsets intact when that broker
 * is killed; transactions span partitions led by different brokers (markers over inter-broker
 * WriteTxnMarkers) and survive the death of their coordinator, before and after the decision.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { Cluster } from '../../src/broker/in-process-cluster.js';
import { groupPartition } from '../../src/coordinator/group/records.js';
import { txnPartition } from '../../src/coordinator/txn/records.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { waitFor } from '../helpers/wait.js';
import { WireClient } from '../helpers/broker-process.js';

const CONFIG = {
  'replica.lag.time.max.ms': '2000',
  'offsets.topic.num.partitions': '5',
  'transaction.state.log.num.partitions': '5',
  'offsets.topic.replication.factor': '3',
  'transaction.state.log.replication.factor': '3',
  'transaction.state.log.min.isr': '2',
  'group.initial.rebalance.delay.ms': '0',
  'min.insync.replicas': '2',
};

function kafkaFor(bootstrap: string) {
  return new Kafka({ clientId: 'coordinator-test', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
}

async function withCluster(fn: (c: Cluster) => Promise<void>): Promise<void> {
  const c = await Cluster.start({ brokers: 3, config: CONFIG });
  try {
    await fn(c);
  } finally {
    await c.stop();
  }
}

/** The broker leading a key's partition of an internal topic: its coordinator. */
function leaderOf(c: Cluster, topic: string, partition: number): number {
  return c.metadata.partition(topic, partition)?.leader ?? -1;
}

async function findCoordinator(port: number, key: string, keyType: number): Promise<{ errorCode: number; nodeId: number }> {
  const w = await WireClient.connect(port);
  try {
    return await w.request(10, 3, { key, keyType });
  } finally {
    w.socket.destroy();
  }
}

test('a group of three KafkaJS consumers keeps consuming when its coordinator is killed: every record seen, committed offsets reach the end, the new coordinator holds the group', async () => {
  await withCluster(async (c) => {
    const kafka = kafkaFor(c.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    const consumers: Consumer[] = [];
    try {
      await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 6, replicationFactor: 3 }], waitForLeaders: true });
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const sendRange = async (from: number, to: number) => {
        for (let i = from; i < to; i += 100)
          for (let p = 0; p < 6; p++) {
            const values = Array.from({ length: 100 }, (_, j) => i + j).filter((v) => v < to && v % 6 === p);
            if (values.length > 0) await producer.send({ topic: 'orders', acks: -1, messages: values.map((v) => ({ partition: p, value: String(v) })) });
          }
      };
      await sendRange(0, 3000);

      const seen = new Set<number>();
      for (let i = 0; i < 3; i++) {
        // KafkaJS's own retries: a fetch from the killed broker fails to connect, the consumer
        // crashes and restarts itself (restartOnFailure), as it does against Kafka.
        const consumer = kafka.consumer({ groupId: 'g-orders', sessionTimeout: 6000, heartbeatInterval: 300, rebalanceTimeout: 10_000 });
        await consumer.connect();
        await consumer.subscribe({ topic: 'orders', fromBeginning: true });
        await consumer.run({ autoCommitInterval: 100, eachMessage: async ({ message }) => void seen.add(Number(message.value!.toString())) });
        consumers.push(consumer);
      }
      await waitFor('the group to consume a first part', () => seen.size >= 1500, 30_000);

      // The coordinator is the leader of the group's __consumer_offsets partition; the others say so.
      const p = groupPartition('g-orders', 5);
      const coordinator = leaderOf(c, '__consumer_offsets', p);
      for (const id of c.brokerIds) {
        const found = await findCoordinator(c.broker(id).port, 'g-orders', 0);
        assert.deepEqual([found.errorCode, found.nodeId], [ErrorCode.NONE, coordinator], `broker ${id} names the coordinator`);
      }
      const other = c.brokerIds.find((id) => id !== coordinator)!;
      const w = await WireClient.connect(c.broker(other).port);
      const hb = await w.request(12, 3, { groupId: 'g-orders', generationId: 1, memberId: 'x', groupInstanceId: null });
      w.socket.destroy();
      assert.equal(hb.errorCode, ErrorCode.NOT_COORDINATOR, 'a broker that does not lead the partition is not the coordinator');

      await c.kill(coordinator);
      await sendRange(3000, 6000);
      await waitFor('every record, before and after the kill, to be consumed', () => seen.size === 6000, 90_000);
      const next = leaderOf(c, '__consumer_offsets', p);
      assert.notEqual(next, coordinator);
      assert.ok(next > 0, 'a new leader for the group partition');
      await waitFor('the group to be stable on the new coordinator with three members', () => {
        const g = c.broker(next).groups.getGroup('g-orders');
        return g?.is('Stable') === true && g.members.size === 3;
      }, 60_000);
      // The committed offsets reach the end of every partition once the consumers commit what they read.
      const ends = await admin.fetchTopicOffsets('orders');
      await waitFor('the committed offsets to reach the log ends', async () => {
        const committed = (await admin.fetchOffsets({ groupId: 'g-orders', topics: ['orders'] }))[0]!.partitions;
        return ends.every((e) => committed.find((x) => x.partition === e.partition)?.offset === e.high);
      }, 30_000);
      await producer.disconnect();
    } finally {
      for (const consumer of consumers) await consumer.disconnect().catch(() => undefined);
      await admin.disconnect();
    }
  });
});

/** Every value a read_committed KafkaJS consumer reads from `topic` until `expected` arrived (or a quiet 1.5 s after). */
async function readCommitted(kafka: Kafka, topic: string, expected: number, groupId: string): Promise<string[]> {
  const consumer = kafka.consumer({ groupId, readUncommitted: false, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
  const got: string[] = [];
  let last = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message.value!.toString());
        last = Date.now();
      },
    });
    await waitFor(`${expected} committed records of ${topic}`, () => got.length >= expected && Date.now() - last > 1500, 60_000).catch((err: Error) => {
      throw new Error(`${err.message} (read ${got.length}: ${got.slice(0, 5).join(' ')} …)`);
    });
  } finally {
    await consumer.disconnect();
  }
  return got;
}

test('transactions span partitions led by different brokers: committed ones are read whole, aborted ones never; a coordinator killed mid-transaction hands it to the next', async () => {
  await withCluster(async (c) => {
    const kafka = kafkaFor(c.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'tx', numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });
      const leaders = new Set([0, 1, 2].map((p) => leaderOf(c, 'tx', p)));
      assert.equal(leaders.size, 3, 'each partition led by another broker');
      const producer = kafka.producer({ transactionalId: 'tx-span', idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const txnOf = async (label: string, commit: boolean) => {
        const t = await producer.transaction();
        for (let p = 0; p < 3; p++) await t.send({ topic: 'tx', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ partition: p, value: `${label}-${p}-${i}` })) });
        if (commit) await t.commit();
        else await t.abort();
      };
      await txnOf('c1', true);
      await txnOf('a1', false);
      await txnOf('c2', true);

      // The coordinator dies while a transaction is open: the next one has it, and the commit goes through it.
      const coordinator = leaderOf(c, '__transaction_state', txnPartition('tx-span', 5));
      const t = await producer.transaction();
      for (let p = 0; p < 3; p++) await t.send({ topic: 'tx', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ partition: p, value: `c3-${p}-${i}` })) });
      await c.kill(coordinator);
      await t.commit();
      await txnOf('a2', false);
      await txnOf('c4', true);
      await producer.disconnect();

      // The reader's group needs __consumer_offsets, which (as in Kafka) is created only once
      // offsets.topic.replication.factor brokers are registered.
      await c.restart(coordinator);
      const got = await readCommitted(kafka, 'tx', 120, 'reader-1');
      assert.equal(got.length, 120, 'four committed transactions of 30 records, each once');
      assert.ok(got.every((v) => v.startsWith('c')), 'no aborted record is read');
      assert.equal(new Set(got).size, 120);
    } finally {
      await admin.disconnect();
    }
  });
});

test('the decision outlives its coordinator: PrepareCommit is written, a marker cannot reach its leader, the coordinator dies, and the next one writes the markers', async () => {
  await withCluster(async (c) => {
    const kafka = kafkaFor(c.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'dec', numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });
      const producer = kafka.producer({ transactionalId: 'tx-dec', idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const t = await producer.transaction();
      // A data partition led by another broker than the transaction's coordinator, cut off from it.
      const coordinator = leaderOf(c, '__transaction_state', txnPartition('tx-dec', 5));
      assert.ok(coordinator > 0);
      const target = [0, 1, 2].find((p) => leaderOf(c, 'dec', p) !== coordinator)!;
      const targetLeader = leaderOf(c, 'dec', target);
      await t.send({ topic: 'dec', acks: -1, messages: Array.from({ length: 25 }, (_, i) => ({ partition: target, value: `v${i}` })) });
      c.partition(coordinator, targetLeader);
      await t.commit(); // the decision is written; the marker to the cut-off leader waits
      const txn = () => c.broker(coordinator).txn.txns.get('tx-dec');
      assert.equal(txn()?.state, 'PrepareCommit', 'the marker could not be written across the cut');
      await c.kill(coordinator);
      c.healPartition();
      await producer.disconnect();
      const next = leaderOf(c, '__transaction_state', txnPartition('tx-dec', 5));
      assert.ok(next > 0 && next !== coordinator, 'another broker took the transaction partition');
      await waitFor('the next coordinator to complete the transaction', () => c.broker(next).txn.txns.get('tx-dec')?.state === 'CompleteCommit', 30_000);
      await c.restart(coordinator);
      const got = await readCommitted(kafka, 'dec', 25, 'reader-dec');
      assert.deepEqual(got, Array.from({ length: 25 }, (_, i) => `v${i}`));
    } finally {
      await admin.disconnect();
    }
  });
});
