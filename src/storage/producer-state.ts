/**
 * Producer state of one partition, as Kafka's ProducerStateManager keeps it: per producer id its
 * epoch, the last five batches (sequence range and offsets) for de-duplicating retries, its
 * coordinator epoch and the first offset of its open transaction; plus the aborted transactions
 * the log has seen (the `.txnindex` entries). Checks run synchronously in the log's append, before
 * offsets are assigned; `stage` never mutates, `commit` applies what a stage decided.
 *
 * Snapshots are Kafka's `<offset>.snapshot` format v1: int16 version, uint32 CRC-32C of what
 * follows, int32 count, then per producer: producerId int64, epoch int16, lastSequence int32,
 * lastOffset int64, offsetDelta int32, timestamp int64, coordinatorEpoch int32,
 * currentTxnFirstOffset int64 (-1 for none). Only the newest batch per producer is kept there,
 * as in Kafka; batches after the snapshot are replayed from the log.
 */
import { ErrorCode } from '../protocol/errors.js';
import { writeInt64 } from '../protocol/records/batch-header.js';
import { crc32c } from '../util/crc32c.js';
import { assert } from '../util/assert.js';

/** Kafka keeps this many batches per producer to answer retries with their original offsets. */
export const PRODUCER_BATCHES_RETAINED = 5;
/** Kafka's producer.id.expiration.ms default: a day. */
export const PRODUCER_ID_EXPIRATION_MS_DEFAULT = 86_400_000;
export const SNAPSHOT_SUFFIX = '.snapshot';
export const TXN_INDEX_SUFFIX = '.txnindex';
const SNAPSHOT_VERSION = 1;
const SNAPSHOT_HEADER_BYTES = 2 + 4 + 4;
const SNAPSHOT_ENTRY_BYTES = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;
/** One `.txnindex` entry: version int16, producerId, firstOffset, lastOffset, lastStableOffset int64. */
export const TXN_INDEX_ENTRY_BYTES = 2 + 8 * 4;
const NO_SEQUENCE = -1;
const SEQUENCE_MAX = 2 ** 31 - 1;

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
  timestampMs: number;
}

export interface ProducerEntry {
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  /** Oldest first, at most PRODUCER_BATCHES_RETAINED. */
  batches: BatchMetadata[];
  currentTxnFirstOffset: number | null;
  lastTimestampMs: number;
}

export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

/** A batch's producer fields, read from its header. */
export interface ProducerBatch {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  /** lastOffsetDelta: the batch spans baseSequence .. baseSequence + offsetDelta. */
  offsetDelta: number;
  isTransactional: boolean;
  isControl: boolean;
  maxTimestamp: number;
}

export class ProducerStateError extends Error {
  override name = 'ProducerStateError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** What `stage` decided for an append: the entries to write back, or the duplicate it is. */
export type StagedAppend =
  | { kind: 'append'; updates: Map<number, ProducerEntry>; batches: ProducerBatch[] }
  | { kind: 'duplicate'; firstOffset: number; lastOffset: number };

export function nextSequence(seq: number, delta: number): number {
  return seq > SEQUENCE_MAX - delta ? delta - (SEQUENCE_MAX - seq) - 1 : seq + delta;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === SEQUENCE_MAX);
}

