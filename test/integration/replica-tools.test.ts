/**
 * `samsa leader-election` and `samsa log-dirs` (bin/kafka-leader-election.sh,
 * bin/kafka-log-dirs.sh) against one in-process broker: Kafka's argument checks and sentences,
 * elections that one broker never needs, unknown partitions, and the log-dirs JSON in Kafka's
 * shape. The cluster cases are in cluster-replica-tools.test.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/broker/broker.js';
import { createClient } from '../../src/client/index.js';
import { run, type RunResult } from '../helpers/broker.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const BIN = fileURLToPath(new URL('../../../bin/', import.meta.url));

let broker: Broker;
let bs: string[];
let scratch: string;

before(async () => {
  broker = await Broker.start({ port: 0 });
  bs = ['--bootstrap-server', broker.bootstrap];
  scratch = await mkdtemp(join(tmpdir(), 'samsa-replica-tools-'));
  const kafka = createClient({ bootstrapServers: broker.bootstrap });
  await kafka.admin().createTopics([{ topic: 'alone', numPartitions: 2 }, { topic: 'other', numPartitions: 1 }]);
  await kafka.producer().send({ topic: 'alone', messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 1 }] });
  await kafka.close();
});

after(async () => {
  await broker.stop();
  await rm(scratch, { recursive: true, force: true });
});

function samsa(args: string[]): Promise<RunResult> {
  return run(process.execPath, [MAIN, ...args], { timeoutMs: 30_000 });
}

/** Exit 1, nothing on stdout, and stderr matching `sentence`. */
function refused(r: RunResult, sentence: RegExp): void {
  assert.equal(r.code, 1, `exit ${r.code}\n${r.stdout}${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, sentence);
}

test('leader-election refuses bad arguments with Kafka’s sentence and what to do, before connecting', async () => {
  const nowhere = ['--bootstrap-server', '127.0.0.1:1'];
  refused(await samsa(['leader-election']), /^Missing required option\(s\): bootstrap-server, election-type\. Give --bootstrap-server and --election-type, as in/);
  refused(await samsa(['leader-election', ...nowhere, '--all-topic-partitions']), /^Missing required option\(s\): election-type\./);
  refused(await samsa(['leader-election', ...nowhere, '--election-type', 'sideways', '--all-topic-partitions']), /^--election-type must be preferred or unclean \(in any case\), not 'sideways'\./);
  refused(await samsa(['leader-election', ...nowhere, '--election-type', 'preferred']), /^One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file\. Give --topic/);
  refused(await samsa(['leader-election', ...nowhere, '--election-type', 'preferred', '--all-topic-partitions', '--topic', 't', '--partition', '0']), /^One and only one of the following options is required/);
  refused(await samsa(['leader-election', ...nowhere, '--election-type', 'preferred', '--topic', 't']), /^Missing required option\(s\): partition\. --topic needs --partition, as in '--topic t --partition 0'\./);
  refused(await samsa(['leader-election', ...nowhere, '--election-type', 'preferred', '--all-topic-partitions', '--partition', '0']), /^Option partition is only allowed if topic is used\./);
  refused(await samsa(['leader-election', ...nowhere, '--election-type', 'preferred', '--topic', 't', '--partition', 'x']), /^--partition must be a whole number of at least 0, not 'x'\./);
  refused(await samsa(['leader-election', ...nowhere, '--election-type', 'preferred', '--all-topic-partitions', '--bogus']), /does not know the option '--bogus'/);
  const noField = join(scratch, 'no-field.json');
  await writeFile(noField, '{"version":1}');
  refused(await samsa(['leader-election', ...nowhere, '--election-type', 'preferred', '--path-to-json-file', noField]), /^Replica election data is missing "partitions" field; write .* as in \{"partitions"/);
  const twice = join(scratch, 'twice.json');
  await writeFile(twice, '{"partitions":[{"topic":"t","partition":0},{"topic":"t","partition":0}]}');
  refused(await samsa(['leader-election', ...nowhere, '--election-type', 'preferred', '--path-to-json-file', twice]), /^Replica election data contains duplicate partitions: \[t-0\]\. Name each partition once\./);
  const badEntry = join(scratch, 'bad-entry.json');
  await writeFile(badEntry, '{"partitions":[{"topic":"t"}]}');
  refused(await samsa(['leader-election', ...nowhere, '--election-type', 'preferred', '--path-to-json-file', badEntry]), /^Entry 0 of "partitions" in .* needs "topic" \(a string\) and "partition" \(a whole number\)/);
});

test('leader-election on one broker: its only replica already leads; an unknown partition fails with Kafka’s error line and exit 1', async () => {
  const named = await samsa(['leader-election', ...bs, '--election-type', 'PREFERRED', '--topic', 'alone', '--partition', '1']);
  assert.equal(named.code, 0, named.stderr);
  assert.equal(named.stdout, 'Valid replica already elected for partitions alone-1\n');
  // All partitions: Kafka's broker leaves out those whose election is not needed, so nothing is said.
  const all = await run(join(BIN, 'kafka-leader-election.sh'), [...bs, '--election-type', 'Unclean', '--all-topic-partitions'], { timeoutMs: 30_000 });
  assert.equal(all.code, 0, all.stderr);
  assert.equal(all.stdout, '');
  const file = join(scratch, 'elect.json');
  await writeFile(file, '{"partitions":[{"topic":"alone","partition":0},{"topic":"missing","partition":0},{"topic":"other","partition":0}]}');
  const mixed = await samsa(['leader-election', ...bs, '--election-type', 'preferred', '--path-to-json-file', file]);
  assert.equal(mixed.code, 1);
  assert.equal(
    mixed.stdout,
    'Valid replica already elected for partitions alone-0, other-0\n' +
      'Error completing leader election (PREFERRED) for partition: missing-0: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: No such topic as missing\n',
  );
  assert.equal(mixed.stderr, '1 replica(s) could not be elected\n');
  const json = await samsa(['leader-election', ...bs, '--election-type', 'preferred', '--path-to-json-file', file, '--json']);
  assert.equal(json.code, 1);
  assert.deepEqual(JSON.parse(json.stdout), {
    electionType: 'PREFERRED',
    succeeded: [],
    notNeeded: [{ topic: 'alone', partition: 0 }, { topic: 'other', partition: 0 }],
    failed: [{ topic: 'missing', partition: 0, error: 'UNKNOWN_TOPIC_OR_PARTITION', message: 'No such topic as missing' }],
  });
});

test('log-dirs on one broker: Kafka’s lines and JSON, --topic-list filters, an unknown --broker-list id and a missing --describe are refused', async () => {
  const r = await run(join(BIN, 'kafka-log-dirs.sh'), [...bs, '--describe'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  const [querying, received, doc, ...rest] = r.stdout.split('\n');
  assert.equal(querying, 'Querying brokers for log directories information');
  assert.equal(received, `Received log directory information from brokers ${broker.nodeId}`);
  assert.deepEqual(rest, ['']);
  // Kafka's key order (its tool writes Java HashMaps), checked on the text itself.
  assert.match(doc!, new RegExp(`^\\{"brokers":\\[\\{"broker":${broker.nodeId},"logDirs":\\[\\{"partitions":\\[\\{"partition":"[^"]+","size":\\d+,"offsetLag":0,"isFuture":false\\}`));
  assert.match(doc!, /\],"error":null,"logDir":"[^"]+"\}\]\}\],"version":1\}$/);
  const parsed = JSON.parse(doc!) as { brokers: Array<{ broker: number; logDirs: Array<{ logDir: string; error: null; partitions: Array<{ partition: string; size: number }> }> }> };
  const dir = parsed.brokers[0]!.logDirs[0]!;
  assert.equal(dir.logDir, broker.dataDir);
  const sizes = new Map(dir.partitions.map((p) => [p.partition, p.size]));
  assert.ok(sizes.get('alone-0')! > 0 && sizes.get('alone-1')! > 0, doc);
  assert.equal(sizes.get('other-0'), 0);

  const filtered = await samsa(['log-dirs', ...bs, '--describe', '--topic-list', 'other', '--broker-list', String(broker.nodeId)]);
  assert.equal(filtered.code, 0, filtered.stderr);
  const only = JSON.parse(filtered.stdout.split('\n')[2]!) as typeof parsed;
  assert.deepEqual(only.brokers[0]!.logDirs[0]!.partitions.map((p) => p.partition), ['other-0']);

  const unknown = await samsa(['log-dirs', ...bs, '--describe', '--broker-list', `${broker.nodeId},41,40`]);
  refused(unknown, new RegExp(`^ERROR: The given brokers do not exist from --broker-list: 40,41\\. Current existent brokers: ${broker.nodeId}\\n$`));
  refused(await samsa(['log-dirs', ...bs]), /^Missing required argument "\[describe\]"\. Give --describe, as in/);
  refused(await samsa(['log-dirs', '--describe']), /^Missing required argument "\[bootstrap-server\]"\./);
  refused(await samsa(['log-dirs', ...bs, '--describe', '--broker-list', '1,two']), /^--broker-list takes broker ids separated by commas, as in '--broker-list 1,2'; 'two' is not a broker id\./);
});
