import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const LOADER = fileURLToPath(new URL('../../../src/cli/server-bundle.js', import.meta.url));

/** The loader, copied into a directory of its own with a small bundle, its manifest and one input. */
async function bundleDir(): Promise<{ dir: string; load: () => Promise<unknown> }> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-bundle-'));
  await copyFile(LOADER, join(dir, 'server-bundle.js'));
  await writeFile(join(dir, 'input.js'), '// an input\n');
  const script = join(dir, 'server.bundle.cjs');
  await writeFile(script, "(function (exports, require, module, __filename, __dirname) {'use strict';\nexports.answer = 42;\nexports.dir = __dirname;\n})");
  const past = new Date(Date.now() - 60_000);
  await utimes(join(dir, 'input.js'), past, past);
  const { size } = await stat(script);
  await writeFile(join(dir, 'server.bundle.json'), JSON.stringify({ size, inputs: ['input.js'] }));
  let n = 0;
  // A fresh module instance per call (the query string), as each server process has.
  const load = async () => ((await import(`${pathToFileURL(join(dir, 'server-bundle.js')).href}?${n++}`)) as { loadServerBundle(): unknown }).loadServerBundle();
  return { dir, load };
}

test('an up-to-date bundle runs, with or without a usable code cache', async () => {
  const { dir, load } = await bundleDir();
  try {
    assert.deepEqual(await load(), { answer: 42, dir: `${dir}/` });
    await writeFile(join(dir, 'server.bundle.cache'), 'not a V8 code cache');
    assert.deepEqual(await load(), { answer: 42, dir: `${dir}/` });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a bundle older than one of its inputs, or not the one its manifest names, is not used', async () => {
  const { dir, load } = await bundleDir();
  try {
    const future = new Date(Date.now() + 60_000);
    await utimes(join(dir, 'input.js'), future, future);
    assert.equal(await load(), null, 'an input rebuilt after the bundle');
    const past = new Date(Date.now() - 60_000);
    await utimes(join(dir, 'input.js'), past, past);
    assert.notEqual(await load(), null);
    await writeFile(join(dir, 'server.bundle.cjs'), "(function (exports) { exports.answer = 'other'; })");
    assert.equal(await load(), null, 'a bundle other than the one its manifest names');
    await rm(join(dir, 'server.bundle.json'));
    assert.equal(await load(), null, 'no manifest');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
