/**
 * Log compaction (cleanup.policy=compact), after Kafka's LogCleaner. A compacted log has a clean
 * part, below the cleaner point (checkpointed in `cleaner-offset-checkpoint`), and a dirty part
 * after it. A pass over one log:
 *
 * 1. Finds the cleanable range: from the cleaner point to the first uncleanable offset, the base
 *    offset of the first segment that is active, holds data above the high watermark, or whose
 *    newest record is younger than min.compaction.lag.ms, or that reaches past the last stable
 *    offset (an undecided transaction). Only whole closed segments are cleaned.
 * 2. Runs only if the dirty ratio (cleanable bytes / bytes of clean and cleanable segments) is
 *    above min.cleanable.dirty.ratio, or the oldest dirty record is older than
 *    max.compaction.lag.ms.
 * 3. Maps each key of the cleanable range to its latest offset (offset-map.ts); records of
 *    aborted transactions and markers are not mapped.
 * 4. Rewrites every segment from the log start to the end of the mapped range, grouped into runs
 *    of adjacent segments that together fit in segment.bytes, keeping per key only the latest
 *    record (cleaner-batch.ts), dropping aborted transactions' records and, after their delete
 *    horizon, markers whose transaction has no data left (cleaner-txn.ts), each group into one
 *    new segment swapped in crash-safely with its `.txnindex` (cleaner-swap.ts).
 * 5. Checkpoints the end of the mapped range as the new cleaner point.
 *
 * The pass yields to the event loop every CLEANER_YIELD_BYTES, so produce and fetch on other
 * partitions carry on; the swap itself is one synchronous step over the segment list, and old
 * segments stay readable through their open handles until file.delete.delay.ms has passed.
 */
import { rename, rm } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  ATTRIBUTES,
  BATCH_LENGTH,
  CONTROL_BIT,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  PRODUCER_EPOCH,
  PRODUCER_ID,
  RECORDS_COUNT,
  TRANSACTIONAL_BIT,
  readInt64,
} from '../protocol/records/batch-header.js';
import { decodeRecordBatches } from '../protocol/records/record-batch.js';
import type { Clock, TimerHandle } from '../platform/clock.js';
import { assert } from '../util/assert.js';
import type { Logger } from '../util/logger.js';
import { checkBatch } from './batch-walk.js';
import { type CleanedBatch, type CleaningRules, cleanBatch } from './cleaner-batch.js';
import { CleanerTxnTracker, type ProducerLastRecord, isProducersLastBatch } from './cleaner-txn.js';
import { readCleanerCheckpoint, writeCleanerCheckpoint } from './cleaner-checkpoint.js';
import { cleanedPath, installTxnIndexSwap, swapPath, txnIndexSwapPath } from './cleaner-swap.js';
import { type LogConfig, isCompacted } from './config.js';
import { ErrorCode, StorageError } from './errors.js';
import { type LogFile, readFully, syncDir, writeFileAtomic, writeFully } from './file.js';
import { RELATIVE_OFFSET_MAX, TIMER_DELAY_MS_MAX } from './limits.js';
import { OffsetMap } from './offset-map.js';
import type { AbortedTxn } from './producer-state.js';
import { controlType, encodeTxnIndexEntry, txnIndexPath } from './producer-state-io.js';
import { LogSegment, type SegmentDeps, offsetIndexEntries, timeIndexEntries } from './segment.js';
import { ensureIndexes, firstBatchTimestamp, restoreTail } from './segment-scan.js';

/**
 * Keys one pass maps at most. Kafka's default 128 MiB dedupe buffer holds about 5 million
 * 24-byte entries; a JavaScript Map entry costs several times that, so one million keys (some
 * 100-200 MiB at worst) is the bound. A log with more distinct dirty keys is cleaned over
 * several passes, each covering a prefix of the dirty range.
 */
export const CLEANER_OFFSET_MAP_ENTRIES_MAX = 1_000_000;
/** The cleaner reads and writes segments this much at a time, like Kafka's 1 MiB I/O buffers. */
const CLEANER_IO_BYTES = 1024 * 1024;
/**
 * The pass gives the event loop a turn after this many bytes of batches: decoding and encoding
 * 64 KiB of small records takes about a millisecond, so requests are never held up much longer.
 */
