/**
 * Producer state on disk: `<offset>.snapshot` files (state as of that offset, Kafka's format,
 * see producer-state.ts) and the per-segment `.txnindex` of aborted transactions. Opening a log
 * loads the newest snapshot at or below the log end and replays every batch after it, as Kafka's
 * loadProducerState does, so de-duplication and open transactions survive a crash; the aborted
 * transactions found by the replay are written back to the `.txnindex` files.
 */
import { appendFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ATTRIBUTES,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH,
  CONTROL_BIT,
  LOG_OVERHEAD,
  TRANSACTIONAL_BIT,
  readBatchHeader,
  writeInt64,
} from '../protocol/records/batch-header.js';
import type { Logger } from '../util/logger.js';
import { readFully, writeFileAtomic } from './file.js';
import { type SmallFileReads, asyncReads } from './small-files.js';
import { type AbortedTxn, ProducerStateManager, SNAPSHOT_SUFFIX, TXN_INDEX_ENTRY_BYTES, TXN_INDEX_SUFFIX } from './producer-state.js';
import { type LogSegment, floorSegment, segmentFileName } from './segment.js';

/** Bytes read per step while replaying batch headers after the snapshot. */
const REPLAY_BLOCK_BYTES = 1 << 20;
/** Snapshots kept besides the newest: an older one serves if recovery cuts the log below it. */
const SNAPSHOTS_RETAINED = 2;
const TXN_INDEX_VERSION = 0;

export function snapshotPath(dir: string, offset: number): string {
  return join(dir, segmentFileName(offset, SNAPSHOT_SUFFIX));
}

export function txnIndexPath(dir: string, segmentBase: number): string {
  return join(dir, segmentFileName(segmentBase, TXN_INDEX_SUFFIX));
}

async function listOffsets(dir: string, suffix: string): Promise<number[]> {
  return offsetsIn(await asyncReads.list(dir), suffix);
}

