/** `samsa server start` meets operating errors with one sentence and exit code 1, never a stack. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_PATH } from '../helpers/broker-process.js';

function serverStart(overrides: Record<string, string>, env: Record<string, string> = { SAMSA_LOG_LEVEL: 'error' }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const args = [CLI_PATH, 'server', 'start', ...Object.entries(overrides).flatMap(([k, v]) => ['--override', `${k}=${v}`])];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SAMSA_LOG_FORMAT: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    // A broker that did start is stopped at once.
    child.stdout.on('data', () => {
      if (/listening on/.test(stdout)) child.kill('SIGTERM');
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
