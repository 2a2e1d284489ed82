/**
 * The background log cleaner (Kafka's log.cleaner.enable): every log.cleaner.backoff.ms it looks
 * at every compacted log and cleans those that are due (cleaner.ts), dirtiest first, one log at
 * a time, so at most one compaction pass runs per broker and other partitions keep the event loop.
 */
import type { Clock, TimerHandle } from '../platform/clock.js';
import type { Logger } from '../util/logger.js';
import type { CompactOptions, CompactionResult, CompactionStatus } from './cleaner.js';
import { type LogConfig, isCompacted } from './config.js';
import { TIMER_DELAY_MS_MAX } from './limits.js';

/** Kafka's default log.cleaner.backoff.ms: the pause between rounds. */
export const LOG_CLEANER_BACKOFF_MS_DEFAULT = 15000;

/** What the cleaner needs of a partition log. */
export interface CompactableLog {
  readonly dir: string;
  readonly config: Readonly<LogConfig>;
  compactionStatus(nowMs: number): Promise<CompactionStatus>;
  compactNow(nowMs: number, opts?: CompactOptions): Promise<CompactionResult>;
}

export interface LogCleanerOptions {
  clock: Clock;
  logger: Logger;
  /** The logs open now. */
  logs: () => CompactableLog[];
}

export class LogCleaner {
  private timer: TimerHandle | null = null;
  private round: Promise<unknown> | null = null;
  private stopped = false;

  constructor(private readonly opts: LogCleanerOptions) {}

  /** Starts the rounds on the injected clock, `backoffMs` apart. */
  start(backoffMs = LOG_CLEANER_BACKOFF_MS_DEFAULT): void {
    if (this.stopped || this.timer !== null || backoffMs > TIMER_DELAY_MS_MAX) return;
    const tick = (): void => {
      this.timer = null;
      this.round = this.runOnce()
        .catch((err: unknown) => this.opts.logger.warn('log cleaner round failed', { error: err }))
        .finally(() => {
          this.round = null;
          if (!this.stopped) this.timer = this.opts.clock.setTimeout(tick, backoffMs);
        });
    };
    this.timer = this.opts.clock.setTimeout(tick, backoffMs);
  }

  /**
   * One round: every compacted log that is due (Kafka's dirty ratio or max.compaction.lag.ms),
   * dirtiest first, one at a time. Returns what each pass did.
   */
  async runOnce(nowMs = this.opts.clock.now()): Promise<CompactionResult[]> {
    const due: Array<{ log: CompactableLog; status: CompactionStatus }> = [];
    for (const log of this.opts.logs()) {
      if (!isCompacted(log.config)) continue;
      try {
        const status = await log.compactionStatus(nowMs);
        if (status.due) due.push({ log, status });
      } catch (err) {
        this.opts.logger.warn('could not measure a log for compaction', { dir: log.dir, error: err });
      }
    }
    // Overdue logs first (max.compaction.lag.ms is a promise), then by dirty ratio as in Kafka.
    due.sort((a, b) => Number(b.status.overdue) - Number(a.status.overdue) || b.status.dirtyRatio - a.status.dirtyRatio);
    const results: CompactionResult[] = [];
    for (const { log } of due) {
      if (this.stopped) break;
      try {
        results.push(await log.compactNow(nowMs));
      } catch (err) {
        this.opts.logger.warn('log compaction failed', { dir: log.dir, error: err });
      }
    }
    return results;
  }

  /** Stops scheduling rounds; resolves when the round under way (if any) has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) this.opts.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.round;
  }
}
