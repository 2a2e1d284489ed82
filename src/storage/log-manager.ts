/**
 * All partition logs of a broker across its log dirs: opening them at start-up, creating and
 * deleting them, and the background retention pass (log.retention.check.interval.ms) and log
 * cleaner (log-cleaner.ts).
 *
 * Each log dir has one clean-shutdown marker, `.kafka_cleanshutdown` as in Kafka: written by
 * `close` once every log of the dir has closed cleanly, taken (removed, durably) by `open`
 * before any log of the dir opens. With it, no log of the dir runs recovery; without it (a
 * crash), every log recovers its last segment.
 *
 * Each log dir also has Kafka's `replication-offset-checkpoint`: every partition's high
 * watermark, written every replica.high.watermark.checkpoint.interval.ms and at close, read at
 * open to restore the high watermark of logs that do not follow their log end.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Clock, TimerHandle } from '../platform/clock.js';
import { assert } from '../util/assert.js';
import type { Logger } from '../util/logger.js';
import {
  LOG_DIR_CLEAN_SHUTDOWN_MARKER,
  encodeOffsetCheckpoint,
  parsePartitionDirName,
  readReplicationCheckpoint,
  takeCleanShutdownMarker,
  writeCleanShutdownMarker,
  writeReplicationCheckpoint,
} from './checkpoint.js';
import { mapBounded } from './concurrency.js';
import type { LogConfig } from './config.js';
import type { OpenLogFile } from './file.js';
import { LOG_OPEN_CONCURRENCY, TIMER_DELAY_MS_MAX } from './limits.js';
import type { CompactionResult } from './cleaner.js';
import { LOG_CLEANER_BACKOFF_MS_DEFAULT, LogCleaner } from './log-cleaner.js';
import { PartitionLog, type PartitionLogDeps } from './partition-log.js';
import { startupReads } from './small-files.js';

export { ensureMetaProperties, formattedClusterId } from './meta-properties.js';

/** Kafka's default replica.high.watermark.checkpoint.interval.ms. */
export const REPLICA_HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS_DEFAULT = 5000;
/** Kafka's default log.retention.check.interval.ms. */
export const RETENTION_CHECK_INTERVAL_MS_DEFAULT = 300000;
/** A deleted partition's directory is renamed with this suffix before removal, as in Kafka. */
const DELETE_DIR_SUFFIX = '-delete';
/** Kafka's own metadata log lives in a log dir too; it is not a partition of a topic. */
const METADATA_DIR = '__cluster_metadata-0';

export interface LogManagerOptions {
  logDirs: string[];
  clock: Clock;
  logger: Logger;
  defaultConfig: LogConfig;
  openFile?: OpenLogFile;
  /** producer.id.expiration.ms for every log (default: Kafka's, a day). */
  producerIdExpirationMs?: number;
  /**
   * Whether logs move their high watermark to their log end themselves (default true: one
   * broker). Off, a replica manager moves it, and it is restored from the checkpoint at open.
   */
  highWatermarkFollowsLogEnd?: boolean;
}

/** Hears every rise of a log's high watermark. */
export type HighWatermarkListener = (topic: string, partition: number, log: PartitionLog) => void;

export class LogManager {
  private readonly logs = new Map<string, { log: PartitionLog; logDir: string }>();
  private readonly creating = new Map<string, Promise<PartitionLog>>();
  private retentionTimer: TimerHandle | null = null;
  private retentionRun: Promise<void> | null = null;
  private hwCheckpointTimer: TimerHandle | null = null;
  private hwCheckpointRun: Promise<void> | null = null;
  /** Per log dir, the checkpoint text last written (a pass that would write the same skips it). */
  private readonly hwCheckpointWritten = new Map<string, string>();
  /** High watermarks read from the checkpoints at open, for logs opened later. */
  private readonly restoredHighWatermarks = new Map<string, number>();
  private readonly hwListeners = new Set<HighWatermarkListener>();
  private closed = false;
  /** Log compaction for cleanup.policy=compact (log-cleaner.ts). */
  private readonly cleaner: LogCleaner;

