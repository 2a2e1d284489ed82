import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/broker/broker.js';
import { createClient, type Client, type Consumer } from '../../src/client/index.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const TEST_TIMEOUT_MS = 60_000;

let broker: Broker;
let client: Client;
let bs: string[];

before(async () => {
  broker = await Broker.start({ port: 0, config: { 'group.initial.rebalance.delay.ms': '0' } });
  client = createClient({ bootstrapServers: broker.bootstrap, retryBackoffMs: 20 });
  bs = ['--bootstrap-server', broker.bootstrap];
});

after(async () => {
  await client.close();
  await broker.stop();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function samsa(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The data rows of a Kafka-style table (after the header), split on runs of spaces. */
function rows(stdout: string, header: string): string[][] {
  const lines = stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith(header));
  assert.ok(at >= 0, `no '${header}' header in:\n${stdout}`);
  return lines.slice(at + 1).filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/));
}

async function setup(topic: string, partitions: number, perPartition: number): Promise<void> {
  const admin = client.admin();
  const producer = client.producer();
  try {
    await admin.createTopics([{ topic, numPartitions: partitions }]);
    const messages = [];
    for (let p = 0; p < partitions; p++) for (let i = 0; i < perPartition; i++) messages.push({ value: `${topic}-${p}-${i}`, partition: p });
    await producer.send({ topic, messages });
  } finally {
    await producer.close();
    await admin.close();
  }
}

/** A live member of `group`, polled until it holds its partitions. */
async function activeMember(group: string, topic: string, partitions: number): Promise<{ consumer: Consumer; stop: () => Promise<void> }> {
  const consumer = client.consumer({ groupId: group, clientId: 'live-member', heartbeatIntervalMs: 100, sessionTimeoutMs: 6000, autoCommit: false, maxWaitMs: 100 });
  consumer.subscribe([topic]);
  while (consumer.assignment().length < partitions) await consumer.poll({ timeoutMs: 200 });
  let running = true;
  const loop = (async () => {
    while (running) await consumer.poll({ timeoutMs: 100 });
  })();
  return {
    consumer,
    stop: async () => {
      running = false;
      await loop;
      await consumer.close();
    },
  };
}

test('console-consumer --group commits what it printed and the next run resumes there', { timeout: TEST_TIMEOUT_MS }, async () => {
  await setup('resume-cli', 2, 5);
  const first = await samsa(['console-consumer', ...bs, '--topic', 'resume-cli', '--group', 'cli-resume', '--from-beginning', '--max-messages', '6']);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout.trim().split('\n').length, 6);
  const second = await samsa(['console-consumer', ...bs, '--topic', 'resume-cli', '--group', 'cli-resume', '--from-beginning', '--timeout-ms', '3000']);
  assert.equal(second.code, 0, second.stderr);
  const all = [...first.stdout.trim().split('\n'), ...second.stdout.trim().split('\n')].sort();
  const expected = [0, 1].flatMap((p) => [0, 1, 2, 3, 4].map((i) => `resume-cli-${p}-${i}`)).sort();
  assert.deepEqual(all, expected, 'each message printed once over the two runs');
  const clash = await samsa(['console-consumer', ...bs, '--topic', 'resume-cli', '--group', 'g', '--partition', '0']);
  assert.equal(clash.code, 1);
  assert.match(clash.stderr, /--partition cannot be used with --group/);
});

