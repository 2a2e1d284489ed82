/**
 * One share-partition's state (KIP-932, Kafka's SharePartition): which records of a
 * topic-partition a share group has delivered, to whom, how often, and which are done.
 *
 * The share-partition start offset (SPSO) is the first offset not yet done; every offset below
 * it is acknowledged or archived. The end offset (SPEO) is one past the last offset ever
 * acquired. Each offset in [SPSO, SPEO) has a state: AVAILABLE (to be delivered again),
 * ACQUIRED (by one member, under a lock that expires), ACKNOWLEDGED or ARCHIVED. Offsets from
 * SPEO on are available and have no entry yet.
 *
 * Pure and synchronous: time comes in as `nowMs`, and the caller persists `snapshot()` after a
 * change (the share coordinator's `__share_group_state`) and reloads it with `restore()`.
 */
import { assert } from '../../util/assert.js';

export const enum RecordState {
  AVAILABLE = 0,
  ACQUIRED = 1,
  ACKNOWLEDGED = 2,
  ARCHIVED = 4,
}

/** The acknowledge types of ShareFetch / ShareAcknowledge (Kafka's AcknowledgeType; 0 is a gap). */
export const enum AcknowledgeType {
  GAP = 0,
  ACCEPT = 1,
  RELEASE = 2,
  REJECT = 3,
  /** ShareFetch / ShareAcknowledge v2 (KIP-1222): the member keeps the record, under a new lock. */
  RENEW = 4,
}

export interface SharePartitionLimits {
  /** `group.share.record.lock.duration.ms`: how long an acquired record stays with its member. */
  lockDurationMs: number;
  /** `group.share.delivery.count.limit`: deliveries after which a record released or timed out is archived. */
  deliveryCountLimit: number;
  /** `group.share.partition.max.record.locks`: the most offsets in flight (SPEO − SPSO). */
  maxRecordLocks: number;
}

interface InFlight {
  state: RecordState;
  deliveryCount: number;
  /** The member holding an ACQUIRED record ('' otherwise). */
  memberId: string;
  /** When an ACQUIRED record's lock ends (0 otherwise). */
  lockExpiresMs: number;
}

/** A range of records handed to one member, as ShareFetch's AcquiredRecords. */
export interface AcquiredRange {
  firstOffset: number;
  lastOffset: number;
  deliveryCount: number;
}

/** A run of offsets in one state, as Kafka's PersisterStateBatch (ACQUIRED is stored as AVAILABLE). */
export interface StateBatch {
  firstOffset: number;
  lastOffset: number;
  deliveryState: number;
  deliveryCount: number;
}

export interface ShareSnapshot {
  startOffset: number;
  stateEpoch: number;
  stateBatches: StateBatch[];
}

/** What acknowledge() says of one batch: 0, INVALID_RECORD_STATE (121) or INVALID_REQUEST (42). */
export const ACK_OK = 0;
export const ACK_INVALID_RECORD_STATE = 121;
export const ACK_INVALID_REQUEST = 42;

export class SharePartition {
  private spso: number;
  private speo: number;
  private readonly inFlight = new Map<number, InFlight>();
  stateEpoch = 0;

  constructor(
    startOffset: number,
    private readonly limits: SharePartitionLimits,
  ) {
    assert(startOffset >= 0, 'a share-partition starts at a real offset');
    this.spso = startOffset;
    this.speo = startOffset;
  }

  get startOffset(): number {
    return this.spso;
  }

  get endOffset(): number {
    return this.speo;
  }

  /** The offset a read for new deliveries should start at: the first AVAILABLE one, else SPEO. */
  nextFetchOffset(): number {
    for (let o = this.spso; o < this.speo; o++) if (this.inFlight.get(o)!.state === RecordState.AVAILABLE) return o;
    return this.speo;
  }

  /** True when offsets may be acquired (some AVAILABLE in flight, or room for new ones). */
  canAcquire(): boolean {
    return this.nextFetchOffset() < this.speo || this.speo - this.spso < this.limits.maxRecordLocks;
  }

