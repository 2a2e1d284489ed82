/**
 * One lag, three views: a KafkaJS group commits part of a topic, more is produced, and the lag per
 * partition that `samsa consumer-groups --describe` prints, that the console's lag API answers and
 * that /metrics reports (kafka_consumergroup_lag) are the same numbers — and KafkaJS's own admin
 * (log end less committed offset) agrees with them. And LinkedIn's Burrow, which reads the
 * committed offsets from `__consumer_offsets` itself, finds the same lag for a classic group and a
 * KIP-848 one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/broker/broker.js';
import { registerConsoleService } from '../../src/cli/console-service.js';
import { freePort, run } from '../helpers/broker.js';
import { CLI_PATH } from '../helpers/broker-process.js';
import { waitFor } from '../helpers/wait.js';
import { scrape } from '../helpers/metrics-text.js';
import { BURROW_INSTALL_HINT, haveBurrow, startBurrow } from '../helpers/burrow.js';
import { createClient } from '../../src/client/index.js';

const HAVE_BURROW = await haveBurrow();

test('consumer-groups --describe, the console and the metrics report the same lag per partition as KafkaJS computes it', { timeout: 60_000 }, async () => {
  registerConsoleService();
  const [metricsPort, consolePort] = [await freePort(), await freePort()];
  const broker = await Broker.start({ port: 0, config: { 'metrics.listener': `http://127.0.0.1:${metricsPort}`, 'console.listener': `http://127.0.0.1:${consolePort}`, 'group.initial.rebalance.delay.ms': '0' } });
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'lagging', numPartitions: 3 }] });
    const producer = kafka.producer();
    await producer.connect();
    const send = (counts: number[]) => producer.send({ topic: 'lagging', messages: counts.flatMap((n, partition) => Array.from({ length: n }, (_, i) => ({ partition, value: `${partition}-${i}` }))) });
    await send([10, 6, 3]);
    const consumer = kafka.consumer({ groupId: 'agree' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'lagging', fromBeginning: true });
    let read = 0;
    await consumer.run({ eachMessage: async () => void read++ });
    await waitFor('the group to read the first 19', () => read === 19, 30_000);
    await consumer.disconnect();
    await send([4, 0, 7]);
    await producer.disconnect();

    // KafkaJS's view: the topic's end offsets less the group's committed offsets.
    const ends = new Map((await admin.fetchTopicOffsets('lagging')).map((o) => [o.partition, Number(o.high)]));
    const committed = (await admin.fetchOffsets({ groupId: 'agree', topics: ['lagging'] }))[0]!.partitions;
    const expected = committed.map((c) => [c.partition, ends.get(c.partition)! - Number(c.offset)] as [number, number]).sort((a, b) => a[0] - b[0]);
    assert.deepEqual(expected, [[0, 4], [1, 0], [2, 7]]);

    const cli = await run(process.execPath, [CLI_PATH, 'consumer-groups', '--bootstrap-server', broker.bootstrap, '--describe', '--group', 'agree', '--json'], { timeoutMs: 30_000 });
    assert.equal(cli.code, 0, cli.stderr);
    const cliLag = flattenLag(JSON.parse(cli.stdout));

    const api = (await (await fetch(`http://127.0.0.1:${consolePort}/api/groups/agree/lag`)).json()) as { partitions: Array<{ partition: number; lag: number | null }> };
    const consoleLag = api.partitions.map((p) => [p.partition, p.lag] as [number, number]).sort((a, b) => a[0] - b[0]);

    const metricsLag = await scrapedLag(metricsPort, 'agree', 'lagging');

    assert.deepEqual(cliLag, expected, 'consumer-groups --describe');
    assert.deepEqual(consoleLag, expected, 'the console');
    assert.deepEqual(metricsLag, expected, '/metrics');
  } finally {
    await admin.disconnect();
    await broker.stop();
  }
});

/** The (partition, lag) pairs kafka_consumergroup_lag reports for a group's topic. */
async function scrapedLag(metricsPort: number, group: string, topic: string): Promise<Array<[number, number]>> {
  const samples = await scrape(`http://127.0.0.1:${metricsPort}/metrics`);
  return samples
    .filter((x) => x.name === 'kafka_consumergroup_lag' && x.labels['consumergroup'] === group && x.labels['topic'] === topic)
    .map((x) => [Number(x.labels['partition']), x.value] as [number, number])
    .sort((a, b) => a[0] - b[0]);
}

