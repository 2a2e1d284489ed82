/**
 * One segment of a partition log: `<base>.log` holding record batches exactly as Kafka stores
 * them, with its sparse `.index` and `.timeindex`. This class holds the segment's state; the
 * scans over its bytes (recovery, reads, timestamp search) are in segment-scan.ts.
 *
 * `size` counts bytes assigned to the segment, including appends still queued for the disk;
 * `writtenBytes` counts those the file holds. Reads never look past `writtenBytes`.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { assert } from '../util/assert.js';
import type { Logger } from '../util/logger.js';
import type { LogConfig } from './config.js';
import { type LogFile, type OpenLogFile, readFully, readFullySync, writeFileAtomic } from './file.js';
import { OFFSET_INDEX_ENTRY_BYTES, OffsetIndex } from './offset-index.js';
import { TIME_INDEX_ENTRY_BYTES, TimeIndex } from './time-index.js';
import { RELATIVE_OFFSET_MAX, SEGMENT_POSITION_MAX } from './limits.js';
import { type SmallFileReads, asyncReads } from './small-files.js';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
/** Kafka renames a segment's files with this suffix, then removes them after file.delete.delay.ms. */
export const DELETED_SUFFIX = '.deleted';
const OFFSET_DIGITS = 20;

export function segmentFileName(baseOffset: number, suffix: string): string {
  return String(baseOffset).padStart(OFFSET_DIGITS, '0') + suffix;
}

/** The base offset a `.log` file name stands for, or null for any other file. */
export function parseSegmentFileName(name: string): number | null {
  const m = /^(\d{20})\.log$/.exec(name);
  return m === null ? null : Number(m[1]);
}

/** Positioned reads of a segment's log file for one scan; `done()` once the scan is over. */
export interface SegmentReader {
  read(position: number, length: number): Promise<Buffer>;
  /** The file's size now. */
  size(): Promise<number>;
  done(): void;
}

export interface SegmentDeps {
  openFile: OpenLogFile;
  logger: Logger;
}

/** What an append changes in a segment, kept so a failed write can be undone exactly. */
export interface SegmentMark {
  size: number;
  nextOffset: number;
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
  bytesSinceLastIndexEntry: number;
  offsetEntries: number;
  timeEntries: number;
  rollStartMs: number | null;
}

