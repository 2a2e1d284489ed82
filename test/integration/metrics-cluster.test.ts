/**
 * The metrics of a three-broker cluster (etcd and broker processes), each broker's /metrics
 * scraped: leaderships sum to the partition count and one broker is the active controller; a
 * group's lag, reported by its coordinator for partitions other brokers lead, equals what
 * `consumer-groups --describe` prints; a broker stopped makes partitions under-replicated and ISRs
 * shrink, and once it is back they are whole again and the ISRs have expanded; produce and fetch
 * requests count per topic as Kafka counts them, failed ones too; a KIP-848 consumer group joining and leaving moves
 * the group coordinator metrics (share groups, served on a single broker only, in metrics.test.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '../../src/client/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import { freePort, installed, run } from '../helpers/broker.js';
import { CLI_PATH, WireClient } from '../helpers/broker-process.js';
import { startClusterProcesses, type ClusterProcesses } from '../helpers/cluster-processes.js';
import { createReplicatedTopic, kcatMetadata, partitions, waitForIsr } from '../helpers/cluster-checks.js';
import { scrape, value, type Sample } from '../helpers/metrics-text.js';
import { waitFor } from '../helpers/wait.js';

const HAVE_KCAT = await installed('kcat', ['-V']);
const SKIP = HAVE_KCAT ? false : 'kcat is not installed (Debian package kcat)';
const TOPIC = 'metered';
const GROUP = 'metered-lag';
/** A topic of replication factor 1, so that the coordinator holds no replica of most of it. */
const LONE_TOPIC = 'metered-lone';
const TOPICS = [TOPIC, LONE_TOPIC];
/** Records per partition, and the offsets the group commits: its lag is the difference. */
const RECORDS = [10, 20, 30];
const COMMITTED = [2, 5, 7];
const WAIT_MS = 30_000;

let cluster: ClusterProcesses | null = null;
const metricsPorts = new Map<number, number>();

const c = (): ClusterProcesses => cluster!;
const url = (id: number): string => `http://127.0.0.1:${metricsPorts.get(id)}/metrics`;
/** Every running broker's samples, by broker id. */
async function scrapeAll(ids: number[] = c().brokerIds): Promise<Map<number, Sample[]>> {
  return new Map(await Promise.all(ids.map(async (id): Promise<[number, Sample[]]> => [id, await scrape(url(id))])));
}
/** A metric summed over brokers (missing counts 0). */
function sum(all: Map<number, Sample[]>, name: string, labels: Record<string, string> = {}): number {
  let n = 0;
  for (const samples of all.values()) n += value(samples, name, labels) ?? 0;
  return n;
}

before(async () => {
  if (SKIP !== false) return;
  const overrides: Record<number, Record<string, string>> = {};
  for (const id of [1, 2, 3]) {
    metricsPorts.set(id, await freePort());
    overrides[id] = { 'metrics.listener': `http://127.0.0.1:${metricsPorts.get(id)}` };
  }
  cluster = await startClusterProcesses({
    brokerOverrides: overrides,
    overrides: { 'offsets.topic.num.partitions': '6', 'group.initial.rebalance.delay.ms': '0' },
  });
  assert.deepEqual(cluster.brokerIds, [1, 2, 3]);
});

after(async () => {
  await cluster?.destroy();
});

