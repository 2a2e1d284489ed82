/**
 * Clients ride out a broker restart, as Kafka's do (reconnect.backoff.ms, retry.backoff.ms):
 * console tools keep running with a warning line and get the messages produced after the
 * restart; Samsa's group consumer resumes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_PATH, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { createClient, type ConsumerMessage } from '../../src/client/index.js';

const WAIT_MS_MAX = 30_000;

async function waitFor(what: string, check: () => boolean, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + WAIT_MS_MAX;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface Tool {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
}

function tool(args: string[]): Tool {
  const child = spawn(process.execPath, [CLI_PATH, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return { child, stdout: () => stdout, stderr: () => stderr };
}

test('console tools and the group consumer keep running across a broker restart on the same port and dir', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'samsa-reconnect-'));
  let broker: BrokerProcess = await startBrokerProcess({ dataDir, overrides: { 'group.initial.rebalance.delay.ms': '0' } });
  const port = broker.port;
  const bs = ['--bootstrap-server', broker.bootstrap];
  const kafka = createClient({ bootstrapServers: broker.bootstrap });
  const tools: Tool[] = [];
  try {
    await kafka.admin().createTopics([{ topic: 'restarts', numPartitions: 1 }]);
    const plain = tool(['console-consumer', ...bs, '--topic', 'restarts', '--from-beginning']);
    const grouped = tool(['console-consumer', ...bs, '--topic', 'restarts', '--group', 'cli-group', '--from-beginning']);
    const producer = tool(['console-producer', ...bs, '--topic', 'restarts']);
    tools.push(plain, grouped, producer);
    const consumer = kafka.consumer({ groupId: 'lib-group', autoOffsetReset: 'earliest' });
    consumer.subscribe(['restarts']);
    const received: string[] = [];
    let consuming = true;
    const loop = (async () => {
      while (consuming) for (const m of await consumer.poll({ timeoutMs: 200 })) received.push((m as ConsumerMessage).value!.toString());
    })();
    const consumers = [
      { name: 'console-consumer', lines: () => plain.stdout().split('\n') },
      { name: 'console-consumer --group', lines: () => grouped.stdout().split('\n') },
      { name: "Samsa's group consumer", lines: () => received },
    ];
    const allHave = (value: string) => () => consumers.every((c) => c.lines().includes(value));
    const state = () => tools.map((t) => `stdout: ${t.stdout()}\nstderr: ${t.stderr()}`).join('\n') + `\nlibrary: ${received.join(',')}`;

    producer.child.stdin.write('before restart\n');
    await waitFor('every consumer to read the first message', allHave('before restart'), state);

    await broker.kill('SIGKILL');
    await waitFor('the console tools to warn that the broker is away', () => [plain, grouped].every((t) => /could not be established/.test(t.stderr())), state);
    broker = await startBrokerProcess({ dataDir, port, overrides: { 'group.initial.rebalance.delay.ms': '0' } });

    producer.child.stdin.write('after restart\n');
    await waitFor('every consumer to read the message produced after the restart', allHave('after restart'), state);
    for (const t of tools) assert.equal(t.child.exitCode, null, `${t.child.spawnargs.join(' ')} is still running`);
    assert.doesNotMatch(plain.stderr() + grouped.stderr() + producer.stderr(), /Error:|Unexpected/);

    consuming = false;
    await loop;
    await consumer.close();
  } finally {
    for (const t of tools) t.child.kill('SIGKILL');
    await kafka.close();
    await broker.kill('SIGTERM');
    await rm(dataDir, { recursive: true, force: true });
  }
});
