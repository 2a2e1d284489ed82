/**
 * KIP-714 client telemetry with librdkafka 2.15 (confluent-kafka on a current librdkafka): a
 * client-metrics subscription set with kafka-configs --entity-type client-metrics makes matching
 * clients push their metrics (OTLP, compressed as they choose) every interval.ms; a client the
 * selector does not match is asked for none and pushes none; the resource is listed and described
 * with Kafka's lines, and bad configs are refused with its sentences.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/broker/broker.js';
import type { TelemetryPush } from '../../src/broker/client-telemetry.js';
import { run } from '../helpers/broker.js';
import { runNewRdkafkaPython } from '../helpers/librdkafka-new.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('client-metrics subscriptions: librdkafka 2.15 producers matching client_id push their metrics every interval.ms; others push none', { timeout: 90_000 }, async () => {
  const b = await Broker.start({ port: 0 });
  const pushes: TelemetryPush[] = [];
  b.telemetry.onPush((p) => pushes.push(p));
  const configs = (...args: string[]) => run(process.execPath, [CLI, 'configs', '--bootstrap-server', b.bootstrap, ...args], { timeoutMs: 30_000 });
  try {
    const set = await configs('--alter', '--entity-type', 'client-metrics', '--entity-name', 'producers', '--add-config', 'metrics=[org.apache.kafka.producer.],interval.ms=1000,match=[client_id=telemetry-.*]');
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout.trim(), 'Completed updating config for client-metric producers.');
    const listed = await configs('--describe', '--entity-type', 'client-metrics');
    assert.equal(listed.stdout, 'Dynamic configs for client-metric producers are:\n  interval.ms=1000 sensitive=false synonyms={CLIENT_METRICS_CONFIG:interval.ms=1000}\n  match=client_id=telemetry-.* sensitive=false synonyms={CLIENT_METRICS_CONFIG:match=client_id=telemetry-.*}\n  metrics=org.apache.kafka.producer. sensitive=false synonyms={CLIENT_METRICS_CONFIG:metrics=org.apache.kafka.producer.}\n');
    for (const [add, sentence] of [['interval.ms=5', 'Invalid value 5 for interval.ms, interval must be between 100 and 3600000'], ['colour=red', 'Unknown client metrics config name: colour'], ['match=[hostname=x]', 'Illegal client matching pattern: hostname=x']] as const) {
      const bad = await configs('--alter', '--entity-type', 'client-metrics', '--entity-name', 'producers', '--add-config', add);
      assert.notEqual(bad.code, 0);
      assert.ok(bad.stderr.includes(sentence), `${add}: ${bad.stderr}`);
    }

    const script = `
import sys, time, confluent_kafka
from confluent_kafka import Producer
assert confluent_kafka.libversion()[0].startswith('2.15')
ps = [Producer({'bootstrap.servers': sys.argv[1], 'client.id': cid}) for cid in ('telemetry-app', 'other-app')]
end = time.time() + 4.5
while time.time() < end:
    for p in ps:
        p.produce('telemetry', b'x')
        p.poll(0.05)
for p in ps: assert p.flush(10) == 0
print('ok')
`;
    const r = await runNewRdkafkaPython(script, [b.bootstrap], { timeoutMs: 60_000 });
    assert.equal(r.stdout.trim(), 'ok', r.stderr);
    const mine = pushes.filter((p) => p.clientId === 'telemetry-app');
    assert.ok(mine.length >= 2, `at least two pushes at interval.ms=1000 in 4.5 s, got ${mine.length}`);
    assert.ok(mine.some((p) => p.metricNames.length > 0 && p.metricNames.every((n) => n.startsWith('org.apache.kafka.producer.'))), JSON.stringify(mine.map((p) => p.metricNames)));
    assert.equal(pushes.filter((p) => p.clientId === 'other-app').length, 0, 'a client the selector does not match pushes nothing');
  } finally {
    await b.stop();
  }
});
