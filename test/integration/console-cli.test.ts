/** `samsa console` and the broker key console.listener: bad values are sentences and non-zero exits; a good one serves pages. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/broker/broker.js';
import { registerConsoleService } from '../../src/cli/console-service.js';
import { run, withBroker } from '../helpers/broker.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('console.listener: a bad value stops the start with a sentence naming the key, from the library and from samsa server start', async () => {
  registerConsoleService();
  for (const value of ['https://127.0.0.1:8080', '127.0.0.1:8080', 'http://127.0.0.1:99999', 'nonsense'])
    await assert.rejects(Broker.start({ port: 0, config: { 'console.listener': value } }), (err: Error) => err.name === 'ConfigError' && err.message.startsWith('console.listener: '));
  const r = await run(process.execPath, [MAIN, 'server', 'start', '--override', 'console.listener=ftp://127.0.0.1:1', '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', 'log.dirs=/tmp/samsa-console-cli-never'], { timeoutMs: 30_000 });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /^Error: console\.listener: 'ftp:\/\/127\.0\.0\.1:1' uses ftp:\/\/, but only http:\/\/ is served/m);
});

test('samsa console: --help, and bad arguments as sentences with exit code 1', async () => {
  const help = await run(process.execPath, [MAIN, 'console', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--bootstrap-server/);
  assert.match(help.stdout, /--listen/);
  const none = await run(process.execPath, [MAIN, 'console']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /--bootstrap-server is required/);
  const bad = await run(process.execPath, [MAIN, 'console', '--bootstrap-server', '127.0.0.1:9092', '--listen', 'https://x:1']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--listen: 'https:\/\/x:1' uses https:\/\/, but only http:\/\/ is served/);
  const unknown = await run(process.execPath, [MAIN, 'console', '--bootstrap-server', '127.0.0.1:9092', '--colour']);
  assert.equal(unknown.code, 1);
});

test('samsa console --bootstrap-server against a broker: prints its URL and serves the cluster\'s topics', { timeout: 30_000 }, async () => {
  await withBroker(async (broker) => {
    const admin = (await import('../../src/client/index.js')).createClient({ bootstrapServers: broker.bootstrap }).admin();
    await admin.createTopics([{ topic: 'seen-by-the-console', numPartitions: 2 }]);
    await admin.close();
    const child = spawn(process.execPath, [MAIN, 'console', '--bootstrap-server', broker.bootstrap, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          const m = /at (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`samsa console exited with ${code}`)));
      });
      const page = await (await fetch(new URL('/topics', url))).text();
      assert.match(page, /seen-by-the-console/);
      const lag = await fetch(new URL('/api/groups/nobody/lag', url));
      assert.equal(lag.status, 200);
      assert.equal(((await lag.json()) as { state: string }).state, 'Dead');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