const CLEANER_YIELD_BYTES = 64 * 1024;

/** What the cleaner needs from a partition log; PartitionLog provides it. */
export interface CleanerHost {
  readonly dir: string;
  readonly config: Readonly<LogConfig>;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  /** The cleaner never cleans a segment reaching past it: its transactions are not decided. */
  readonly lastStableOffset: number;
  readonly segDeps: SegmentDeps;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The segments, oldest first; the last is the active one. Replaced, never mutated. */
  segments(): readonly LogSegment[];
  /** False once the log is closing or offline; the pass then stops at the next batch. */
  isUsable(): boolean;
  /** Settles once every segment rolled so far has been synced and its index files written. */
  sealed(): Promise<void>;
  /** Runs `fn` while retention, DeleteRecords and truncation wait. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Aborted transactions overlapping [fromOffset, upToOffset), from the producer state. */
  abortedIn(fromOffset: number, upToOffset: number): AbortedTxn[];
  /** Per producer id, its last batch (which cleaning keeps). */
  producerLastRecords(): Map<number, ProducerLastRecord>;
  /**
   * In one turn, puts `replacement` (or nothing) in place of the adjacent closed segments `old`
   * and forgets the aborted transactions `forgotten`, whose markers are gone; false if the
   * segments are not there.
   */
  replaceSegments(old: readonly LogSegment[], replacement: LogSegment | null, forgotten: readonly AbortedTxn[]): boolean;
  /** A disk failure after the point of no return: the log goes offline. */
  fail(reason: string, err: unknown): void;
}

/** Where the steps of a swap stand; crash tests stop a pass after one of them. */
export type SwapStep = 'cleaned' | 'swap' | 'first-old-deleted' | 'old-deleted' | 'renamed';

export interface CompactOptions {
  /** Clean even when the dirty ratio is below min.cleanable.dirty.ratio. */
  force?: boolean;
  /**
   * For crash tests: stop dead after this step of the first swap, leaving the files as a
   * SIGKILL would, and never clean this log again in this process.
   */
  crashAfter?: SwapStep;
}

/** The cleanable range of a log and whether it is due for cleaning. */
export interface CompactionStatus {
  firstDirtyOffset: number;
  firstUncleanableOffset: number;
  /** Bytes of closed segments wholly below the cleaner point. */
  cleanBytes: number;
  /** Bytes of the segments in [firstDirtyOffset, firstUncleanableOffset). */
  cleanableBytes: number;
  /** cleanableBytes / (cleanBytes + cleanableBytes), 0 for an empty log. */
  dirtyRatio: number;
  /** The oldest dirty record is older than max.compaction.lag.ms. */
  overdue: boolean;
  /** Whether a pass would clean now (Kafka: ratio above the minimum, or overdue). */
  due: boolean;
}

export interface CompactionResult {
  cleaned: boolean;
  /** Why nothing was cleaned. */
  skipped?: string;
  /** The step a crash test stopped at. */
  crashedAt?: SwapStep;
  /** The cleaner point after the pass. */
  cleanerPoint: number;
  segmentsRewritten: number;
  segmentsAfter: number;
  recordsRead: number;
  recordsKept: number;
  /** Records without a key, which a compacted log cannot keep (Kafka counts them as invalid). */
  keylessDropped: number;
  /** Records of aborted transactions dropped. */
  abortedDropped: number;
  /** Transaction markers dropped (their delete horizon passed, their data gone). */
  markersDropped: number;
  bytesRead: number;
  bytesWritten: number;
}

/** A pass that stops because the log closed or the segments it read changed under it. */
class CleaningAborted extends Error {
  override name = 'CleaningAborted';
}

/** A crash test's stop: nothing is cleaned up. */
class SimulatedCrash extends Error {
  constructor(readonly step: SwapStep) {
    super(`simulated crash after ${step}`);
  }
}

/** Per-log cleaner state, owned by the partition log. */
export class CompactionState {
  /** The checkpointed cleaner point (undefined until read from disk). */
  private point: number | null | undefined;
  private running: Promise<CompactionResult> | null = null;
  private stopped = false;
  /** Why this log is not cleaned any more (a bad batch, a simulated crash). */
  uncleanable: string | null = null;
  /** Old segments waiting out file.delete.delay.ms. */
  private readonly doomed = new Map<LogSegment, TimerHandle | null>();
  private checkpointChain: Promise<void> = Promise.resolve();