function cloneEntry(e: ProducerEntry): ProducerEntry {
  return { ...e, batches: [...e.batches] };
}

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerEntry>();
  /** Verification guards by producer id, with when each was taken (memory only: after a restart, a batch is verified again). */
  private readonly guards = new Map<number, { token: object; takenMs: number }>();
  /** Aborted transactions by the offset of their marker (ascending). */
  private aborted: AbortedTxn[] = [];
  /** Transactions whose marker is written but not yet below the high watermark. */
  private unreplicated: Array<{ firstOffset: number; markerOffset: number }> = [];
  /** The earliest open transaction's first offset; undefined when it must be recomputed. */
  private firstOpen: number | null | undefined = null;

  constructor(private readonly expirationMs = PRODUCER_ID_EXPIRATION_MS_DEFAULT) {}

  get size(): number {
    return this.producers.size;
  }

  entry(producerId: number): Readonly<ProducerEntry> | undefined {
    return this.producers.get(producerId);
  }

  entries(): IterableIterator<Readonly<ProducerEntry>> {
    return this.producers.values();
  }

  /**
   * Checks a client's batches against the producers' state (Kafka's ProducerAppendInfo):
   * returns the updates to commit once offsets are known, the duplicate a retry is, or throws
   * ProducerStateError with the Kafka error code.
   */
  stage(batches: ProducerBatch[], guards?: ReadonlyMap<number, object>): StagedAppend {
    const updates = new Map<number, ProducerEntry>();
    for (const b of batches) {
      // Markers (from a leader's log) are applied after placement, with completeTxn.
      if (b.producerId < 0 || b.isControl) continue;
      const current = this.producers.get(b.producerId);
      const staged = updates.get(b.producerId);
      const guard = guards?.get(b.producerId);
      if (guard !== undefined && staged === undefined && b.isTransactional && !this.inTransaction(b.producerId, b.producerEpoch) && this.guards.get(b.producerId)?.token !== guard) {
        throw new ProducerStateError(ErrorCode.INVALID_TXN_STATE, `the transaction of producer ${b.producerId} ended after this partition was verified in it`);
      }
      if (staged === undefined && current !== undefined && b.producerEpoch === current.producerEpoch && !b.isControl) {
        const lastSeq = nextSequence(b.baseSequence, b.offsetDelta);
        const dup = current.batches.find((m) => m.firstSeq === b.baseSequence && m.lastSeq === lastSeq);
        if (dup !== undefined) return { kind: 'duplicate', firstOffset: dup.firstOffset, lastOffset: dup.lastOffset };
      }
      const entry = staged ?? (current !== undefined ? cloneEntry(current) : null);
      checkBatch(b, entry);
      updates.set(b.producerId, entry ?? {
        producerId: b.producerId, producerEpoch: b.producerEpoch, coordinatorEpoch: -1, batches: [],
        currentTxnFirstOffset: null, lastTimestampMs: b.maxTimestamp,
      });
      // A second batch of the same producer in one append is checked against the first.
      const e = updates.get(b.producerId)!;
      if (b.producerEpoch !== e.producerEpoch) {
        e.producerEpoch = b.producerEpoch;
        e.batches = [];
      }
      e.batches.push({ firstSeq: b.baseSequence, lastSeq: nextSequence(b.baseSequence, b.offsetDelta), firstOffset: -1, lastOffset: -1, timestampMs: b.maxTimestamp });
    }
    return { kind: 'append', updates, batches };
  }

  /** Applies a stage whose batches got offsets `firsts[i]` .. `firsts[i] + offsetDelta`. */
  commit(staged: Extract<StagedAppend, { kind: 'append' }>, firsts: number[]): void {
    staged.batches.forEach((b, i) => {
      if (b.producerId < 0 || b.isControl) return;
      const e = staged.updates.get(b.producerId)!;
      // The staged batches are at the end of e.batches, in order.
      const staging = e.batches.filter((m) => m.firstOffset === -1);
      const m = staging[0]!;
      m.firstOffset = firsts[i]!;
      m.lastOffset = firsts[i]! + b.offsetDelta;
      if (b.isTransactional && e.currentTxnFirstOffset === null) {
        e.currentTxnFirstOffset = m.firstOffset;
        this.firstOpen = undefined;
      }
      e.lastTimestampMs = Math.max(e.lastTimestampMs, b.maxTimestamp);
    });
    for (const [pid, e] of staged.updates) {
      if (e.batches.length > PRODUCER_BATCHES_RETAINED) e.batches = e.batches.slice(-PRODUCER_BATCHES_RETAINED);
      this.producers.set(pid, e);
    }
  }

  /**
   * KIP-890's verification guard: taken before a leader asks the transaction coordinator whether
   * this partition is in the producer's transaction, handed back with the append, and dropped by
   * the producer's next marker, so that a batch verified in a transaction that ended meanwhile is
   * refused rather than opening a transaction nobody will end.
   */
  verificationGuard(producerId: number, nowMs = Date.now()): object {
    let g = this.guards.get(producerId);
    if (g === undefined) this.guards.set(producerId, (g = { token: {}, takenMs: nowMs }));
    return g.token;
  }

  /** Whether the producer, at this epoch, has written to its open transaction here (no verification needed). */
  inTransaction(producerId: number, producerEpoch: number): boolean {
    const e = this.producers.get(producerId);
    return e !== undefined && e.producerEpoch === producerEpoch && e.currentTxnFirstOffset !== null;
  }

  /**
   * Checks a transaction marker from the coordinator (Kafka's appendEndTxnMarker): an older
   * producer epoch is INVALID_PRODUCER_EPOCH, an older coordinator epoch
   * TRANSACTION_COORDINATOR_FENCED.
   */
  checkMarker(producerId: number, producerEpoch: number, coordinatorEpoch: number): void {
    const e = this.producers.get(producerId);
    if (e === undefined) return;
    if (producerEpoch < e.producerEpoch) {
      throw new ProducerStateError(ErrorCode.INVALID_PRODUCER_EPOCH, `transaction marker for producer ${producerId} has epoch ${producerEpoch}, older than the current ${e.producerEpoch}`);
    }
    if (coordinatorEpoch < e.coordinatorEpoch) {
      throw new ProducerStateError(ErrorCode.TRANSACTION_COORDINATOR_FENCED, `transaction marker for producer ${producerId} comes from coordinator epoch ${coordinatorEpoch}, older than ${e.coordinatorEpoch}`);
    }
  }

  /**
   * Records a marker written at `markerOffset`: the producer's transaction ends; an abort is
   * returned as the `.txnindex` entry to persist (null for a commit or no open transaction).
   */
  completeTxn(m: { producerId: number; producerEpoch: number; coordinatorEpoch: number; commit: boolean; markerOffset: number; timestampMs: number; lastStableOffset: number }): AbortedTxn | null {
    const e = this.producers.get(m.producerId) ?? {
      producerId: m.producerId, producerEpoch: m.producerEpoch, coordinatorEpoch: m.coordinatorEpoch, batches: [],
      currentTxnFirstOffset: null, lastTimestampMs: m.timestampMs,
    };
    if (m.producerEpoch !== e.producerEpoch) {
      e.producerEpoch = m.producerEpoch;
      e.batches = [];
    }
    e.coordinatorEpoch = m.coordinatorEpoch;
    e.lastTimestampMs = Math.max(e.lastTimestampMs, m.timestampMs);
    this.guards.delete(m.producerId);
    const first = e.currentTxnFirstOffset;
    e.currentTxnFirstOffset = null;
    this.firstOpen = undefined;
    this.producers.set(m.producerId, e);
    if (first === null) return null;
    this.unreplicated.push({ firstOffset: first, markerOffset: m.markerOffset });
    if (m.commit) return null;
    const aborted = { producerId: m.producerId, firstOffset: first, lastOffset: m.markerOffset, lastStableOffset: m.lastStableOffset };
    this.addAborted(aborted);
    return aborted;
  }

  /** The first offset of the earliest transaction not yet stable below `highWatermark`. */
  firstUnstableOffset(highWatermark: number): number | null {
    if (this.unreplicated.length > 0) this.unreplicated = this.unreplicated.filter((u) => u.markerOffset >= highWatermark);
    if (this.firstOpen === undefined) {
      let open: number | null = null;
      for (const e of this.producers.values()) {
        if (e.currentTxnFirstOffset !== null && (open === null || e.currentTxnFirstOffset < open)) open = e.currentTxnFirstOffset;
      }
      this.firstOpen = open;
    }
    let first = this.firstOpen;
    for (const u of this.unreplicated) if (first === null || u.firstOffset < first) first = u.firstOffset;
    return first;
  }

  /** Producer ids with an open transaction and its first offset. */
  openTransactions(): Array<{ producerId: number; firstOffset: number }> {
    const out: Array<{ producerId: number; firstOffset: number }> = [];
    for (const e of this.producers.values()) if (e.currentTxnFirstOffset !== null) out.push({ producerId: e.producerId, firstOffset: e.currentTxnFirstOffset });
    return out;
  }

  /**
   * Kafka's lastStableOffset(completedTxn), what a `.txnindex` entry records for a marker of
   * `producerId` at `markerOffset`: the first offset of another producer's open transaction,
   * else the offset after the marker.
   */
  lastStableOffsetAfterMarker(producerId: number, markerOffset: number): number {
    let first = markerOffset + 1;
    for (const e of this.producers.values()) {
      if (e.producerId !== producerId && e.currentTxnFirstOffset !== null && e.currentTxnFirstOffset < first) first = e.currentTxnFirstOffset;
    }
    return first;
  }

  addAborted(a: AbortedTxn): void {
    const last = this.aborted[this.aborted.length - 1];
    if (last !== undefined && last.lastOffset >= a.lastOffset) {
      if (this.aborted.some((x) => x.producerId === a.producerId && x.lastOffset === a.lastOffset)) return;
      this.aborted.push(a);
      this.aborted.sort((x, y) => x.lastOffset - y.lastOffset);
      return;
    }
    this.aborted.push(a);
  }

  /** Aborted transactions overlapping [fromOffset, upToOffset) (Kafka's collectAbortedTxns). */
  abortedIn(fromOffset: number, upToOffset: number): AbortedTxn[] {
    return this.aborted.filter((a) => a.lastOffset >= fromOffset && a.firstOffset < upToOffset);
  }

  /** Forgets aborted transactions whose markers compaction removed (their data went first). */
  forgetAborted(gone: readonly AbortedTxn[]): void {
    if (gone.length === 0) return;
    this.aborted = this.aborted.filter((a) => !gone.some((g) => g.producerId === a.producerId && g.lastOffset === a.lastOffset));
  }

  /** Per producer, the last offset of its last data batch (null if none) and its epoch. */
  lastRecords(): Map<number, { lastDataOffset: number | null; producerEpoch: number }> {
    const out = new Map<number, { lastDataOffset: number | null; producerEpoch: number }>();
    for (const e of this.producers.values()) out.set(e.producerId, { lastDataOffset: e.batches[e.batches.length - 1]?.lastOffset ?? null, producerEpoch: e.producerEpoch });
    return out;
  }

  allAborted(): readonly AbortedTxn[] {
    return this.aborted;
  }

  /** Forgets everything at or after `offset` (truncation); replay rebuilds from there. */
  truncateTo(offset: number): void {
    this.firstOpen = undefined;
    this.aborted = this.aborted.filter((a) => a.lastOffset < offset);
    this.unreplicated = this.unreplicated.filter((u) => u.markerOffset < offset);
    for (const [pid, e] of this.producers) {
      e.batches = e.batches.filter((b) => b.lastOffset < offset);
      if (e.currentTxnFirstOffset !== null && e.currentTxnFirstOffset >= offset) e.currentTxnFirstOffset = null;
      if (e.batches.length === 0 && e.currentTxnFirstOffset === null) this.producers.delete(pid);
    }
  }

  /** Forgets aborted transactions wholly below the log start. */
  truncateHead(logStartOffset: number): void {
    if (this.aborted.length > 0 && this.aborted[0]!.lastOffset < logStartOffset) this.aborted = this.aborted.filter((a) => a.lastOffset >= logStartOffset);
  }

  /** Removes producers idle longer than producer.id.expiration.ms without an open transaction. */
  expire(nowMs: number): number {
    let n = 0;
    for (const [pid, e] of this.producers) {
      if (e.currentTxnFirstOffset === null && nowMs - e.lastTimestampMs >= this.expirationMs) {
        this.producers.delete(pid);
        n++;
      }
    }
    // A guard whose batch never came (its verification failed) goes with the producers' expiry.
    for (const [pid, g] of this.guards) if (!this.producers.has(pid) && nowMs - g.takenMs >= this.expirationMs) this.guards.delete(pid);
    return n;
  }

  /** Replays one stored batch (recovery): no checks, as Kafka's replication/recovery path. */
  replay(b: ProducerBatch & { baseOffset: number }, isCommit: () => boolean, lastStableOffset: number): AbortedTxn | null {
    if (b.producerId < 0) return null;
    if (b.isControl) {
      return this.completeTxn({
        producerId: b.producerId, producerEpoch: b.producerEpoch, coordinatorEpoch: -1, commit: isCommit(),
        markerOffset: b.baseOffset, timestampMs: b.maxTimestamp, lastStableOffset,
      });
    }
    let e = this.producers.get(b.producerId);
    if (e === undefined) {
      e = { producerId: b.producerId, producerEpoch: b.producerEpoch, coordinatorEpoch: -1, batches: [], currentTxnFirstOffset: null, lastTimestampMs: b.maxTimestamp };
      this.producers.set(b.producerId, e);
    }
    if (b.producerEpoch !== e.producerEpoch) {
      e.producerEpoch = b.producerEpoch;
      e.batches = [];
    }
    e.batches.push({ firstSeq: b.baseSequence, lastSeq: nextSequence(b.baseSequence, b.offsetDelta), firstOffset: b.baseOffset, lastOffset: b.baseOffset + b.offsetDelta, timestampMs: b.maxTimestamp });
    if (e.batches.length > PRODUCER_BATCHES_RETAINED) e.batches.shift();
    if (b.isTransactional && e.currentTxnFirstOffset === null) {
      e.currentTxnFirstOffset = b.baseOffset;
      this.firstOpen = undefined;
    }
    e.lastTimestampMs = Math.max(e.lastTimestampMs, b.maxTimestamp);
    return null;
  }

  /** Kafka's snapshot file content for the state now. */
  encodeSnapshot(): Buffer {
    const list = [...this.producers.values()].filter((e) => e.batches.length > 0 || e.currentTxnFirstOffset !== null || e.coordinatorEpoch >= 0);
    const buf = Buffer.alloc(SNAPSHOT_HEADER_BYTES + list.length * SNAPSHOT_ENTRY_BYTES);
    buf.writeInt16BE(SNAPSHOT_VERSION, 0);
    buf.writeInt32BE(list.length, 6);
    let at = SNAPSHOT_HEADER_BYTES;
    for (const e of list) {
      const last = e.batches[e.batches.length - 1];
      writeInt64(buf, at, e.producerId);
      buf.writeInt16BE(e.producerEpoch, at + 8);
      buf.writeInt32BE(last?.lastSeq ?? NO_SEQUENCE, at + 10);
      writeInt64(buf, at + 14, last?.lastOffset ?? -1);
      buf.writeInt32BE(last === undefined ? 0 : last.lastOffset - last.firstOffset, at + 22);
      writeInt64(buf, at + 26, e.lastTimestampMs);
      buf.writeInt32BE(e.coordinatorEpoch, at + 34);
      writeInt64(buf, at + 38, e.currentTxnFirstOffset ?? -1);
      at += SNAPSHOT_ENTRY_BYTES;
    }
    buf.writeUInt32BE(crc32c(buf.subarray(6)), 2);
    return buf;
  }

  /** Replaces the producers with a snapshot's; throws on a bad file (the caller replays instead). */
  loadSnapshot(buf: Buffer): void {
    if (buf.length < SNAPSHOT_HEADER_BYTES) throw new Error(`snapshot of ${buf.length} bytes is too short`);
    const version = buf.readInt16BE(0);
    if (version !== SNAPSHOT_VERSION) throw new Error(`snapshot version ${version} is not ${SNAPSHOT_VERSION}`);
    if (buf.readUInt32BE(2) !== crc32c(buf.subarray(6))) throw new Error('snapshot CRC does not match');
    const count = buf.readInt32BE(6);
    if (count < 0 || buf.length !== SNAPSHOT_HEADER_BYTES + count * SNAPSHOT_ENTRY_BYTES) throw new Error(`snapshot holds ${buf.length} bytes for ${count} producers`);
    this.producers.clear();
    this.firstOpen = undefined;
    for (let i = 0, at = SNAPSHOT_HEADER_BYTES; i < count; i++, at += SNAPSHOT_ENTRY_BYTES) {
      const producerId = Number(buf.readBigInt64BE(at));
      const lastSeq = buf.readInt32BE(at + 10);
      const lastOffset = Number(buf.readBigInt64BE(at + 14));
      const offsetDelta = buf.readInt32BE(at + 22);
      const txnFirst = Number(buf.readBigInt64BE(at + 38));
      const batches: BatchMetadata[] = [];
      const timestampMs = Number(buf.readBigInt64BE(at + 26));
      if (lastOffset >= 0 && lastSeq >= 0) {
        // offsetDelta equals the sequence span of the batch.
        const firstSeq = lastSeq - offsetDelta >= 0 ? lastSeq - offsetDelta : SEQUENCE_MAX + 1 + (lastSeq - offsetDelta);
        batches.push({ firstSeq, lastSeq, firstOffset: lastOffset - offsetDelta, lastOffset, timestampMs });
      }
      this.producers.set(producerId, {
        producerId, producerEpoch: buf.readInt16BE(at + 8), coordinatorEpoch: buf.readInt32BE(at + 34), batches,
        currentTxnFirstOffset: txnFirst >= 0 ? txnFirst : null, lastTimestampMs: timestampMs,
      });
    }
  }
}

