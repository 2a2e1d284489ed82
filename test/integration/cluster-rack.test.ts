/**
 * Fetching from the closest replica (KIP-392) on etcd and three broker processes, one per rack,
 * with replica.selector.class=RackAwareReplicaSelector: librdkafka consumers that set client.rack
 * are sent by the leader to the follower in their rack (librdkafka's statistics name the broker
 * each partition is fetched from) and read every record, read_committed included; a consumer in
 * the leader's rack or with no rack stays on the leader.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run, SYSTEM_PYTHON } from '../helpers/broker.js';
import { withClusterProcesses } from '../helpers/cluster-processes.js';
import { createReplicatedTopic, partitions } from '../helpers/cluster-checks.js';

const HAVE = (await run(SYSTEM_PYTHON, ['-c', 'import confluent_kafka'], { timeoutMs: 30_000 })).code === 0;
const SKIP = HAVE ? false : `confluent-kafka not installed (${SYSTEM_PYTHON} cannot import confluent_kafka; Debian package python3-confluent-kafka)`;

/** Reads `count` records of one partition with client.rack = `rack`; prints the count, the values' checksum and the brokers fetched from. */
const CONSUME = `
import sys, json
from confluent_kafka import Consumer, TopicPartition
bootstrap, topic, rack, count, isolation = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
fetched_from = set()
def stats(s):
    d = json.loads(s)
    p = d.get('topics', {}).get(topic, {}).get('partitions', {}).get('0')
    if p is not None and p.get('broker', -1) >= 0:
        fetched_from.add(p['broker'])
conf = {'bootstrap.servers': bootstrap, 'group.id': 'rack-' + rack, 'enable.auto.commit': False,
        'isolation.level': isolation, 'statistics.interval.ms': 200, 'stats_cb': stats,
        'topic.metadata.refresh.interval.ms': 1000}
if rack != '-':
    conf['client.rack'] = rack
c = Consumer(conf)
c.assign([TopicPartition(topic, 0, 0)])
values = []
while len(values) < count:
    m = c.poll(10)
    if m is None:
        break
    if m.error():
        continue
    values.append(m.value().decode())
for _ in range(10):
    c.poll(0.2)
c.close()
print(json.dumps({'count': len(values), 'first': values[:1], 'last': values[-1:], 'brokers': sorted(fetched_from)}))
`;

test('KIP-392: a consumer with client.rack fetches from the in-sync follower in its rack and reads everything; in the leader\'s rack or without a rack it stays on the leader', { skip: SKIP, timeout: 180_000 }, async () => {
  await withClusterProcesses(
    async (c) => {
      await createReplicatedTopic(c.bootstrap, 'near', 1, { 'min.insync.replicas': '2' });
      const lines = Array.from({ length: 3000 }, (_, i) => `v${i}`);
      const produced = await run('kcat', ['-b', c.bootstrap, '-P', '-t', 'near', '-p', '0', '-X', 'acks=-1'], { input: lines.join('\n') + '\n', timeoutMs: 60_000 });
      assert.equal(produced.code, 0, produced.stderr);
      const [p] = await partitions(c.bootstrap, 'near');
      const leader = p!.leader;
      const follower = c.brokerIds.find((id) => id !== leader)!;
      const consume = async (rack: string, isolation: string): Promise<{ count: number; first: string[]; last: string[]; brokers: number[] }> => {
        const r = await run(SYSTEM_PYTHON, ['-c', CONSUME, c.bootstrap, 'near', rack, String(lines.length), isolation], { timeoutMs: 90_000 });
        assert.equal(r.code, 0, r.stderr);
        return JSON.parse(r.stdout.trim().split('\n').pop()!);
      };
      for (const isolation of ['read_uncommitted', 'read_committed']) {
        const near = await consume(`rack-${follower}`, isolation);
        assert.equal(near.count, lines.length, `${isolation}: every record read through the follower`);
        assert.deepEqual([near.first, near.last], [['v0'], ['v2999']]);
        assert.ok(near.brokers.includes(follower), `${isolation}: fetched from follower ${follower} in the client's rack (brokers fetched from: ${near.brokers.join(',')}; leader ${leader})`);
      }
      const home = await consume(`rack-${leader}`, 'read_uncommitted');
      assert.equal(home.count, lines.length);
      assert.deepEqual(home.brokers, [leader], 'a consumer in the leader\'s rack fetches from the leader only');
      const none = await consume('-', 'read_uncommitted');
      assert.deepEqual(none.brokers, [leader], 'a consumer without a rack fetches from the leader only');
    },
    {
      overrides: { 'replica.selector.class': 'org.apache.kafka.common.replica.RackAwareReplicaSelector' },
      brokerOverrides: { 1: { 'broker.rack': 'rack-1' }, 2: { 'broker.rack': 'rack-2' }, 3: { 'broker.rack': 'rack-3' } },
    },
  );
});
