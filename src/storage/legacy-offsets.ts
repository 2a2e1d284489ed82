/**
 * ListOffsets v0's answer: Kafka's legacyFetchOffsetsBefore. Offsets are known only at segment
 * boundaries, each timed by its segment file's last modification, plus the log end offset timed
 * "now"; the answer is up to `maxNumOffsets` of those offsets, newest first, starting at the last
 * boundary at or before the timestamp (-1: the log end, -2: the first segment).
 */
const LATEST_TIMESTAMP = -1;
const EARLIEST_TIMESTAMP = -2;

export interface SegmentSummary {
  baseOffset: number;
  lastModifiedMs: number;
  size: number;
}

export interface LegacyOffsetsArgs {
  segments: readonly SegmentSummary[];
  logStartOffset: number;
  logEndOffset: number;
  highWatermark: number;
  nowMs: number;
  timestamp: number;
  maxNumOffsets: number;
  /** A consumer (replica id -1) never sees offsets above the high watermark. */
  fromConsumer: boolean;
}

/** The offsets, in descending order; null when `maxNumOffsets` is negative (Kafka fails those). */
export function legacyOffsetsBefore(a: LegacyOffsetsArgs): number[] | null {
  if (a.maxNumOffsets < 0) return null;
  const boundaries = a.segments.map((s) => ({ offset: Math.max(s.baseOffset, a.logStartOffset), timeMs: s.lastModifiedMs }));
  if ((a.segments[a.segments.length - 1]?.size ?? 0) > 0) boundaries.push({ offset: a.logEndOffset, timeMs: a.nowMs });
  let start: number;
  if (a.timestamp === LATEST_TIMESTAMP) start = boundaries.length - 1;
  else if (a.timestamp === EARLIEST_TIMESTAMP) start = 0;
  else {
    start = boundaries.length - 1;
    while (start >= 0 && boundaries[start]!.timeMs > a.timestamp) start--;
  }
  const offsets: number[] = [];
  for (let i = start; i >= 0 && offsets.length < a.maxNumOffsets; i--) offsets.push(boundaries[i]!.offset);
  offsets.sort((x, y) => y - x);
  if (!a.fromConsumer || !offsets.some((o) => o > a.highWatermark)) return offsets;
  return [a.highWatermark, ...offsets.filter((o) => o <= a.highWatermark)];
}