  private constructor(private readonly opts: LogManagerOptions) {
    this.cleaner = new LogCleaner({ clock: opts.clock, logger: opts.logger, logs: () => [...this.logs.values()].map((e) => e.log) });
  }

  /** Opens every `<topic>-<partition>` directory found in the log dirs. */
  static async open(opts: LogManagerOptions): Promise<LogManager> {
    assert(opts.logDirs.length > 0, 'at least one log dir is needed');
    const mgr = new LogManager(opts);
    const found: Array<{ logDir: string; name: string }> = [];
    const cleanDirs = new Set<string>();
    for (const logDir of opts.logDirs) {
      await mkdir(logDir, { recursive: true });
      if (await takeCleanShutdownMarker(logDir, LOG_DIR_CLEAN_SHUTDOWN_MARKER)) cleanDirs.add(logDir);
      for (const entry of await readdir(logDir, { withFileTypes: true })) {
        if (!entry.isDirectory() || entry.name === METADATA_DIR) continue;
        if (entry.name.endsWith(DELETE_DIR_SUFFIX)) {
          // A deletion interrupted by a stop: finish it.
          await rm(join(logDir, entry.name), { recursive: true, force: true });
        } else if (parsePartitionDirName(entry.name) !== null) {
          found.push({ logDir, name: entry.name });
        }
      }
    }
    const names = new Set<string>();
    for (const f of found) {
      assert(!names.has(f.name), `partition ${f.name} is in more than one log dir`);
      names.add(f.name);
    }
    for (const logDir of opts.logDirs) {
      try {
        for (const [name, hw] of await readReplicationCheckpoint(logDir)) mgr.restoredHighWatermarks.set(name, hw);
      } catch (err) {
        // Kafka takes the log dir offline; here its logs start from their log start instead.
        opts.logger.warn('the replication offset checkpoint cannot be read; high watermarks start at the log start', { logDir, error: err });
      }
    }
    const started = opts.clock.now();
    const reads = startupReads();
    try {
      await mapBounded(found, LOG_OPEN_CONCURRENCY, async ({ logDir, name }) => {
        const log = await PartitionLog.open(join(logDir, name), opts.defaultConfig, mgr.logDeps(), { logDirClean: cleanDirs.has(logDir), reads, ...mgr.restored(name) });
        mgr.logs.set(name, { log, logDir });
      });
    } finally {
      reads.finish();
    }
    const unclean = opts.logDirs.filter((d) => !cleanDirs.has(d));
    opts.logger.info('logs loaded', { partitions: found.length, elapsedMs: opts.clock.now() - started, recoveredLogDirs: unclean });
    return mgr;
  }

  get(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(dirName(topic, partition))?.log;
  }

  /** Every open log, with its topic and partition. */
  all(): Array<{ topic: string; partition: number; log: PartitionLog }> {
    return [...this.logs.entries()].map(([name, { log }]) => ({ ...parsePartitionDirName(name)!, log }));
  }

  /** The partition's log, created in the least-loaded log dir when missing. */
  async getOrCreate(topic: string, partition: number, config?: LogConfig): Promise<PartitionLog> {
    assert(!this.closed, 'the log manager is closed');
    const name = dirName(topic, partition);
    const existing = this.logs.get(name);
    if (existing !== undefined) {
      if (config !== undefined) existing.log.updateConfig(config);
      return existing.log;
    }
    let pending = this.creating.get(name);
    if (pending === undefined) {
      const logDir = this.leastLoadedDir();
      pending = PartitionLog.open(join(logDir, name), config ?? this.opts.defaultConfig, this.logDeps(), { logDirClean: false, ...this.restored(name) })
        .then((log) => {
          this.logs.set(name, { log, logDir });
          return log;
        })
        .finally(() => this.creating.delete(name));
      this.creating.set(name, pending);
    }
    return pending;
  }

