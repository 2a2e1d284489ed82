/**
 * Share group membership follows the group's `__consumer_offsets` partition in a cluster (etcd
 * and three broker processes): the group's coordinator is SIGKILLed, the partition's new leader
 * replays the share group records, ShareGroupDescribe there shows the same member ids, epochs and
 * group epoch, and the members carry on consuming without rejoining.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, type ShareConsumer, type ShareRecord } from '../../src/client/index.js';
import { groupPartition } from '../../src/coordinator/group/records.js';
import { withClusterProcesses } from '../helpers/cluster-processes.js';
import { waitFor } from '../helpers/wait.js';

const OFFSETS_PARTITIONS = 5;
const OVERRIDES = {
  'offsets.topic.num.partitions': String(OFFSETS_PARTITIONS),
  'offsets.topic.replication.factor': '3',
  'share.coordinator.state.topic.replication.factor': '3',
  'auto.leader.rebalance.enable': 'false',
  'samsa.share.auto.offset.reset': 'earliest',
  'group.share.min.session.timeout.ms': '6000',
  'group.share.session.timeout.ms': '20000',
  'group.share.min.heartbeat.interval.ms': '1000',
  'group.share.heartbeat.interval.ms': '1000',
};
const COORDINATOR = 3;

type Client = ReturnType<typeof createClient>;

async function leaders(kafka: Client, topic: string): Promise<number[]> {
  const [t] = await kafka.admin().describeTopics([topic]);
  return t!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.leader);
}

/** Polls every consumer (a failed poll is tried again) until `want` distinct records came. */
async function pollAll(cs: ShareConsumer[], want: number, timeoutMs: number): Promise<Set<string>> {
  const got = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  while (got.size < want && Date.now() < deadline) {
    const rounds = await Promise.all(cs.map((c) => c.poll({ timeoutMs: 500 }).catch(async () => {
      await new Promise((r) => setTimeout(r, 200));
      return [] as ShareRecord[];
    })));
    for (const rs of rounds) for (const r of rs) got.add(r.value!.toString());
  }
  return got;
}

test('share groups in a cluster: the group coordinator SIGKILLed, the new one knows the members (ids, epochs) and they keep consuming', { timeout: 180_000 }, async () => {
  await withClusterProcesses(async (c) => {
    const kafka = createClient({ bootstrapServers: c.bootstrap });
    const consumers: ShareConsumer[] = [];
    const shareConsumer = (groupId: string) => {
      const m = kafka.shareConsumer({ groupId, maxRecords: 10 });
      m.subscribe(['jobs']);
      consumers.push(m);
      return m;
    };
    try {
      // The topic is led by brokers 1 and 2, so killing the coordinator (3) moves only coordinators.
      await kafka.admin().createTopics([{ topic: 'jobs', replicaAssignment: [[1, 2, 3], [2, 1, 3]] }]);
      await waitFor('leaders for jobs', async () => (await leaders(kafka, 'jobs')).every((l) => l > 0), 30_000);
      const producer = kafka.producer();
      await producer.send({ topic: 'jobs', acks: -1, messages: Array.from({ length: 40 }, (_, i) => ({ value: `a-${i}`, partition: i % 2 })) });
      // A first share consumer makes the brokers create __consumer_offsets and __share_group_state.
      const warmup = shareConsumer('warmup');
      await pollAll([warmup], 1, 20_000);
      await warmup.close();
      await waitFor('leaders for __consumer_offsets', async () => (await leaders(kafka, '__consumer_offsets').catch(() => [])).filter((l) => l > 0).length === OFFSETS_PARTITIONS, 30_000);
      const offsetsLeaders = await leaders(kafka, '__consumer_offsets');
      const group = Array.from({ length: 100 }, (_, i) => `crew-${i}`).find((g) => offsetsLeaders[groupPartition(g, OFFSETS_PARTITIONS)] === COORDINATOR);
      assert.ok(group !== undefined, `a group coordinated by broker ${COORDINATOR}: ${offsetsLeaders.join(',')}`);
      const groupPart = groupPartition(group, OFFSETS_PARTITIONS);

      const workers = [shareConsumer(group), shareConsumer(group)];
      const first = await pollAll(workers, 40, 60_000);
      assert.equal(first.size, 40);
      await Promise.all(workers.map((w) => w.poll({ timeoutMs: 100 })));
      const before = (await kafka.admin().describeShareGroups([group]))[0]!;
      assert.equal(before.coordinator.nodeId, COORDINATOR);
      assert.equal(before.members.length, 2);

      await c.kill(COORDINATOR);
      await waitFor(`a new leader of __consumer_offsets-${groupPart}`, async () => {
        const l = (await leaders(kafka, '__consumer_offsets').catch(() => []))[groupPart];
        return l !== undefined && l > 0 && l !== COORDINATOR;
      }, 30_000);

      // The new coordinator replayed the group: the same members at the same epochs.
      const after = (await kafka.admin().describeShareGroups([group]))[0]!;
      assert.notEqual(after.coordinator.nodeId, COORDINATOR);
      const members = (d: typeof before) => d.members.map((m) => [m.memberId, m.memberEpoch] as const).sort();
      assert.deepEqual(members(after), members(before));
      assert.equal(after.groupEpoch, before.groupEpoch);
      assert.equal(after.state, 'Stable');

      // They keep consuming through the new coordinator, without rejoining (no epoch moved).
      await producer.send({ topic: 'jobs', acks: -1, messages: Array.from({ length: 40 }, (_, i) => ({ value: `b-${i}`, partition: i % 2 })) });
      const second = await pollAll(workers, 40, 60_000);
      assert.deepEqual([...second].filter((v) => v.startsWith('b-')).length, 40, `got ${[...second].sort().join(',')}`);
      const later = (await kafka.admin().describeShareGroups([group]))[0]!;
      assert.deepEqual(members(later), members(before));
      assert.equal(later.groupEpoch, before.groupEpoch);
    } finally {
      for (const m of consumers) await m.close().catch(() => undefined);
      await kafka.close();
    }
  }, { overrides: OVERRIDES });
});
