/**
 * Kafka's quick start, command by command as Kafka's documentation writes them, run from a copy
 * of the package (bin/, config/, dist/src) so that relative paths work and kafka-server-stop.sh
 * stops only the broker of that copy. One change, made in the copy's config/server.properties
 * only: a free port instead of 9092 and a log dir inside the copy instead of
 * /tmp/kraft-combined-logs, because this machine runs other brokers and test runs at the same time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '../../src/client/index.js';
import { freePort } from '../helpers/broker.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WAIT_MS_MAX = 30_000;

interface Shell {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Runs a command line with bash in `cwd`, as a person would type it. */
function sh(cwd: string, line: string, input?: string): Shell {
  const child = spawn('bash', ['-c', line], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  if (input !== undefined) child.stdin!.end(input);
  else child.stdin!.end();
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

async function done(cwd: string, line: string, input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const s = sh(cwd, line, input);
  const code = await s.exited;
  return { code, stdout: s.stdout(), stderr: s.stderr() };
}

async function waitFor(what: string, check: () => boolean, detail: () => string): Promise<void> {
  const deadline = Date.now() + WAIT_MS_MAX;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test("Kafka's quick start runs as written", async () => {
  const home = await mkdtemp(join(tmpdir(), 'samsa-quickstart-'));
  let server: Shell | undefined;
  try {
    for (const dir of ['bin', 'config', 'dist/src']) await cp(join(ROOT, dir), join(home, dir), { recursive: true });
    await cp(join(ROOT, 'package.json'), join(home, 'package.json'));
    await symlink(join(ROOT, 'node_modules'), join(home, 'node_modules'));
    const port = await freePort();
    const logDir = join(home, 'kraft-combined-logs');
    const shipped = await readFile(join(home, 'config/server.properties'), 'utf8');
    assert.match(shipped, /^listeners=PLAINTEXT:\/\/localhost:9092$/m);
    assert.match(shipped, /^log\.dirs=\/tmp\/kraft-combined-logs$/m);
    await writeFile(join(home, 'config/server.properties'), shipped.replaceAll('localhost:9092', `localhost:${port}`).replace(/^log\.dirs=.*$/m, `log.dirs=${logDir}`));
    const bootstrap = `localhost:${port}`;

    // Step 2: format the log directories.
    const uuid = await done(home, 'KAFKA_CLUSTER_ID="$(bin/kafka-storage.sh random-uuid)"; echo "$KAFKA_CLUSTER_ID"');
    const clusterId = uuid.stdout.trim();
    assert.match(clusterId, /^[A-Za-z0-9_-]{22}$/);
    const format = await done(home, `KAFKA_CLUSTER_ID=${clusterId}; bin/kafka-storage.sh format --standalone -t $KAFKA_CLUSTER_ID -c config/server.properties`);
    assert.equal(format.code, 0, format.stderr);
    assert.equal(format.stdout, `Formatting dynamic metadata voter directory ${logDir} with metadata.version 4.0-IV3.\n`);
    const meta = await readFile(join(logDir, 'meta.properties'), 'utf8');
    assert.match(meta, new RegExp(`^cluster\\.id=${clusterId}$`, 'm'));
    assert.match(meta, /^node\.id=1$/m);
    assert.match(meta, /^version=1$/m);
    assert.match(meta, /^directory\.id=[A-Za-z0-9_-]{22}$/m);
    const again = await done(home, `bin/kafka-storage.sh format --standalone -t ${clusterId} -c config/server.properties`);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `Log directory ${logDir} is already formatted. Use --ignore-formatted to ignore this directory and format the others.\n`);

    // Step 2: start the server.
    server = sh(home, 'exec bin/kafka-server-start.sh config/server.properties');
    const s = server;
    await waitFor('the broker to listen', () => /listening on/.test(s.stdout()), () => s.stdout() + s.stderr());

    // Step 3: create a topic; its description shows the id.
    const created = await done(home, `bin/kafka-topics.sh --create --topic quickstart-events --bootstrap-server ${bootstrap}`);
    assert.equal(created.stdout, 'Created topic quickstart-events.\n', created.stderr);
    const described = await done(home, `bin/kafka-topics.sh --describe --topic quickstart-events --bootstrap-server ${bootstrap}`);
    assert.match(described.stdout, /^Topic: quickstart-events\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: /);

    // Step 4: write events.
    const produced = await done(home, `bin/kafka-console-producer.sh --topic quickstart-events --bootstrap-server ${bootstrap}`, 'This is my first event\nThis is my second event\n');
    assert.equal(produced.code, 0, produced.stderr);

    // Step 5: read them, then Ctrl-C.
    const consumer = sh(home, `exec bin/kafka-console-consumer.sh --topic quickstart-events --from-beginning --bootstrap-server ${bootstrap}`);
    await waitFor('both events', () => consumer.stdout() === 'This is my first event\nThis is my second event\n', () => consumer.stdout() + consumer.stderr());
    consumer.child.kill('SIGINT');
    await consumer.exited;
    assert.match(consumer.stderr(), /Processed a total of 2 messages/);

    // The broker serves the cluster id the directory was formatted with.
    const kafka = createClient({ bootstrapServers: bootstrap });
    try {
      assert.equal((await kafka.admin().describeCluster()).clusterId, clusterId);
    } finally {
      await kafka.close();
    }

    const version = await done(home, 'bin/kafka-topics.sh --version');
    assert.match(version.stdout, /^0\.1\.0 \(Commit:\S+\)\n$/);

    // Stop the broker as Kafka's script does: SIGTERM, then a clean exit.
    const stop = await done(home, 'bin/kafka-server-stop.sh');
    assert.equal(stop.code, 0, stop.stdout + stop.stderr);
    assert.equal(await server.exited, 0);
    const none = await done(home, 'bin/kafka-server-stop.sh');
    assert.equal(none.code, 1);
    assert.equal(none.stdout, 'No kafka server to stop\n');
  } finally {
    server?.child.kill('SIGKILL');
    await rm(home, { recursive: true, force: true });
  }
});
