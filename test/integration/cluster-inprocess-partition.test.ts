/**
 * Network partitions between brokers of the in-process cluster (`cluster.partition(a, b)`), each
 * broker still reaching the metadata store, driven by KafkaJS: a follower cut off its leader
 * leaves the ISR after replica.lag.time.max.ms and rejoins after the heal; a leader cut off both
 * followers keeps an ISR of itself and refuses acks=all below min.insync.replicas. Every
 * acknowledged record is read back exactly once, in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { Cluster } from '../../src/broker/in-process-cluster.js';
import { waitFor } from '../helpers/wait.js';

const LAG_MS = 2000;

function kafkaFor(bootstrap: string) {
  return new Kafka({ clientId: 'partition-test', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 50, maxRetryTime: 500 } });
}

async function withCluster(fn: (c: Cluster) => Promise<void>): Promise<void> {
  const c = await Cluster.start({ brokers: 3, config: { 'replica.lag.time.max.ms': String(LAG_MS), 'replica.fetch.backoff.ms': '200' } });
  try {
    await fn(c);
  } finally {
    await c.stop();
  }
}

function isr(c: Cluster, topic: string): number[] {
  return [...(c.metadata.partition(topic, 0)?.isr ?? [])].sort();
}

function logEnd(c: Cluster, id: number, topic: string): number {
  return c.broker(id).topics.replicas.log(topic, 0)?.logEndOffset ?? -1;
}

/** The error a single acks=all send ends with (KafkaJS, no retries), or null when it succeeded. */
async function sendError(producer: Producer, topic: string, value: string): Promise<string | null> {
  try {
    await producer.send({ topic, acks: -1, messages: [{ value }] });
    return null;
  } catch (err: any) {
    return String(err.type ?? err.cause?.type ?? err.message);
  }
}

/** An idempotent acks=all producer sending one record at a time until stopped; `acked` in order. */
function startLoad(kafka: Kafka, topic: string) {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const acked: string[] = [];
  let stop = false;
  let error: unknown = null;
  const done = (async () => {
    await producer.connect();
    for (let i = 0; !stop; i++) {
      const value = `${topic}-${i}`;
      try {
        await producer.send({ topic, acks: -1, messages: [{ value }] });
        acked.push(value);
      } catch (err) {
        error = err;
        break;
      }
    }
    await producer.disconnect();
  })();
  return {
    acked,
    async stop(): Promise<void> {
      stop = true;
      await done;
      assert.equal(error, null, `the producer carried on: ${String(error)}`);
    },
  };
}