  /** Closes the partition's log and removes its directory; false if there was none. */
  async deletePartition(topic: string, partition: number): Promise<boolean> {
    const name = dirName(topic, partition);
    const entry = this.logs.get(name);
    if (entry === undefined) return false;
    this.logs.delete(name);
    await entry.log.close();
    // Renamed first, so the name is free at once and a stop mid-removal is finished at start-up.
    const doomed = join(entry.logDir, `${name}.${randomBytes(8).toString('hex')}${DELETE_DIR_SUFFIX}`);
    await rename(join(entry.logDir, name), doomed);
    await rm(doomed, { recursive: true, force: true });
    return true;
  }

  /**
   * Starts the periodic retention pass and the log cleaner (log.cleaner.enable, default true,
   * every log.cleaner.backoff.ms) on the injected clock.
   */
  startBackgroundTasks(opts: { retentionCheckIntervalMs?: number; logCleanerEnable?: boolean; logCleanerBackoffMs?: number } = {}): void {
    if (!this.closed && (opts.logCleanerEnable ?? true)) this.cleaner.start(opts.logCleanerBackoffMs ?? LOG_CLEANER_BACKOFF_MS_DEFAULT);
    const intervalMs = opts.retentionCheckIntervalMs ?? RETENTION_CHECK_INTERVAL_MS_DEFAULT;
    if (this.closed || this.retentionTimer !== null || intervalMs > TIMER_DELAY_MS_MAX) return;
    const tick = (): void => {
      this.retentionTimer = null;
      this.retentionRun = this.runRetention()
        .then(() => undefined)
        .finally(() => {
          this.retentionRun = null;
          if (!this.closed) this.retentionTimer = this.opts.clock.setTimeout(tick, intervalMs);
        });
    };
    this.retentionTimer = this.opts.clock.setTimeout(tick, intervalMs);
  }

  /**
   * Writes each log dir's replication-offset-checkpoint every `intervalMs`
   * (replica.high.watermark.checkpoint.interval.ms) on the injected clock, and at close.
   */
  startHighWatermarkCheckpoints(intervalMs = REPLICA_HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS_DEFAULT): void {
    if (this.closed || this.hwCheckpointTimer !== null || intervalMs > TIMER_DELAY_MS_MAX) return;
    const tick = (): void => {
      this.hwCheckpointTimer = null;
      this.hwCheckpointRun = this.checkpointHighWatermarks()
        .catch((err: unknown) => this.opts.logger.error('could not write the replication offset checkpoint', { error: err }))
        .finally(() => {
          this.hwCheckpointRun = null;
          if (!this.closed) this.hwCheckpointTimer = this.opts.clock.setTimeout(tick, intervalMs);
        });
    };
    this.hwCheckpointTimer = this.opts.clock.setTimeout(tick, intervalMs);
  }

  /** Writes every log dir's replication-offset-checkpoint now (skipped where nothing changed). */
  async checkpointHighWatermarks(): Promise<void> {
    for (const logDir of this.opts.logDirs) {
      const entries = [...this.logs.entries()]
        .filter(([, e]) => e.logDir === logDir)
        .map(([name, e]) => ({ ...parsePartitionDirName(name)!, offset: e.log.highWatermark }))
        .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
      const text = encodeOffsetCheckpoint(entries);
      if (this.hwCheckpointWritten.get(logDir) === text) continue;
      await writeReplicationCheckpoint(logDir, entries);
      this.hwCheckpointWritten.set(logDir, text);
    }
  }

  /** Calls `listener` after every rise of any log's high watermark; returns an unsubscribe. */
  onHighWatermark(listener: HighWatermarkListener): () => void {
    this.hwListeners.add(listener);
    return () => this.hwListeners.delete(listener);
  }

  /** One retention pass over every log, one log at a time; returns segments deleted. */
  async runRetention(nowMs = this.opts.clock.now()): Promise<number> {
    let deleted = 0;
    for (const [name, { log }] of [...this.logs]) {
      try {
        deleted += await log.applyRetention(nowMs);
      } catch (err) {
        this.opts.logger.warn('retention failed for a partition', { partition: name, error: err });
      }
    }
    return deleted;
  }

