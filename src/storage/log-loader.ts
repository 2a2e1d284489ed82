/**
 * Opening a partition directory: finding its segments, loading their indexes, and recovering
 * after an unclean stop. Without the clean-shutdown marker the last segment is scanned batch by
 * batch (length, magic, CRC, offsets moving forward) and cut at the first bad batch; so is any
 * earlier segment whose index files are missing or malformed, since it may not have been synced
 * (rolled segments are synced before their index files are written). A bad batch in an earlier
 * segment also removes every later segment, as Kafka does, so the log stays a prefix.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CLEAN_SHUTDOWN_MARKER, LOG_START_OFFSET_CHECKPOINT, readLogStartOffset, takeCleanShutdownMarker } from './checkpoint.js';
import { CLEANED_SUFFIX, SWAP_SUFFIX, finishInterruptedSwaps } from './cleaner-swap.js';
import { mapBounded } from './concurrency.js';
import type { LogConfig } from './config.js';
import { LOG_OPEN_CONCURRENCY, SCAN_BLOCK_BYTES } from './limits.js';
import { type SmallFileReads, asyncReads } from './small-files.js';
import { OffsetIndex } from './offset-index.js';
import {
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LogSegment,
  type SegmentDeps,
  TIME_INDEX_SUFFIX,
  offsetIndexEntries,
  parseSegmentFileName,
  segmentFileName,
  timeIndexEntries,
} from './segment.js';
import { ensureIndexes, recoverSegment, restoreTail } from './segment-scan.js';
import { TimeIndex } from './time-index.js';

export interface LoadOptions {
  /**
   * Set by a log manager, which keeps one clean-shutdown marker per log dir: whether the log
   * dir's marker was there. Either way a partition's own marker (a log opened on its own, or an
   * older version) also counts, and is removed.
   */
  logDirClean?: boolean;
  /** How the directory's small files are read (default: without blocking the event loop). */
  reads?: SmallFileReads;
  /**
   * The high watermark a log manager restored from its log dir's replication-offset-checkpoint;
   * used only when the high watermark does not follow the log end (clamped to the log's range).
   */
  highWatermark?: number;
}

export interface LoadedLog {
  segments: LogSegment[];
  logStartOffset: number;
  /** Whether the previous close was clean (a clean-shutdown marker was there). */
  clean: boolean;
  /** Bytes cut off torn or corrupt batches during recovery. */
  truncatedBytes: number;
  /** The directory's file names once loaded, snapshots and `.txnindex` files as they are on disk. */
  names: string[];
  /** The last segment's index files were loaded as they are: they match it on disk. */
  indexesOnDisk: boolean;
  /** The log start offset checkpoint as read (null: none). */
  checkpoint: number | null;
  /**
   * The largest timestamp of the last segment's first batch, read while the segment opened
   * (segment.ms counts from it); null when the segment is empty or the open did not read it.
   */
  firstBatchTimestamp: number | null;
  /** The leader epochs that recovery saw start, in log order (the leader epoch cache adds the new ones). */
  recoveredEpochs: Array<{ epoch: number; startOffset: number }>;
}

