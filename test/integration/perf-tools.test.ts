/**
 * The perf-test tools and the client-config flags as users run them (bin/ scripts and `samsa`, as
 * child processes) against a broker: producer-perf-test then consumer-perf-test with Kafka's
 * output lines, console-consumer's --include and print.* properties, --consumer.config, and TLS or
 * SASL settings refused before any connection is made.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/broker/broker.js';
import { createClient, LATEST_TIMESTAMP } from '../../src/client/index.js';
import { run, type RunResult } from '../helpers/broker.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const BIN = fileURLToPath(new URL('../../../bin/', import.meta.url));

let broker: Broker;
let scratch: string;

before(async () => {
  broker = await Broker.start({ port: 0, config: { 'group.initial.rebalance.delay.ms': '0' } });
  scratch = await mkdtemp(join(tmpdir(), 'samsa-perf-'));
  const kafka = createClient({ bootstrapServers: broker.bootstrap });
  await kafka.admin().createTopics([{ topic: 'perf', numPartitions: 3 }, { topic: 'inc-a' }, { topic: 'inc-b' }, { topic: 'other' }, { topic: 'throttled' }]);
  const producer = kafka.producer();
  for (const topic of ['inc-a', 'inc-b', 'other']) {
    await producer.send({ topic, messages: [{ key: `k-${topic}`, value: `v-${topic}`, headers: [{ key: 'h1', value: 'v1' }, { key: 'h2', value: 'v2' }], timestamp: 1_700_000_000_000 }] });
  }
  await kafka.close();
});

after(async () => {
  await broker.stop();
  await rm(scratch, { recursive: true, force: true });
});

function script(name: string, args: string[], input?: string): Promise<RunResult> {
  return run(join(BIN, `kafka-${name}.sh`), args, { timeoutMs: 60_000, input });
}

function samsa(args: string[], input?: string): Promise<RunResult> {
  return run(process.execPath, [MAIN, ...args], { timeoutMs: 60_000, input });
}

function ok(r: RunResult): string {
  assert.equal(r.code, 0, `exit ${r.code}\n--- stderr:\n${r.stderr}\n--- stdout:\n${r.stdout}`);
  return r.stdout;
}

async function endOffsets(topic: string, partitions: number): Promise<number> {
  const kafka = createClient({ bootstrapServers: broker.bootstrap });
  try {
    const admin = kafka.admin();
    let sum = 0;
    for (let p = 0; p < partitions; p++) sum += (await admin.listOffsets(topic, p, LATEST_TIMESTAMP)).offset;
    return sum;
  } finally {
    await kafka.close();
  }
}

const PRODUCER_TOTAL =
  /^(\d+) records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$/;
const PRODUCER_WINDOW = /^(\d+) records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency\.$/;
const CONSUMER_HEADER = 'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec';

test('producer-perf-test sends 2000 records with acks=all and consumer-perf-test reads them, with Kafka output lines', { timeout: 120_000 }, async () => {
  const out = ok(
    await script('producer-perf-test', ['--topic', 'perf', '--num-records', '2000', '--record-size', '100', '--throughput', '-1', '--producer-props', `bootstrap.servers=${broker.bootstrap}`, 'acks=all']),
  );
  const lines = out.trimEnd().split('\n');
  const total = PRODUCER_TOTAL.exec(lines.at(-1)!);
  assert.ok(total, `last line is Kafka's total line: ${out}`);
  assert.equal(total[1], '2000');
  for (const line of lines.slice(0, -1)) assert.match(line, PRODUCER_WINDOW);
  assert.equal(await endOffsets('perf', 3), 2000, 'the log holds every record sent');

  const consumed = ok(await script('consumer-perf-test', ['--bootstrap-server', broker.bootstrap, '--topic', 'perf', '--messages', '2000', '--group', 'perf-readers']));
  const [header, row, ...rest] = consumed.trimEnd().split('\n');
  assert.equal(header, CONSUMER_HEADER);
  assert.deepEqual(rest, []);
  const fields = row!.split(', ');
  assert.equal(fields.length, 10, row);
  assert.match(fields[0]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}$/, 'the default date format yyyy-MM-dd HH:mm:ss:SSS');
  assert.equal(fields[2], '0.1907', 'data.consumed.in.MB: 2000 × 100 bytes');
  assert.equal(fields[4], '2000', 'data.consumed.in.nMsg');

  // --hide-header, a --date-format, and a group that already read everything: the warning, then the row.
  const again = ok(
    await script('consumer-perf-test', ['--bootstrap-server', broker.bootstrap, '--topic', 'perf', '--messages', '1', '--group', 'perf-readers', '--timeout', '500', '--hide-header', '--date-format', 'yyyyMMdd']),
  );
  const [warning, row2] = again.trimEnd().split('\n');
  assert.match(warning!, /^WARNING: Exiting before consuming the expected number of messages: timeout \(500 ms\) exceeded\./);
  assert.match(row2!, /^\d{8}, \d{8}, 0\.0000, [\d.]+, 0, /);

  // --json: one object on stdout for scripts.
  const json = ok(await samsa(['consumer-perf-test', '--bootstrap-server', broker.bootstrap, '--topic', 'perf', '--messages', '2000', '--json']));
  const summary = JSON.parse(json) as { consumedMessages: number; consumedMB: number };
  assert.equal(summary.consumedMessages, 2000);
  assert.equal(summary.consumedMB, 200_000 / (1024 * 1024));
  const produced = JSON.parse(ok(await samsa(['producer-perf-test', '--topic', 'perf-json', '--num-records', '10', '--record-size', '5', '--throughput', '-1', '--producer-props', `bootstrap.servers=${broker.bootstrap}`, '--json']))) as { records: number };
  assert.equal(produced.records, 10);
});

test('producer-perf-test honours --throughput and prints progress while it runs; transactions and payload files', { timeout: 120_000 }, async () => {
  const out = ok(
    await samsa(['producer-perf-test', '--topic', 'throttled', '--num-records', '400', '--record-size', '10', '--throughput', '200', '--reporting-interval', '500', '--producer-props', `bootstrap.servers=${broker.bootstrap}`]),
  );
  const lines = out.trimEnd().split('\n');
  assert.ok(lines.length >= 2, `at 200 records/sec, 400 records take about 2 s: progress lines come before the total\n${out}`);
  for (const line of lines.slice(0, -1)) assert.match(line, PRODUCER_WINDOW);
  assert.equal(PRODUCER_TOTAL.exec(lines.at(-1)!)?.[1], '400');

  const payloads = join(scratch, 'payloads.txt');
  await writeFile(payloads, 'alpha|beta|gamma');
  const txn = ok(
    await samsa(['producer-perf-test', '--topic', 'txn-perf', '--num-records', '30', '--payload-file', payloads, '--payload-delimiter', '|', '--throughput', '-1', '--transaction-duration-ms', '5', '--producer-props', `bootstrap.servers=${broker.bootstrap}`]),
  );
  assert.match(txn, /^Reading payloads from: .*payloads\.txt\nNumber of messages read: 3\n30 records sent, /);
  const kafka = createClient({ bootstrapServers: broker.bootstrap });
  const consumer = kafka.consumer({ isolationLevel: 'read_committed' });
  consumer.assign([{ topic: 'txn-perf', partition: 0, offset: 'earliest' }]);
  const values: string[] = [];
  const deadline = Date.now() + 20_000;
  while (values.length < 30 && Date.now() < deadline) values.push(...(await consumer.poll({ timeoutMs: 500 })).map((m) => m.value!.toString()));
  await kafka.close();
  assert.equal(values.length, 30, 'every record was committed');
  assert.ok(values.every((v) => ['alpha', 'beta', 'gamma'].includes(v)), values.join(','));
});

const KCAT = (await run('kcat', ['-V'], { timeoutMs: 30_000 }).catch(() => ({ code: 1 }))).code === 0 ? false : 'kcat not installed (Debian package kcat)';

test('kcat (librdkafka) reads what producer-perf-test wrote, and consumer-perf-test reads what kcat wrote', { skip: KCAT, timeout: 120_000 }, async () => {
  ok(await samsa(['producer-perf-test', '--topic', 'perf-kcat', '--num-records', '500', '--record-size', '20', '--throughput', '-1', '--producer-props', `bootstrap.servers=${broker.bootstrap}`, 'compression.type=gzip']));
  const read = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', 'perf-kcat', '-o', 'beginning', '-e', '-q', '-f', '%S\\n'], { timeoutMs: 45_000 });
  assert.equal(read.code, 0, read.stderr);
  const sizes = read.stdout.trimEnd().split('\n');
  assert.equal(sizes.length, 500);
  assert.ok(sizes.every((s) => s === '20'), 'every value is --record-size bytes');

  const lines = Array.from({ length: 300 }, (_, i) => `line-${i}`).join('\n') + '\n';
  const produced = await run('kcat', ['-b', broker.bootstrap, '-P', '-t', 'from-kcat'], { input: lines, timeoutMs: 45_000 });
  assert.equal(produced.code, 0, produced.stderr);
  const row = ok(await samsa(['consumer-perf-test', '--bootstrap-server', broker.bootstrap, '--topic', 'from-kcat', '--messages', '300', '--hide-header']));
  assert.equal(row.trimEnd().split(', ')[4], '300');
});

test('perf-test tools refuse what they cannot do with a sentence and a non-zero exit', async () => {
  const bs = `bootstrap.servers=${broker.bootstrap}`;
  const cases: Array<[string[], RegExp]> = [
    [['producer-perf-test', '--topic', 'perf', '--num-records', '1', '--record-size', '1', '--throughput', '-1'], /Either --producer-props or --producer.config must be specified/],
    [['producer-perf-test', '--topic', 'perf', '--num-records', '0', '--record-size', '1', '--throughput', '-1', '--producer-props', bs], /--num-records should be greater than zero/],
    [['producer-perf-test', '--topic', 'perf', '--num-records', '1', '--record-size', '1', '--payload-monotonic', '--throughput', '-1', '--producer-props', bs], /only one of/],
    [['producer-perf-test', '--topic', 'perf', '--num-records', '1', '--record-size', '1', '--throughput', '-1', '--producer-props', bs, '--print-metrics'], /--print-metrics is not supported/],
    [['producer-perf-test', '--topic', 'perf', '--num-records', '1', '--record-size', '1', '--throughput', 'fast', '--producer-props', bs], /--throughput must be a number/],
    [['producer-perf-test', '--topic', 'perf', '--num-records', '1', '--record-size', '1', '--throughput', '-1', '--producer-props', bs, 'acks=2'], /acks must be all, -1, 1 or 0/],
    [['consumer-perf-test', '--bootstrap-server', broker.bootstrap, '--topic', 'perf'], /--messages is required/],
    [['consumer-perf-test', '--bootstrap-server', broker.bootstrap, '--topic', 'perf', '--messages', '1', '--reporting-interval', '0'], /Reporting interval must be greater than 0/],
    [['consumer-perf-test', '--bootstrap-server', broker.bootstrap, '--topic', 'perf', '--messages', '1', '--date-format', 'yyyy-qq'], /illegal pattern character 'q'/],
  ];
  for (const [args, message] of cases) {
    const r = await samsa(args);
    assert.equal(r.code, 1, `${args.join(' ')}\n${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('console-consumer: --include matches two of three topics, print.* properties in Kafka format, --formatter', { timeout: 60_000 }, async () => {
  const r = await script('console-consumer', [
    '--bootstrap-server', broker.bootstrap, '--include', 'inc-[ab]', '--from-beginning', '--max-messages', '2', '--timeout-ms', '20000',
    '--property', 'print.timestamp=true', '--property', 'print.partition=true', '--property', 'print.offset=true',
    '--property', 'print.headers=true', '--property', 'print.key=true',
  ]);
  const lines = ok(r).trimEnd().split('\n').sort();
  assert.deepEqual(lines, [
    'CreateTime:1700000000000\tPartition:0\tOffset:0\th1:v1,h2:v2\tk-inc-a\tv-inc-a',
    'CreateTime:1700000000000\tPartition:0\tOffset:0\th1:v1,h2:v2\tk-inc-b\tv-inc-b',
  ]);
  assert.match(r.stderr, /Processed a total of 2 messages/);

  const noop = await samsa(['console-consumer', '--bootstrap-server', broker.bootstrap, '--topic', 'other', '--from-beginning', '--max-messages', '1', '--formatter', 'org.apache.kafka.tools.consumer.NoOpMessageFormatter']);
  assert.equal(ok(noop), '');
  const unknown = await samsa(['console-consumer', '--bootstrap-server', broker.bootstrap, '--topic', 'other', '--formatter', 'com.example.Fancy']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /--formatter com\.example\.Fancy is not a formatter samsa has/);
});

test('console-consumer --consumer.config: its group.id reads as a group and commits; a different --group is refused', { timeout: 60_000 }, async () => {
  const config = join(scratch, 'consumer.properties');
  await writeFile(config, '# a Kafka client config\ngroup.id=from-file\nclient.id=file-client\nauto.offset.reset=earliest\n');
  const out = ok(await script('console-consumer', ['--bootstrap-server', broker.bootstrap, '--topic', 'inc-a', '--consumer.config', config, '--max-messages', '1']));
  assert.equal(out, 'v-inc-a\n');
  const kafka = createClient({ bootstrapServers: broker.bootstrap });
  const committed = await kafka.admin().fetchOffsets('from-file');
  await kafka.close();
  assert.deepEqual(committed.map((c) => [c.topic, c.partition, c.offset]), [['inc-a', 0, 1]]);

  // auto.offset.reset from the properties decides where a whole topic starts, as in Kafka.
  const earliest = await samsa(['console-consumer', '--bootstrap-server', broker.bootstrap, '--topic', 'other', '--consumer-property', 'auto.offset.reset=earliest', '--max-messages', '1', '--timeout-ms', '20000']);
  assert.equal(ok(earliest), 'v-other\n');
  const conflict = await samsa(['console-consumer', '--bootstrap-server', broker.bootstrap, '--topic', 'other', '--consumer-property', 'auto.offset.reset=latest', '--from-beginning']);
  assert.equal(conflict.code, 1);
  assert.match(conflict.stderr, /Can't simultaneously specify --from-beginning and 'auto.offset.reset=latest'/);

  const clash = await samsa(['console-consumer', '--bootstrap-server', broker.bootstrap, '--topic', 'inc-a', '--consumer.config', config, '--group', 'other-group']);
  assert.equal(clash.code, 1);
  assert.match(clash.stderr, /do not match\. Detected group ids: 'other-group', 'from-file'/);
});

/** A TCP listener that counts connections: a tool that refuses security settings must never connect. */
async function countingListener(): Promise<{ server: Server; address: string; connections: () => number }> {
  let count = 0;
  const server = createServer((s) => {
    count++;
    s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { server, address: `127.0.0.1:${port}`, connections: () => count };
}

test('SASL mechanisms the client cannot speak, in any client config path, are refused before connecting, never silently downgraded', { timeout: 120_000 }, async () => {
  const listener = await countingListener();
  const bs = listener.address;
  const sasl = join(scratch, 'sasl.properties');
  await writeFile(sasl, 'security.protocol=SASL_SSL\nsasl.mechanism=GSSAPI\nsasl.jaas.config=com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true;\n');
  try {
    const cases: Array<[string, string[], string?]> = [
      ['console-producer', ['--bootstrap-server', bs, '--topic', 'perf', '--producer-property', 'security.protocol=SASL_PLAINTEXT'], 'hello\n'],
      ['console-producer', ['--bootstrap-server', bs, '--topic', 'perf', '--producer.config', sasl], 'hello\n'],
      ['console-consumer', ['--bootstrap-server', bs, '--topic', 'perf', '--consumer-property', 'security.protocol=sasl_plaintext']],
      ['console-consumer', ['--bootstrap-server', bs, '--topic', 'perf', '--consumer.config', sasl]],
      ['topics', ['--bootstrap-server', bs, '--list', '--command-config', sasl]],
      ['configs', ['--bootstrap-server', bs, '--entity-type', 'topics', '--entity-name', 'perf', '--describe', '--command-config', sasl]],
      ['consumer-groups', ['--bootstrap-server', bs, '--list', '--command-config', sasl]],
      ['get-offsets', ['--bootstrap-server', bs, '--command-config', sasl]],
      ['transactions', ['--bootstrap-server', bs, '--command-config', sasl, 'list']],
      ['producer-perf-test', ['--topic', 'perf', '--num-records', '1', '--record-size', '1', '--throughput', '-1', '--producer-props', `bootstrap.servers=${bs}`, 'security.protocol=SASL_SSL']],
      ['consumer-perf-test', ['--bootstrap-server', bs, '--topic', 'perf', '--messages', '1', '--consumer.config', sasl]],
    ];
    for (const [tool, args, input] of cases) {
      const r = await script(tool, args, input);
      assert.equal(r.code, 1, `${tool} ${args.join(' ')}\n${r.stderr}`);
      assert.match(r.stderr, /this SASL mechanism is not supported yet; Samsa's client logs in with SASL\/PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER only, so it refuses to connect rather than connect without the authentication asked for\./, `${tool}: ${r.stderr}`);
    }
    assert.equal(listener.connections(), 0, 'no tool opened a connection');
    // PLAINTEXT, spelled any way, is what the client speaks: accepted.
    ok(await script('topics', ['--bootstrap-server', broker.bootstrap, '--list', '--command-config', await plaintextConfig()]));
  } finally {
    listener.server.close();
  }
});

async function plaintextConfig(): Promise<string> {
  const path = join(scratch, 'plain.properties');
  await writeFile(path, 'security.protocol=plaintext\nclient.id=admin-tool\nrequest.timeout.ms=20000\n');
  return path;
}
