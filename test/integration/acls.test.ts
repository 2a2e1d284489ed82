/**
 * Kafka's ACLs end to end on a SASL_PLAINTEXT broker with users alice, bob and admin (a super
 * user): without ACLs alice and bob are refused writing (kcat), reading (kcat), joining a group and
 * committing offsets (confluent-kafka) and a transaction (KafkaJS), each with the error its client
 * knows; ACLs added with `samsa acls` (kafka-acls.sh's flags) apply at once; a DENY wins; prefixed
 * patterns; Metadata hides topics that may not be described; the ACLs survive a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/broker/broker.js';
import { installed, run, SYSTEM_PYTHON } from '../helpers/broker.js';

const SKIP = (await installed('kcat', ['-V'])) ? false : 'kcat is not installed (Debian package kcat)';
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const USERS = { alice: 'alice-secret', bob: 'bob-secret', admin: 'admin-secret' } as const;
type User = keyof typeof USERS;
const JAAS = `org.apache.kafka.common.security.plain.PlainLoginModule required ${Object.entries(USERS).map(([u, p]) => `user_${u}="${p}"`).join(' ')};`;

const brokerConfig = (dir: string): Record<string, string> => ({
  'log.dirs': dir, listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'PLAIN', 'sasl.jaas.config': JAAS,
  'connection.failed.authentication.delay.ms': '10', 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
  'super.users': 'User:admin', 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.replication.factor': '1', 'transaction.state.log.replication.factor': '1',
});

const kcatAuth = (u: User): string[] => ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', '-X', `sasl.username=${u}`, '-X', `sasl.password=${USERS[u]}`];
const kafkajs = (bs: string, u: User) => new Kafka({ brokers: [bs], clientId: `acl-${u}`, sasl: { mechanism: 'plain', username: u, password: USERS[u] }, logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50 } });

/** A confluent-kafka consumer in group `group` reading `topic` until `n` records or an error, then committing. */
const PY_CONSUMER = `
import json, sys, time
from confluent_kafka import Consumer, KafkaException, TopicPartition
bs, user, password, group, topic, n = sys.argv[1:7]
c = Consumer({'bootstrap.servers': bs, 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN', 'sasl.username': user, 'sasl.password': password,
              'group.id': group, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
c.subscribe([topic])
got, errors, end = [], [], time.time() + 20
while time.time() < end and len(got) < int(n) and not errors:
    m = c.poll(0.5)
    if m is None: continue
    if m.error(): errors.append(m.error().name())
    else: got.append(m.value().decode())
try:
    c.commit(offsets=[TopicPartition(topic, 0, len(got))], asynchronous=False)
    committed = 'ok'
except KafkaException as e:
    committed = e.args[0].name()
c.close()
print(json.dumps({'got': got, 'errors': errors, 'committed': committed}))
`;

