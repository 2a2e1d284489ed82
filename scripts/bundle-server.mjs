#!/usr/bin/env node
// Bundles the compiled server tool (dist/src/cli/server.js and everything it imports from
// dist/src) into one script with a V8 code cache; src/cli/server-bundle.ts says why and how
// `samsa server start` uses it. An optimisation only: without esbuild (an optional platform
// package that did not install) this prints why and leaves no bundle, and the server loads the
// modules tsc wrote.
// Usage: node scripts/bundle-server.mjs (after tsc; `npm run build` runs both).
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { relative, dirname, resolve } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const { SERVER_BUNDLE, runServerBundle } = await import(pathToFileURL(resolve(root, 'dist/src/cli/server-bundle.js')).href);

// The manifest goes first and comes back last: without it the bundle is never used.
for (const f of [SERVER_BUNDLE.manifest, SERVER_BUNDLE.script, SERVER_BUNDLE.cache]) rmSync(f, { force: true });
let esbuild;
try {
  esbuild = await import('esbuild');
} catch (err) {
  console.warn(`bundle-server: esbuild is not available (${err.message.split('\n')[0]}); 'samsa server start' loads the unbundled modules`);
  process.exit(0);
}
try {
  const result = await esbuild.build({
    entryPoints: [resolve(root, 'dist/src/cli/server.js')],
    outfile: SERVER_BUNDLE.script,
    bundle: true,
    platform: 'node',
    // CommonJS inside one function expression, which server-bundle.ts compiles with vm.Script:
    // the only way to hand V8 a code cache in Node 20. The code was written as ES modules, so
    // strict mode, declared before anything else.
    format: 'cjs',
    banner: { js: "(function (exports, require, module, __filename, __dirname) {'use strict';\nconst __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    footer: { js: '})' },
    define: { 'import.meta.url': '__importMetaUrl' },
    target: 'node20',
    // Dependencies (the native bindings) stay in node_modules, loaded by require as before.
    packages: 'external',
    metafile: true,
    logLevel: 'warning',
    absWorkingDir: root,
  });
  // The cache holds what V8 compiled to run the bundle's top level, as the server will.
  const { script } = runServerBundle();
  writeFileSync(SERVER_BUNDLE.cache, script.createCachedData());
  const { size } = statSync(SERVER_BUNDLE.script);
  const inputs = Object.keys(result.metafile.inputs).map((p) => relative(dirname(SERVER_BUNDLE.script), resolve(root, p)));
  writeFileSync(SERVER_BUNDLE.manifest, `${JSON.stringify({ size, inputs })}\n`);
} catch (err) {
  for (const f of [SERVER_BUNDLE.script, SERVER_BUNDLE.cache]) rmSync(f, { force: true });
  console.warn(`bundle-server: no bundle, 'samsa server start' loads the unbundled modules (slower start-up): ${err.stack ?? err}`);
}
