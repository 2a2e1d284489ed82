import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/broker/broker.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

let broker: Broker;
let bs: string[];

before(async () => {
  broker = await Broker.start({ port: 0 });
  bs = ['--bootstrap-server', broker.bootstrap];
});

after(async () => {
  await broker.stop();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `samsa` CLI as a child process. */
function samsa(args: string[], input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

function assertNoStack(r: Run): void {
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'user errors print a sentence, not a stack trace');
}

test('topics: create, list, describe, delete, with Kafka output and exit codes', async () => {
  const created = await samsa(['topics', '--create', '--topic', 'orders', '--partitions', '3', '--replication-factor', '1', ...bs]);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout, 'Created topic orders.\n');

  const again = await samsa(['topics', '--create', '--topic', 'orders', '--partitions', '3', ...bs]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /orders/);
  assert.match(again.stderr, /TOPIC_ALREADY_EXISTS|already exists/i);
  assertNoStack(again);
  const quiet = await samsa(['topics', '--create', '--topic', 'orders', '--partitions', '3', '--if-not-exists', ...bs]);
  assert.equal(quiet.code, 0, quiet.stderr);

  const listed = await samsa(['topics', '--list', ...bs]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(listed.stdout.split('\n').includes('orders'));

  const described = await samsa(['topics', '--describe', '--topic', 'orders', ...bs]);
  assert.equal(described.code, 0, described.stderr);
  const lines = described.stdout.trimEnd().split('\n');
  // Kafka's line, with the id the broker gave the topic (the client asks Metadata v10+ for it).
  const topicId = broker.topics.get('orders')!.topicId;
  assert.match(lines[0]!, new RegExp(`^Topic: orders\tTopicId: ${topicId}\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: `));
  assert.deepEqual(lines.slice(1), [0, 1, 2].map((p) => `\tTopic: orders\tPartition: ${p}\tLeader: 1\tReplicas: 1\tIsr: 1`));

  const missing = await samsa(['topics', '--describe', '--topic', 'nope', ...bs]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Topic 'nope' does not exist/);

  const deleted = await samsa(['topics', '--delete', '--topic', 'orders', ...bs]);
  assert.equal(deleted.code, 0, deleted.stderr);
  const after = await samsa(['topics', '--list', ...bs]);
  assert.ok(!after.stdout.split('\n').includes('orders'));
  const deleteAgain = await samsa(['topics', '--delete', '--topic', 'orders', ...bs]);
  assert.equal(deleteAgain.code, 1);
  assert.match(deleteAgain.stderr, /does not exist/);
  assert.equal((await samsa(['topics', '--delete', '--topic', 'orders', '--if-exists', ...bs])).code, 0);
});

test('topics --json gives machine-readable list and describe', async () => {
  assert.equal((await samsa(['topics', '--create', '--topic', 'jsonic', '--partitions', '2', '--config', 'retention.ms=60000', ...bs])).code, 0);
  const list = await samsa(['topics', '--list', '--json', ...bs]);
  assert.equal(list.code, 0, list.stderr);
  const names: unknown = JSON.parse(list.stdout);
  assert.ok(Array.isArray(names) && names.includes('jsonic'));

  const desc = await samsa(['topics', '--describe', '--topic', 'jsonic', '--json', ...bs]);
  assert.equal(desc.code, 0, desc.stderr);
  const [t] = JSON.parse(desc.stdout) as Array<{ name: string; topicId: string | null; partitionCount: number; replicationFactor: number; partitions: Array<{ partition: number; leader: number }> }>;
  assert.equal(t!.name, 'jsonic');
  assert.equal(t!.topicId, broker.topics.get('jsonic')!.topicId);
  assert.equal(t!.partitionCount, 2);
  assert.equal(t!.replicationFactor, 1);
  assert.deepEqual(t!.partitions.map((p) => [p.partition, p.leader]), [[0, 1], [1, 1]]);
});

test('console-producer pipes lines in; console-consumer reads them back with keys', async () => {
  assert.equal((await samsa(['topics', '--create', '--topic', 'lines', '--partitions', '1', ...bs])).code, 0);
  const produced = await samsa(
    ['console-producer', '--topic', 'lines', ...bs, '--property', 'parse.key=true', '--property', 'key.separator=:', '--property', 'ignore.error=true'],
    'first line\nk1:keyed value\nthird\n',
  );
  assert.equal(produced.code, 0, produced.stderr);

  const consumed = await samsa(['console-consumer', '--topic', 'lines', ...bs, '--from-beginning', '--max-messages', '3', '--property', 'print.key=true']);
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.equal(consumed.stdout, 'null\tfirst line\nk1\tkeyed value\nnull\tthird\n');
  assert.match(consumed.stderr, /Processed a total of 3 messages/);

  const detailed = await samsa([
    'console-consumer', '--topic', 'lines', ...bs, '--partition', '0', '--offset', '1', '--max-messages', '1',
    '--property', 'print.timestamp=true', '--property', 'print.offset=true', '--property', 'print.partition=true',
  ]);
  assert.equal(detailed.code, 0, detailed.stderr);
  assert.match(detailed.stdout, /^CreateTime:\d{13}\tPartition:0\tOffset:1\tkeyed value\n$/);
});

test('console-producer without parse.key, via --broker-list, and a missing key separator', async () => {
  assert.equal((await samsa(['topics', '--create', '--topic', 'plain', '--partitions', '1', ...bs])).code, 0);
  const ok = await samsa(['console-producer', '--topic', 'plain', '--broker-list', broker.bootstrap, '--compression-codec', 'gzip', '--request-required-acks', '1'], 'a\nb:c\n');
  assert.equal(ok.code, 0, ok.stderr);
  const bad = await samsa(['console-producer', '--topic', 'plain', ...bs, '--property', 'parse.key=true'], 'no separator here\n');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /No key separator .* on line number 1/);
  assertNoStack(bad);
  const read = await samsa(['console-consumer', '--topic', 'plain', ...bs, '--from-beginning', '--timeout-ms', '1500']);
  assert.equal(read.code, 0, read.stderr);
  assert.equal(read.stdout, 'a\nb:c\n');
});

test('a bad flag exits 1 with a sentence that says what to do', async () => {
  const r = await samsa(['topics', '--list', '--bogus', ...bs]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /does not know the option '--bogus'.*samsa topics --help/);
  assertNoStack(r);
  const offsetWithoutPartition = await samsa(['console-consumer', '--topic', 'x', '--offset', '3', ...bs]);
  assert.equal(offsetWithoutPartition.code, 1);
  assert.match(offsetWithoutPartition.stderr, /--offset needs --partition/);
  const noTool = await samsa(['frobnicate']);
  assert.equal(noTool.code, 1);
  assert.match(noTool.stderr, /no tool called 'frobnicate'/);
  const help = await samsa(['console-consumer', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--from-beginning/);
});
