/**
 * One lag, three views: a KafkaJS group commits part of a topic, more is produced, and the lag per
 * partition that `samsa consumer-groups --describe` prints, that the console's lag API answers and
 * that /metrics reports (kafka_consumergroup_lag) are the same numbers — and KafkaJS's own admin
 * (log end less committed offset) agrees with them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/broker/broker.js';
import { registerConsoleService } from '../../src/cli/console-service.js';
import { freePort, run } from '../helpers/broker.js';
import { CLI_PATH } from '../helpers/broker-process.js';
import { waitFor } from '../helpers/wait.js';

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

    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const metricsLag = [...text.matchAll(/^kafka_consumergroup_lag\{([^}]*)\} (\S+)$/gm)]
      .filter((m) => /consumergroup="agree"/.test(m[1]!) && /topic="lagging"/.test(m[1]!))
      .map((m) => [Number(/partition="(\d+)"/.exec(m[1]!)![1]), Number(m[2])] as [number, number])
      .sort((a, b) => a[0] - b[0]);

    assert.deepEqual(cliLag, expected, 'consumer-groups --describe');
    assert.deepEqual(consoleLag, expected, 'the console');
    assert.deepEqual(metricsLag, expected, '/metrics');
  } finally {
    await admin.disconnect();
    await broker.stop();
  }
});

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
