/**
 * Opening a partition directory: finding its segments, loading their indexes, and recovering
 * after an unclean stop. Without the clean-shutdown marker the last segment is scanned batch by
 * batch (length, magic, CRC, offsets moving forward) and cut at the first bad batch; so is any
 * earlier segment whose index files are missing or malformed, since it may not have been synced
 * (rolled segments are synced before their index files are written). A bad batch in an earlier
 * segment also removes every later segment, as Kafka does, so the log stays a prefix.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readLogStartOffset, takeCleanShutdownMarker } from './checkpoint.js';
import { finishInterruptedSwaps } from './cleaner-swap.js';
import { mapBounded } from './concurrency.js';
import type { LogConfig } from './config.js';
import { LOG_OPEN_CONCURRENCY } from './limits.js';
import {
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LogSegment,
  type SegmentDeps,
  TIME_INDEX_SUFFIX,
  parseSegmentFileName,
} from './segment.js';
import { ensureIndexes, recoverSegment, restoreTail } from './segment-scan.js';

export interface LoadedLog {
  segments: LogSegment[];
  logStartOffset: number;
  /** Whether the previous close wrote the clean-shutdown marker. */
  clean: boolean;
  /** Bytes cut off torn or corrupt batches during recovery. */
  truncatedBytes: number;
}

export async function loadLog(dir: string, config: LogConfig, deps: SegmentDeps, nowMs: number): Promise<LoadedLog> {
  await mkdir(dir, { recursive: true });
  const clean = await takeCleanShutdownMarker(dir);
  // A compaction swap that a crash interrupted is rolled back or completed first (cleaner-swap.ts).
  await finishInterruptedSwaps(dir, deps.openFile, deps.logger);
  const bases = await tidyDirectory(dir);
  let segments = await mapBounded(bases, LOG_OPEN_CONCURRENCY, (base) => LogSegment.open(dir, base, deps));
  let truncatedBytes = 0;

  // Earlier segments: trust sane index files, recover the rest.
  for (let i = 0; i < segments.length - 1; i++) {
    const seg = segments[i]!;
    if (clean || (await seg.indexFilesLookSane())) continue;
    const before = seg.writtenBytes;
    const result = await recoverSegment(seg, config, { truncate: true });
    await seg.writeIndexFiles();
    if (result.problem === null) continue;
    truncatedBytes += before - result.validBytes;
    const dropped = segments.slice(i + 1);
    deps.logger.error('recovery cut a segment short and removed the later ones', {
      segment: seg.logPath,
      position: result.validBytes,
      problem: result.problem,
      removedSegments: dropped.map((s) => s.baseOffset),
    });
    for (const s of dropped) truncatedBytes += s.writtenBytes;
    await Promise.all(dropped.map((s) => s.destroy()));
    segments = segments.slice(0, i + 1);
    break;
  }
  await mapBounded(segments.slice(0, -1), LOG_OPEN_CONCURRENCY, (seg) => ensureIndexes(seg, config, deps.logger));

  // The last segment: recover it unless the shutdown was clean and its indexes load.
  const last = segments[segments.length - 1];
  if (last !== undefined) {
    const problem = clean ? await last.loadIndexFiles(config) : 'unclean shutdown';
    if (problem === null && (await restoreTail(last).then(() => true, () => false))) {
      // Clean: the indexes and the log agree.
    } else {
      const before = last.writtenBytes;
      const result = await recoverSegment(last, config, { truncate: true });
      truncatedBytes += before - result.validBytes;
      if (result.problem !== null) {
        deps.logger.warn('recovery truncated the log at a torn or corrupt batch', {
          segment: last.logPath,
          position: result.validBytes,
          truncatedBytes: before - result.validBytes,
          problem: result.problem,
        });
      }
    }
  }

  const checkpoint = await readLogStartOffset(dir);
  const logEndOffset = last?.nextOffset ?? 0;
  if (segments.length === 0 || (checkpoint !== null && checkpoint > logEndOffset)) {
    // Nothing to keep (or everything below the checkpointed start is gone): start afresh there.
    await Promise.all(segments.map((s) => s.destroy()));
    const start = Math.max(checkpoint ?? 0, segments.length === 0 ? 0 : logEndOffset);
    return { segments: [LogSegment.create(dir, start, config, deps, nowMs)], logStartOffset: start, clean, truncatedBytes };
  }
  const logStartOffset = Math.max(checkpoint ?? 0, segments[0]!.baseOffset);
  return { segments, logStartOffset, clean, truncatedBytes };
}

/**
 * Removes what an interrupted deletion or index write left behind and index files without a
 * log; returns the segments' base offsets in order.
 */
async function tidyDirectory(dir: string): Promise<number[]> {
  const names = await readdir(dir);
  const bases = new Set<number>();
  for (const name of names) {
    const base = parseSegmentFileName(name);
    if (base !== null) bases.add(base);
  }
  const removals: Promise<void>[] = [];
  for (const name of names) {
    const orphanIndex =
      (name.endsWith(INDEX_SUFFIX) || name.endsWith(TIME_INDEX_SUFFIX)) && !bases.has(Number(name.slice(0, 20)));
    if (name.endsWith(DELETED_SUFFIX) || name.endsWith('.tmp') || orphanIndex) {
      removals.push(rm(join(dir, name), { force: true }));
    }
  }
  await Promise.all(removals);
  return [...bases].sort((a, b) => a - b);
}
