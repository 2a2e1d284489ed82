/**
 * etcd and three broker processes, checked with kcat, Kafka's tool shims and KafkaJS: an old
 * leader's unreplicated suffix truncated when it rejoins (leader epochs); a follower that falls
 * behind leaving the ISR and rejoining; etcd stopped and started again under a serving cluster;
 * what Metadata, DescribeCluster and kafka-topics show of brokers, controller, leaders and ISR.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { installed, run } from '../helpers/broker.js';
import { withClusterProcesses, type ClusterProcesses } from '../helpers/cluster-processes.js';
import { consumePartition, createReplicatedTopic, kcatMetadata, partitions, waitForIsr } from '../helpers/cluster-checks.js';
import { waitFor } from '../helpers/wait.js';

const SKIP = (await installed('kcat', ['-V'])) ? false : 'kcat is not installed (Debian package kcat)';
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const KAFKA_TOPICS = fileURLToPath(new URL('../../../bin/kafka-topics.sh', import.meta.url));

async function samsa(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run(process.execPath, [CLI, ...args], { timeoutMs: 60_000 });
}

/** kcat -P of `lines` to one partition with the given acks; resolves with kcat's exit code and stderr. */
async function produce(bootstrap: string, topic: string, lines: string[], acks: 'all' | '1', partition = 0): Promise<{ code: number | null; stderr: string }> {
  const r = await run('kcat', ['-b', bootstrap, '-P', '-t', topic, '-p', String(partition), '-X', `acks=${acks === 'all' ? -1 : 1}`, '-X', 'message.timeout.ms=30000'], { input: lines.join('\n') + '\n', timeoutMs: 60_000 });
  return { code: r.code, stderr: r.stderr };
}

function names(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
}

function segment(c: ClusterProcesses, id: number, topic: string, partition: number): string {
  return join(c.dataDir(id), `${topic}-${partition}`, '00000000000000000000.log');
}

/** Waits until every broker's first segment of the partition has the same size, then says whether the bytes are equal. */
async function replicasIdentical(c: ClusterProcesses, topic: string, partition: number): Promise<boolean> {
  await waitFor(`the replicas of ${topic}-${partition} to reach the same size`, () => new Set(c.brokerIds.map((id) => statSync(segment(c, id, topic, partition)).size)).size === 1, 20_000);
  const [first, ...rest] = c.brokerIds.map((id) => readFileSync(segment(c, id, topic, partition)));
  return rest.every((b) => b.equals(first!));
}

function addressOf(c: ClusterProcesses, ...ids: number[]): string {
  return ids.map((id) => `127.0.0.1:${c.port(id)}`).join(',');
}

test('an old leader that wrote records nobody replicated truncates them when it rejoins under the new leader (leader epochs), and all replicas end byte-identical', { skip: SKIP, timeout: 120_000 }, async () => {
  await withClusterProcesses(async (c) => {
    await createReplicatedTopic(c.bootstrap, 'epochs', 1, { 'min.insync.replicas': '2' });
    assert.equal((await produce(c.bootstrap, 'epochs', names('a', 100), 'all')).code, 0);
    assert.ok(await replicasIdentical(c, 'epochs', 0));
    const oldLeader = (await partitions(c.bootstrap, 'epochs'))[0]!.leader;
    const followers = c.brokerIds.filter((id) => id !== oldLeader);
    // The followers go down (SIGKILL: a frozen one would still receive the leader's answer into
    // its socket buffer) and the leader alone takes acks=1 records; then the leader goes down and
    // the followers come back, all within their sessions, so they stay in the ISR.
    for (const id of followers) await c.kill(id);
    const unreplicated = await produce(addressOf(c, oldLeader), 'epochs', names('b', 50), '1');
    assert.equal(unreplicated.code, 0, `acks=1 to the old leader: ${unreplicated.stderr}`);
    await c.kill(oldLeader);
    await Promise.all(followers.map((id) => c.startBroker(id)));
    const alive = addressOf(c, ...followers);
    await waitFor('a new leader among the followers', async () => followers.includes((await partitions(alive, 'epochs').catch(() => []))[0]?.leader ?? -1), 30_000);
    assert.equal((await produce(alive, 'epochs', names('c', 50), 'all')).code, 0);
    await c.startBroker(oldLeader);
    await waitForIsr(c.bootstrap, 'epochs', 3);
    const values = (await consumePartition(c.bootstrap, 'epochs', 0)).map((r) => r.value);
    assert.deepEqual(values, [...names('a', 100), ...names('c', 50)], 'the acks=1 suffix only the old leader had is gone; everything acknowledged by the ISR is there');
    assert.ok(await replicasIdentical(c, 'epochs', 0), 'the old leader truncated its suffix and copied the new leader byte for byte');
    const checkpoints = c.brokerIds.map((id) => readFileSync(join(c.dataDir(id), 'epochs-0', 'leader-epoch-checkpoint'), 'utf8'));
    assert.equal(new Set(checkpoints).size, 1, `every replica has the same leader-epoch-checkpoint: ${JSON.stringify(checkpoints)}`);
    assert.match(checkpoints[0]!, /^0\n2\n0 0\n1 100\n$/, 'epoch 0 from offset 0, epoch 1 from offset 100');
  }, { overrides: { 'broker.session.timeout.ms': '6000', 'replica.lag.time.max.ms': '30000' } });
});

