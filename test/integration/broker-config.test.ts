/**
 * Broker configuration as Kafka defines it: explicit replica assignments in CreateTopics and
 * CreatePartitions (KafkaJS, confluent-kafka, `samsa topics --replica-assignment`), broker keys
 * that Kafka accepts at runtime though Samsa does not use them, and what `samsa server start`
 * says about server.properties keys it does not act on or cannot honour (security).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { withBroker, run, SYSTEM_PYTHON } from '../helpers/broker.js';
import { CLI_PATH } from '../helpers/broker-process.js';
import { createClient, ErrorCode } from '../../src/client/index.js';

const SKIP_CONFLUENT = (await run(SYSTEM_PYTHON, ['-c', 'import confluent_kafka'], { timeoutMs: 30_000 })).code === 0 ? false : 'confluent-kafka not installed';
/** How long a broker process may take to start or to exit. */
const PROCESS_DEADLINE_MS = 20_000;

async function scratchDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-brokercfg-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('CreateTopics and CreatePartitions take explicit replica assignments, with Kafka\'s checks (KafkaJS)', async () => {
  await withBroker(async (broker) => {
    const kafka = new Kafka({ clientId: 'assign', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      assert.equal(await admin.createTopics({ topics: [{ topic: 'manual', replicaAssignment: [{ partition: 0, replicas: [1] }, { partition: 1, replicas: [1] }] }] }), true);
      const meta = await admin.fetchTopicMetadata({ topics: ['manual'] });
      assert.deepEqual(meta.topics[0]!.partitions.map((p) => [p.partitionId, p.replicas]).sort(), [[0, [1]], [1, [1]]]);
      const refused = async (topic: object): Promise<string> => {
        const err = await admin.createTopics({ topics: [topic as never] }).then(() => null, (e: any) => e);
        assert.ok(err !== null, 'refused');
        // KafkaJS replaces the broker's message with its own sentence per code.
        return String(err.errors?.[0]?.type ?? err.type);
      };
      assert.equal(await refused({ topic: 'ghost', replicaAssignment: [{ partition: 0, replicas: [2] }] }), 'INVALID_REPLICA_ASSIGNMENT');
      assert.equal(await refused({ topic: 'twice', replicaAssignment: [{ partition: 0, replicas: [1, 1] }] }), 'INVALID_REPLICA_ASSIGNMENT');
      assert.equal(await refused({ topic: 'gap', replicaAssignment: [{ partition: 0, replicas: [1] }, { partition: 2, replicas: [1] }] }), 'INVALID_REPLICA_ASSIGNMENT');
      assert.equal(await refused({ topic: 'both', numPartitions: 2, replicaAssignment: [{ partition: 0, replicas: [1] }] }), 'INVALID_REQUEST');
      await admin.createPartitions({ topicPartitions: [{ topic: 'manual', count: 3, assignments: [[1]] }] });
      const grown = await admin.fetchTopicMetadata({ topics: ['manual'] });
      assert.equal(grown.topics[0]!.partitions.length, 3);
      const bad = await admin.createPartitions({ topicPartitions: [{ topic: 'manual', count: 4, assignments: [[7]] }] }).then(() => null, (e: any) => e);
      assert.equal(bad?.type, 'INVALID_REPLICA_ASSIGNMENT');
    } finally {
      await admin.disconnect();
    }
  });
});

test('confluent-kafka AdminClient creates a topic with replica_assignment and gets Kafka\'s error for an unknown broker', { skip: SKIP_CONFLUENT }, async () => {
  await withBroker(async (broker) => {
    const script = `
import json, sys
from confluent_kafka.admin import AdminClient, NewTopic
a = AdminClient({'bootstrap.servers': sys.argv[1]})
out = {}
for name, assignment in [('py-ok', [[1], [1], [1]]), ('py-bad', [[1], [3]])]:
    try:
        a.create_topics([NewTopic(name, len(assignment), replica_assignment=assignment)])[name].result(15)
        out[name] = 'ok'
    except Exception as e:
        err = e.args[0]
        out[name] = (err.name() + ': ' + err.str()) if hasattr(err, 'name') else str(e)
md = a.list_topics(timeout=10)
out['partitions'] = len(md.topics['py-ok'].partitions)
print(json.dumps(out))
`;
    const r = await run(SYSTEM_PYTHON, ['-c', script, broker.bootstrap], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.equal(out['py-ok'], 'ok');
    assert.equal(out.partitions, 3);
    assert.match(out['py-bad'], /INVALID_REPLICA_ASSIGNMENT: .*broker 3, but no such broker is registered/);
  });
});

test('samsa topics --create --replica-assignment 1,1 makes two partitions on broker 1; an unknown broker is refused', async () => {
  await withBroker(async (broker) => {
    const samsa = (args: string[]) => run(process.execPath, [CLI_PATH, 'topics', '--bootstrap-server', broker.bootstrap, ...args], { timeoutMs: 30_000 });
    const made = await samsa(['--create', '--topic', 'cli-assign', '--replica-assignment', '1,1']);
    assert.equal(made.code, 0, made.stderr);
    const described = await samsa(['--describe', '--topic', 'cli-assign']);
    assert.match(described.stdout, /PartitionCount: 2\tReplicationFactor: 1/);
    const bad = await samsa(['--create', '--topic', 'cli-bad', '--replica-assignment', '1:5']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /broker 5, but no such broker is registered/);
  });
});

test('broker AlterConfigs accepts Kafka keys Samsa does not use, per broker, and custom keys; refuses what Kafka refuses', async () => {
  await withBroker(async (broker) => {
    const admin = createClient({ bootstrapServers: broker.bootstrap, retries: 0 }).admin();
    try {
      const node = { type: 'broker' as const, name: '1' };
      const dflt = { type: 'broker' as const, name: '' };
      await admin.incrementalAlterConfigs(node, [{ name: 'sasl.kerberos.min.time.before.relogin', op: 'set', value: '120000' }, { name: 'my.custom.key', op: 'set', value: 'x' }]);
      const described = new Map((await admin.describeConfigs([node])).get(node)!.map((e) => [e.name, e]));
      assert.deepEqual([described.get('sasl.kerberos.min.time.before.relogin')!.value, described.get('sasl.kerberos.min.time.before.relogin')!.source], ['120000', 2]);
      assert.equal(described.get('my.custom.key')!.source, 2, 'a custom key is stored and described (its value hidden, as Kafka hides a key it has no type for)');
      const code = (p: Promise<unknown>) => p.then(() => ({ code: 0, message: '' }), (e: any) => ({ code: e.code, message: e.message }));
      const perBroker = await code(admin.incrementalAlterConfigs(dflt, [{ name: 'sasl.kerberos.min.time.before.relogin', op: 'set', value: '1' }]));
      assert.equal(perBroker.code, ErrorCode.INVALID_REQUEST);
      assert.match(perBroker.message, /Cannot update these configs at default cluster level, broker id must be specified: Set\(sasl\.kerberos\.min\.time\.before\.relogin\)/);
      const readOnly = await code(admin.incrementalAlterConfigs(node, [{ name: 'num.partitions', op: 'set', value: '3' }]));
      assert.deepEqual([readOnly.code, /Cannot update these configs dynamically: Set\(num\.partitions\)/.test(readOnly.message)], [ErrorCode.INVALID_REQUEST, true]);
      const listenerOnly = await code(admin.incrementalAlterConfigs(node, [{ name: 'ssl.keystore.location', op: 'set', value: '/k' }]));
      assert.match(listenerOnly.message, /only per-listener using the listener prefix: Set\(ssl\.keystore\.location\)/);
      const badType = await code(admin.incrementalAlterConfigs(node, [{ name: 'sasl.kerberos.min.time.before.relogin', op: 'set', value: 'soon' }]));
      assert.equal(badType.code, ErrorCode.INVALID_REQUEST);
      assert.match(badType.message, /Invalid value soon for configuration sasl\.kerberos\.min\.time\.before\.relogin: Not a number of type LONG/);
    } finally {
      await admin.close();
    }
  });
});

/** Runs `samsa server start FILE` until it listens (then stops it) or exits; returns its output. */
function serverStart(file: string): Promise<{ code: number | null; listening: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, 'server', 'start', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let listening = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`samsa server start neither listened nor exited within ${PROCESS_DEADLINE_MS} ms\n${stderr}`));
    }, PROCESS_DEADLINE_MS);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!listening && /listening on/.test(stdout)) {
        listening = true;
        child.kill('SIGTERM');
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, listening, stdout, stderr });
    });
  });
}

