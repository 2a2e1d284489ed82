/**
 * Every client against every SASL listener and mechanism: kcat, confluent-kafka, kafka-python and
 * KafkaJS each produce over SASL_PLAINTEXT and SASL_SSL with PLAIN, SCRAM-SHA-256 and
 * SCRAM-SHA-512 (24 logins), and every record is then read back — so each pairing really
 * authenticated and wrote, not just connected.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { Broker } from '../../src/broker/broker.js';
import { createClient } from '../../src/client/index.js';
import { installed, run, SYSTEM_PYTHON } from '../helpers/broker.js';
import { makeTestCerts, removeTestCerts } from '../helpers/certs.js';

after(removeTestCerts);

const SKIP = (await installed('kcat', ['-V'])) ? false : 'kcat is not installed (Debian package kcat)';
const PROTOCOLS = ['SASL_PLAINTEXT', 'SASL_SSL'] as const;
const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
const COMBOS = PROTOCOLS.flatMap((p) => MECHANISMS.map((m) => [p, m] as const));

test('kcat, confluent-kafka, kafka-python and KafkaJS each log in over SASL_PLAINTEXT and SASL_SSL with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, and what each wrote is there', { skip: SKIP, timeout: 240_000 }, async () => {
  for (const mod of ['confluent_kafka', 'kafka'])
    assert.equal((await run(SYSTEM_PYTHON, ['-c', `import ${mod}`], { timeoutMs: 30_000 })).code, 0, `${SYSTEM_PYTHON} cannot import ${mod}: install Debian's python3-confluent-kafka and python3-kafka`);
  const certs = await makeTestCerts();
  const dir = await mkdtemp(join(tmpdir(), 'samsa-sasl-matrix-'));
  const b = await Broker.start({
    config: {
      'log.dirs': dir,
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
      'sasl.enabled.mechanisms': MECHANISMS.join(','),
      'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";',
      'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.brokerPem,
    },
  });
  const admin = createClient({ bootstrapServers: `127.0.0.1:${b.listenerPort('PLAINTEXT')}` });
  try {
    for (const m of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const)
      assert.equal((await admin.admin().alterUserScramCredentials([{ type: 'upsert', user: 'alice', mechanism: m, password: 'alice-secret' }])).get('alice'), null);
    await admin.admin().createTopics([{ topic: 'matrix', numPartitions: 1 }]);
    const port = (p: string) => b.listenerPort(p);

    for (const [p, m] of COMBOS) {
      const r = await run('kcat', ['-b', `127.0.0.1:${port(p)}`, '-X', `security.protocol=${p}`, '-X', `sasl.mechanisms=${m}`, '-X', 'sasl.username=alice', '-X', 'sasl.password=alice-secret',
        ...(p === 'SASL_SSL' ? ['-X', `ssl.ca.location=${certs.caPem}`] : []), '-P', '-t', 'matrix'], { input: `kcat ${p} ${m}\n`, timeoutMs: 30_000 });
      assert.equal(r.code, 0, `kcat ${p} ${m}: ${r.stderr}`);
    }

    const combos = JSON.stringify(COMBOS.map(([p, m]) => [p, m, port(p)]));
    const confluent = `
import sys, json
from confluent_kafka import Producer
for p, m, port in json.loads(sys.argv[1]):
    conf = {'bootstrap.servers': '127.0.0.1:%d' % port, 'security.protocol': p, 'sasl.mechanism': m, 'sasl.username': 'alice', 'sasl.password': 'alice-secret'}
    if p == 'SASL_SSL': conf['ssl.ca.location'] = sys.argv[2]
    pr = Producer(conf)
    pr.produce('matrix', ('confluent %s %s' % (p, m)).encode())
    assert pr.flush(20) == 0, (p, m)
print('ok')
`;
    const ck = await run(SYSTEM_PYTHON, ['-c', confluent, combos, certs.caPem], { timeoutMs: 120_000 });
    assert.equal(ck.stdout.trim(), 'ok', ck.stderr);

    const kafkaPython = `
import sys, json
from kafka import KafkaProducer
for p, m, port in json.loads(sys.argv[1]):
    kw = dict(bootstrap_servers='127.0.0.1:%d' % port, security_protocol=p, sasl_mechanism=m, sasl_plain_username='alice', sasl_plain_password='alice-secret')
    if p == 'SASL_SSL': kw.update(ssl_cafile=sys.argv[2], ssl_check_hostname=False)
    pr = KafkaProducer(**kw)
    pr.send('matrix', ('kafka-python %s %s' % (p, m)).encode()).get(timeout=20)
    pr.close()
print('ok')
`;
    const kp = await run(SYSTEM_PYTHON, ['-c', kafkaPython, combos, certs.caPem], { timeoutMs: 120_000 });
    assert.equal(kp.stdout.trim(), 'ok', kp.stderr);

    const ca = [await readFile(certs.caPem, 'utf8')];
    for (const [p, m] of COMBOS) {
      const sasl = { mechanism: m.toLowerCase(), username: 'alice', password: 'alice-secret' } as SASLOptions;
      const kafka = new Kafka({ brokers: [`127.0.0.1:${port(p)}`], sasl, ...(p === 'SASL_SSL' ? { ssl: { ca } } : {}), logLevel: logLevel.NOTHING });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'matrix', messages: [{ value: `kafkajs ${p} ${m}` }] });
      await producer.disconnect();
    }

    const consumer = admin.consumer();
    consumer.assign([{ topic: 'matrix', partition: 0, offset: 'earliest' }]);
    const got = new Set<string>();
    const deadline = Date.now() + 20_000;
    while (got.size < 24 && Date.now() < deadline) for (const r of await consumer.poll({ timeoutMs: 2000 })) got.add(r.value!.toString());
    const expected = ['kcat', 'confluent', 'kafka-python', 'kafkajs'].flatMap((c) => COMBOS.map(([p, m]) => `${c} ${p} ${m}`));
    assert.deepEqual([...got].sort(), expected.sort());
  } finally {
    await admin.close();
    await b.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
