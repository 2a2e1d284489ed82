// Consumer groups with KafkaJS: the example from the issue, a group sharing a topic through a
// member leaving, and committed offsets across a restart and a SIGKILL of the broker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { Broker } from '../../src/broker/broker.js';
import { withBroker } from '../helpers/broker.js';
import { startBrokerProcess } from '../helpers/broker-process.js';

/** The first rebalance of a new group waits 3 s by default; tests do not. */
const FAST_GROUPS = { 'group.initial.rebalance.delay.ms': '0' };
const WAIT_MS_MAX = 25_000;

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = WAIT_MS_MAX): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function kafkaFor(bootstrap: string, clientId = 'samsa-groups-test') {
  return new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
}

async function produce(bootstrap: string, topic: string, values: string[], partitions = 1): Promise<void> {
  const producer = kafkaFor(bootstrap).producer();
  await producer.connect();
  await producer.send({ topic, messages: values.map((value, i) => ({ value, partition: i % partitions })) });
  await producer.disconnect();
}

test('the KafkaJS consumer example from the issue receives exactly what was sent', async () => {
  await withBroker(
    async (broker) => {
      const sent = Array.from({ length: 20 }, (_, i) => `hello ${i}`);
      await produce(broker.bootstrap, 'topic-test', sent);
      const received: string[] = [];
      const kafka = new Kafka({ clientId: 'my-app', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });

      // From the issue, verbatim apart from the broker address above:
      const consumer = kafka.consumer({ groupId: 'group1' })
      await consumer.connect()
      await consumer.subscribe({ topic: 'topic-test', fromBeginning: true })
      await consumer.run({
        eachMessage: async ({ message }) => {
          received.push(message.value!.toString())
        },
      })

      try {
        await until('all messages', () => received.length >= sent.length);
        // A last message, sent once the others arrived: when it arrives too, anything delivered
        // twice before it has arrived as well.
        await produce(broker.bootstrap, 'topic-test', ['last']);
        await until('the last message', () => received.includes('last'));
        assert.deepEqual(received, [...sent, 'last']);
      } finally {
        await consumer.disconnect();
      }
      const admin = kafka.admin();
      await admin.connect();
      const [offsets] = await admin.fetchOffsets({ groupId: 'group1', topics: ['topic-test'] });
      assert.deepEqual(offsets!.partitions, [{ partition: 0, offset: '21', metadata: null }]);
      await admin.disconnect();
    },
    { config: FAST_GROUPS },
  );
});

interface Seen {
  consumer: string;
  partition: number;
  value: string;
}

test('three KafkaJS consumers share a 6-partition topic; one leaves and the others take over, nothing lost', async (t) => {
  await withBroker(
    async (broker) => {
      const kafka = kafkaFor(broker.bootstrap);
      const admin = kafka.admin();
      await admin.connect();
      const seen: Seen[] = [];
      const consumers = new Map<string, Consumer>();
      for (const name of ['c1', 'c2', 'c3']) {
        const c = kafka.consumer({ groupId: 'trio', sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 300 });
        await c.connect();
        await c.subscribe({ topic: 'shared', fromBeginning: true });
        await c.run({ eachMessage: async ({ partition, message }) => void seen.push({ consumer: name, partition, value: message.value!.toString() }) });
        consumers.set(name, c);
      }
      const stableWith = async (n: number) => {
        const { groups } = await admin.describeGroups(['trio']);
        const g = groups[0]!;
        return g.state === 'Stable' && g.members.length === n && g.members.every((m) => m.memberAssignment.length > 0);
      };
      try {
        await until('a stable group of three', () => stableWith(3));
        const first = Array.from({ length: 300 }, (_, i) => `first-${i}`);
        await produce(broker.bootstrap, 'shared', first, 6);
        await until('the first batch', () => new Set(seen.map((s) => s.value)).size >= first.length);
        // The group was stable all along: nothing was delivered twice.
        assert.equal(seen.length, first.length, 'each message of the first batch once');
        const before = new Map<number, string>();
        for (const s of seen) before.set(s.partition, s.consumer);
        assert.equal(new Set(before.values()).size, 3, 'each consumer owns some partitions');

        // c3 leaves while messages keep coming.
        const second: string[] = [];
        const producer = kafka.producer();
        await producer.connect();
        const producing = (async () => {
          for (let round = 0; round < 20; round++) {
            const values = Array.from({ length: 15 }, (_, i) => `second-${round}-${i}`);
            second.push(...values);
            await producer.send({ topic: 'shared', messages: values.map((value, i) => ({ value, partition: i % 6 })) });
            await sleep(25);
          }
        })();
        await until('some of the second batch to be sent', () => second.length >= 4 * 15);
        await consumers.get('c3')!.disconnect();
        consumers.delete('c3');
        const mark = seen.length;
        await producing;
        await producer.disconnect();
        await until('a stable group of two', () => stableWith(2));
        await until('the second batch', () => {
          const values = new Set(seen.map((s) => s.value));
          return second.every((v) => values.has(v));
        });
        const after = seen.slice(mark);
        assert.ok(after.every((s) => s.consumer !== 'c3'), 'the member that left reads nothing more');
        const c3Partitions = [...before].filter(([, c]) => c === 'c3').map(([p]) => p);
        for (const p of c3Partitions) assert.ok(after.some((s) => s.partition === p), `partition ${p} of c3 was taken over`);

        const values = seen.map((s) => s.value);
        for (const v of [...first, ...second]) assert.ok(values.includes(v), `${v} was consumed`);
        const duplicates = values.length - new Set(values).size;
        t.diagnostic(`${values.length} messages consumed for ${first.length + second.length} sent: ${duplicates} duplicates (at-least-once)`);
      } finally {
        for (const c of consumers.values()) await c.disconnect();
        await admin.disconnect();
      }
    },
    // Topics are created by the first produce or subscription, with num.partitions partitions.
    { config: { ...FAST_GROUPS, 'num.partitions': '6' } },
  );
});

