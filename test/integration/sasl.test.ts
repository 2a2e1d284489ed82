/**
 * SASL/PLAIN on SASL_PLAINTEXT and SASL_SSL listeners with users in Kafka's JAAS line, checked
 * with kcat (librdkafka: SaslHandshake v1 + SaslAuthenticate), KafkaJS and kafka-python: the right
 * password is served, a wrong one or an unknown user gets Kafka's SASL_AUTHENTICATION_FAILED
 * sentence; a request before authentication closes the connection; a SASL listener without PLAIN
 * users, or with another mechanism, stops the broker with a sentence. Samsa's own client and
 * tools log in with SASL/PLAIN too.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/broker/broker.js';
import { clientProperties, createClient, KafkaError } from '../../src/client/index.js';
import { installed, run, SYSTEM_PYTHON } from '../helpers/broker.js';
import { makeTestCerts, removeTestCerts } from '../helpers/certs.js';
import { startBrokerProcess } from '../helpers/broker-process.js';

after(removeTestCerts);

const SKIP = (await installed('kcat', ['-V'])) ? false : 'kcat is not installed (Debian package kcat)';
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret" user_bob="b0b";';

async function withSaslBroker(config: Record<string, string>, fn: (b: Broker) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-sasl-'));
  const b = await Broker.start({ config: { 'log.dirs': dir, 'connection.failed.authentication.delay.ms': '10', ...config } });
  try {
    await fn(b);
  } finally {
    await b.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A SASL_SSL listener with the test users and a PEM keystore. */
const saslSsl = (keystore: string): Record<string, string> => ({
  listeners: 'SASL_SSL://127.0.0.1:0', 'sasl.enabled.mechanisms': 'PLAIN', 'sasl.jaas.config': JAAS,
  'ssl.keystore.type': 'PEM', 'ssl.keystore.location': keystore,
});

