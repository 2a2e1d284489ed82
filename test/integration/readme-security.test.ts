/**
 * The README's secured set-up, run as written: its certificate lines, `secure.properties`,
 * `admin.properties` and its commands (kafka-configs for a SCRAM user, kafka-acls for her
 * rights, kcat producing and consuming as her), from a temp dir with the package's bin/ beside
 * them. One change: a free port instead of 9094, since other brokers run on this machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, installed, run } from '../helpers/broker.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SKIP = (await installed('kcat', ['-V'])) ? false : 'kcat is not installed (Debian package kcat)';

/** The fenced blocks of the README's Security section before its first subsection, in order. */
async function securityBlocks(): Promise<Array<{ lang: string; text: string }>> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Security\n'), readme.indexOf('### TLS\n'));
  return [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, text: m[2]! }));
}

test("the README's secured broker (TLS, PLAIN admin, a SCRAM user, ACLs) works as written with kcat", { skip: SKIP, timeout: 120_000 }, async () => {
  const blocks = await securityBlocks();
  assert.deepEqual(blocks.map((b) => b.lang), ['sh', 'properties', 'properties', 'sh'], 'certificates, secure.properties, admin.properties, commands');
  const [certs, secure, admin, commands] = blocks as unknown as [{ text: string }, { text: string }, { text: string }, { text: string }];
  const dir = await mkdtemp(join(tmpdir(), 'samsa-readme-security-'));
  const port = await freePort();
  const local = (text: string) => text.replaceAll('localhost:9094', `localhost:${port}`);
  let broker: ReturnType<typeof spawn> | null = null;
  try {
    // bin/ runs ../dist/src/cli/main.js: both beside the files, as in a checkout.
    await symlink(join(ROOT, 'bin'), join(dir, 'bin'));
    await symlink(join(ROOT, 'dist'), join(dir, 'dist'));
    const made = await run('bash', ['-e', '-c', certs.text], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(made.code, 0, made.stderr);
    await writeFile(join(dir, 'secure.properties'), local(secure.text));
    await writeFile(join(dir, 'admin.properties'), admin.text);
    // `npx samsa server start secure.properties`, as the package's own CLI.
    broker = spawn(process.execPath, [join(ROOT, 'dist/src/cli/main.js'), 'server', 'start', 'secure.properties'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    broker.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    broker.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 30_000;
    while (!/listening on/.test(out)) {
      assert.ok(Date.now() < deadline && broker.exitCode === null, `the broker did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const r = await run('bash', ['-e', '-c', local(commands.text)], { cwd: dir, timeoutMs: 90_000 });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${out}`);
    assert.match(r.stdout, /Completed updating config for user alice\./);
    assert.match(r.stdout, /\(principal=User:alice, host=\*, operation=WRITE, permissionType=ALLOW\)/);
    assert.equal(r.stdout.trim().split('\n').at(-1), 'order-1', 'alice read back what she wrote');
    // Without her ACLs she is refused: bob (a SCRAM user without any) cannot read the topic.
    const bob = await run('bash', ['-e', '-c', local(commands.text.split('\n').slice(0, 2).join('\n').replaceAll('alice', 'bob'))], { cwd: dir, timeoutMs: 30_000 });
    assert.equal(bob.code, 0, bob.stderr);
    const refused = await run('kcat', ['-b', `localhost:${port}`, '-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${join(dir, 'ca.pem')}`, '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=bob', '-X', 'sasl.password=bob-secret', '-C', '-t', 'orders', '-o', 'beginning', '-e'], { timeoutMs: 30_000 });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Topic authorization failed/i);
  } finally {
    if (broker !== null && broker.exitCode === null) {
      broker.kill('SIGTERM');
      await new Promise((r) => broker!.once('exit', r));
    }
    await rm(dir, { recursive: true, force: true });
  }
});
