/**
 * The topic-lifecycle tools as users run them (the real `samsa` CLI and the bin/ shims, as child
 * processes): configs, topics --alter, delete-records, get-offsets, dump-log, leader-election and
 * log-dirs, with Kafka's output. leader-election and log-dirs on a cluster: cluster-replica-tools.test.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
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
  scratch = await mkdtemp(join(tmpdir(), 'samsa-tools-'));
  const kafka = createClient({ bootstrapServers: broker.bootstrap });
  await kafka.admin().createTopics([{ topic: 'tools', numPartitions: 2 }, { topic: 'alone', numPartitions: 2 }, { topic: 'other', numPartitions: 1 }]);
  await kafka.producer().send({ topic: 'alone', messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 1 }] });
  // Not idempotent, so dump-log shows a batch with no producer id (the client is idempotent by default).
  await kafka.producer({ idempotent: false }).send({
    topic: 'tools',
    messages: [
      { key: 'k1', value: 'first', partition: 0, timestamp: 1_700_000_000_000 },
      { key: 'k2', value: 'second', partition: 0, timestamp: 1_700_000_001_000 },
      { key: null, value: 'third', partition: 0, timestamp: 1_700_000_002_000 },
    ],
  });
  await kafka.close();
});

after(async () => {
  await broker.stop();
  await rm(scratch, { recursive: true, force: true });
});

function samsa(args: string[]): Promise<RunResult> {
  return run(process.execPath, [MAIN, ...args], { timeoutMs: 30_000 });
}

function ok(r: RunResult): string {
  assert.equal(r.code, 0, `exit ${r.code}\n--- stderr:\n${r.stderr}\n--- stdout:\n${r.stdout}`);
  return r.stdout;
}

test('configs: describe, alter (add and delete), --all with sources, brokers and the cluster default, errors', async () => {
  assert.equal(ok(await samsa(['configs', ...bs, '--entity-type', 'topics', '--entity-name', 'tools', '--describe'])), 'Dynamic configs for topic tools are:\n');
  assert.equal(
    ok(await samsa(['configs', ...bs, '--entity-type', 'topics', '--entity-name', 'tools', '--alter', '--add-config', 'retention.ms=86400000,cleanup.policy=[compact,delete]'])),
    'Completed updating config for topic tools.\n',
  );
  assert.equal(
    ok(await samsa(['configs', ...bs, '--entity-type', 'topics', '--entity-name', 'tools', '--describe'])),
    'Dynamic configs for topic tools are:\n' +
      '  cleanup.policy=compact,delete sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact,delete, DEFAULT_CONFIG:log.cleanup.policy=delete}\n' +
      '  retention.ms=86400000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=86400000}\n',
  );
  ok(await samsa(['configs', ...bs, '--topic', 'tools', '--alter', '--delete-config', 'cleanup.policy']));
  const all = ok(await samsa(['configs', ...bs, '--entity-type', 'topics', '--entity-name', 'tools', '--describe', '--all']));
  assert.match(all, /^All configs for topic tools are:\n/);
  assert.match(all, /\n {2}cleanup\.policy=delete sensitive=false synonyms=\{DEFAULT_CONFIG:log\.cleanup\.policy=delete\}\n/);
  assert.match(all, /\n {2}segment\.bytes=1073741824 sensitive=false /);

  const missing = await samsa(['configs', ...bs, '--topic', 'tools', '--alter', '--delete-config', 'segment.ms']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Invalid config\(s\): segment\.ms/);
  const invalid = await samsa(['configs', ...bs, '--topic', 'tools', '--alter', '--add-config', 'segment.bytes=huge']);
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /segment\.bytes/);
  assert.doesNotMatch(invalid.stderr, /\n\s+at /, 'a sentence, not a stack');

  assert.equal(
    ok(await samsa(['configs', ...bs, '--entity-type', 'brokers', '--entity-default', '--alter', '--add-config', 'log.cleaner.threads=2'])),
    'Completed updating default config for brokers in the cluster.\n',
  );
  assert.equal(
    ok(await samsa(['configs', ...bs, '--entity-type', 'brokers', '--entity-default', '--describe'])),
    'Default configs for brokers in the cluster are:\n  log.cleaner.threads=2 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.cleaner.threads=2}\n',
  );
  ok(await samsa(['configs', ...bs, '--entity-type', 'brokers', '--entity-name', '1', '--alter', '--add-config', 'log.cleaner.threads=3']));
  assert.equal(
    ok(await samsa(['configs', ...bs, '--broker', '1', '--describe'])),
    'Dynamic configs for broker 1 are:\n' +
      '  log.cleaner.threads=3 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.cleaner.threads=3, DYNAMIC_DEFAULT_BROKER_CONFIG:log.cleaner.threads=2, DEFAULT_CONFIG:log.cleaner.threads=1}\n',
  );
  const readOnly = await samsa(['configs', ...bs, '--entity-type', 'brokers', '--entity-name', '1', '--alter', '--add-config', 'num.partitions=4']);
  assert.equal(readOnly.code, 1);
  assert.match(readOnly.stderr, /Cannot update these configs dynamically: Set\(num\.partitions\)/);

  const shim = await run(join(BIN, 'kafka-configs.sh'), [...bs, '--entity-type', 'topics', '--entity-name', 'tools', '--describe'], { timeoutMs: 30_000 });
  assert.equal(ok(shim), 'Dynamic configs for topic tools are:\n  retention.ms=86400000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=86400000}\n');
});

test('topics --alter --partitions grows a topic; shrinking is refused', async () => {
  ok(await samsa(['topics', ...bs, '--create', '--topic', 'growing', '--partitions', '1']));
  ok(await samsa(['topics', ...bs, '--alter', '--topic', 'growing', '--partitions', '3']));
  assert.match(ok(await samsa(['topics', ...bs, '--describe', '--topic', 'growing'])), /PartitionCount: 3/);
  const shrink = await samsa(['topics', ...bs, '--alter', '--topic', 'growing', '--partitions', '2']);
  assert.equal(shrink.code, 1);
  assert.match(shrink.stderr, /currently has 3 partition\(s\); 2 would not be an increase/);
  const noCount = await samsa(['topics', ...bs, '--alter', '--topic', 'growing']);
  assert.equal(noCount.code, 1);
  assert.match(noCount.stderr, /--partitions/);
});

test('get-offsets prints topic:partition:offset for latest, earliest and a time', async () => {
  assert.equal(ok(await samsa(['get-offsets', ...bs, '--topic', 'tools'])), 'tools:0:3\ntools:1:0\n');
  assert.equal(ok(await samsa(['get-offsets', ...bs, '--topic', 'tools', '--time', '-2', '--partitions', '0'])), 'tools:0:0\n');
  assert.equal(ok(await samsa(['get-offsets', ...bs, '--topic', 'to.ls', '--time', '1700000001000', '--partitions', '0'])), 'tools:0:1\n');
  assert.equal(ok(await samsa(['get-offsets', ...bs, '--topic', 'tools', '--time', '-3', '--partitions', '0'])), 'tools:0:2\n');
  const shim = await run(join(BIN, 'kafka-get-offsets.sh'), [...bs, '--topic', 'tools', '--time', 'latest'], { timeoutMs: 30_000 });
  assert.equal(ok(shim), 'tools:0:3\ntools:1:0\n');
  // -3 names the record with the largest timestamp, here in the middle of its batch (KAFKA-16310).
  const kafka = createClient({ bootstrapServers: broker.bootstrap });
  try {
    await kafka.admin().createTopics([{ topic: 'stamps', numPartitions: 1 }]);
    const times = [1_700_000_000_000, 1_700_000_009_000, 1_700_000_005_000];
    await kafka.producer().send({ topic: 'stamps', messages: times.map((timestamp, i) => ({ value: `m${i}`, partition: 0, timestamp })) });
  } finally {
    await kafka.close();
  }
  assert.equal(ok(await samsa(['get-offsets', ...bs, '--topic', 'stamps', '--time', '-3'])), 'stamps:0:1\n');
  const bad = await samsa(['get-offsets', ...bs, '--time', 'yesterday']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--time must be/);
});

test('delete-records reads Kafka\'s offset JSON and reports each low watermark or error', async () => {
  const file = join(scratch, 'offsets.json');
  await writeFile(file, JSON.stringify({ partitions: [{ topic: 'tools', partition: 0, offset: 1 }], version: 1 }));
  assert.equal(
    ok(await run(join(BIN, 'kafka-delete-records.sh'), [...bs, '--offset-json-file', file], { timeoutMs: 30_000 })),
    'Executing records delete operation\nRecords delete operation completed:\npartition: tools-0\tlow_watermark: 1\n',
  );
  assert.equal(ok(await samsa(['get-offsets', ...bs, '--topic', 'tools', '--time', '-2', '--partitions', '0'])), 'tools:0:1\n');
  await writeFile(file, JSON.stringify({ partitions: [{ topic: 'tools', partition: 1, offset: 5 }], version: 1 }));
  const beyond = await samsa(['delete-records', ...bs, '--offset-json-file', file]);
  assert.equal(beyond.code, 1);
  assert.match(beyond.stdout, /partition: tools-1\terror: .*beyond the high watermark/);
  await writeFile(file, '{"partitions": "all"}');
  const malformed = await samsa(['delete-records', ...bs, '--offset-json-file', file]);
  assert.equal(malformed.code, 1);
  assert.match(malformed.stderr, /"partitions" array/);
});

test('dump-log reads a segment offline: batch lines, and records with --print-data-log', async () => {
  const segment = join(broker.dataDir, 'tools-0', '00000000000000000000.log');
  const batches = ok(await samsa(['dump-log', '--files', segment]));
  const lines = batches.trimEnd().split('\n');
  assert.deepEqual(lines.slice(0, 2), [`Dumping ${segment}`, 'Log starting offset: 0']);
  assert.equal(lines.length, 3, 'one batch');
  assert.match(
    lines[2]!,
    /^baseOffset: 0 lastOffset: 2 count: 3 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 0 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: 0 CreateTime: 1700000002000 size: \d+ magic: 2 compresscodec: none crc: \d+ isvalid: true$/,
  );
  const data = ok(await run(join(BIN, 'kafka-dump-log.sh'), ['--files', segment, '--print-data-log'], { timeoutMs: 30_000 }));
  assert.deepEqual(data.trimEnd().split('\n').slice(3), [
    '| offset: 0 CreateTime: 1700000000000 keySize: 2 valueSize: 5 sequence: -1 headerKeys: [] key: k1 payload: first',
    '| offset: 1 CreateTime: 1700000001000 keySize: 2 valueSize: 6 sequence: -1 headerKeys: [] key: k2 payload: second',
    '| offset: 2 CreateTime: 1700000002000 keySize: -1 valueSize: 5 sequence: -1 headerKeys: [] payload: third',
  ]);
  const missing = await samsa(['dump-log', '--files', join(scratch, 'nothing.log')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /ENOENT|no such file/);
});

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
  refused(await samsa(['leader-election', ...nowhere, '--election-type', 'preferred', '--all-topic-partitions', '--admin.config', 'a', '--command-config', 'b']), /^Give --command-config or --admin.config \(its old name\), not both\./);
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
  const props = join(scratch, 'admin.properties');
  await writeFile(props, 'client.id=elections\n');
  // --admin.config: Kafka's older name for --command-config.
  const named = await samsa(['leader-election', ...bs, '--admin.config', props, '--election-type', 'PREFERRED', '--topic', 'alone', '--partition', '1']);
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
