/** Waiting for a condition with a deadline, instead of sleeping a fixed time and asserting. */
import { setTimeout as sleep } from 'node:timers/promises';

/** How often a condition is checked again. */
const POLL_MS = 5;

/** Resolves once `check` holds; fails with `what` after `timeoutMs` (default 10 s). */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(POLL_MS);
  }
}
