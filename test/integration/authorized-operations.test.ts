// Authorized operations (KIP-430) as a Kafka broker without an authorizer reports them: every
// operation of the resource type, as a bit set of AclOperation codes, only when asked for; else
// -2^31. At the wire (Metadata v8–v12, DescribeCluster v0–v1, DescribeGroups v3–v5), and decoded
// by kafka-python 2.0.2 from a Metadata v8 built with its protocol types. (Its admin client's
// DescribeGroups v3 reads the reply with the v2 schema, so it never sees the group's operations.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker, run, SYSTEM_PYTHON } from '../helpers/broker.js';
import { WireClient } from '../helpers/broker-process.js';
import { createClient } from '../../src/client/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';

const HAVE_KAFKA_PYTHON = (await run(SYSTEM_PYTHON, ['-c', 'import kafka'], { timeoutMs: 30_000 }).catch(() => ({ code: 1 }))).code === 0;
const NOT_REQUESTED = -2147483648;
/** READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS (3–8, 10, 11). */
const TOPIC = 3576;
/** CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE (5, 7–12). */
const CLUSTER = 8096;
/** READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS (3, 6, 8, 10, 11): Kafka 4's, with group configs. */
const GROUP = 3400;

function metadataRequest(version: number, asked: boolean, topics: object[] | null) {
  return { topics, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: asked, includeTopicAuthorizedOperations: asked };
}

test('Metadata v8+ and DescribeCluster report every topic and cluster operation when asked, the default otherwise', async () => {
  await withBroker(async (broker) => {
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    const w = await WireClient.connect(broker.port);
    try {
      await kafka.admin().createTopics([{ topic: 'ops', numPartitions: 1 }]);
      for (const version of [8, 9, 10, 11, 12]) {
        const names = [{ name: 'ops', topicId: '' }, { name: 'absent', topicId: '' }].map((t) => (version >= 10 ? { ...t, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' } : t));
        const asked = await w.request(3, version, metadataRequest(version, true, names));
        assert.deepEqual(asked.topics.map((t: any) => [t.name, t.errorCode, t.topicAuthorizedOperations]), [['ops', 0, TOPIC], ['absent', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, TOPIC]], `v${version}`);
        // Metadata v11 dropped the cluster field (DescribeCluster answers it).
        assert.equal(asked.clusterAuthorizedOperations ?? NOT_REQUESTED, version <= 10 ? CLUSTER : NOT_REQUESTED, `v${version}`);
        const plain = await w.request(3, version, metadataRequest(version, false, null));
        assert.deepEqual(plain.topics.map((t: any) => t.topicAuthorizedOperations), [NOT_REQUESTED], `v${version}`);
        assert.equal(plain.clusterAuthorizedOperations ?? NOT_REQUESTED, NOT_REQUESTED);
      }
      // An unknown topic id keeps the default, as in Kafka.
      const byId = await w.request(3, 12, metadataRequest(12, true, [{ name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' }]));
      assert.deepEqual(byId.topics.map((t: any) => [t.errorCode, t.topicAuthorizedOperations]), [[ErrorCode.UNKNOWN_TOPIC_ID, NOT_REQUESTED]]);
      for (const version of [0, 1]) {
        assert.equal((await w.request(60, version, { includeClusterAuthorizedOperations: true, endpointType: 1 })).clusterAuthorizedOperations, CLUSTER);
        assert.equal((await w.request(60, version, { includeClusterAuthorizedOperations: false, endpointType: 1 })).clusterAuthorizedOperations, NOT_REQUESTED);
      }
      for (const version of [3, 4, 5]) {
        const g = await w.request(15, version, { groups: ['nobody'], includeAuthorizedOperations: true });
        assert.equal(g.groups[0].authorizedOperations, GROUP);
      }
    } finally {
      w.close();
      await kafka.close();
    }
  });
});

test('kafka-python decodes the operations from a Metadata v8 built from its protocol types', { skip: HAVE_KAFKA_PYTHON ? false : 'kafka-python not installed', timeout: 60_000 }, async () => {
  await withBroker(async (broker) => {
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    try {
      await kafka.admin().createTopics([{ topic: 'ops', numPartitions: 1 }]);
    } finally {
      await kafka.close();
    }
    const script = `
import json, sys
from kafka import KafkaClient
from kafka.protocol.api import Request, Response
from kafka.protocol.types import Array, Boolean, Int16, Int32, Schema, String

class MetadataResponse_v8(Response):
    API_KEY = 3
    API_VERSION = 8
    SCHEMA = Schema(
        ('throttle_time_ms', Int32),
        ('brokers', Array(('node_id', Int32), ('host', String('utf-8')), ('port', Int32), ('rack', String('utf-8')))),
        ('cluster_id', String('utf-8')),
        ('controller_id', Int32),
        ('topics', Array(
            ('error_code', Int16), ('topic', String('utf-8')), ('is_internal', Boolean),
            ('partitions', Array(('error_code', Int16), ('partition', Int32), ('leader', Int32), ('leader_epoch', Int32),
                                 ('replicas', Array(Int32)), ('isr', Array(Int32)), ('offline_replicas', Array(Int32)))),
            ('topic_authorized_operations', Int32))),
        ('cluster_authorized_operations', Int32))

class MetadataRequest_v8(Request):
    API_KEY = 3
    API_VERSION = 8
    RESPONSE_TYPE = MetadataResponse_v8
    SCHEMA = Schema(('topics', Array(String('utf-8'))), ('allow_auto_topic_creation', Boolean),
                    ('include_cluster_authorized_operations', Boolean), ('include_topic_authorized_operations', Boolean))

client = KafkaClient(bootstrap_servers=sys.argv[1])
node = client.least_loaded_node()
while not client.ready(node):
    client.poll(timeout_ms=100)
f = client.send(node, MetadataRequest_v8(['ops'], False, True, True))
client.poll(future=f)
m = f.value
client.close()
print(json.dumps({'topic': m.topics[0][4], 'cluster': m.cluster_authorized_operations}))
`;
    const r = await run(SYSTEM_PYTHON, ['-c', script, broker.bootstrap], { timeoutMs: 45_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!), { topic: TOPIC, cluster: CLUSTER });
  });
});