  /**
   * Acquires for `memberId` the available offsets among `offsets` (ascending, the records the
   * log holds from nextFetchOffset on), at most `maxRecords`. Offsets below SPSO or done are
   * skipped; new offsets (from SPEO) are taken only contiguously and within maxRecordLocks.
   */
  acquire(memberId: string, offsets: Iterable<number>, maxRecords: number, nowMs: number): AcquiredRange[] {
    const out: AcquiredRange[] = [];
    let taken = 0;
    for (const o of offsets) {
      if (taken >= maxRecords) break;
      if (o < this.spso) continue;
      let e = this.inFlight.get(o);
      if (e === undefined) {
        if (o > this.speo) {
          // A hole the log has no record for (compaction, or a control batch it skipped): nothing to deliver.
          for (let g = this.speo; g < o; g++) this.inFlight.set(g, { state: RecordState.ARCHIVED, deliveryCount: 0, memberId: '', lockExpiresMs: 0 });
          this.speo = o;
        }
        if (this.speo - this.spso >= this.limits.maxRecordLocks) break;
        e = { state: RecordState.AVAILABLE, deliveryCount: 0, memberId: '', lockExpiresMs: 0 };
        this.inFlight.set(o, e);
        this.speo = o + 1;
      }
      if (e.state !== RecordState.AVAILABLE) continue;
      e.state = RecordState.ACQUIRED;
      e.deliveryCount++;
      e.memberId = memberId;
      e.lockExpiresMs = nowMs + this.limits.lockDurationMs;
      taken++;
      const last = out.at(-1);
      if (last !== undefined && last.lastOffset === o - 1 && last.deliveryCount === e.deliveryCount) last.lastOffset = o;
      else out.push({ firstOffset: o, lastOffset: o, deliveryCount: e.deliveryCount });
    }
    this.advance();
    return out;
  }

  /**
   * Marks a control batch's offsets (no records to deliver) as done, so SPSO can pass them; only
   * when they follow the offsets in flight, since a gap before them is not yet known. True if any changed.
   */
  archiveNonRecords(firstOffset: number, lastOffset: number): boolean {
    if (firstOffset > this.speo || lastOffset < this.speo) return false;
    for (let o = this.speo; o <= lastOffset; o++) this.inFlight.set(o, { state: RecordState.ARCHIVED, deliveryCount: 0, memberId: '', lockExpiresMs: 0 });
    this.speo = lastOffset + 1;
    this.advance();
    return true;
  }

  /**
   * Applies one acknowledgement batch from `memberId`: `types` holds one type for the whole
   * range or one per offset. Every offset must be ACQUIRED by that member, else nothing changes.
   * RENEW restarts the records' locks from `nowMs`.
   */
  acknowledge(memberId: string, firstOffset: number, lastOffset: number, types: readonly number[], nowMs = 0): number {
    if (lastOffset < firstOffset || types.length === 0) return ACK_INVALID_REQUEST;
    if (types.length !== 1 && types.length !== lastOffset - firstOffset + 1) return ACK_INVALID_REQUEST;
    if (types.some((t) => t < AcknowledgeType.GAP || t > AcknowledgeType.RENEW)) return ACK_INVALID_REQUEST;
    for (let o = firstOffset; o <= lastOffset; o++) {
      const e = this.inFlight.get(o);
      if (e === undefined || e.state !== RecordState.ACQUIRED || e.memberId !== memberId) return ACK_INVALID_RECORD_STATE;
    }
    for (let o = firstOffset; o <= lastOffset; o++) {
      const type = types.length === 1 ? types[0]! : types[o - firstOffset]!;
      const e = this.inFlight.get(o)!;
      if (type === AcknowledgeType.ACCEPT) this.finish(e, RecordState.ACKNOWLEDGED);
      else if (type === AcknowledgeType.RELEASE) this.release(e);
      else if (type === AcknowledgeType.RENEW) e.lockExpiresMs = nowMs + this.limits.lockDurationMs;
      else this.finish(e, RecordState.ARCHIVED); // REJECT, or a gap: no record to deliver
    }
    this.advance();
    return ACK_OK;
  }

  /** Releases every record `memberId` holds (its share session closed). Returns how many. */
  releaseMember(memberId: string): number {
    let n = 0;
    for (const e of this.inFlight.values()) {
      if (e.state === RecordState.ACQUIRED && e.memberId === memberId) {
        this.release(e);
        n++;
      }
    }
    if (n > 0) this.advance();
    return n;
  }

  /** Ends the locks that have run out by `nowMs`: those records are delivered again, or archived. */
  expireLocks(nowMs: number): number {
    let n = 0;
    for (const e of this.inFlight.values()) {
      if (e.state === RecordState.ACQUIRED && e.lockExpiresMs <= nowMs) {
        this.release(e);
        n++;
      }
    }
    if (n > 0) this.advance();
    return n;
  }

