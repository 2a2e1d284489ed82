/**
 * SASL/SCRAM-SHA-256 and SCRAM-SHA-512 with credentials in the broker's metadata, set with
 * AlterUserScramCredentials through Samsa's admin client (and kafka-configs): kcat (librdkafka),
 * confluent-kafka, kafka-python and KafkaJS log in with the right password, and a wrong password
 * or an unknown user gets Kafka's sentence; credentials survive a restart, a deleted one no
 * longer logs in, and the API's refusals carry Kafka's codes and sentences.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/broker/broker.js';
import { clientProperties, createClient, KafkaError } from '../../src/client/index.js';
import { fileURLToPath } from 'node:url';
import { installed, run, SYSTEM_PYTHON } from '../helpers/broker.js';

const KAFKA_CONFIGS = fileURLToPath(new URL('../../../bin/kafka-configs.sh', import.meta.url));

const SKIP = (await installed('kcat', ['-V'])) ? false : 'kcat is not installed (Debian package kcat)';

const CONFIG = {
  listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
  'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512',
  'connection.failed.authentication.delay.ms': '10',
};

async function withScramBroker(fn: (b: Broker, dir: string) => Promise<void>, dir?: string): Promise<void> {
  const own = dir === undefined;
  const logDir = dir ?? (await mkdtemp(join(tmpdir(), 'samsa-scram-')));
  const b = await Broker.start({ config: { 'log.dirs': logDir, ...CONFIG } });
  try {
    await fn(b, logDir);
  } finally {
    await b.stop();
    if (own) await rm(logDir, { recursive: true, force: true });
  }
}

/** Samsa's admin over the PLAINTEXT listener: sets the test users' credentials. */
async function addUsers(b: Broker): Promise<void> {
  const kafka = createClient({ bootstrapServers: `127.0.0.1:${b.listenerPort('PLAINTEXT')}` });
  try {
    const results = await kafka.admin().alterUserScramCredentials([
      { type: 'upsert', user: 'alice', mechanism: 'SCRAM-SHA-256', password: 'alice-secret' },
      { type: 'upsert', user: 'bob', mechanism: 'SCRAM-SHA-512', password: 'b0b-secret', iterations: 8192 },
    ]);
    assert.deepEqual([...results], [['alice', null], ['bob', null]]);
    await kafka.admin().alterUserScramCredentials([{ type: 'upsert', user: 'alice', mechanism: 'SCRAM-SHA-512', password: 'alice-secret' }]);
  } finally {
    await kafka.close();
  }
}

const scram = (m: string, user: string, password: string): string[] => ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', `sasl.mechanisms=${m}`, '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`];

test('SCRAM-SHA-256 and SCRAM-SHA-512: kcat logs in with credentials set through the admin API, produces and consumes; a wrong password and an unknown user get Kafka\'s sentence', { skip: SKIP, timeout: 120_000 }, async () => {
  await withScramBroker(async (b) => {
    await addUsers(b);
    const bs = `127.0.0.1:${b.listenerPort('SASL_PLAINTEXT')}`;
    const p = await run('kcat', ['-b', bs, ...scram('SCRAM-SHA-256', 'alice', 'alice-secret'), '-P', '-t', 'scrammed'], { input: 'a\nb\n', timeoutMs: 30_000 });
    assert.equal(p.code, 0, p.stderr);
    const c = await run('kcat', ['-b', bs, ...scram('SCRAM-SHA-512', 'bob', 'b0b-secret'), '-C', '-t', 'scrammed', '-o', 'beginning', '-e', '-q'], { timeoutMs: 30_000 });
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout, 'a\nb\n');
    for (const [m, user, password] of [['SCRAM-SHA-256', 'alice', 'wrong'], ['SCRAM-SHA-512', 'mallory', 'x'], ['SCRAM-SHA-256', 'bob', 'b0b-secret']] as const) {
      const bad = await run('kcat', ['-b', bs, ...scram(m, user, password), '-L', '-m', '5'], { timeoutMs: 30_000 });
      assert.notEqual(bad.code, 0, `${m} ${user}/${password} refused`);
      assert.match(bad.stderr, new RegExp(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${m}`));
    }
  });
});

