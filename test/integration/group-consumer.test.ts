import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, AssignerProtocol, type PartitionAssigner } from 'kafkajs';
import { spawn } from 'node:child_process';
import { Broker } from '../../src/broker/broker.js';
import { run } from '../helpers/broker.js';
import { createClient, type Client, type Consumer, type ConsumerMessage, type ConsumerOptions, type TopicPartition } from '../../src/client/index.js';

let broker: Broker;
let client: Client;

before(async () => {
  broker = await Broker.start({ port: 0, config: { 'group.initial.rebalance.delay.ms': '0' } });
  client = createClient({ bootstrapServers: broker.bootstrap, clientId: 'group-test', retryBackoffMs: 20 });
});

after(async () => {
  await client.close();
  await broker.stop();
});

/** Quick group timings so rebalances take a fraction of a second. */
const FAST: ConsumerOptions = { heartbeatIntervalMs: 100, sessionTimeoutMs: 6000, rebalanceTimeoutMs: 10_000, autoOffsetReset: 'earliest', maxWaitMs: 100 };
const TEST_TIMEOUT_MS = 60_000;

async function createTopic(topic: string, numPartitions: number): Promise<void> {
  const admin = client.admin();
  try {
    await admin.createTopics([{ topic, numPartitions }]);
  } finally {
    await admin.close();
  }
}

/** Sends `count` messages round-robin over the partitions, values `${prefix}-${i}`. */
async function produce(topic: string, partitions: number, count: number, prefix: string): Promise<string[]> {
  const producer = client.producer();
  const values: string[] = [];
  try {
    const messages = Array.from({ length: count }, (_, i) => {
      values.push(`${prefix}-${i}`);
      return { value: `${prefix}-${i}`, partition: i % partitions };
    });
    await producer.send({ topic, messages });
  } finally {
    await producer.close();
  }
  return values;
}