test('a follower that falls behind leaves the ISR after replica.lag.time.max.ms (acks=all carries on with the others) and rejoins once it catches up', { skip: SKIP, timeout: 120_000 }, async () => {
  await withClusterProcesses(async (c) => {
    await createReplicatedTopic(c.bootstrap, 'lag', 1, { 'min.insync.replicas': '2' });
    const leader = (await partitions(c.bootstrap, 'lag'))[0]!.leader;
    const slow = c.brokerIds.find((id) => id !== leader)!;
    process.kill(c.pid(slow)!, 'SIGSTOP');
    try {
      const t0 = Date.now();
      const r = await produce(c.bootstrap, 'lag', names('x', 200), 'all');
      assert.equal(r.code, 0, r.stderr);
      console.log(`# acks=all waited ${Date.now() - t0} ms for the ISR to shrink (replica.lag.time.max.ms=1500)`);
      const p = await waitForIsr(c.bootstrap, 'lag', 2);
      assert.ok(!p[0]!.isrs.includes(slow), `broker ${slow} left the ISR: ${JSON.stringify(p)}`);
      assert.equal((await produce(c.bootstrap, 'lag', names('y', 200), 'all')).code, 0);
    } finally {
      process.kill(c.pid(slow)!, 'SIGCONT');
    }
    const p = await waitForIsr(c.bootstrap, 'lag', 3);
    assert.ok(p[0]!.isrs.includes(slow));
    assert.ok(await replicasIdentical(c, 'lag', 0), 'the follower caught up byte for byte');
    assert.equal((await consumePartition(c.bootstrap, 'lag', 0)).length, 400);
  }, { overrides: { 'broker.session.timeout.ms': '10000', 'replica.lag.time.max.ms': '1500' } });
});

