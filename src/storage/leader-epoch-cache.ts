/**
 * The leader epoch cache of one partition, as Kafka's LeaderEpochFileCache: for each leader
 * epoch that wrote to the log, the offset of its first batch, ascending in both. Followers and
 * consumers ask it where an epoch ended (OffsetForLeaderEpoch, Fetch's diverging epoch) to find
 * out what to truncate after a failover.
 *
 * Persisted in the partition directory as `leader-epoch-checkpoint`, Kafka's text format:
 * `0` (version), the entry count, then one `epoch startOffset` line per entry. Every change is
 * written whole through a synced temporary file and a rename; writes are queued one after the
 * other, each writing the entries as they are when it runs.
 */
import { join } from 'node:path';
import { assert } from '../util/assert.js';
import type { Logger } from '../util/logger.js';
import { syncDir, writeFileAtomic } from './file.js';
import type { LogSegment } from './segment.js';
import { scanHeaders } from './segment-scan.js';
import { type SmallFileReads, asyncReads } from './small-files.js';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';
const CHECKPOINT_VERSION = 0;
/** What OffsetForLeaderEpoch answers for an epoch it cannot place (Kafka's UNDEFINED_EPOCH and _OFFSET). */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export interface EpochEndOffset {
  leaderEpoch: number;
  endOffset: number;
}

/** Kafka's checkpoint text for `entries`. */
export function encodeLeaderEpochCheckpoint(entries: readonly EpochEntry[]): string {
  return `${CHECKPOINT_VERSION}\n${entries.length}\n${entries.map((e) => `${e.epoch} ${e.startOffset}\n`).join('')}`;
}

/** Parses Kafka's checkpoint text; throws with the reason when it is malformed. */
export function decodeLeaderEpochCheckpoint(text: string): EpochEntry[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 2) throw new Error(`${lines.length} lines are too few for a checkpoint`);
  if (lines[0]!.trim() !== String(CHECKPOINT_VERSION)) throw new Error(`unrecognised checkpoint version ${JSON.stringify(lines[0])}`);
  const count = Number(lines[1]!.trim());
  if (!Number.isSafeInteger(count) || count < 0) throw new Error(`bad entry count ${JSON.stringify(lines[1])}`);
  if (lines.length - 2 !== count) throw new Error(`expected ${count} entries but found ${lines.length - 2}`);
  return lines.slice(2).map((line) => {
    const parts = line.trim().split(/\s+/);
    const epoch = Number(parts[0]);
    const startOffset = Number(parts[1]);
    if (parts.length !== 2 || !Number.isSafeInteger(epoch) || epoch < 0 || !Number.isSafeInteger(startOffset) || startOffset < 0) {
      throw new Error(`malformed entry ${JSON.stringify(line)}`);
    }
    return { epoch, startOffset };
  });
}