  constructor(private readonly host: CleanerHost) {}

  /** One pass over the log (never two at once); resolves with what it did. */
  compact(nowMs: number, opts: CompactOptions = {}): Promise<CompactionResult> {
    if (this.running !== null) return this.running;
    const run = this.pass(nowMs, opts).finally(() => {
      this.running = null;
    });
    this.running = run;
    return run;
  }

  async status(nowMs: number): Promise<CompactionStatus> {
    const closed = this.host.segments().slice(0, -1);
    await Promise.all(closed.map((s) => ensureIndexes(s, this.host.config, this.host.logger)));
    return cleanableRange(this.host, closed, await this.cleanerPoint(), nowMs);
  }

  /** A follower truncated the log: the cleaner point may not stay above the new end. */
  truncated(offset: number): void {
    if (this.point !== undefined && this.point !== null && this.point > offset) this.checkpoint(offset);
  }

  /** On close: waits for a running pass (which stops at its next batch) and removes old files. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running?.catch(() => undefined);
    await this.checkpointChain;
    const doomed = [...this.doomed.entries()];
    this.doomed.clear();
    for (const [seg, timer] of doomed) {
      if (timer !== null) this.host.clock.clearTimeout(timer);
      await seg.destroy().catch((err: unknown) => this.host.logger.warn('could not remove a compacted segment', { segment: seg.logPath, error: err }));
    }
  }

  private async cleanerPoint(): Promise<number | null> {
    if (this.point === undefined) this.point = await readCleanerCheckpoint(this.host.dir);
    return this.point;
  }

  private checkpoint(offset: number): void {
    this.point = offset;
    this.checkpointChain = this.checkpointChain
      .then(() => writeCleanerCheckpoint(this.host.dir, offset))
      .catch((err: unknown) => this.host.logger.warn('could not write the cleaner checkpoint', { dir: this.host.dir, error: err }));
  }

  private async pass(nowMs: number, opts: CompactOptions): Promise<CompactionResult> {
    const host = this.host;
    const result: CompactionResult = {
      cleaned: false,
      cleanerPoint: this.point ?? host.logStartOffset,
      segmentsRewritten: 0,
      segmentsAfter: host.segments().length,
      recordsRead: 0,
      recordsKept: 0,
      keylessDropped: 0,
      abortedDropped: 0,
      markersDropped: 0,
      bytesRead: 0,
      bytesWritten: 0,
    };
    const skip = (why: string): CompactionResult => ({ ...result, skipped: why });
    if (this.stopped || !host.isUsable()) return skip('the log is closed');
    if (!isCompacted(host.config)) return skip(`cleanup.policy is ${host.config.cleanupPolicy}`);
    if (this.uncleanable !== null) return skip(this.uncleanable);
    // Writes to a segment rolled away from must be on disk before it is read: every segment in
    // the snapshot was rolled before it, so its seal is among those awaited.
    const closed = host.segments().slice(0, -1);
    await host.sealed();
    await Promise.all(closed.map((s) => ensureIndexes(s, host.config, host.logger)));
    const range = await cleanableRange(host, closed, await this.cleanerPoint(), nowMs);
    if (range.firstDirtyOffset !== (this.point ?? range.firstDirtyOffset)) this.checkpoint(range.firstDirtyOffset);
    result.cleanerPoint = range.firstDirtyOffset;
    if (range.cleanableBytes === 0) return skip('nothing is cleanable');
    if (!range.due && opts.force !== true) return skip(`the dirty ratio ${range.dirtyRatio.toFixed(3)} is not above ${host.config.minCleanableDirtyRatio}`);

    const started = host.clock.now();
    try {
      const map = new OffsetMap(CLEANER_OFFSET_MAP_ENTRIES_MAX);
      const mapEnd = await buildOffsetMap(this, closed, range, map, result, host);
      const rules = { map, mapEnd, nowMs, deleteRetentionMs: host.config.deleteRetentionMs };
      const toClean = closed.filter((s) => s.baseOffset < mapEnd && s.nextOffset > host.logStartOffset);
      // One walk over transactions for the whole pass, from the log start: a marker may go only
      // if no batch of its transaction is left anywhere before it.
      const txns: TxnWalk = {
        tracker: new CleanerTxnTracker(host.abortedIn(toClean[0]?.baseOffset ?? mapEnd, mapEnd)),
        lastRecords: host.producerLastRecords(),
      };
      for (const [i, group] of groupSegments(toClean, host.config).entries()) {
        const rewritten = await this.cleanGroup(group, i === 0, rules, txns, range.firstUncleanableOffset, result, opts);
        if (rewritten) result.segmentsRewritten += group.length;
      }
      this.checkpoint(mapEnd);
      await this.checkpointChain;
      result.cleaned = true;
      result.cleanerPoint = mapEnd;
    } catch (err) {
      if (err instanceof SimulatedCrash) {
        this.stopped = true;
        this.uncleanable = err.message;
        return { ...result, crashedAt: err.step };
      }
      if (err instanceof CleaningAborted) return skip(err.message);
      // Retention or a truncation removed a segment being read, or the log closed: try later.
      if (!host.isUsable() || closed.some((s) => s.deleted)) return skip('the segments changed during compaction');
      // A corrupt batch or a failed read: stop cleaning this log until it is reopened, as Kafka
      // marks such a partition uncleanable; produce and fetch carry on.
      this.uncleanable = `compaction failed: ${err instanceof Error ? err.message : String(err)}`;
      host.logger.error('log compaction failed; the log will not be compacted until it is reopened', { dir: host.dir, error: err });
      return skip(this.uncleanable);
    }
    result.segmentsAfter = host.segments().length;
    host.logger.info('compacted log', {
      dir: host.dir,
      cleanerPoint: result.cleanerPoint,
      segmentsRewritten: result.segmentsRewritten,
      recordsRead: result.recordsRead,
      recordsKept: result.recordsKept,
      keylessDropped: result.keylessDropped,
      abortedDropped: result.abortedDropped,
      markersDropped: result.markersDropped,
      bytesRead: result.bytesRead,
      bytesWritten: result.bytesWritten,
      elapsedMs: host.clock.now() - started,
    });
    return result;
  }

  /** Throws CleaningAborted once the log closes. */
  checkUsable(): void {
    if (this.stopped || !this.host.isUsable()) throw new CleaningAborted('the log closed during compaction');
  }

