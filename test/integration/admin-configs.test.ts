/**
 * Topic lifecycle through Kafka's admin APIs: configs (describe with sources and synonyms, alter,
 * incremental alter, dynamic broker configs), CreatePartitions, DeleteRecords, DescribeCluster,
 * DescribeLogDirs, CreateTopics validate_only, and topic ids (Metadata v10-12, Fetch v13+),
 * driven by confluent-kafka, KafkaJS, kafka-python, Samsa's client and raw requests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { withBroker, run, SYSTEM_PYTHON } from '../helpers/broker.js';
import { WireClient } from '../helpers/broker-process.js';
import { Broker } from '../../src/broker/broker.js';
import { createClient, ErrorCode, KafkaError, type Admin } from '../../src/client/index.js';
import { ZERO_UUID_STRING } from '../../src/protocol/writer.js';

const SOURCE = { TOPIC: 1, DYNAMIC_BROKER: 2, DYNAMIC_DEFAULT: 3, STATIC: 4, DEFAULT: 5 };

async function pythonHas(mod: string): Promise<boolean> {
  try {
    return (await run(SYSTEM_PYTHON, ['-c', `import ${mod}`], { timeoutMs: 30_000 })).code === 0;
  } catch {
    return false;
  }
}

const SKIP_CONFLUENT = (await pythonHas('confluent_kafka')) ? false : `confluent-kafka not installed (${SYSTEM_PYTHON}; Debian package python3-confluent-kafka)`;
const SKIP_KAFKA_PYTHON = (await pythonHas('kafka')) ? false : `kafka-python not installed (${SYSTEM_PYTHON}; Debian package python3-kafka)`;

async function python(script: string, args: string[], timeoutMs = 60_000): Promise<any> {
  const r = await run(SYSTEM_PYTHON, ['-c', script, ...args], { timeoutMs });
  assert.equal(r.code, 0, `python exited with ${r.code}\n--- stderr:\n${r.stderr}\n--- stdout:\n${r.stdout}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
}

async function withAdmin<T>(broker: Broker, fn: (admin: Admin) => Promise<T>): Promise<T> {
  // Few, quick retries: the errors these tests provoke are answers, not stale metadata.
  const admin = createClient({ bootstrapServers: broker.bootstrap, clientId: 'admin-configs-test', retries: 1, retryBackoffMs: 20 }).admin();
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

async function topicConfigs(admin: Admin, topic: string) {
  const r = { type: 'topic' as const, name: topic };
  const entries = (await admin.describeConfigs([r], { includeSynonyms: true, includeDocumentation: true })).get(r)!;
  return new Map(entries.map((e) => [e.name, e]));
}

// confluent-kafka 1.7 (librdkafka 2.0.2) has no incremental_alter_configs, delete_records or
// describe_cluster yet: those are driven below by KafkaJS and Samsa's client.
const CONFLUENT_ADMIN = `
import json, sys
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic, NewPartitions, ConfigResource
bs, topic = sys.argv[1], sys.argv[2]
admin = AdminClient({'bootstrap.servers': bs})
def wait(fs):
    for f in fs.values():
        f.result(timeout=15)
def describe(r):
    entries = list(admin.describe_configs([r]).values())[0].result(timeout=15)
    return {k: {'value': e.value, 'source': int(e.source), 'readOnly': e.is_read_only, 'synonyms': [s.name for s in e.synonyms.values()]} for k, e in entries.items()}
out = {}
wait(admin.create_topics([NewTopic(topic, 3, 1, config={'retention.ms': '3600000', 'cleanup.policy': 'compact'})], operation_timeout=15))
res = ConfigResource('topic', topic)
d = describe(res)
out['created'] = {k: d[k] for k in ('retention.ms', 'cleanup.policy', 'segment.bytes')}
wait(admin.alter_configs([ConfigResource('topic', topic, set_config={'segment.bytes': '1048576'})]))
d = describe(res)
out['altered'] = {k: d[k] for k in ('retention.ms', 'cleanup.policy', 'segment.bytes')}
try:
    wait(admin.alter_configs([ConfigResource('topic', topic, set_config={'segment.bytes': 'lots'})]))
    out['invalid'] = None
except KafkaException as e:
    out['invalid'] = {'code': e.args[0].code(), 'message': e.args[0].str()}
try:
    wait(admin.create_partitions([NewPartitions(topic, 2)], operation_timeout=15))
    out['shrink'] = None
except KafkaException as e:
    out['shrink'] = e.args[0].code()
wait(admin.create_partitions([NewPartitions(topic, 5)], operation_timeout=15))
md = admin.list_topics(timeout=10)
out['partitions'] = len(md.topics[topic].partitions)
out['cluster'] = {'controller_id': md.controller_id, 'brokers': sorted(md.brokers.keys())}
b = describe(ConfigResource('broker', '1'))
out['broker'] = {k: b[k] for k in ('log.segment.bytes', 'log.dirs')}
print(json.dumps(out))
`;

test('confluent-kafka AdminClient: create with configs, describe (values, sources, synonyms), alter, invalid value, create partitions 3→5, broker configs', { skip: SKIP_CONFLUENT }, async () => {
  await withBroker(async (broker) => {
    const out = await python(CONFLUENT_ADMIN, [broker.bootstrap, 'ck-cfg']);
    assert.deepEqual(out.created['retention.ms'], { value: '3600000', source: SOURCE.TOPIC, readOnly: false, synonyms: ['retention.ms'] });
    assert.equal(out.created['cleanup.policy'].value, 'compact');
    assert.deepEqual(out.created['segment.bytes'], { value: '1073741824', source: SOURCE.DEFAULT, readOnly: false, synonyms: ['log.segment.bytes'] });
    // AlterConfigs replaces the whole set: retention.ms and cleanup.policy go back to the defaults.
    assert.equal(out.altered['segment.bytes'].value, '1048576');
    assert.equal(out.altered['segment.bytes'].source, SOURCE.TOPIC);
    assert.deepEqual([out.altered['retention.ms'].value, out.altered['retention.ms'].source], ['604800000', SOURCE.DEFAULT]);
    assert.deepEqual([out.altered['cleanup.policy'].value, out.altered['cleanup.policy'].source], ['delete', SOURCE.DEFAULT]);
    assert.equal(out.invalid.code, ErrorCode.INVALID_CONFIG);
    assert.match(out.invalid.message, /segment\.bytes/);
    assert.equal(out.shrink, ErrorCode.INVALID_PARTITIONS);
    assert.equal(out.partitions, 5);
    assert.deepEqual(out.cluster, { controller_id: 1, brokers: [1] });
    assert.equal(out.broker['log.dirs'].source, SOURCE.STATIC);
    assert.equal(out.broker['log.dirs'].readOnly, true);
    assert.equal(out.broker['log.segment.bytes'].readOnly, false);
    // The new partitions are real logs.
    assert.ok(broker.topics.replicas.log('ck-cfg', 4) !== undefined);
    assert.equal(broker.topics.replicas.log('ck-cfg', 0)!.config.segmentBytes, 1048576);
  });
});

const KAFKA_PYTHON_ADMIN = `
import json, sys
from kafka.admin import KafkaAdminClient, NewTopic, ConfigResource, ConfigResourceType
bs, topic = sys.argv[1], sys.argv[2]
admin = KafkaAdminClient(bootstrap_servers=bs, request_timeout_ms=10000)
admin.create_topics([NewTopic(topic, 1, 1, topic_configs={'retention.ms': '120000'})])
def describe():
    resp = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])[0]
    entries = resp.resources[0][4]
    return {e[0]: {'value': e[1], 'readOnly': e[2], 'source': e[3]} for e in entries}
before = describe()
r = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs={'retention.ms': '240000', 'max.message.bytes': '2000000'})])
alter_err = r.resources[0][0]
after = describe()
r = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs={'cleanup.policy': 'shred'})])
print(json.dumps({'before': before['retention.ms'], 'alter': alter_err, 'after': {k: after[k] for k in ('retention.ms', 'max.message.bytes')}, 'invalid': {'code': r.resources[0][0], 'message': r.resources[0][1]}}))
admin.close()
`;

test('kafka-python KafkaAdminClient: describe and alter topic configs', { skip: SKIP_KAFKA_PYTHON }, async () => {
  await withBroker(async (broker) => {
    const out = await python(KAFKA_PYTHON_ADMIN, [broker.bootstrap, 'kp-cfg']);
    assert.deepEqual(out.before, { value: '120000', readOnly: false, source: SOURCE.TOPIC });
    assert.equal(out.alter, 0);
    assert.equal(out.after['retention.ms'].value, '240000');
    assert.equal(out.after['max.message.bytes'].value, '2000000');
    assert.equal(out.invalid.code, ErrorCode.INVALID_CONFIG);
    assert.match(out.invalid.message, /cleanup\.policy/);
    assert.equal(broker.topics.replicas.log('kp-cfg', 0)!.config.maxMessageBytes, 2000000);
  });
});

test('KafkaJS admin: describeConfigs, alterConfigs, createPartitions, deleteTopicRecords', async () => {
  await withBroker(async (broker) => {
    const kafka = new Kafka({ clientId: 'admin-configs', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 50 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'kjs', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '86400000' }] }] });
      let d = await admin.describeConfigs({ resources: [{ type: 2, name: 'kjs', configNames: ['retention.ms', 'segment.bytes'] }], includeSynonyms: true });
      const byName = new Map(d.resources[0]!.configEntries.map((e: any) => [e.configName, e]));
      assert.equal(byName.get('retention.ms').configValue, '86400000');
      assert.equal(byName.get('retention.ms').configSource, SOURCE.TOPIC);
      assert.equal(byName.get('segment.bytes').configSource, SOURCE.DEFAULT);
      assert.equal(byName.size, 2, 'configNames filters');

      await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'kjs', configEntries: [{ name: 'segment.bytes', value: '65536' }] }] });
      d = await admin.describeConfigs({ resources: [{ type: 2, name: 'kjs', configNames: ['retention.ms', 'segment.bytes'] }], includeSynonyms: false });
      const after = new Map(d.resources[0]!.configEntries.map((e: any) => [e.configName, e.configValue]));
      assert.deepEqual(Object.fromEntries(after), { 'retention.ms': '604800000', 'segment.bytes': '65536' });
      await assert.rejects(admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'kjs', configEntries: [{ name: 'segment.bytes', value: '-5' }] }] }), (err: any) => err.type === 'INVALID_CONFIG');

      await admin.createPartitions({ topicPartitions: [{ topic: 'kjs', count: 4 }] });
      assert.equal((await admin.fetchTopicMetadata({ topics: ['kjs'] })).topics[0]!.partitions.length, 4);

      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'kjs', messages: ['a', 'b', 'c', 'd'].map((value) => ({ value, partition: 3 })) });
      await producer.disconnect();
      await admin.deleteTopicRecords({ topic: 'kjs', partitions: [{ partition: 3, offset: '3' }] });
      const offsets = await admin.fetchTopicOffsets('kjs');
      const p3 = offsets.find((o: any) => o.partition === 3)!;
      assert.deepEqual([p3.low, p3.high], ['3', '4']);
      // -1 means the high watermark.
      await admin.deleteTopicRecords({ topic: 'kjs', partitions: [{ partition: 3, offset: '-1' }] });
      assert.equal(broker.topics.replicas.log('kjs', 3)!.logStartOffset, 4);
    } finally {
      await admin.disconnect();
    }
  });
});

test('IncrementalAlterConfigs: SET, DELETE, APPEND, SUBTRACT, validate_only, and the errors Kafka gives', async () => {
  await withBroker(async (broker) => {
    await withAdmin(broker, async (admin) => {
      await admin.createTopics([{ topic: 'inc', numPartitions: 1, configs: { 'retention.ms': '1000', 'max.message.bytes': '5000' } }]);
      const t = { type: 'topic' as const, name: 'inc' };
      await admin.incrementalAlterConfigs(t, [
        { name: 'segment.bytes', op: 'set', value: '4096' },
        { name: 'retention.ms', op: 'delete' },
        { name: 'cleanup.policy', op: 'append', value: 'compact' },
      ]);
      let c = await topicConfigs(admin, 'inc');
      assert.equal(c.get('segment.bytes')!.value, '4096');
      assert.equal(c.get('max.message.bytes')!.value, '5000', 'keys not named stay');
      assert.deepEqual([c.get('retention.ms')!.value, c.get('retention.ms')!.source], ['604800000', SOURCE.DEFAULT]);
      assert.equal(c.get('cleanup.policy')!.value, 'delete,compact');
      assert.equal(c.get('cleanup.policy')!.type, 7, 'LIST');
      assert.match(c.get('cleanup.policy')!.documentation ?? '', /compact/);
      await admin.incrementalAlterConfigs(t, [{ name: 'cleanup.policy', op: 'subtract', value: 'delete' }]);
      c = await topicConfigs(admin, 'inc');
      assert.equal(c.get('cleanup.policy')!.value, 'compact');

      await admin.incrementalAlterConfigs(t, [{ name: 'segment.bytes', op: 'set', value: '9999' }], { validateOnly: true });
      assert.equal((await topicConfigs(admin, 'inc')).get('segment.bytes')!.value, '4096', 'validate_only changes nothing');

      const code = async (p: Promise<unknown>): Promise<{ code: number; message: string }> => {
        try {
          await p;
        } catch (err) {
          assert.ok(err instanceof KafkaError, String(err));
          return { code: err.code, message: err.message };
        }
        assert.fail('expected an error');
      };
      const bad = await code(admin.incrementalAlterConfigs(t, [{ name: 'retention.ms', op: 'set', value: 'soon' }]));
      assert.equal(bad.code, ErrorCode.INVALID_CONFIG);
      assert.match(bad.message, /retention\.ms/);
      assert.equal((await code(admin.incrementalAlterConfigs(t, [{ name: 'segment.bytes', op: 'append', value: '1' }]))).code, ErrorCode.INVALID_CONFIG);
      assert.equal((await code(admin.incrementalAlterConfigs(t, [{ name: 'no.such.config', op: 'set', value: '1' }]))).code, ErrorCode.INVALID_CONFIG);
      assert.equal((await code(admin.incrementalAlterConfigs({ type: 'topic', name: 'missing' }, [{ name: 'retention.ms', op: 'set', value: '1' }]))).code, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      // Broker configs: read-only keys are refused as Kafka refuses them.
      const ro = await code(admin.incrementalAlterConfigs({ type: 'broker', name: '1' }, [{ name: 'log.dirs', op: 'set', value: '/elsewhere' }]));
      assert.equal(ro.code, ErrorCode.INVALID_REQUEST);
      assert.match(ro.message, /Cannot update these configs dynamically: Set\(log\.dirs\)/);
      const wire = await WireClient.connect(broker.port);
      try {
        const other = await wire.request(44, 1, { resources: [{ resourceType: 4, resourceName: '7', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '1' }] }], validateOnly: false });
        assert.equal(other.responses[0].errorCode, ErrorCode.INVALID_REQUEST, 'a broker resource names this broker or the default');
        const dup = await wire.request(44, 1, {
          resources: [{ resourceType: 2, resourceName: 'inc', configs: [{ name: 'flush.ms', configOperation: 0, value: '1' }, { name: 'flush.ms', configOperation: 1, value: null }] }],
          validateOnly: false,
        });
        assert.equal(dup.responses[0].errorCode, ErrorCode.INVALID_REQUEST, 'a key named twice');
      } finally {
        wire.close();
      }
    });
  });
});

test('config changes apply live to the partition logs and survive a restart, topic and broker alike', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'samsa-configs-'));
  try {
    let broker = await Broker.start({ port: 0, dataDir });
    try {
      await withAdmin(broker, async (admin) => {
        await admin.createTopics([{ topic: 'live', numPartitions: 1 }]);
        await admin.alterConfigs({ type: 'topic', name: 'live' }, { 'segment.bytes': '1024' });
        // A dynamic broker default: topics without their own retention.ms follow it.
        await admin.incrementalAlterConfigs({ type: 'broker', name: '' }, [{ name: 'log.retention.ms', op: 'set', value: '3600000' }]);
        await admin.incrementalAlterConfigs({ type: 'broker', name: '1' }, [{ name: 'message.max.bytes', op: 'set', value: '500000' }]);
        const producer = createClient({ bootstrapServers: broker.bootstrap }).producer();
        for (let i = 0; i < 20; i++) await producer.send({ topic: 'live', messages: [{ value: 'x'.repeat(200) }] });
        await producer.close();
      });
      const log = broker.topics.replicas.log('live', 0)!;
      assert.ok(log.segmentCount > 1, `segment.bytes=1024 rolled segments (${log.segmentCount})`);
      assert.equal(log.config.retentionMs, 3600000);
      assert.equal(log.config.maxMessageBytes, 500000);
    } finally {
      await broker.stop();
    }
    broker = await Broker.start({ port: 0, dataDir });
    try {
      await withAdmin(broker, async (admin) => {
        const c = await topicConfigs(admin, 'live');
        assert.deepEqual([c.get('segment.bytes')!.value, c.get('segment.bytes')!.source], ['1024', SOURCE.TOPIC]);
        assert.deepEqual([c.get('retention.ms')!.value, c.get('retention.ms')!.source], ['3600000', SOURCE.DYNAMIC_DEFAULT]);
        assert.deepEqual(c.get('retention.ms')!.synonyms.map((s) => [s.name, s.source]), [['log.retention.ms', SOURCE.DYNAMIC_DEFAULT], ['log.retention.hours', SOURCE.DEFAULT]]);
        assert.deepEqual([c.get('max.message.bytes')!.value, c.get('max.message.bytes')!.source], ['500000', SOURCE.DYNAMIC_BROKER]);
        const b = { type: 'broker' as const, name: '1' };
        const brokerConfigs = new Map((await admin.describeConfigs([b])).get(b)!.map((e) => [e.name, e]));
        assert.equal(brokerConfigs.get('message.max.bytes')!.value, '500000');
        assert.equal(brokerConfigs.get('message.max.bytes')!.source, SOURCE.DYNAMIC_BROKER);
        const dflt = { type: 'broker' as const, name: '' };
        assert.deepEqual((await admin.describeConfigs([dflt])).get(dflt)!.map((e) => [e.name, e.value]), [['log.retention.ms', '3600000']]);
      });
      const log = broker.topics.replicas.log('live', 0)!;
      assert.equal(log.config.segmentBytes, 1024);
      assert.equal(log.config.retentionMs, 3600000);
      assert.equal(log.config.maxMessageBytes, 500000);
    } finally {
      await broker.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('CreatePartitions, DeleteRecords, DescribeCluster and DescribeLogDirs: Kafka\'s answers', async () => {
  await withBroker(async (broker) => {
    await withAdmin(broker, async (admin) => {
      await admin.createTopics([{ topic: 'grow', numPartitions: 3 }]);
      await admin.createPartitions('grow', 5, { validateOnly: true });
      assert.equal((await admin.describeTopics(['grow']))[0]!.partitions.length, 3, 'validate_only adds nothing');
      await assert.rejects(admin.createPartitions('grow', 3), (e: any) => e.code === ErrorCode.INVALID_PARTITIONS && /already has 3/.test(e.message));
      await assert.rejects(admin.createPartitions('missing', 3), (e: any) => e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      await admin.createPartitions('grow', 5);
      assert.equal((await admin.describeTopics(['grow']))[0]!.partitions.length, 5);

      const producer = createClient({ bootstrapServers: broker.bootstrap }).producer();
      await producer.send({ topic: 'grow', messages: ['a', 'b', 'c'].map((value) => ({ value, partition: 4 })) });
      await producer.close();
      assert.deepEqual(await admin.deleteRecords([{ topic: 'grow', partition: 4, offset: 2 }]), [{ topic: 'grow', partition: 4, lowWatermark: 2 }]);
      assert.equal((await admin.listOffsets('grow', 4, -2)).offset, 2);
      await assert.rejects(admin.deleteRecords([{ topic: 'grow', partition: 4, offset: 4 }]), (e: any) => e.code === ErrorCode.OFFSET_OUT_OF_RANGE);
      assert.deepEqual(await admin.deleteRecords([{ topic: 'grow', partition: 4, offset: -1 }]), [{ topic: 'grow', partition: 4, lowWatermark: 3 }]);

      const cluster = await admin.describeCluster();
      assert.equal(cluster.clusterId, broker.clusterId);
      assert.equal(cluster.controllerId, 1);
      assert.deepEqual(cluster.brokers.map((b) => [b.nodeId, b.port]), [[1, broker.port]]);
    });
    const wire = await WireClient.connect(broker.port);
    try {
      const dirs = await wire.request(35, 4, { topics: [{ topic: 'grow', partitions: [4, 0] }] });
      assert.equal(dirs.errorCode, 0);
      assert.equal(dirs.results.length, 1);
      const [dir] = dirs.results;
      assert.equal(dir.logDir, broker.dataDir);
      assert.ok(dir.totalBytes > 0 && dir.usableBytes > 0 && dir.usableBytes <= dir.totalBytes, `sizes from statfs: ${dir.totalBytes} ${dir.usableBytes}`);
      assert.deepEqual(dir.topics.map((t: any) => [t.name, t.partitions.map((p: any) => p.partitionIndex)]), [['grow', [0, 4]]]);
      assert.ok(dir.topics[0].partitions[1].partitionSize > 0);
      assert.equal(dir.topics[0].partitions[0].partitionSize, 0);
      const v1 = await wire.request(60, 1, { includeClusterAuthorizedOperations: false, endpointType: 2 });
      assert.equal(v1.errorCode, 119, 'UNSUPPORTED_ENDPOINT_TYPE for controller endpoints');
    } finally {
      wire.close();
    }
  });
});

test('CreateTopics validate_only with configs: checks them, creates nothing, and reports the configs as they would be', async () => {
  await withBroker(async (broker) => {
    const wire = await WireClient.connect(broker.port);
    try {
      const create = (configs: Array<{ name: string; value: string }>, validateOnly: boolean) =>
        wire.request(19, 7, { topics: [{ name: 'vo', numPartitions: 2, replicationFactor: 1, assignments: [], configs }], timeoutMs: 5000, validateOnly });
      const ok = await create([{ name: 'retention.ms', value: '1234' }], true);
      const t = ok.topics[0];
      assert.equal(t.errorCode, 0);
      assert.equal(t.numPartitions, 2);
      const configs = new Map<string, any>(t.configs.map((c: any) => [c.name, c]));
      assert.deepEqual([configs.get('retention.ms').value, configs.get('retention.ms').configSource], ['1234', SOURCE.TOPIC]);
      assert.deepEqual([configs.get('segment.bytes').value, configs.get('segment.bytes').configSource], ['1073741824', SOURCE.DEFAULT]);
      assert.equal(broker.topics.get('vo'), undefined, 'validate_only creates nothing');
      const bad = await create([{ name: 'retention.ms', value: 'forever' }], true);
      assert.equal(bad.topics[0].errorCode, ErrorCode.INVALID_CONFIG);
      assert.match(bad.topics[0].errorMessage, /retention\.ms/);
      const created = await create([{ name: 'retention.ms', value: '1234' }], false);
      assert.equal(created.topics[0].errorCode, 0);
      assert.equal(broker.topics.get('vo')!.configs['retention.ms'], '1234');
    } finally {
      wire.close();
    }
  });
});

test('topic ids: ApiVersions advertises Metadata 12 and Fetch 16 together; Metadata v12 and Fetch v13+ by id; UNKNOWN_TOPIC_ID', async () => {
  await withBroker(async (broker) => {
    await withAdmin(broker, async (admin) => {
      await admin.createTopics([{ topic: 'ids', numPartitions: 2 }]);
      const producer = createClient({ bootstrapServers: broker.bootstrap }).producer();
      await producer.send({ topic: 'ids', messages: [{ value: 'one', partition: 1 }, { value: 'two', partition: 1 }] });
      await producer.close();
    });
    const topicId = broker.topics.get('ids')!.topicId;
    assert.notEqual(topicId, ZERO_UUID_STRING);
    const unknownId = 'AAAAAAAAAAAAAAAAAAAAAQ';
    const wire = await WireClient.connect(broker.port);
    try {
      const versions = await wire.request(18, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
      const range = (k: number) => versions.apiKeys.find((a: any) => a.apiKey === k);
      assert.equal(range(3).maxVersion, 12);
      assert.equal(range(1).maxVersion, 16);

      const all = await wire.request(3, 10, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      assert.equal(all.topics.find((t: any) => t.name === 'ids').topicId, topicId);
      const byId = await wire.request(3, 12, { topics: [{ topicId, name: null }, { topicId: unknownId, name: null }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      assert.deepEqual(byId.topics.map((t: any) => [t.name, t.topicId, t.errorCode, t.partitions.length]), [
        ['ids', topicId, 0, 2],
        [null, unknownId, ErrorCode.UNKNOWN_TOPIC_ID, 0],
      ]);

      for (const version of [13, 15, 16]) {
        const fetch = await wire.request(1, version, {
          replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
          topics: [
            { topicId, partitions: [{ partition: 1, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] },
            { topicId: unknownId, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] },
          ],
          forgottenTopicsData: [], rackId: '',
        });
        assert.equal(fetch.errorCode, 0);
        const [known, unknown] = fetch.responses;
        assert.equal(known.topicId, topicId);
        assert.equal(known.partitions[0].errorCode, 0, `v${version}`);
        assert.equal(known.partitions[0].highWatermark, 2);
        assert.ok(known.partitions[0].records.length > 0, 'records come back by topic id');
        assert.equal(unknown.topicId, unknownId);
        assert.equal(unknown.partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
      }
    } finally {
      wire.close();
    }
  });
});