/** Polls in the background into `sink` until stopped; poll errors fail the test. */
function pollLoop(consumer: Consumer, sink: ConsumerMessage[]): { stop: () => Promise<void> } {
  let running = true;
  const done = (async () => {
    while (running) sink.push(...(await consumer.poll({ timeoutMs: 200 })));
  })();
  return {
    stop: async () => {
      running = false;
      await done;
    },
  };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

const names = (tps: TopicPartition[]): string[] => tps.map((tp) => `${tp.topic}-${tp.partition}`).sort();
const values = (ms: ConsumerMessage[]): string[] => ms.map((m) => m.value!.toString());

/**
 * Sends one last message to each partition and waits until they are all consumed: a message
 * delivered twice before them has been delivered by then. Returns their values.
 */
async function drain(topic: string, partitions: number, sinks: ConsumerMessage[][]): Promise<string[]> {
  const last = await produce(topic, partitions, partitions, 'last');
  await until('the last message of every partition', () => {
    const seen = new Set(values(sinks.flat()));
    return last.every((v) => seen.has(v));
  });
  return last;
}

function assertExactlyOnce(got: string[], expected: string[]): void {
  const dupes = got.filter((v, i) => got.indexOf(v) !== i);
  assert.deepEqual(dupes, [], 'no message is consumed twice');
  assert.deepEqual([...got].sort(), [...expected].sort(), 'every message is consumed');
}

test('two consumers share a 4-partition topic; when one closes the other takes over and nothing is lost', { timeout: TEST_TIMEOUT_MS }, async () => {
  await createTopic('shared', 4);
  const a = client.consumer({ ...FAST, groupId: 'sharing', clientId: 'member-a' });
  const b = client.consumer({ ...FAST, groupId: 'sharing', clientId: 'member-b' });
  const revokedA: string[][] = [];
  a.subscribe(['shared'], { onPartitionsRevoked: (tps) => void revokedA.push(names(tps)) });
  b.subscribe(['shared']);
  const gotA: ConsumerMessage[] = [];
  const gotB: ConsumerMessage[] = [];
  const loopA = pollLoop(a, gotA);
  const loopB = pollLoop(b, gotB);
  try {
    await until('both members hold two partitions', () => a.assignment().length === 2 && b.assignment().length === 2);
    assert.deepEqual([...names(a.assignment()), ...names(b.assignment())].sort(), ['shared-0', 'shared-1', 'shared-2', 'shared-3']);

    const first = await produce('shared', 4, 200, 'first');
    await until('200 messages consumed', () => gotA.length + gotB.length >= 200);
    assertExactlyOnce(values([...gotA, ...gotB]), first);
    assert.ok(gotA.length > 0 && gotB.length > 0, 'both members consumed');
    for (const m of gotA) assert.ok(names(a.assignment()).includes(`${m.topic}-${m.partition}`));

    const heldByA = names(a.assignment());
    await loopA.stop();
    await a.close();
    assert.deepEqual(revokedA.at(-1), heldByA, 'closing revokes what the member held');
    await until('the remaining member holds all four partitions', () => b.assignment().length === 4);
    const second = await produce('shared', 4, 100, 'second');
    await until('the rest consumed', () => gotA.length + gotB.length >= 300);
    const last = await drain('shared', 4, [gotA, gotB]);
    assertExactlyOnce(values([...gotA, ...gotB]), [...first, ...second, ...last]);
  } finally {
    await loopA.stop();
    await loopB.stop();
    await a.close();
    await b.close();
  }
});

test('commitSync and restart: a new consumer of the group resumes exactly after the commit', { timeout: TEST_TIMEOUT_MS }, async () => {
  await createTopic('resume', 1);
  const sent = await produce('resume', 1, 20, 'r');
  const first = client.consumer({ ...FAST, groupId: 'resumers', autoCommit: false });
  first.subscribe(['resume']);
  const got: ConsumerMessage[] = [];
  while (got.length < 20) got.push(...(await first.poll({ timeoutMs: 1000 })));
  assert.deepEqual(values(got), sent);
  // Only the first 7 were "processed": commit the next offset to read, 7.
  await first.commitSync([{ topic: 'resume', partition: 0, offset: 7 }]);
  assert.deepEqual(await first.committed([{ topic: 'resume', partition: 0 }]), [{ topic: 'resume', partition: 0, offset: 7 }]);
  await first.close();

  const second = client.consumer({ ...FAST, groupId: 'resumers', autoCommit: false });
  second.subscribe(['resume']);
  const rest: ConsumerMessage[] = [];
  while (rest.length < 13) rest.push(...(await second.poll({ timeoutMs: 1000 })));
  assert.equal(rest[0]!.offset, 7);
  assert.deepEqual(values(rest), sent.slice(7));
  // commitSync() with no arguments commits the position: everything poll() returned.
  await second.commitSync();
  await second.close();

  const admin = client.admin();
  try {
    assert.deepEqual(await admin.fetchOffsets('resumers'), [{ topic: 'resume', partition: 0, offset: 20, leaderEpoch: null, metadata: '' }]);
  } finally {
    await admin.close();
  }
});

test('auto-commit on close: the next member of the group starts after what was returned', { timeout: TEST_TIMEOUT_MS }, async () => {
  await createTopic('autocommit', 2);
  const sent = await produce('autocommit', 2, 40, 'ac');
  const c1 = client.consumer({ ...FAST, groupId: 'auto' });
  c1.subscribe(['autocommit']);
  const got: ConsumerMessage[] = [];
  while (got.length < 40) got.push(...(await c1.poll({ timeoutMs: 1000 })));
  await c1.close();
  const more = await produce('autocommit', 2, 10, 'more');
  const c2 = client.consumer({ ...FAST, groupId: 'auto' });
  c2.subscribe(['autocommit']);
  const next: ConsumerMessage[] = [];
  const deadline = Date.now() + 10_000;
  while (next.length < 10 && Date.now() < deadline) next.push(...(await c2.poll({ timeoutMs: 500 })));
  await c2.close();
  assertExactlyOnce(values([...got, ...next]), [...sent, ...more]);
});

test('cooperative-sticky: a joining member takes half without the first member giving up the rest', { timeout: TEST_TIMEOUT_MS }, async () => {
  await createTopic('coop', 4);
  const opts = { ...FAST, groupId: 'cooperative', partitionAssignors: ['cooperative-sticky' as const] };
  const events: string[] = [];
  const listener = (who: string) => ({
    onPartitionsRevoked: (tps: TopicPartition[]) => void events.push(`${who} revoked ${names(tps).join(',')}`),
    onPartitionsAssigned: (tps: TopicPartition[]) => void events.push(`${who} assigned ${names(tps).join(',')}`),
  });
  const a = client.consumer(opts);
  a.subscribe(['coop'], listener('a'));
  const gotA: ConsumerMessage[] = [];
  const gotB: ConsumerMessage[] = [];
  const loopA = pollLoop(a, gotA);
  let loopB: { stop: () => Promise<void> } | undefined;
  const b = client.consumer(opts);
  try {
    await until('a holds all four', () => a.assignment().length === 4);
    const first = await produce('coop', 4, 100, 'c1');
    await until('a consumed the first 100', () => gotA.length >= 100);
    const kept = names(a.assignment());

    b.subscribe(['coop'], listener('b'));
    loopB = pollLoop(b, gotB);
    await until('two partitions each', () => a.assignment().length === 2 && b.assignment().length === 2);
    // a gave up exactly the two partitions that moved, and never the two it kept.
    const revokedByA = events.filter((e) => e.startsWith('a revoked'));
    assert.equal(revokedByA.length, 1, events.join('\n'));
    const revoked = revokedByA[0]!.replace('a revoked ', '').split(',');
    assert.equal(revoked.length, 2);
    assert.deepEqual([...names(a.assignment()), ...revoked].sort(), kept);
    assert.deepEqual(names(b.assignment()), [...revoked].sort());

    const second = await produce('coop', 4, 100, 'c2');
    await until('all 200 consumed', () => gotA.length + gotB.length >= 200);
    const last = await drain('coop', 4, [gotA, gotB]);
    assertExactlyOnce(values([...gotA, ...gotB]), [...first, ...second, ...last]);
  } finally {
    await loopA.stop();
    await loopB?.stop();
    await a.close();
    await b.close();
  }
});

test('pause and resume: a paused partition yields nothing until resumed', { timeout: TEST_TIMEOUT_MS }, async () => {
  await createTopic('pausing', 2);
  const c = client.consumer({ ...FAST, groupId: 'pausers' });
  c.subscribe(['pausing']);
  try {
    while (c.assignment().length < 2) await c.poll({ timeoutMs: 200 });
    c.pause([{ topic: 'pausing', partition: 0 }]);
    await produce('pausing', 2, 20, 'p');
    const got: ConsumerMessage[] = [];
    // Partition 0 held data all along: had it been fetched, its records would have come with
    // partition 1's, before the one sent to partition 1 last.
    await until('partition 1 consumed', async () => (got.push(...(await c.poll({ timeoutMs: 200 }))), got.length >= 10));
    const producer = client.producer();
    await producer.send({ topic: 'pausing', messages: [{ value: 'last', partition: 1 }] });
    await producer.close();
    await until('the last message of partition 1', async () => (got.push(...(await c.poll({ timeoutMs: 200 }))), got.some((m) => m.value?.toString() === 'last')));
    assert.equal(got.length, 11);
    assert.ok(got.every((m) => m.partition === 1));
    assert.deepEqual(c.pausedPartitions(), [{ topic: 'pausing', partition: 0 }]);
    c.resume([{ topic: 'pausing', partition: 0 }]);
    while (got.length < 20) got.push(...(await c.poll({ timeoutMs: 500 })));
    assert.equal(got.filter((m) => m.partition === 0).length, 10);
  } finally {
    await c.close();
  }
});

test('a member that stops polling is dropped after the rebalance timeout, hears onPartitionsLost, and rejoins', { timeout: TEST_TIMEOUT_MS }, async () => {
  await createTopic('stalled', 4);
  const opts = { ...FAST, groupId: 'stallers', rebalanceTimeoutMs: 1500 };
  const events: string[] = [];
  const a = client.consumer(opts);
  a.subscribe(['stalled'], {
    onPartitionsLost: (tps) => void events.push(`lost ${tps.length}`),
    onPartitionsAssigned: (tps) => void events.push(`assigned ${tps.length}`),
  });
  while (a.assignment().length < 4) await a.poll({ timeoutMs: 200 });
  // a stops polling; its heartbeats go on, but it cannot rejoin when b arrives.
  const b = client.consumer(opts);
  b.subscribe(['stalled']);
  const gotB: ConsumerMessage[] = [];
  const loopB = pollLoop(b, gotB);
  try {
    await until('b holds all four after a was dropped', () => b.assignment().length === 4);
    // a still believes it holds four: a commit now is refused with a sentence.
    await assert.rejects(a.commitSync([{ topic: 'stalled', partition: 0, offset: 0 }]), /no longer part of the group's current generation/);
    while (a.assignment().length !== 2) await a.poll({ timeoutMs: 200 });
    assert.deepEqual(events, ['assigned 4', 'lost 4', 'assigned 2']);
    await until('b is down to two', () => b.assignment().length === 2);
  } finally {
    await loopB.stop();
    await a.close();
    await b.close();
  }
});

test('unsubscribe leaves the group and subscribe joins again; close() during a for-await loop leaves no member behind', { timeout: TEST_TIMEOUT_MS }, async () => {
  await createTopic('comings', 2);
  const admin = client.admin();
  const c = client.consumer({ ...FAST, groupId: 'goings' });
  try {
    c.subscribe(['comings']);
    while (c.assignment().length < 2) await c.poll({ timeoutMs: 200 });
    await c.unsubscribe();
    assert.deepEqual(c.assignment(), []);
    assert.deepEqual(c.subscribed(), []);
    let [group] = await admin.describeGroups(['goings']);
    assert.equal(group!.state, 'Empty');
    c.subscribe(['comings']);
    while (c.assignment().length < 2) await c.poll({ timeoutMs: 200 });
    [group] = await admin.describeGroups(['goings']);
    assert.equal(group!.members.length, 1);

    const sent = await produce('comings', 2, 10, 'x');
    const got: string[] = [];
    const reading = (async () => {
      for await (const m of c) got.push(m.value!.toString());
    })();
    await until('ten read', () => got.length === 10);
    await c.close();
    await reading;
    assert.deepEqual([...got].sort(), [...sent].sort());
    [group] = await admin.describeGroups(['goings']);
    assert.equal(group!.state, 'Empty', 'closing left the group at once');
    assert.deepEqual((await admin.fetchOffsets('goings')).map((o) => o.offset), [5, 5]);
  } finally {
    await c.close();
    await admin.close();
  }
});

test('a static member (groupInstanceId) that restarts gets its partitions back without a rebalance', { timeout: TEST_TIMEOUT_MS }, async () => {
  await createTopic('static', 4);
  const opts = { ...FAST, groupId: 'statics' };
  const a = client.consumer({ ...opts, groupInstanceId: 'instance-a' });
  const bRevoked: string[][] = [];
  const b = client.consumer(opts);
  a.subscribe(['static']);
  b.subscribe(['static'], { onPartitionsRevoked: (tps) => void bRevoked.push(names(tps)) });
  const loopA = pollLoop(a, []);
  const loopB = pollLoop(b, []);
  let restarted: Consumer | undefined;
  try {
    await until('two partitions each', () => a.assignment().length === 2 && b.assignment().length === 2);
    const aHeld = names(a.assignment());
    const revokedBefore = bRevoked.length;
    await loopA.stop();
    await a.close(); // a static member does not send LeaveGroup: its seat waits for it
    // Had it left, the group would be rebalancing, without it, as soon as close returned.
    const admin = client.admin();
    try {
      const [group] = await admin.describeGroups(['statics']);
      assert.equal(group!.state, 'Stable', 'no rebalance while the static member is away');
      assert.equal(group!.members.length, 2, 'the static member keeps its seat');
    } finally {
      await admin.close();
    }
    assert.equal(b.assignment().length, 2);
    restarted = client.consumer({ ...opts, groupInstanceId: 'instance-a' });
    restarted.subscribe(['static']);
    while (restarted.assignment().length < 2) await restarted.poll({ timeoutMs: 200 });
    assert.deepEqual(names(restarted.assignment()), aHeld);
    assert.equal(bRevoked.length, revokedBefore, 'the other member was not rebalanced');
  } finally {
    await loopA.stop();
    await loopB.stop();
    await a.close();
    await b.close();
    await restarted?.close();
  }
});

/** Kafka's RangeAssignor for KafkaJS (which ships only round-robin), so both clients share 'range'. */
const kafkajsRange: PartitionAssigner = ({ cluster }) => ({
  name: 'range',
  version: 0,
  async assign({ members, topics }) {
    const sorted = members.map((m) => m.memberId).sort();
    const out = new Map<string, Record<string, number[]>>(sorted.map((id) => [id, {}]));
    for (const topic of topics) {
      const partitions = cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId).sort((x, y) => x - y);
      const per = Math.floor(partitions.length / sorted.length);
      const extra = partitions.length % sorted.length;
      sorted.forEach((id, i) => {
        const start = per * i + Math.min(i, extra);
        out.get(id)![topic] = partitions.slice(start, start + per + (i < extra ? 1 : 0));
      });
    }
    return [...out].map(([memberId, assignment]) => ({ memberId, memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }) }));
  },
  protocol({ topics }) {
    return { name: 'range', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
  },
});

