/**
 * Which old segments retention may delete (Kafka's rules, applied to a prefix of the log), and
 * the delayed removal of deleted segments' files.
 */
import type { Clock, TimerHandle } from '../platform/clock.js';
import type { Logger } from '../util/logger.js';
import { TIMER_DELAY_MS_MAX } from './limits.js';
import type { LogSegment } from './segment.js';

export type RetentionRule =
  | { kind: 'time'; nowMs: number; retentionMs: number }
  | { kind: 'size'; retentionBytes: number }
  | { kind: 'start'; logStartOffset: number };

/**
 * How many segments from the oldest one the rule deletes (Kafka's UnifiedLog.deletableSegments).
 * Kafka stops at the first segment the rule keeps, and never deletes a segment holding data at
 * or above the high watermark. The active segment counts too, unless it is empty: when every
 * segment goes, the log rolls a new one at its end first (`logEndOffset`).
 */
export function deletablePrefix(segments: readonly LogSegment[], highWatermark: number, logEndOffset: number, rule: RetentionRule): number {
  let excessBytes = rule.kind === 'size' ? segments.reduce((n, s) => n + s.size, 0) - rule.retentionBytes : 0;
  if (rule.kind === 'size' && rule.retentionBytes < 0) return 0;
  if (rule.kind === 'time' && rule.retentionMs < 0) return 0;
  let count = 0;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const next = segments[i + 1];
    if ((next?.baseOffset ?? logEndOffset) > highWatermark) break;
    if (next === undefined && seg.size === 0) break;
    let doomed: boolean;
    switch (rule.kind) {
      case 'time':
        doomed = rule.nowMs - largestTimestamp(seg) > rule.retentionMs;
        break;
      case 'size':
        doomed = excessBytes - seg.size >= 0;
        if (doomed) excessBytes -= seg.size;
        break;
      case 'start':
        doomed = next !== undefined && next.baseOffset <= rule.logStartOffset;
        break;
    }
    if (!doomed) break;
    count++;
  }
  return count;
}

/** Kafka's LogSegment.largestTimestamp: the newest batch timestamp, else the file's mtime. */
function largestTimestamp(seg: LogSegment): number {
  return seg.maxTimestamp >= 0 ? seg.maxTimestamp : seg.lastModifiedMs;
}

/**
 * Deleted segments are renamed to `*.deleted` at once and removed after file.delete.delay.ms,
 * so fetches already reading them finish.
 */
export class SegmentDeleter {
  private readonly pending = new Map<LogSegment, { renamed: Promise<void>; timer: TimerHandle | null }>();

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  schedule(seg: LogSegment, delayMs: number): void {
    const entry: { renamed: Promise<void>; timer: TimerHandle | null } = { renamed: Promise.resolve(), timer: null };
    this.pending.set(seg, entry);
    entry.renamed = seg
      .markDeleted()
      .catch((err: unknown) => this.logger.warn('could not rename a deleted segment', { segment: seg.logPath, error: err }))
      .then(() => {
        if (!this.pending.has(seg)) return;
        if (delayMs <= 0) void this.finish(seg);
        else if (delayMs <= TIMER_DELAY_MS_MAX) entry.timer = this.clock.setTimeout(() => void this.finish(seg), delayMs);
      });
  }

  /** Removes every pending segment now (on close). */
  async finishAll(): Promise<void> {
    await Promise.all([...this.pending.keys()].map((seg) => this.finish(seg)));
  }

  private async finish(seg: LogSegment): Promise<void> {
    const entry = this.pending.get(seg);
    if (entry === undefined) return;
    this.pending.delete(seg);
    if (entry.timer !== null) this.clock.clearTimeout(entry.timer);
    await entry.renamed;
    await seg.destroy().catch((err: unknown) => this.logger.warn('could not remove a deleted segment', { segment: seg.logPath, error: err }));
  }
}
