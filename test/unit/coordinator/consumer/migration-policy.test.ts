// group.consumer.migration.policy: Kafka's four values in any case, a bad one refused with a
// sentence, and the key in the broker's DescribeConfigs with Kafka 4's default;
// group.coordinator.rebalance.protocols' values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupCoordinatorConfig } from '../../../../src/coordinator/group/config.js';
import { ConfigError, buildBrokerConfig } from '../../../../src/cluster/config.js';
import { DynamicBrokerConfig } from '../../../../src/cluster/dynamic-config.js';
import { LocalMetadataStore } from '../../../../src/cluster/metadata-store.js';
import { silentLogger } from '../../../../src/util/logger.js';
import { describeBrokerConfigs } from '../../../../src/broker/topic-configs.js';

const policy = (v?: string) => groupCoordinatorConfig(v === undefined ? {} : { 'group.consumer.migration.policy': v }).consumer.migration;

test('group.consumer.migration.policy: bidirectional by default, the four values in any case, anything else refused', () => {
  assert.deepEqual(policy(), { name: 'bidirectional', upgrade: true, downgrade: true });
  assert.deepEqual(policy('UPGRADE'), { name: 'upgrade', upgrade: true, downgrade: false });
  assert.deepEqual(policy(' Downgrade '), { name: 'downgrade', upgrade: false, downgrade: true });
  assert.deepEqual(policy('disabled'), { name: 'disabled', upgrade: false, downgrade: false });
  assert.throws(() => policy('both'), (e: unknown) => e instanceof ConfigError && e.message === "group.consumer.migration.policy: 'both' is not a migration policy; use one of bidirectional, upgrade, downgrade, disabled");
});

const protocols = (v: string) => groupCoordinatorConfig({ 'group.coordinator.rebalance.protocols': v }).consumerProtocolEnabled;

test('group.coordinator.rebalance.protocols: classic and consumer by default; consumer may be left out, classic may not; streams and unknown names refused with a sentence', () => {
  assert.equal(groupCoordinatorConfig({}).consumerProtocolEnabled, true);
  assert.equal(protocols('classic'), false);
  assert.equal(protocols(' Classic , CONSUMER '), true);
  assert.equal(protocols('classic,consumer,share'), true);
  const refused = (v: string, message: string) => assert.throws(() => protocols(v), (e: unknown) => e instanceof ConfigError && e.message === message);
  refused('consumer', "group.coordinator.rebalance.protocols: disabling the 'classic' protocol is not supported; list classic (and consumer to serve KIP-848 groups)");
  refused('classic,streams', 'group.coordinator.rebalance.protocols: the streams protocol (KIP-1071) is not served by Samsa; list classic and consumer only');
  refused('classic,cosumer', "group.coordinator.rebalance.protocols: 'cosumer' is not a rebalance protocol; use classic, consumer (or share)");
});

test('DescribeConfigs of the broker reports group.consumer.migration.policy (default bidirectional, read-only; the value given when set)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-migration-'));
  const store = await LocalMetadataStore.open(dir, silentLogger);
  try {
    const entry = (raw: Record<string, string>) => describeBrokerConfigs(new DynamicBrokerConfig(buildBrokerConfig({ 'log.dirs': dir, ...raw }), store), '1').find((e) => e.name === 'group.consumer.migration.policy');
    const d = entry({ 'node.id': '1' });
    assert.deepEqual([d?.value, d?.configSource, d?.readOnly, d?.configType], ['bidirectional', 5, true, 2]);
    assert.match(d?.documentation ?? '', /^Which way a consumer group with members may change protocol online/);
    const set = entry({ 'node.id': '1', 'group.consumer.migration.policy': 'Disabled' });
    assert.deepEqual([set?.value, set?.configSource], ['Disabled', 4]);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
