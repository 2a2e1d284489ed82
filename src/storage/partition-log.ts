/**
 * A partition's log: segments of record batches in Kafka's disk format, with offsets assigned in
 * one synchronous turn (one owner per partition), writes group-committed by a per-partition
 * queue (log-writer.ts), reads served as whole stored batches, and retention by time and size.
 *
 * Order of an append: check the roll rules → roll (seal the old segment in the background) →
 * patch baseOffset / leader epoch (and LogAppendTime + CRC) in place → index in memory → advance
 * the log end → queue the write → writev → fdatasync if flush.messages is reached → advance the
 * high watermark → resolve.
 */
import { rm } from 'node:fs/promises';
import { assert } from '../util/assert.js';
import { countOffsets, placeBatches } from './batch-patch.js';
import { writeCleanShutdownMarker, writeLogStartOffset } from './checkpoint.js';
import { type CleanerHost, type CompactOptions, type CompactionResult, type CompactionStatus, CompactionState } from './cleaner.js';
import { type LogConfig, rollConfig } from './config.js';
import { ErrorCode, StorageError, offsetOutOfRange, storageFailure } from './errors.js';
import { openLogFile, syncDir } from './file.js';
import { FlushScheduler } from './flush-scheduler.js';
import { checkReplicatedBatches, placeReplicatedBatches, replayReplicated } from './follower-append.js';
import { type EpochEndOffset, type EpochEntry, type LeaderEpochCache, UNDEFINED_EPOCH_OFFSET, openLeaderEpochCache } from './leader-epoch-cache.js';
import type { SegmentSummary } from './legacy-offsets.js';
import { type LoadOptions, loadLog } from './log-loader.js';
import type { AppendOptions, AppendResult, ControlAppend, LogStats, PartitionLogDeps, ReadOptions, ReadResult } from './log-types.js';
import { LogWriter, type PendingAppend } from './log-writer.js';
import { type RetentionRule, SegmentDeleter, deletablePrefix } from './retention.js';
import { LogSegment, type SegmentDeps, floorSegment } from './segment.js';
import { encodeControlBatch } from '../protocol/records/record-batch.js';
import { BATCH_LENGTH, LAST_OFFSET_DELTA, LOG_OVERHEAD, readBatchHeader, CONTROL_BIT, TRANSACTIONAL_BIT, readInt64, BASE_OFFSET } from '../protocol/records/batch-header.js';
import { PRODUCER_BATCHES_RETAINED, PRODUCER_ID_EXPIRATION_MS_DEFAULT, type ProducerBatch, ProducerStateError, type ProducerStateManager } from './producer-state.js';
import { appendTxnIndexEntry, controlType, deleteSnapshotsAbove, rewriteTxnIndexes, txnIndexPath, writeTxnIndex, loadProducerState, writeSnapshot } from './producer-state-io.js';
import { ensureIndexes, findMaxTimestampRecord, findOffsetInSegments, firstBatchTimestamp, readSegments, truncateSegmentTo } from './segment-scan.js';
import type { TimestampOffset } from './time-index.js';
import { LOG_FLUSH_TIMES_MS } from './flush-stats.js';

export type { AppendOptions, AppendResult, ControlAppend, LogStats, PartitionLogDeps, ReadOptions, ReadResult } from './log-types.js';

/** How often an append checks for producers idle past producer.id.expiration.ms. */
const PRODUCER_EXPIRY_CHECK_MS = 60_000;

export class PartitionLog {
  readonly stats: LogStats;
  private segments: LogSegment[];
  private startOffset: number;
  /** The next offset to assign. */
  private endOffset: number;
  /** The offset after the last batch the file holds; reads never go past it. */
  private writtenEnd: number;
  private hwm: number;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private offlineReason: string | null = null;
  private closing: Promise<void> | null = null;
  private truncating = false;
  private readonly flusher: FlushScheduler;
  private failedSegments: LogSegment[] = [];
  private checkpointChain: Promise<void> = Promise.resolve();
  private readonly writer: LogWriter;
  private readonly deleter: SegmentDeleter;
  private followLogEnd: boolean;
  // The leader epoch cache (leader-epoch-cache.ts): changed in the turn of the append, truncation
  // or start move that changes the log; its checkpoint is written behind.
  private readonly epochs: LeaderEpochCache;
  // Log compaction (cleaner.ts): its per-log state; the lock that keeps retention, DeleteRecords
  // and truncation away from a segment swap; the seals of rolled segments a pass waits for; and
  // the roll settings, in which max.compaction.lag.ms also bounds segment.ms.
  private readonly compaction: CompactionState;
  private segmentLock: Promise<void> = Promise.resolve();
  private readonly seals = new Set<Promise<void>>();
  private rollCfg: LogConfig;
  // Producer state (idempotence, transactions): checked and updated in the append's turn.
  private producers: ProducerStateManager;
  private lastExpiryMs: number;
  private txnIndexChain: Promise<void> = Promise.resolve();
  // What the files on disk held when the log opened, so that closing a log nothing changed
  // writes nothing; and who keeps the clean-shutdown marker (see open).
  private opened: OpenedState | null = null;
  private cleanClose = false;