test('list and describe: offsets, log end and lag, members and state', { timeout: TEST_TIMEOUT_MS }, async () => {
  await setup('lagging', 2, 5);
  const admin = client.admin();
  await admin.commitOffsets('lag-group', [
    { topic: 'lagging', partition: 0, offset: 2 },
    { topic: 'lagging', partition: 1, offset: 5 },
  ]);
  await admin.close();

  const listed = await samsa(['consumer-groups', ...bs, '--list']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(listed.stdout.split('\n').includes('lag-group'), listed.stdout);

  const empty = await samsa(['consumer-groups', ...bs, '--describe', '--group', 'lag-group']);
  assert.equal(empty.code, 0, empty.stderr);
  assert.match(empty.stderr, /Consumer group 'lag-group' has no active members\./);
  assert.match(empty.stdout, /^\nGROUP {11}TOPIC {11}PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG {13}CONSUMER-ID {5}HOST {12}CLIENT-ID\n/);
  assert.deepEqual(rows(empty.stdout, 'GROUP'), [
    ['lag-group', 'lagging', '0', '2', '5', '3', '-', '-', '-'],
    ['lag-group', 'lagging', '1', '5', '5', '0', '-', '-', '-'],
  ]);

  const member = await activeMember('lag-group', 'lagging', 2);
  try {
    const live = await samsa(['consumer-groups', ...bs, '--describe', '--group', 'lag-group']);
    assert.equal(live.code, 0, live.stderr);
    const liveRows = rows(live.stdout, 'GROUP');
    assert.equal(liveRows.length, 2);
    for (const r of liveRows) {
      assert.match(r[6]!, /^live-member-/);
      assert.match(r[7]!, /127\.0\.0\.1/);
      assert.equal(r[8], 'live-member');
    }

    const members = await samsa(['consumer-groups', ...bs, '--describe', '--group', 'lag-group', '--members']);
    assert.equal(members.code, 0, members.stderr);
    const m = rows(members.stdout, 'GROUP');
    assert.equal(m.length, 1);
    assert.equal(m[0]![3], 'live-member');
    assert.equal(m[0]![4], '2');

    const state = await samsa(['consumer-groups', ...bs, '--describe', '--group', 'lag-group', '--state']);
    assert.equal(state.code, 0, state.stderr);
    assert.match(state.stdout, /GROUP +COORDINATOR \(ID\) +ASSIGNMENT-STRATEGY +STATE +#MEMBERS/);
    assert.match(state.stdout, /lag-group +\S+:\d+ +\(1\) +range +Stable +1/);

    const json = await samsa(['consumer-groups', ...bs, '--describe', '--group', 'lag-group', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const [described] = JSON.parse(json.stdout) as Array<{ group: string; state: string; partitions: Array<{ partition: number; lag: number | null; consumerId: string }> }>;
    assert.equal(described!.state, 'Stable');
    assert.deepEqual(described!.partitions.map((p) => [p.partition, p.lag]), [[0, 3], [1, 0]]);

    // Kafka's refusals while the group has members.
    const reset = await samsa(['consumer-groups', ...bs, '--reset-offsets', '--group', 'lag-group', '--topic', 'lagging', '--to-earliest', '--execute']);
    assert.equal(reset.code, 1);
    assert.match(reset.stderr, /Assignments can only be reset if the group 'lag-group' is inactive, but the current state is Stable\./);
    const del = await samsa(['consumer-groups', ...bs, '--delete', '--group', 'lag-group']);
    assert.equal(del.code, 1);
    assert.match(del.stderr, /Error: Deletion of some consumer groups failed:\n\* Group 'lag-group' could not be deleted due to: org\.apache\.kafka\.common\.errors\.GroupNotEmptyException: The group is not empty\./);
  } finally {
    await member.stop();
  }

  const missing = await samsa(['consumer-groups', ...bs, '--describe', '--group', 'no-such-group']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Consumer group 'no-such-group' does not exist\./);
});

test('reset-offsets: dry run shows, execute commits, each scenario', { timeout: TEST_TIMEOUT_MS }, async () => {
  await setup('resettable', 2, 10);
  const admin = client.admin();
  try {
    await admin.commitOffsets('resetters', [
      { topic: 'resettable', partition: 0, offset: 4 },
      { topic: 'resettable', partition: 1, offset: 6 },
    ]);
    const reset = (...args: string[]) => samsa(['consumer-groups', ...bs, '--reset-offsets', '--group', 'resetters', ...args]);
    const current = async () => (await admin.fetchOffsets('resetters')).map((o) => o.offset);

    const dry = await reset('--topic', 'resettable', '--to-earliest', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^\nGROUP {11}TOPIC {11}PARTITION  NEW-OFFSET\n/);
    assert.deepEqual(rows(dry.stdout, 'GROUP'), [
      ['resetters', 'resettable', '0', '0'],
      ['resetters', 'resettable', '1', '0'],
    ]);
    assert.deepEqual(await current(), [4, 6], 'a dry run changes nothing');

    const noExecute = await reset('--topic', 'resettable', '--to-earliest');
    assert.equal(noExecute.code, 0);
    assert.match(noExecute.stderr, /--execute option is missing/);
    assert.deepEqual(await current(), [4, 6]);

    assert.equal((await reset('--topic', 'resettable', '--to-earliest', '--execute')).code, 0);
    assert.deepEqual(await current(), [0, 0]);
    assert.equal((await reset('--topic', 'resettable:1', '--to-offset', '7', '--execute')).code, 0);
    assert.deepEqual(await current(), [0, 7]);
    assert.equal((await reset('--topic', 'resettable', '--shift-by', '5', '--execute')).code, 0);
    assert.deepEqual(await current(), [5, 10], 'shifting past the end stops at the log end');
    assert.equal((await reset('--all-topics', '--shift-by', '-2', '--execute')).code, 0);
    assert.deepEqual(await current(), [3, 8]);
    assert.equal((await reset('--topic', 'resettable', '--to-offset', '999', '--execute')).code, 0);
    assert.deepEqual(await current(), [10, 10], 'an offset past the end is clamped to the log end');
    const past = await reset('--topic', 'resettable', '--to-datetime', '2000-01-01T00:00:00.000', '--execute');
    assert.equal(past.code, 0, past.stderr);
    assert.deepEqual(await current(), [0, 0], 'a time before every message means the first one');
    assert.equal((await reset('--topic', 'resettable', '--to-datetime', '2999-01-01T00:00:00.000Z', '--execute')).code, 0);
    assert.deepEqual(await current(), [10, 10], 'a time after every message falls back to the log end');
    assert.equal((await reset('--topic', 'resettable', '--to-latest', '--execute', '--json')).code, 0);

    const badDate = await reset('--topic', 'resettable', '--to-datetime', 'yesterday', '--execute');
    assert.equal(badDate.code, 1);
    assert.match(badDate.stderr, /--to-datetime must look like/);

    const deleted = await samsa(['consumer-groups', ...bs, '--delete', '--group', 'resetters']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout, "Deletion of requested consumer groups ('resetters') was successful.\n");
    assert.deepEqual(await admin.fetchOffsets('resetters'), []);
  } finally {
    await admin.close();
  }
});

test('bad flag combinations exit 1 with one sentence and no stack', { timeout: TEST_TIMEOUT_MS }, async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--group', 'g'], /exactly one action: --list, --describe, --delete, --reset-offsets/],
    [['--list', '--describe'], /exactly one action/],
    [['--describe'], /--describe needs --group/],
    [['--describe', '--group', 'g', '--members', '--state'], /give at most one of them/],
    [['--list', '--members'], /--members only works with --describe/],
    [['--list', '--verbose'], /--verbose only works with --describe/],
    [['--reset-offsets', '--group', 'g', '--topic', 't'], /--reset-offsets needs one of --to-earliest/],
    [['--reset-offsets', '--group', 'g', '--to-earliest'], /One of the reset scopes should be defined: --all-topics, --topic\./],
    [['--reset-offsets', '--group', 'g', '--topic', 't', '--to-earliest', '--to-latest'], /Give only one of --to-earliest, --to-latest/],
    [['--reset-offsets', '--group', 'g', '--topic', 't', '--to-earliest', '--dry-run', '--execute'], /--dry-run and --execute cannot be given together/],
    [['--delete', '--group', 'g', '--to-earliest'], /--to-earliest only works with --reset-offsets/],
    [['--reset-offsets', '--group', 'g', '--topic', 't:x', '--to-earliest'], /Invalid partition 'x'/],
  ];
  for (const [args, pattern] of cases) {
    const r = await samsa(['consumer-groups', ...bs, ...args]);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one sentence for ${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});