/** The offsets that `<offset><suffix>` names among `names` stand for, in order. */
function offsetsIn(names: readonly string[], suffix: string): number[] {
  const re = new RegExp(`^(\\d{20})\\${suffix}$`);
  const out: number[] = [];
  for (const n of names) {
    const m = re.exec(n);
    if (m !== null) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

/** Writes the state as of `offset` and removes all but the newest few snapshots. */
export async function writeSnapshot(dir: string, offset: number, data: Buffer): Promise<void> {
  await writeFileAtomic(snapshotPath(dir, offset), data);
  const offsets = await listOffsets(dir, SNAPSHOT_SUFFIX);
  const old = offsets.slice(0, Math.max(0, offsets.length - SNAPSHOTS_RETAINED));
  await Promise.all(old.map((o) => rm(snapshotPath(dir, o), { force: true })));
}

/** Removes snapshots above `offset` (after a truncation they describe batches no longer there). */
export async function deleteSnapshotsAbove(dir: string, offset: number): Promise<void> {
  const offsets = await listOffsets(dir, SNAPSHOT_SUFFIX);
  await Promise.all(offsets.filter((o) => o > offset).map((o) => rm(snapshotPath(dir, o), { force: true })));
}

export function encodeTxnIndexEntry(a: AbortedTxn): Buffer {
  const b = Buffer.alloc(TXN_INDEX_ENTRY_BYTES);
  b.writeInt16BE(TXN_INDEX_VERSION, 0);
  writeInt64(b, 2, a.producerId);
  writeInt64(b, 10, a.firstOffset);
  writeInt64(b, 18, a.lastOffset);
  writeInt64(b, 26, a.lastStableOffset);
  return b;
}

export function decodeTxnIndex(buf: Buffer): AbortedTxn[] {
  const out: AbortedTxn[] = [];
  for (let at = 0; at + TXN_INDEX_ENTRY_BYTES <= buf.length; at += TXN_INDEX_ENTRY_BYTES) {
    if (buf.readInt16BE(at) !== TXN_INDEX_VERSION) break;
    out.push({
      producerId: Number(buf.readBigInt64BE(at + 2)),
      firstOffset: Number(buf.readBigInt64BE(at + 10)),
      lastOffset: Number(buf.readBigInt64BE(at + 18)),
      lastStableOffset: Number(buf.readBigInt64BE(at + 26)),
    });
  }
  return out;
}

export async function appendTxnIndexEntry(dir: string, segmentBase: number, a: AbortedTxn): Promise<void> {
  await appendFile(txnIndexPath(dir, segmentBase), encodeTxnIndexEntry(a));
}

/** Control record type from an uncompressed control batch: 0 abort, 1 commit, -1 unreadable. */
export function controlType(batch: Buffer, at: number, size: number): number {
  let p = at + BATCH_HEADER_BYTES;
  const end = at + size;
  const varint = (): number => {
    let v = 0;
    let shift = 0;
    for (let i = 0; i < 5 && p < end; i++) {
      const b = batch[p++]!;
      v |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (v >>> 1) ^ -(v & 1);
      shift += 7;
    }
    return -1;
  };
  varint(); // record length
  p += 1; // attributes
  varint(); // timestamp delta (small for a control record)
  varint(); // offset delta
  const keyLength = varint();
  if (keyLength < 4 || p + 4 > end) return -1;
  return batch.readInt16BE(p + 2);
}

export interface LoadedProducerState {
  state: ProducerStateManager;
  /** The offset of the snapshot loaded, or null when none was. */
  snapshotOffset: number | null;
  /** Where the replay started (the snapshot's offset, or the log start). */
  replayedFrom: number;
  replayedBatches: number;
}

/**
 * Builds a log's producer state: newest usable snapshot, then a replay of the batches after it
 * up to `logEndOffset`; aborted transactions from the `.txnindex` files below the replay point
 * and from the replay after it.
 */
export async function loadProducerState(o: {
  dir: string;
  segments: readonly LogSegment[];
  logStartOffset: number;
  logEndOffset: number;
  expirationMs: number;
  logger: Logger;
  /** The directory's file names, when the caller has just listed it. */
  names?: readonly string[];
  reads?: SmallFileReads;
}): Promise<LoadedProducerState> {
  const reads = o.reads ?? asyncReads;
  const state = new ProducerStateManager(o.expirationMs);
  let replayFrom = o.segments[0]?.baseOffset ?? o.logStartOffset;
  let snapshotOffset: number | null = null;
  const names = o.names ?? (await reads.list(o.dir));
  const snapshots = offsetsIn(names, SNAPSHOT_SUFFIX);
  for (const off of [...snapshots].reverse()) {
    if (off > o.logEndOffset || off < replayFrom) {
      await rm(snapshotPath(o.dir, off), { force: true });
      continue;
    }
    try {
      state.loadSnapshot(await reads.read(snapshotPath(o.dir, off)));
      replayFrom = off;
      snapshotOffset = off;
      break;
    } catch (err) {
      o.logger.warn('ignoring an unreadable producer state snapshot', { file: snapshotPath(o.dir, off), error: err });
      await rm(snapshotPath(o.dir, off), { force: true });
    }
  }

  // Aborted transactions recorded before the replay point.
  const bases = new Set(o.segments.map((s) => s.baseOffset));
  let rewrite = false;
  for (const base of offsetsIn(names, TXN_INDEX_SUFFIX)) {
    if (!bases.has(base)) {
      await rm(txnIndexPath(o.dir, base), { force: true });
      continue;
    }
    for (const a of decodeTxnIndex(await reads.read(txnIndexPath(o.dir, base)))) {
      if (a.lastOffset < replayFrom) state.addAborted(a);
      else rewrite = true;
    }
  }

  let replayed = 0;
  for (const seg of o.segments) {
    if (seg.nextOffset <= replayFrom || seg.writtenBytes === 0) continue;
    const file = await seg.handle();
    let pos = 0;
    while (pos + BATCH_HEADER_BYTES <= seg.writtenBytes) {
      const block = await readFully(file, pos, Math.min(REPLAY_BLOCK_BYTES, seg.writtenBytes - pos));
      let at = 0;
      while (at + BATCH_HEADER_BYTES <= block.length) {
        const size = LOG_OVERHEAD + block.readInt32BE(at + BATCH_LENGTH);
        const h = readBatchHeader(block, at);
        const attributes = block.readInt16BE(at + ATTRIBUTES);
        const isControl = (attributes & CONTROL_BIT) !== 0;
        if (isControl && at + size > block.length) break; // read the whole marker in the next block
        if (h.baseOffset + h.lastOffsetDelta >= replayFrom && h.producerId >= 0) {
          const aborted = state.replay(
            {
              producerId: h.producerId, producerEpoch: h.producerEpoch, baseSequence: h.baseSequence, offsetDelta: h.lastOffsetDelta,
              isTransactional: (attributes & TRANSACTIONAL_BIT) !== 0, isControl, maxTimestamp: h.maxTimestamp, baseOffset: h.baseOffset,
            },
            () => controlType(block, at, size) === 1,
            h.baseOffset,
          );
          if (aborted !== null) rewrite = true;
          replayed++;
        }
        at += size;
      }
      if (at === 0) break; // a batch larger than the block that is not a marker cannot be here
      pos += at;
    }
  }
  state.firstUnstableOffset(o.logEndOffset);
  state.truncateHead(o.logStartOffset);
  if (rewrite) await rewriteTxnIndexes(o.dir, o.segments, state.allAborted());
  return { state, snapshotOffset, replayedFrom: replayFrom, replayedBatches: replayed };
}

/** Replaces one segment's `.txnindex` with `aborted`, synced. */
export async function writeTxnIndex(dir: string, segmentBase: number, aborted: readonly AbortedTxn[]): Promise<void> {
  await writeFileAtomic(txnIndexPath(dir, segmentBase), Buffer.concat(aborted.map(encodeTxnIndexEntry)));
}

/** Writes every segment's `.txnindex` from the aborted transactions (each in its marker's segment). */
export async function rewriteTxnIndexes(dir: string, segments: readonly LogSegment[], aborted: readonly AbortedTxn[]): Promise<void> {
  const bySegment = new Map<number, Buffer[]>();
  for (const a of aborted) {
    const base = segments[floorSegment(segments, a.lastOffset)]!.baseOffset;
    let list = bySegment.get(base);
    if (list === undefined) bySegment.set(base, (list = []));
    list.push(encodeTxnIndexEntry(a));
  }
  for (const seg of segments) {
    const list = bySegment.get(seg.baseOffset);
    if (list === undefined) await rm(txnIndexPath(dir, seg.baseOffset), { force: true });
    else await writeFileAtomic(txnIndexPath(dir, seg.baseOffset), Buffer.concat(list));
  }
}