test('leaders sum to the partitions, one active controller; the coordinator reports the lag of partitions led elsewhere (without a replica on it too) as consumer-groups --describe does', { skip: SKIP, timeout: 180_000 }, async () => {
  await createReplicatedTopic(c().bootstrap, TOPIC, 3);
  // Replication factor 1: two of its three partitions have no replica on the group's coordinator.
  const created = await run(process.execPath, [CLI_PATH, 'topics', '--bootstrap-server', c().bootstrap, '--create', '--topic', LONE_TOPIC, '--partitions', '3', '--replication-factor', '1'], { timeoutMs: 30_000 });
  assert.equal(created.code, 0, created.stderr);
  const kafka = createClient({ bootstrapServers: c().bootstrap });
  try {
    const producer = kafka.producer();
    for (const topic of TOPICS)
      for (const [partition, n] of RECORDS.entries()) await producer.send({ topic, messages: Array.from({ length: n }, (_, i) => ({ partition, value: `r${i}` })) });
    await kafka.admin().commitOffsets(GROUP, TOPICS.flatMap((topic) => COMMITTED.map((offset, partition) => ({ topic, partition, offset }))));
    await waitForIsr(c().bootstrap, '__consumer_offsets', 3);

    // Every partition of the cluster (the internal topics' too) is led by exactly one broker.
    const meta = await kcatMetadata(c().bootstrap);
    const partitionCount = meta.topics.reduce((n, t) => n + t.partitions.length, 0);
    let all = await scrapeAll();
    assert.equal(sum(all, 'kafka_server_replicamanager_leadercount'), partitionCount, `leaders per broker: ${[...all].map(([id, s]) => `${id}=${value(s, 'kafka_server_replicamanager_leadercount')}`).join(' ')}`);
    assert.equal(sum(all, 'kafka_controller_kafkacontroller_activecontrollercount'), 1, 'one active controller');
    assert.equal(sum(all, 'kafka_controller_kafkacontroller_offlinepartitionscount'), 0);

    // The group's coordinator, alone, reports its lag, for every partition, leaders elsewhere included.
    const lagOf = (s: Sample[], topic: string, p: number) => value(s, 'kafka_consumergroup_lag', { consumergroup: GROUP, topic, partition: String(p) });
    let coordinator = -1;
    await waitFor('one broker to report the lag of every partition of the group', async () => {
      all = await scrapeAll();
      const reporting = [...all].filter(([, s]) => TOPICS.every((t) => [0, 1, 2].every((p) => lagOf(s, t, p) === RECORDS[p]! - COMMITTED[p]!)));
      coordinator = reporting.length === 1 ? reporting[0]![0] : -1;
      return coordinator > 0;
    }, WAIT_MS);
    const lone = await partitions(c().bootstrap, LONE_TOPIC);
    assert.ok(lone.some((p) => !p.replicas.includes(coordinator)), `some partition of ${LONE_TOPIC} has no replica on the coordinator ${coordinator}: ${JSON.stringify(lone)}`);
    for (const [id, s] of all) if (id !== coordinator) assert.equal(s.some((x) => x.name === 'kafka_consumergroup_lag' && x.labels.consumergroup === GROUP), false, `broker ${id} is not the coordinator`);

    // More records where the coordinator has no replica: the next scrape asks the leader again.
    const away = lone.find((p) => !p.replicas.includes(coordinator))!;
    await producer.send({ topic: LONE_TOPIC, messages: [{ partition: away.partition, value: 'more' }, { partition: away.partition, value: 'more' }] });
    const expected = RECORDS[away.partition]! - COMMITTED[away.partition]! + 2;
    await waitFor(`the lag of ${LONE_TOPIC}-${away.partition} to follow its leader`, async () => lagOf(await scrape(url(coordinator)), LONE_TOPIC, away.partition) === expected, WAIT_MS);

    const cli = await run(process.execPath, [CLI_PATH, 'consumer-groups', '--bootstrap-server', c().bootstrap, '--describe', '--group', GROUP], { timeoutMs: 30_000 });
    assert.equal(cli.code, 0, cli.stderr);
    const lines = cli.stdout.split('\n');
    const header = lines.findIndex((l) => l.startsWith('GROUP'));
    const rows = lines.slice(header + 1).filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/));
    const coordinatorSamples = await scrape(url(coordinator));
    let total = 0;
    for (const topic of TOPICS) {
      const leaders = (await partitions(c().bootstrap, topic)).map((p) => p.leader);
      for (const p of [0, 1, 2]) {
        const row = rows.find((r) => r[1] === topic && r[2] === String(p));
        assert.ok(row !== undefined, `no row for ${topic}-${p} in:\n${cli.stdout}`);
        const labels = { consumergroup: GROUP, topic, partition: String(p) };
        assert.equal(value(coordinatorSamples, 'kafka_consumergroup_lag', labels), Number(row[5]), `${topic}-${p} (leader ${leaders[p]}, coordinator ${coordinator}): the metric and the CLI's LAG`);
        assert.equal(value(coordinatorSamples, 'kafka_consumergroup_current_offset', labels), Number(row[3]));
        total += Number(row[5]);
      }
    }
    assert.equal(value(coordinatorSamples, 'kafka_consumergroup_lag_sum', { consumergroup: GROUP }), total);

    // Produce and fetch requests count per partition on the leaders; none failed so far.
    all = await scrapeAll();
    assert.ok(sum(all, 'kafka_server_brokertopicmetrics_totalproducerequests_total', { topic: TOPIC }) >= 3);
    assert.equal(sum(all, 'kafka_server_brokertopicmetrics_failedproducerequests_total', { topic: TOPIC }), 0);
    assert.ok(sum(all, 'kafka_server_brokertopicmetrics_totalfetchrequests_total', { topic: TOPIC }) > 0, 'followers fetch');
  } finally {
    await kafka.close();
  }
});

