/**
 * DescribeConfigs output pinned key by key against Kafka 4's ConfigHelper (createTopicConfigEntry,
 * createBrokerConfigEntry, configSynonyms), ServerTopicConfigSynonyms, LogConfig's topic ConfigDef
 * and the broker ConfigDefs. Each row: name, value, source (1 topic, 4 static, 5 default),
 * read_only, synonyms as source:name=value. Facts from Kafka's code: a topic config's synonyms are
 * its override, then the levels of its primary broker synonym from the first entry named like it
 * (so retention.ms lists nothing when only log.retention.hours=168 applies); configs with no
 * broker synonym (throttled replicas, remote storage) list none; passwords are sensitive.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBrokerConfig } from '../../../src/cluster/config.js';
import { DynamicBrokerConfig } from '../../../src/cluster/dynamic-config.js';
import { LocalMetadataStore } from '../../../src/cluster/metadata-store.js';
import { silentLogger } from '../../../src/util/logger.js';
import { describeBrokerConfigs, describeTopicConfigs, type ConfigEntry } from '../../../src/broker/topic-configs.js';

const row = (e: ConfigEntry) => [e.name, e.value, e.configSource, e.readOnly, e.synonyms.map((s) => `${s.source}:${s.name}=${s.value}`)];

test('DescribeConfigs: every topic config with and without overrides, and broker keys, as Kafka 4 reports them', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-describe-'));
  const store = await LocalMetadataStore.open(dir, silentLogger);
  try {
    const dynamic = new DynamicBrokerConfig(buildBrokerConfig({ 'log.dirs': dir, 'log.segment.bytes': '5000000' }), store);
    assert.deepEqual(describeTopicConfigs(dynamic, {}).map(row), [
    ["cleanup.policy","delete",5,false,["5:log.cleanup.policy=delete"]],
    ["compression.gzip.level","-1",5,false,["5:compression.gzip.level=-1"]],
    ["compression.lz4.level","9",5,false,["5:compression.lz4.level=9"]],
    ["compression.type","producer",5,false,["5:compression.type=producer"]],
    ["compression.zstd.level","3",5,false,["5:compression.zstd.level=3"]],
    ["delete.retention.ms","86400000",5,false,["5:log.cleaner.delete.retention.ms=86400000"]],
    ["file.delete.delay.ms","60000",5,false,["5:log.segment.delete.delay.ms=60000"]],
    ["flush.messages","9223372036854775807",5,false,["5:log.flush.interval.messages=9223372036854775807"]],
    ["flush.ms","9223372036854775807",5,false,[]],
    ["follower.replication.throttled.replicas","",5,false,[]],
    ["index.interval.bytes","4096",5,false,["5:log.index.interval.bytes=4096"]],
    ["leader.replication.throttled.replicas","",5,false,[]],
    ["local.retention.bytes","-2",5,false,["5:log.local.retention.bytes=-2"]],
    ["local.retention.ms","-2",5,false,["5:log.local.retention.ms=-2"]],
    ["max.compaction.lag.ms","9223372036854775807",5,false,["5:log.cleaner.max.compaction.lag.ms=9223372036854775807"]],
    ["max.message.bytes","1048588",5,false,["5:message.max.bytes=1048588"]],
    ["message.downconversion.enable","true",5,false,["5:log.message.downconversion.enable=true"]],
    ["message.timestamp.after.max.ms","9223372036854775807",5,false,["5:log.message.timestamp.after.max.ms=9223372036854775807"]],
    ["message.timestamp.before.max.ms","9223372036854775807",5,false,["5:log.message.timestamp.before.max.ms=9223372036854775807"]],
    ["message.timestamp.type","CreateTime",5,false,["5:log.message.timestamp.type=CreateTime"]],
    ["min.cleanable.dirty.ratio","0.5",5,false,["5:log.cleaner.min.cleanable.ratio=0.5"]],
    ["min.compaction.lag.ms","0",5,false,["5:log.cleaner.min.compaction.lag.ms=0"]],
    ["min.insync.replicas","1",5,false,["5:min.insync.replicas=1"]],
    ["preallocate","false",5,false,["5:log.preallocate=false"]],
    ["remote.log.copy.disable","false",5,false,[]],
    ["remote.log.delete.on.disable","false",5,false,[]],
    ["remote.storage.enable","false",5,false,[]],
    ["retention.bytes","-1",5,false,["5:log.retention.bytes=-1"]],
    ["retention.ms","604800000",5,false,[]],
    ["segment.bytes","5000000",4,false,["4:log.segment.bytes=5000000","5:log.segment.bytes=1073741824"]],
    ["segment.index.bytes","10485760",5,false,["5:log.index.size.max.bytes=10485760"]],
    ["segment.jitter.ms","0",5,false,[]],
    ["segment.ms","604800000",5,false,[]],
    ["unclean.leader.election.enable","false",5,false,["5:unclean.leader.election.enable=false"]],
    ]);
    const overridden = describeTopicConfigs(dynamic, { 'retention.ms': '3600000', 'cleanup.policy': 'compact' }).filter((e) => e.configSource === 1);
    assert.deepEqual(overridden.map(row), [
    ["cleanup.policy","compact",1,false,["1:cleanup.policy=compact","5:log.cleanup.policy=delete"]],
    ["retention.ms","3600000",1,false,["1:retention.ms=3600000"]],
    ]);
    const wanted = new Set(['log.retention.ms', 'log.retention.hours', 'log.segment.bytes', 'log.dirs', 'listeners', 'node.id', 'broker.id', 'num.partitions', 'ssl.keystore.password', 'sasl.kerberos.min.time.before.relogin', 'log.flush.interval.ms', 'message.max.bytes', 'process.roles']);
    const broker = describeBrokerConfigs(dynamic, '1').filter((e) => wanted.has(e.name)).map((e) => [...row(e), e.isSensitive]);
    assert.deepEqual(JSON.parse(JSON.stringify(broker).replaceAll(dir, 'DIR')), [
    ["broker.id","1",5,true,["5:broker.id=1"],false],
    ["listeners","PLAINTEXT://localhost:9092",5,false,["5:listeners=PLAINTEXT://localhost:9092"],false],
    ["log.dirs","DIR",4,true,["4:log.dirs=DIR","5:log.dirs=./data"],false],
    ["log.flush.interval.ms",null,5,false,[],false],
    ["log.retention.hours","168",5,true,["5:log.retention.hours=168"],false],
    ["log.retention.ms",null,5,false,[],false],
    ["log.segment.bytes","5000000",4,false,["4:log.segment.bytes=5000000","5:log.segment.bytes=1073741824"],false],
    ["message.max.bytes","1048588",5,false,["5:message.max.bytes=1048588"],false],
    ["node.id","1",5,true,["5:node.id=1"],false],
    ["num.partitions","1",5,true,["5:num.partitions=1"],false],
    ["process.roles","",5,true,["5:process.roles="],false],
    ["sasl.kerberos.min.time.before.relogin","60000",5,false,["5:sasl.kerberos.min.time.before.relogin=60000"],false],
    ["ssl.keystore.password",null,5,false,[],true],
    ]);
    assert.ok(!describeBrokerConfigs(dynamic, '1').some((e) => e.name.startsWith('zookeeper.') || e.name === 'log.message.format.version'), 'keys Kafka 4 removed are not described');
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
