/**
 * The crash-safe replacement of compacted segments, as Kafka does it. The cleaner writes the
 * new segment to `<base>.log.cleaned` and fsyncs it; renaming it to `<base>.log.swap` (and
 * fsyncing the directory) is the commit point. The old segments are then renamed to `*.deleted`,
 * the swap file to `<base>.log`, and the old files removed after file.delete.delay.ms.
 *
 * Opening a log finishes what a crash interrupted: a `.cleaned` file was never committed and is
 * removed (the old segments are all still there); a `.swap` file was, so every old segment whose
 * base offset lies in [swap base, swap's next offset) is removed and the swap file renamed into
 * place, as Kafka's LogLoader does. An old segment of the group whose records all went lies past
 * that range and survives such a crash: harmless, since all it holds is records that later ones
 * supersede, tombstones and keyless records; the next pass removes them again.
 *
 * The new segment's `.txnindex` (the aborted transactions whose markers it keeps) is written to
 * `<base>.txnindex.swap` before the commit point and renamed into place, the old segments'
 * `.txnindex` files removed, before the `.log.swap` rename; opening a log completes that too. A
 * `.txnindex.swap` with no `.log.swap` beside it was never committed, or already renamed.
 */
import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BATCH_HEADER_BYTES, BATCH_LENGTH, LAST_OFFSET_DELTA, LOG_OVERHEAD, readInt64 } from '../protocol/records/batch-header.js';
import type { Logger } from '../util/logger.js';
import { type OpenLogFile, readFully, syncDir } from './file.js';
import { TXN_INDEX_SUFFIX } from './producer-state.js';
import { INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, parseSegmentFileName, segmentFileName } from './segment.js';

export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';

/** Header walks over a swap file read this much at a time. */
const SWAP_SCAN_BLOCK_BYTES = 64 * 1024;

export function cleanedPath(dir: string, baseOffset: number): string {
  return join(dir, segmentFileName(baseOffset, LOG_SUFFIX + CLEANED_SUFFIX));
}

export function swapPath(dir: string, baseOffset: number): string {
  return join(dir, segmentFileName(baseOffset, LOG_SUFFIX + SWAP_SUFFIX));
}

export function txnIndexSwapPath(dir: string, baseOffset: number): string {
  return join(dir, segmentFileName(baseOffset, TXN_INDEX_SUFFIX + SWAP_SUFFIX));
}

/**
 * Puts the cleaned segment's `.txnindex` in place: removes the `.txnindex` of every replaced
 * segment and renames `<base>.txnindex.swap` to `<base>.txnindex`. Does nothing without one.
 */
export async function installTxnIndexSwap(dir: string, baseOffset: number, replacedBases: readonly number[]): Promise<void> {
  const swap = txnIndexSwapPath(dir, baseOffset);
  if (!(await readdir(dir)).includes(segmentFileName(baseOffset, TXN_INDEX_SUFFIX + SWAP_SUFFIX))) return;
  for (const b of replacedBases) if (b !== baseOffset) await rm(join(dir, segmentFileName(b, TXN_INDEX_SUFFIX)), { force: true });
  await rename(swap, join(dir, segmentFileName(baseOffset, TXN_INDEX_SUFFIX)));
}

/** Removes uncommitted `.cleaned` files and completes committed `.swap` files; true if it did anything. */
export async function finishInterruptedSwaps(dir: string, openFile: OpenLogFile, logger: Logger): Promise<boolean> {
  const names = await readdir(dir);
  const cleaned = names.filter((n) => n.endsWith(CLEANED_SUFFIX));
  const swaps = names
    .map((n) => /^(\d{20})\.log\.swap$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const txnSwaps = names
    .map((n) => /^(\d{20})\.txnindex\.swap$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));
  if (cleaned.length === 0 && swaps.length === 0 && txnSwaps.length === 0) return false;
  for (const base of txnSwaps) if (!swaps.includes(base)) await rm(txnIndexSwapPath(dir, base), { force: true });
  await Promise.all(cleaned.map((n) => rm(join(dir, n), { force: true })));
  if (cleaned.length > 0) logger.warn('removed the output of an interrupted compaction', { dir, files: cleaned });

  const bases = names.map(parseSegmentFileName).filter((b): b is number => b !== null);
  for (const base of swaps) {
    const end = await nextOffsetOf(swapPath(dir, base), openFile);
    if (end === null) {
      // Never written by the cleaner (it fsyncs before the rename): keep the old segments.
      await rm(swapPath(dir, base), { force: true });
      await rm(txnIndexSwapPath(dir, base), { force: true });
      logger.error('removed a swap file that holds no whole batch', { dir, baseOffset: base });
      continue;
    }
    const replaced = bases.filter((b) => b >= base && b < end);
    await installTxnIndexSwap(dir, base, replaced);
    for (const b of [...replaced, base]) {
      for (const suffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) await rm(join(dir, segmentFileName(b, suffix)), { force: true });
    }
    await rename(swapPath(dir, base), join(dir, segmentFileName(base, LOG_SUFFIX)));
    logger.warn('completed an interrupted compaction swap', { dir, baseOffset: base, nextOffset: end, replacedSegments: replaced });
  }
  await syncDir(dir);
  return true;
}

/** The offset after the last whole batch of the file (by its headers), or null if it has none. */
async function nextOffsetOf(path: string, openFile: OpenLogFile): Promise<number | null> {
  const file = await openFile(path, 'r');
  try {
    const fileBytes = (await file.stat()).size;
    let next: number | null = null;
    let block: Buffer = Buffer.alloc(0);
    let blockStart = 0;
    let pos = 0;
    while (pos + BATCH_HEADER_BYTES <= fileBytes) {
      if (pos + BATCH_HEADER_BYTES > blockStart + block.length) {
        block = await readFully(file, pos, Math.min(SWAP_SCAN_BLOCK_BYTES, fileBytes - pos));
        blockStart = pos;
        if (block.length < BATCH_HEADER_BYTES) break;
      }
      const at = pos - blockStart;
      const size = LOG_OVERHEAD + block.readInt32BE(at + BATCH_LENGTH);
      if (size < BATCH_HEADER_BYTES || pos + size > fileBytes) break;
      next = readInt64(block, at) + block.readInt32BE(at + LAST_OFFSET_DELTA) + 1;
      pos += size;
    }
    return next;
  } finally {
    await file.close();
  }
}