test('samsa server start warns about a mistyped key (naming the one meant) and says which Kafka keys it ignores by design', async () => {
  await scratchDir(async (dir) => {
    const file = join(dir, 'server.properties');
    await writeFile(file, `num.partitons=3\nprocess.roles=broker,controller\nnum.network.threads=3\nlisteners=PLAINTEXT://127.0.0.1:0\nlog.dirs=${join(dir, 'data')}\n`);
    const r = await serverStart(file);
    assert.ok(r.listening, r.stderr);
    const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string; key?: string });
    const about = (key: string) => lines.filter((l) => l.key === key);
    assert.equal(about('num.partitons').length, 1, 'one warning per key');
    assert.equal(about('num.partitons')[0]!.level, 'warn');
    assert.match(about('num.partitons')[0]!.msg, /num\.partitons is not a Kafka broker config and is ignored; did you mean num\.partitions\?/);
    assert.match(about('process.roles')[0]!.msg, /accepts and ignores by design: a single Samsa broker runs without a KRaft controller quorum/);
    assert.match(about('num.network.threads')[0]!.msg, /ignores by design: Node\.js serves every connection from one event loop/);
    assert.equal(about('listeners').length + about('log.dirs').length, 0, 'nothing about the keys Samsa uses');
  });
});

test('samsa server start refuses a SASL listener without PLAIN users, an SSL one without a usable keystore, or a stray advertised listener, with one sentence and a non-zero exit, never serving plaintext instead', async () => {
  await scratchDir(async (dir) => {
    for (const [name, props, expected] of [
      ['sasl', 'listeners=SASL_PLAINTEXT://127.0.0.1:0', /enables GSSAPI \(Kafka's default\); Samsa serves PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER/],
      ['ssl-map', 'listeners=SECURE://127.0.0.1:0\nlistener.security.protocol.map=SECURE:SSL', /listener SECURE needs a PEM or PKCS12 keystore \(JKS is Java's own format\)/],
      ['advertised', 'listeners=PLAINTEXT://127.0.0.1:0\nadvertised.listeners=SASL_SSL://127.0.0.1:9093', /advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found SASL_SSL/],
    ] as const) {
      const file = join(dir, `${name}.properties`);
      await writeFile(file, `${props}\nlog.dirs=${join(dir, name)}\n`);
      const r = await serverStart(file);
      assert.equal(r.listening, false, `${name}: must not start`);
      assert.notEqual(r.code, 0, name);
      const errorLines = r.stderr.trim().split('\n').filter((l) => l.startsWith('Error'));
      assert.equal(errorLines.length, 1, `${name}: one sentence\n${r.stderr}`);
      assert.match(errorLines[0]!, expected);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });
});
