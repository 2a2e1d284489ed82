#!/usr/bin/env node
// Bundles the compiled server tool (dist/src/cli/server.js and everything it imports from
// dist/src) into one file, dist/src/cli/server.bundle.js, next to a manifest of the files it was
// built from. Node 20 spends most of a broker's start-up loading its ~160 ES modules one by one;
// one module loads in about half the time. `samsa server start` uses the bundle only while no
// file in the manifest is newer than it (cli/main.ts), so a `tsc` run after the bundle quietly
// falls back to the modules tsc wrote. An optimisation only: without esbuild (an optional
// platform package that did not install) this prints why and leaves no bundle.
// Usage: node scripts/bundle-server.mjs (after tsc; `npm run build` runs both).
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { relative, dirname, resolve } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = resolve(root, 'dist/src/cli/server.js');
const outfile = resolve(root, 'dist/src/cli/server.bundle.js');
const manifest = resolve(root, 'dist/src/cli/server.bundle.json');

rmSync(outfile, { force: true });
rmSync(manifest, { force: true });
let esbuild;
try {
  esbuild = await import('esbuild');
} catch (err) {
  console.warn(`bundle-server: esbuild is not available (${err.message.split('\n')[0]}); 'samsa server start' loads the unbundled modules`);
  process.exit(0);
}
const result = await esbuild.build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Dependencies (the native bindings) stay in node_modules, loaded by require as before.
  packages: 'external',
  metafile: true,
  logLevel: 'warning',
  absWorkingDir: root,
});
const inputs = Object.keys(result.metafile.inputs).map((p) => relative(dirname(outfile), resolve(root, p)));
writeFileSync(manifest, `${JSON.stringify({ inputs })}\n`);