  private constructor(
    readonly dir: string,
    private cfg: LogConfig,
    private readonly deps: PartitionLogDeps,
    private readonly segDeps: SegmentDeps,
    loaded: { segments: LogSegment[]; logStartOffset: number; truncatedBytes: number },
    producers: ProducerStateManager,
    epochs: LeaderEpochCache,
    restoredHighWatermark: number | undefined,
  ) {
    this.producers = producers;
    this.epochs = epochs;
    this.lastExpiryMs = deps.clock.now();
    this.segments = loaded.segments;
    this.startOffset = loaded.logStartOffset;
    this.endOffset = this.active.nextOffset;
    this.writtenEnd = this.endOffset;
    this.followLogEnd = deps.highWatermarkFollowsLogEnd ?? true;
    // Under a replica manager, the high watermark starts where the log dir's checkpoint left it
    // (Kafka: 0 without one), within the log's range.
    this.hwm = this.followLogEnd ? this.endOffset : Math.min(Math.max(restoredHighWatermark ?? 0, this.startOffset), this.endOffset);
    this.compaction = new CompactionState(this.cleanerHost());
    this.rollCfg = rollConfig(cfg);
    this.deleter = new SegmentDeleter(deps.clock, deps.logger);
    this.flusher = new FlushScheduler(deps.clock, dir, () => {
      this.flush().catch((err: unknown) => this.deps.logger.warn('scheduled flush failed', { dir: this.dir, error: err }));
    });
    this.stats = { appends: 0, writes: 0, bytesWritten: 0, flushes: 0, rolls: 0, writeErrors: 0, recoveredTruncatedBytes: loaded.truncatedBytes };
    this.writer = new LogWriter({
      written: (g) => this.onWritten(g),
      wantsFlush: () => this.flusher.wantsFlush(this.cfg),
      syncAll: () => this.syncAll(),
      committed: (g) => {
        if (this.followLogEnd) this.raiseHighWatermark(g[g.length - 1]!.endOffset);
      },
      undo: (g, rest, err, during) => this.undoFailedWrite(g, rest, err, during),
      repair: (g) => this.repairFailedWrite(g),
      broken: (err) => this.goOffline('the write queue failed', err),
    });
  }

  /**
   * Opens (or creates) the log in `dir`. A log manager passes `logDirClean`: it keeps one
   * clean-shutdown marker for the whole log dir, so this log's close writes none of its own and
   * `closedCleanly` tells the manager whether it may write the log dir's. Without it, the log
   * keeps its own marker in `dir`.
   */
  static async open(dir: string, config: LogConfig, deps: PartitionLogDeps, opts: LoadOptions = {}): Promise<PartitionLog> {
    const segDeps: SegmentDeps = { openFile: deps.openFile ?? openLogFile, logger: deps.logger };
    const loaded = await loadLog(dir, config, segDeps, deps.clock.now(), opts);
    const last = loaded.segments[loaded.segments.length - 1]!;
    const ps = await loadProducerState({
      dir, segments: loaded.segments, logStartOffset: loaded.logStartOffset, logEndOffset: last.nextOffset,
      expirationMs: deps.producerIdExpirationMs ?? PRODUCER_ID_EXPIRATION_MS_DEFAULT, logger: deps.logger, names: loaded.names, reads: opts.reads,
    });
    const epochs = await openLeaderEpochCache({
      dir, segments: loaded.segments, logStartOffset: loaded.logStartOffset, logEndOffset: last.nextOffset,
      recoveredEpochs: loaded.recoveredEpochs, logger: deps.logger, reads: opts.reads,
    });
    const log = new PartitionLog(dir, config, deps, segDeps, loaded, ps.state, epochs, opts.highWatermark);
    const active = log.active;
    log.opened = {
      active, endOffset: active.nextOffset, indexesOnDisk: loaded.indexesOnDisk, snapshotOffset: ps.snapshotOffset,
      checkpoint: loaded.checkpoint, ownMarker: opts.logDirClean === undefined,
    };
    if (active.writtenBytes > 0) {
      // segment.ms counts from the first batch's timestamp after a restart, as in Kafka; the
      // open read it unless it had no reason to read the segment from its start.
      const ts = loaded.firstBatchTimestamp ?? (await firstBatchTimestamp(active));
      active.rollStartMs = ts >= 0 ? ts : deps.clock.now();
    }
    return log;
  }

  /** The settings in force (change them with updateConfig). */
  get config(): Readonly<LogConfig> {
    return this.cfg;
  }

  get logStartOffset(): number {
    return this.startOffset;
  }

  get logEndOffset(): number {
    return this.endOffset;
  }

  get highWatermark(): number {
    return this.hwm;
  }

  /** Whether the log moves its high watermark to its log end after each write (else a replica manager does). */
  get highWatermarkFollowsLogEnd(): boolean {
    return this.followLogEnd;
  }

  /**
   * Switches who moves the high watermark: on, the log moves it to what is written now and after
   * every write; off, only `updateHighWatermark` moves it (one broker may lead partitions of
   * replication factor 1 and replicate others).
   */
  setHighWatermarkFollowsLogEnd(follow: boolean): void {
    this.followLogEnd = follow;
    if (follow) this.raiseHighWatermark(this.writtenEnd);
  }

  /**
   * A replica manager moves the high watermark: clamped to [log start, log end] and never
   * backwards (only a truncation lowers it). Returns the high watermark now.
   */
  updateHighWatermark(offset: number): number {
    assert(Number.isSafeInteger(offset), `bad high watermark ${offset}`);
    this.raiseHighWatermark(Math.min(Math.max(offset, this.startOffset), this.endOffset));
    return this.hwm;
  }

  /** The newest leader epoch that wrote to this log (or became its leader), null when none is known. */
  get latestEpoch(): number | null {
    return this.epochs.latestEpoch;
  }

  /** The leader epoch cache's entries, oldest first. */
  get leaderEpochEntries(): readonly EpochEntry[] {
    return this.epochs.all;
  }

  /**
   * Records that `epoch` starts at `startOffset` (default: the log end), as Kafka's leader does
   * when it takes over; nothing changes if the cache already has it.
   */
  maybeAssignEpochStartOffset(epoch: number, startOffset = this.endOffset): void {
    this.epochs.assign(epoch, startOffset);
  }

  /** The leader epoch that wrote `offset` as the cache knows it (ListOffsets), null when unknown. */
  epochForOffset(offset: number): number | null {
    return this.epochs.epochForOffset(offset);
  }

