/**
 * `samsa log-dirs` and `samsa leader-election` against etcd and three broker processes: every
 * broker lists its replicas, leader or follower, with their sizes; a broker stopped and brought
 * back gets its preferred leaderships back from a preferred election (which fails while it is
 * away; the controller's own rebalancing is off, so only the tool moves them), and a second run,
 * or an unclean election where a leader is live, is not needed. Metadata is read with kcat.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '../../src/client/index.js';
import { installed, run, type RunResult } from '../helpers/broker.js';
import { withClusterProcesses } from '../helpers/cluster-processes.js';
import { createReplicatedTopic, kcatMetadata, partitions, waitForIsr } from '../helpers/cluster-checks.js';
import { waitFor } from '../helpers/wait.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const BIN = fileURLToPath(new URL('../../../bin/', import.meta.url));
const SKIP = (await installed('kcat', ['-V'])) ? false : 'kcat is not installed (Debian package kcat)';

function samsa(args: string[]): Promise<RunResult> {
  return run(process.execPath, [MAIN, ...args], { timeoutMs: 60_000 });
}

function ok(r: RunResult): string {
  assert.equal(r.code, 0, `exit ${r.code}\n--- stderr:\n${r.stderr}\n--- stdout:\n${r.stdout}`);
  return r.stdout;
}

interface LogDirsDoc {
  brokers: Array<{ broker: number; logDirs: Array<{ logDir: string; error: string | null; partitions: Array<{ partition: string; size: number; offsetLag: number; isFuture: boolean }> }> }>;
  version: number;
}

/** The tool's three lines: the JSON document parsed, after checking the first two. */
function logDirs(stdout: string, brokers: number[]): LogDirsDoc {
  const [querying, received, doc, end] = stdout.split('\n');
  assert.equal(querying, 'Querying brokers for log directories information');
  assert.equal(received, `Received log directory information from brokers ${brokers.join(',')}`);
  assert.equal(end, '');
  return JSON.parse(doc!) as LogDirsDoc;
}

/** Partitions of every topic whose leader is not their first replica, as `topic-N`, sorted. */
async function offPreferred(bootstrap: string): Promise<string[]> {
  const meta = await kcatMetadata(bootstrap);
  return meta.topics
    .flatMap((t) => t.partitions.filter((p) => p.leader !== p.replicas[0]?.id).map((p) => ({ topic: t.topic, partition: p.partition })))
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
    .map((p) => `${p.topic}-${p.partition}`);
}

