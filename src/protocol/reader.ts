import { uuidToString } from './writer.js';

/** Raised by decoders for bytes that are not a valid message: the connection is closed. */
export class DecodeError extends Error {
  override name = 'DecodeError';
}

/**
 * A "sticky" decoder: once it runs past the end or meets an impossible length it records the
 * first problem, returns zeros from then on, and the caller checks `error` once at the end.
 */
export class Reader {
  pos: number;
  error: string | null = null;

  constructor(
    readonly buf: Buffer,
    offset = 0,
    readonly end = buf.length,
  ) {
    this.pos = offset;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(message: string): void {
    if (this.error === null) this.error = message;
    this.pos = this.end;
  }

  private take(n: number): number {
    if (this.error !== null) return -1;
    if (n < 0 || this.pos + n > this.end) {
      this.fail(`needed ${n} bytes at offset ${this.pos} but only ${this.end - this.pos} remain`);
      return -1;
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int8(): number {
    const at = this.take(1);
    return at < 0 ? 0 : this.buf.readInt8(at);
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    const at = this.take(2);
    return at < 0 ? 0 : this.buf.readInt16BE(at);
  }

  uint16(): number {
    const at = this.take(2);
    return at < 0 ? 0 : this.buf.readUInt16BE(at);
  }

  int32(): number {
    const at = this.take(4);
    return at < 0 ? 0 : this.buf.readInt32BE(at);
  }

  uint32(): number {
    const at = this.take(4);
    return at < 0 ? 0 : this.buf.readUInt32BE(at);
  }

  /**
   * INT64 as a number: exact within ±2^53; beyond, the nearest double (one rounding), so that
   * comparisons with any value below 2^53 come out as they would for the exact value.
   */
  int64(): number {
    const at = this.take(8);
    return at < 0 ? 0 : this.buf.readInt32BE(at) * 4294967296 + this.buf.readUInt32BE(at + 4);
  }

  /** INT64 exactly, as a bigint. */
  int64n(): bigint {
    const at = this.take(8);
    return at < 0 ? 0n : this.buf.readBigInt64BE(at);
  }

  float64(): number {
    const at = this.take(8);
    return at < 0 ? 0 : this.buf.readDoubleBE(at);
  }

  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const at = this.take(1);
      if (at < 0) return 0;
      const byte = this.buf[at]!;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
    this.fail('varint longer than 5 bytes');
    return 0;
  }

  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  varlong(): number {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const at = this.take(1);
      if (at < 0) return 0;
      const byte = BigInt(this.buf[at]!);
      result |= (byte & 0x7fn) << shift;
      if ((byte & 0x80n) === 0n) return Number((result >> 1n) ^ -(result & 1n));
      shift += 7n;
    }
    this.fail('varlong longer than 10 bytes');
    return 0;
  }

  uuid(): string {
    const at = this.take(16);
    return uuidToString(at < 0 ? Buffer.alloc(16) : this.buf.subarray(at, at + 16));
  }

  /** `n` bytes as a view into the underlying buffer (no copy). */
  raw(n: number): Buffer {
    const at = this.take(n);
    return at < 0 ? Buffer.alloc(0) : this.buf.subarray(at, at + n);
  }

  private text(n: number): string {
    const at = this.take(n);
    return at < 0 ? '' : this.buf.toString('utf8', at, at + n);
  }

  string(): string {
    const n = this.int16();
    if (n < 0) {
      this.fail('null string where a string is required');
      return '';
    }
    return this.text(n);
  }

  nullableString(): string | null {
    const n = this.int16();
    return n < 0 ? null : this.text(n);
  }

  compactString(): string {
    const n = this.uvarint();
    if (n === 0) {
      this.fail('null compact string where a string is required');
      return '';
    }
    return this.text(n - 1);
  }

  compactNullableString(): string | null {
    const n = this.uvarint();
    return n === 0 ? null : this.text(n - 1);
  }

  bytes(): Buffer {
    const n = this.int32();
    if (n < 0) {
      this.fail('null bytes where bytes are required');
      return Buffer.alloc(0);
    }
    return this.raw(n);
  }

  nullableBytes(): Buffer | null {
    const n = this.int32();
    return n < 0 ? null : this.raw(n);
  }

  compactBytes(): Buffer {
    const n = this.uvarint();
    if (n === 0) {
      this.fail('null compact bytes where bytes are required');
      return Buffer.alloc(0);
    }
    return this.raw(n - 1);
  }

  compactNullableBytes(): Buffer | null {
    const n = this.uvarint();
    return n === 0 ? null : this.raw(n - 1);
  }

  /**
   * An array length, checked against what is left so that a forged count cannot make a decoder
   * allocate or loop far beyond the frame: every element takes at least `elementBytesMin` bytes.
   */
  arrayLength(n: number, elementBytesMin = 1): number {
    if (n < 0) return -1;
    if (n * elementBytesMin > this.remaining) {
      this.fail(`array of ${n} elements cannot fit in the ${this.remaining} bytes left`);
      return 0;
    }
    return n;
  }

  /** Throws a DecodeError if any read failed. */
  check(what: string): void {
    if (this.error !== null) throw new DecodeError(`${what}: ${this.error}`);
  }
}