  /** Resolves once the leader epoch checkpoint holds every change made so far. */
  leaderEpochsFlushed(): Promise<void> {
    return this.epochs.flushed();
  }

  /**
   * Where `leaderEpoch` ended in this log (Kafka's UnifiedLog.endOffsetForEpoch): the largest
   * cached epoch at most it and the start of the next one, or the log end for the latest epoch;
   * null when the cache cannot place it.
   */
  endOffsetForEpoch(leaderEpoch: number): EpochEndOffset | null {
    const found = this.epochs.endOffsetFor(leaderEpoch, this.endOffset);
    return found.endOffset === UNDEFINED_EPOCH_OFFSET ? null : found;
  }

  /**
   * Kafka's Partition.fetchRecords check (KIP-320/595) for a fetch at `fetchOffset` whose last
   * fetched batch had `lastFetchedEpoch`: null when the fetcher's log is a prefix of this one,
   * else the epoch and end offset it must truncate to. OFFSET_OUT_OF_RANGE when the epoch cannot
   * be placed or the offset is below the log start.
   */
  divergingEpoch(lastFetchedEpoch: number, fetchOffset: number): { epoch: number; endOffset: number } | null {
    const found = this.endOffsetForEpoch(lastFetchedEpoch);
    if (found === null || found.leaderEpoch < 0) {
      throw new StorageError(ErrorCode.OFFSET_OUT_OF_RANGE, `the end offset of the last fetched epoch ${lastFetchedEpoch} is not known in ${this.dir}`);
    }
    if (fetchOffset < this.startOffset) throw offsetOutOfRange(fetchOffset, this.startOffset, this.endOffset);
    if (found.leaderEpoch < lastFetchedEpoch || found.endOffset < fetchOffset) return { epoch: found.leaderEpoch, endOffset: found.endOffset };
    return null;
  }

  /** The first offset of the earliest transaction not yet decided and stable, else the high watermark. */
  get lastStableOffset(): number {
    const first = this.producers.firstUnstableOffset(this.hwm);
    return first === null ? this.hwm : Math.min(first, this.hwm);
  }

  /** The producers this partition knows (DescribeProducers, tests). */
  get producerState(): ProducerStateManager {
    return this.producers;
  }

  set highWatermark(offset: number) {
    assert(Number.isSafeInteger(offset), `bad high watermark ${offset}`);
    this.hwm = Math.min(Math.max(offset, this.startOffset), this.endOffset);
  }

  /** Bytes of all segments, including appends still queued. */
  get size(): number {
    return this.segments.reduce((n, s) => n + s.size, 0);
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Base offsets of the segments, oldest first. */
  get segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }

  /** Each segment's base offset, last modification and size, oldest first (ListOffsets v0). */
  get segmentSummaries(): SegmentSummary[] {
    return this.segments.map((s) => ({ baseOffset: s.baseOffset, lastModifiedMs: s.lastModifiedMs, size: s.size }));
  }

  get isOffline(): boolean {
    return this.offlineReason !== null;
  }

  private get active(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  /**
   * Appends already-validated batches. Offsets are assigned and the batches patched before the
   * first await; the promise resolves once the bytes are written (and synced, per flush.messages).
   */
  async append(batches: Buffer, opts: AppendOptions): Promise<AppendResult> {
    this.checkWritable();
    assert(!this.truncating, 'append while the log is being truncated');
    // As Kafka's UnifiedLog.append: one append must fit in a segment.
    if (batches.length > this.cfg.segmentBytes) {
      throw new StorageError(ErrorCode.RECORD_LIST_TOO_LARGE, `The record batches are ${batches.length} bytes, more than segment.bytes (${this.cfg.segmentBytes}).`);
    }
    const now = this.deps.clock.now();
    if (now - this.lastExpiryMs >= PRODUCER_EXPIRY_CHECK_MS) {
      this.lastExpiryMs = now;
      this.producers.expire(now);
    }
    const pbs = producerBatchesOf(batches);
    let staged;
    try {
      staged = this.producers.stage(pbs, opts.verificationGuards);
    } catch (err) {
      if (err instanceof ProducerStateError) throw new StorageError(err.code, err.message);
      throw err;
    }
    if (staged.kind === 'duplicate') {
      // A retry of a batch already placed: answer with its offsets once it is written.
      await this.writer.waitFor(staged.lastOffset + 1);
      this.checkWritable();
      // The original's write may have failed meanwhile (and been undone): then so does the retry.
      // (A full list may simply have moved past it: newer batches of the producer were written.)
      const entry = this.producers.entry(pbs.find((b) => b.producerId >= 0)!.producerId);
      const kept = entry?.batches.some((m) => m.firstOffset === staged.firstOffset) === true;
      if (!kept && (entry?.batches.length ?? 0) < PRODUCER_BATCHES_RETAINED) {
        throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `the write of the batch at offset ${staged.firstOffset} that this retry repeats failed; retry again`);
      }
      return { baseOffset: staged.firstOffset, lastOffset: staged.lastOffset, logAppendTimeMs: -1, logStartOffset: this.startOffset, duplicate: true };
    }
    const placed = this.place(batches, opts, now);
    const firsts = batchBaseOffsets(batches);
    this.producers.commit(staged, firsts);
    // Control batches appended as data (a follower copying its leader) end their transactions.
    pbs.forEach((b, i) => {
      if (!b.isControl || b.producerId < 0) return;
      const at = batchPositions(batches)[i]!;
      const commit = controlType(batches, at, LOG_OVERHEAD + batches.readInt32BE(at + BATCH_LENGTH)) === 1;
      this.producers.completeTxn({ producerId: b.producerId, producerEpoch: b.producerEpoch, coordinatorEpoch: -1, commit, markerOffset: firsts[i]!, timestampMs: b.maxTimestamp, lastStableOffset: this.lastStableOffset });
    });
    await placed.written;
    return placed.result;
  }

