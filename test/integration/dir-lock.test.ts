/**
 * The log-dir lock is the kernel's: it holds across processes while the owner lives and is gone
 * the moment the owner dies, even while the dead owner is a zombie its parent has not reaped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_PATH, startBrokerProcess } from '../helpers/broker-process.js';
import { Broker } from '../../src/broker/broker.js';
import { lockLogDir, type LockMechanism } from '../../src/storage/dir-lock.js';

const DIR_LOCK_MODULE = fileURLToPath(new URL('../../src/storage/dir-lock.js', import.meta.url));
const WAIT_MS_MAX = 15_000;

async function waitFor(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS_MAX;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The process state letter from /proc (R, S, Z, …), or null once the pid is gone. */
async function procState(pid: number): Promise<string | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat === null ? null : (/\) (\S)/.exec(stat)?.[1] ?? null);
}

function stdoutOf(child: ChildProcess): { text: () => string } {
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (text += d));
  return { text: () => text };
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('a broker restarts on its dir while the SIGKILLed old one is an unreaped zombie', { skip: process.platform !== 'linux' && 'needs /proc' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-zombie-'));
  // The shell starts the broker in the background and becomes `sleep`, which never reaps it.
  const cmd = `"${process.execPath}" "${CLI_PATH}" server start --override log.dirs="${dir}" --override listeners=PLAINTEXT://127.0.0.1:0 & echo "pid=$!"; exec sleep 600`;
  const parent = spawn('sh', ['-c', cmd], { stdio: ['ignore', 'pipe', 'ignore'] });
  const out = stdoutOf(parent);
  try {
    await waitFor('the first broker to listen', () => /listening on/.test(out.text()));
    const pid = Number(/pid=(\d+)/.exec(out.text())![1]);
    process.kill(pid, 'SIGKILL');
    await waitFor('the killed broker to be a zombie', async () => (await procState(pid)) === 'Z');
    const second = await startBrokerProcess({ dataDir: dir });
    try {
      assert.equal(await procState(pid), 'Z', 'the old broker is still an unreaped zombie');
      assert.equal((await readFile(join(dir, '.lock'), 'utf8')).trim(), String(second.pid));
    } finally {
      await second.kill('SIGTERM');
    }
  } finally {
    parent.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

test('a .lock naming a live process that is no broker does not block a start', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-pid-reuse-'));
  try {
    // As after a reboot: the pid in the file now belongs to an unrelated live process (this one).
    await writeFile(join(dir, '.lock'), `${process.pid}\n`);
    const broker = await startBrokerProcess({ dataDir: dir });
    const status = await broker.kill('SIGTERM');
    assert.equal(status.code, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a second broker process on a dir held by a live one is refused with one sentence', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-held-'));
  try {
    const first = await startBrokerProcess({ dataDir: dir });
    try {
      const second = await runCli(['server', 'start', '--override', `log.dirs=${dir}`, '--override', 'listeners=PLAINTEXT://127.0.0.1:0']);
      assert.equal(second.code, 1);
      assert.equal(second.stderr, `Error: Log directory ${dir} is in use by another Samsa broker (process ${first.pid}); stop it or choose another log.dirs.\n`);
    } finally {
      await first.kill('SIGTERM');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('two brokers in one process are refused one dir; the lock is free again after stop', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-same-process-'));
  try {
    const first = await Broker.start({ port: 0, dataDir: dir });
    await assert.rejects(Broker.start({ port: 0, dataDir: dir }), { name: 'LogDirInUseError', message: /in use by another broker in this process/ });
    await first.stop();
    const again = await Broker.start({ port: 0, dataDir: dir });
    await again.stop();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

for (const mechanism of ['abstract', 'file'] as LockMechanism[]) {
  test(`the ${mechanism} lock holds across processes and dies with its holder's SIGKILL`, { skip: mechanism === 'abstract' && process.platform !== 'linux' && 'Linux only' }, async () => {
    const dir = await mkdtemp(join(tmpdir(), `samsa-lock-${mechanism}-`));
    const script = `const { lockLogDir } = await import(${JSON.stringify(DIR_LOCK_MODULE)}); await lockLogDir(${JSON.stringify(dir)}, '${mechanism}'); console.log('locked'); setInterval(() => {}, 1000);`;
    const holder = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const out = stdoutOf(holder);
    const exited = new Promise((r) => holder.once('exit', r));
    try {
      await waitFor('the holder to lock', () => out.text().includes('locked'));
      await assert.rejects(lockLogDir(dir, mechanism), { name: 'LogDirInUseError', message: new RegExp(`process ${holder.pid}`) });
      holder.kill('SIGKILL');
      await exited;
      const unlock = await lockLogDir(dir, mechanism);
      await unlock();
    } finally {
      holder.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
}
