/**
 * A segment's sparse offset index, Kafka's `.index` format: 8-byte big-endian entries of
 * (int32 offset relative to the segment's base, int32 byte position in the `.log`). Kept in
 * memory; written to its file at its exact size when the segment is rolled or closed.
 *
 * An entry (offset, position) says the batch starting at `position` ends at `offset` (Kafka
 * indexes each batch's last offset), so the batch holding any offset >= that one starts at or
 * after `position`.
 */
import { assert } from '../util/assert.js';
import { INDEX_ENTRIES_INITIAL } from './limits.js';

export const OFFSET_INDEX_ENTRY_BYTES = 8;

export interface OffsetPosition {
  offset: number;
  position: number;
}

export class OffsetIndex {
  private buf: Buffer;
  private count = 0;

  constructor(
    readonly baseOffset: number,
    private maxEntries: number,
  ) {
    this.buf = Buffer.alloc(Math.min(maxEntries, INDEX_ENTRIES_INITIAL) * OFFSET_INDEX_ENTRY_BYTES);
  }

  /**
   * Parses an index file; returns why it cannot be trusted (and must be rebuilt) instead when
   * its size is not whole entries, entries go backwards, or a position lies past the log.
   */
  static parse(bytes: Buffer, baseOffset: number, maxEntries: number, logBytes: number): OffsetIndex | string {
    if (bytes.length % OFFSET_INDEX_ENTRY_BYTES !== 0) return `size ${bytes.length} is not a multiple of ${OFFSET_INDEX_ENTRY_BYTES}`;
    const n = bytes.length / OFFSET_INDEX_ENTRY_BYTES;
    const index = new OffsetIndex(baseOffset, Math.max(maxEntries, n));
    for (let i = 0; i < n; i++) {
      const relative = bytes.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES);
      const position = bytes.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES + 4);
      if (relative < 0 || position < 0 || position >= logBytes) return `entry ${i} (${relative}, ${position}) is out of range`;
      if (i > 0 && (relative <= index.relativeAt(i - 1) || position < index.positionAt(i - 1))) {
        return `entry ${i} (${relative}, ${position}) goes backwards`;
      }
      index.append(baseOffset + relative, position);
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

  lastEntry(): OffsetPosition {
    if (this.count === 0) return { offset: this.baseOffset, position: 0 };
    return this.entryAt(this.count - 1);
  }

  append(offset: number, position: number): void {
    const relative = offset - this.baseOffset;
    assert(relative >= 0 && relative <= 0x7fffffff, `offset ${offset} does not fit an index based at ${this.baseOffset}`);
    if (this.count > 0) {
      assert(relative > this.relativeAt(this.count - 1), `offset index entry ${offset} is not after the last one`);
      assert(position >= this.positionAt(this.count - 1), `offset index position ${position} goes backwards`);
    }
    this.ensureRoom();
    const at = this.count * OFFSET_INDEX_ENTRY_BYTES;
    this.buf.writeInt32BE(relative, at);
    this.buf.writeInt32BE(position, at + 4);
    this.count++;
  }

  /** The last entry with offset <= target, or the segment's start when there is none. */
  lookup(target: number): OffsetPosition {
    const relative = target - this.baseOffset;
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.relativeAt(mid) <= relative) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? { offset: this.baseOffset, position: 0 } : this.entryAt(found);
  }

  /** Drops every entry for `offset` or later. */
  truncateToOffset(offset: number): void {
    while (this.count > 0 && this.baseOffset + this.relativeAt(this.count - 1) >= offset) this.count--;
  }

  /** Keeps the first `entries` entries (undoing appends that never reached the disk). */
  truncateToEntries(entries: number): void {
    assert(entries >= 0 && entries <= this.count, 'cannot grow an index by truncating it');
    this.count = entries;
  }

  /** The index as Kafka stores it: exactly `entries * 8` bytes. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.count * OFFSET_INDEX_ENTRY_BYTES);
  }

  private entryAt(i: number): OffsetPosition {
    return { offset: this.baseOffset + this.relativeAt(i), position: this.positionAt(i) };
  }

  private relativeAt(i: number): number {
    return this.buf.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES);
  }

  private positionAt(i: number): number {
    return this.buf.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES + 4);
  }

  private ensureRoom(): void {
    const needed = (this.count + 1) * OFFSET_INDEX_ENTRY_BYTES;
    if (needed <= this.buf.length) return;
    const grown = Buffer.alloc(Math.max(needed, this.buf.length * 2));
    this.buf.copy(grown, 0, 0, this.count * OFFSET_INDEX_ENTRY_BYTES);
    this.buf = grown;
  }
}