  /**
   * Appends batches copied from the leader (Kafka's appendAsFollower), byte for byte: the
   * offsets, leader epochs and timestamps the leader gave them are kept, the epoch cache learns
   * each batch's epoch, and the producer state replays them without the checks that could refuse
   * the leader's data; markers end their transactions (aborts reach the `.txnindex`). The first
   * batch may not start below the log end (UnexpectedAppendOffsetError: truncate first); it may
   * start above it, where compaction on the leader removed whole batches. Never moves the high
   * watermark (unless the log follows its end). Offsets are placed before the first await.
   */
  async appendAsFollower(batches: Buffer): Promise<{ firstOffset: number; lastOffset: number }> {
    this.checkWritable();
    assert(!this.truncating, 'append while the log is being truncated');
    const infos = checkReplicatedBatches(batches, this.endOffset);
    if (batches.length > this.cfg.segmentBytes) {
      throw new StorageError(ErrorCode.RECORD_LIST_TOO_LARGE, `The replicated batches are ${batches.length} bytes, more than segment.bytes (${this.cfg.segmentBytes}).`);
    }
    const now = this.deps.clock.now();
    const priorEnd = this.endOffset;
    const firstOffset = infos[0]!.baseOffset;
    const lastOffset = infos[infos.length - 1]!.lastOffset;
    let seg = this.active;
    if (seg.shouldRoll(batches.length, lastOffset, now, this.rollCfg)) seg = this.roll(now);
    const mark = seg.mark();
    seg.rollStartMs ??= now;
    const records = placeReplicatedBatches(infos, seg, this.cfg.indexIntervalBytes);
    this.endOffset = lastOffset + 1;
    this.stats.appends++;
    let newEpoch = false;
    for (const b of infos) if (b.partitionLeaderEpoch >= 0) newEpoch = this.epochs.assign(b.partitionLeaderEpoch, b.baseOffset) || newEpoch;
    const aborts = replayReplicated(this.producers, batches, infos, this.lastStableOffset);
    const segmentBase = seg.baseOffset;
    // baseOffset is where an undone write puts the log end back: the end before this append.
    const appended = { segment: seg, buffers: [batches], bytes: batches.length, records, baseOffset: priorEnd, endOffset: this.endOffset, mark };
    await this.withEpochsFlushed(this.writer.enqueueAppend(appended), newEpoch);
    for (const aborted of aborts) {
      this.txnIndexChain = this.txnIndexChain
        .then(() => appendTxnIndexEntry(this.dir, segmentBase, aborted))
        .catch((err: unknown) => this.deps.logger.warn('could not append to the transaction index; recovery rebuilds it', { dir: this.dir, error: err }));
    }
    if (aborts.length > 0) await this.txnIndexChain;
    return { firstOffset, lastOffset };
  }

  /**
   * Writes a transaction marker (COMMIT or ABORT control batch) for the coordinator and ends the
   * producer's transaction on this partition; an abort is recorded in the segment's `.txnindex`.
   */
  async appendControl(m: ControlAppend): Promise<{ offset: number }> {
    this.checkWritable();
    assert(!this.truncating, 'append while the log is being truncated');
    try {
      this.producers.checkMarker(m.producerId, m.producerEpoch, m.coordinatorEpoch);
    } catch (err) {
      if (err instanceof ProducerStateError) throw new StorageError(err.code, err.message);
      throw err;
    }
    const batch = encodeControlBatch({ producerId: m.producerId, producerEpoch: m.producerEpoch, commit: m.commit, coordinatorEpoch: m.coordinatorEpoch, timestamp: m.timestampMs });
    const placed = this.place(batch, { leaderEpoch: m.leaderEpoch ?? this.epochs.latestEpoch ?? 0 }, this.deps.clock.now());
    const offset = placed.result.baseOffset;
    const lso = this.producers.lastStableOffsetAfterMarker(m.producerId, offset);
    const aborted = this.producers.completeTxn({ ...m, markerOffset: offset, lastStableOffset: lso });
    const segmentBase = this.segments[floorSegment(this.segments, offset)]!.baseOffset;
    await placed.written;
    if (aborted !== null) {
      this.txnIndexChain = this.txnIndexChain
        .then(() => appendTxnIndexEntry(this.dir, segmentBase, aborted))
        .catch((err: unknown) => this.deps.logger.warn('could not append to the transaction index; recovery rebuilds it', { dir: this.dir, error: err }));
      await this.txnIndexChain;
    }
    return { offset };
  }

  /** Assigns offsets and queues the write, in the caller's turn. */
  private place(batches: Buffer, opts: AppendOptions, now: number): { result: AppendResult; written: Promise<void> } {
    const offsets = countOffsets(batches);
    const appendTimeMs = this.cfg.messageTimestampType === 'LogAppendTime' ? (opts.appendTimeMs ?? now) : -1;
    const baseOffset = this.endOffset;
    let seg = this.active;
    if (seg.shouldRoll(batches.length, baseOffset + offsets - 1, now, this.rollCfg)) seg = this.roll(now);
    const mark = seg.mark();
    seg.rollStartMs ??= now;
    const placing = { leaderEpoch: opts.leaderEpoch, appendTimeMs, indexIntervalBytes: this.cfg.indexIntervalBytes };
    const { records, nextOffset: next } = placeBatches(batches, seg, baseOffset, placing);
    this.endOffset = next;
    this.stats.appends++;
    // A new epoch's first offset is in the checkpoint before the append is answered, as in Kafka.
    const newEpoch = opts.leaderEpoch >= 0 && this.epochs.assign(opts.leaderEpoch, baseOffset);
    const appended = { segment: seg, buffers: [batches], bytes: batches.length, records, baseOffset, endOffset: next, mark };
    const written = this.withEpochsFlushed(this.writer.enqueueAppend(appended), newEpoch);
    return { written, result: { baseOffset, lastOffset: next - 1, logAppendTimeMs: appendTimeMs, logStartOffset: this.startOffset } };
  }

