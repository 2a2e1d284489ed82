/**
 * The server tool as one script with a V8 code cache: `npm run build` bundles dist/src/cli/server.js
 * and everything it imports (scripts/bundle-server.mjs) into `server.bundle.cjs`, one function
 * expression `(function (exports, require, module, __filename, __dirname) {...})`, and stores the
 * code V8 compiled for it in `server.bundle.cache`. Node 20 has no compile cache for ES modules:
 * loading the ~160 modules one by one took most of a broker's start-up; one script compiled from
 * the cache takes a fraction of that.
 *
 * `server.bundle.json`, written last, names the bundle's size and the files it was built from. The
 * bundle runs only while it has that size and no input is newer than it: after a bare `tsc` the
 * modules tsc wrote are loaded instead, so a stale bundle never runs. (Equal mtimes count as up
 * to date: npm pack gives every file the same one.) A cache older than the bundle, or one V8
 * does not accept (another Node version), is ignored and the script compiled from source.
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const DIR = fileURLToPath(new URL('.', import.meta.url));

export const SERVER_BUNDLE = {
  script: `${DIR}server.bundle.cjs`,
  cache: `${DIR}server.bundle.cache`,
  manifest: `${DIR}server.bundle.json`,
};

export interface BundleManifest {
  /** The bundle file's size when the manifest was written. */
  size: number;
  /** The files it was built from, relative to this directory. */
  inputs: string[];
}

type BundleFunction = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;

/** The bundle's exports, or null when there is no bundle or it is out of date. */
export function loadServerBundle(): unknown {
  const builtMs = freshBundleMtime();
  if (builtMs === null) return null;
  return runServerBundle(cacheFor(builtMs)).exports;
}

/** The code cache, unless the bundle was written after it (then it may not be this bundle's). */
function cacheFor(bundleMtimeMs: number): Buffer | undefined {
  try {
    return statSync(SERVER_BUNDLE.cache).mtimeMs >= bundleMtimeMs ? readFileSync(SERVER_BUNDLE.cache) : undefined;
  } catch {
    return undefined;
  }
}

/** Compiles the bundle (with V8's cached code when given) and runs its top level. */
export function runServerBundle(cachedData?: Buffer): { script: Script; exports: unknown } {
  const script = new Script(readFileSync(SERVER_BUNDLE.script, 'utf8'), { filename: SERVER_BUNDLE.script, cachedData });
  const fn = script.runInThisContext() as BundleFunction;
  const module = { exports: {} };
  fn.call(module.exports, module.exports, createRequire(SERVER_BUNDLE.script), module, SERVER_BUNDLE.script, DIR);
  return { script, exports: module.exports };
}

/** The bundle's mtime, or null when there is no bundle or it is out of date. */
function freshBundleMtime(): number | null {
  try {
    const manifest = JSON.parse(readFileSync(SERVER_BUNDLE.manifest, 'utf8')) as BundleManifest;
    const bundle = statSync(SERVER_BUNDLE.script);
    if (bundle.size !== manifest.size) return null;
    return manifest.inputs.every((input) => statSync(DIR + input).mtimeMs <= bundle.mtimeMs) ? bundle.mtimeMs : null;
  } catch {
    return null; // no bundle (esbuild was not installed), or an input is gone
  }
}