test('SCRAM with confluent-kafka, kafka-python and KafkaJS; KafkaJS with a wrong password is refused', { skip: SKIP, timeout: 180_000 }, async () => {
  for (const mod of ['confluent_kafka', 'kafka'])
    assert.equal((await run(SYSTEM_PYTHON, ['-c', `import ${mod}`], { timeoutMs: 30_000 })).code, 0, `${SYSTEM_PYTHON} cannot import ${mod}: install Debian's python3-confluent-kafka and python3-kafka`);
  await withScramBroker(async (b) => {
    await addUsers(b);
    const bs = `127.0.0.1:${b.listenerPort('SASL_PLAINTEXT')}`;
    const confluent = `
import sys
from confluent_kafka import Producer, Consumer
kw = {'bootstrap.servers': sys.argv[1], 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'SCRAM-SHA-512', 'sasl.username': 'alice', 'sasl.password': 'alice-secret'}
p = Producer(kw)
p.produce('ck-scram', b'from-confluent')
assert p.flush(20) == 0
c = Consumer(dict(kw, **{'group.id': 'g', 'auto.offset.reset': 'earliest'}))
c.subscribe(['ck-scram'])
got = None
for _ in range(40):
    m = c.poll(0.5)
    if m is not None and m.error() is None:
        got = m.value().decode(); break
c.close()
print(got)
`;
    const ck = await run(SYSTEM_PYTHON, ['-c', confluent, bs], { timeoutMs: 90_000 });
    assert.equal(ck.code, 0, ck.stderr);
    assert.equal(ck.stdout.trim(), 'from-confluent');

    const kp = `
import sys
from kafka import KafkaProducer, KafkaConsumer
kw = dict(bootstrap_servers=sys.argv[1], security_protocol='SASL_PLAINTEXT', sasl_mechanism='SCRAM-SHA-256', sasl_plain_username='alice', sasl_plain_password='alice-secret')
p = KafkaProducer(**kw)
p.send('kp-scram', b'from-kafka-python')
p.flush(20)
c = KafkaConsumer('kp-scram', auto_offset_reset='earliest', consumer_timeout_ms=8000, **kw)
print([m.value.decode() for m in c])
`;
    const py = await run(SYSTEM_PYTHON, ['-c', kp, bs], { timeoutMs: 90_000 });
    assert.equal(py.code, 0, py.stderr);
    assert.equal(py.stdout.trim(), "['from-kafka-python']");

    const good = new Kafka({ brokers: [bs], sasl: { mechanism: 'scram-sha-512', username: 'bob', password: 'b0b-secret' }, logLevel: logLevel.NOTHING });
    const producer = good.producer();
    await producer.connect();
    await producer.send({ topic: 'kjs-scram', messages: [{ value: 'ok' }] });
    await producer.disconnect();
    const bad = new Kafka({ brokers: [bs], sasl: { mechanism: 'scram-sha-256', username: 'alice', password: 'nope' }, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    await assert.rejects(bad.admin().connect(), /SASL SCRAM SHA256 authentication failed|invalid credentials/);
  });
});

test("Samsa's client logs in with SCRAM; credentials survive a restart; a deleted credential no longer logs in; the API refuses bad changes with Kafka's codes", { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-scram-'));
  const scramClient = (b: Broker, m: string, user: string, password: string) =>
    createClient({
      bootstrapServers: `127.0.0.1:${b.listenerPort('SASL_PLAINTEXT')}`,
      ...clientProperties(
        { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': m, 'sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${password}";` },
        'admin',
      ).client,
    });
  try {
    await withScramBroker(async (b) => addUsers(b), dir);
    await withScramBroker(async (b) => {
      const alice = scramClient(b, 'SCRAM-SHA-512', 'alice', 'alice-secret');
      try {
        await alice.admin().createTopics([{ topic: 'after-restart', numPartitions: 1 }]);
        const described = await alice.admin().describeUserScramCredentials();
        assert.deepEqual(Object.fromEntries(described), {
          alice: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }, { mechanism: 'SCRAM-SHA-512', iterations: 4096 }],
          bob: [{ mechanism: 'SCRAM-SHA-512', iterations: 8192 }],
        });
        assert.deepEqual([...(await alice.admin().describeUserScramCredentials(['nobody']))], []);
        const refused = await alice.admin().alterUserScramCredentials([
          { type: 'upsert', user: 'carol', mechanism: 'SCRAM-SHA-256', password: 'c', iterations: 1000 },
          { type: 'upsert', user: 'dave', mechanism: 'SCRAM-SHA-256', password: 'd', iterations: 20000 },
          { type: 'delete', user: 'erin', mechanism: 'SCRAM-SHA-256' },
          { type: 'delete', user: 'bob', mechanism: 'SCRAM-SHA-512' },
          { type: 'upsert', user: 'bob', mechanism: 'SCRAM-SHA-256', password: 'again' },
          { type: 'delete', user: 'alice', mechanism: 'SCRAM-SHA-256' },
        ]);
        const codes = Object.fromEntries([...refused].map(([u, e]) => [u, e === null ? 'ok' : `${e.code} ${e.message}`]));
        assert.deepEqual(codes, {
          alice: 'ok',
          carol: '93 Too few iterations',
          dave: '93 Too many iterations',
          erin: '91 Attempt to delete a user credential that does not exist',
          bob: '92 A user credential cannot be altered twice in the same request',
        });
      } finally {
        await alice.close();
      }
      const gone = scramClient(b, 'SCRAM-SHA-256', 'alice', 'alice-secret');
      try {
        await assert.rejects(gone.admin().listTopics(), (err: Error) => err instanceof KafkaError && err.code === 58 && /invalid credentials with SASL mechanism SCRAM-SHA-256/.test(err.message));
      } finally {
        await gone.close();
      }
      const wrong = scramClient(b, 'SCRAM-SHA-512', 'bob', 'not-bobs');
      try {
        await assert.rejects(wrong.admin().listTopics(), (err: Error) => err instanceof KafkaError && err.code === 58);
      } finally {
        await wrong.close();
      }
    }, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("kafka-configs.sh manages SCRAM users as Kafka's does: --add-config 'SCRAM-SHA-256=[iterations=8192,password=…]', --describe lists them, --delete-config removes; kcat logs in only while the credential exists", { skip: SKIP, timeout: 120_000 }, async () => {
  await withScramBroker(async (b) => {
    const admin = ['--bootstrap-server', `127.0.0.1:${b.listenerPort('PLAINTEXT')}`, '--entity-type', 'users', '--entity-name', 'carol'];
    const add = await run(KAFKA_CONFIGS, [...admin, '--alter', '--add-config', 'SCRAM-SHA-256=[iterations=8192,password=carol-secret]'], { timeoutMs: 30_000 });
    assert.equal(add.code, 0, add.stderr);
    assert.equal(add.stdout.trim(), 'Completed updating config for user carol.');
    const add512 = await run(KAFKA_CONFIGS, [...admin, '--alter', '--add-config', 'SCRAM-SHA-512=[password=carol-secret]'], { timeoutMs: 30_000 });
    assert.equal(add512.code, 0, add512.stderr);
    const described = await run(KAFKA_CONFIGS, [...admin, '--describe'], { timeoutMs: 30_000 });
    assert.equal(described.code, 0, described.stderr);
    assert.equal(described.stdout.trim(), "SCRAM credential configs for user-principal 'carol' are SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=4096");
    const bs = `127.0.0.1:${b.listenerPort('SASL_PLAINTEXT')}`;
    const login = () => run('kcat', ['-b', bs, ...scram('SCRAM-SHA-256', 'carol', 'carol-secret'), '-L', '-m', '5'], { timeoutMs: 30_000 });
    assert.equal((await login()).code, 0);
    const both = await run(KAFKA_CONFIGS, [...admin, '--alter', '--add-config', 'SCRAM-SHA-256=[password=x],SCRAM-SHA-512=[password=y]'], { timeoutMs: 30_000 });
    assert.notEqual(both.code, 0);
    assert.match(both.stderr, /A user credential cannot be altered twice in the same request/);
    const noPassword = await run(KAFKA_CONFIGS, [...admin, '--alter', '--add-config', 'SCRAM-SHA-256=[iterations=8192]'], { timeoutMs: 30_000 });
    assert.notEqual(noPassword.code, 0);
    assert.match(noPassword.stderr, /give the password/);
    const del = await run(KAFKA_CONFIGS, [...admin, '--alter', '--delete-config', 'SCRAM-SHA-256'], { timeoutMs: 30_000 });
    assert.equal(del.code, 0, del.stderr);
    assert.notEqual((await login()).code, 0, 'the deleted credential no longer logs in');
  });
});