/** The (partition, lag) pairs of consumer-groups --describe --json, whatever its nesting. */
function flattenLag(json: unknown): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o['partition'] === 'number' && 'lag' in o && o['topic'] === 'lagging') out.push([o['partition'], Number(o['lag'])]);
      else Object.values(o).forEach(walk);
    }
  };
  walk(json);
  return out.sort((a, b) => a[0] - b[0]);
}

test('Burrow, reading __consumer_offsets and the log end offsets itself, finds the lag the metrics report, for a KafkaJS classic group and a KIP-848 group', { timeout: 180_000 }, async (t) => {
  assert.ok(HAVE_BURROW, `Burrow is needed: ${BURROW_INSTALL_HINT}`);
  // Each step says when it ended (seconds from the start), so a slow run shows which step was slow.
  const started = Date.now();
  const step = (what: string) => t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
  const metricsPort = await freePort();
  const broker = await Broker.start({ port: 0, config: { 'metrics.listener': `http://127.0.0.1:${metricsPort}`, 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '3' } });
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const samsa = createClient({ bootstrapServers: broker.bootstrap });
  let burrow: Awaited<ReturnType<typeof startBurrow>> | null = null;
  try {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'watched', numPartitions: 3 }] });
    const producer = kafka.producer();
    await producer.connect();
    const send = (counts: number[]) => producer.send({ topic: 'watched', messages: counts.flatMap((n, partition) => Array.from({ length: n }, (_, i) => ({ partition, value: `${partition}-${i}` }))) });
    await send([8, 5, 2]);
    // A classic group (KafkaJS) reads the first 15 and commits them.
    const consumer = kafka.consumer({ groupId: 'watched-classic' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'watched', fromBeginning: true });
    let read = 0;
    await consumer.run({ eachMessage: async () => void read++ });
    await waitFor('the classic group to read 15', () => read === 15, 30_000);
    await consumer.disconnect();
    step('the classic group read and committed 15');
    // Burrow starts once __consumer_offsets exists (it reads it from the start), then follows it live.
    burrow = await startBurrow(broker.bootstrap);
    const watcher = burrow;
    step('ZooKeeper and Burrow started');
    // A KIP-848 group (Samsa's consumer, groupProtocol consumer) reads them too and commits.
    const modern = samsa.consumer({ groupId: 'watched-848', groupProtocol: 'consumer', autoOffsetReset: 'earliest', autoCommit: false });
    modern.subscribe(['watched']);
    let got = 0;
    const deadline = Date.now() + 30_000;
    while (got < 15 && Date.now() < deadline) got += (await modern.poll({ timeoutMs: 1000 })).length;
    assert.equal(got, 15, 'the KIP-848 group reads the 15 records');
    await modern.commitSync();
    await modern.close();
    step('the KIP-848 group read and committed 15');
    await send([3, 0, 6]);
    await producer.disconnect();
    await admin.disconnect();

    const expected: Array<[number, number]> = [[0, 3], [1, 0], [2, 6]];
    for (const group of ['watched-classic', 'watched-848']) {
      let seen: Array<[number, number]> = [];
      await waitFor(`Burrow's lag of ${group}`, async () => {
        const parts = (await watcher.lag(group)) ?? [];
        seen = parts.filter((p) => p.topic === 'watched').map((p) => [p.partition, p.current_lag] as [number, number]).sort((a, b) => a[0] - b[0]);
        return JSON.stringify(seen) === JSON.stringify(expected);
      }, 60_000).catch(async (err: Error) => {
        throw new Error(`${err.message}: Burrow saw ${JSON.stringify(seen)} (groups ${JSON.stringify(await watcher.groups())}), expected ${JSON.stringify(expected)}`);
      });
      assert.deepEqual(await scrapedLag(metricsPort, group, 'watched'), seen, `${group}: /metrics and Burrow`);
      step(`Burrow agrees on ${group}`);
    }
  } finally {
    await burrow?.stop();
    await samsa.close();
    await broker.stop();
  }
});