test('a Samsa consumer and a KafkaJS consumer in one group share the partitions, whichever leads', { timeout: TEST_TIMEOUT_MS }, async () => {
  await createTopic('mixed', 4);
  const kafka = new Kafka({ clientId: 'kafkajs-member', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } });
  const kjs = kafka.consumer({ groupId: 'mixed-group', partitionAssigners: [kafkajsRange], heartbeatInterval: 100, sessionTimeout: 6000, rebalanceTimeout: 10_000, maxWaitTimeInMs: 100 });
  let kjsAssigned: string[] = [];
  kjs.on(kjs.events.GROUP_JOIN, (e) => {
    kjsAssigned = Object.entries(e.payload.memberAssignment).flatMap(([topic, ps]) => (ps as number[]).map((p) => `${topic}-${p}`)).sort();
  });
  const gotK: string[] = [];
  const gotS: ConsumerMessage[] = [];
  // Samsa joins first and leads: it decodes KafkaJS's v0 subscription and KafkaJS decodes its assignment.
  const samsa = client.consumer({ ...FAST, groupId: 'mixed-group' });
  samsa.subscribe(['mixed']);
  const loop = pollLoop(samsa, gotS);
  try {
    await until('samsa holds all four', () => samsa.assignment().length === 4);
    await kjs.connect();
    await kjs.subscribe({ topic: 'mixed', fromBeginning: true });
    await kjs.run({ eachMessage: async ({ message }) => void gotK.push(message.value!.toString()) });
    await until('two partitions each', () => samsa.assignment().length === 2 && kjsAssigned.length === 2);
    assert.deepEqual([...names(samsa.assignment()), ...kjsAssigned].sort(), ['mixed-0', 'mixed-1', 'mixed-2', 'mixed-3']);
    const sent = await produce('mixed', 4, 100, 'm');
    await until('all 100 consumed', () => gotK.length + gotS.length >= 100);
    assert.ok(gotK.length > 0 && gotS.length > 0);
    assertExactlyOnce([...gotK, ...values(gotS)], sent);

    // Now KafkaJS leads: a second Samsa member joins and gets its share from KafkaJS's assignor.
    await loop.stop();
    await samsa.close();
    await until('KafkaJS holds all four', () => kjsAssigned.length === 4);
    const late = client.consumer({ ...FAST, groupId: 'mixed-group' });
    late.subscribe(['mixed']);
    const gotLate: ConsumerMessage[] = [];
    const lateLoop = pollLoop(late, gotLate);
    try {
      await until('two partitions each again', () => late.assignment().length === 2 && kjsAssigned.length === 2);
      assert.deepEqual([...names(late.assignment()), ...kjsAssigned].sort(), ['mixed-0', 'mixed-1', 'mixed-2', 'mixed-3']);
    } finally {
      await lateLoop.stop();
      await late.close();
    }
  } finally {
    await loop.stop();
    await samsa.close();
    await kjs.disconnect();
  }
});

