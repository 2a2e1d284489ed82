/**
 * An append-only encoder over a list of buffers. Small values go into a scratch buffer; large
 * byte blobs (record batches read from a segment) are referenced, not copied, so a fetch
 * response is written to the socket straight from the bytes read off disk.
 */
import { assert } from '../util/assert.js';

/** Blobs at least this large are referenced rather than copied into the scratch buffer. */
const REFERENCE_BYTES_MIN = 512;
const SCRATCH_BYTES_DEFAULT = 1024;
const ZERO_UUID = Buffer.alloc(16);
/** 2^63 as a double: numbers at or beyond it (in magnitude) are outside the INT64 range. */
const INT64_LIMIT = 2 ** 63;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

export class Writer {
  private readonly chunks: Buffer[] = [];
  private buf: Buffer;
  private pos = 0;
  /** Start of the part of `buf` not yet pushed to `chunks`. */
  private mark = 0;
  private flushed = 0;

  constructor(scratchBytes = SCRATCH_BYTES_DEFAULT) {
    this.buf = Buffer.allocUnsafe(scratchBytes);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.flushed + (this.pos - this.mark);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.cut();
    this.buf = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2, SCRATCH_BYTES_DEFAULT));
    this.pos = 0;
    this.mark = 0;
  }

  private cut(): void {
    if (this.pos > this.mark) {
      this.chunks.push(this.buf.subarray(this.mark, this.pos));
      this.flushed += this.pos - this.mark;
      this.mark = this.pos;
    }
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  uint16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  /**
   * INT64 from a number: exact within ±2^53. A larger magnitude (a value decoded from beyond
   * 2^53 is the nearest double, and the nearest double of 2^63−1 is 2^63) is written as the
   * nearest INT64, saturating at the ends of the range rather than failing.
   */
  int64(v: number): this {
    this.ensure(8);
    writeInt64Number(this.buf, this.pos, v);
    this.pos += 8;
    return this;
  }

  /** INT64 exactly, from a bigint within the INT64 range. */
  int64n(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }

  float64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  uvarint(v: number): this {
    this.ensure(5);
    let x = v >>> 0;
    while (x >= 0x80) {
      this.buf[this.pos++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    this.buf[this.pos++] = x;
    return this;
  }

  /** Zigzag-encoded signed 32-bit varint. */
  varint(v: number): this {
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** Zigzag-encoded signed 64-bit varint (for values within ±2^53). */
  varlong(v: number): this {
    let x = (BigInt(Math.trunc(v)) << 1n) ^ (BigInt(Math.trunc(v)) >> 63n);
    this.ensure(10);
    while (x >= 0x80n) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
    return this;
  }

  /** A UUID given in Kafka's text form (22 characters of base64url), or as 16 raw bytes. */
  uuid(v: string | Buffer): this {
    const raw = typeof v === 'string' ? uuidToBytes(v) : v;
    return this.raw(raw.length === 16 ? raw : ZERO_UUID);
  }

  /** Appends bytes as they are, with no length prefix. */
  raw(b: Buffer): this {
    if (b.length >= REFERENCE_BYTES_MIN) {
      this.cut();
      this.chunks.push(b);
      this.flushed += b.length;
      return this;
    }
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    return this;
  }

  string(v: string): this {
    const n = Buffer.byteLength(v);
    this.int16(n);
    return this.utf8(v, n);
  }

  nullableString(v: string | null): this {
    if (v === null) return this.int16(-1);
    return this.string(v);
  }

  compactString(v: string): this {
    const n = Buffer.byteLength(v);
    this.uvarint(n + 1);
    return this.utf8(v, n);
  }

  compactNullableString(v: string | null): this {
    if (v === null) return this.uvarint(0);
    return this.compactString(v);
  }

  private utf8(v: string, n: number): this {
    this.ensure(n);
    this.buf.write(v, this.pos, n, 'utf8');
    this.pos += n;
    return this;
  }

  bytes(v: Buffer): this {
    this.int32(v.length);
    return this.raw(v);
  }

  nullableBytes(v: Buffer | null): this {
    if (v === null) return this.int32(-1);
    return this.bytes(v);
  }

  compactBytes(v: Buffer): this {
    this.uvarint(v.length + 1);
    return this.raw(v);
  }

  compactNullableBytes(v: Buffer | null): this {
    if (v === null) return this.uvarint(0);
    return this.compactBytes(v);
  }

  /** Appends everything another writer holds. */
  append(other: Writer): this {
    for (const chunk of other.finish()) this.raw(chunk);
    return this;
  }

  /** The encoded bytes as a list of chunks, in order. The writer must not be used afterwards. */
  finish(): Buffer[] {
    this.cut();
    return this.chunks;
  }

  /** The encoded bytes as one buffer (copies when there is more than one chunk). */
  toBuffer(): Buffer {
    const chunks = this.finish();
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.length);
  }
}

/**
 * Writes a number as an INT64 at `at`: exact within ±2^53, beyond it the nearest INT64,
 * saturating at the ends of the range (the nearest double of 2^63−1 is 2^63).
 */
export function writeInt64Number(buf: Buffer, at: number, v: number): void {
  assert(Number.isFinite(v), `INT64 of ${v}`);
  if (Number.isSafeInteger(v)) {
    const hi = Math.floor(v / 4294967296);
    buf.writeInt32BE(hi, at);
    buf.writeUInt32BE(v - hi * 4294967296, at + 4);
  } else {
    buf.writeBigInt64BE(v >= INT64_LIMIT ? INT64_MAX : v < -INT64_LIMIT ? INT64_MIN : BigInt(Math.trunc(v)), at);
  }
}

/** Kafka prints a UUID as the URL-safe base64 of its 16 bytes, without padding. */
export function uuidToBytes(text: string): Buffer {
  const b = Buffer.from(text, 'base64url');
  return b.length === 16 ? b : ZERO_UUID;
}

export function uuidToString(bytes: Buffer): string {
  return bytes.toString('base64url');
}

export const ZERO_UUID_STRING = uuidToString(ZERO_UUID);
