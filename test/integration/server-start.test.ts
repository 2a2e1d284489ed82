/** `samsa server start` meets operating errors with one sentence and exit code 1, never a stack. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_PATH } from '../helpers/broker-process.js';

function serverStart(overrides: Record<string, string>, env: Record<string, string> = { SAMSA_LOG_LEVEL: 'error' }, flags: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const args = [CLI_PATH, 'server', 'start', ...flags, ...Object.entries(overrides).flatMap(([k, v]) => ['--override', `${k}=${v}`])];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SAMSA_LOG_FORMAT: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    // A broker that did start is stopped at once.
    let killed = false;
    child.stdout.on('data', () => {
      if (!killed && /listening on/.test(stdout)) {
        killed = true;
        // Once the other start-up lines are out (console, metrics).
        setTimeout(() => child.kill('SIGTERM'), 200);
      }
    });
  });
}

/** One line, `Error: <sentence>`, matching `pattern`. */
function assertOneSentence(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /Unexpected error|\n\s+at /);
  assert.match(r.stderr, /^Error: [^\n]+\n$/);
  assert.match(r.stderr, pattern);
}

test('start-up errors of operation: one sentence, exit code 1, no stack', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'samsa-start-errors-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const free = { listeners: 'PLAINTEXT://127.0.0.1:0' };

  await t.test('a bad config value', async () => {
    assertOneSentence(await serverStart({ 'log.dirs': join(root, 'a'), listeners: 'nonsense' }), /listeners: 'nonsense' is not NAME:\/\/host:port/);
  });

  await t.test('a port in use (EADDRINUSE)', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as { port: number }).port;
    try {
      assertOneSentence(await serverStart({ 'log.dirs': join(root, 'b'), listeners: `PLAINTEXT://127.0.0.1:${port}` }), new RegExp(`Port 127\\.0\\.0\\.1:${port} is already in use`));
    } finally {
      taken.close();
    }
  });

  await t.test('log.dirs that cannot be a directory', async () => {
    // Root may write anywhere, so a path through a regular file stands for an unusable dir.
    const file = join(root, 'plain-file');
    await writeFile(file, 'x');
    assertOneSentence(await serverStart({ 'log.dirs': join(file, 'data'), ...free }), /Cannot use .*plain-file.* not a directory/);
  });

  await t.test('a dir formatted for another cluster', async () => {
    const [one, two] = [join(root, 'c1'), join(root, 'c2')];
    assert.equal((await serverStart({ 'log.dirs': one, ...free })).code, 0, 'the first start formats c1');
    await mkdir(two);
    await writeFile(join(two, 'meta.properties'), 'version=1\ncluster.id=AAAAAAAAAAAAAAAAAAAAAB\nnode.id=1\ndirectory.id=AAAAAAAAAAAAAAAAAAAAAC\n');
    assertOneSentence(await serverStart({ 'log.dirs': `${one},${two}`, ...free }), /Invalid cluster\.id in: .*c2.meta\.properties\. Expected \S+, but read AAAAAAAAAAAAAAAAAAAAAB/);
  });

  await t.test('a dir of another node', async () => {
    assertOneSentence(await serverStart({ 'log.dirs': join(root, 'c1'), 'node.id': '7', ...free }), /Stored node id 1 .* node\.id 7/);
  });

  await t.test('bad SAMSA_LOG_LEVEL and SAMSA_LOG_FORMAT', async () => {
    assertOneSentence(await serverStart({ 'log.dirs': join(root, 'l'), ...free }, { SAMSA_LOG_LEVEL: 'verbose' }), /SAMSA_LOG_LEVEL=verbose is not valid: 'verbose' should be a level \(debug, info, warn, error, silent\) or component=level/);
    assertOneSentence(await serverStart({ 'log.dirs': join(root, 'l'), ...free }, { SAMSA_LOG_FORMAT: 'xml' }), /SAMSA_LOG_FORMAT=xml is not valid: use json .* or pretty/);
  });

  await t.test('a config file that does not exist', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI_PATH, 'server', 'start', join(root, 'missing.properties')], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    assertOneSentence(r, /missing\.properties/);
  });
});

test('server logs: JSON lines by default off a terminal, one readable line each with SAMSA_LOG_FORMAT=pretty', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'samsa-log-format-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const free = { listeners: 'PLAINTEXT://127.0.0.1:0' };
  const json = await serverStart({ 'log.dirs': join(root, 'j'), ...free }, { SAMSA_LOG_LEVEL: 'info' });
  assert.equal(json.code, 0, json.stderr);
  const lines = json.stderr.trim().split('\n');
  assert.ok(lines.length > 0 && lines.every((l) => typeof JSON.parse(l).msg === 'string'), json.stderr);
  const pretty = await serverStart({ 'log.dirs': join(root, 'p'), ...free }, { SAMSA_LOG_LEVEL: 'info', SAMSA_LOG_FORMAT: 'pretty' });
  assert.equal(pretty.code, 0, pretty.stderr);
  const first = pretty.stderr.split('\n')[0]!;
  assert.match(first, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO |WARN |ERROR|DEBUG) /);
  assert.throws(() => JSON.parse(first));
});

test('server start --quickstart (npm start) also serves the web console and the metrics at their default addresses, or warns and starts without one whose port is taken', { timeout: 60_000 }, async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'samsa-quickstart-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const child = spawn(process.execPath, [CLI_PATH, 'server', 'start', '--quickstart', '--override', `log.dirs=${join(root, 'data')}`, '--override', 'listeners=PLAINTEXT://127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SAMSA_LOG_LEVEL: 'warn', SAMSA_LOG_FORMAT: 'json' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  try {
    const deadline = Date.now() + 30_000;
    while (!/listening on/.test(stdout) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    assert.match(stdout, /listening on 127\.0\.0\.1:\d+/, stderr);
    for (const [key, url, line, path] of [['console.listener', 'http://127.0.0.1:8080', /Web console at http:\/\/127\.0\.0\.1:8080\//, '/topics'], ['metrics.listener', 'http://127.0.0.1:9644', /Prometheus metrics at http:\/\/127\.0\.0\.1:9644\/metrics/, '/metrics']] as const) {
      if (line.test(stdout)) {
        const r = await fetch(`${url}${path}`);
        assert.equal(r.status, 200, `${url}${path}`);
      } else {
        // Taken by something else on this machine: a warning naming the key, and the broker runs on.
        assert.match(stderr, new RegExp(`is in use, so ${key.replace('.', '\\.')} is left off`), `${stdout}\n${stderr}`);
      }
    }
  } finally {
    child.kill('SIGTERM');
    assert.equal(await closed, 0, stderr);
  }
});

test('server start --quickstart with the console port taken: a warning naming console.listener, and the broker starts', { timeout: 60_000 }, async (t) => {
  const taken = createServer();
  const bound = await new Promise<boolean>((r) => {
    taken.once('error', () => r(false));
    taken.listen(8080, '127.0.0.1', () => r(true));
  });
  t.after(() => taken.close());
  const root = await mkdtemp(join(tmpdir(), 'samsa-quickstart-busy-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const r = await serverStart({ 'log.dirs': join(root, 'data'), listeners: 'PLAINTEXT://127.0.0.1:0' }, { SAMSA_LOG_LEVEL: 'error' }, ['--quickstart']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /listening on/);
  // Taken by this test or by something else: either way 8080 was busy.
  if (bound || !/Web console at/.test(r.stdout)) assert.match(r.stderr, /Warning: 127\.0\.0\.1:8080 is in use, so console\.listener is left off; set it with --override console\.listener=/);
});