test('ACLs with SASL users: refused without ACLs, granted with samsa acls at once, deny wins, prefixed patterns, Metadata hides topics, ACLs survive a restart', { skip: SKIP, timeout: 240_000 }, async () => {
  assert.equal((await run(SYSTEM_PYTHON, ['-c', 'import confluent_kafka'], { timeoutMs: 30_000 })).code, 0, `${SYSTEM_PYTHON} cannot import confluent_kafka: install Debian's python3-confluent-kafka`);
  const dir = await mkdtemp(join(tmpdir(), 'samsa-acls-'));
  let b = await Broker.start({ config: brokerConfig(dir) });
  try {
    const adminProps = join(dir, 'admin.properties');
    await writeFile(adminProps, `security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret";\n`);
    const bs = (): string => `127.0.0.1:${b.port}`;
    const acls = (...args: string[]) => run(process.execPath, [CLI, 'acls', '--bootstrap-server', bs(), '--command-config', adminProps, ...args], { timeoutMs: 30_000 });
    const admin = kafkajs(bs(), 'admin').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 't', numPartitions: 1 }, { topic: 'pre-a', numPartitions: 1 }, { topic: 'other', numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();

    // Writing: refused without ACLs, kcat names Kafka's error; --producer grants it at once.
    const produce = (u: User, input: string) => run('kcat', ['-b', bs(), ...kcatAuth(u), '-P', '-t', 't', '-p', '0'], { input, timeoutMs: 30_000 });
    const refusedWrite = await produce('alice', 'a\n');
    assert.notEqual(refusedWrite.code, 0);
    assert.match(refusedWrite.stderr, /Topic authorization failed/i);
    const granted = await acls('--add', '--allow-principal', 'User:alice', '--producer', '--topic', 't');
    assert.equal(granted.code, 0, granted.stderr);
    assert.match(granted.stdout, /Adding ACLs for resource `ResourcePattern\(resourceType=TOPIC, name=t, patternType=LITERAL\)`/);
    assert.match(granted.stdout, /\(principal=User:alice, host=\*, operation=WRITE, permissionType=ALLOW\)/);
    const written = await produce('alice', 'a\nb\nc\n');
    assert.equal(written.code, 0, written.stderr);

    // Reading: alice may write but not read; bob may do neither.
    const consume = (u: User) => run('kcat', ['-b', bs(), ...kcatAuth(u), '-C', '-t', 't', '-p', '0', '-o', 'beginning', '-e', '-q'], { timeoutMs: 30_000 });
    const refusedRead = await consume('alice');
    assert.notEqual(refusedRead.stdout, 'a\nb\nc\n');
    assert.match(refusedRead.stderr, /Topic authorization failed/i);

    // A group and its commits (confluent-kafka): refused until --consumer --group g.
    const pyConsume = async (u: User, group: string) => {
      const r = await run(SYSTEM_PYTHON, ['-c', PY_CONSUMER, bs(), u, USERS[u], group, 't', '3'], { timeoutMs: 60_000 });
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as { got: string[]; errors: string[]; committed: string };
    };
    const noGroup = await pyConsume('alice', 'g');
    assert.deepEqual(noGroup.got, []);
    assert.ok(noGroup.errors.includes('GROUP_AUTHORIZATION_FAILED'), JSON.stringify(noGroup));
    // librdkafka reports the commit as waiting for a coordinator it was refused (_WAIT_COORD).
    assert.notEqual(noGroup.committed, 'ok', 'a commit without Read on the group is refused');
    assert.equal((await acls('--add', '--allow-principal', 'User:alice', '--consumer', '--topic', 't', '--group', 'g')).code, 0);
    const consumed = await pyConsume('alice', 'g');
    assert.deepEqual(consumed, { got: ['a', 'b', 'c'], errors: [], committed: 'ok' });

    // Deny wins over allow.
    assert.equal((await acls('--add', '--deny-principal', 'User:alice', '--operation', 'Read', '--topic', 't')).code, 0);
    assert.match((await consume('alice')).stderr, /Topic authorization failed/i);
    const removed = await acls('--remove', '--force', '--deny-principal', 'User:alice', '--operation', 'Read', '--topic', 't');
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((await consume('alice')).stdout, 'a\nb\nc\n');
    const noTty = await acls('--remove', '--topic', 't');
    assert.notEqual(noTty.code, 0);
    assert.match(noTty.stderr, /--force/);

    // A transaction (KafkaJS): an idempotent producer needs Write on some topic (else the cluster
    // refuses its producer id), a transaction Write on its transactional id, its offsets Read on the group.
    const txProducer = () => kafkajs(bs(), 'bob').producer({ transactionalId: 'tx-bob', idempotent: true, maxInFlightRequests: 1 });
    const p0 = txProducer();
    await assert.rejects(p0.connect(), (err: Error & { type?: string }) => err.type === 'CLUSTER_AUTHORIZATION_FAILED');
    await p0.disconnect();
    assert.equal((await acls('--add', '--allow-principal', 'User:bob', '--producer', '--topic', 't')).code, 0);
    const p1 = txProducer();
    await p1.connect();
    // KafkaJS tries FindCoordinator on every broker and, refused (TRANSACTIONAL_ID_AUTHORIZATION_FAILED) by each, says it found none.
    await assert.rejects(p1.transaction(), (err: Error & { type?: string }) => err.type === 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED' || err.name === 'KafkaJSGroupCoordinatorNotFound');
    await p1.disconnect();
    assert.equal((await acls('--add', '--allow-principal', 'User:bob', '--producer', '--topic', 't', '--transactional-id', 'tx-bob')).code, 0);
    // Now granted, the first FindCoordinator of a transactional id creates __transaction_state and
    // answers COORDINATOR_NOT_AVAILABLE while it loads (~100 ms): this producer retries as KafkaJS
    // does by default, where the refusals above were asserted with 2 quick retries.
    const p2 = new Kafka({ brokers: [bs()], clientId: 'acl-bob', sasl: { mechanism: 'plain', username: 'bob', password: USERS.bob }, logLevel: logLevel.NOTHING })
      .producer({ transactionalId: 'tx-bob', idempotent: true, maxInFlightRequests: 1 });
    await p2.connect();
    const tx = await p2.transaction();
    await tx.send({ topic: 't', messages: [{ value: 'in-tx' }] });
    await assert.rejects(tx.sendOffsets({ consumerGroupId: 'g-bob', topics: [{ topic: 't', partitions: [{ partition: 0, offset: '1' }] }] }), (err: Error & { type?: string }) => err.type === 'GROUP_AUTHORIZATION_FAILED');
    await tx.abort().catch(() => undefined);
    await p2.disconnect();

    // Prefixed patterns, and Metadata lists only what bob may describe.
    const bobTopics = async () => {
      const a = kafkajs(bs(), 'bob').admin();
      await a.connect();
      try {
        return (await a.listTopics()).sort();
      } finally {
        await a.disconnect();
      }
    };
    assert.deepEqual(await bobTopics(), ['t'], 'bob describes t (Write implies Describe) and nothing else');
    assert.equal((await acls('--add', '--allow-principal', 'User:bob', '--operation', 'Describe', '--topic', 'pre-', '--resource-pattern-type', 'prefixed')).code, 0);
    assert.deepEqual(await bobTopics(), ['pre-a', 't']);
    const bobMetadata = await run('kcat', ['-b', bs(), ...kcatAuth('bob'), '-L', '-J', '-t', 'other'], { timeoutMs: 30_000 });
    assert.match(bobMetadata.stdout + bobMetadata.stderr, /Topic authorization failed|TOPIC_AUTHORIZATION_FAILED/i, 'a named topic bob may not describe');

    const listed = await acls('--list', '--topic', 'pre-', '--resource-pattern-type', 'prefixed');
    assert.match(listed.stdout, /Current ACLs for resource `ResourcePattern\(resourceType=TOPIC, name=pre-, patternType=PREFIXED\)`: \n \t\(principal=User:bob, host=\*, operation=DESCRIBE, permissionType=ALLOW\)/);
    const before = JSON.parse((await acls('--list', '--json')).stdout) as unknown[];
    assert.equal(before.length, 4, 'topic t, group g, transactional id tx-bob, prefix pre-');

    // The ACLs are in the metadata log: a restart keeps them and they still apply.
    await b.stop();
    b = await Broker.start({ config: brokerConfig(dir) });
    assert.deepEqual(JSON.parse((await acls('--list', '--json')).stdout), before);
    assert.equal((await consume('alice')).stdout, 'a\nb\nc\n');
    assert.match((await consume('bob')).stderr, /Topic authorization failed/i);

    // Bad arguments: a sentence and a non-zero exit.
    const bad = await acls('--add', '--allow-principal', 'alice', '--topic', 't');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /principalType:name/);
    const badOp = await acls('--add', '--allow-principal', 'User:alice', '--operation', 'IdempotentWrite', '--topic', 't');
    assert.notEqual(badOp.code, 0);
    assert.match(badOp.stderr, /ResourceType TOPIC only supports operations/);
    // Only a principal with Alter on the cluster may change ACLs.
    const aliceProps = join(dir, 'alice.properties');
    await writeFile(aliceProps, `security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";\n`);
    const byAlice = await run(process.execPath, [CLI, 'acls', '--bootstrap-server', bs(), '--command-config', aliceProps, '--add', '--allow-principal', 'User:alice', '--topic', 'other'], { timeoutMs: 30_000 });
    assert.notEqual(byAlice.code, 0);
    assert.match(byAlice.stderr, /[Cc]luster ?[Aa]uthorization/);
  } finally {
    await b.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('an authorizer class Samsa does not have stops the broker with a sentence', async () => {
  await assert.rejects(Broker.start({ port: 0, config: { 'authorizer.class.name': 'com.example.MyAuthorizer' } }), /authorizer\.class\.name: 'com\.example\.MyAuthorizer' is not an authorizer Samsa has/);
});
