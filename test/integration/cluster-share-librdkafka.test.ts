/**
 * Share groups in a cluster with a share consumer nobody here wrote: librdkafka 2.15's preview C
 * API (test/helpers/share-consumer.ts) against etcd and three broker processes. A topic's three
 * partitions are led by the three brokers, and the group is one whose share coordinators (the
 * leaders of `__share_group_state` partitions) are, for some partition, another broker than its
 * leader. Two librdkafka share consumers get every record once between them, and what they
 * acknowledged is durable at the share coordinators: kafka-share-groups --describe shows the start
 * offsets moved past it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createClient } from '../../src/client/index.js';
import { groupPartition } from '../../src/coordinator/group/records.js';
import { shareKeyText } from '../../src/coordinator/share/records.js';
import { run } from '../helpers/broker.js';
import { withClusterProcesses } from '../helpers/cluster-processes.js';
import { runShareConsumer, shareConsumerBinary } from '../helpers/share-consumer.js';
import { waitFor } from '../helpers/wait.js';

const BIN = fileURLToPath(new URL('../../../bin/kafka-share-groups.sh', import.meta.url));
const STATE_PARTITIONS = 6;
const OVERRIDES = {
  'offsets.topic.num.partitions': '3',
  'offsets.topic.replication.factor': '3',
  'share.coordinator.state.topic.num.partitions': String(STATE_PARTITIONS),
  'share.coordinator.state.topic.replication.factor': '3',
  'auto.leader.rebalance.enable': 'false',
  'group.share.min.heartbeat.interval.ms': '500',
  'group.share.heartbeat.interval.ms': '500',
};

test('share groups in a cluster with librdkafka 2.15: two share consumers of a topic led by three brokers get every record once; their acknowledgements reach share coordinators on other brokers', { timeout: 180_000 }, async () => {
  await shareConsumerBinary();
  await withClusterProcesses(async (c) => {
    const kafka = createClient({ bootstrapServers: c.bootstrap });
    try {
      const admin = kafka.admin();
      const leadersOf = async (topic: string) => (await admin.describeTopics([topic]))[0]!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.leader);
      await admin.createTopics([{ topic: 'rd-jobs', replicaAssignment: [[1, 2, 3], [2, 3, 1], [3, 1, 2]] }]);
      await waitFor('leaders for rd-jobs', async () => (await leadersOf('rd-jobs')).join() === '1,2,3', 30_000);
      const values = Array.from({ length: 150 }, (_, i) => `r${i}`);
      await kafka.producer().send({ topic: 'rd-jobs', acks: -1, messages: values.map((value, i) => ({ value, partition: i % 3 })) });

      // A first consumer has the brokers create __share_group_state; then a group is picked whose
      // state, for some partition, is at another broker than that partition's leader.
      const setUp = (group: string) => admin.incrementalAlterConfigs({ type: 'group', name: group }, [{ name: 'share.auto.offset.reset', op: 'set', value: 'earliest' }]);
      await setUp('rd-warmup');
      await runShareConsumer({ bootstrap: c.bootstrap, groupId: 'rd-warmup', topic: 'rd-jobs', mode: 'accept', count: 1, idleMs: 3000 });
      await waitFor('leaders for __share_group_state', async () => (await leadersOf('__share_group_state').catch(() => [])).filter((l) => l > 0).length === STATE_PARTITIONS, 30_000);
      const stateLeaders = await leadersOf('__share_group_state');
      const topicId = (await admin.describeTopics(['rd-jobs']))[0]!.topicId;
      const coordinators = (g: string) => [0, 1, 2].map((p) => stateLeaders[groupPartition(shareKeyText({ groupId: g, topicId, partition: p }), STATE_PARTITIONS)]!);
      const group = Array.from({ length: 50 }, (_, i) => `rd-workers-${i}`).find((g) => coordinators(g).some((s, p) => s !== p + 1));
      assert.ok(group !== undefined, 'a group with a share coordinator away from its partition leader');
      await setUp(group);

      const runs = await Promise.all([0, 1].map(() => runShareConsumer({ bootstrap: c.bootstrap, groupId: group, topic: 'rd-jobs', mode: 'accept', idleMs: 6000, timeoutMs: 90_000, conf: { 'max.poll.records': '10', 'process.ms': '5' } })));
      const all = runs.flatMap((r) => r.records.map((m) => m.value));
      assert.equal(new Set(all).size, all.length, `no record goes to two consumers\n${runs.map((r) => r.stderr).join('\n')}`);
      assert.deepEqual([...all].sort(), [...values].sort(), 'together they get every record');

      // Acknowledged at the share coordinators: the start offsets are past every record.
      let rows: string[][] = [];
      await waitFor('the start offsets past the acknowledged records', async () => {
        const d = await run(BIN, ['--bootstrap-server', c.bootstrap, '--describe', '--group', group], { timeoutMs: 30_000 });
        rows = d.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/).slice(1, 4));
        return JSON.stringify(rows) === JSON.stringify([['rd-jobs', '0', '50'], ['rd-jobs', '1', '50'], ['rd-jobs', '2', '50']]);
      }, 30_000).catch((err: Error) => {
        throw new Error(`${err.message}: kafka-share-groups --describe gave ${JSON.stringify(rows)}`);
      });
    } finally {
      await kafka.close();
    }
  }, { brokers: 3, overrides: OVERRIDES });
});