test('log-dirs and leader-election on three broker processes: replicas on every broker; a restarted broker’s preferred leaderships restored; elections not needed said so', { skip: SKIP, timeout: 240_000 }, async () => {
  await withClusterProcesses(
    async (c) => {
      const bs = ['--bootstrap-server', c.bootstrap];
      await createReplicatedTopic(c.bootstrap, 'spread', 3);
      await createReplicatedTopic(c.bootstrap, 'aside', 1);
      const kafka = createClient({ bootstrapServers: c.bootstrap });
      try {
        // acks=all: acknowledged once every in-sync follower holds the records too.
        await kafka.producer({ acks: -1 }).send({ topic: 'spread', messages: [0, 1, 2].flatMap((partition) => [{ value: `a${partition}`, partition }, { value: `b${partition}`, partition }]) });
      } finally {
        await kafka.close();
      }

      // log-dirs: every broker holds every replica (RF=3), followers included, each with its bytes.
      const all = logDirs(ok(await samsa(['log-dirs', ...bs, '--describe'])), [1, 2, 3]);
      assert.equal(all.version, 1);
      assert.deepEqual(all.brokers.map((b) => b.broker), [1, 2, 3]);
      for (const b of all.brokers) {
        assert.equal(b.logDirs.length, 1);
        const dir = b.logDirs[0]!;
        assert.equal(dir.logDir, c.dataDir(b.broker));
        assert.equal(dir.error, null);
        const spread = dir.partitions.filter((p) => p.partition.startsWith('spread-'));
        assert.deepEqual(spread.map((p) => p.partition), ['spread-0', 'spread-1', 'spread-2'], `broker ${b.broker}`);
        for (const p of spread) {
          assert.ok(p.size > 0, `broker ${b.broker} ${p.partition} has size ${p.size}`);
          assert.equal(p.offsetLag, 0);
          assert.equal(p.isFuture, false);
        }
        assert.ok(dir.partitions.some((p) => p.partition === 'aside-0'), `broker ${b.broker} lists aside-0`);
      }
      const two = logDirs(ok(await run(join(BIN, 'kafka-log-dirs.sh'), [...bs, '--describe', '--broker-list', '2', '--topic-list', 'aside'], { timeoutMs: 60_000 })), [2]);
      assert.deepEqual(two.brokers.map((b) => [b.broker, b.logDirs[0]!.partitions.map((p) => p.partition)]), [[2, ['aside-0']]]);
      const missing = await samsa(['log-dirs', ...bs, '--describe', '--broker-list', '2,9']);
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr, 'ERROR: The given brokers do not exist from --broker-list: 9. Current existent brokers: 1,2,3\n');

      // A broker away and back: its partitions are led by others until a preferred election.
      const before = await partitions(c.bootstrap, 'spread');
      const target = before[0]!;
      const away = target.replicas[0]!;
      assert.equal(target.leader, away, 'the topic starts on its preferred leaders');
      await c.stopBroker(away);
      const alive = c.brokerIds.filter((id) => id !== away).map((id) => c.address(id)).join(',');
      await waitFor(`spread-0 led by a broker other than ${away}`, async () => {
        const p = (await partitions(alive, 'spread').catch(() => []))[0];
        return p !== undefined && p.leader >= 0 && p.leader !== away;
      }, 30_000);
      // Its preferred replica away, the partition cannot be moved back yet: Kafka's error line, exit 1.
      const early = await samsa(['leader-election', '--bootstrap-server', alive, '--election-type', 'preferred', '--topic', 'spread', '--partition', '0']);
      assert.equal(early.code, 1, early.stderr);
      assert.equal(early.stdout, 'Error completing leader election (PREFERRED) for partition: spread-0: org.apache.kafka.common.errors.PreferredLeaderNotAvailableException: The preferred leader was not available.\n');
      assert.equal(early.stderr, '1 replica(s) could not be elected\n');
      await c.startBroker(away);
      await waitForIsr(c.bootstrap, 'spread', 3);
      await waitForIsr(c.bootstrap, 'aside', 3);
      const moved = await offPreferred(c.bootstrap);
      assert.ok(moved.includes('spread-0'), `spread-0 is still off its preferred leader after the restart: ${moved.join(', ')}`);

      const elected = await run(join(BIN, 'kafka-leader-election.sh'), [...bs, '--election-type', 'preferred', '--all-topic-partitions'], { timeoutMs: 60_000 });
      assert.equal(ok(elected), `Successfully completed leader election (PREFERRED) for partitions ${moved.join(', ')}\n`);
      await waitFor('every partition back on its preferred leader', async () => (await offPreferred(c.bootstrap)).length === 0, 30_000);
      assert.equal((await partitions(c.bootstrap, 'spread'))[0]!.leader, away);

      // Again: nothing to do, said per named partition and not at all for --all-topic-partitions.
      assert.equal(ok(await samsa(['leader-election', ...bs, '--election-type', 'PREFERRED', '--topic', 'spread', '--partition', '0'])), 'Valid replica already elected for partitions spread-0\n');
      assert.equal(ok(await samsa(['leader-election', ...bs, '--election-type', 'preferred', '--all-topic-partitions'])), '');
      assert.equal(ok(await samsa(['leader-election', ...bs, '--election-type', 'unclean', '--topic', 'spread', '--partition', '1'])), 'Valid replica already elected for partitions spread-1\n');
      const scratch = await mkdtemp(join(tmpdir(), 'samsa-election-'));
      try {
        const file = join(scratch, 'partitions.json');
        await writeFile(file, JSON.stringify({ partitions: [{ topic: 'spread', partition: 2 }, { topic: 'aside', partition: 0 }, { topic: 'spread', partition: 7 }] }));
        const json = await samsa(['leader-election', ...bs, '--election-type', 'unclean', '--path-to-json-file', file, '--json']);
        assert.equal(json.code, 1, json.stderr);
        assert.deepEqual(JSON.parse(json.stdout), {
          electionType: 'UNCLEAN',
          succeeded: [],
          notNeeded: [{ topic: 'aside', partition: 0 }, { topic: 'spread', partition: 2 }],
          failed: [{ topic: 'spread', partition: 7, error: 'UNKNOWN_TOPIC_OR_PARTITION', message: 'No such partition as spread-7' }],
        });
        assert.equal(json.stderr, '1 replica(s) could not be elected\n');
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    },
    { overrides: { 'auto.leader.rebalance.enable': 'false' } },
  );
});