export class LogSegment {
  size = 0;
  writtenBytes = 0;
  /** The offset after the last batch of this segment (valid once indexes are loaded). */
  nextOffset: number;
  maxTimestamp = -1;
  offsetOfMaxTimestamp: number;
  bytesSinceLastIndexEntry = 0;
  /** When the segment's first batch was appended: segment.ms counts from here. */
  rollStartMs: number | null = null;
  /** The file's modification time: retention's fallback when no batch has a timestamp. */
  lastModifiedMs = 0;
  /** Written since the last fdatasync. */
  unsynced = false;
  deleted = false;
  private renamed = false;
  private file: LogFile | null = null;
  private opening: Promise<LogFile> | null = null;
  private syncing: Promise<void> | null = null;
  private offsetIdx: OffsetIndex | null = null;
  private timeIdx: TimeIndex | null = null;
  /** How the index files are read (blocking during the log manager's start-up). */
  private reads: SmallFileReads = asyncReads;

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    private readonly deps: SegmentDeps,
    private createFile: boolean,
  ) {
    this.nextOffset = baseOffset;
    this.offsetOfMaxTimestamp = baseOffset;
  }

  /** A new, empty segment; its file is created on first write. */
  static create(dir: string, baseOffset: number, config: LogConfig, deps: SegmentDeps, nowMs: number): LogSegment {
    const seg = new LogSegment(dir, baseOffset, deps, true);
    seg.lastModifiedMs = nowMs;
    seg.setIndexes(new OffsetIndex(baseOffset, offsetIndexEntries(config)), new TimeIndex(baseOffset, timeIndexEntries(config)));
    return seg;
  }

  /** An existing segment; its size comes from the file, its indexes load on first use. */
  static async open(dir: string, baseOffset: number, deps: SegmentDeps, reads: SmallFileReads = asyncReads): Promise<LogSegment> {
    const seg = new LogSegment(dir, baseOffset, deps, false);
    seg.reads = reads;
    const info = await reads.stat(seg.logPath);
    const bytes = info.size;
    seg.lastModifiedMs = info.mtimeMs;
    seg.size = bytes;
    seg.writtenBytes = bytes;
    return seg;
  }

  get logPath(): string {
    return join(this.dir, segmentFileName(this.baseOffset, LOG_SUFFIX));
  }

  get indexPath(): string {
    return join(this.dir, segmentFileName(this.baseOffset, INDEX_SUFFIX));
  }

  get timeIndexPath(): string {
    return join(this.dir, segmentFileName(this.baseOffset, TIME_INDEX_SUFFIX));
  }

  get indexesLoaded(): boolean {
    return this.offsetIdx !== null;
  }

  get offsetIndex(): OffsetIndex {
    assert(this.offsetIdx !== null, `indexes of segment ${this.baseOffset} are not loaded`);
    return this.offsetIdx;
  }

  get timeIndex(): TimeIndex {
    assert(this.timeIdx !== null, `indexes of segment ${this.baseOffset} are not loaded`);
    return this.timeIdx;
  }

  setIndexes(offsetIndex: OffsetIndex, timeIndex: TimeIndex): void {
    this.offsetIdx = offsetIndex;
    this.timeIdx = timeIndex;
  }

  /** Applies a changed segment.index.bytes to the in-memory indexes. */
  applyConfig(config: LogConfig): void {
    this.offsetIdx?.setMaxEntries(offsetIndexEntries(config));
    this.timeIdx?.setMaxEntries(timeIndexEntries(config));
  }

  /** Kafka's roll rules, checked before an append of `bytes` ending at `lastOffset`. */
  shouldRoll(bytes: number, lastOffset: number, nowMs: number, config: LogConfig): boolean {
    if (this.size === 0) return false;
    return (
      this.size + bytes > config.segmentBytes ||
      this.size + bytes > SEGMENT_POSITION_MAX ||
      (this.rollStartMs !== null && nowMs - this.rollStartMs >= config.segmentMs) ||
      this.offsetIndex.isFull ||
      this.timeIndex.isFull ||
      lastOffset - this.baseOffset > RELATIVE_OFFSET_MAX
    );
  }

  /**
   * Records a batch placed at `position` in the in-memory state and indexes, as Kafka's
   * LogSegment.append does: an index entry once more than index.interval.bytes have gone by
   * since the last one.
   */
  addBatch(position: number, size: number, lastOffset: number, maxTimestamp: number, indexIntervalBytes: number): void {
    assert(position === this.size, `batch at ${position} does not follow the segment's ${this.size} bytes`);
    assert(lastOffset >= this.nextOffset, `offset ${lastOffset} goes backwards in segment ${this.baseOffset}`);
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    if (this.bytesSinceLastIndexEntry > indexIntervalBytes) {
      this.offsetIndex.append(lastOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += size;
    this.size += size;
    this.nextOffset = lastOffset + 1;
  }

  mark(): SegmentMark {
    return {
      size: this.size,
      nextOffset: this.nextOffset,
      maxTimestamp: this.maxTimestamp,
      offsetOfMaxTimestamp: this.offsetOfMaxTimestamp,
      bytesSinceLastIndexEntry: this.bytesSinceLastIndexEntry,
      offsetEntries: this.offsetIndex.entries,
      timeEntries: this.timeIndex.entries,
      rollStartMs: this.rollStartMs,
    };
  }

  /** Undoes the appends after `m` (their bytes never reached the file). */
  resetTo(m: SegmentMark): void {
    assert(m.size <= this.size, 'cannot undo appends into a segment that has shrunk since');
    this.size = m.size;
    this.writtenBytes = Math.min(this.writtenBytes, m.size);
    this.nextOffset = m.nextOffset;
    this.maxTimestamp = m.maxTimestamp;
    this.offsetOfMaxTimestamp = m.offsetOfMaxTimestamp;
    this.bytesSinceLastIndexEntry = m.bytesSinceLastIndexEntry;
    this.offsetIndex.truncateToEntries(m.offsetEntries);
    this.timeIndex.truncateToEntries(m.timeEntries);
    this.rollStartMs = m.rollStartMs;
  }

  /** On roll and close: the time index ends with the segment's largest timestamp, as in Kafka. */
  sealTimeIndex(): void {
    this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp, true);
  }

  /**
   * The open file, opened (or created, for a new segment) on first use. A segment renamed to
   * `*.deleted` before its first use is opened under that name: reads in flight still find it.
   */
  async handle(): Promise<LogFile> {
    if (this.file !== null) return this.file;
    if (this.opening === null) {
      const flags = this.createFile ? 'w+' : 'r+';
      this.opening = this.deps.openFile(this.renamed ? this.logPath + DELETED_SUFFIX : this.logPath, flags).then(
        (f) => {
          this.file = f;
          this.createFile = false;
          return f;
        },
        (err: unknown) => {
          this.opening = null;
          throw err;
        },
      );
    }
    return this.opening;
  }

  /**
   * Reads for one scan of the log file. While the segment's reads block (the log manager's
   * start-up) and its handle is not open, a descriptor of its own, read with blocking calls and
   * closed by `done()`: start-up leaves no segment file open, and each handle opens on first
   * use. Otherwise the segment's handle.
   */
  async reader(): Promise<SegmentReader> {
    if (this.reads.blocking && this.file === null && this.opening === null && !this.createFile && !this.renamed) {
      const fd = openSync(this.logPath, 'r');
      return {
        read: (position, length) => Promise.resolve(readFullySync(fd, position, length)),
        size: () => Promise.resolve(fstatSync(fd).size),
        done: () => closeSync(fd),
      };
    }
    const file = await this.handle();
    return {
      read: (position, length) => readFully(file, position, length),
      size: async () => (await file.stat()).size,
      done: () => undefined,
    };
  }

  /**
   * fdatasyncs what has been written. A sync already in flight may have started before the
   * latest write, so it is joined and then the check repeats.
   */
  async sync(): Promise<void> {
    while (this.syncing !== null) await this.syncing.catch(() => undefined);
    if (!this.unsynced || this.file === null) return;
    this.unsynced = false;
    const p = this.file.datasync();
    this.syncing = p;
    try {
      await p;
    } catch (err) {
      this.unsynced = true;
      throw err;
    } finally {
      this.syncing = null;
    }
  }

  /** Cuts the file to `bytes` and the segment with it (a truncation of the log). */
  async truncateFile(bytes: number): Promise<void> {
    await this.cutFile(bytes);
    this.writtenBytes = bytes;
    this.size = bytes;
  }

  /** Cuts only the file, removing what a failed write may have left past `bytes`. */
  async cutFile(bytes: number): Promise<void> {
    const file = await this.handle();
    await file.truncate(bytes);
  }

  /** Reads both index files; returns why they must be rebuilt, or null when loaded. */
  async loadIndexFiles(config: LogConfig, reads: SmallFileReads = this.reads): Promise<string | null> {
    let offsetBytes: Buffer;
    let timeBytes: Buffer;
    try {
      [offsetBytes, timeBytes] = await Promise.all([reads.read(this.indexPath), reads.read(this.timeIndexPath)]);
    } catch (err) {
      return `cannot read an index file: ${(err as Error).message}`;
    }
    const offsets = OffsetIndex.parse(offsetBytes, this.baseOffset, offsetIndexEntries(config), this.writtenBytes);
    if (typeof offsets === 'string') return `offset index: ${offsets}`;
    const times = TimeIndex.parse(timeBytes, this.baseOffset, timeIndexEntries(config));
    if (typeof times === 'string') return `time index: ${times}`;
    this.setIndexes(offsets, times);
    return null;
  }

  /** Whether both index files exist with sizes that are whole entries. */
  async indexFilesLookSane(): Promise<boolean> {
    try {
      const [o, t] = await Promise.all([stat(this.indexPath), stat(this.timeIndexPath)]);
      return o.size % OFFSET_INDEX_ENTRY_BYTES === 0 && t.size % TIME_INDEX_ENTRY_BYTES === 0;
    } catch {
      return false;
    }
  }

  /** Writes both indexes at their exact sizes, each through a temporary file and a rename. */
  async writeIndexFiles(): Promise<void> {
    if (this.deleted) return;
    await Promise.all([
      writeFileAtomic(this.indexPath, this.offsetIndex.bytes()),
      writeFileAtomic(this.timeIndexPath, this.timeIndex.bytes()),
    ]);
  }

  /** Removes the index files (a truncated segment's files no longer match it). */
  async removeIndexFiles(): Promise<void> {
    await Promise.all([rm(this.indexPath, { force: true }), rm(this.timeIndexPath, { force: true })]);
  }

  async close(): Promise<void> {
    const file = this.file ?? (this.opening !== null ? await this.opening.catch(() => null) : null);
    this.file = null;
    this.opening = null;
    if (file !== null) await file.close();
  }

  /**
   * Renames the files to `*.deleted` so the segment is gone from the log at once while fetches
   * in flight can still read it through the open handle.
   */
  async markDeleted(): Promise<void> {
    this.deleted = true;
    this.renamed = true;
    for (const path of [this.logPath, this.indexPath, this.timeIndexPath]) {
      await rename(path, path + DELETED_SUFFIX).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
  }

  /**
   * Closes the handle and removes the files. Once renamed, only the `*.deleted` names are
   * removed: a new segment may meanwhile have been created under the old name.
   */
  async destroy(): Promise<void> {
    this.deleted = true;
    await this.close();
    const suffix = this.renamed ? DELETED_SUFFIX : '';
    await Promise.all([this.logPath, this.indexPath, this.timeIndexPath].map((p) => rm(p + suffix, { force: true })));
  }
}

export function offsetIndexEntries(config: LogConfig): number {
  return Math.max(1, Math.floor(config.segmentIndexBytes / OFFSET_INDEX_ENTRY_BYTES));
}

export function timeIndexEntries(config: LogConfig): number {
  return Math.max(1, Math.floor(config.segmentIndexBytes / TIME_INDEX_ENTRY_BYTES));
}

/** Index of the last segment whose base offset is <= offset (0 if none). */
export function floorSegment(segments: readonly LogSegment[], offset: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid]!.baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
