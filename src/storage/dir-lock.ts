/**
 * One broker per log directory: two processes appending to the same segments would corrupt them.
 *
 * Kafka takes an OS file lock on `<log.dir>/.lock`, which the kernel drops when the process
 * dies. Node's standard library has no flock/fcntl, and the native add-ons that wrap them need
 * an install script or a lightly kept fork, so the lock here is another thing the kernel owns: a
 * listening Unix-domain socket. On Linux it is bound to an abstract name (no file) made from the
 * directory's device and inode numbers, so every path to the same directory gives the same name
 * and a second bind fails with EADDRINUSE while the holder lives. The kernel closes a process's
 * sockets as it exits, before it becomes a zombie, so a SIGKILLed broker that its parent has
 * not reaped yet, or a pid reused after a reboot, can never leave the directory locked.
 * Abstract names are per network namespace: two brokers in different containers sharing one
 * volume are not seen. Elsewhere (macOS) the socket is a file in the directory; a file left by a
 * dead process refuses connections, and is then replaced.
 *
 * The `.lock` file still holds the owner's pid, for people and for the refusal's message; it
 * decides nothing.
 */
import { createServer, connect, type Server } from 'node:net';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const LOCK_FILE = '.lock';
/** The socket file that is the lock where abstract socket names do not exist. */
const LOCK_SOCKET_FILE = '.lock.sock';

/** Directories locked by brokers in this process, for a clearer message than the socket's. */
const lockedHere = new Set<string>();

export class LogDirInUseError extends Error {
  override name = 'LogDirInUseError';
  readonly code = 'SAMSA_LOG_DIR_IN_USE';
}

/** How the lock is held: an abstract socket name (Linux) or a socket file in the directory. */
export type LockMechanism = 'abstract' | 'file';

function defaultMechanism(): LockMechanism {
  return process.platform === 'linux' ? 'abstract' : 'file';
}

/** Takes the directory's lock; resolves to a function that releases it. */
export async function lockLogDir(dir: string, mechanism: LockMechanism = defaultMechanism()): Promise<() => Promise<void>> {
  const { dev, ino } = await stat(dir, { bigint: true });
  const key = `${dev}:${ino}`;
  if (lockedHere.has(key)) throw new LogDirInUseError(`Log directory ${dir} is in use by another broker in this process; stop it or choose another log.dirs.`);
  const pidFile = join(dir, LOCK_FILE);
  const server = await bindLockSocket(dir, mechanism === 'abstract' ? `\0samsa-log-dir-lock/${key}` : join(dir, LOCK_SOCKET_FILE), mechanism);
  if (server === null) {
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    const who = Number.isInteger(pid) && pid > 0 ? ` (process ${pid})` : '';
    throw new LogDirInUseError(`Log directory ${dir} is in use by another Samsa broker${who}; stop it or choose another log.dirs.`);
  }
  lockedHere.add(key);
  try {
    await writeFile(pidFile, `${process.pid}\n`);
  } catch (err) {
    lockedHere.delete(key);
    await closeServer(server);
    throw err;
  }
  return async () => {
    // The pid file goes first: once the socket closes, a new owner may write its own.
    await rm(pidFile, { force: true });
    lockedHere.delete(key);
    await closeServer(server);
  };
}

/** Binds the lock socket, or resolves null when a live process holds it. */
async function bindLockSocket(dir: string, path: string, mechanism: LockMechanism): Promise<Server | null> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const server = createServer((socket) => socket.destroy());
    const bound = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
      server.once('error', resolve);
      server.listen({ path }, () => resolve(null));
    });
    if (bound === null) {
      // The lock must not keep the process alive on its own.
      server.unref();
      return server;
    }
    if (bound.code !== 'EADDRINUSE') throw bound;
    // An abstract name is free the moment its holder is gone; a socket file outlives its process.
    if (mechanism === 'abstract' || (await socketAnswers(path))) return null;
    await rm(join(dir, LOCK_SOCKET_FILE), { force: true });
  }
  return null;
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT'));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
