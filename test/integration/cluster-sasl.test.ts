/**
 * A cluster whose only listener is SASL_SSL: three broker processes on etcd log in to each other
 * with SCRAM-SHA-512 (`sasl.mechanism.inter.broker.protocol`, the broker's username and password
 * in `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config`), under an ACL authorizer with the
 * broker user in super.users. Until the admin sets that user's SCRAM credential (logging in with
 * PLAIN) the brokers' logins are refused and retried; then every ISR fills, a transactional
 * producer (confluent-kafka) commits across partitions led by different brokers (markers over
 * SASL), kcat's acks=all records survive the leader's kill, and the killed broker, started again
 * with a wrong inter-broker password, stays out of every ISR and logs why. The brokers' SCRAM
 * sessions last 2 s (connections.max.reauth.ms), so their connections are renewed all along.
 * In-process, three brokers on SASL_PLAINTEXT log in to each other with PLAIN, the broker's own
 * username and password beside the users it accepts in one JAAS line.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { installed, run, SYSTEM_PYTHON } from '../helpers/broker.js';
import { makeTestCerts, removeTestCerts } from '../helpers/certs.js';
import { withClusterProcesses } from '../helpers/cluster-processes.js';
import { freePortRun } from '../helpers/etcd.js';
import { waitFor } from '../helpers/wait.js';
import { Kafka, logLevel } from 'kafkajs';
import { Cluster } from '../../src/broker/in-process-cluster.js';

after(removeTestCerts);

const SKIP =
  !(await installed('kcat', ['-V'])) ? 'kcat is not installed (Debian package kcat)'
  : !(await installed('openssl', ['version'])) ? 'openssl is not installed'
  : (await run(SYSTEM_PYTHON, ['-c', 'import confluent_kafka'], { timeoutMs: 30_000 })).code !== 0 ? 'confluent-kafka is not installed (Debian package python3-confluent-kafka)'
  : false;
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

const PLAIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule';
const SCRAM_MODULE = 'org.apache.kafka.common.security.scram.ScramLoginModule';
const scramJaas = (password: string): string => `${SCRAM_MODULE} required username="admin" password="${password}";`;

/** A transactional producer: one transaction over partitions 0–2, committed; prints "committed". */
const TXN = `
import sys
from confluent_kafka import Producer
bootstrap, ca, topic = sys.argv[1], sys.argv[2], sys.argv[3]
p = Producer({'bootstrap.servers': bootstrap, 'security.protocol': 'SASL_SSL', 'ssl.ca.location': ca,
              'sasl.mechanisms': 'PLAIN', 'sasl.username': 'admin', 'sasl.password': 'admin-secret',
              'transactional.id': 'sasl-txn', 'transaction.timeout.ms': 30000})
p.init_transactions(30)
p.begin_transaction()
for i in range(30):
    p.produce(topic, value=('t%d' % i).encode(), partition=i % 3)
p.commit_transaction(30)
print('committed')
`;

