/**
 * `samsa consumer-groups --describe` with Kafka 4's columns: a KIP-848 consumer-protocol group
 * (Samsa's consumer with groupProtocol 'consumer', and librdkafka with group.protocol=consumer)
 * shows its epochs and target assignments with --verbose in each view; a classic group shows '-'
 * in those columns; --json carries the same fields.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createClient, type Consumer } from '../../src/client/index.js';
import { run, withBroker } from '../helpers/broker.js';
import { runNewRdkafkaPython } from '../helpers/librdkafka-new.js';
import type { Broker } from '../../src/broker/broker.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const TEST_TIMEOUT_MS = 120_000;

/** The header line (split on runs of spaces) and the data rows under it. */
function table(stdout: string, first = 'GROUP'): { header: string[]; rows: string[][]; lines: string[] } {
  const lines = stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith(first));
  assert.ok(at >= 0, `no '${first}' header in:\n${stdout}`);
  const body = lines.slice(at).filter((l) => l.trim() !== '');
  return { header: body[0]!.trim().split(/\s+/), rows: body.slice(1).map((l) => l.trim().split(/\s+/)), lines: body };
}

function describe(broker: Broker, group: string, ...args: string[]) {
  return run(process.execPath, [CLI, 'consumer-groups', '--bootstrap-server', broker.bootstrap, '--describe', '--group', group, ...args], { timeoutMs: 30_000 });
}