  /**
   * Cleans `group` into one new segment and swaps it in (or removes the group when nothing in it
   * survives); false when nothing would change (one segment whose batches all stay as they are),
   * so nothing is written.
   */
  private async cleanGroup(
    group: LogSegment[],
    isHead: boolean,
    rules: CleaningRules,
    txns: TxnWalk,
    roundEnd: number,
    result: CompactionResult,
    opts: CompactOptions,
  ): Promise<boolean> {
    const host = this.host;
    const base = group[0]!.baseOffset;
    const sizes = group.map((s) => s.writtenBytes);
    const last = group[group.length - 1]!;
    // The segment holding the log start is never removed whole (`isHead`): the first segment's
    // base offset bounds the log start offset when the log is opened again, and consumers may
    // hold offsets below the next segment's.
    const path = cleanedPath(host.dir, base);
    await rm(path, { force: true });
    // An in-memory segment that only builds the new segment's indexes; it never opens a file.
    const built = LogSegment.create(host.dir, base, host.config, host.segDeps, host.clock.now());
    let changed = group.length > 1;
    // Markers of aborted transactions this group no longer holds whole.
    const markersGone = new Set<number>();
    let forgotten: AbortedTxn[] = [];
    let file: LogFile | null = await host.segDeps.openFile(path, 'w+');
    try {
      const out = new OutputBuffer(file);
      let sinceYield = 0;
      for (const seg of group) {
        for await (const batch of storedBatches(seg)) {
          this.checkUsable();
          const lastOffset = readInt64(batch, 0) + batch.readInt32BE(LAST_OFFSET_DELTA);
          // As in Kafka, the batch that ends the cleanable range stays, empty if need be, so the
          // log end offset can never move back should the segments after it be lost; so does
          // the last batch of the head group, so that it is never empty.
          const keepEmpty = lastOffset + 1 === roundEnd || (isHead && seg === last && lastOffset === last.nextOffset - 1);
          const fate = batchFate(batch, lastOffset, txns);
          const cleaned: CleanedBatch = await cleanBatch(batch, rules, keepEmpty, fate);
          changed ||= cleaned.changed;
          if (fate.isControl && cleaned.changed && cleaned.recordsRead > 0 && (cleaned.bytes === null || cleaned.recordsKept === 0)) {
            markersGone.add(lastOffset);
            result.markersDropped++;
          } else if (!fate.isControl && fate.discard && cleaned.changed) {
            result.abortedDropped += cleaned.recordsRead;
          }
          result.recordsRead += cleaned.recordsRead;
          result.recordsKept += cleaned.recordsKept;
          result.keylessDropped += cleaned.keylessDropped;
          result.bytesRead += batch.length;
          if (cleaned.bytes !== null) {
            assert(typeof checkBatch(cleaned.bytes, 0, cleaned.bytes.length) === 'number', 'the cleaner built a bad batch');
            built.addBatch(built.size, cleaned.bytes.length, cleaned.lastOffset, cleaned.maxTimestamp, host.config.indexIntervalBytes);
            await out.push(cleaned.bytes);
          }
          sinceYield += batch.length;
          if (sinceYield >= CLEANER_YIELD_BYTES) {
            sinceYield = 0;
            await yieldToEventLoop();
          }
        }
      }
      const end = last.nextOffset;
      const abortedHere = host.abortedIn(base, end).filter((a) => a.lastOffset >= base && a.lastOffset < end);
      forgotten = abortedHere.filter((a) => markersGone.has(a.lastOffset));
      if (!changed || built.size === 0) {
        await file.close();
        file = null;
        await rm(path, { force: true });
        if (!changed) return false;
        await host.exclusive(() => this.dropGroup(group, sizes, abortedHere));
        return true;
      }
      // The new segment's .txnindex, part of what the swap commits (cleaner-swap.ts).
      const keptAborted = abortedHere.filter((a) => !markersGone.has(a.lastOffset));
      await writeFileAtomic(txnIndexSwapPath(host.dir, base), Buffer.concat(keptAborted.map(encodeTxnIndexEntry)));
      await out.finish();
      await file.datasync();
      const written = (await file.stat()).size;
      assert(written === built.size, `the cleaned segment has ${written} bytes, not ${built.size}`);
      await file.close();
      file = null;
    } catch (err) {
      await file?.close().catch(() => undefined);
      await rm(path, { force: true }).catch(() => undefined);
      await rm(txnIndexSwapPath(host.dir, base), { force: true }).catch(() => undefined);
      throw err;
    }
    built.sealTimeIndex();
    result.bytesWritten += built.size;
    await host.exclusive(() => this.swapIn(group, sizes, built, forgotten, opts));
    return true;
  }