/** Consumes from the group until `count` messages arrived, then disconnects (committing). */
async function consumeAndCommit(bootstrap: string, groupId: string, topic: string, count: number): Promise<string[]> {
  const got: string[] = [];
  const consumer = kafkaFor(bootstrap).consumer({ groupId, heartbeatInterval: 300, maxWaitTimeInMs: 300 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void got.push(message.value!.toString()) });
  try {
    await until(`${count} messages`, () => got.length >= count);
  } finally {
    await consumer.disconnect();
  }
  return got;
}

async function committed(bootstrap: string, groupId: string, topic: string): Promise<string[]> {
  const admin = kafkaFor(bootstrap).admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return t!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset);
  } finally {
    await admin.disconnect();
  }
}

test('committed offsets survive a broker restart on the same data dir', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'samsa-groups-'));
  try {
    const config = { ...FAST_GROUPS, 'num.partitions': '3' };
    let broker = await Broker.start({ port: 0, dataDir, config });
    try {
      await produce(broker.bootstrap, 'durable', Array.from({ length: 30 }, (_, i) => `old-${i}`), 3);
      await consumeAndCommit(broker.bootstrap, 'keeper', 'durable', 30);
      assert.deepEqual(await committed(broker.bootstrap, 'keeper', 'durable'), ['10', '10', '10']);
    } finally {
      await broker.stop();
    }
    broker = await Broker.start({ port: 0, dataDir, config });
    try {
      await broker.groups.loaded();
      assert.deepEqual(await committed(broker.bootstrap, 'keeper', 'durable'), ['10', '10', '10']);
      // The group resumes where it left off: only what was produced since.
      await produce(broker.bootstrap, 'durable', ['new-0', 'new-1', 'new-2'], 3);
      // A group that resumed anywhere before the committed offsets would read old-* first.
      const got = await consumeAndCommit(broker.bootstrap, 'keeper', 'durable', 3);
      assert.deepEqual(got.sort(), ['new-0', 'new-1', 'new-2']);
    } finally {
      await broker.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('committed offsets survive a SIGKILL of the broker process', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'samsa-groups-kill-'));
  try {
    const overrides = { ...FAST_GROUPS, 'num.partitions': '2' };
    let proc = await startBrokerProcess({ dataDir, overrides });
    try {
      await produce(proc.bootstrap, 'killed', Array.from({ length: 12 }, (_, i) => `m-${i}`), 2);
      await consumeAndCommit(proc.bootstrap, 'survivor', 'killed', 12);
      assert.deepEqual(await committed(proc.bootstrap, 'survivor', 'killed'), ['6', '6']);
    } finally {
      await proc.kill('SIGKILL');
    }
    proc = await startBrokerProcess({ dataDir, overrides });
    try {
      let offsets: string[] = [];
      await until('the offsets after the restart', async () => {
        offsets = await committed(proc.bootstrap, 'survivor', 'killed').catch(() => []);
        return offsets.length === 2;
      });
      assert.deepEqual(offsets, ['6', '6']);
    } finally {
      await proc.kill('SIGKILL');
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
