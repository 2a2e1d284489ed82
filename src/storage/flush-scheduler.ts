/**
 * When a partition log fdatasyncs: once flush.messages records have been written since the last
 * sync (checked after each group write, so one sync covers the whole group), or flush.ms after
 * the first unsynced write. A sync round covers every segment file written since the last one,
 * and the directory when segments were created in it.
 */
import type { Clock, TimerHandle } from '../platform/clock.js';
import type { LogConfig } from './config.js';
import { syncDir } from './file.js';
import { TIMER_DELAY_MS_MAX } from './limits.js';
import type { LogSegment } from './segment.js';

export class FlushScheduler {
  private unflushedRecords = 0;
  private dirDirty = false;
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly dir: string,
    /** Called when flush.ms elapses: the log queues a flush behind its writes. */
    private readonly onTimer: () => void,
  ) {}

  /** Records written to a file but not yet synced. */
  written(records: number, config: LogConfig): void {
    this.unflushedRecords += records;
    this.arm(config);
  }

  /** Records that were written but then cut off again (a failed group). */
  forget(records: number): void {
    this.unflushedRecords = Math.max(0, this.unflushedRecords - records);
  }

  /** A segment file was created: its directory entry must be synced too. */
  segmentCreated(): void {
    this.dirDirty = true;
  }

  wantsFlush(config: LogConfig): boolean {
    return this.unflushedRecords >= config.flushIntervalMessages;
  }

  /** fdatasyncs every segment written since the last round, then the directory if needed. */
  async syncAll(segments: readonly LogSegment[]): Promise<void> {
    this.unflushedRecords = 0;
    this.disarm();
    await Promise.all(segments.filter((s) => s.unsynced).map((s) => s.sync()));
    if (this.dirDirty) {
      this.dirDirty = false;
      await syncDir(this.dir);
    }
  }

  /** flush.ms changed: restart the timer with the new interval. */
  reconfigure(config: LogConfig): void {
    this.disarm();
    if (this.unflushedRecords > 0) this.arm(config);
  }

  disarm(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(config: LogConfig): void {
    if (this.timer !== null || config.flushIntervalMs > TIMER_DELAY_MS_MAX) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.onTimer();
    }, config.flushIntervalMs);
  }
}
