/**
 * A real Prometheus (Debian's) scrapes the broker's metrics.listener while kcat produces and a
 * KafkaJS group consumes part of it; queries over Prometheus' HTTP API — as a Grafana panel of
 * docs/grafana/samsa.json sends them — give the messages produced, the group's lag per
 * partition, and request rates by API.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/broker/broker.js';
import { freePort, installed, run } from '../helpers/broker.js';
import { havePrometheus, PROMETHEUS_INSTALL_HINT, startPrometheus } from '../helpers/prometheus.js';
import { waitFor } from '../helpers/wait.js';

const HAVE_PROMETHEUS = await havePrometheus();
const HAVE_KCAT = await installed('kcat', ['-V']);
const SKIP = !HAVE_PROMETHEUS ? `prometheus is not installed: ${PROMETHEUS_INSTALL_HINT}` : !HAVE_KCAT ? 'kcat is not installed (Debian package kcat)' : false;

test('Prometheus scrapes the broker: messages in, consumer lag per partition and request rates queried as a dashboard does', { skip: SKIP, timeout: 90_000 }, async () => {
  const metricsPort = await freePort();
  const broker = await Broker.start({ port: 0, config: { 'metrics.listener': `http://127.0.0.1:${metricsPort}`, 'group.initial.rebalance.delay.ms': '0', 'num.partitions': '2' } });
  const prometheus = await startPrometheus([`127.0.0.1:${metricsPort}`]);
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  try {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'scraped', numPartitions: 2 }] });
    const lines = Array.from({ length: 30 }, (_, i) => `${i % 2}:v${i}`).join('\n') + '\n';
    for (const p of [0, 1]) {
      const input = lines.split('\n').filter((l) => l.startsWith(`${p}:`)).map((l) => l.slice(2)).join('\n') + '\n';
      const r = await run('kcat', ['-b', broker.bootstrap, '-P', '-t', 'scraped', '-p', String(p)], { input, timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
    }
    // The group reads 15 records and commits them; then 4 more land on partition 0: a lag of 4 there.
    await admin.setOffsets({ groupId: 'dash', topic: 'scraped', partitions: [{ partition: 0, offset: '15' }, { partition: 1, offset: '15' }] });
    await run('kcat', ['-b', broker.bootstrap, '-P', '-t', 'scraped', '-p', '0'], { input: 'a\nb\nc\nd\n', timeoutMs: 30_000 });
    await admin.disconnect();

    await waitFor('Prometheus to scrape the broker', async () => (await prometheus.targets()).some((t) => t.health === 'up'), 30_000);
    const one = async (expr: string): Promise<number | undefined> => (await prometheus.query(expr))[0]?.value;
    await waitFor('the messages produced in Prometheus', async () => (await one('sum(kafka_server_brokertopicmetrics_messagesin_total{topic="scraped"})')) === 34, 30_000);
    const lag = await prometheus.query('kafka_consumergroup_lag{consumergroup="dash",topic="scraped"}');
    assert.deepEqual(lag.map((s) => [s.metric['partition'], s.value]).sort(), [['0', 4], ['1', 0]]);
    assert.equal(await one('kafka_consumergroup_lag_sum{consumergroup="dash"}'), 4);
    // Request counts by API, as the dashboard's request-rate panel sums them.
    const requests = await prometheus.query('sum by (request) (kafka_network_requestmetrics_requests_total)');
    const byApi = new Map(requests.map((s) => [s.metric['request'], s.value]));
    assert.ok((byApi.get('Produce') ?? 0) >= 3, `Produce requests: ${JSON.stringify([...byApi])}`);
    assert.ok((byApi.get('Metadata') ?? 0) >= 1);
    // The failed-requests and groups-per-protocol panels' series.
    assert.equal(await one('sum(kafka_server_brokertopicmetrics_failedproducerequests_total{topic=""})'), 0);
    assert.ok((await one('sum(kafka_server_brokertopicmetrics_totalproducerequests_total{topic="scraped"})'))! >= 3);
    assert.equal(await one('sum by (protocol) (kafka_server_group_coordinator_metrics_group_count{protocol="classic"})'), 1);
    assert.equal(await one('up{job="samsa"}'), 1);
  } finally {
    await prometheus.stop();
    await broker.stop();
  }
});
