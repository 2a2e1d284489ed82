/**
 * The process that cleaner.test.ts kills with SIGKILL: it appends to a compacted log and
 * compacts it over and over, until killed. Does nothing unless SAMSA_CLEANER_CHILD_DIR is set
 * (the test runner also loads this file as a test file).
 *
 * The record at offset o is fixed by o alone (see `expectedAt`), so the parent can check what it
 * reads back without being told what was written.
 */
import { SystemClock } from '../../../src/platform/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { resolveLogConfig } from '../../../src/storage/config.js';
import { PartitionLog } from '../../../src/storage/partition-log.js';
import { makeBatch } from './helpers.js';

export const CHILD_KEYS = 12;
export const CHILD_CONFIG = { cleanupPolicy: 'compact', segmentBytes: 1024, fileDeleteDelayMs: 0 } as const;

/** Key and value of the record at `offset`; every seventh is a tombstone. */
export function expectedAt(offset: number): { key: string; value: string | null } {
  return { key: `key-${offset % CHILD_KEYS}`, value: offset % 7 === 0 ? null : `value-${offset}` };
}

async function main(dir: string): Promise<void> {
  const log = await PartitionLog.open(dir, resolveLogConfig(CHILD_CONFIG), { clock: new SystemClock(), logger: silentLogger });
  let announced = false;
  for (let round = 0; ; round++) {
    const next = log.logEndOffset;
    const count = 1 + (round % 4);
    const records = Array.from({ length: count }, (_, i) => {
      const { key, value } = expectedAt(next + i);
      return { key: Buffer.from(key), value: value === null ? null : Buffer.from(value), timestamp: Date.now() };
    });
    await log.append(await makeBatch(records), { leaderEpoch: 0 });
    if (round % 10 === 9) {
      await log.compactNow(Date.now(), { force: true });
      if (!announced) {
        announced = true;
        process.stdout.write('ready\n');
      }
    }
  }
}

const dir = process.env['SAMSA_CLEANER_CHILD_DIR'];
if (dir !== undefined && dir.length > 0) {
  main(dir).catch((err: unknown) => {
    process.stderr.write(`cleaner child failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
