/**
 * SSL listeners with Kafka's ssl.* keys, checked with kcat and confluent-kafka (librdkafka): a
 * PLAINTEXT and an SSL listener side by side (PEM keystore), produce and consume over TLS with the
 * CA as truststore; mutual TLS with ssl.client.auth=required (a client without a certificate is
 * refused, one with it served); a PKCS12 keystore for a listener by name; a plaintext client on the
 * TLS port gets its connection closed and the broker carries on; bad keys are one sentence each;
 * Samsa's own client and tools over TLS and mutual TLS with Kafka's client keys; KafkaJS and
 * kafka-python with client certificates; certificates reloaded when the keystore file changes.
 */
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { Kafka, logLevel } from 'kafkajs';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/broker/broker.js';
import { installed, run, SYSTEM_PYTHON } from '../helpers/broker.js';
import { makeTestCerts, removeTestCerts, type TestCerts } from '../helpers/certs.js';
import { waitFor } from '../helpers/wait.js';
import { clientProperties, createClient } from '../../src/client/index.js';

after(removeTestCerts);

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

const HAVE_KCAT = await installed('kcat', ['-V']);
const HAVE_OPENSSL = await installed('openssl', ['version']);
const SKIP = !HAVE_KCAT ? 'kcat is not installed (Debian package kcat)' : !HAVE_OPENSSL ? 'openssl is not installed' : false;