/** The checkpoint's entries; null when there is no file; throws when it cannot be parsed. */
export async function readLeaderEpochCheckpoint(dir: string, reads: SmallFileReads = asyncReads): Promise<EpochEntry[] | null> {
  let text: string;
  try {
    text = (await reads.read(join(dir, LEADER_EPOCH_CHECKPOINT))).toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return decodeLeaderEpochCheckpoint(text);
}

export class LeaderEpochCache {
  private entries: EpochEntry[];
  private writes: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  /** The file's text as last read or written: a write of the same text is skipped. */
  onDisk: string | null = null;

  /** `dir` null: memory only (nothing is written). `onWriteError` hears of each failed write. */
  constructor(
    private readonly dir: string | null,
    initial: readonly EpochEntry[] = [],
    private readonly onWriteError: (err: unknown) => void = () => undefined,
  ) {
    this.entries = [];
    for (const e of initial) this.put(e);
  }

  /** The entries, oldest epoch first. */
  get all(): readonly EpochEntry[] {
    return this.entries;
  }

  get latestEpoch(): number | null {
    return this.entries[this.entries.length - 1]?.epoch ?? null;
  }

  get earliest(): EpochEntry | undefined {
    return this.entries[0];
  }

  /**
   * Records that `epoch` starts at `startOffset`, as Kafka's assign: nothing changes when it is
   * the latest epoch already and starts no later; otherwise every entry with an epoch at least
   * `epoch` or a start at least `startOffset` is removed first, so both stay ascending. Returns
   * whether the cache changed (and a write was queued).
   */
  assign(epoch: number, startOffset: number): boolean {
    assert(Number.isSafeInteger(epoch) && epoch >= 0 && Number.isSafeInteger(startOffset) && startOffset >= 0, `bad epoch entry ${epoch}@${startOffset}`);
    if (!this.put({ epoch, startOffset })) return false;
    this.persist();
    return true;
  }

  /**
   * Kafka's endOffsetFor: for the latest epoch, the log end; for an older one, the largest epoch
   * at most `requestedEpoch` and the start of the next higher epoch (the requested epoch itself
   * when it is below every cached one); UNDEFINED (-1, -1) for UNDEFINED_EPOCH, an empty cache
   * or an epoch above the latest.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): EpochEndOffset {
    const undefinedResult = { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === UNDEFINED_EPOCH) return undefinedResult;
    const latest = this.latestEpoch;
    if (latest !== null && latest === requestedEpoch) return { leaderEpoch: requestedEpoch, endOffset: logEndOffset };
    const higher = this.entries.findIndex((e) => e.epoch > requestedEpoch);
    if (higher < 0) return undefinedResult;
    const floor = higher === 0 ? null : this.entries[higher - 1]!;
    // Below every cached epoch: its data is gone; the follower replicates from the first one's start.
    if (floor === null) return { leaderEpoch: requestedEpoch, endOffset: this.entries[higher]!.startOffset };
    return { leaderEpoch: floor.epoch, endOffset: this.entries[higher]!.startOffset };
  }

  /** The epoch whose range holds `offset` (Kafka's epochForOffset), null when it is before every entry. */
  epochForOffset(offset: number): number | null {
    let found: number | null = null;
    for (const e of this.entries) {
      if (e.startOffset > offset) break;
      found = e.epoch;
    }
    return found;
  }

  /** Removes the entries starting at or after `endOffset` (a truncation of the log to it). */
  truncateFromEnd(endOffset: number): boolean {
    const last = this.entries[this.entries.length - 1];
    if (endOffset < 0 || last === undefined || last.startOffset < endOffset) return false;
    this.entries = this.entries.filter((e) => e.startOffset < endOffset);
    this.persist();
    return true;
  }

  /**
   * The log start moved to `startOffset`: entries starting at or before it are replaced by the
   * last of them, moved to start there (Kafka's truncateFromStart).
   */
  truncateFromStart(startOffset: number): boolean {
    let n = 0;
    while (n < this.entries.length && this.entries[n]!.startOffset <= startOffset) n++;
    if (n === 0) return false;
    const kept = { epoch: this.entries[n - 1]!.epoch, startOffset };
    if (n === 1 && this.entries[0]!.startOffset === startOffset) return false;
    this.entries = [kept, ...this.entries.slice(n)];
    this.persist();
    return true;
  }

  /** Forgets every entry (a log emptied and started afresh). */
  clear(): void {
    if (this.entries.length === 0) return;
    this.entries = [];
    this.persist();
  }

  /** Resolves once every write queued so far is on disk; rejects if one failed. */
  async flushed(): Promise<void> {
    await this.writes;
    if (this.failure !== null) throw this.failure;
  }

  /** Adds an entry by the assign rules without writing (see assign); whether it changed the cache. */
  put(e: EpochEntry): boolean {
    const latest = this.entries[this.entries.length - 1];
    if (latest !== undefined && latest.epoch === e.epoch && latest.startOffset <= e.startOffset) return false;
    // Lists are replaced, never mutated: a caller holding `all` keeps what it read.
    let keep = this.entries.length;
    while (keep > 0) {
      const last = this.entries[keep - 1]!;
      if (last.epoch < e.epoch && last.startOffset < e.startOffset) break;
      keep--;
    }
    this.entries = [...this.entries.slice(0, keep), e];
    return true;
  }

  /** Queues a write of the entries as they are when it runs. */
  persist(): void {
    const dir = this.dir;
    if (dir === null) return;
    this.writes = this.writes.then(async () => {
      const text = encodeLeaderEpochCheckpoint(this.entries);
      if (text === this.onDisk && this.failure === null) return;
      try {
        await writeFileAtomic(join(dir, LEADER_EPOCH_CHECKPOINT), text);
        await syncDir(dir);
        this.onDisk = text;
        this.failure = null;
      } catch (err) {
        // The next change writes every entry again; until one succeeds, flushed() reports this.
        this.failure = err;
        this.onWriteError(err);
      }
    });
  }
}

/**
 * A log's cache as it opens: the checkpoint (none: empty, as Kafka leaves it), the epochs that
 * recovery saw start added where newer than the latest (Kafka's LogSegment.recover), then
 * trimmed to the log's range. A checkpoint that cannot be parsed is rebuilt from the batches'
 * own partition leader epochs, read from every segment's headers.
 */
export async function openLeaderEpochCache(o: {
  dir: string;
  segments: readonly LogSegment[];
  logStartOffset: number;
  logEndOffset: number;
  recoveredEpochs: readonly EpochEntry[];
  logger: Logger;
  reads?: SmallFileReads;
}): Promise<LeaderEpochCache> {
  const onWriteError = (err: unknown): void => o.logger.error('could not write the leader epoch checkpoint', { dir: o.dir, error: err });
  let initial: EpochEntry[] | null;
  let rebuilt = false;
  try {
    initial = await readLeaderEpochCheckpoint(o.dir, o.reads);
  } catch (err) {
    o.logger.warn('the leader epoch checkpoint cannot be read; rebuilding it from the batches', { dir: o.dir, error: err });
    initial = await epochsInSegments(o.segments);
    rebuilt = true;
  }
  const cache = new LeaderEpochCache(o.dir, [], onWriteError);
  for (const e of initial ?? []) cache.put(e);
  if (initial !== null && !rebuilt) cache.onDisk = encodeLeaderEpochCheckpoint(initial);
  let changed = rebuilt;
  for (const e of o.recoveredEpochs) {
    const latest = cache.latestEpoch;
    if (latest === null || e.epoch > latest) changed = cache.put(e) || changed;
  }
  if (changed) cache.persist();
  cache.truncateFromEnd(o.logEndOffset);
  cache.truncateFromStart(o.logStartOffset);
  return cache;
}

/** Where each partition leader epoch starts in the segments (negative epochs left out). */
async function epochsInSegments(segments: readonly LogSegment[]): Promise<EpochEntry[]> {
  const out: EpochEntry[] = [];
  for (const seg of segments) {
    for await (const b of scanHeaders(seg, 0, seg.writtenBytes)) {
      const latest = out[out.length - 1];
      if (b.partitionLeaderEpoch >= 0 && (latest === undefined || b.partitionLeaderEpoch > latest.epoch)) out.push({ epoch: b.partitionLeaderEpoch, startOffset: b.baseOffset });
    }
  }
  return out;
}