  /** Whether the group is still in the log, closed and as it was read. */
  private intact(group: LogSegment[], sizes: number[]): boolean {
    const now = this.host.segments();
    const at = now.indexOf(group[0]!);
    return (
      this.host.isUsable() &&
      !this.stopped &&
      at >= 0 &&
      at + group.length < now.length &&
      group.every((s, i) => now[at + i] === s && !s.deleted && s.writtenBytes === sizes[i])
    );
  }

  /**
   * Removes a group none of whose batches survive, oldest segment first: should a crash stop
   * this half way, what is left holds only records superseded by later ones, or tombstones.
   */
  private async dropGroup(group: LogSegment[], sizes: number[], forgotten: readonly AbortedTxn[]): Promise<void> {
    if (!this.intact(group, sizes)) throw new CleaningAborted('the segments changed during compaction');
    try {
      for (const seg of group) {
        await seg.markDeleted();
        await rm(txnIndexPath(this.host.dir, seg.baseOffset), { force: true });
      }
      assert(this.host.replaceSegments(group, null, forgotten), 'compacted segments vanished while the log was held');
    } catch (err) {
      this.host.fail('removing compacted segments failed', err);
      throw new CleaningAborted(`removing compacted segments failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    for (const old of group) this.scheduleDestroy(old);
  }

  /** The swap, with retention and truncation held off: see cleaner-swap.ts for the order. */
  private async swapIn(group: LogSegment[], sizes: number[], built: LogSegment, forgotten: readonly AbortedTxn[], opts: CompactOptions): Promise<void> {
    const host = this.host;
    const base = built.baseOffset;
    if (!this.intact(group, sizes)) {
      await rm(cleanedPath(host.dir, base), { force: true });
      await rm(txnIndexSwapPath(host.dir, base), { force: true });
      throw new CleaningAborted('the segments changed during compaction');
    }
    const crash = (step: SwapStep): void => {
      if (opts.crashAfter === step) throw new SimulatedCrash(step);
    };
    crash('cleaned');
    await rename(cleanedPath(host.dir, base), swapPath(host.dir, base));
    let seg: LogSegment | null = null;
    try {
      await syncDir(host.dir);
      crash('swap');
      for (const old of group) {
        await old.markDeleted();
        crash('first-old-deleted');
      }
      crash('old-deleted');
      await installTxnIndexSwap(host.dir, base, group.map((s) => s.baseOffset));
      await rename(swapPath(host.dir, base), built.logPath);
      await syncDir(host.dir);
      crash('renamed');
      seg = await LogSegment.open(host.dir, base, host.segDeps);
      seg.setIndexes(built.offsetIndex, built.timeIndex);
      await restoreTail(seg);
      assert(seg.nextOffset === built.nextOffset && seg.size === built.size, `cleaned segment ${seg.logPath} does not read back as written`);
      seg.lastModifiedMs = Math.max(...group.map((s) => s.lastModifiedMs));
      await seg.writeIndexFiles();
      assert(host.replaceSegments(group, seg, forgotten), 'compacted segments vanished while the log was held');
    } catch (err) {
      if (err instanceof SimulatedCrash) throw err;
      await seg?.close().catch(() => undefined);
      // Past the commit point (the rename to .swap) the disk holds the new segment or will on
      // reopening; this process can no longer vouch for its segment list.
      host.fail('swapping in a compacted segment failed', err);
      throw new CleaningAborted(`swapping in a compacted segment failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    for (const old of group) this.scheduleDestroy(old);
  }

  private scheduleDestroy(seg: LogSegment): void {
    const delayMs = this.host.config.fileDeleteDelayMs;
    const destroy = (): void => {
      if (!this.doomed.delete(seg)) return;
      seg.destroy().catch((err: unknown) => this.host.logger.warn('could not remove a compacted segment', { segment: seg.logPath, error: err }));
    };
    this.doomed.set(seg, null);
    if (delayMs <= 0) destroy();
    else if (delayMs <= TIMER_DELAY_MS_MAX) this.doomed.set(seg, this.host.clock.setTimeout(destroy, delayMs));
  }
}

/**
 * Kafka's LogCleanerManager.cleanableOffsets and the dirty ratio, at segment granularity: a
 * checkpoint outside [log start, log end] is reset to the log start.
 */
async function cleanableRange(host: CleanerHost, closed: readonly LogSegment[], checkpoint: number | null, nowMs: number): Promise<CompactionStatus> {
  const cfg = host.config;
  let firstDirty = checkpoint ?? host.logStartOffset;
  if (firstDirty < host.logStartOffset || firstDirty > host.logEndOffset) firstDirty = host.logStartOffset;
  const active = host.segments()[closed.length]!;
  let firstUncleanable = active.baseOffset;
  for (const seg of closed) {
    if (seg.nextOffset <= firstDirty) continue;
    const tooNew = cfg.minCompactionLagMs > 0 && largestTimestamp(seg) > nowMs - cfg.minCompactionLagMs;
    if (seg.nextOffset > Math.min(host.highWatermark, host.lastStableOffset) || tooNew) {
      firstUncleanable = seg.baseOffset;
      break;
    }
  }
  firstUncleanable = Math.max(firstDirty, firstUncleanable);
  let cleanBytes = 0;
  let cleanableBytes = 0;
  for (const seg of closed) {
    if (seg.nextOffset <= firstDirty) cleanBytes += seg.size;
    else if (seg.baseOffset < firstUncleanable) cleanableBytes += seg.size;
  }
  const total = cleanBytes + cleanableBytes;
  const dirtyRatio = total === 0 ? 0 : cleanableBytes / total;
  const overdue = cleanableBytes > 0 && (await oldestDirtyTimestamp(closed, firstDirty, cfg)) < nowMs - cfg.maxCompactionLagMs;
  return {
    firstDirtyOffset: firstDirty,
    firstUncleanableOffset: firstUncleanable,
    cleanBytes,
    cleanableBytes,
    dirtyRatio,
    overdue,
    due: cleanableBytes > 0 && (dirtyRatio > cfg.minCleanableDirtyRatio || overdue),
  };
}

/** Kafka's LogSegment.largestTimestamp: the newest batch timestamp, else the file's mtime. */
function largestTimestamp(seg: LogSegment): number {
  return seg.maxTimestamp >= 0 ? seg.maxTimestamp : seg.lastModifiedMs;
}

const firstBatchTimestamps = new WeakMap<LogSegment, number>();

/**
 * The earliest first-batch timestamp of the dirty closed segments (Kafka's
 * maxCompactionDelay), or +Infinity when max.compaction.lag.ms is unset or none has one.
 */
async function oldestDirtyTimestamp(closed: readonly LogSegment[], firstDirty: number, cfg: Readonly<LogConfig>): Promise<number> {
  if (cfg.maxCompactionLagMs >= Number.MAX_SAFE_INTEGER) return Number.POSITIVE_INFINITY;
  let oldest = Number.POSITIVE_INFINITY;
  for (const seg of closed) {
    if (seg.nextOffset <= firstDirty) continue;
    let ts = firstBatchTimestamps.get(seg);
    if (ts === undefined) {
      // A generator left after its first value would keep its reader; this one ends the scan.
      ts = await firstBatchTimestamp(seg);
      firstBatchTimestamps.set(seg, ts);
    }
    if (ts > 0) oldest = Math.min(oldest, ts);
  }
  return oldest;
}

/**
 * Puts every keyed record of the cleanable range in the map, batch by batch; stops early, at a
 * batch boundary, when the map has no room for the next batch. Returns the offset after the last
 * mapped batch (the range's end when all of it was mapped). Markers and aborted transactions'
 * batches are passed over: their keys must not hide earlier records.
 */
async function buildOffsetMap(state: CompactionState, closed: readonly LogSegment[], range: CompactionStatus, map: OffsetMap, result: CompactionResult, host: CleanerHost): Promise<number> {
  let sinceYield = 0;
  const txns = new CleanerTxnTracker(host.abortedIn(range.firstDirtyOffset, range.firstUncleanableOffset));
  for (const seg of closed) {
    if (seg.nextOffset <= range.firstDirtyOffset) continue;
    if (seg.baseOffset >= range.firstUncleanableOffset) break;
    for await (const batch of storedBatches(seg)) {
      state.checkUsable();
      const baseOffset = readInt64(batch, 0);
      const lastOffset = baseOffset + batch.readInt32BE(LAST_OFFSET_DELTA);
      if (lastOffset < range.firstDirtyOffset) continue;
      const attributes = batch.readInt16BE(ATTRIBUTES);
      const producerId = readInt64(batch, PRODUCER_ID);
      if ((attributes & CONTROL_BIT) !== 0) {
        txns.onMarker(producerId, controlType(batch, 0, batch.length) === 1, lastOffset);
        continue;
      }
      if (txns.onBatch(producerId, (attributes & TRANSACTIONAL_BIT) !== 0, lastOffset)) continue;
      const count = batch.readInt32BE(RECORDS_COUNT);
      if (map.size > 0 && !map.hasRoomFor(count)) return baseOffset;
      const [decoded] = await decodeRecordBatches(batch);
      for (const r of decoded!.records) if (r.key !== null) map.put(r.key, baseOffset + r.offsetDelta);
      result.bytesRead += batch.length;
      sinceYield += batch.length;
      if (sinceYield >= CLEANER_YIELD_BYTES) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
    }
  }
  return range.firstUncleanableOffset;
}

/**
 * Kafka's groupSegmentsBySize: runs of adjacent segments whose bytes fit in segment.bytes, whose
 * index entries fit in segment.index.bytes and whose offsets fit in one segment's int32 deltas.
 */
export function groupSegments(segments: readonly LogSegment[], cfg: Readonly<LogConfig>): LogSegment[][] {
  const groups: LogSegment[][] = [];
  const offsetEntriesMax = offsetIndexEntries(cfg);
  const timeEntriesMax = timeIndexEntries(cfg);
  let i = 0;
  while (i < segments.length) {
    const first = segments[i]!;
    const group = [first];
    let bytes = first.size;
    let offsetEntries = first.offsetIndex.entries;
    let timeEntries = first.timeIndex.entries;
    for (i++; i < segments.length; i++) {
      const s = segments[i]!;
      if (
        bytes + s.size > cfg.segmentBytes ||
        offsetEntries + s.offsetIndex.entries > offsetEntriesMax ||
        timeEntries + s.timeIndex.entries > timeEntriesMax ||
        s.nextOffset - 1 - first.baseOffset > RELATIVE_OFFSET_MAX
      ) {
        break;
      }
      group.push(s);
      bytes += s.size;
      offsetEntries += s.offsetIndex.entries;
      timeEntries += s.timeIndex.entries;
    }
    groups.push(group);
  }
  return groups;
}

/** The whole, CRC-checked batches of a closed segment, read CLEANER_IO_BYTES at a time. */
async function* storedBatches(seg: LogSegment): AsyncGenerator<Buffer> {
  const file = await seg.handle();
  const limit = seg.writtenBytes;
  let block: Buffer = Buffer.alloc(0);
  let blockStart = 0;
  let pos = 0;
  while (pos < limit) {
    let at = pos - blockStart;
    const inBlock = block.length - at;
    const declared = inBlock >= LOG_OVERHEAD ? LOG_OVERHEAD + block.readInt32BE(at + BATCH_LENGTH) : 0;
    if (inBlock < LOG_OVERHEAD || inBlock < declared) {
      block = await readFully(file, pos, Math.min(limit - pos, Math.max(CLEANER_IO_BYTES, declared)));
      blockStart = pos;
      at = 0;
    }
    const size = checkBatch(block, at, block.length);
    if (typeof size !== 'number') {
      throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `segment ${seg.logPath} holds a bad batch at position ${pos}: ${size.message}`);
    }
    yield block.subarray(at, at + size);
    pos += size;
  }
}

/** Collects cleaned batches and writes them CLEANER_IO_BYTES at a time. */
class OutputBuffer {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private position = 0;