  /**
   * Whole stored batches from the one holding `fetchOffset`, never decoded. Data still queued
   * for the disk is waited for, so nothing below the high watermark is ever missing.
   */
  async read(fetchOffset: number, maxBytes: number, opts: ReadOptions = {}): Promise<ReadResult> {
    this.checkReadable(fetchOffset);
    let maxOffset = Math.min(opts.maxOffset ?? this.endOffset, this.endOffset);
    if (maxOffset > this.writtenEnd) {
      await this.writer.waitFor(maxOffset);
      maxOffset = Math.min(maxOffset, this.writtenEnd);
      this.checkReadable(fetchOffset);
    }
    const committed = opts.isolation === 'read_committed';
    const lso = this.lastStableOffset;
    if (committed) maxOffset = Math.min(maxOffset, lso);
    const range = { fetchOffset, maxBytes, maxOffset, minOneBatch: opts.minOneBatch ?? true };
    const records = await readSegments(this.segments, range, this.cfg, this.deps.logger);
    const result: ReadResult = { records, highWatermark: this.hwm, logStartOffset: this.startOffset, lastStableOffset: lso };
    if (committed) {
      const upTo = records.length === 0 ? fetchOffset : endOffsetOf(records);
      result.abortedTransactions = this.producers.abortedIn(fetchOffset, upTo).map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }));
    }
    return result;
  }

  /** The first record at or after the log start whose timestamp is >= `timestampMs`. */
  async offsetForTimestamp(timestampMs: number): Promise<{ offset: number; timestamp: number } | null> {
    this.checkReadable(this.startOffset);
    // The time index may already point at queued batches; the search reads only written ones.
    await this.writer.waitFor(this.endOffset);
    return findOffsetInSegments(this.segments, timestampMs, this.startOffset, this.cfg, this.deps.logger);
  }

  /**
   * ListOffsets MAX_TIMESTAMP (-3): the largest timestamp and the offset of the first record that
   * carries it (Kafka since KAFKA-16310; not its batch's last offset); (-1, -1) for an empty log.
   */
  async maxTimestampOffset(): Promise<TimestampOffset> {
    this.checkReadable(this.startOffset);
    // The segment's largest timestamp may come from queued batches; the search reads only written ones.
    await this.writer.waitFor(this.endOffset);
    let newest: LogSegment | undefined;
    for (const seg of this.segments) {
      if (seg.maxTimestamp > (newest?.maxTimestamp ?? -1) && seg.nextOffset > this.startOffset) newest = seg;
    }
    if (newest === undefined) return { offset: -1, timestamp: -1 };
    await ensureIndexes(newest, this.cfg, this.deps.logger);
    return (await findMaxTimestampRecord(newest)) ?? { offset: -1, timestamp: -1 };
  }

  /**
   * Deletes whole segments past retention.ms (by their newest timestamp) or beyond
   * retention.bytes, and those wholly below the log start; never data at or above the high
   * watermark. As in Kafka the active segment goes too when the rule dooms it, after a new one is
   * rolled at the log end. Returns how many segments were deleted.
   */
  async applyRetention(nowMs = this.deps.clock.now()): Promise<number> {
    if (this.state !== 'open' || this.offlineReason !== null) return 0;
    await Promise.all(this.segments.map((s) => ensureIndexes(s, this.cfg, this.deps.logger)));
    return this.exclusive(async () => {
      if (this.state !== 'open' || this.offlineReason !== null) return 0;
      let deleted = 0;
      if (this.cfg.cleanupPolicy.includes('delete')) {
        deleted += await this.deleteByRule({ kind: 'time', nowMs, retentionMs: this.cfg.retentionMs }, 'retention.ms');
        deleted += await this.deleteByRule({ kind: 'size', retentionBytes: this.cfg.retentionBytes }, 'retention.bytes');
      }
      deleted += await this.deleteByRule({ kind: 'start', logStartOffset: this.startOffset }, 'log start offset');
      await this.checkpointChain;
      return deleted;
    });
  }

  /**
   * One log-compaction pass (cleanup.policy=compact): what the background cleaner runs per log,
   * callable directly by tests and tools. Skipped (with the reason) when the log is not due.
   */
  compactNow(nowMs = this.deps.clock.now(), opts: CompactOptions = {}): Promise<CompactionResult> {
    return this.compaction.compact(nowMs, opts);
  }

  /** The cleanable range and dirty ratio the cleaner would see now. */
  compactionStatus(nowMs = this.deps.clock.now()): Promise<CompactionStatus> {
    return this.compaction.status(nowMs);
  }

  /** DeleteRecords: moves the log start to `offset` (at most the high watermark). */
  async deleteRecordsBefore(offset: number): Promise<number> {
    return this.exclusive(() => this.deleteRecordsBeforeNow(offset));
  }

  private async deleteRecordsBeforeNow(offset: number): Promise<number> {
    this.checkWritable();
    if (offset < 0 || offset > this.hwm) throw offsetOutOfRange(offset, this.startOffset, this.hwm);
    if (offset > this.startOffset) {
      this.startOffset = offset;
      this.checkpointStart();
    }
    await this.deleteByRule({ kind: 'start', logStartOffset: this.startOffset }, 'log start offset');
    await this.checkpointChain;
    return this.startOffset;
  }

  /**
   * Removes every batch from the one holding `offset` on (for a follower that diverged). The
   * caller must not append until this resolves.
   */
  async truncateTo(offset: number): Promise<void> {
    return this.exclusive(() => this.truncateToNow(offset));
  }

  /**
   * Kafka's truncateFullyAndStartAt: every segment goes and the log starts empty at `offset`
   * (a follower whose leader's log now starts past this log's end).
   */
  async truncateFullyAndStartAt(offset: number): Promise<void> {
    return this.exclusive(() => this.truncateToNow(offset, true));
  }

  private async truncateToNow(offset: number, full = false): Promise<void> {
    this.checkWritable();
    assert(Number.isSafeInteger(offset) && offset >= 0, `bad truncation offset ${offset}`);
    this.truncating = true;
    try {
      await this.writer.idle();
      if (!full && offset >= this.endOffset) {
        // Nothing to cut, but an epoch this broker started as leader and wrote nothing in may sit
        // at the log end; the new leader never had it, so it goes (as Kafka's truncateTo trims it).
        if (this.epochs.truncateFromEnd(this.endOffset)) await this.epochs.flushed();
        return;
      }
      if (full || offset <= this.startOffset) {
        const old = this.segments;
        this.segments = [LogSegment.create(this.dir, offset, this.cfg, this.segDeps, this.deps.clock.now())];
        this.startOffset = offset;
        // As Kafka's truncateFullyAndStartAt: the log starts afresh, and so does its epoch cache.
        this.epochs.clear();
        this.checkpointStart();
        await Promise.all(old.map((s) => s.destroy()));
      } else {
        const keep = this.segments.filter((s) => s.baseOffset <= offset);
        const drop = this.segments.filter((s) => s.baseOffset > offset);
        this.segments = keep;
        await Promise.all(drop.map((s) => s.destroy()));
        await ensureIndexes(this.active, this.cfg, this.deps.logger);
        await truncateSegmentTo(this.active, offset);
      }
      this.endOffset = this.writtenEnd = this.active.nextOffset;
      this.hwm = Math.max(Math.min(this.hwm, this.endOffset), this.startOffset);
      this.epochs.truncateFromEnd(this.endOffset);
      this.compaction.truncated(this.endOffset);
      // As Kafka: producer state is reloaded from the newest snapshot below the new end and the
      // batches after it, so transactions whose markers were cut are open again, and no
      // .txnindex keeps an abort whose marker is gone.
      await deleteSnapshotsAbove(this.dir, this.endOffset);
      await this.txnIndexChain;
      this.producers = (await loadProducerState({
        dir: this.dir, segments: this.segments, logStartOffset: this.startOffset, logEndOffset: this.endOffset,
        expirationMs: this.deps.producerIdExpirationMs ?? PRODUCER_ID_EXPIRATION_MS_DEFAULT, logger: this.deps.logger,
      })).state;
      await rewriteTxnIndexes(this.dir, this.segments, this.producers.allAborted());
      await this.checkpointChain;
      await this.epochs.flushed();
    } catch (err) {
      this.goOffline('truncation failed', err);
      throw storageFailure(`truncating ${this.dir} failed`, err);
    } finally {
      this.truncating = false;
    }
  }

  /** fdatasyncs everything written so far (queued behind the appends before it). */
  async flush(): Promise<void> {
    if (this.state === 'closed') return;
    await this.writer.enqueueTask(() => this.syncAll());
  }

  updateConfig(config: LogConfig): void {
    const flushChanged = config.flushIntervalMs !== this.cfg.flushIntervalMs;
    this.cfg = { ...config };
    this.rollCfg = rollConfig(this.cfg);
    for (const s of this.segments) s.applyConfig(config);
    if (flushChanged) this.flusher.reconfigure(this.cfg);
  }

  /**
   * Drains writes, syncs, writes exact-size indexes, the log start offset and the producer state
   * (each only if it changed since the open) and the clean-shutdown marker (of a log on its own).
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  /** Closes the log and removes its directory. */
  async delete(): Promise<void> {
    await this.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async doClose(): Promise<void> {
    this.state = 'closing';
    this.flusher.disarm();
    // A compaction pass stops at its next batch (or finishes the swap it is in).
    await this.compaction.stop();
    await this.writer.idle();
    let clean = this.offlineReason === null;
    let wrote = false;
    if (clean) {
      try {
        await this.syncAll();
        wrote = await this.writeCloseFiles();
      } catch (err) {
        clean = false;
        this.deps.logger.error('closing the log failed; it will be recovered when opened', { dir: this.dir, error: err });
      }
    }
    await this.deleter.finishAll();
    await Promise.all(this.segments.map((s) => s.close().catch(() => undefined)));
    if (clean) {
      try {
        // The renames above must be on disk before a log dir marker vouches for them.
        if (this.opened?.ownMarker !== false) await writeCleanShutdownMarker(this.dir);
        else if (wrote) await syncDir(this.dir);
      } catch (err) {
        clean = false;
        this.deps.logger.error('closing the log failed; it will be recovered when opened', { dir: this.dir, error: err });
      }
    }
    this.cleanClose = clean;
    this.state = 'closed';
  }

  /** Whether the log is closed and its files are what a clean open trusts. */
  get closedCleanly(): boolean {
    return this.state === 'closed' && this.cleanClose;
  }

  /**
   * What a clean open trusts beyond the synced segments: the active segment's index files, the
   * log start offset checkpoint and the producer state snapshot at the log end. A log that
   * neither appended nor truncated since a clean open has them all on disk already, and a log
   * still empty from offset 0 needs none (its next open starts it afresh at 0, with no producers);
   * returns whether anything was written.
   */
  private async writeCloseFiles(): Promise<boolean> {
    const o = this.opened;
    const untouched = o !== null && this.stats.appends === 0 && this.active === o.active && this.endOffset === o.endOffset;
    let wrote = false;
    if (!(untouched && o.indexesOnDisk) && this.active.size > 0) {
      this.active.sealTimeIndex();
      await this.active.writeIndexFiles();
      wrote = true;
    }
    await this.checkpointChain;
    if (this.startOffset !== (o?.checkpoint ?? 0)) {
      await writeLogStartOffset(this.dir, this.startOffset);
      wrote = true;
    }
    await this.txnIndexChain;
    await this.epochs.flushed();
    if (this.endOffset > 0 && !(untouched && o.snapshotOffset === this.endOffset)) {
      // Producer state as of the log end: the next open needs no replay.
      await writeSnapshot(this.dir, this.endOffset, this.producers.encodeSnapshot());
      wrote = true;
    }
    return wrote;
  }

  private roll(now: number): LogSegment {
    const old = this.active;
    old.sealTimeIndex();
    const seg = LogSegment.create(this.dir, this.endOffset, this.cfg, this.segDeps, now);
    // Segment lists are replaced, never mutated: a read in flight keeps a consistent list.
    this.segments = [...this.segments, seg];
    this.flusher.segmentCreated();
    this.stats.rolls++;
    // A rolled segment is synced before its index files are written: recovery trusts it then.
    // Producer state as of the new segment's base, as Kafka snapshots at each roll.
    const snapshotOffset = this.endOffset;
    const snapshot = this.producers.encodeSnapshot();
    const oldAborted = this.producers.abortedIn(old.baseOffset, snapshotOffset).filter((a) => a.lastOffset < snapshotOffset);
    const seal = async (): Promise<void> => {
      try {
        await old.sync();
        await old.writeIndexFiles();
        // The snapshot vouches for everything below it, the sealed segment's aborts included.
        await this.txnIndexChain;
        if (oldAborted.length > 0) await writeTxnIndex(this.dir, old.baseOffset, oldAborted);
        await writeSnapshot(this.dir, snapshotOffset, snapshot);
      } catch (err) {
        this.goOffline('sealing a rolled segment failed', err);
      }
    };
    const sealing = this.writer.enqueueTask(seal, { background: true }).catch(() => undefined);
    this.seals.add(sealing);
    void sealing.finally(() => this.seals.delete(sealing));
    return seg;
  }

  /** Runs `fn` after (and before) any other holder of the segment lock: see `compaction`. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.segmentLock.then(fn);
    this.segmentLock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** The log as the cleaner (cleaner.ts) sees it. */
  private cleanerHost(): CleanerHost {
    const log = this;
    return {
      dir: this.dir,
      segDeps: this.segDeps,
      clock: this.deps.clock,
      logger: this.deps.logger,
      get config() {
        return log.cfg;
      },
      get logStartOffset() {
        return log.startOffset;
      },
      get logEndOffset() {
        return log.endOffset;
      },
      get highWatermark() {
        return log.hwm;
      },
      get lastStableOffset() {
        return log.lastStableOffset;
      },
      abortedIn: (from, upTo) => this.producers.abortedIn(from, upTo),
      producerLastRecords: () => this.producers.lastRecords(),
      segments: () => this.segments,
      isUsable: () => this.state === 'open' && this.offlineReason === null,
      sealed: async () => {
        await Promise.all([...this.seals]);
      },
      exclusive: (fn) => this.exclusive(fn),
      replaceSegments: (old, replacement, forgotten) => {
        const at = this.segments.indexOf(old[0]!);
        if (at < 0 || at + old.length >= this.segments.length) return false;
        if (!old.every((s, i) => this.segments[at + i] === s)) return false;
        // Segment lists are replaced, never mutated: a read in flight keeps the old segments.
        const kept = replacement === null ? [] : [replacement];
        this.segments = [...this.segments.slice(0, at), ...kept, ...this.segments.slice(at + old.length)];
        this.producers.forgetAborted(forgotten);
        return true;
      },
      fail: (reason, err) => this.goOffline(reason, err),
    };
  }

  /**
   * Deletes the oldest segments `rule` dooms. When that is every segment, a new active segment is
   * rolled at the log end first and the old one sealed (synced, index files written) before it is
   * renamed away; appends meanwhile go to the new one.
   */
  private async deleteByRule(rule: RetentionRule, reason: string): Promise<number> {
    const count = deletablePrefix(this.segments, this.hwm, this.endOffset, rule);
    if (count === 0) return 0;
    if (count === this.segments.length) {
      this.roll(this.deps.clock.now());
      await Promise.all([...this.seals]);
      if (this.state !== 'open' || this.offlineReason !== null) return 0;
    }
    return this.deleteSegments(count, reason);
  }

  private deleteSegments(count: number, reason: string): number {
    if (count === 0) return 0;
    const removed = this.segments.slice(0, count);
    this.segments = this.segments.slice(count);
    this.startOffset = Math.max(this.startOffset, this.segments[0]!.baseOffset);
    this.checkpointStart();
    this.producers.truncateHead(this.startOffset);
    for (const seg of removed) void rm(txnIndexPath(this.dir, seg.baseOffset), { force: true }).catch(() => undefined);
    this.deps.logger.info('deleting segments', { dir: this.dir, reason, baseOffsets: removed.map((s) => s.baseOffset) });
    for (const seg of removed) this.deleter.schedule(seg, this.cfg.fileDeleteDelayMs);
    return count;
  }

  private checkpointStart(): void {
    const offset = this.startOffset;
    // Every move of the log start goes through here: the epoch cache's first entry moves with it.
    this.epochs.truncateFromStart(offset);
    this.checkpointChain = this.checkpointChain
      .then(() => writeLogStartOffset(this.dir, offset))
      .catch((err: unknown) => this.deps.logger.warn('could not write the log start offset checkpoint', { dir: this.dir, error: err }));
  }

  private onWritten(group: PendingAppend[]): void {
    this.writtenEnd = group[group.length - 1]!.endOffset;
    group[0]!.segment.lastModifiedMs = this.deps.clock.now();
    this.stats.writes = this.writer.stats.writes;
    this.stats.bytesWritten = this.writer.stats.bytesWritten;
    if (this.state === 'open') this.flusher.written(recordsIn(group), this.cfg);
  }

  private async syncAll(): Promise<void> {
    const startedMs = performance.now();
    try {
      await this.flusher.syncAll(this.segments);
    } catch (err) {
      // After a failed fsync the page cache cannot be trusted to reach the disk.
      this.goOffline('fdatasync failed', err);
      throw storageFailure(`syncing ${this.dir} failed`, err);
    }
    this.stats.flushes++;
    LOG_FLUSH_TIMES_MS.observe(performance.now() - startedMs);
  }

  /** Undoes a failed group and everything queued after it, in memory, in this turn. */
  private undoFailedWrite(group: PendingAppend[], rest: PendingAppend[], err: unknown, during: string): Error {
    const first = group[0]!;
    this.stats.writeErrors++;
    const at = this.segments.indexOf(first.segment);
    assert(at >= 0, 'a failed write went to a segment the log no longer has');
    this.failedSegments = this.segments.slice(at + 1);
    this.segments = this.segments.slice(0, at + 1);
    first.segment.resetTo(first.mark);
    this.endOffset = this.writtenEnd = first.baseOffset;
    this.hwm = Math.min(this.hwm, this.endOffset);
    this.epochs.truncateFromEnd(this.endOffset);
    this.producers.truncateTo(this.endOffset);
    this.flusher.forget(recordsIn(group));
    const error = err instanceof StorageError ? err : storageFailure(`${during} of ${first.segment.logPath} failed`, err);
    this.deps.logger.error('append failed; the log is back at its last good offset', {
      dir: this.dir,
      logEndOffset: this.endOffset,
      rejectedAppends: group.length + rest.length,
      error,
    });
    return error;
  }

  /** Removes what a failed write may have left in the file; a failure here takes the log offline. */
  private async repairFailedWrite(group: PendingAppend[]): Promise<void> {
    const first = group[0]!;
    const dropped = this.failedSegments;
    this.failedSegments = [];
    try {
      await first.segment.cutFile(first.mark.size);
      await Promise.all(dropped.map((s) => s.destroy()));
    } catch (err) {
      this.goOffline('could not remove a failed write from the log', err);
    }
  }

  /** Raises the high watermark (never lowers it) and tells the listener. */
  private raiseHighWatermark(offset: number): void {
    if (offset <= this.hwm) return;
    this.hwm = offset;
    this.deps.onHighWatermark?.(this);
  }

  /** `written`, and with `epochChanged` also the leader epoch checkpoint; a failed checkpoint takes the log offline. */
  private withEpochsFlushed(written: Promise<void>, epochChanged: boolean): Promise<void> {
    if (!epochChanged) return written;
    const flushed = this.epochs.flushed().catch((err: unknown) => {
      this.goOffline('writing the leader epoch checkpoint failed', err);
      throw storageFailure(`writing the leader epoch checkpoint of ${this.dir} failed`, err);
    });
    return Promise.all([written, flushed]).then(() => undefined);
  }

  private goOffline(reason: string, err: unknown): void {
    if (this.offlineReason !== null) return;
    this.offlineReason = `${reason}: ${err instanceof Error ? err.message : String(err)}`;
    this.deps.logger.error('partition log is offline', { dir: this.dir, reason: this.offlineReason });
  }

  private checkWritable(): void {
    if (this.state !== 'open') throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `the log in ${this.dir} is closed`);
    if (this.offlineReason !== null) {
      throw new StorageError(
        ErrorCode.KAFKA_STORAGE_ERROR,
        `the log in ${this.dir} is offline after a disk error (${this.offlineReason}); fix the disk and restart`,
      );
    }
  }

  private checkReadable(fetchOffset: number): void {
    this.checkWritable();
    if (fetchOffset < this.startOffset || fetchOffset > this.endOffset) {
      throw offsetOutOfRange(fetchOffset, this.startOffset, this.endOffset);
    }
  }
}

