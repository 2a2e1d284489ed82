/**
 * Share group membership survives a broker killed with SIGKILL (KIP-932, as Kafka keeps it in
 * `__consumer_offsets`): right after the restart ShareGroupDescribe shows the same member ids
 * and epochs, the members carry on consuming without rejoining, the one that never comes back is
 * removed after the session timeout (the only epoch bump), a group whose members all left is
 * still listed and described as Empty, its offsets can be reset, and `kafka-share-groups --delete`
 * removes it for good.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type ShareConsumer, type ShareRecord } from '../../src/client/index.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { run } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait.js';

const BIN = fileURLToPath(new URL('../../../bin/kafka-share-groups.sh', import.meta.url));
// Long enough for the CLI runs between the restart and the members' next polls on a busy machine.
const SESSION_MS = 15_000;
const OVERRIDES = {
  'samsa.share.auto.offset.reset': 'earliest',
  'group.share.min.session.timeout.ms': '6000',
  'group.share.session.timeout.ms': String(SESSION_MS),
  'group.share.min.heartbeat.interval.ms': '1000',
  'group.share.heartbeat.interval.ms': '1000',
  'offsets.topic.num.partitions': '3',
};

/** Polls every consumer (a failed poll, the broker just died, is tried again) until `want` records came in all. */
async function pollAll(cs: ShareConsumer[], want: number, timeoutMs: number): Promise<string[]> {
  const got: string[] = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < want && Date.now() < deadline) {
    const rounds = await Promise.all(cs.map((c) => c.poll({ timeoutMs: 300 }).catch(() => [] as ShareRecord[])));
    for (const rs of rounds) got.push(...rs.map((r) => r.value!.toString()));
  }
  return got;
}

test('share members keep their ids and epochs across a SIGKILL; the absent one expires; an empty group stays listed, can be reset, and goes with --delete', { timeout: 120_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'samsa-share-members-'));
  let broker: BrokerProcess | null = await startBrokerProcess({ dataDir, overrides: OVERRIDES });
  const port = broker.port;
  const kafka = createClient({ bootstrapServers: broker.bootstrap, clientId: 'share-restart' });
  const consumers: ShareConsumer[] = [];
  const shareConsumer = (groupId: string) => {
    const c = kafka.shareConsumer({ groupId, maxRecords: 10 });
    c.subscribe(['jobs']);
    consumers.push(c);
    return c;
  };
  const cli = (...args: string[]) => run(BIN, ['--bootstrap-server', `127.0.0.1:${port}`, ...args], { timeoutMs: 30_000 });
  const describe = async (groupId: string) => (await kafka.admin().describeShareGroups([groupId]))[0]!;
  const members = (d: Awaited<ReturnType<typeof describe>>) => d.members.map((m) => [m.memberId, m.memberEpoch] as const).sort();
  try {
    const admin = kafka.admin();
    await admin.createTopics([{ topic: 'jobs', numPartitions: 2 }]);
    const producer = kafka.producer();
    await producer.send({ topic: 'jobs', messages: Array.from({ length: 20 }, (_, i) => ({ value: `a-${i}` })) });

    // crew: two working members, and one that joins just before the kill and never comes back.
    const workers = [shareConsumer('crew'), shareConsumer('crew')];
    const first = await pollAll(workers, 20, 30_000);
    assert.deepEqual([...new Set(first)].sort(), Array.from({ length: 20 }, (_, i) => `a-${i}`).sort());
    // Acknowledge what the last polls got (implicit mode accepts it at the next poll).
    await Promise.all(workers.map((w) => w.poll({ timeoutMs: 100 })));
    await shareConsumer('crew').poll({ timeoutMs: 100 });
    // idle: one member that left; the group is empty.
    const leaver = shareConsumer('idle');
    await leaver.poll({ timeoutMs: 300 });
    await leaver.close();
    const before = await describe('crew');
    assert.equal(before.state, 'Stable');
    assert.equal(before.members.length, 3);
    assert.ok(before.members.every((m) => m.memberEpoch === before.groupEpoch), 'every member is at the group epoch');

    await broker.kill('SIGKILL');
    broker = await startBrokerProcess({ dataDir, overrides: OVERRIDES, port });

    // Right after the restart, well within a session timeout: the same members at the same epochs.
    const after = await describe('crew');
    assert.deepEqual(members(after), members(before), 'ShareGroupDescribe shows the same member ids and epochs');
    assert.equal(after.groupEpoch, before.groupEpoch);
    const listed = await cli('--list');
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(listed.stdout.trim().split('\n').sort(), ['crew', 'idle']);
    const idle = await cli('--describe', '--group', 'idle', '--state');
    assert.equal(idle.code, 0, idle.stderr);
    assert.match(idle.stdout, /idle\s+.+\s+Empty\s+0\s*$/m, idle.stdout);
    const shown = await cli('--describe', '--group', 'crew', '--members');
    assert.equal(shown.code, 0, shown.stderr);
    for (const m of before.members) assert.ok(shown.stdout.includes(m.memberId), `--members shows ${m.memberId}:\n${shown.stdout}`);

    // The two working members carry on with their ids; the ghost goes after the session timeout.
    await producer.send({ topic: 'jobs', messages: Array.from({ length: 20 }, (_, i) => ({ value: `b-${i}` })) });
    const second = await pollAll(workers, 20, 40_000);
    assert.deepEqual([...new Set(second)].sort(), Array.from({ length: 20 }, (_, i) => `b-${i}`).sort(), 'the second batch, and nothing of the first again');
    let last = await describe('crew');
    await waitFor('the absent member removed after its session timeout', async () => {
      await Promise.all(workers.map((w) => w.poll({ timeoutMs: 100 })));
      last = await describe('crew');
      return last.members.length === 2;
    }, SESSION_MS + 15_000);
    const kept = last.members.map((m) => m.memberId).sort();
    assert.equal(kept.length, 2);
    for (const id of kept) assert.ok(before.members.some((m) => m.memberId === id), `${id} was a member before the restart`);
    assert.equal(last.groupEpoch, before.groupEpoch + 1, 'the ghost\'s removal is the only rebalance: the workers never rejoined');

    // The empty group's start offsets can be reset after the restart, then it is deleted (--delete), durably.
    const reset = await cli('--reset-offsets', '--group', 'idle', '--topic', 'jobs', '--to-earliest', '--execute');
    assert.equal(reset.code, 0, reset.stderr);
    const offsets = await cli('--describe', '--group', 'idle');
    const rows = offsets.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/).slice(0, 4));
    assert.ok(rows.length > 0, offsets.stdout);
    for (const r of rows) assert.deepEqual([r[0], r[1], r[3]], ['idle', 'jobs', '0'], offsets.stdout);
    const deleted = await cli('--delete', '--group', 'idle');
    assert.equal(deleted.code, 0, deleted.stderr);
    await broker.kill('SIGKILL');
    broker = await startBrokerProcess({ dataDir, overrides: OVERRIDES, port });
    const relisted = await cli('--list');
    assert.equal(relisted.code, 0, relisted.stderr);
    assert.deepEqual(relisted.stdout.trim().split('\n'), ['crew']);
  } finally {
    for (const c of consumers) await c.close().catch(() => undefined);
    await kafka.close();
    await broker?.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
});
