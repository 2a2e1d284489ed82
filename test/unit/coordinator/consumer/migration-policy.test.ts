// group.consumer.migration.policy: Kafka's four values in any case, a bad one refused with a
// sentence, and the key in the broker's DescribeConfigs with Kafka 4's default.
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
