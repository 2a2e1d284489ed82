/**
 * Kafka 4's group configs (resource type GROUP, 32): kafka-configs --entity-type groups describes
 * and alters them with Kafka's lines, @platformatic/kafka 2's admin writes and reads them with its
 * own requests (IncrementalAlterConfigs, DescribeConfigs), names and values are checked as Kafka's GroupConfig checks them,
 * and they survive a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/broker/broker.js';
import { run } from '../helpers/broker.js';
import { runNode22 } from '../helpers/node22.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('group configs: kafka-configs --entity-type groups and @platformatic/kafka 2 set and read them, with defaults from the group.* broker keys; bad names and values get Kafka\'s sentences; they survive a restart', { timeout: 90_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-group-configs-'));
  const config = { 'log.dirs': dir, 'group.share.min.record.lock.duration.ms': '1000', 'group.consumer.session.timeout.ms': '50000' };
  let b = await Broker.start({ port: 0, config });
  const configs = (...args: string[]) => run(process.execPath, [CLI, 'configs', '--bootstrap-server', b.bootstrap, ...args], { timeoutMs: 30_000 });
  try {
    const all = await configs('--describe', '--entity-type', 'groups', '--entity-name', 'orders', '--all');
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^All configs for group orders are:$/m);
    assert.match(all.stdout, /^ {2}consumer\.session\.timeout\.ms=50000 sensitive=false synonyms=\{STATIC_BROKER_CONFIG:group\.consumer\.session\.timeout\.ms=50000\}$/m);
    assert.match(all.stdout, /^ {2}share\.auto\.offset\.reset=latest sensitive=false synonyms=\{\}$/m);

    const set = await configs('--alter', '--entity-type', 'groups', '--entity-name', 'orders', '--add-config', 'share.auto.offset.reset=earliest,share.record.lock.duration.ms=2000');
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout.trim(), 'Completed updating config for group orders.');
    const dynamic = await configs('--describe', '--group', 'orders');
    assert.equal(dynamic.stdout, 'Dynamic configs for group orders are:\n  share.auto.offset.reset=earliest sensitive=false synonyms={DYNAMIC_GROUP_CONFIG:share.auto.offset.reset=earliest}\n  share.record.lock.duration.ms=2000 sensitive=false synonyms={DYNAMIC_GROUP_CONFIG:share.record.lock.duration.ms=2000, DEFAULT_CONFIG:group.share.record.lock.duration.ms=30000}\n');

    for (const [add, sentence] of [
      ['retention.ms=1', 'Unknown group config name: retention.ms'],
      ['consumer.session.timeout.ms=1000', 'consumer.session.timeout.ms must be greater than or equal to group.consumer.min.session.timeout.ms'],
      ['share.delivery.count.limit=1', 'Invalid value 1 for configuration share.delivery.count.limit: Value must be at least 2'],
      ['share.isolation.level=serializable', 'Invalid value serializable for configuration share.isolation.level: String must be one of: read_committed, read_uncommitted'],
    ] as const) {
      const bad = await configs('--alter', '--entity-type', 'groups', '--entity-name', 'orders', '--add-config', add);
      assert.notEqual(bad.code, 0, add);
      assert.ok(bad.stderr.includes(sentence), `${add}: ${bad.stderr}`);
    }

    // @platformatic/kafka 2's admin (Node 22): IncrementalAlterConfigs and DescribeConfigs on GROUP.
    const script = `
import { Admin } from '@platformatic/kafka-2';
const admin = new Admin({ clientId: 'gc', bootstrapBrokers: [process.argv[1]] });
await admin.incrementalAlterConfigs({ resources: [{ resourceType: 32, resourceName: 'billing', configs: [{ name: 'consumer.heartbeat.interval.ms', configOperation: 0, value: '6000' }] }] });
const [d] = await admin.describeConfigs({ resources: [{ resourceType: 32, resourceName: 'billing', configurationKeys: ['consumer.heartbeat.interval.ms'] }] });
console.log(JSON.stringify(d.configs.map((c) => [c.name, c.value])));
await admin.close();
`;
    const plt = await runNode22(script, [b.bootstrap], { timeoutMs: 60_000 });
    assert.equal(plt.stdout.trim(), '[["consumer.heartbeat.interval.ms","6000"]]', plt.stderr);

    await b.stop();
    b = await Broker.start({ port: 0, config });
    const after = await configs('--describe', '--entity-type', 'groups');
    assert.equal(after.code, 0, after.stderr);
    const kept = await configs('--describe', '--entity-type', 'groups', '--entity-name', 'billing');
    assert.match(kept.stdout, /consumer\.heartbeat\.interval\.ms=6000 .*DYNAMIC_GROUP_CONFIG/);
  } finally {
    await b.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