  /**
   * One log cleaner round now: every compacted log that is due is compacted, dirtiest first, one
   * at a time (what the background cleaner does every log.cleaner.backoff.ms).
   */
  runCleaner(nowMs = this.opts.clock.now()): Promise<CompactionResult[]> {
    return this.cleaner.runOnce(nowMs);
  }

  /** Stops background work and closes every log cleanly. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retentionTimer !== null) this.opts.clock.clearTimeout(this.retentionTimer);
    this.retentionTimer = null;
    if (this.hwCheckpointTimer !== null) this.opts.clock.clearTimeout(this.hwCheckpointTimer);
    this.hwCheckpointTimer = null;
    await this.hwCheckpointRun;
    // Closing a log stops its compaction pass at the next batch, so the round ends soon after.
    const cleanerStopped = this.cleaner.stop();
    await this.retentionRun;
    await Promise.allSettled([...this.creating.values()]);
    const entries = [...this.logs.values()];
    await mapBounded(entries, LOG_OPEN_CONCURRENCY, ({ log }) => log.close());
    await cleanerStopped;
    try {
      await this.checkpointHighWatermarks();
    } catch (err) {
      this.opts.logger.error('could not write the replication offset checkpoint at close', { error: err });
    }
    this.logs.clear();
    for (const logDir of this.opts.logDirs) {
      const dirty = entries.filter((e) => e.logDir === logDir && !e.log.closedCleanly).length;
      if (dirty > 0) {
        this.opts.logger.warn('not all logs of the log dir closed cleanly; all of them will be recovered when opened', { logDir, logs: dirty });
        continue;
      }
      try {
        await writeCleanShutdownMarker(logDir, LOG_DIR_CLEAN_SHUTDOWN_MARKER);
      } catch (err) {
        this.opts.logger.error('could not write the clean-shutdown marker; the logs will be recovered when opened', { logDir, error: err });
      }
    }
  }

  private logDeps(): PartitionLogDeps {
    const deps: PartitionLogDeps = {
      clock: this.opts.clock,
      logger: this.opts.logger,
      highWatermarkFollowsLogEnd: this.opts.highWatermarkFollowsLogEnd ?? true,
      onHighWatermark: (log) => this.highWatermarkRose(log),
    };
    if (this.opts.openFile !== undefined) deps.openFile = this.opts.openFile;
    if (this.opts.producerIdExpirationMs !== undefined) deps.producerIdExpirationMs = this.opts.producerIdExpirationMs;
    return deps;
  }

  private highWatermarkRose(log: PartitionLog): void {
    if (this.hwListeners.size === 0) return;
    const tp = parsePartitionDirName(basename(log.dir));
    if (tp === null) return;
    for (const l of this.hwListeners) {
      try {
        l(tp.topic, tp.partition, log);
      } catch (err) {
        this.opts.logger.error('high watermark listener failed', { error: err });
      }
    }
  }

  /** The high watermark the checkpoint held for a partition, as LoadOptions. */
  private restored(name: string): { highWatermark?: number } {
    const hw = this.restoredHighWatermarks.get(name);
    return hw === undefined ? {} : { highWatermark: hw };
  }

  /** Kafka puts a new partition in the log dir holding the fewest partitions. */
  private leastLoadedDir(): string {
    const counts = new Map(this.opts.logDirs.map((d) => [d, 0]));
    for (const { logDir } of this.logs.values()) counts.set(logDir, (counts.get(logDir) ?? 0) + 1);
    let best = this.opts.logDirs[0]!;
    for (const [d, n] of counts) if (n < counts.get(best)!) best = d;
    return best;
  }
}

function dirName(topic: string, partition: number): string {
  assert(topic.length > 0 && Number.isInteger(partition) && partition >= 0, `bad partition ${topic}-${partition}`);
  return `${topic}-${partition}`;
}
