/**
 * The log cleaner's key → latest offset map over the dirty part of a log (Kafka's OffsetMap).
 * Kafka keeps a fixed-size hash table of 16-byte MD5 digests; here short keys are kept as they
 * are and long ones as a SHA-256 digest, so memory per entry stays bounded and collisions among
 * short keys are impossible.
 */
import { createHash } from 'node:crypto';
import { assert } from '../util/assert.js';

/**
 * Keys up to this many bytes are stored verbatim: most keys (ids, names, small composites) are
 * shorter, and a digest would be longer than them.
 */
const VERBATIM_KEY_BYTES_MAX = 32;

export class OffsetMap {
  private readonly offsets = new Map<string, number>();
  private latest = -1;

  /** `entriesMax` bounds memory; see CLEANER_OFFSET_MAP_ENTRIES_MAX. */
  constructor(readonly entriesMax: number) {
    assert(Number.isSafeInteger(entriesMax) && entriesMax > 0, `bad offset map size ${entriesMax}`);
  }

  get size(): number {
    return this.offsets.size;
  }

  /** The largest offset put so far, or -1. */
  get latestOffset(): number {
    return this.latest;
  }

  /** Room for `n` more keys, counting each as new. */
  hasRoomFor(n: number): boolean {
    return this.offsets.size + n <= this.entriesMax;
  }

  /** Records that `key` was written at `offset`; offsets must be put in increasing order. */
  put(key: Buffer, offset: number): void {
    assert(offset >= this.latest, `offset map: ${offset} put after ${this.latest}`);
    this.offsets.set(mapKey(key), offset);
    this.latest = offset;
  }

  /** The latest offset of `key` in the map, or -1. */
  get(key: Buffer): number {
    return this.offsets.get(mapKey(key)) ?? -1;
  }

  clear(): void {
    this.offsets.clear();
    this.latest = -1;
  }
}

/** A tag character keeps verbatim keys and digests apart. */
function mapKey(key: Buffer): string {
  if (key.length <= VERBATIM_KEY_BYTES_MAX) return 'k' + key.toString('latin1');
  return 'h' + createHash('sha256').update(key).digest().toString('latin1');
}