async function readAll(kafka: Kafka, topic: string, expected: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `${topic}-check`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
  try {
    await waitFor('every acknowledged record consumed', () => seen.length >= expected, 20_000);
    await new Promise((r) => setTimeout(r, 200)); // nothing more (a duplicate) arrives
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/** Every acknowledged record once, and in the order acknowledged. */
function assertExactlyOnceInOrder(seen: string[], acked: string[]): void {
  assert.equal(new Set(seen).size, seen.length, 'no record twice');
  const ackedSet = new Set(acked);
  assert.deepEqual(seen.filter((v) => ackedSet.has(v)), acked, 'every acknowledged record, in order');
}

test('leader and follower cut apart: the follower leaves the ISR, acks=all with min.insync.replicas=2 goes on through the third broker, min.insync.replicas=3 is NOT_ENOUGH_REPLICAS; healed, the follower catches up and rejoins', async () => {
  await withCluster(async (c) => {
    const kafka = kafkaFor(c.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    const assignment = [{ partition: 0, replicas: [1, 2, 3] }];
    await admin.createTopics({
      topics: [
        { topic: 'mir2', replicaAssignment: assignment, configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
        { topic: 'mir3', replicaAssignment: assignment, configEntries: [{ name: 'min.insync.replicas', value: '3' }] },
        // Led by the follower-to-be: the cut holds the other way too.
        { topic: 'rev', replicaAssignment: [{ partition: 0, replicas: [2, 1, 3] }] },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();
    await waitFor('full ISRs', () => ['mir2', 'mir3', 'rev'].every((t) => isr(c, t).length === 3));
    const leader = c.metadata.partition('mir2', 0)!.leader;
    assert.equal(leader, 1, 'the first replica leads');
    const [follower, third] = [2, 3];

    const load = startLoad(kafka, 'mir2');
    await waitFor('records acknowledged before the cut', () => load.acked.length >= 50);
    c.partition(leader, follower);
    const cutAt = Date.now();
    assert.equal(c.reachable(leader, follower), false);
    assert.equal(c.reachable(follower, leader), false);
    assert.equal(c.reachable(follower, third), true);
    await waitFor('the follower out of both ISRs', () => !isr(c, 'mir2').includes(follower) && !isr(c, 'mir3').includes(follower), LAG_MS + 8000);
    const shrunkMs = Date.now() - cutAt;
    assert.ok(shrunkMs >= LAG_MS - 200, `the ISR shrank after replica.lag.time.max.ms, not before (${shrunkMs} ms)`);
    assert.deepEqual(isr(c, 'mir2'), [leader, third].sort());
    await waitFor('broker 1 out of the ISR of the partition broker 2 leads', () => isr(c, 'rev').join() === '2,3', 5000);

    // acks=all with min.insync.replicas=2: the leader and the third broker carry on.
    const atShrink = load.acked.length;
    await waitFor('records acknowledged by leader and third broker', () => load.acked.length >= atShrink + 100, 15_000);
    // The cut follower has stopped: it holds nothing the leader appended since.
    assert.ok(logEnd(c, follower, 'mir2') < logEnd(c, leader, 'mir2'), 'the cut follower is behind');

    // min.insync.replicas=3: refused before the append.
    const strict = kafka.producer({ retry: { retries: 0 } });
    await strict.connect();
    const endBefore = logEnd(c, leader, 'mir3');
    assert.equal(await sendError(strict, 'mir3', 'refused'), 'NOT_ENOUGH_REPLICAS');
    assert.equal(logEnd(c, leader, 'mir3'), endBefore, 'nothing appended');

    c.healPartition(leader, follower);
    assert.equal(c.reachable(leader, follower), true);
    const healedAt = Date.now();
    await waitFor('the follower back in every ISR', () => ['mir2', 'mir3', 'rev'].every((t) => isr(c, t).length === 3), 15_000);
    const rejoinMs = Date.now() - healedAt;
    assert.equal(await sendError(strict, 'mir3', 'accepted'), null, 'min.insync.replicas=3 is met again');
    await strict.disconnect();
    const atHeal = load.acked.length;
    await waitFor('records acknowledged after the heal', () => load.acked.length >= atHeal + 50, 15_000);
    await load.stop();
    await waitFor('the follower caught up', () => logEnd(c, follower, 'mir2') === logEnd(c, leader, 'mir2'));

    assertExactlyOnceInOrder(await readAll(kafka, 'mir2', load.acked.length), load.acked);
    console.log(`# partition: ISR shrank ${shrunkMs} ms after the cut, the follower rejoined ${rejoinMs} ms after the heal; ${load.acked.length} records acknowledged`);
  });
});

test('a leader cut off from both followers keeps an ISR of itself: acks=all with min.insync.replicas=2 is NOT_ENOUGH_REPLICAS and appends nothing; healed, the ISR is full again', async () => {
  await withCluster(async (c) => {
    const kafka = kafkaFor(c.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: 'lone', replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }], configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
      waitForLeaders: true,
    });
    await admin.disconnect();
    await waitFor('full ISR', () => isr(c, 'lone').length === 3);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const acked: string[] = [];
    for (let i = 0; i < 20; i++) {
      await producer.send({ topic: 'lone', acks: -1, messages: [{ value: `before-${i}` }] });
      acked.push(`before-${i}`);
    }

    c.partition(1, [2, 3]);
    assert.equal(c.reachable(2, 3), true, 'the followers still reach each other');
    await waitFor('the ISR shrunk to the leader', () => isr(c, 'lone').join() === '1', LAG_MS + 8000);
    assert.equal(c.metadata.partition('lone', 0)!.leader, 1, 'the leader still leads: it reaches the store');

    const strict = kafka.producer({ retry: { retries: 0 } });
    await strict.connect();
    const endBefore = logEnd(c, 1, 'lone');
    for (let i = 0; i < 3; i++) assert.equal(await sendError(strict, 'lone', `refused-${i}`), 'NOT_ENOUGH_REPLICAS');
    assert.equal(logEnd(c, 1, 'lone'), endBefore, 'nothing appended');
    // What was acknowledged is on every replica: the followers hold all of it.
    for (const id of [2, 3]) assert.equal(logEnd(c, id, 'lone'), endBefore, `broker ${id} holds every acknowledged record`);

    c.healPartition();
    await waitFor('the ISR full again', () => isr(c, 'lone').length === 3, 15_000);
    assert.equal(await sendError(strict, 'lone', 'after-heal'), null);
    acked.push('after-heal');
    await strict.disconnect();
    for (let i = 0; i < 20; i++) {
      await producer.send({ topic: 'lone', acks: -1, messages: [{ value: `after-${i}` }] });
      acked.push(`after-${i}`);
    }
    await producer.disconnect();

    const seen = await readAll(kafka, 'lone', acked.length);
    assert.ok(!seen.some((v) => v.startsWith('refused')), 'no refused record is readable');
    assertExactlyOnceInOrder(seen, acked);
  });
});