  /** The earliest lock end among acquired records, or null when none is acquired. */
  nextLockExpiryMs(): number | null {
    let min: number | null = null;
    for (const e of this.inFlight.values()) if (e.state === RecordState.ACQUIRED && (min === null || e.lockExpiresMs < min)) min = e.lockExpiresMs;
    return min;
  }

  /** The log's start moved past SPSO (retention, DeleteRecords): those offsets are gone. */
  moveStartTo(logStartOffset: number): void {
    if (logStartOffset <= this.spso) return;
    for (let o = this.spso; o < Math.min(logStartOffset, this.speo); o++) this.inFlight.delete(o);
    this.spso = logStartOffset;
    this.speo = Math.max(this.speo, logStartOffset);
    this.advance();
  }

  /** Counts by state, for tests and describe. */
  counts(): Record<'available' | 'acquired' | 'acknowledged' | 'archived', number> {
    const c = { available: 0, acquired: 0, acknowledged: 0, archived: 0 };
    for (const e of this.inFlight.values()) {
      if (e.state === RecordState.AVAILABLE) c.available++;
      else if (e.state === RecordState.ACQUIRED) c.acquired++;
      else if (e.state === RecordState.ACKNOWLEDGED) c.acknowledged++;
      else c.archived++;
    }
    return c;
  }

  stateOf(offset: number): { state: RecordState; deliveryCount: number } | null {
    const e = this.inFlight.get(offset);
    return e === undefined ? null : { state: e.state, deliveryCount: e.deliveryCount };
  }

  /** The whole state as runs of equal (state, delivery count); acquired records are kept as available. */
  snapshot(): ShareSnapshot {
    const batches: StateBatch[] = [];
    for (let o = this.spso; o < this.speo; o++) {
      const e = this.inFlight.get(o)!;
      const deliveryState = e.state === RecordState.ACQUIRED ? RecordState.AVAILABLE : e.state;
      const last = batches.at(-1);
      if (last !== undefined && last.deliveryState === deliveryState && last.deliveryCount === e.deliveryCount) last.lastOffset = o;
      else batches.push({ firstOffset: o, lastOffset: o, deliveryState, deliveryCount: e.deliveryCount });
    }
    return { startOffset: this.spso, stateEpoch: this.stateEpoch, stateBatches: batches };
  }

  /** A share-partition as a snapshot left it: what was in flight is available again (redelivered). */
  static restore(s: ShareSnapshot, limits: SharePartitionLimits): SharePartition {
    const sp = new SharePartition(s.startOffset, limits);
    sp.stateEpoch = s.stateEpoch;
    for (const b of s.stateBatches) {
      for (let o = Math.max(b.firstOffset, sp.spso); o <= b.lastOffset; o++) {
        for (let g = sp.speo; g < o; g++) sp.inFlight.set(g, { state: RecordState.AVAILABLE, deliveryCount: 0, memberId: '', lockExpiresMs: 0 });
        const state = b.deliveryState === RecordState.ACKNOWLEDGED || b.deliveryState === RecordState.ARCHIVED ? b.deliveryState : RecordState.AVAILABLE;
        sp.inFlight.set(o, { state, deliveryCount: b.deliveryCount, memberId: '', lockExpiresMs: 0 });
        sp.speo = Math.max(sp.speo, o + 1);
      }
    }
    sp.advance();
    return sp;
  }

  private release(e: InFlight): void {
    // As Kafka: a record delivered as often as the limit allows is archived rather than offered again.
    e.state = e.deliveryCount >= this.limits.deliveryCountLimit ? RecordState.ARCHIVED : RecordState.AVAILABLE;
    e.memberId = '';
    e.lockExpiresMs = 0;
  }

  private finish(e: InFlight, state: RecordState): void {
    e.state = state;
    e.memberId = '';
    e.lockExpiresMs = 0;
  }

  /** Moves SPSO past the offsets that are done, forgetting them. */
  private advance(): void {
    while (this.spso < this.speo) {
      const e = this.inFlight.get(this.spso)!;
      if (e.state !== RecordState.ACKNOWLEDGED && e.state !== RecordState.ARCHIVED) break;
      this.inFlight.delete(this.spso);
      this.spso++;
    }
  }
}