/** Kafka's sequence and epoch rules for a client batch (checkProducerEpoch, checkSequence). */
function checkBatch(b: ProducerBatch, current: ProducerEntry | null): void {
  if (b.isControl) return;
  if (current === null) {
    // Nothing known about this producer (new, or its state expired or was removed with the log):
    // Kafka accepts any sequence then.
    return;
  }
  if (b.producerEpoch < current.producerEpoch) {
    throw new ProducerStateError(
      ErrorCode.INVALID_PRODUCER_EPOCH,
      `producer ${b.producerId} sent epoch ${b.producerEpoch}, older than the current ${current.producerEpoch}`,
    );
  }
  if (b.producerEpoch > current.producerEpoch) {
    if (b.baseSequence !== 0) {
      throw new ProducerStateError(
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        `producer ${b.producerId} started epoch ${b.producerEpoch} at sequence ${b.baseSequence}; a new epoch starts at 0`,
      );
    }
  } else {
    // As Kafka: with no batch of this epoch known (a marker of transactions v2 moved the producer
    // to it), the epoch starts at sequence 0.
    const last = current.batches[current.batches.length - 1];
    const lastSeq = last?.lastSeq ?? NO_SEQUENCE;
    if (!inSequence(lastSeq, b.baseSequence)) {
      throw new ProducerStateError(
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        `producer ${b.producerId} epoch ${b.producerEpoch} sent sequence ${b.baseSequence} after ${lastSeq}`,
      );
    }
  }
  if (!b.isTransactional && current.currentTxnFirstOffset !== null && b.producerEpoch === current.producerEpoch) {
    throw new ProducerStateError(ErrorCode.INVALID_TXN_STATE, `producer ${b.producerId} sent a non-transactional batch inside its open transaction`);
  }
  assert(b.offsetDelta >= 0, 'negative offset delta');
}