test('request counters as Kafka keeps them: a keyless record on a compacted topic fails; an internal topic counts but does not fail; a partition or topic that does not exist counts nowhere', { skip: SKIP, timeout: 60_000 }, async () => {
  const id = c().brokerIds[0]!;
  const kafka = createClient({ bootstrapServers: c().bootstrap });
  try {
    await kafka.admin().createTopics([{ topic: 'metered-compacted', replicaAssignment: [[id]], configs: { 'cleanup.policy': 'compact' } }]);
  } finally {
    await kafka.close();
  }
  await waitFor('the compacted topic on its broker', async () => (await scrape(url(id))).some((s) => s.labels.topic === 'metered-compacted'));
  const before = await scrape(url(id));
  const w = await WireClient.connect(c().port(id));
  try {
    const records = await encodeRecordBatch([{ key: null, value: 'x' }]);
    const produce = async (name: string, index: number): Promise<number> => {
      const r = await w.request(0, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name, partitionData: [{ index, records }] }] });
      return r.responses[0].partitionResponses[0].errorCode as number;
    };
    assert.equal(await produce('metered-compacted', 0), ErrorCode.INVALID_RECORD);
    assert.equal(await produce(TOPIC, 7), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(await produce('__consumer_offsets', 0), ErrorCode.INVALID_TOPIC_EXCEPTION);
    assert.equal(await produce('never-created', 0), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const fetched = await w.request(1, 12, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, rackId: '',
      topics: [{ topic: TOPIC, partitions: [{ partition: 9, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [],
    });
    assert.equal(fetched.responses[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  } finally {
    w.close();
  }
  const now = await scrape(url(id));
  const moved = (name: string, labels: Record<string, string> = {}): number => (value(now, name, labels) ?? 0) - (value(before, name, labels) ?? 0);
  const failed = 'kafka_server_brokertopicmetrics_failedproducerequests_total';
  const total = 'kafka_server_brokertopicmetrics_totalproducerequests_total';
  assert.deepEqual([moved(total, { topic: 'metered-compacted' }), moved(failed, { topic: 'metered-compacted' })], [1, 1], 'the invalid record: counted and failed');
  assert.deepEqual([moved(total, { topic: '__consumer_offsets' }), moved(failed, { topic: '__consumer_offsets' })], [1, 0], 'the internal topic: counted, an expected refusal');
  assert.deepEqual([moved(total, { topic: TOPIC }), moved(failed, { topic: TOPIC })], [0, 0], 'a partition that does not exist: refused before the log');
  assert.equal(moved(failed), 1, 'all topics: only the invalid record failed');
  assert.equal(now.some((s) => s.labels.topic === 'never-created'), false, 'no series for a topic that does not exist');
  assert.equal(moved('kafka_server_brokertopicmetrics_failedfetchrequests_total'), 0, 'a fetch of a partition that does not exist is not a failure');
});

test('a KIP-848 consumer group joining and leaving moves group-count, consumer-group-count and the rebalance counter on its coordinator', { skip: SKIP, timeout: 120_000 }, async () => {
  const kafka = createClient({ bootstrapServers: c().bootstrap });
  try {
    const start = await scrapeAll();
    const consumer = kafka.consumer({ groupId: 'metered-848', groupProtocol: 'consumer', autoOffsetReset: 'earliest', autoCommit: false });
    consumer.subscribe([TOPIC]);
    const deadline = Date.now() + WAIT_MS;
    while (Date.now() < deadline && consumer.assignment().length < 3) await consumer.poll({ timeoutMs: 200 });
    assert.equal(consumer.assignment().length, 3);
    let all = await scrapeAll();
    assert.equal(sum(all, 'kafka_server_group_coordinator_metrics_group_count', { protocol: 'consumer' }), sum(start, 'kafka_server_group_coordinator_metrics_group_count', { protocol: 'consumer' }) + 1);
    assert.equal(sum(all, 'kafka_server_group_coordinator_metrics_consumer_group_count', { state: 'Stable' }), 1);
    const joined = sum(all, 'kafka_server_group_coordinator_metrics_consumer_group_rebalance_total');
    assert.ok(joined > sum(start, 'kafka_server_group_coordinator_metrics_consumer_group_rebalance_total'), 'the join bumped the group epoch');
    await consumer.close();
    await waitFor('the leave to count as a rebalance and empty the group', async () => {
      all = await scrapeAll();
      return sum(all, 'kafka_server_group_coordinator_metrics_consumer_group_rebalance_total') > joined && sum(all, 'kafka_server_group_coordinator_metrics_consumer_group_count', { state: 'Empty' }) >= 1;
    }, WAIT_MS);
    assert.equal(sum(all, 'kafka_server_group_coordinator_metrics_consumer_group_count', { state: 'Stable' }), 0);

  } finally {
    await kafka.close();
  }
});

test('a broker stopped: partitions under-replicated and ISRs shrunk; back: none under-replicated and ISRs expanded', { skip: SKIP, timeout: 180_000 }, async () => {
  const victim = 3;
  const live = c().brokerIds.filter((id) => id !== victim);
  const start = await scrapeAll();
  await c().stopBroker(victim);
  let all = await scrapeAll(live);
  await waitFor('partitions under-replicated on the brokers left', async () => {
    all = await scrapeAll(live);
    return sum(all, 'kafka_server_replicamanager_underreplicatedpartitions') > 0;
  }, WAIT_MS);
  const shrinks = (m: Map<number, Sample[]>) => live.reduce((n, id) => n + (value(m.get(id)!, 'kafka_server_replicamanager_isrshrinks_total') ?? 0), 0);
  const expands = (m: Map<number, Sample[]>) => live.reduce((n, id) => n + (value(m.get(id)!, 'kafka_server_replicamanager_isrexpands_total') ?? 0), 0);
  assert.ok(shrinks(all) > shrinks(start), `ISR shrinks on the leaders: ${shrinks(start)} → ${shrinks(all)}`);
  const shrunk = expands(all);

  await c().startBroker(victim);
  await waitForIsr(c().bootstrap, TOPIC, 3, 60_000);
  await waitFor('no partition under-replicated', async () => {
    all = await scrapeAll();
    return sum(all, 'kafka_server_replicamanager_underreplicatedpartitions') === 0;
  }, 60_000);
  assert.ok(expands(all) > shrunk, `ISR expansions on the leaders: ${shrunk} → ${expands(all)}`);
  assert.equal(sum(all, 'kafka_controller_kafkacontroller_activecontrollercount'), 1);
});
