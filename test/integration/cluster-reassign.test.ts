/**
 * Moving partitions with Kafka's tool on etcd and four broker processes (KIP-455): --generate
 * proposes, --execute (throttled) starts, the new replicas copy the log by replication, --verify
 * sees it done and clears the throttles, the old replicas' logs are deleted and kcat reads every
 * record from the new ones. A throttle of 1 KB/s holds a move in progress (KafkaJS's admin and
 * --list see it), --cancel reverts it and the copy is deleted. A broker that comes back with an
 * empty disk gets its replicas back by replication and can lead them alone. After a rolling
 * restart, auto.leader.rebalance.enable gives leaderships back to the preferred replicas.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { installed, run } from '../helpers/broker.js';
import { withClusterProcesses, type ClusterProcesses } from '../helpers/cluster-processes.js';
import { assertExactlyOnceInOrder, consumePartition, partitions, waitForIsr } from '../helpers/cluster-checks.js';
import { kafkajsProduceLoop } from '../helpers/kafkajs-producer.js';
import { waitFor } from '../helpers/wait.js';

const SKIP = (await installed('kcat', ['-V'])) ? false : 'kcat is not installed (Debian package kcat)';
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const REASSIGN = fileURLToPath(new URL('../../../bin/kafka-reassign-partitions.sh', import.meta.url));

async function samsa(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run(process.execPath, [CLI, ...args], { timeoutMs: 60_000 });
}

async function produce(bootstrap: string, topic: string, partition: number, lines: string[]): Promise<void> {
  const r = await run('kcat', ['-b', bootstrap, '-P', '-t', topic, '-p', String(partition), '-X', 'acks=-1', '-X', 'message.timeout.ms=30000'], { input: lines.join('\n') + '\n', timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
}

/** Bytes in a broker's segment files of one partition (0 when it holds none). */
function localBytes(c: ClusterProcesses, id: number, topic: string, partition: number): number {
  const dir = join(c.dataDir(id), `${topic}-${partition}`);
  if (!existsSync(dir)) return 0;
  return readdirSync(dir).filter((f) => f.endsWith('.log')).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

async function jsonFile(dir: string, name: string, doc: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(doc));
  return path;
}

