/**
 * KIP-848 consumer groups (ConsumerGroupHeartbeat) with a real client: @platformatic/kafka 2.x
 * consumers with groupProtocol 'consumer', each in its own Node.js 22 process, against a broker in
 * this process. Members get distinct partitions; a member that leaves or dies has its partitions
 * moved; committed offsets and assignments survive a broker restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/broker/broker.js';
import { NODE22, assertNode22 } from '../helpers/node22.js';
import { waitFor } from '../helpers/wait.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Small session timeout so a killed member's partitions move quickly (Kafka's minimum is 45 s). */
const CONFIG = {
  'num.partitions': '4',
  'offsets.topic.num.partitions': '3',
  'group.consumer.session.timeout.ms': '3000',
  'group.consumer.min.session.timeout.ms': '1000',
  'group.consumer.heartbeat.interval.ms': '500',
  'group.consumer.min.heartbeat.interval.ms': '100',
};

/** A member: prints its assignment as JSON lines, leaves on "leave" from stdin. */
const MEMBER = `
import { Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka-2';
const [bootstrap, groupId, topics, clientId, produce] = process.argv.slice(1);
const opts = { clientId, bootstrapBrokers: [bootstrap], retries: 50, retryDelay: 100 };
if (produce) {
  const p = new Producer({ ...opts, serializers: stringSerializers });
  const messages = [];
  for (const t of topics.split(',')) for (let i = 0; i < Number(produce); i++) messages.push({ topic: t, value: 'v' + i, partition: i % 4 });
  await p.send({ messages });
  await p.close();
  process.exit(0);
}
const consumer = new Consumer({ ...opts, groupId, groupProtocol: 'consumer', deserializers: stringDeserializers, maxWaitTime: 200, sessionTimeout: 3000, heartbeatInterval: 500 });
const stream = await consumer.consume({ topics: topics.split(','), mode: 'committed', fallbackMode: 'earliest', autocommit: 100 });
stream.on('data', (m) => console.log(JSON.stringify({ msg: [m.topic, m.partition, String(m.offset)] })));
stream.on('error', (e) => console.log(JSON.stringify({ error: String(e) })));
setInterval(() => console.log(JSON.stringify({ assignments: consumer.assignments })), 100);
process.stdin.on('data', async (d) => {
  if (!String(d).includes('leave')) return;
  await stream.close();
  await consumer.close();
  console.log(JSON.stringify({ left: true }));
  process.exit(0);
});
`;

class Member {
  readonly child: ChildProcess;
  assigned: string[] | null = null;
  readonly consumed: string[] = [];
  log = '';
  constructor(bootstrap: string, groupId: string, topics: string, clientId: string) {
    this.child = spawn(NODE22, ['--input-type=module', '-e', MEMBER, '--', bootstrap, groupId, topics, clientId], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let buf = '';
    this.child.stdout!.on('data', (d) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const m = JSON.parse(line);
          if (m.assignments !== undefined) {
            const next = m.assignments === null ? null : m.assignments.flatMap((a: { topic: string; partitions: number[] }) => a.partitions.map((p) => `${a.topic}-${p}`)).sort();
            if (JSON.stringify(next) !== JSON.stringify(this.assigned)) this.log += `${Date.now()} assigned ${JSON.stringify(next)}\n`;
            this.assigned = next;
          }
          if (m.msg !== undefined) {
            this.consumed.push(m.msg.join(':'));
            this.log += `${Date.now()} msg ${m.msg.join(':')}\n`;
          }
          if (m.error !== undefined) this.log += `${Date.now()} error ${m.error}\n`;
        } catch {
          this.log += line + '\n';
        }
      }
    });
    this.child.stderr!.on('data', (d) => (this.log += d));
  }
  leave(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.stdin!.write('leave\n');
    });
  }
  kill(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }
}

async function produce(bootstrap: string, topics: string, n: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const c = spawn(NODE22, ['--input-type=module', '-e', MEMBER, '--', bootstrap, 'unused', topics, 'producer', String(n)], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`producer exited ${code}: ${err}`))));
  });
}

/** Every partition of `topics` (4 each) is held by exactly one member. */
function partitionsSplit(members: Member[], topics: string[]): boolean {
  const all = members.flatMap((m) => m.assigned ?? []);
  const want = topics.flatMap((t) => [0, 1, 2, 3].map((p) => `${t}-${p}`)).sort();
  return all.length === want.length && JSON.stringify([...all].sort()) === JSON.stringify(want) && members.every((m) => (m.assigned?.length ?? 0) > 0);
}

async function createTopics(broker: Broker, ...names: string[]): Promise<void> {
  for (const name of names) await broker.topics.create({ name, numPartitions: 4, replicationFactor: 1, configs: {} });
}

