// The Prometheus endpoint (metrics.listener): a broker driven by KafkaJS, a group left with a
// lag, then /metrics scraped with fetch() and with curl and its values checked against what was
// produced and what KafkaJS's admin reports; /healthz and /readyz; a bad value refused at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { createClient } from '../../src/client/index.js';
import { createServer, type AddressInfo } from 'node:net';
import { FRESH_MS, REFRESH_WAIT_MS_MAX, RemoteHighWatermarks } from '../../src/broker/metrics/remote-high-watermarks.js';
import { Broker } from '../../src/broker/broker.js';
import { MetricsService } from '../../src/broker/metrics/metrics-server.js';
import { createLogger } from '../../src/util/logger.js';
import { freePort, installed, run } from '../helpers/broker.js';
import { CLI_PATH } from '../helpers/broker-process.js';
import { parse, value } from '../helpers/metrics-text.js';

const TOPIC = 'metrics-orders';
const GROUP = 'metrics-group';
/** Messages per partition before the group reads, and after it stopped (its lag). */
const FIRST = [12, 8];
const LAG = [5, 2];
const WAIT_MS_MAX = 20_000;

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS_MAX;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test('/metrics reports what KafkaJS produced and consumed, the group lag per partition, and request histograms; curl sees the same', async () => {
  const metricsPort = await freePort();
  const broker = await Broker.start({ port: 0, config: { 'metrics.listener': `http://127.0.0.1:${metricsPort}`, 'group.initial.rebalance.delay.ms': '0' } });
  const kafka = new Kafka({ clientId: 'metrics-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
  const admin = kafka.admin();
  const producer = kafka.producer();
  try {
    assert.equal(broker.metricsUrl, `http://127.0.0.1:${metricsPort}/metrics`);
    const base = `http://127.0.0.1:${metricsPort}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    assert.equal((await fetch(`${base}/nothing`)).status, 404);

    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }] });
    await producer.connect();
    const send = (counts: number[]) =>
      producer.send({ topic: TOPIC, messages: counts.flatMap((n, partition) => Array.from({ length: n }, (_, i) => ({ partition, value: `order ${partition}-${i}` }))) });
    await send(FIRST);

    // The group reads everything there is, commits and leaves; then more arrives: its lag.
    const consumer = kafka.consumer({ groupId: GROUP });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    let seen = 0;
    await consumer.run({ eachMessage: async () => void seen++ });
    const firstTotal = FIRST[0]! + FIRST[1]!;
    await until('the group to commit every message', async () => {
      const [t] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
      return seen === firstTotal && t!.partitions.reduce((n, p) => n + Number(p.offset), 0) === firstTotal;
    });
    await consumer.disconnect();
    await send(LAG);

    // The real lag, as a client computes it: the high watermark less the committed offset.
    const ends = await admin.fetchTopicOffsets(TOPIC);
    const [committed] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    const realLag = (p: number) => Number(ends.find((e) => e.partition === p)!.high) - Number(committed!.partitions.find((c) => c.partition === p)!.offset);
    assert.deepEqual([realLag(0), realLag(1)], LAG);

    const res = await fetch(broker.metricsUrl!);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const samples = parse(text);
    const produced = FIRST[0]! + FIRST[1]! + LAG[0]! + LAG[1]!;
    assert.equal(value(samples, 'kafka_server_brokertopicmetrics_messagesin_total', { topic: TOPIC }), produced);
    assert.equal(value(samples, 'kafka_server_brokertopicmetrics_messagesin_total'), produced, 'only this topic was produced to');
    assert.ok(value(samples, 'kafka_server_brokertopicmetrics_bytesin_total', { topic: TOPIC })! > 0);
    assert.ok(value(samples, 'kafka_server_brokertopicmetrics_bytesout_total', { topic: TOPIC })! > 0);
    for (const p of [0, 1]) {
      const labels = { consumergroup: GROUP, topic: TOPIC, partition: String(p) };
      assert.equal(value(samples, 'kafka_consumergroup_lag', labels), realLag(p), `lag of partition ${p}`);
      assert.equal(value(samples, 'kafka_consumergroup_current_offset', labels), FIRST[p]);
      assert.equal(value(samples, 'kafka_log_log_logendoffset', { topic: TOPIC, partition: String(p) }), FIRST[p]! + LAG[p]!);
      assert.equal(value(samples, 'kafka_log_log_logstartoffset', { topic: TOPIC, partition: String(p) }), 0);
      assert.ok(value(samples, 'kafka_log_log_size', { topic: TOPIC, partition: String(p) })! > 0);
    }
    assert.equal(value(samples, 'kafka_consumergroup_lag_sum', { consumergroup: GROUP }), LAG[0]! + LAG[1]!);
    assert.equal(value(samples, 'kafka_coordinator_group_groupmetadatamanager_numgroups', { state: 'Empty', type: 'classic' }), 1);
    assert.ok(value(samples, 'kafka_server_group_coordinator_metrics_group_rebalance_total')! >= 1);
    assert.ok(value(samples, 'kafka_network_requestmetrics_requests_total', { request: 'Produce' })! >= 2);
    for (const request of ['Produce', 'FetchConsumer', 'Metadata']) {
      const count = value(samples, 'kafka_network_requestmetrics_totaltimems_count', { request })!;
      assert.ok(count > 0, `${request} has a total time histogram`);
      assert.equal(value(samples, 'kafka_network_requestmetrics_totaltimems_bucket', { request, le: '+Inf' }), count);
      assert.equal(value(samples, 'kafka_network_requestmetrics_requestqueuetimems_count', { request }), count);
      assert.equal(value(samples, 'kafka_network_requestmetrics_responsequeuetimems_count', { request }), count);
    }
    assert.ok(value(samples, 'kafka_server_brokertopicmetrics_totalproducerequests_total', { topic: TOPIC })! >= 4, 'two sends to two partitions');
    assert.equal(value(samples, 'kafka_server_brokertopicmetrics_failedproducerequests_total', { topic: TOPIC }), 0);
    assert.ok(value(samples, 'kafka_server_brokertopicmetrics_totalfetchrequests_total', { topic: TOPIC })! >= 2);
    assert.equal(value(samples, 'kafka_server_brokertopicmetrics_failedfetchrequests_total', { topic: TOPIC }), 0);
    assert.equal(value(samples, 'kafka_server_group_coordinator_metrics_group_count', { protocol: 'classic' }), 1);
    assert.equal(value(samples, 'kafka_server_group_coordinator_metrics_group_count', { protocol: 'consumer' }), 0);
    assert.equal(value(samples, 'kafka_server_group_coordinator_metrics_consumer_group_count', { state: 'Stable' }), 0);
    assert.equal(value(samples, 'kafka_server_replicamanager_underreplicatedpartitions'), 0);
    assert.equal(value(samples, 'kafka_controller_kafkacontroller_activecontrollercount'), 1);
    assert.ok(value(samples, 'kafka_server_replicamanager_leadercount')! >= 2);
    assert.ok(value(samples, 'kafka_server_socket_server_metrics_connection_count', { listener: 'PLAINTEXT' })! >= 1);
    assert.ok(value(samples, 'process_resident_memory_bytes')! > 0);
    assert.ok(samples.some((s) => s.name === 'nodejs_eventloop_lag_seconds'));

    // Every metric the Grafana dashboard in the repository charts is served.
    const dashboard = await readFile(new URL('../../../docs/grafana/samsa.json', import.meta.url), 'utf8');
    const charted = new Set([...dashboard.matchAll(/\b(?:kafka|process|nodejs)_[a-z0-9_]+/g)].map(([n]) => n));
    // Declared by a TYPE line (a counter with nothing counted yet has no sample).
    const served = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map(([, n]) => n!));
    assert.ok(charted.size >= 20);
    for (const name of charted) assert.ok(served.has(name) || served.has(name.replace(/_(bucket|sum|count)$/, '')), `the dashboard charts ${name}, which /metrics does not serve`);

    if (await installed('curl', ['--version'])) {
      const curled = await run('curl', ['-sS', '--fail', broker.metricsUrl!], { timeoutMs: 10_000 });
      assert.equal(curled.code, 0, curled.stderr);
      const viaCurl = parse(curled.stdout);
      assert.equal(value(viaCurl, 'kafka_server_brokertopicmetrics_messagesin_total', { topic: TOPIC }), produced);
      assert.equal(value(viaCurl, 'kafka_consumergroup_lag', { consumergroup: GROUP, topic: TOPIC, partition: '0' }), LAG[0]);
      const ready = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `${base}/readyz`], { timeoutMs: 10_000 });
      assert.equal(ready.stdout, '200');
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await broker.stop();
  }
  // The listener closes with the broker.
  await assert.rejects(fetch(`${broker.metricsUrl!.replace('/metrics', '/healthz')}`));
});

test('/readyz answers 503 until the broker serves, /healthz 200 at once', async () => {
  const service = (await MetricsService.open({ 'metrics.listener': 'http://127.0.0.1:0' }, createLogger('error')))!;
  try {
    const base = service.url.replace('/metrics', '');
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 503);
    assert.equal((await fetch(service.url)).status, 200);
  } finally {
    await service.close();
  }
});

test('without metrics.listener no endpoint opens; a bad value stops the start with a sentence naming the key', async () => {
  const plain = await Broker.start({ port: 0 });
  assert.equal(plain.metricsUrl, null);
  await plain.stop();
  for (const bad of ['127.0.0.1:9644', 'https://127.0.0.1:9644', 'http://127.0.0.1:99999', 'http://127.0.0.1']) {
    await assert.rejects(Broker.start({ port: 0, config: { 'metrics.listener': bad } }), (err: Error) => err.name === 'ConfigError' && err.message.startsWith('metrics.listener: '), bad);
  }
  const dir = await mkdtemp(join(tmpdir(), 'samsa-metrics-'));
  try {
    const r = await run(process.execPath, [CLI_PATH, 'server', 'start', '--override', `log.dirs=${dir}`, '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', 'metrics.listener=localhost:9644'], { timeoutMs: 20_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: metrics\.listener: 'localhost:9644' is not http:\/\/host:port/m);
    // A port in use is refused the same way, naming the key.
    const busy = await MetricsService.open({ 'metrics.listener': 'http://127.0.0.1:0' }, createLogger('error'));
    try {
      const taken = await run(process.execPath, [CLI_PATH, 'server', 'start', '--override', `log.dirs=${dir}`, '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `metrics.listener=http://127.0.0.1:${busy!.address.port}`], { timeoutMs: 20_000 });
      assert.equal(taken.code, 1);
      assert.match(taken.stderr, /^Error: metrics\.listener: cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/m);
    } finally {
      await busy!.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a share group joining and leaving moves group-count{protocol="share"}, share-group-count per state and share-group-rebalance', { timeout: 60_000 }, async () => {
  const metricsPort = await freePort();
  const broker = await Broker.start({ port: 0, config: { 'metrics.listener': `http://127.0.0.1:${metricsPort}`, 'samsa.share.auto.offset.reset': 'earliest' } });
  const kafka = createClient({ bootstrapServers: broker.bootstrap });
  const scrape = async () => parse(await (await fetch(broker.metricsUrl!)).text());
  const metric = (name: string) => `kafka_server_group_coordinator_metrics_${name}`;
  try {
    await kafka.admin().createTopics([{ topic: 'shared-jobs', numPartitions: 1 }]);
    await kafka.producer().send({ topic: 'shared-jobs', messages: [{ value: 'job' }] });
    let samples = await scrape();
    assert.equal(value(samples, metric('group_count'), { protocol: 'share' }), 0);
    for (const state of ['Empty', 'Stable', 'Dead']) assert.equal(value(samples, metric('share_group_count'), { state }), 0, state);
    assert.equal(value(samples, metric('share_group_rebalance_total')), 0);
    const share = kafka.shareConsumer({ groupId: 'metered-share' });
    share.subscribe(['shared-jobs']);
    let got = 0;
    const deadline = Date.now() + WAIT_MS_MAX;
    while (Date.now() < deadline && got === 0) got += (await share.poll({ timeoutMs: 300 })).length;
    assert.equal(got, 1);
    samples = await scrape();
    assert.equal(value(samples, metric('group_count'), { protocol: 'share' }), 1);
    assert.equal(value(samples, metric('share_group_count'), { state: 'Stable' }), 1);
    const joined = value(samples, metric('share_group_rebalance_total'))!;
    assert.ok(joined >= 1, 'the join bumped the group epoch');
    await share.close();
    samples = await scrape();
    assert.equal(value(samples, metric('share_group_count'), { state: 'Stable' }), 0);
    assert.equal(value(samples, metric('share_group_count'), { state: 'Empty' }), 1);
    assert.ok(value(samples, metric('share_group_rebalance_total'))! > joined, 'the leave bumped it again');
  } finally {
    await kafka.close();
    await broker.stop();
  }
});

test('high watermarks from a leader: a ListOffsets answered is cached; a peer that never answers holds a refresh 1 s at most', { timeout: 30_000 }, async () => {
  const broker = await Broker.start({ port: 0 });
  const kafka = createClient({ bootstrapServers: broker.bootstrap });
  // A peer that accepts connections and never answers.
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const silentPort = (silent.address() as AddressInfo).port;
  const hw = new RemoteHighWatermarks({
    nodeId: 99, logger: createLogger('error'),
    endpointOf: (id) => (id === 1 ? { host: '127.0.0.1', port: broker.port } : id === 2 ? { host: '127.0.0.1', port: silentPort } : null),
  });
  try {
    await kafka.admin().createTopics([{ topic: 'elsewhere', numPartitions: 1 }]);
    await kafka.producer().send({ topic: 'elsewhere', messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
    await hw.refresh([{ topic: 'elsewhere', partition: 0, leader: 1 }]);
    assert.equal(hw.highWatermark('elsewhere', 0), 3);
    await kafka.producer().send({ topic: 'elsewhere', messages: [{ value: 'd' }] });
    await hw.refresh([{ topic: 'elsewhere', partition: 0, leader: 1 }]);
    assert.equal(hw.highWatermark('elsewhere', 0), 3, 'asked less than a second ago: the cached answer');
    await sleep(FRESH_MS);
    await hw.refresh([{ topic: 'elsewhere', partition: 0, leader: 1 }]);
    assert.equal(hw.highWatermark('elsewhere', 0), 4);

    const t0 = Date.now();
    await hw.refresh([{ topic: 'stuck', partition: 0, leader: 2 }, { topic: 'nowhere', partition: 0, leader: 3 }]);
    const waitedMs = Date.now() - t0;
    assert.ok(waitedMs < REFRESH_WAIT_MS_MAX + 500, `a scrape waited ${waitedMs} ms for a silent peer`);
    assert.equal(hw.highWatermark('stuck', 0), undefined);
    assert.equal(hw.highWatermark('nowhere', 0), undefined, 'a broker that is not registered');
  } finally {
    hw.close();
    silent.close();
    await kafka.close();
    await broker.stop();
  }
});