test('SASL between brokers: SCRAM-SHA-512 on the only (SASL_SSL) listener fills every ISR, carries transaction markers and failover; a wrong inter-broker password keeps a broker out of the ISR', { skip: SKIP, timeout: 120_000 }, async () => {
  const certs = await makeTestCerts();
  const base = await freePortRun(3);
  const port = (id: number): number => base + id - 1;
  const client = (mechanism: string): string[] => [
    '-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${certs.caPem}`, '-X', `sasl.mechanisms=${mechanism}`, '-X', 'sasl.username=admin', '-X', 'sasl.password=admin-secret',
  ];
  const metadata = async (bootstrap: string): Promise<{ leader: number; isr: number[] }[]> => {
    const r = await run('kcat', ['-b', bootstrap, ...client('PLAIN'), '-L', '-J', '-t', 'sealed', '-m', '5'], { timeoutMs: 20_000 });
    if (r.code !== 0) return [];
    const t = (JSON.parse(r.stdout) as { topics: Array<{ partitions?: Array<{ leader: number; isrs: number[] }> }> }).topics[0];
    return (t?.partitions ?? []).map((p) => ({ leader: p.leader, isr: p.isrs }));
  };
  /** What a broker started again with a wrong password writes (set once it is restarted). */
  let watched: { id: number; lines: string[] } | null = null;
  /** Connections a broker closed because their SASL session ran out: none, as peers renew theirs in time. */
  const expired: string[] = [];
  const brokerOverrides: Record<number, Record<string, string>> = {};
  for (const id of [1, 2, 3]) brokerOverrides[id] = { listeners: `SASL_SSL://127.0.0.1:${port(id)}` };
  await withClusterProcesses(
    async (c) => {
      const props = `${certs.dir}/admin.properties`;
      await writeFile(props, [
        'security.protocol=SASL_SSL', 'sasl.mechanism=PLAIN', `sasl.jaas.config=${PLAIN_MODULE} required username="admin" password="admin-secret";`,
        'ssl.truststore.type=PEM', `ssl.truststore.location=${certs.caPem}`, '',
      ].join('\n'));
      const cli = (...args: string[]): ReturnType<typeof run> => run(process.execPath, [CLI, ...args, '--bootstrap-server', c.bootstrap, '--command-config', props], { timeoutMs: 60_000 });
      // The brokers' SCRAM user has no credential yet: their logins to each other are refused until this.
      const scram = await cli('configs', '--alter', '--entity-type', 'users', '--entity-name', 'admin', '--add-config', 'SCRAM-SHA-512=[password=admin-secret]');
      assert.equal(scram.code, 0, scram.stderr);
      const created = await cli('topics', '--create', '--topic', 'sealed', '--partitions', '3', '--replication-factor', '3', '--config', 'min.insync.replicas=2');
      assert.equal(created.code, 0, created.stderr);
      await waitFor('every ISR full over SASL', async () => {
        const ps = await metadata(c.bootstrap);
        return ps.length === 3 && ps.every((p) => p.isr.length === 3);
      }, 30_000);

      // Markers to the partitions other brokers lead travel over SASL: the commit needs them all.
      assert.ok(new Set((await metadata(c.bootstrap)).map((p) => p.leader)).size > 1, 'the partitions have more than one leader');
      const txn = await run(SYSTEM_PYTHON, ['-c', TXN, c.bootstrap, certs.caPem, 'sealed'], { timeoutMs: 60_000 });
      assert.equal(txn.code, 0, txn.stderr);
      assert.equal(txn.stdout.trim(), 'committed');

      const lines = Array.from({ length: 300 }, (_, i) => `r${i}`);
      const produced = await run('kcat', ['-b', c.bootstrap, ...client('PLAIN'), '-P', '-t', 'sealed', '-p', '0', '-X', 'acks=-1'], { input: lines.join('\n') + '\n', timeoutMs: 60_000 });
      assert.equal(produced.code, 0, produced.stderr);
      const leader = (await metadata(c.bootstrap))[0]!.leader;
      await c.kill(leader);
      const others = c.brokerIds.filter((id) => id !== leader);
      const othersBootstrap = others.map((id) => c.address(id)).join(',');
      await waitFor('a new leader for partition 0', async () => {
        const p = (await metadata(othersBootstrap))[0];
        return p !== undefined && p.leader >= 0 && p.leader !== leader;
      }, 30_000);
      const committed = Array.from({ length: 10 }, (_, i) => `t${i * 3}`);
      for (const id of others) {
        const read = await run('kcat', ['-b', c.address(id), ...client('PLAIN'), '-C', '-t', 'sealed', '-p', '0', '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed'], { timeoutMs: 60_000 });
        assert.equal(read.code, 0, read.stderr);
        assert.deepEqual(read.stdout.trim().split('\n'), [...committed, ...lines], `every committed and acknowledged record, read through broker ${id}`);
      }

      // The killed broker comes back with a wrong password: refused, it stays out of every ISR.
      brokerOverrides[leader]!['listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config'] = scramJaas('wrong');
      const restarted = (watched = { id: leader, lines: [] as string[] });
      await c.startBroker(leader);
      const refusals = (): string[] => restarted.lines.filter((l) => l.includes('cannot fetch from the leader') && l.includes(`refused this broker's SASL/SCRAM-SHA-512 login as admin`));
      await waitFor('the refused login in the broker\'s log', async () => refusals().length > 0, 30_000);
      await new Promise((r) => setTimeout(r, 3000));
      const ps = await metadata(c.bootstrap);
      assert.equal(ps.length, 3);
      for (const p of ps) assert.ok(!p.isr.includes(leader), `broker ${leader} with a wrong password is not in the ISR ${p.isr.join(',')}`);
      assert.deepEqual(expired, [], 'no inter-broker connection outlives its SASL session');
      const warnings = restarted.lines.filter((l) => l.includes('cannot fetch from the leader'));
      assert.ok(warnings.length <= 2 && refusals().length === warnings.length, `the refusal is logged once per leader and interval, not at every retry:\n${warnings.join('\n')}`);
    },
    {
      basePort: base,
      brokerOverrides,
      onOutput: (source, line) => {
        if (watched !== null && source === `broker-${watched.id}`) watched.lines.push(line);
        if (line.includes('SASL session expired')) expired.push(`[${source}] ${line}`);
      },
      overrides: {
        'inter.broker.listener.name': 'SASL_SSL',
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
        'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
        'listener.name.sasl_ssl.plain.sasl.jaas.config': `${PLAIN_MODULE} required user_admin="admin-secret";`,
        'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': scramJaas('admin-secret'),
        // Only the brokers log in with SCRAM here: their sessions last 2 s, so their connections are renewed throughout.
        'listener.name.sasl_ssl.scram-sha-512.connections.max.reauth.ms': '2000',
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'super.users': 'User:admin',
        'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.brokerPem,
        'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caPem,
      },
    },
  );
});