const lines = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}-${'x'.repeat(80)}`);

test('kafka-reassign-partitions moves a topic to other brokers (generate, throttled execute, verify); held by a 1 KB/s throttle a move is listed and cancelled; a broker back with an empty disk re-replicates', { skip: SKIP, timeout: 240_000 }, async () => {
  await withClusterProcesses(
    async (c) => {
      const dir = c.dataDir(1) + '-files';
      await mkdir(dir, { recursive: true });
      const tool = (...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> => run(REASSIGN, ['--bootstrap-server', c.bootstrap, ...args], { timeoutMs: 60_000 });

      // --- a topic on brokers 1 and 2 moves to 3 and 4 ---
      const created = await samsa(['topics', '--bootstrap-server', c.bootstrap, '--create', '--topic', 'moving', '--replica-assignment', '1:2,2:1']);
      assert.equal(created.code, 0, created.stderr);
      await waitForIsr(c.bootstrap, 'moving', 2);
      const written = [lines('a', 1500), lines('b', 1500)];
      await produce(c.bootstrap, 'moving', 0, written[0]!);
      await produce(c.bootstrap, 'moving', 1, written[1]!);

      const topicsFile = await jsonFile(dir, 'topics.json', { version: 1, topics: [{ topic: 'moving' }] });
      const gen = await tool('--generate', '--topics-to-move-json-file', topicsFile, '--broker-list', '3,4');
      assert.equal(gen.code, 0, gen.stderr);
      const [, currentJson, , proposedJson] = gen.stdout.split('\n').filter((l) => l !== '');
      assert.match(gen.stdout, /^Current partition replica assignment\n/);
      assert.match(gen.stdout, /\n\nProposed partition reassignment configuration\n/);
      assert.deepEqual(JSON.parse(currentJson!), {
        version: 1,
        partitions: [
          { topic: 'moving', partition: 0, replicas: [1, 2], log_dirs: ['any', 'any'] },
          { topic: 'moving', partition: 1, replicas: [2, 1], log_dirs: ['any', 'any'] },
        ],
      });
      const proposed = JSON.parse(proposedJson!) as { partitions: Array<{ replicas: number[] }> };
      for (const p of proposed.partitions) assert.deepEqual([...p.replicas].sort(), [3, 4], 'the proposal places every partition on brokers 3 and 4');

      const target = { version: 1, partitions: [{ topic: 'moving', partition: 0, replicas: [3, 4] }, { topic: 'moving', partition: 1, replicas: [4, 3] }] };
      const planFile = await jsonFile(dir, 'plan.json', target);
      const exec = await tool('--execute', '--reassignment-json-file', planFile, '--throttle', '50000000');
      assert.equal(exec.code, 0, exec.stderr);
      assert.match(exec.stdout, /Save this to use as the --reassignment-json-file option during rollback\n/);
      assert.match(exec.stdout, /Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed\.\n/);
      assert.match(exec.stdout, /The inter-broker throttle limit was set to 50000000 B\/s\n/);
      assert.match(exec.stdout, /Successfully started partition reassignments for moving-0,moving-1\n$/);

      let verify = { code: null as number | null, stdout: '', stderr: '' };
      await waitFor('--verify to report both partitions completed', async () => {
        verify = await tool('--verify', '--reassignment-json-file', planFile);
        return verify.code === 0 && verify.stdout.includes('Reassignment of partition moving-0 is completed.') && verify.stdout.includes('Reassignment of partition moving-1 is completed.');
      }, 60_000);
      assert.match(verify.stdout, /^Status of partition reassignment:\n/);
      assert.match(verify.stdout, /Clearing broker-level throttles on brokers 1,2,3,4\nClearing topic-level throttles on topic moving\n/);
      const configs = await samsa(['configs', '--bootstrap-server', c.bootstrap, '--describe', '--entity-type', 'topics', '--entity-name', 'moving']);
      assert.doesNotMatch(configs.stdout, /replication\.throttled\.replicas=\d/, 'the topic throttles are gone');

      const moved = await waitForIsr(c.bootstrap, 'moving', 2);
      assert.deepEqual(moved.map((p) => p.replicas), [[3, 4], [4, 3]]);
      assert.deepEqual(moved.map((p) => p.leader), [3, 4], 'leadership moved to the preferred replica of the new set');
      for (const id of [1, 2]) for (const p of [0, 1]) await waitFor(`broker ${id} to delete its copy of moving-${p}`, () => !existsSync(join(c.dataDir(id), `moving-${p}`)), 20_000);
      for (const p of [0, 1]) {
        const read = await consumePartition(c.bootstrap, 'moving', p);
        assert.deepEqual(read.map((r) => r.value), written[p], `moving-${p} holds every record, in order, after the move`);
      }
      assert.equal((await tool('--list')).stdout, 'No partition reassignments found.\n');
      // Decommissioned: brokers 1 and 2 hold nothing of the topic, and it keeps serving without them.
      await c.stopBroker(1);

      // --- a move held by a 1 KB/s throttle is listed and cancelled ---
      const held = await samsa(['topics', '--bootstrap-server', c.bootstrap, '--create', '--topic', 'held', '--replica-assignment', '2:3']);
      assert.equal(held.code, 0, held.stderr);
      await waitForIsr(c.bootstrap, 'held', 2);
      await produce(c.bootstrap, 'held', 0, lines('h', 4000));
      const holdFile = await jsonFile(dir, 'hold.json', { version: 1, partitions: [{ topic: 'held', partition: 0, replicas: [2, 3, 4] }] });
      const slow = await tool('--execute', '--reassignment-json-file', holdFile, '--throttle', '1000');
      assert.equal(slow.code, 0, slow.stderr);
      const again = await tool('--execute', '--reassignment-json-file', holdFile);
      assert.equal(again.code, 1, 'a second --execute without --additional is refused');
      assert.match(again.stderr, /Cannot execute because there is an existing partition assignment\.  Use --additional/);
      await new Promise((r) => setTimeout(r, 3000));
      const leaderBytes = localBytes(c, 2, 'held', 0);
      const copied = localBytes(c, 4, 'held', 0);
      assert.ok(leaderBytes > 300_000, `the leader holds the records (${leaderBytes} bytes)`);
      assert.ok(copied < leaderBytes / 4, `the throttle holds the copy back: ${copied} of ${leaderBytes} bytes after 3 s`);

      const kafka = new Kafka({ brokers: c.bootstrap.split(',').filter((a) => !a.endsWith(`:${c.port(1)}`)), logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      try {
        const listed = await admin.listPartitionReassignments({ topics: [{ topic: 'held', partitions: [0] }] });
        assert.deepEqual(listed.topics, [{ name: 'held', partitions: [{ partition: 0, replicas: [2, 3, 4], addingReplicas: [4], removingReplicas: [] }] }]);
      } finally {
        await admin.disconnect();
      }
      const alive = c.bootstrap.split(',').filter((a) => !a.endsWith(`:${c.port(1)}`)).join(',');
      const list = await run(REASSIGN, ['--bootstrap-server', alive, '--list'], { timeoutMs: 60_000 });
      assert.equal(list.stdout, 'Current partition reassignments:\nheld-0: replicas: 2,3,4. adding: 4.\n');
      const cancelled = await run(REASSIGN, ['--bootstrap-server', alive, '--cancel', '--reassignment-json-file', holdFile], { timeoutMs: 60_000 });
      assert.equal(cancelled.code, 0, cancelled.stderr);
      assert.match(cancelled.stdout, /^Successfully cancelled partition reassignment for: held-0\n/);
      assert.match(cancelled.stdout, /Clearing topic-level throttles on topic held\n/);
      await waitFor('held-0 back on brokers 2 and 3, broker 4 without its partial copy', async () => {
        const [p] = await partitions(alive, 'held');
        return p !== undefined && p.replicas.join(',') === '2,3' && !existsSync(join(c.dataDir(4), 'held-0'));
      }, 20_000);

      // --- a broker back with an empty disk gets its replicas back by replication ---
      await c.kill(4);
      await rm(c.dataDir(4), { recursive: true, force: true });
      await c.startBroker(4);
      await waitForIsr(alive, 'moving', 2, 60_000);
      await c.kill(3);
      await waitFor('broker 4 to lead both partitions of moving alone', async () => (await partitions(alive, 'moving')).every((p) => p.leader === 4), 30_000);
      for (const p of [0, 1]) {
        const read = await consumePartition(alive, 'moving', p);
        assert.deepEqual(read.map((r) => r.value), written[p], `broker 4, refilled from an empty disk, serves every record of moving-${p}`);
      }
      // What an operator checks before the next step of a rolling restart.
      await waitFor('broker 3 out of the ISRs', async () => (await partitions(alive, 'moving')).every((p) => p.isrs.join(',') === '4'), 30_000);
      const under = await samsa(['topics', '--bootstrap-server', alive, '--describe', '--topic', 'moving', '--under-replicated-partitions']);
      assert.equal(under.stdout, '\tTopic: moving\tPartition: 0\tLeader: 4\tReplicas: 3,4\tIsr: 4\n\tTopic: moving\tPartition: 1\tLeader: 4\tReplicas: 4,3\tIsr: 4\n');
      assert.equal((await samsa(['topics', '--bootstrap-server', alive, '--describe', '--unavailable-partitions'])).stdout, '');
    },
    { brokers: 4, overrides: { 'replica.fetch.max.bytes': '10000', 'auto.leader.rebalance.enable': 'false' } },
  );
});

test('kafka-reassign-partitions refuses bad input with Kafka\'s sentences and exit 1', { skip: SKIP, timeout: 120_000 }, async () => {
  const none = await run(REASSIGN, ['--bootstrap-server', '127.0.0.1:1'], { timeoutMs: 30_000 });
  assert.equal(none.code, 1);
  assert.match(none.stderr, /Command must include exactly one action: --verify, --generate, --execute, --cancel, --list/);
  const mixed = await run(REASSIGN, ['--bootstrap-server', '127.0.0.1:1', '--list', '--throttle', '5'], { timeoutMs: 30_000 });
  assert.equal(mixed.code, 1);
  assert.match(mixed.stderr, /Option "\[throttle\]" can't be used with action "\[list\]"/);
  const missing = await run(REASSIGN, ['--bootstrap-server', '127.0.0.1:1', '--execute'], { timeoutMs: 30_000 });
  assert.match(missing.stderr, /Missing required argument "\[reassignment-json-file\]"/);
  await withClusterProcesses(async (c) => {
    const dir = c.dataDir(1) + '-files';
    await mkdir(dir, { recursive: true });
    const created = await samsa(['topics', '--bootstrap-server', c.bootstrap, '--create', '--topic', 't', '--partitions', '1', '--replication-factor', '2']);
    assert.equal(created.code, 0, created.stderr);
    const cases: Array<[unknown, RegExp]> = [
      [{ version: 1, partitions: [{ topic: 't', partition: 0, replicas: [1, 1] }] }, /Partition replica lists may not contain duplicate entries: t-0 contains multiple entries for 1/],
      [{ version: 1, partitions: [] }, /Partition reassignment list cannot be empty/],
      [{ version: 1, partitions: [{ topic: 't', partition: 0, replicas: [1, 9] }] }, /Unknown broker id 9/],
      [{ version: 2, partitions: [] }, /Not supported version field value 2/],
      [{ version: 1, partitions: [{ topic: 't', partition: 0, replicas: [1, 2], log_dirs: ['/x', 'any'] }] }, /log directories of one broker is not supported/],
    ];
    for (const [doc, expected] of cases) {
      const file = await jsonFile(dir, 'bad.json', doc);
      const r = await run(REASSIGN, ['--bootstrap-server', c.bootstrap, '--execute', '--reassignment-json-file', file], { timeoutMs: 30_000 });
      assert.equal(r.code, 1, `${JSON.stringify(doc)} is refused`);
      assert.match(r.stderr, expected);
    }
    const unknownTopic = await jsonFile(dir, 'unknown.json', { version: 1, partitions: [{ topic: 'nope', partition: 0, replicas: [1] }] });
    const r = await run(REASSIGN, ['--bootstrap-server', c.bootstrap, '--execute', '--reassignment-json-file', unknownTopic], { timeoutMs: 30_000 });
    assert.equal(r.code, 1);
    const cancelNothing = await jsonFile(dir, 'cancel.json', { version: 1, partitions: [{ topic: 't', partition: 0, replicas: [1, 2] }] });
    const cn = await run(REASSIGN, ['--bootstrap-server', c.bootstrap, '--cancel', '--reassignment-json-file', cancelNothing], { timeoutMs: 30_000 });
    assert.equal(cn.code, 0, cn.stderr);
    assert.match(cn.stdout, /^None of the specified partition reassignments are active\.\n/);
  });
});

test('auto.leader.rebalance.enable: after a rolling restart moved leaderships away, the controller gives them back to the preferred replicas', { skip: SKIP, timeout: 120_000 }, async () => {
  await withClusterProcesses(
    async (c) => {
      const created = await samsa(['topics', '--bootstrap-server', c.bootstrap, '--create', '--topic', 'pref', '--replica-assignment', '1:2:3,2:3:1,3:1:2']);
      assert.equal(created.code, 0, created.stderr);
      await waitForIsr(c.bootstrap, 'pref', 3);
      const others = [2, 3].map((id) => c.address(id)).join(',');
      await c.stopBroker(1);
      await waitFor('partition 0 led by another broker while broker 1 is down', async () => (await partitions(others, 'pref'))[0]?.leader !== 1, 30_000);
      await c.startBroker(1);
      await waitForIsr(c.bootstrap, 'pref', 3, 60_000);
      await waitFor('every partition led by its preferred replica again', async () => (await partitions(c.bootstrap, 'pref')).every((p) => p.leader === p.replicas[0]), 30_000);
    },
    { overrides: { 'leader.imbalance.check.interval.seconds': '1', 'leader.imbalance.per.broker.percentage': '0' } },
  );
});

test('a reassignment under idempotent acks=all load, moving every partition\'s leader off its broker: nothing acknowledged lost or duplicated', { skip: SKIP, timeout: 180_000 }, async () => {
  await withClusterProcesses(
    async (c) => {
      const dir = c.dataDir(1) + '-files';
      await mkdir(dir, { recursive: true });
      const created = await samsa(['topics', '--bootstrap-server', c.bootstrap, '--create', '--topic', 'busy', '--replica-assignment', '1:2:3,2:3:1,3:1:2', '--config', 'min.insync.replicas=2']);
      assert.equal(created.code, 0, created.stderr);
      await waitForIsr(c.bootstrap, 'busy', 3);
      // Every partition moves to a set without its leader: leadership changes while records flow.
      const plan = await jsonFile(dir, 'busy.json', {
        version: 1,
        partitions: [
          { topic: 'busy', partition: 0, replicas: [4, 2, 3] },
          { topic: 'busy', partition: 1, replicas: [4, 3, 1] },
          { topic: 'busy', partition: 2, replicas: [4, 1, 2] },
        ],
      });
      type Ran = { code: number | null; stdout: string; stderr: string };
      const started: { run: Promise<Ran> | null } = { run: null };
      const acked = await kafkajsProduceLoop(c.bootstrap, 'busy', {
        records: 9000,
        partitions: 3,
        requestTimeoutMs: 5000,
        metadataMaxAgeMs: 1000,
        onAcked: (n) => {
          if (n === 1500) started.run = run(REASSIGN, ['--bootstrap-server', c.bootstrap, '--execute', '--reassignment-json-file', plan], { timeoutMs: 60_000 });
        },
      });
      assert.ok(started.run !== null);
      const exec = await started.run;
      assert.equal(exec.code, 0, exec.stderr);
      assert.equal(acked.length, 9000, 'every record was acknowledged');
      await waitFor('the reassignment to complete', async () => (await run(REASSIGN, ['--bootstrap-server', c.bootstrap, '--list'], { timeoutMs: 30_000 })).stdout === 'No partition reassignments found.\n', 60_000);
      const moved = await waitForIsr(c.bootstrap, 'busy', 3);
      assert.deepEqual(moved.map((p) => p.leader), [4, 4, 4], 'broker 4, first in every new set, leads them');
      assert.equal(await assertExactlyOnceInOrder(c.bootstrap, 'busy', 3, acked), 9000);
    },
    { brokers: 4, overrides: { 'leader.imbalance.check.interval.seconds': '1' } },
  );
});
