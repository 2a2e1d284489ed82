/**
 * Reads of a partition directory's small files (its listing, the log start offset checkpoint,
 * producer state snapshots, `.txnindex` and the last segment's index files) while a log opens.
 *
 * A broker opening 10,000 partitions makes tens of thousands of them. Through `fs/promises`
 * each costs a FileHandle and four thread-pool round trips, and on a small machine that CPU is
 * most of a restart; the callback API costs about half. At start-up nothing waits on the event
 * loop (the listeners open after the logs), so the log manager reads with the blocking calls,
 * which cost a fifth: one log dir is read the way Kafka reads it with its default
 * num.recovery.threads.per.data.dir=1, one file after another. Logs opened later (a new
 * partition, a truncation's reload) use the callback API and never block the loop, and so do
 * segments opened at start-up whose indexes load later (`startupReads`).
 */
import { type Stats, readFile, readFileSync, readdir, readdirSync, stat, statSync } from 'node:fs';

export interface SmallFileReads {
  /**
   * Whether these are the blocking calls: a segment then also reads its log file with them,
   * through a descriptor of its own closed after the scan, and opens its handle on first use.
   */
  readonly blocking: boolean;
  /** The names in a directory. */
  list(dir: string): Promise<string[]>;
  /** A whole file. */
  read(path: string): Promise<Buffer>;
  /** A file's size and modification time. */
  stat(path: string): Promise<Stats>;
}

/** For logs opened while the broker serves: the event loop is never blocked. */
export const asyncReads: SmallFileReads = {
  blocking: false,
  list: (dir) => new Promise((resolve, reject) => readdir(dir, (err, names) => (err === null ? resolve(names) : reject(err)))),
  read: (path) => new Promise((resolve, reject) => readFile(path, (err, data) => (err === null ? resolve(data) : reject(err)))),
  stat: (path) => new Promise((resolve, reject) => stat(path, (err, info) => (err === null ? resolve(info) : reject(err)))),
};

/** For start-up, before the listeners open: blocking calls, a fifth of the CPU. */
export const blockingReads: SmallFileReads = {
  blocking: true,
  list: (dir) => settle(() => readdirSync(dir)),
  read: (path) => settle(() => readFileSync(path)),
  stat: (path) => settle(() => statSync(path)),
};

/**
 * Blocking until `finish()`, the callback API after: for the log manager's start-up, whose
 * segments keep it to load their indexes, the older ones during the start-up (their indexes
 * are loaded there too) and any later on first use.
 */
export function startupReads(): SmallFileReads & { finish(): void } {
  let now: SmallFileReads = blockingReads;
  return {
    get blocking() {
      return now.blocking;
    },
    list: (dir) => now.list(dir),
    read: (path) => now.read(path),
    stat: (path) => now.stat(path),
    finish: () => {
      now = asyncReads;
    },
  };
}

function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err as Error);
  }
}
