/**
 * One broker per log directory: a `.lock` file holding the owner's pid, as Kafka keeps a `.lock`
 * there. Two processes appending to the same segments would corrupt them. A lock left by a
 * process that no longer runs (a SIGKILL) is taken over.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

export const LOCK_FILE = '.lock';

/** Directories locked by brokers in this process (the pid alone cannot tell two of them apart). */
const lockedHere = new Set<string>();

export class LogDirInUseError extends Error {
  override name = 'LogDirInUseError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the directory's lock; resolves to a function that releases it. */
export async function lockLogDir(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  if (lockedHere.has(path)) throw new LogDirInUseError(`log directory ${dir} is in use by another broker in this process; stop it or choose another log.dirs`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      lockedHere.add(path);
      return async () => {
        lockedHere.delete(path);
        await rm(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))
        throw new LogDirInUseError(`log directory ${dir} is in use by another Samsa broker (process ${pid}); stop it or choose another log.dirs`);
      // Stale: its owner is gone (or it is ours from an earlier start in this process).
      await rm(path, { force: true });
    }
  }
  throw new LogDirInUseError(`could not take the lock on log directory ${dir}`);
}