test('etcd stopped under a serving cluster: leaders keep serving acks=all, no metadata change is accepted; etcd back: everything recovers', { skip: SKIP, timeout: 120_000 }, async () => {
  await withClusterProcesses(async (c) => {
    await createReplicatedTopic(c.bootstrap, 'steady', 3, { 'min.insync.replicas': '2' });
    const before = await partitions(c.bootstrap, 'steady');
    await c.etcd.stop();
    for (let p = 0; p < 3; p++) assert.equal((await produce(c.bootstrap, 'steady', names(`p${p}`, 100), 'all', p)).code, 0, 'acks=all served without etcd');
    // Kafka's answer when its controller cannot be reached: REQUEST_TIMED_OUT, and nothing created.
    const admin = new Kafka({ clientId: 'etcd-down', brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
    await admin.connect();
    try {
      await assert.rejects(admin.createTopics({ topics: [{ topic: 'later', numPartitions: 1, replicationFactor: 3 }] }), (err: any) => {
        const types = [err.type, ...(err.errors ?? []).map((e: any) => e.type), err.originalError?.type];
        return types.includes('REQUEST_TIMED_OUT') || err.retriable === true;
      });
    } finally {
      await admin.disconnect();
    }
    assert.equal((await kcatMetadata(c.bootstrap)).topics.some((t) => t.topic === 'later'), false, 'no topic was created');
    // Longer than the sessions: nobody is declared dead for etcd's absence.
    await sleep(4000);
    assert.deepEqual(await partitions(c.bootstrap, 'steady'), before, 'leaders and ISRs unchanged');
    for (let p = 0; p < 3; p++) assert.equal((await consumePartition(c.bootstrap, 'steady', p)).length, 100);
    await c.etcd.restart();
    await waitFor('creating a topic to work again', async () => (await samsa(['topics', '--bootstrap-server', c.bootstrap, '--create', '--if-not-exists', '--topic', 'later', '--partitions', '1', '--replication-factor', '3'])).code === 0, 30_000);
    await waitForIsr(c.bootstrap, 'later', 3);
    assert.equal((await kcatMetadata(c.bootstrap)).brokers.length, 3, 'every broker registered again');
    assert.equal((await produce(c.bootstrap, 'later', names('z', 10), 'all')).code, 0);
    assert.equal((await consumePartition(c.bootstrap, 'later', 0)).length, 10);
  });
});

test('Metadata, DescribeCluster and kafka-topics --describe show the brokers, the controller, leaders, replicas, ISR and offline replicas', { skip: SKIP, timeout: 120_000 }, async () => {
  await withClusterProcesses(async (c) => {
    const r = await run('bash', [KAFKA_TOPICS, '--bootstrap-server', c.bootstrap, '--create', '--topic', 'shown', '--partitions', '6', '--replication-factor', '3'], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    await waitForIsr(c.bootstrap, 'shown', 3);
    const meta = await kcatMetadata(c.bootstrap);
    assert.deepEqual(meta.brokers.map((b) => b.id).sort(), [1, 2, 3]);
    assert.ok([1, 2, 3].includes(meta.controllerid), `kcat sees a controller: ${meta.controllerid}`);
    const kafka = new Kafka({ clientId: 'describe', brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const described = await admin.describeCluster();
      assert.equal(described.controller, meta.controllerid);
      assert.equal(described.brokers.length, 3);
      const d = await run('bash', [KAFKA_TOPICS, '--bootstrap-server', c.bootstrap, '--describe', '--topic', 'shown'], { timeoutMs: 60_000 });
      const rows = d.stdout.split('\n').filter((l) => l.includes('Partition: '));
      assert.equal(rows.length, 6, d.stdout);
      const leaders = new Map<string, number>();
      for (const row of rows) {
        const m = /Leader: (\d+)\tReplicas: (\d),(\d),(\d)\tIsr: (\d),(\d),(\d)/.exec(row);
        assert.ok(m !== null, `Kafka's columns: ${row}`);
        leaders.set(m[1]!, (leaders.get(m[1]!) ?? 0) + 1);
        assert.equal(m[1], m[2], 'the first replica leads');
      }
      assert.deepEqual([...leaders.values()], [2, 2, 2], 'leaders spread over the three brokers');
      // A broker down: its replicas are offline and out of the ISR.
      await c.kill(3);
      const alive = addressOf(c, 1, 2);
      await waitForIsr(alive, 'shown', 2);
      const after = await admin.fetchTopicMetadata({ topics: ['shown'] });
      for (const p of after.topics[0]!.partitions) {
        assert.deepEqual(p.offlineReplicas, [3], `partition ${p.partitionId}: offline replicas`);
        assert.ok(!p.isr.includes(3) && p.leader !== 3);
      }
      assert.deepEqual((await kcatMetadata(alive)).brokers.map((b) => b.id).sort(), [1, 2], 'the dead broker is no longer listed');
    } finally {
      await admin.disconnect();
    }
  });
});
