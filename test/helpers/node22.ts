/**
 * Node.js 22, for clients that need it (@platformatic/kafka 2.x, installed as
 * `@platformatic/kafka-2`): `npm run fetch:node22` puts it in .cache/node22 (.ci/run does). A test
 * that needs it fails, naming that command, when it is missing, rather than passing unchecked.
 */
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { run, type RunResult } from './broker.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const NODE22 = process.env['SAMSA_NODE22'] ?? `${ROOT}.cache/node22/bin/node`;

export async function assertNode22(): Promise<void> {
  try {
    await access(NODE22);
  } catch {
    throw new Error(`Node.js 22 is not at ${NODE22}: run \`npm run fetch:node22\` (it fetches the official binary from the npm registry)`);
  }
}

/** Runs an ES module script with Node.js 22 from the repository root (so its packages resolve); the script reads `args` as process.argv[1…]. */
export async function runNode22(script: string, args: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  await assertNode22();
  return run(NODE22, ['--input-type=module', '-e', script, '--', ...args], { cwd: ROOT, ...opts });
}