  constructor(private readonly file: LogFile) {}

  async push(batch: Buffer): Promise<void> {
    this.pending.push(batch);
    this.pendingBytes += batch.length;
    if (this.pendingBytes >= CLEANER_IO_BYTES) await this.finish();
  }

  async finish(): Promise<void> {
    if (this.pendingBytes === 0) return;
    // One buffer per write: many small batches would pass writev's IOV_MAX.
    await writeFully(this.file, [Buffer.concat(this.pending, this.pendingBytes)], this.position);
    this.position += this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
  }
}

/** The transaction walk of one pass and each producer's last batch as the pass began. */
interface TxnWalk {
  tracker: CleanerTxnTracker;
  lastRecords: ReadonlyMap<number, ProducerLastRecord>;
}

/** Feeds the batch to the transaction walk: whether its records go, whether it must stay. */
function batchFate(batch: Buffer, lastOffset: number, txns: TxnWalk): { discard: boolean; retainEmpty: boolean; isControl: boolean } {
  const attributes = batch.readInt16BE(ATTRIBUTES);
  const producerId = readInt64(batch, PRODUCER_ID);
  const isControl = (attributes & CONTROL_BIT) !== 0;
  if (producerId < 0) return { discard: false, retainEmpty: false, isControl };
  // An empty marker (one whose record an earlier pass removed) has no type: it can only go.
  const discard = isControl
    ? batch.readInt32BE(RECORDS_COUNT) === 0 || txns.tracker.onMarker(producerId, controlType(batch, 0, batch.length) === 1, lastOffset)
    : txns.tracker.onBatch(producerId, (attributes & TRANSACTIONAL_BIT) !== 0, lastOffset);
  const retainEmpty = isProducersLastBatch(txns.lastRecords, { producerId, producerEpoch: batch.readInt16BE(PRODUCER_EPOCH), isControl, lastOffset });
  return { discard, retainEmpty, isControl };
}
