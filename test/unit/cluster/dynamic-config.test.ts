import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBrokerConfig } from '../../../src/cluster/config.js';
import { brokerConfigError, topicConfigInfo, BROKER_CONFIGS, ConfigType } from '../../../src/cluster/config-catalog.js';
import { ConfigSource, DEFAULT_SCOPE, DynamicBrokerConfig } from '../../../src/cluster/dynamic-config.js';
import { LocalMetadataStore } from '../../../src/cluster/metadata-store.js';
import { TOPIC_CONFIGS, topicConfigError } from '../../../src/cluster/topic-config.js';
import { silentLogger } from '../../../src/util/logger.js';
import { describeTopicConfigs } from '../../../src/broker/topic-configs.js';
import { KafkaError } from '../../../src/protocol/errors.js';

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-dyn-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('every topic config has a type, a sentence of documentation and a default', () => {
  for (const name of Object.keys(TOPIC_CONFIGS)) {
    const info = topicConfigInfo(name);
    assert.notEqual(info.type, ConfigType.UNKNOWN, name);
    assert.match(info.doc, /^[A-Z].*\.$/, `${name}: one sentence`);
    assert.ok(info.defaultValue !== null, `${name} has a default`);
    for (const [s] of info.brokerSynonyms) assert.ok(BROKER_CONFIGS[s] !== undefined, `${name}: synonym ${s} is a known broker key`);
  }
  assert.deepEqual(topicConfigInfo('retention.ms').brokerSynonyms.map(([k]) => k), ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours']);
});

test('broker values are checked by type, range and allowed values', () => {
  assert.equal(brokerConfigError('log.retention.ms', '3600000'), null);
  assert.match(brokerConfigError('log.retention.ms', '1.5')!, /log\.retention\.ms.*LONG/);
  assert.match(brokerConfigError('log.retention.ms', '9223372036854775808')!, /Not a number of type LONG/);
  assert.match(brokerConfigError('log.segment.bytes', '10')!, /at least 14/);
  assert.match(brokerConfigError('compression.type', 'brotli')!, /one of/);
  assert.equal(brokerConfigError('no.such.key', '1'), null, 'custom keys are accepted, as Kafka accepts them');
});

test('dynamic broker configs: precedence, sources, synonyms, read-only keys, persistence', async () => {
  await withDir(async (dir) => {
    const config = buildBrokerConfig({ 'log.dirs': dir, 'log.segment.bytes': '5000000' });
    let store = await LocalMetadataStore.open(join(dir, 'meta'), silentLogger);
    let dyn = new DynamicBrokerConfig(config, store);
    assert.deepEqual(dyn.resolve('log.segment.bytes'), {
      value: '5000000',
      source: ConfigSource.STATIC_BROKER_CONFIG,
      synonyms: [
        { name: 'log.segment.bytes', value: '5000000', source: ConfigSource.STATIC_BROKER_CONFIG },
        { name: 'log.segment.bytes', value: '1073741824', source: ConfigSource.DEFAULT_CONFIG },
      ],
    });
    await dyn.set(DEFAULT_SCOPE, { 'log.segment.bytes': '6000000', 'log.retention.ms': '1000' });
    await dyn.set('1', { 'log.segment.bytes': '7000000' });
    assert.equal(config.segmentBytes, 7000000, 'this broker wins over the cluster default');
    assert.equal(config.retentionMs, 1000, 'log.retention.ms wins over log.retention.hours');
    assert.deepEqual(dyn.resolve('log.segment.bytes').synonyms.map((s) => s.source), [
      ConfigSource.DYNAMIC_BROKER_CONFIG, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, ConfigSource.STATIC_BROKER_CONFIG, ConfigSource.DEFAULT_CONFIG,
    ]);
    const retention = describeTopicConfigs(dyn, {}).find((e) => e.name === 'retention.ms')!;
    assert.deepEqual([retention.value, retention.configSource], ['1000', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG]);
    const own = describeTopicConfigs(dyn, { 'retention.ms': '5' }).find((e) => e.name === 'retention.ms')!;
    assert.deepEqual([own.value, own.configSource, own.synonyms[0]!.source], ['5', ConfigSource.DYNAMIC_TOPIC_CONFIG, ConfigSource.DYNAMIC_TOPIC_CONFIG]);

    assert.throws(() => dyn.validate('1', { 'log.dirs': '/x' }), (e: unknown) => e instanceof KafkaError && e.code === 42 && /Set\(log\.dirs\)/.test(e.message));
    assert.throws(() => dyn.validate('1', { 'message.max.bytes': 'big' }), (e: unknown) => e instanceof KafkaError && e.code === 42, 'a bad broker value is INVALID_REQUEST, as Kafka answers it');
    await dyn.set('1', {});
    assert.equal(config.segmentBytes, 6000000, 'removing this broker\'s value falls back to the cluster default');
    await store.close();

    // A restart: the stored values come back.
    const fresh = buildBrokerConfig({ 'log.dirs': dir, 'log.segment.bytes': '5000000' });
    store = await LocalMetadataStore.open(join(dir, 'meta'), silentLogger);
    dyn = new DynamicBrokerConfig(fresh, store);
    assert.equal(dyn.apply(), null);
    assert.equal(fresh.segmentBytes, 6000000);
    assert.deepEqual(dyn.dynamic(DEFAULT_SCOPE), { 'log.segment.bytes': '6000000', 'log.retention.ms': '1000' });
    await store.close();
  });
});

test('Kafka 4 topic configs Samsa stores without acting on are validated as Kafka validates them', () => {
  assert.equal(topicConfigError('leader.replication.throttled.replicas', '0:1,1:1'), null);
  assert.equal(topicConfigError('follower.replication.throttled.replicas', '*'), null);
  assert.match(topicConfigError('leader.replication.throttled.replicas', 'all')!, /partition:broker pairs/);
  assert.equal(topicConfigError('compression.gzip.level', '-1'), null);
  assert.match(topicConfigError('compression.gzip.level', '0')!, /at least 1/);
  assert.equal(topicConfigError('remote.storage.enable', 'false'), null);
  assert.match(topicConfigError('message.format.version', '3.0')!, /Unknown topic config name/, 'Kafka 4 removed message.format.version');
});