/** The log as its open found it on disk (PartitionLog.writeCloseFiles). */
interface OpenedState {
  active: LogSegment;
  endOffset: number;
  indexesOnDisk: boolean;
  snapshotOffset: number | null;
  checkpoint: number | null;
  /** The log keeps its own clean-shutdown marker (no log manager keeps one for its log dir). */
  ownMarker: boolean;
}

function recordsIn(group: readonly PendingAppend[]): number {
  return group.reduce((n, a) => n + a.records, 0);
}

/** The producer fields of each batch (already validated), from their headers. */
function producerBatchesOf(batches: Buffer): ProducerBatch[] {
  const out: ProducerBatch[] = [];
  for (let at = 0; at < batches.length; ) {
    const h = readBatchHeader(batches, at);
    out.push({
      producerId: h.producerId, producerEpoch: h.producerEpoch, baseSequence: h.baseSequence, offsetDelta: h.lastOffsetDelta,
      isTransactional: (h.attributes & TRANSACTIONAL_BIT) !== 0, isControl: (h.attributes & CONTROL_BIT) !== 0, maxTimestamp: h.maxTimestamp,
    });
    at += LOG_OVERHEAD + h.batchLength;
  }
  return out;
}

function batchPositions(batches: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at < batches.length; at += LOG_OVERHEAD + batches.readInt32BE(at + BATCH_LENGTH)) out.push(at);
  return out;
}

/** Each batch's base offset once placed. */
function batchBaseOffsets(batches: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at < batches.length; at += LOG_OVERHEAD + batches.readInt32BE(at + BATCH_LENGTH)) out.push(readInt64(batches, at + BASE_OFFSET));
  return out;
}

/** The offset after the last whole batch of a read (a truncated trailing batch is skipped). */
function endOffsetOf(records: Buffer): number {
  let end = 0;
  for (let at = 0; at + 61 <= records.length; ) {
    const size = LOG_OVERHEAD + records.readInt32BE(at + BATCH_LENGTH);
    end = readInt64(records, at + BASE_OFFSET) + records.readInt32BE(at + LAST_OFFSET_DELTA) + 1;
    at += size;
  }
  return end;
}
