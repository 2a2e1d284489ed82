/**
 * A segment's sparse time index, Kafka's `.timeindex` format: 12-byte big-endian entries of
 * (int64 timestamp, int32 offset relative to the segment's base). Each entry says "the largest
 * timestamp up to this offset is this one", so timestamps strictly increase from entry to entry.
 * Kept in memory; written at its exact size when the segment is rolled or closed.
 */
import { readInt64, writeInt64 } from '../protocol/records/batch-header.js';
import { assert } from '../util/assert.js';
import { INDEX_ENTRIES_INITIAL } from './limits.js';

export const TIME_INDEX_ENTRY_BYTES = 12;

export interface TimestampOffset {
  timestamp: number;
  offset: number;
}

export class TimeIndex {
  private buf: Buffer;
  private count = 0;

  constructor(
    readonly baseOffset: number,
    private maxEntries: number,
  ) {
    this.buf = Buffer.alloc(Math.min(maxEntries, INDEX_ENTRIES_INITIAL) * TIME_INDEX_ENTRY_BYTES);
  }

  /** Parses a `.timeindex` file; returns why it must be rebuilt instead when it is not sane. */
  static parse(bytes: Buffer, baseOffset: number, maxEntries: number): TimeIndex | string {
    if (bytes.length % TIME_INDEX_ENTRY_BYTES !== 0) return `size ${bytes.length} is not a multiple of ${TIME_INDEX_ENTRY_BYTES}`;
    const n = bytes.length / TIME_INDEX_ENTRY_BYTES;
    const index = new TimeIndex(baseOffset, Math.max(maxEntries, n));
    for (let i = 0; i < n; i++) {
      const timestamp = readInt64(bytes, i * TIME_INDEX_ENTRY_BYTES);
      const relative = bytes.readInt32BE(i * TIME_INDEX_ENTRY_BYTES + 8);
      if (relative < 0) return `entry ${i} has a negative offset`;
      if (i > 0 && (timestamp <= index.timestampAt(i - 1) || relative < index.relativeAt(i - 1))) {
        return `entry ${i} (${timestamp}, ${relative}) goes backwards`;
      }
      index.maybeAppend(timestamp, baseOffset + relative, true);
    }
    return index;
  }

  get entries(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  setMaxEntries(maxEntries: number): void {
    this.maxEntries = Math.max(maxEntries, 1);
  }

  /** The newest entry, or (-1, base offset) when empty, as Kafka reports it. */
  lastEntry(): TimestampOffset {
    if (this.count === 0) return { timestamp: -1, offset: this.baseOffset };
    return this.entryAt(this.count - 1);
  }

  /**
   * Appends unless the timestamp is not newer than the last entry's (the entry would add
   * nothing). `force` allows one entry past the size limit, for the final entry on roll.
   */
  maybeAppend(timestamp: number, offset: number, force = false): void {
    const last = this.lastEntry();
    if (this.count > 0) assert(offset >= last.offset, `time index offset ${offset} goes backwards from ${last.offset}`);
    // Kafka's empty index reports timestamp -1, so records without a timestamp add no entry.
    if (timestamp <= last.timestamp) return;
    if (!force && this.isFull) return;
    const relative = offset - this.baseOffset;
    assert(relative >= 0 && relative <= 0x7fffffff, `offset ${offset} does not fit an index based at ${this.baseOffset}`);
    this.ensureRoom();
    const at = this.count * TIME_INDEX_ENTRY_BYTES;
    writeInt64(this.buf, at, timestamp);
    this.buf.writeInt32BE(relative, at + 8);
    this.count++;
  }

  /** The last entry with timestamp <= target, or (-1, base offset) when there is none. */
  lookup(target: number): TimestampOffset {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestampAt(mid) <= target) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? { timestamp: -1, offset: this.baseOffset } : this.entryAt(found);
  }

  /** Drops every entry for `offset` or later. */
  truncateToOffset(offset: number): void {
    while (this.count > 0 && this.baseOffset + this.relativeAt(this.count - 1) >= offset) this.count--;
  }

  truncateToEntries(entries: number): void {
    assert(entries >= 0 && entries <= this.count, 'cannot grow an index by truncating it');
    this.count = entries;
  }

  /** The index as Kafka stores it: exactly `entries * 12` bytes. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.count * TIME_INDEX_ENTRY_BYTES);
  }

  private entryAt(i: number): TimestampOffset {
    return { timestamp: this.timestampAt(i), offset: this.baseOffset + this.relativeAt(i) };
  }

  private timestampAt(i: number): number {
    return readInt64(this.buf, i * TIME_INDEX_ENTRY_BYTES);
  }

  private relativeAt(i: number): number {
    return this.buf.readInt32BE(i * TIME_INDEX_ENTRY_BYTES + 8);
  }

  private ensureRoom(): void {
    const needed = (this.count + 1) * TIME_INDEX_ENTRY_BYTES;
    if (needed <= this.buf.length) return;
    const grown = Buffer.alloc(Math.max(needed, this.buf.length * 2));
    this.buf.copy(grown, 0, 0, this.count * TIME_INDEX_ENTRY_BYTES);
    this.buf = grown;
  }
}