const plain = (user: string, password: string): string[] => ['-X', 'sasl.mechanisms=PLAIN', '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`];

test('SASL_PLAINTEXT with PLAIN: kcat with the right password produces and consumes; a wrong password and an unknown user get Kafka\'s sentence; a request before authenticating closes the connection', { skip: SKIP, timeout: 120_000 }, async () => {
  await withSaslBroker({ listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'PLAIN', 'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS }, async (b) => {
    const bs = `127.0.0.1:${b.port}`;
    const auth = ['-X', 'security.protocol=SASL_PLAINTEXT', ...plain('alice', 'alice-secret')];
    const p = await run('kcat', ['-b', bs, ...auth, '-P', '-t', 'signed'], { input: 'x\ny\n', timeoutMs: 30_000 });
    assert.equal(p.code, 0, p.stderr);
    const c = await run('kcat', ['-b', bs, ...auth, '-C', '-t', 'signed', '-o', 'beginning', '-e', '-q'], { timeoutMs: 30_000 });
    assert.equal(c.stdout, 'x\ny\n');
    for (const [user, password] of [['alice', 'wrong'], ['mallory', 'alice-secret']] as const) {
      const bad = await run('kcat', ['-b', bs, '-X', 'security.protocol=SASL_PLAINTEXT', ...plain(user, password), '-L', '-m', '5'], { timeoutMs: 30_000 });
      assert.notEqual(bad.code, 0, `${user}/${password} refused`);
      assert.match(bad.stderr, /Authentication failed: Invalid username or password/);
    }
    const closed = await new Promise<boolean>((resolve) => {
      // A Metadata v0 request, before any SASL: the connection ends without an answer.
      const s = connect(b.port, '127.0.0.1', () => s.write(Buffer.from([0, 0, 0, 14, 0, 3, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0])));
      let answered = false;
      s.on('data', () => (answered = true));
      s.on('close', () => resolve(!answered));
      s.on('error', () => undefined);
    });
    assert.ok(closed, 'closed without an answer');
  });
});

test('SASL_SSL with PLAIN: kcat over TLS and KafkaJS authenticate; KafkaJS with a wrong password gets the error', { skip: SKIP, timeout: 120_000 }, async () => {
  const certs = await makeTestCerts();
  const config = saslSsl(certs.brokerPem);
  await withSaslBroker(config, async (b) => {
    const bs = `127.0.0.1:${b.port}`;
    const r = await run('kcat', ['-b', bs, '-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${certs.caPem}`, ...plain('bob', 'b0b'), '-L', '-J'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    const ssl = { ca: [await readFile(certs.caPem, 'utf8')] };
    const good = new Kafka({ brokers: [bs], ssl, sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' }, logLevel: logLevel.NOTHING });
    const producer = good.producer();
    await producer.connect();
    await producer.send({ topic: 'kjs-sasl', messages: [{ value: 'ok' }] });
    await producer.disconnect();
    const bad = new Kafka({ brokers: [bs], ssl, sasl: { mechanism: 'plain', username: 'alice', password: 'nope' }, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = bad.admin();
    await assert.rejects(admin.connect(), /SASL PLAIN authentication failed|Authentication failed/);
  });
});

test('kafka-python over SASL_PLAINTEXT with PLAIN', { skip: SKIP, timeout: 120_000 }, async () => {
  // .ci/run installs it: a missing client fails here rather than passing unchecked.
  assert.equal((await run(SYSTEM_PYTHON, ['-c', 'import kafka'], { timeoutMs: 30_000 })).code, 0, `${SYSTEM_PYTHON} cannot import kafka: install Debian's python3-kafka`);
  await withSaslBroker({ listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'PLAIN', 'sasl.jaas.config': JAAS }, async (b) => {
    const script = `
import sys
from kafka import KafkaProducer, KafkaConsumer
kw = dict(bootstrap_servers=sys.argv[1], security_protocol='SASL_PLAINTEXT', sasl_mechanism='PLAIN', sasl_plain_username='alice', sasl_plain_password='alice-secret')
p = KafkaProducer(**kw)
p.send('kp', b'hello')
p.flush(20)
c = KafkaConsumer('kp', auto_offset_reset='earliest', consumer_timeout_ms=8000, **kw)
print([m.value.decode() for m in c])
`;
    const r = await run(SYSTEM_PYTHON, ['-c', script, `127.0.0.1:${b.port}`], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "['hello']");
  });
});

test('SASL listener settings that cannot work are refused at start-up with one sentence', async () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{}, /enables GSSAPI \(Kafka's default\); Samsa serves PLAIN, SCRAM-SHA-256/],
    [{ 'sasl.enabled.mechanisms': 'PLAIN' }, /uses SASL\/PLAIN without users/],
    [{ 'sasl.enabled.mechanisms': 'PLAIN', 'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required;' }, /no users; add user_<name>/],
    [{ 'sasl.enabled.mechanisms': 'PLAIN,GSSAPI', 'sasl.jaas.config': JAAS }, /enables PLAIN,GSSAPI; Samsa serves PLAIN, SCRAM-SHA-256/],
    [{ 'sasl.enabled.mechanisms': 'PLAIN', 'sasl.jaas.config': 'garbage' }, /not a JAAS line/],
  ];
  for (const [config, expected] of cases) {
    await assert.rejects(
      Broker.start({ config: { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'log.dirs': join(tmpdir(), `samsa-sasl-bad-${process.pid}-${Math.random().toString(36).slice(2)}`), ...config } }),
      (err: Error) => err.name === 'ConfigError' && expected.test(err.message),
      `${JSON.stringify(config)} → ${expected}`,
    );
  }
});

test("Samsa's client and tools log in with SASL/PLAIN (over SASL_SSL): createClient and kafka-topics --command-config; a wrong password is Kafka's error, not a retry loop", { skip: SKIP, timeout: 120_000 }, async () => {
  const certs = await makeTestCerts();
  const config = saslSsl(certs.brokerPem);
  await withSaslBroker(config, async (b) => {
    const bs = `127.0.0.1:${b.port}`;
    const props = (password: string): Record<string, string> => ({
      'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'PLAIN', 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caPem,
      'sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="${password}";`,
    });
    const kafka = createClient({ bootstrapServers: bs, ...clientProperties(props('alice-secret'), 'admin').client });
    try {
      await kafka.admin().createTopics([{ topic: 'logged-in', numPartitions: 1 }]);
      await kafka.producer().send({ topic: 'logged-in', messages: [{ value: 'hi' }] });
      const consumer = kafka.consumer();
      consumer.assign([{ topic: 'logged-in', partition: 0, offset: 'earliest' }]);
      assert.equal((await consumer.poll({ timeoutMs: 10_000 }))[0]?.value?.toString(), 'hi');
    } finally {
      await kafka.close();
    }
    const wrong = createClient({ bootstrapServers: bs, ...clientProperties(props('nope'), 'admin').client });
    try {
      const started = Date.now();
      await assert.rejects(wrong.admin().listTopics(), (err: Error) => err instanceof KafkaError && err.code === 58 && /Invalid username or password/.test(err.message));
      assert.ok(Date.now() - started < 20_000, 'refused at once, not retried until the timeout');
    } finally {
      await wrong.close();
    }
    const file = join(certs.dir, 'client.properties');
    await writeFile(file, Object.entries(props('alice-secret')).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    const listed = await run(process.execPath, [CLI, 'topics', '--bootstrap-server', bs, '--list', '--command-config', file], { timeoutMs: 60_000 });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^logged-in$/m);
  });
});

test("PLAIN users from Kafka's JAAS file (KAFKA_OPTS=-Djava.security.auth.login.config=…): the listener's own context wins over KafkaServer; kcat logs in", { skip: SKIP, timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-jaas-file-'));
  const jaasFile = join(dir, 'kafka_server_jaas.conf');
  await writeFile(jaasFile, `// as Kafka's docs write it
KafkaServer {
  org.apache.kafka.common.security.plain.PlainLoginModule required
  username="admin"
  password="admin-secret"
  user_admin="admin-secret";
};
sasl_plaintext.KafkaServer {
  org.apache.kafka.common.security.plain.PlainLoginModule required
  user_carol="carol-secret";
};
`);
  const broker = await startBrokerProcess({
    dataDir: join(dir, 'data'),
    overrides: { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'PLAIN' },
    env: { KAFKA_OPTS: `-Xmx1G -Djava.security.auth.login.config=${jaasFile}` },
  });
  try {
    const login = (user: string, password: string) => run('kcat', ['-b', broker.bootstrap, '-X', 'security.protocol=SASL_PLAINTEXT', ...plain(user, password), '-L', '-m', '5'], { timeoutMs: 30_000 });
    assert.equal((await login('carol', 'carol-secret')).code, 0, 'the listener context sasl_plaintext.KafkaServer holds carol');
    const admin = await login('admin', 'admin-secret');
    assert.notEqual(admin.code, 0, 'KafkaServer is not read when the listener has its own context');
    assert.match(admin.stderr, /Invalid username or password/);
  } finally {
    await broker.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
});