test('SASL/PLAIN between in-process brokers on SASL_PLAINTEXT: the JAAS line holds the broker\'s login and the users; KafkaJS writes with acks=all and every ISR fills', { timeout: 60_000 }, async () => {
  const c = await Cluster.start({
    brokers: 3,
    config: {
      'listener.security.protocol.map': 'PLAINTEXT:SASL_PLAINTEXT',
      'sasl.enabled.mechanisms': 'PLAIN',
      'sasl.mechanism.inter.broker.protocol': 'PLAIN',
      'listener.name.plaintext.plain.sasl.jaas.config': `${PLAIN_MODULE} required username="broker" password="broker-secret" user_broker="broker-secret" user_alice="alice-secret";`,
      'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
      'super.users': 'User:broker;User:alice',
      'replica.lag.time.max.ms': '2000',
    },
  });
  try {
    const kafka = new Kafka({ brokers: c.bootstrap.split(','), sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' }, logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 50, maxRetryTime: 500 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      assert.equal(await admin.createTopics({ topics: [{ topic: 'plain3', numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true }), true);
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer();
    await producer.connect();
    try {
      for (let i = 0; i < 5; i++) await producer.send({ topic: 'plain3', acks: -1, messages: Array.from({ length: 30 }, (_, j) => ({ value: `v${i}-${j}` })) });
    } finally {
      await producer.disconnect();
    }
    await waitFor('every ISR full and every replica caught up over SASL/PLAIN', () =>
      [0, 1, 2].every((p) => c.metadata.partition('plain3', p)?.isr.length === 3 && new Set(c.brokerIds.map((id) => c.broker(id).topics.replicas.log('plain3', p)?.logEndOffset ?? -1)).size === 1),
    20_000);
    const total = [0, 1, 2].reduce((n, p) => n + (c.broker(c.brokerIds[0]!).topics.replicas.log('plain3', p)?.logEndOffset ?? 0), 0);
    assert.equal(total, 150);
  } finally {
    await c.stop();
  }
});