test('@platformatic/kafka 2 consumers (groupProtocol consumer): distinct partitions; a leaving member and a killed one have theirs moved', { timeout: 90_000 }, async () => {
  await assertNode22();
  const broker = await Broker.start({ port: 0, config: CONFIG });
  const members: Member[] = [];
  try {
    await createTopics(broker, 'kip848-a');
    for (const id of ['m1', 'm2', 'm3']) members.push(new Member(broker.bootstrap, 'g848', 'kip848-a', id));
    const [m1, m2, m3] = members as [Member, Member, Member];
    await waitFor('three members splitting 4 partitions', () => partitionsSplit(members, ['kip848-a']), 40_000);
    const d = broker.groups.consumerGroupDescribe('g848');
    assert.equal(d.errorCode, 0);
    assert.equal(d.members.length, 3);
    assert.equal(d.groupState, 'Stable');
    assert.equal(d.assignorName, 'uniform');

    await m1.leave();
    await waitFor('m2 and m3 holding every partition after m1 left', () => partitionsSplit([m2, m3], ['kip848-a']), 20_000);
    assert.equal(broker.groups.consumerGroupDescribe('g848').members.length, 2);

    await m2.kill();
    await waitFor('m3 holding every partition after m2 was killed and its session timed out', () => partitionsSplit([m3], ['kip848-a']), 20_000);
    assert.equal(broker.groups.consumerGroupDescribe('g848').members.length, 1);
  } catch (err) {
    for (const m of members) console.error(m.log);
    throw err;
  } finally {
    await Promise.all(members.map((m) => m.kill()));
    await broker.stop();
  }
});

test('consumer group state and committed offsets survive a broker restart: the members keep their assignments and resume after what they committed', { timeout: 90_000 }, async () => {
  await assertNode22();
  const dir = await mkdtemp(join(tmpdir(), 'samsa-kip848-'));
  // Sessions long enough to outlast the restart on a loaded machine: a member fenced meanwhile
  // would rejoin and read again what it had not committed yet (at least once, not this test's point).
  const config = { ...CONFIG, 'group.consumer.session.timeout.ms': '15000' };
  let broker = await Broker.start({ port: 0, dataDir: dir, config });
  const port = broker.port;
  const members: Member[] = [];
  try {
    await createTopics(broker, 'kip848-r');
    await produce(broker.bootstrap, 'kip848-r', 8);
    for (const id of ['r1', 'r2']) members.push(new Member(broker.bootstrap, 'g848r', 'kip848-r', id));
    await waitFor('two members splitting 4 partitions', () => partitionsSplit(members, ['kip848-r']), 40_000);
    await waitFor('all 8 records consumed', () => members.reduce((n, m) => n + m.consumed.length, 0) === 8, 20_000);
    // Autocommit runs every 100 ms: wait until every partition's offset is committed.
    await waitFor('offsets committed', () => broker.groups.fetchOffsets('g848r', [{ name: 'kip848-r', partitions: [0, 1, 2, 3] }]).topics[0]!.partitions.every((p) => p.offset === 2n), 10_000);
    // A fetch the client sent before its partitions were revoked, still in flight when the
    // broker stops, is retried as it was (the same partitions) once the broker is back, and
    // would read a revoked partition's new record: let such fetches (200 ms long polls) end first.
    await new Promise((r) => setTimeout(r, 1000));
    const before = broker.groups.consumerGroupDescribe('g848r');
    await broker.stop();

    broker = await Broker.start({ port, dataDir: dir, config });
    await broker.groups.loaded();
    const replayed = broker.groups.consumerGroupDescribe('g848r');
    const view = (d: typeof before) => ({ epoch: d.groupEpoch, assignmentEpoch: d.assignmentEpoch, members: d.members.map((m) => [m.memberId, m.memberEpoch, m.assignment, m.targetAssignment]).sort() });
    assert.deepEqual(view(replayed), view(before));
    assert.deepEqual(broker.groups.fetchOffsets('g848r', [{ name: 'kip848-r', partitions: [0, 1, 2, 3] }]).topics[0]!.partitions.map((p) => p.offset), [2n, 2n, 2n, 2n]);

    await produce(broker.bootstrap, 'kip848-r', 4);
    await waitFor('the 4 new records consumed after the restart', () => members.reduce((n, m) => n + m.consumed.length, 0) >= 12, 30_000);
    const consumed = members.flatMap((m) => m.consumed).sort();
    assert.equal(new Set(consumed).size, consumed.length, `no record consumed twice: ${consumed.join(' ')}\n${members.map((m) => m.log).join('---\n')}`);
    assert.equal(broker.groups.consumerGroupDescribe('g848r').members.length, 2);
  } catch (err) {
    for (const m of members) console.error(m.log);
    throw err;
  } finally {
    await Promise.all(members.map((m) => m.kill()));
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