export async function loadLog(dir: string, config: LogConfig, deps: SegmentDeps, nowMs: number, opts: LoadOptions = {}): Promise<LoadedLog> {
  const reads = opts.reads ?? asyncReads;
  let names = await listOrCreate(dir, reads);
  // Taken (removed durably) even when the log dir's marker already says clean: a marker left
  // here would otherwise vouch for a later crash.
  const ownMarker = names.includes(CLEAN_SHUTDOWN_MARKER) && (await takeCleanShutdownMarker(dir));
  const clean = opts.logDirClean === true || ownMarker;
  // A compaction swap that a crash interrupted is rolled back or completed first (cleaner-swap.ts).
  if (names.some((n) => n.endsWith(CLEANED_SUFFIX) || n.endsWith(SWAP_SUFFIX))) {
    await finishInterruptedSwaps(dir, deps.openFile, deps.logger);
    names = await reads.list(dir);
  }
  const checkpointRead = names.includes(LOG_START_OFFSET_CHECKPOINT) ? readLogStartOffset(dir, reads) : Promise.resolve(null);
  const tidied = await tidyDirectory(dir, names);
  names = tidied.names;
  let segments = await mapBounded(tidied.bases, LOG_OPEN_CONCURRENCY, (base) => LogSegment.open(dir, base, deps, reads));
  let truncatedBytes = 0;
  const recoveredEpochs: Array<{ epoch: number; startOffset: number }> = [];

  // Earlier segments: trust sane index files, recover the rest.
  for (let i = 0; i < segments.length - 1; i++) {
    const seg = segments[i]!;
    if (clean || (await seg.indexFilesLookSane())) continue;
    const before = seg.writtenBytes;
    const result = await recoverSegment(seg, config, { truncate: true });
    recoveredEpochs.push(...result.epochStarts);
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
  let indexesOnDisk = false;
  let firstBatchTimestamp: number | null = null;
  if (last !== undefined && clean && last.writtenBytes === 0) {
    // Clean and empty: nothing to index, nor to read.
    last.setIndexes(new OffsetIndex(last.baseOffset, offsetIndexEntries(config)), new TimeIndex(last.baseOffset, timeIndexEntries(config)));
  } else if (last !== undefined) {
    const opened = clean ? await openCleanLastSegment(last, config, names) : null;
    if (opened !== null) {
      indexesOnDisk = opened.indexesOnDisk;
      firstBatchTimestamp = opened.firstBatchTimestamp;
    } else {
      const before = last.writtenBytes;
      const result = await recoverSegment(last, config, { truncate: true });
      recoveredEpochs.push(...result.epochStarts);
      firstBatchTimestamp = result.firstBatchTimestamp;
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

  const checkpoint = await checkpointRead;
  const logEndOffset = last?.nextOffset ?? 0;
  const loaded = { clean, truncatedBytes, names, checkpoint, recoveredEpochs };
  if (segments.length === 0 || (checkpoint !== null && checkpoint > logEndOffset)) {
    // Nothing to keep (or everything below the checkpointed start is gone): start afresh there.
    await Promise.all(segments.map((s) => s.destroy()));
    const start = Math.max(checkpoint ?? 0, segments.length === 0 ? 0 : logEndOffset);
    return { ...loaded, segments: [LogSegment.create(dir, start, config, deps, nowMs)], logStartOffset: start, indexesOnDisk: false, firstBatchTimestamp: null };
  }
  const logStartOffset = Math.max(checkpoint ?? 0, segments[0]!.baseOffset);
  return { ...loaded, segments, logStartOffset, indexesOnDisk, firstBatchTimestamp };
}

/**
 * The last segment after a clean shutdown: its state restored, or null when it must be recovered.
 *
 * A segment no larger than one header-scan block is read whole and its indexes rebuilt from it,
 * every batch checked as recovery checks them but nothing cut, instead of reading its two index
 * files too: at start-up that is two files fewer to open per partition. Should a batch fail the
 * checks, the segment is opened as a larger one is, trusting its index files as before.
 *
 * Otherwise the index files are loaded, and the batches after the last index entry and the
 * first batch's header (segment.ms counts from it) are read in one pass over the file.
 */
async function openCleanLastSegment(
  last: LogSegment,
  config: LogConfig,
  names: readonly string[],
): Promise<{ indexesOnDisk: boolean; firstBatchTimestamp: number | null } | null> {
  if (last.writtenBytes <= SCAN_BLOCK_BYTES) {
    const bytes = last.writtenBytes;
    const scan = await recoverSegment(last, config, { truncate: false }).catch(() => null);
    if (scan !== null && scan.problem === null) {
      // The files on disk hold these batches; they are rewritten at close only if missing.
      const indexesOnDisk = names.includes(segmentFileName(last.baseOffset, INDEX_SUFFIX)) && names.includes(segmentFileName(last.baseOffset, TIME_INDEX_SUFFIX));
      return { indexesOnDisk, firstBatchTimestamp: scan.firstBatchTimestamp };
    }
    last.writtenBytes = bytes;
    last.size = bytes;
  }
  if ((await last.loadIndexFiles(config)) !== null) return null;
  return restoreTail(last, { firstBatch: true }).then(
    (firstBatchTimestamp) => ({ indexesOnDisk: true, firstBatchTimestamp }),
    () => null,
  );
}

/** The directory's file names; a missing directory is created (a new partition). */
async function listOrCreate(dir: string, reads: SmallFileReads): Promise<string[]> {
  try {
    return await reads.list(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dir, { recursive: true });
  return reads.list(dir);
}

/**
 * Removes what an interrupted deletion or index write left behind and index files without a
 * log; returns the segments' base offsets in order and the names left.
 */
async function tidyDirectory(dir: string, names: readonly string[]): Promise<{ bases: number[]; names: string[] }> {
  const bases = new Set<number>();
  for (const name of names) {
    const base = parseSegmentFileName(name);
    if (base !== null) bases.add(base);
  }
  const removals: Promise<void>[] = [];
  const kept: string[] = [];
  for (const name of names) {
    const orphanIndex =
      (name.endsWith(INDEX_SUFFIX) || name.endsWith(TIME_INDEX_SUFFIX)) && !bases.has(Number(name.slice(0, 20)));
    if (name.endsWith(DELETED_SUFFIX) || name.endsWith('.tmp') || orphanIndex) {
      removals.push(rm(join(dir, name), { force: true }));
    } else {
      kept.push(name);
    }
  }
  await Promise.all(removals);
  return { bases: [...bases].sort((a, b) => a - b), names: kept };
}
