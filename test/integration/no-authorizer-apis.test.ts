// The ACL, leader-election and reassignment APIs, answered as a one-broker Kafka without an
// authorizer answers them: at the wire at every version served, and through KafkaJS's admin
// (describeAcls, createAcls, deleteAcls, alterPartitionReassignments, listPartitionReassignments)
// and kafka-python's KafkaAdminClient (describe_acls, create_acls, delete_acls).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { withBroker, run, SYSTEM_PYTHON } from '../helpers/broker.js';
import { WireClient } from '../helpers/broker-process.js';
import { createClient } from '../../src/client/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';

const HAVE_KAFKA_PYTHON = (await run(SYSTEM_PYTHON, ['-c', 'import kafka'], { timeoutMs: 30_000 }).catch(() => ({ code: 1 }))).code === 0;

/** TOPIC (2), literal (3), ALL operations (2), ALLOW (3). */
const BINDING = { resourceType: 2, resourceName: 't', resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 2, permissionType: 3 };
/** The broker's node.id (Kafka's default here: 1). */
const NODE_ID = 1;
const FILTER = { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 };

test('DescribeAcls, CreateAcls, DeleteAcls v0–v3: SECURITY_DISABLED with Kafka\'s messages; UNKNOWN codes close the connection', async () => {
  await withBroker(async (broker) => {
    const w = await WireClient.connect(broker.port);
    try {
      for (const version of [0, 1, 2, 3]) {
        const d = await w.request(29, version, FILTER);
        assert.deepEqual([d.errorCode, d.errorMessage, d.resources], [ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured on the broker', []], `DescribeAcls v${version}`);
        const c = await w.request(30, version, { creations: [BINDING, { ...BINDING, principal: 'User:bob' }] });
        assert.deepEqual(c.results, [1, 2].map(() => ({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.' })), `CreateAcls v${version}`);
        const del = await w.request(31, version, { filters: [FILTER] });
        assert.deepEqual(del.filterResults, [{ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.', matchingAcls: [] }], `DeleteAcls v${version}`);
      }
    } finally {
      w.close();
    }
    // Kafka cannot parse a binding with an UNKNOWN (0) code and closes the connection.
    for (const [key, body] of [[29, { ...FILTER, operation: 0 }], [30, { creations: [{ ...BINDING, resourceType: 0 }] }], [31, { filters: [{ ...FILTER, permissionType: 0 }] }]] as const) {
      const bad = await WireClient.connect(broker.port);
      await assert.rejects(bad.request(key, 1, body), /connection closed/, `api key ${key}`);
      bad.close();
    }
    const after = await WireClient.connect(broker.port);
    assert.equal((await after.request(29, 1, FILTER)).errorCode, ErrorCode.SECURITY_DISABLED, 'the broker serves on');
    after.close();
  });
});

test('ElectLeaders v0–v2: ELECTION_NOT_NEEDED for every partition this broker leads, unknown ones named', async () => {
  await withBroker(async (broker) => {
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    const w = await WireClient.connect(broker.port);
    try {
      await kafka.admin().createTopics([{ topic: 'lead', numPartitions: 2 }, { topic: 'other', numPartitions: 1 }]);
      for (const version of [0, 1, 2]) {
        for (const electionType of [0, 1]) {
          const r = await w.request(43, version, { electionType, timeoutMs: 1000, topicPartitions: [{ topic: 'lead', partitions: [0, 1, 2] }, { topic: 'nope', partitions: [0] }] });
          assert.equal(r.errorCode ?? 0, 0);
          assert.deepEqual(r.replicaElectionResults, [
            { topic: 'lead', partitionResult: [
              { partitionId: 0, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: 'Leader election not needed for topic partition.' },
              { partitionId: 1, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: 'Leader election not needed for topic partition.' },
              { partitionId: 2, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'No such partition as lead-2' },
            ] },
            { topic: 'nope', partitionResult: [{ partitionId: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'No such topic as nope' }] },
          ], `v${version} type ${electionType}`);
        }
        // All partitions: those whose election is not needed are left out, as in Kafka.
        const all = await w.request(43, version, { electionType: 0, timeoutMs: 1000, topicPartitions: null });
        assert.deepEqual(all.replicaElectionResults.map((t: any) => [t.topic, t.partitionResult]).sort(), [['lead', []], ['other', []]]);
      }
      const odd = await w.request(43, 1, { electionType: 7, timeoutMs: 1000, topicPartitions: [{ topic: 'lead', partitions: [0] }] });
      assert.equal(odd.errorCode, ErrorCode.INVALID_REQUEST);
      assert.deepEqual(odd.replicaElectionResults[0].partitionResult, [{ partitionId: 0, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Unknown election type 7' }]);
    } finally {
      w.close();
      await kafka.close();
    }
  });
});

test('AlterPartitionReassignments and ListPartitionReassignments v0: only [this broker] is valid, nothing is ever in progress', async () => {
  await withBroker(async (broker) => {
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    const w = await WireClient.connect(broker.port);
    try {
      await kafka.admin().createTopics([{ topic: 'moved', numPartitions: 1 }]);
      const node = NODE_ID;
      const r = await w.request(45, 0, {
        timeoutMs: 1000,
        topics: [
          { name: 'moved', partitions: [[node], [node + 1], [], [node, node], null].map((replicas) => ({ partitionIndex: 0, replicas })) },
          { name: 'moved', partitions: [{ partitionIndex: 3, replicas: [node] }] },
          { name: 'absent', partitions: [{ partitionIndex: 0, replicas: [node] }] },
        ],
      });
      assert.deepEqual([r.errorCode, r.errorMessage], [0, null]);
      const outcome = (t: number) => r.responses[t].partitions.map((p: any) => [p.partitionIndex, p.errorCode, p.errorMessage]);
      assert.deepEqual(outcome(0), [
        [0, 0, null],
        [0, ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${node + 1}, but no such broker is registered.`],
        [0, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.'],
        [0, ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes the broker ${node} more than once.`],
        [0, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, null],
      ]);
      assert.deepEqual(outcome(1), [[3, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'Unable to find partition moved:3.']]);
      assert.deepEqual(outcome(2), [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'Unable to find a topic named absent.']]);
      for (const topics of [null, [{ name: 'moved', partitionIndexes: [0] }], [{ name: 'absent', partitionIndexes: [0] }]]) {
        assert.deepEqual(await w.request(46, 0, { timeoutMs: 1000, topics }), { throttleTimeMs: 0, errorCode: 0, errorMessage: null, topics: [] });
      }
    } finally {
      w.close();
      await kafka.close();
    }
  });
});

test('KafkaJS admin: ACL calls fail with SECURITY_DISABLED; reassigning to this broker succeeds, to another fails; none in progress', { timeout: 60_000 }, async () => {
  await withBroker(async (broker) => {
    const kafka = new Kafka({ clientId: 'acl-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'kjs', numPartitions: 2 }] });
      const disabled = (err: any) => err.type === 'SECURITY_DISABLED';
      await assert.rejects(admin.describeAcls({ resourceType: 3, resourcePatternType: 1, operation: 1, permissionType: 1 } as any), disabled);
      await assert.rejects(
        admin.createAcls({ acl: [{ resourceType: 2, resourceName: 'kjs', resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 2, permissionType: 3 }] } as any),
        disabled,
      );
      await assert.rejects(
        admin.deleteAcls({ filters: [{ resourceType: 1, resourcePatternType: 1, principal: 'User:alice', host: '*', operation: 1, permissionType: 1 }] } as any),
        disabled,
      );
      await admin.alterPartitionReassignments({ topics: [{ topic: 'kjs', partitionAssignment: [{ partition: 0, replicas: [NODE_ID] }, { partition: 1, replicas: [NODE_ID] }] }] });
      await assert.rejects(
        admin.alterPartitionReassignments({ topics: [{ topic: 'kjs', partitionAssignment: [{ partition: 0, replicas: [NODE_ID + 5] }] }] }),
        (err: any) => err.name === 'KafkaJSAggregateError' && err.errors.length === 1 && err.errors[0].type === 'INVALID_REPLICA_ASSIGNMENT' && err.errors[0].topic === 'kjs',
      );
      assert.deepEqual(await admin.listPartitionReassignments({}), { topics: [] });
      assert.deepEqual(await admin.listPartitionReassignments({ topics: [{ topic: 'kjs', partitions: [0, 1] }] }), { topics: [] });
    } finally {
      await admin.disconnect();
    }
  });
});

test('kafka-python KafkaAdminClient: describe_acls raises SecurityDisabledError; create/delete report it per ACL', { skip: HAVE_KAFKA_PYTHON ? false : 'kafka-python not installed', timeout: 60_000 }, async () => {
  await withBroker(async (broker) => {
    const script = `
import json, sys
from kafka.admin import KafkaAdminClient, ACL, ACLFilter, ResourcePattern, ResourcePatternFilter, ResourceType, ACLOperation, ACLPermissionType, ACLResourcePatternType
from kafka.errors import SecurityDisabledError
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1])
out = {}
try:
    admin.describe_acls(ACLFilter(principal=None, host='*', operation=ACLOperation.ANY, permission_type=ACLPermissionType.ANY,
                                  resource_pattern=ResourcePatternFilter(ResourceType.TOPIC, None, ACLResourcePatternType.ANY)))
    out['describe'] = 'no error'
except SecurityDisabledError as e:
    out['describe'] = 'SecurityDisabledError'
acl = ACL(principal='User:alice', host='*', operation=ACLOperation.READ, permission_type=ACLPermissionType.ALLOW,
          resource_pattern=ResourcePattern(ResourceType.TOPIC, 't', ACLResourcePatternType.LITERAL))
created = admin.create_acls([acl])
name = lambda err: getattr(err, '__name__', type(err).__name__)
out['created'] = [name(err) for _, err in created['failed']] + ['succeeded'] * len(created['succeeded'])
deleted = admin.delete_acls([ACLFilter(principal=None, host=None, operation=ACLOperation.ANY, permission_type=ACLPermissionType.ANY,
                                       resource_pattern=ResourcePatternFilter(ResourceType.TOPIC, None, ACLResourcePatternType.ANY))])
out['deleted'] = [name(err) for _, matches, err in deleted]
admin.close()
print(json.dumps(out))
`;
    const r = await run(SYSTEM_PYTHON, ['-c', script, broker.bootstrap], { timeoutMs: 45_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!), { describe: 'SecurityDisabledError', created: ['SecurityDisabledError'], deleted: ['SecurityDisabledError'] });
  });
});