async function kcatInstalled(): Promise<boolean> {
  try {
    return (await run('kcat', ['-V'], { timeoutMs: 30_000 })).code === 0;
  } catch {
    return false;
  }
}
const NO_KCAT = (await kcatInstalled()) ? false : 'kcat not installed (Debian package kcat)';

for (const strategy of ['range', 'cooperative-sticky'] as const) {
  test(`a Samsa consumer and librdkafka (kcat -G) in one group split the partitions with ${strategy}`, { timeout: TEST_TIMEOUT_MS, skip: NO_KCAT }, async () => {
    const topic = `with-kcat-${strategy}`;
    const group = `rdkafka-${strategy}`;
    await createTopic(topic, 4);
    const samsa = client.consumer({ ...FAST, groupId: group, partitionAssignors: [strategy] });
    const revoked: string[][] = [];
    samsa.subscribe([topic], { onPartitionsRevoked: (tps) => void revoked.push(names(tps)) });
    const gotS: ConsumerMessage[] = [];
    const loop = pollLoop(samsa, gotS);
    try {
      await until('samsa holds all four', () => samsa.assignment().length === 4);
      // With 2 of the 4 partitions and 25 messages in each, kcat prints exactly 50 and exits
      // (committing and leaving the group).
      const kcatArgs = ['-b', broker.bootstrap, '-G', group, '-o', 'beginning', '-c', '50', '-q', '-f', '%s\n'];
      kcatArgs.push('-X', 'heartbeat.interval.ms=200', '-X', `partition.assignment.strategy=${strategy}`, topic);
      const kcat = spawn('kcat', kcatArgs, {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let kcatOut = '';
      let kcatErr = '';
      kcat.stdout.setEncoding('utf8').on('data', (d: string) => (kcatOut += d));
      kcat.stderr.setEncoding('utf8').on('data', (d: string) => (kcatErr += d));
      const exited = new Promise<number | null>((resolve) => kcat.on('close', resolve));
      try {
        await until('kcat joined: two partitions each', () => samsa.assignment().length === 2);
        // Cooperative: the Samsa member gave up only the two partitions that moved.
        if (strategy === 'cooperative-sticky') assert.deepEqual(revoked.map((r) => r.length), [2]);
        const sent = await produce(topic, 4, 100, 'k');
        const timer = new AbortController();
        const code = await Promise.race([exited, sleep(30_000, 'timeout', { signal: timer.signal })]);
        timer.abort();
        assert.equal(code, 0, kcatErr);
        await until('samsa consumed its half', () => gotS.length >= 50);
        const fromKcat = kcatOut.trim().split('\n');
        assert.equal(fromKcat.length, 50);
        assertExactlyOnce([...fromKcat, ...values(gotS)], sent);
        await until('samsa holds all four again after kcat left', () => samsa.assignment().length === 4);
      } finally {
        kcat.kill('SIGKILL');
      }
    } finally {
      await loop.stop();
      await samsa.close();
    }
  });
}

test("README's group consumer example runs as written", { timeout: TEST_TIMEOUT_MS }, async () => {
  const kafka = createClient({ bootstrapServers: broker.bootstrap });
  await kafka.admin().createTopics([{ topic: 'orders', numPartitions: 3 }]);
  await kafka.producer().send({ topic: 'orders', messages: [{ key: 'order-1', value: 'created' }] });
  const seen: string[] = [];

  const consumer = kafka.consumer({ groupId: 'billing', autoOffsetReset: 'earliest' });
  consumer.subscribe(['orders'], {
    onPartitionsAssigned: (partitions) => void seen.push(`assigned ${partitions.length}`),
    onPartitionsRevoked: (partitions) => void seen.push(`revoked ${partitions.length}`),
  });
  for await (const message of consumer) {
    seen.push(`${message.value?.toString()}`);
    if (message.value?.toString() === 'created') break;
  }
  await consumer.close();

  assert.deepEqual(seen, ['assigned 3', 'created', 'revoked 3']);
  const admin = kafka.admin();
  const committed = await admin.fetchOffsets('billing');
  assert.equal(committed.length, 3);
  assert.equal(committed.reduce((sum, o) => sum + o.offset, 0), 1, 'the one message read is committed');
  await kafka.close();
});