async function withTlsBroker(certs: TestCerts, config: Record<string, string>, fn: (b: Broker) => Promise<void>): Promise<void> {
  const b = await Broker.start({ config: { listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0', 'log.dirs': `${certs.dir}/data-${Math.random().toString(36).slice(2)}`, ...config } });
  try {
    await fn(b);
  } finally {
    await b.stop();
  }
}

/** A PEM keystore with client certificates required, checked against the test CA. */
const mutualTls = (certs: TestCerts): Record<string, string> => ({
  'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.brokerPem, 'ssl.client.auth': 'required',
  'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caPem,
});

const sslArgs = (certs: TestCerts, client?: 'cert'): string[] => [
  '-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${certs.caPem}`,
  ...(client === 'cert' ? ['-X', `ssl.certificate.location=${certs.clientCert}`, '-X', `ssl.key.location=${certs.clientKey}`] : []),
];

async function kcatRoundTrip(bootstrap: string, topic: string, extra: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const p = await run('kcat', ['-b', bootstrap, ...extra, '-P', '-t', topic, '-X', 'message.timeout.ms=10000'], { input: 'one\ntwo\nthree\n', timeoutMs: 30_000 });
  if (p.code !== 0) return { code: p.code, out: '', err: p.stderr };
  const c = await run('kcat', ['-b', bootstrap, ...extra, '-C', '-t', topic, '-o', 'beginning', '-e', '-q'], { timeoutMs: 30_000 });
  return { code: c.code, out: c.stdout, err: c.stderr };
}

test('an SSL listener beside a PLAINTEXT one (PEM keystore): kcat produces and consumes over TLS; a plaintext client on the TLS port is closed and the broker carries on', { skip: SKIP, timeout: 120_000 }, async () => {
  const certs = await makeTestCerts();
  await withTlsBroker(certs, { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.brokerPem }, async (b) => {
    const tls = `127.0.0.1:${b.listenerPort('SSL')}`;
    const r = await kcatRoundTrip(tls, 'secure', sslArgs(certs));
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'one\ntwo\nthree\n');
    const meta = await run('kcat', ['-b', tls, ...sslArgs(certs), '-L', '-J'], { timeoutMs: 30_000 });
    assert.deepEqual(JSON.parse(meta.stdout).brokers.map((x: { name: string }) => x.name), [tls], 'Metadata over TLS names the SSL listener');
    // Kafka's bytes, unencrypted, to the TLS port: the handshake fails and only that connection ends.
    const closed = await new Promise<boolean>((resolve) => {
      const s = connect(b.listenerPort('SSL'), '127.0.0.1', () => s.write(Buffer.from([0, 0, 0, 10, 0, 18, 0, 3, 0, 0, 0, 1, 0, 0])));
      s.on('close', () => resolve(true));
      s.on('error', () => undefined);
      setTimeout(() => resolve(false), 10_000).unref();
    });
    assert.ok(closed, 'the plaintext connection was closed');
    const plain = await kcatRoundTrip(`127.0.0.1:${b.port}`, 'plain', []);
    assert.equal(plain.out, 'one\ntwo\nthree\n', 'the PLAINTEXT listener still serves');
  });
});

test('mutual TLS (ssl.client.auth=required with a PEM truststore): kcat with a client certificate is served, without one it is refused', { skip: SKIP, timeout: 120_000 }, async () => {
  const certs = await makeTestCerts();
  const config = mutualTls(certs);
  await withTlsBroker(certs, config, async (b) => {
    const tls = `127.0.0.1:${b.listenerPort('SSL')}`;
    const ok = await kcatRoundTrip(tls, 'mutual', sslArgs(certs, 'cert'));
    assert.equal(ok.code, 0, ok.err);
    assert.equal(ok.out, 'one\ntwo\nthree\n');
    const refused = await run('kcat', ['-b', tls, ...sslArgs(certs), '-L', '-m', '5'], { timeoutMs: 30_000 });
    assert.notEqual(refused.code, 0, 'no client certificate: refused');
    assert.match(refused.stderr, /SSL|handshake|certificate|Disconnected|transport/i);
  });
});

const CONFLUENT = `
import sys
from confluent_kafka import Producer, Consumer
bootstrap, ca = sys.argv[1], sys.argv[2]
conf = {'bootstrap.servers': bootstrap, 'security.protocol': 'SSL', 'ssl.ca.location': ca}
if len(sys.argv) > 4: conf.update({'ssl.certificate.location': sys.argv[3], 'ssl.key.location': sys.argv[4]})
p = Producer(conf)
for i in range(20):
    p.produce('p12', value=('v%d' % i).encode())
assert p.flush(20) == 0
c = Consumer(dict(conf, **{'group.id': 'g', 'auto.offset.reset': 'earliest'}))
c.subscribe(['p12'])
got = []
while len(got) < 20:
    m = c.poll(15)
    if m is None:
        break
    if not m.error():
        got.append(m.value().decode())
c.close()
print(len(got), got[0], got[-1])
`;

test('confluent-kafka over mutual TLS: with its client certificate it produces and consumes in a group; without one it is refused', { skip: SKIP, timeout: 120_000 }, async () => {
  assert.equal((await run(SYSTEM_PYTHON, ['-c', 'import confluent_kafka'], { timeoutMs: 30_000 })).code, 0, `${SYSTEM_PYTHON} cannot import confluent_kafka: install Debian's python3-confluent-kafka`);
  const certs = await makeTestCerts();
  await withTlsBroker(certs, mutualTls(certs), async (b) => {
    const bs = `127.0.0.1:${b.listenerPort('SSL')}`;
    const r = await run(SYSTEM_PYTHON, ['-c', CONFLUENT, bs, certs.caPem, certs.clientCert, certs.clientKey], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '20 v0 v19');
    const refused = await run(SYSTEM_PYTHON, ['-c', `
import sys
from confluent_kafka.admin import AdminClient
try:
    AdminClient({'bootstrap.servers': sys.argv[1], 'security.protocol': 'SSL', 'ssl.ca.location': sys.argv[2]}).list_topics(timeout=4)
    print('served')
except Exception:
    print('refused')
`, bs, certs.caPem], { timeoutMs: 60_000 });
    assert.equal(refused.stdout.trim(), 'refused', refused.stderr);
  });
});

test('a PKCS12 keystore for one listener by name (listener.name.ssl.ssl.*): confluent-kafka produces and consumes in a group over TLS', { skip: SKIP, timeout: 120_000 }, async () => {
  // .ci/run installs it: a missing client fails here rather than passing unchecked.
  assert.equal((await run(SYSTEM_PYTHON, ['-c', 'import confluent_kafka'], { timeoutMs: 30_000 })).code, 0, `${SYSTEM_PYTHON} cannot import confluent_kafka: install Debian's python3-confluent-kafka`);
  const certs = await makeTestCerts();
  const config = { 'listener.name.ssl.ssl.keystore.type': 'PKCS12', 'listener.name.ssl.ssl.keystore.location': certs.brokerP12, 'listener.name.ssl.ssl.keystore.password': 'changeit' };
  await withTlsBroker(certs, config, async (b) => {
    const r = await run(SYSTEM_PYTHON, ['-c', CONFLUENT, `127.0.0.1:${b.listenerPort('SSL')}`, certs.caPem], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '20 v0 v19');
  });
});

test('SSL listener keys that cannot work are refused at start-up with one sentence', { skip: SKIP, timeout: 60_000 }, async () => {
  const certs = await makeTestCerts();
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{}, /JKS is Java's own format/],
    [{ 'ssl.keystore.type': 'PEM' }, /SSL listener without a keystore/],
    [{ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': `${certs.dir}/nope.pem` }, /ssl.keystore.location: cannot read/],
    [{ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.brokerPem, 'ssl.client.auth': 'required' }, /needs a truststore/],
    [{ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.brokerPem, 'ssl.enabled.protocols': 'TLSv1.1' }, /must list TLSv1.2 and\/or TLSv1.3/],
    [{ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.caPem }, /holds no private key/],
    [{ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.brokerPem, 'ssl.cipher.suites': 'TLS_RSA_WITH_RC4_128_MD5,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' }, /ssl.cipher.suites: TLS_RSA_WITH_RC4_128_MD5: not a cipher suite this broker's TLS \(OpenSSL\) offers/],
    [{ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.brokerPem, 'ssl.cipher.suites': 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'ssl.enabled.protocols': 'TLSv1.3' }, /lists only TLS 1.2 suites/],
  ];
  for (const [config, expected] of cases) {
    await assert.rejects(
      Broker.start({ config: { listeners: 'SSL://127.0.0.1:0', 'log.dirs': `${certs.dir}/bad-${Math.random().toString(36).slice(2)}`, ...config } }),
      (err: Error) => err.name === 'ConfigError' && expected.test(err.message),
      `${JSON.stringify(config)} → ${expected}`,
    );
  }
});

test("Samsa's client and tools over TLS: createClient with the CA, mutual TLS with a PEM keystore, and kafka-topics.sh --command-config with security.protocol=SSL; an untrusted broker is refused", { skip: SKIP, timeout: 120_000 }, async () => {
  const certs = await makeTestCerts();
  const config = mutualTls(certs);
  await withTlsBroker(certs, config, async (b) => {
    const bootstrap = `127.0.0.1:${b.listenerPort('SSL')}`;
    const props = {
      'bootstrap.servers': bootstrap, 'security.protocol': 'SSL', 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caPem,
      'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.clientPem,
    };
    const { client } = clientProperties(props, 'admin');
    const kafka = createClient({ bootstrapServers: bootstrap, ...client });
    try {
      await kafka.admin().createTopics([{ topic: 'over-tls', numPartitions: 1 }]);
      await kafka.producer().send({ topic: 'over-tls', messages: [{ value: 'sealed' }] });
      const consumer = kafka.consumer();
      consumer.assign([{ topic: 'over-tls', partition: 0, offset: 'earliest' }]);
      const [m] = await consumer.poll({ timeoutMs: 10_000 });
      assert.equal(m?.value?.toString(), 'sealed');
    } finally {
      await kafka.close();
    }
    const file = `${certs.dir}/client.properties`;
    await writeFile(file, Object.entries(props).filter(([k]) => k !== 'bootstrap.servers').map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    const listed = await run(process.execPath, [CLI, 'topics', '--bootstrap-server', bootstrap, '--list', '--command-config', file], { timeoutMs: 60_000 });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^over-tls$/m);
    // Without the CA the broker's certificate is not trusted: a sentence, exit 1.
    await writeFile(file, 'security.protocol=SSL\nrequest.timeout.ms=3000\n');
    const untrusted = await run(process.execPath, [CLI, 'topics', '--bootstrap-server', bootstrap, '--list', '--command-config', file], { timeoutMs: 90_000 });
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stderr, /over TLS|certificate/i);
  });
});

test('the certificates are reloaded when the keystore file changes: new connections get the new certificate, and a file that does not load leaves the old one in force', { skip: SKIP, timeout: 120_000 }, async () => {
  const first = await makeTestCerts();
  const second = await makeTestCerts();
  const keystore = `${first.dir}/live.pem`;
  await copyFile(first.brokerPem, keystore);
  await withTlsBroker(first, { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': keystore }, async (b) => {
    const tls = `127.0.0.1:${b.listenerPort('SSL')}`;
    const trusts = async (ca: string): Promise<boolean> => (await run('kcat', ['-b', tls, '-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${ca}`, '-L', '-m', '3'], { timeoutMs: 20_000 })).code === 0;
    assert.equal(await trusts(first.caPem), true);
    await writeFile(keystore, 'not a keystore\n');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(await trusts(first.caPem), true, 'a broken file is not taken: the old certificate stays');
    await copyFile(second.brokerPem, keystore);
    await waitFor('the new certificate in force', () => trusts(second.caPem), 20_000);
    assert.equal(await trusts(first.caPem), false, 'the old CA no longer matches');
  });
});

const KAFKA_PYTHON = `
import sys
from kafka import KafkaProducer, KafkaConsumer
bootstrap, ca, cert, key = sys.argv[1:5]
kw = dict(bootstrap_servers=bootstrap, security_protocol='SSL', ssl_cafile=ca, ssl_certfile=cert, ssl_keyfile=key)
p = KafkaProducer(acks='all', **kw)
for i in range(10):
    p.send('kp', ('v%d' % i).encode())
p.flush(20)
c = KafkaConsumer('kp', auto_offset_reset='earliest', consumer_timeout_ms=10000, **kw)
got = [m.value.decode() for m in c]
print(len(got), got[0], got[-1])
`;

test('KafkaJS and kafka-python over mutual TLS: produce and consume with a client certificate', { skip: SKIP, timeout: 120_000 }, async () => {
  const certs = await makeTestCerts();
  const config = mutualTls(certs);
  await withTlsBroker(certs, config, async (b) => {
    const bootstrap = `127.0.0.1:${b.listenerPort('SSL')}`;
    const kafka = new Kafka({
      brokers: [bootstrap], logLevel: logLevel.NOTHING,
      ssl: { ca: [await readFile(certs.caPem, 'utf8')], cert: await readFile(certs.clientCert, 'utf8'), key: await readFile(certs.clientKey, 'utf8') },
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'kjs', acks: -1, messages: [{ value: 'a' }, { value: 'b' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'kjs-tls' });
    await consumer.connect();
    await consumer.subscribe({ topics: ['kjs'], fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitFor('KafkaJS to read both records', () => seen.length >= 2, 30_000);
    await consumer.disconnect();
    assert.deepEqual(seen, ['a', 'b']);
    assert.equal((await run(SYSTEM_PYTHON, ['-c', 'import kafka'], { timeoutMs: 30_000 })).code, 0, `${SYSTEM_PYTHON} cannot import kafka: install Debian's python3-kafka`);
    const r = await run(SYSTEM_PYTHON, ['-c', KAFKA_PYTHON, bootstrap, certs.caPem, certs.clientCert, certs.clientKey], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '10 v0 v9');
  });
});

test('ssl.cipher.suites by their IANA names: only the listed suites are negotiated (openssl s_client), TLS 1.3 is left out when none of its suites is listed, and kcat works with an allowed suite', { skip: SKIP, timeout: 60_000 }, async () => {
  const certs = await makeTestCerts();
  const suites = { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.brokerPem, 'ssl.cipher.suites': 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256' };
  await withTlsBroker(certs, suites, async (b) => {
    const port = b.listenerPort('SSL');
    const hello = (args: string[]) => run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', certs.caPem, ...args], { input: '', timeoutMs: 20_000 });
    const allowed = await hello(['-tls1_2', '-cipher', 'ECDHE-RSA-AES256-GCM-SHA384']);
    assert.match(allowed.stdout, /Cipher is ECDHE-RSA-AES256-GCM-SHA384/, allowed.stdout + allowed.stderr);
    const other = await hello(['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256']);
    assert.doesNotMatch(other.stdout, /Cipher is ECDHE-RSA-AES128-GCM-SHA256/, 'a suite not listed is refused');
    const tls13 = await hello(['-tls1_3']);
    assert.doesNotMatch(tls13.stdout, /Protocol\s*:\s*TLSv1\.3|New, TLSv1\.3/, 'no TLS 1.3 suite listed: no TLS 1.3');
    const rt = await kcatRoundTrip(`127.0.0.1:${port}`, 'ciphered', [...sslArgs(certs), '-X', 'ssl.cipher.suites=ECDHE-RSA-CHACHA20-POLY1305']);
    assert.equal(rt.code, 0, rt.err);
    assert.equal(rt.out, 'one\ntwo\nthree\n');
  });
});

test('ssl.client.auth=requested: a client without a certificate is served, one with a certificate the truststore does not trust is refused (as Kafka fails its handshake)', { skip: SKIP, timeout: 60_000 }, async () => {
  const certs = await makeTestCerts();
  const stranger = { key: join(certs.dir, 'stranger.key'), cert: join(certs.dir, 'stranger.crt') };
  const made = await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', stranger.key, '-out', stranger.cert, '-days', '1', '-subj', '/CN=stranger'], { timeoutMs: 30_000 });
  assert.equal(made.code, 0, made.stderr);
  const config = { ...mutualTls(certs), 'ssl.client.auth': 'requested' };
  await withTlsBroker(certs, config, async (b) => {
    const bs = `127.0.0.1:${b.listenerPort('SSL')}`;
    const anonymous = await kcatRoundTrip(bs, 'requested', sslArgs(certs));
    assert.equal(anonymous.code, 0, anonymous.err);
    const trusted = await kcatRoundTrip(bs, 'requested-cert', sslArgs(certs, 'cert'));
    assert.equal(trusted.code, 0, trusted.err);
    const untrusted = await run('kcat', ['-b', bs, ...sslArgs(certs), '-X', `ssl.certificate.location=${stranger.cert}`, '-X', `ssl.key.location=${stranger.key}`, '-L', '-m', '5'], { timeoutMs: 30_000 });
    assert.notEqual(untrusted.code, 0, 'an untrusted client certificate is refused');
  });
});
