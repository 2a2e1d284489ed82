/**
 * Share groups (KIP-932) in a cluster: etcd and three broker processes. A topic's partitions are
 * led by different brokers, the group's coordinator is another broker than most of them, and each
 * share-partition's state lives at its share coordinator (the leader of its `__share_group_state`
 * partition), reached over ReadShareGroupState / WriteShareGroupState. Samsa's share consumers
 * split the records; kafka-share-groups --describe shows the start offsets; a SIGKILLed
 * partition leader and, separately, a SIGKILLed share coordinator lose nothing acknowledged, and
 * records in flight at the partition leader's death are delivered again; --reset-offsets,
 * --delete-offsets and --delete reach the share coordinators of the group's share-partitions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createClient, type ShareConsumer, type ShareRecord } from '../../src/client/index.js';
import { groupPartition } from '../../src/coordinator/group/records.js';
import { shareKeyText } from '../../src/coordinator/share/records.js';
import { run } from '../helpers/broker.js';
import { WireClient } from '../helpers/broker-process.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { withClusterProcesses, type ClusterProcesses } from '../helpers/cluster-processes.js';
import { waitFor } from '../helpers/wait.js';

const BIN = fileURLToPath(new URL('../../../bin/kafka-share-groups.sh', import.meta.url));
const OFFSETS_PARTITIONS = 5;
const STATE_PARTITIONS = 6;
const OVERRIDES = {
  'offsets.topic.num.partitions': String(OFFSETS_PARTITIONS),
  'offsets.topic.replication.factor': '3',
  'share.coordinator.state.topic.num.partitions': String(STATE_PARTITIONS),
  'share.coordinator.state.topic.replication.factor': '3',
  // Leaderships stay where the kills put them: the test knows who leads what.
  'auto.leader.rebalance.enable': 'false',
  'group.share.max.record.lock.duration.ms': '300000',
};

type Client = ReturnType<typeof createClient>;

async function leaders(kafka: Client, topic: string): Promise<number[]> {
  const [t] = await kafka.admin().describeTopics([topic]);
  return t!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.leader);
}

async function topicId(kafka: Client, topic: string): Promise<string> {
  return (await kafka.admin().describeTopics([topic]))[0]!.topicId;
}

/** The broker that coordinates a share-partition's state: the leader of its `__share_group_state` partition. */
async function stateCoordinator(kafka: Client, groupId: string, topic: string, partition: number): Promise<number> {
  const key = shareKeyText({ groupId, topicId: await topicId(kafka, topic), partition });
  return (await leaders(kafka, '__share_group_state'))[groupPartition(key, STATE_PARTITIONS)]!;
}

/**
 * Polls until `want` records came or the time is up; a poll that fails (a broker just died) is
 * tried again. `last`: what the last poll that got records got (in flight until the next poll).
 */
