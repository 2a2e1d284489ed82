/**
 * `samsa cluster start`: etcd and three brokers from one command, seen by kcat; Ctrl-C (SIGINT)
 * stops them all; no etcd on PATH, bad flags and busy ports get one sentence and exit 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installed, run } from '../helpers/broker.js';
import { freePortRun } from '../helpers/etcd.js';
import { kcatMetadata } from '../helpers/cluster-checks.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const SKIP = (await installed('kcat', ['-V'])) ? false : 'kcat is not installed (Debian package kcat)';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('samsa cluster start --brokers 3: etcd and three brokers, the bootstrap list printed, kcat sees them; SIGINT stops every process', { skip: SKIP, timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-cluster-cli-'));
  const base = await freePortRun(3);
  const etcdPort = await freePortRun(2);
  const child = spawn(process.execPath, [CLI, 'cluster', 'start', '--brokers', '3', '--dir', dir, '--base-port', String(base), '--etcd-port', String(etcdPort), '--host', '127.0.0.1', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    const started = await new Promise<{ bootstrap: string; etcd: string; brokers: Array<{ id: number; port: number; pid: number }> }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no JSON line within 60 s\n${stdout}\n${stderr}`)), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const line = stdout.split('\n').find((l) => l.startsWith('{'));
        if (line !== undefined) {
          clearTimeout(timer);
          resolve(JSON.parse(line));
        }
      });
      void exited.then((code) => reject(new Error(`exited with ${code} before starting\n${stderr}`)));
    });
    assert.equal(started.bootstrap, [0, 1, 2].map((i) => `127.0.0.1:${base + i}`).join(','));
    assert.equal(started.etcd, `http://127.0.0.1:${etcdPort}`);
    const meta = await kcatMetadata(started.bootstrap);
    assert.deepEqual(meta.brokers.map((b) => b.id).sort(), [1, 2, 3]);
    child.kill('SIGINT');
    assert.equal(await exited, 0, stderr);
    for (const b of started.brokers) assert.equal(alive(b.pid), false, `broker ${b.id} (pid ${b.pid}) stopped`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

test('samsa cluster start without etcd on PATH, with bad flags, or on a busy port: one sentence, exit 1, nothing started', async () => {
  // A PATH holding node alone (etcd usually sits beside node in /usr/bin).
  const bin = await mkdtemp(join(tmpdir(), 'samsa-path-'));
  await symlink(process.execPath, join(bin, 'node'));
  const never = join(bin, 'never-used');
  const noEtcd = await run(process.execPath, [CLI, 'cluster', 'start', '--brokers', '3', '--dir', never], { env: { PATH: bin } });
  const created = existsSync(never);
  await rm(bin, { recursive: true, force: true });
  assert.equal(noEtcd.code, 1);
  assert.equal(created, false, 'no data directory made');
  assert.match(noEtcd.stderr, /^Error: etcd was not found on PATH.*apt-get install etcd-server.*brew install etcd/m);
  const zero = await run(process.execPath, [CLI, 'cluster', 'start', '--brokers', '0']);
  assert.equal(zero.code, 1);
  assert.match(zero.stderr, /--brokers must be a whole number of at least 1, not '0'/);
  const verb = await run(process.execPath, [CLI, 'cluster', 'begin']);
  assert.equal(verb.code, 1);
  assert.match(verb.stderr, /samsa cluster expects 'start'/);
  const own = await run(process.execPath, [CLI, 'cluster', 'start', '--override', 'node.id=4']);
  assert.equal(own.code, 1);
  assert.match(own.stderr, /--override node.id is set per broker/);
  const busy = createServer();
  const port = await new Promise<number>((r) => busy.listen(0, '127.0.0.1', () => r((busy.address() as { port: number }).port)));
  try {
    const r = await run(process.execPath, [CLI, 'cluster', 'start', '--brokers', '1', '--host', '127.0.0.1', '--base-port', String(port)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port}, is already in use.*--base-port`));
  } finally {
    busy.close();
  }
});