const OFFSETS_VERBOSE = ['GROUP', 'TOPIC', 'PARTITION', 'LEADER-EPOCH', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'];
const MEMBERS = ['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS'];
const MEMBERS_VERBOSE = [...MEMBERS, 'CURRENT-EPOCH', 'CURRENT-ASSIGNMENT', 'TARGET-EPOCH', 'TARGET-ASSIGNMENT'];
const STATE = ['GROUP', 'COORDINATOR', '(ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS'];
const STATE_VERBOSE = ['GROUP', 'COORDINATOR', '(ID)', 'ASSIGNMENT-STRATEGY', 'STATE', 'GROUP-EPOCH', 'TARGET-ASSIGNMENT-EPOCH', '#MEMBERS'];

const text = (tps: Array<{ topic: string; partition: number }>) => {
  const by = new Map<string, number[]>();
  for (const tp of tps) by.set(tp.topic, [...(by.get(tp.topic) ?? []), tp.partition]);
  return [...by].map(([t, ps]) => `${t}:${ps.sort((a, b) => a - b).join(',')}`).sort().join(';') || '-';
};

test("consumer-groups --describe --verbose: a consumer-protocol group's epochs and assignments in each view, a classic group's '-'", { timeout: TEST_TIMEOUT_MS }, async () => {
  await withBroker(async (broker) => {
    await broker.topics.create({ name: 'epochs-a', numPartitions: 3, replicationFactor: 1, configs: {} });
    await broker.topics.create({ name: 'epochs-b', numPartitions: 1, replicationFactor: 1, configs: {} });
    const kafka = createClient({ bootstrapServers: broker.bootstrap, retryBackoffMs: 20 });
    const producer = kafka.producer();
    const members: Consumer[] = [];
    let running = true;
    const loops: Array<Promise<void>> = [];
    try {
      for (let p = 0; p < 3; p++) await producer.send({ topic: 'epochs-a', messages: [{ value: 'x', partition: p }, { value: 'y', partition: p }] });
      await producer.send({ topic: 'epochs-b', messages: [{ value: 'z', partition: 0 }] });
      for (let i = 0; i < 2; i++) {
        const c = kafka.consumer({ groupId: 'epochs-cg', clientId: `epochs-${i}`, groupProtocol: 'consumer', autoOffsetReset: 'earliest', autoCommit: false });
        c.subscribe(['epochs-a', 'epochs-b']);
        members.push(c);
      }
      const deadline = Date.now() + 40_000;
      const admin = kafka.admin();
      const settled = async () => {
        const [g] = await admin.describeGroups(['epochs-cg']);
        return g!.state === 'Stable' && g!.members.length === 2 && g!.members.every((m) => m.assignment.length > 0 && text(m.assignment) === text(m.targetAssignment ?? []))
          && members.reduce((n, c) => n + c.assignment().length, 0) === 4;
      };
      let read = 0;
      while (Date.now() < deadline && !(read >= 7 && (await settled()))) for (const c of members) read += (await c.poll({ timeoutMs: 200 })).length;
      assert.ok(await settled(), 'the group settled');
      for (const c of members) await c.commitSync();
      // Keep both members heartbeating while the tool looks.
      for (const c of members) loops.push((async () => { while (running) await c.poll({ timeoutMs: 100 }); })());
      const [g] = await admin.describeGroups(['epochs-cg']);
      await admin.close();
      assert.ok(g!.groupEpoch! > 0 && g!.assignmentEpoch! > 0, JSON.stringify(g));

      const offsets = await describe(broker, 'epochs-cg');
      assert.equal(offsets.code, 0, offsets.stderr);
      assert.deepEqual(table(offsets.stdout).header, ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID']);
      const verboseOffsets = await describe(broker, 'epochs-cg', '--offsets', '--verbose');
      assert.equal(verboseOffsets.code, 0, verboseOffsets.stderr);
      const vo = table(verboseOffsets.stdout);
      assert.deepEqual(vo.header, OFFSETS_VERBOSE);
      assert.match(vo.lines[0]!, /^GROUP {11}TOPIC {11}PARTITION  LEADER-EPOCH {4}CURRENT-OFFSET  LOG-END-OFFSET  LAG {13}CONSUMER-ID/);
      assert.equal(vo.rows.length, 4);
      for (const r of vo.rows) {
        assert.equal(r[3], '-', "Samsa's consumer commits no leader epoch");
        assert.deepEqual(r.slice(4, 7), r[1] === 'epochs-a' ? ['2', '2', '0'] : ['1', '1', '0']);
        const owner = g!.members.find((m) => m.memberId === r[7])!;
        assert.ok(owner.assignment.some((tp) => tp.topic === r[1] && String(tp.partition) === r[2]), `row ${r.join(' ')} is its owner's`);
      }

      const plain = await describe(broker, 'epochs-cg', '--members');
      assert.equal(plain.code, 0, plain.stderr);
      assert.deepEqual(table(plain.stdout).header, MEMBERS);
      const verbose = await describe(broker, 'epochs-cg', '--members', '--verbose');
      assert.equal(verbose.code, 0, verbose.stderr);
      const vm = table(verbose.stdout);
      assert.deepEqual(vm.header, MEMBERS_VERBOSE);
      assert.equal(vm.rows.length, 2);
      for (const r of vm.rows) {
        const m = g!.members.find((x) => x.memberId === r[1])!;
        assert.deepEqual(r.slice(2), [m.host, m.clientId, String(m.assignment.length), String(m.memberEpoch), text(m.assignment), String(g!.assignmentEpoch), text(m.targetAssignment!)]);
        assert.ok(Number(r[5]) > 0);
      }
      const held = vm.rows.flatMap((r) => r[6]!.split(';').flatMap((t) => t.split(':')[1]!.split(',').map((p) => `${t.split(':')[0]}-${p}`)));
      assert.deepEqual(held.sort(), ['epochs-a-0', 'epochs-a-1', 'epochs-a-2', 'epochs-b-0'], 'the two members hold every partition once');

      const state = await describe(broker, 'epochs-cg', '--state', '--verbose');
      assert.equal(state.code, 0, state.stderr);
      const vs = table(state.stdout);
      assert.deepEqual(vs.header, STATE_VERBOSE);
      assert.deepEqual([vs.rows[0]![0], ...vs.rows[0]!.slice(3)], ['epochs-cg', 'uniform', 'Stable', String(g!.groupEpoch), String(g!.assignmentEpoch), '2']);
      assert.match(vs.lines[0]!, /ASSIGNMENT-STRATEGY  STATE {16}GROUP-EPOCH {5}TARGET-ASSIGNMENT-EPOCH {3}#MEMBERS$/);

      const json = await describe(broker, 'epochs-cg', '--members', '--json');
      const [jm] = JSON.parse(json.stdout) as Array<{ members: Array<{ consumerId: string; memberEpoch: number; targetEpoch: number; targetAssignment: unknown[] }> }>;
      for (const m of jm!.members) {
        const d = g!.members.find((x) => x.memberId === m.consumerId)!;
        assert.equal(m.memberEpoch, d.memberEpoch);
        assert.equal(m.targetEpoch, g!.assignmentEpoch);
        assert.deepEqual(m.targetAssignment, d.targetAssignment);
      }
      const jsonState = JSON.parse((await describe(broker, 'epochs-cg', '--state', '--json')).stdout) as Array<{ groupEpoch: number; targetAssignmentEpoch: number }>;
      assert.deepEqual([jsonState[0]!.groupEpoch, jsonState[0]!.targetAssignmentEpoch], [g!.groupEpoch, g!.assignmentEpoch]);
      const jsonOffsets = JSON.parse((await describe(broker, 'epochs-cg', '--json')).stdout) as Array<{ partitions: Array<{ leaderEpoch: number | null }> }>;
      assert.deepEqual(jsonOffsets[0]!.partitions.map((p) => p.leaderEpoch), [null, null, null, null]);
    } finally {
      running = false;
      await Promise.all(loops);
      for (const c of members) await c.close();
      await producer.close();
      await kafka.close();
    }

    // A classic group: the same verbose views, '-' where a classic group has no epochs.
    const classic = createClient({ bootstrapServers: broker.bootstrap, retryBackoffMs: 20 });
    const c = classic.consumer({ groupId: 'epochs-classic', clientId: 'classic-1', autoOffsetReset: 'earliest', autoCommit: false, heartbeatIntervalMs: 100 });
    try {
      c.subscribe(['epochs-b']);
      const until = Date.now() + 30_000;
      while (Date.now() < until && c.assignment().length === 0) await c.poll({ timeoutMs: 200 });
      let stop = false;
      const loop = (async () => { while (!stop) await c.poll({ timeoutMs: 100 }); })();
      try {
        const members = await describe(broker, 'epochs-classic', '--members', '--verbose');
        assert.equal(members.code, 0, members.stderr);
        const t = table(members.stdout);
        assert.deepEqual(t.header, MEMBERS_VERBOSE);
        assert.deepEqual(t.rows[0]!.slice(3), ['classic-1', '1', '-', 'epochs-b:0', '-', '-']);
        const state = await describe(broker, 'epochs-classic', '--state', '--verbose');
        assert.deepEqual(table(state.stdout).header, STATE_VERBOSE);
        assert.deepEqual(table(state.stdout).rows[0]!.slice(3), ['range', 'Stable', '-', '-', '1']);
        assert.deepEqual(table((await describe(broker, 'epochs-classic', '--state')).stdout).header, STATE);
        const json = JSON.parse((await describe(broker, 'epochs-classic', '--members', '--json')).stdout) as Array<{ members: Array<{ memberEpoch: unknown; targetEpoch: unknown; targetAssignment: unknown }> }>;
        assert.deepEqual([json[0]!.members[0]!.memberEpoch, json[0]!.members[0]!.targetEpoch, json[0]!.members[0]!.targetAssignment], [null, null, null]);
      } finally {
        stop = true;
        await loop;
      }
    } finally {
      await c.close();
      await classic.close();
    }
  }, { config: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '3' } });
});

test('consumer-groups --describe --verbose on librdkafka 2.15 members with group.protocol=consumer: epochs, assignments and committed leader epochs', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withBroker(async (broker) => {
    await broker.topics.create({ name: 'rd-epochs', numPartitions: 4, replicationFactor: 1, configs: {} });
    // The members keep polling in their threads while the script runs the tool (argv: node, cli, bootstrap).
    const script = `
import sys, time, json, threading, subprocess
from confluent_kafka import Producer, Consumer
node, cli, bs = sys.argv[1:4]
assigned = {0: set(), 1: set()}
read = [0]
stop = threading.Event()
def run(n):
    def on_assign(c, ps): assigned[n].update(p.partition for p in ps)
    def on_revoke(c, ps): assigned[n].difference_update(p.partition for p in ps)
    c = Consumer({'bootstrap.servers': bs, 'group.id': 'rd-epochs-g', 'group.protocol': 'consumer', 'client.id': 'rd-%d' % n, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
    c.subscribe(['rd-epochs'], on_assign=on_assign, on_revoke=on_revoke)
    while not stop.is_set():
        m = c.poll(0.1)
        if m is not None and m.error() is None:
            # The positions, with their leader epochs (Debian's 1.7 binding drops the epoch from commit(message=m)).
            c.commit(asynchronous=False)
            read[0] += 1
    c.close()
p = Producer({'bootstrap.servers': bs})
for i in range(8): p.produce('rd-epochs', str(i).encode(), partition=i % 4)
assert p.flush(20) == 0
ts = [threading.Thread(target=run, args=(n,)) for n in (0, 1)]
for t in ts: t.start()
deadline = time.time() + 40
while time.time() < deadline and not (assigned[0] and assigned[1] and assigned[0] | assigned[1] == {0, 1, 2, 3} and not assigned[0] & assigned[1] and read[0] >= 8):
    time.sleep(0.1)
def tool(*args):
    return subprocess.run([node, cli, 'consumer-groups', '--bootstrap-server', bs, '--describe', '--group', 'rd-epochs-g', *args], capture_output=True, text=True, timeout=30)
out = {}
while time.time() < deadline:
    out['members'] = tool('--members', '--verbose').stdout
    rows = [l.split() for l in out['members'].strip().split('\\n')[1:]]
    if len(rows) == 2 and all(r[6] == r[8] and r[6] != '-' for r in rows): break
    time.sleep(0.3)
out['state'] = tool('--state', '--verbose').stdout
out['split'] = [sorted(assigned[0]), sorted(assigned[1])]
stop.set()
for t in ts: t.join()
print(json.dumps(out))
`;
    const r = await runNewRdkafkaPython(script, [process.execPath, CLI, broker.bootstrap], { timeoutMs: 110_000 });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { members: string; state: string; split: number[][] };
    const m = table(out.members);
    assert.deepEqual(m.header, MEMBERS_VERBOSE);
    assert.equal(m.rows.length, 2, out.members);
    const s = table(out.state);
    assert.deepEqual(s.header, STATE_VERBOSE);
    const [, , , assignor, state, groupEpoch, targetEpoch, count] = s.rows[0]!;
    assert.deepEqual([assignor, state, count], ['uniform', 'Stable', '2']);
    assert.ok(Number(groupEpoch) > 0 && Number(targetEpoch) > 0, out.state);
    for (const row of m.rows) {
      const [, , , clientId, partitions, memberEpoch, current, target, targetAssignment] = row;
      assert.match(clientId!, /^rd-[01]$/);
      assert.ok(Number(memberEpoch) > 0, out.members);
      assert.equal(target, targetEpoch, 'TARGET-EPOCH is the group target assignment epoch');
      assert.equal(current, targetAssignment, 'reconciled: the current assignment is the target');
      const mine = out.split[Number(clientId!.slice(3))]!;
      assert.equal(current, `rd-epochs:${mine.join(',')}`);
      assert.equal(partitions, String(mine.length));
    }
    const offsets = await describe(broker, 'rd-epochs-g', '--verbose');
    assert.equal(offsets.code, 0, offsets.stderr);
    const o = table(offsets.stdout);
    assert.deepEqual(o.header, OFFSETS_VERBOSE);
    // The members are gone: four committed partitions no one holds, each with librdkafka's leader epoch.
    assert.deepEqual(o.rows.map((r) => r.slice(1, 7)), [0, 1, 2, 3].map((p) => ['rd-epochs', String(p), '0', '2', '2', '0']));
  }, { config: { 'group.initial.rebalance.delay.ms': '0' } });
});