async function pollUntil(c: ShareConsumer, want: number, timeoutMs: number): Promise<ShareRecord[] & { last: ShareRecord[] }> {
  const got: ShareRecord[] = [];
  let last: ShareRecord[] = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < want && Date.now() < deadline) {
    try {
      const rs = await c.poll({ timeoutMs: 500 });
      got.push(...rs);
      if (rs.length > 0) last = rs;
      if (process.env.SHARE_TEST_DEBUG) console.log(`poll: ${values(rs).join(',')}`);
    } catch (err) {
      if (process.env.SHARE_TEST_DEBUG) console.log(`poll failed: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return Object.assign(got, { last });
}

async function groupConfigs(kafka: Client, groupId: string, lockMs: number): Promise<void> {
  await kafka.admin().incrementalAlterConfigs({ type: 'group', name: groupId }, [
    { name: 'share.auto.offset.reset', op: 'set', value: 'earliest' },
    { name: 'share.record.lock.duration.ms', op: 'set', value: String(lockMs) },
  ]);
}

async function killAndWaitForLeader(c: ClusterProcesses, kafka: Client, id: number, topic: string, partition: number): Promise<void> {
  await c.kill(id);
  await waitFor(`a new leader of ${topic}-${partition} after broker ${id} died`, async () => {
    try {
      const l = (await leaders(kafka, topic))[partition]!;
      return l >= 0 && l !== id;
    } catch {
      return false;
    }
  }, 30_000);
}

/**
 * A first share consumer makes the brokers create __share_group_state (its leaders are placed at
 * random, so the test picks its groups once they are known).
 */
async function createStateTopic(kafka: Client, topic: string): Promise<void> {
  await groupConfigs(kafka, 'warmup', 30_000);
  const warmup = kafka.shareConsumer({ groupId: 'warmup' });
  warmup.subscribe([topic]);
  await pollUntil(warmup, 1, 10_000);
  await warmup.close();
  await waitFor('leaders for __share_group_state', async () => (await leaders(kafka, '__share_group_state').catch(() => [])).filter((l) => l > 0).length === STATE_PARTITIONS, 30_000);
}

/** The first group `<prefix>-N` whose share coordinators for the topic's partitions satisfy `wanted`. */
async function pickGroup(kafka: Client, prefix: string, topic: string, partitions: number, wanted: (states: number[]) => boolean): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const g = `${prefix}-${i}`;
    if (wanted(await Promise.all(range(0, partitions).map((p) => stateCoordinator(kafka, g, topic, p))))) return g;
  }
  throw new Error(`no group ${prefix}-N of 100 has the share coordinators wanted`);
}

const values = (rs: ShareRecord[]) => rs.map((r) => Number(r.value!.toString()));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

test('share groups in a cluster: three share consumers split a topic led by three brokers, from a coordinator elsewhere; kafka-share-groups --describe shows the start offsets; --reset-offsets, --delete-offsets and --delete work', { timeout: 180_000 }, async () => {
  await withClusterProcesses(async (c) => {
    const kafka = createClient({ bootstrapServers: c.bootstrap });
    const members: ShareConsumer[] = [];
    try {
      // Each partition led by another broker.
      await kafka.admin().createTopics([{ topic: 'jobs', replicaAssignment: [[1, 2, 3], [2, 3, 1], [3, 1, 2]] }]);
      await waitFor('leaders for jobs', async () => (await leaders(kafka, 'jobs')).every((l) => l > 0), 30_000);
      assert.deepEqual(await leaders(kafka, 'jobs'), [1, 2, 3]);
      const producer = kafka.producer();
      await producer.send({ topic: 'jobs', acks: -1, messages: range(0, 300).map((i) => ({ value: String(i), partition: i % 3 })) });
      // A group whose state is, for some partition, on another broker than the partition's leader.
      await createStateTopic(kafka, 'jobs');
      const group = await pickGroup(kafka, 'workers', 'jobs', 3, (states) => states.some((s, p) => s !== p + 1));
      const stateTopic = { type: 'topic' as const, name: '__share_group_state' };
      const stateConfigs = (await kafka.admin().describeConfigs([stateTopic])).get(stateTopic)!;
      assert.equal(stateConfigs.find((e) => e.name === 'min.insync.replicas')?.value, '2', "__share_group_state's min.insync.replicas (share.coordinator.state.topic.min.isr)");
      assert.deepEqual((await kafka.admin().describeTopics(['__share_group_state']))[0]!.partitions.map((p) => p.replicas.length), range(0, STATE_PARTITIONS).map(() => 3));
      await groupConfigs(kafka, group, 30_000);

      for (let i = 0; i < 3; i++) {
        const m = kafka.shareConsumer({ groupId: group, maxRecords: 7 });
        m.subscribe(['jobs']);
        members.push(m);
      }
      const byMember: number[][] = [[], [], []];
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && byMember.flat().length < 300) {
        const rounds = await Promise.all(members.map((m) => m.poll({ timeoutMs: 300 })));
        rounds.forEach((rs, i) => byMember[i]!.push(...values(rs)));
      }
      const all = byMember.flat();
      assert.equal(new Set(all).size, all.length, 'no record went to two members');
      assert.deepEqual([...all].sort((a, b) => a - b), range(0, 300), 'together they got every record');
      assert.ok(byMember.every((rs) => rs.length > 0), `every member got records: ${byMember.map((rs) => rs.length).join('/')}`);
      // Implicit acknowledgement: the next round accepts the last one; commitSync sends it now.
      for (const m of members) await m.commitSync();

      // The group's coordinator is one broker; the partitions are led by all three.
      const coordinator = (await leaders(kafka, '__consumer_offsets'))[groupPartition(group, OFFSETS_PARTITIONS)]!;
      assert.ok([1, 2, 3].includes(coordinator));
      const remote = [0, 1, 2].filter((p) => [1, 2, 3][p] !== coordinator);
      assert.equal(remote.length, 2, 'two partitions are led by brokers other than the group coordinator');

      // A follower does not serve a share-partition: NOT_LEADER_OR_FOLLOWER, naming the leader.
      const w = await WireClient.connect(c.port(2));
      try {
        const r = await w.request(78, 1, {
          groupId: group, memberId: 'not-a-member-000000', shareSessionEpoch: 0, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, maxRecords: 10, batchSize: 10,
          shareAcquireMode: 0, isRenewAck: false, topics: [{ topicId: await topicId(kafka, 'jobs'), partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }], forgottenTopicsData: [],
        });
        const p = r.responses[0].partitions[0];
        assert.deepEqual([p.errorCode, p.currentLeader.leaderId, p.acquiredRecords.length], [ErrorCode.NOT_LEADER_OR_FOLLOWER, 1, 0]);
      } finally {
        w.socket.destroy();
      }

      const describe = await run(BIN, ['--bootstrap-server', c.bootstrap, '--describe', '--group', group], { timeoutMs: 30_000 });
      assert.equal(describe.code, 0, describe.stderr);
      const rows = describe.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
      assert.deepEqual(rows.map((r) => r.slice(0, 4)), [
        ['GROUP', 'TOPIC', 'PARTITION', 'START-OFFSET'],
        [group, 'jobs', '0', '100'],
        [group, 'jobs', '1', '100'],
        [group, 'jobs', '2', '100'],
      ]);

      // The admin changes go from the group's coordinator to each share-partition's share
      // coordinator (InitializeShareGroupState, DeleteShareGroupState); the partition leaders, which
      // still hold the old states, load the new ones when a session opens.
      for (const m of members.splice(0)) await m.close();
      const cli = (...args: string[]) => run(BIN, ['--bootstrap-server', c.bootstrap, ...args], { timeoutMs: 30_000 });
      const reset = await cli('--reset-offsets', '--group', group, '--topic', 'jobs', '--to-earliest', '--execute');
      assert.equal(reset.code, 0, reset.stderr);
      const afterReset = await cli('--describe', '--group', group);
      assert.deepEqual(afterReset.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/).slice(1, 4)), [['jobs', '0', '0'], ['jobs', '1', '0'], ['jobs', '2', '0']]);
      const readAll = async (): Promise<number[]> => {
        const m = kafka.shareConsumer({ groupId: group, maxRecords: 100 });
        m.subscribe(['jobs']);
        members.push(m);
        const got = values(await pollUntil(m, 300, 60_000));
        await m.close();
        members.splice(members.indexOf(m), 1);
        return got.sort((x, y) => x - y);
      };
      assert.deepEqual(await readAll(), range(0, 300), 'after --reset-offsets --to-earliest every record comes again');
      const deletedOffsets = await cli('--delete-offsets', '--group', group, '--topic', 'jobs');
      assert.equal(deletedOffsets.code, 0, deletedOffsets.stderr);
      assert.match(deletedOffsets.stdout, /jobs\s+Successful/);
      assert.deepEqual(await readAll(), range(0, 300), 'after --delete-offsets the group starts again from share.auto.offset.reset (earliest)');
      const deleted = await cli('--delete', '--group', group);
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.equal((await cli('--list')).stdout, 'warmup\n', 'the group is gone');
    } finally {
      for (const m of members) await m.close().catch(() => undefined);
      await kafka.close();
    }
  }, { overrides: OVERRIDES });
});

test('share groups in a cluster: acknowledged records stay acknowledged and records in flight are delivered again when the partition leader is SIGKILLed, when the share coordinator is, and at a controlled shutdown of the leader', { timeout: 240_000 }, async () => {
  await withClusterProcesses(async (c) => {
    const kafka = createClient({ bootstrapServers: c.bootstrap });
    const consumers: ShareConsumer[] = [];
    // Implicit acknowledgement: each poll's fetch accepts the records of the poll before, and its
    // answer comes once the share coordinator has written them; what the last poll got is in flight.
    const consumer = (groupId: string, maxRecords: number) => {
      const m = kafka.shareConsumer({ groupId, maxRecords });
      m.subscribe(['tasks']);
      consumers.push(m);
      return m;
    };
    try {
      await kafka.admin().createTopics([{ topic: 'tasks', replicaAssignment: [[1, 2, 3]] }]);
      await waitFor('a leader for tasks', async () => (await leaders(kafka, 'tasks'))[0] === 1, 30_000);
      // Locks long enough that only a leadership move, never a lock expiry, redelivers within the test.
      const locks = 120_000;
      await kafka.producer().send({ topic: 'tasks', acks: -1, messages: range(0, 40).map((i) => ({ value: String(i) })) });
      await createStateTopic(kafka, 'tasks');
      // First only the partition leader (broker 1) dies: the group's share coordinator is another broker.
      const first = await pickGroup(kafka, 'first', 'tasks', 1, ([s]) => s !== 1);
      await groupConfigs(kafka, first, locks);

      // --- The partition leader dies with 0–4 acknowledged and 5–9 in flight.
      const a = consumer(first, 5);
      assert.deepEqual(values(await pollUntil(a, 5, 30_000)), range(0, 5));
      assert.deepEqual(values(await pollUntil(a, 5, 30_000)), range(5, 10));
      const stateOfFirst = await stateCoordinator(kafka, first, 'tasks', 0);
      await killAndWaitForLeader(c, kafka, 1, 'tasks', 0);
      // Another member reads from the new leader, which loads the state from the share coordinator.
      const b = consumer(first, 10);
      const got = await pollUntil(b, 35, 60_000);
      assert.deepEqual(values(got).sort((x, y) => x - y), range(5, 40), `after the leader died (state at broker ${stateOfFirst}): 5–39, never 0–4`);
      assert.equal(await stateCoordinator(kafka, first, 'tasks', 0), stateOfFirst, 'the share coordinator did not move');
      for (const r of got) assert.equal(r.deliveryCount, Number(r.value!.toString()) < 10 ? 2 : 1, `record ${r.value!.toString()}'s delivery count`);
      await b.commitSync();
      assert.deepEqual(values(await pollUntil(b, 1, 3000)), [], 'nothing more comes');
      await c.startBroker(1);

      // --- The share coordinator dies: a group whose state is on another broker than the leader.
      const leader = (await leaders(kafka, 'tasks'))[0]!;
      const groupId = await pickGroup(kafka, 'second', 'tasks', 1, ([s]) => s !== leader);
      await groupConfigs(kafka, groupId, locks);
      const coordinatorBefore = await stateCoordinator(kafka, groupId, 'tasks', 0);
      const statePartition = groupPartition(shareKeyText({ groupId, topicId: await topicId(kafka, 'tasks'), partition: 0 }), STATE_PARTITIONS);
      if (process.env.SHARE_TEST_DEBUG) console.log(`leader ${leader}:${c.port(leader)} coordinator ${coordinatorBefore}:${c.port(coordinatorBefore)} group coordinator ${(await leaders(kafka, '__consumer_offsets'))[groupPartition(groupId, OFFSETS_PARTITIONS)]}`);
      const d = consumer(groupId, 10);
      assert.deepEqual(values(await pollUntil(d, 10, 30_000)), range(0, 10));
      await killAndWaitForLeader(c, kafka, coordinatorBefore, '__share_group_state', statePartition);
      // The leader writes through the new coordinator: 0–9 acknowledged by this poll, 10–19 by the next; 20–29 stay in flight.
      assert.deepEqual(values(await pollUntil(d, 10, 60_000)), range(10, 20), 'after the coordinator died the leader goes on delivering');
      assert.deepEqual(values(await pollUntil(d, 10, 60_000)), range(20, 30));
      assert.notEqual(await stateCoordinator(kafka, groupId, 'tasks', 0), coordinatorBefore);
      await c.startBroker(coordinatorBefore);
      await waitFor(`broker ${coordinatorBefore} back in the ISR of tasks-0`, async () => (await kafka.admin().describeTopics(['tasks']))[0]!.partitions[0]!.isr.length === 3, 60_000);
      // Now the partition leader dies too: its successor loads what the new coordinator holds.
      await killAndWaitForLeader(c, kafka, leader, 'tasks', 0);
      const e = consumer(groupId, 10);
      const rest = await pollUntil(e, 20, 60_000);
      assert.deepEqual(values(rest).sort((x, y) => x - y), range(20, 40), 'only what was never acknowledged: 20–39');
      for (const r of rest) assert.equal(r.deliveryCount, Number(r.value!.toString()) < 30 ? 2 : 1, `record ${r.value!.toString()}'s delivery count`);

      // --- A controlled shutdown (SIGTERM) of the partition leader: what its last poll got, still in flight, goes to the next leader's member.
      await c.startBroker(leader);
      await waitFor(`broker ${leader} back in the ISR of tasks-0`, async () => (await kafka.admin().describeTopics(['tasks']))[0]!.partitions[0]!.isr.length === 3, 60_000);
      const current = (await leaders(kafka, 'tasks'))[0]!;
      await c.stopBroker(current);
      await waitFor('a new leader of tasks-0 after the controlled shutdown', async () => ![-1, current].includes((await leaders(kafka, 'tasks'))[0]!), 30_000);
      const f = consumer(groupId, 10);
      const again = await pollUntil(f, rest.last.length, 60_000);
      assert.deepEqual(values(again).sort((x, y) => x - y), values(rest.last).sort((x, y) => x - y), 'the records in flight at the shutdown, and only those');
      const before = new Map(rest.last.map((r) => [r.offset, r.deliveryCount]));
      for (const r of again) assert.equal(r.deliveryCount, before.get(r.offset)! + 1, `record ${r.value!.toString()} delivered once more`);
      assert.deepEqual(values(await pollUntil(f, 1, 3000)), [], 'nothing more comes');
    } finally {
      for (const m of consumers) await m.close().catch(() => undefined);
      await kafka.close();
    }
  }, { overrides: OVERRIDES });
});
