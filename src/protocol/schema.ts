/**
 * Messages are declared as data (mirroring Kafka's message definitions: fields with version
 * ranges, nullable and tagged versions) and encoders/decoders are compiled from the declaration
 * once per version, on first use.
 */
import { assert } from '../util/assert.js';
import { Reader } from './reader.js';
import { Writer, ZERO_UUID_STRING } from './writer.js';

/** Highest version any field range can name ("N+" in Kafka's definitions). */
export const VERSION_MAX = 0x7fff;

/** [lowest, highest] inclusive; `null` means "no version". */
export type VersionRange = readonly [number, number] | null;

export type PrimitiveType =
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'int64'
  | 'float64'
  | 'bool'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid';

export interface FieldSchema {
  readonly name: string;
  /** A primitive, `struct`, `[]<primitive>` or `[]struct`. */
  readonly type: PrimitiveType | 'struct' | `[]${PrimitiveType}` | '[]struct';
  readonly versions: VersionRange;
  readonly nullable?: VersionRange;
  readonly tagged?: VersionRange;
  readonly tag?: number;
  /**
   * An `int64` carried exactly, as a bigint: for values a client may set anywhere in the 64-bit
   * range that the broker stores or sends back (committed offsets, commit timestamps, retention).
   * Other int64 fields are numbers: exact within ±2^53, and beyond it the nearest double, which
   * compares with every offset, id and timestamp the broker holds as the exact value would.
   */
  readonly exact?: boolean;
  /** Value when absent from a version; numbers default to 0, strings to '', arrays to []. */
  readonly default?: unknown;
  readonly fields?: readonly FieldSchema[];
}

export interface MessageSchema {
  readonly name: string;
  readonly apiKey: number;
  readonly validVersions: readonly [number, number];
  readonly flexible: VersionRange;
  readonly fields: readonly FieldSchema[];
}

type Obj = Record<string, unknown>;
type Encode = (w: Writer, v: Obj) => void;
type Decode = (r: Reader) => Obj;

export interface Codec<T> {
  encode(w: Writer, value: T): void;
  decode(r: Reader): T;
}

function inRange(range: VersionRange | undefined, v: number): boolean {
  return range != null && v >= range[0] && v <= range[1];
}

export function isFlexible(schema: MessageSchema, version: number): boolean {
  return inRange(schema.flexible, version);
}

/** Bytes the smallest element of this field type takes on the wire (bounds forged counts). */
const ELEMENT_BYTES_MIN: Record<string, number> = {
  int8: 1, int16: 2, uint16: 2, int32: 4, int64: 8, float64: 8, bool: 1, uuid: 16,
};

function defaultValue(f: FieldSchema, version: number): unknown {
  if (f.exact) {
    if (f.type.startsWith('[]')) return inRange(f.nullable, version) ? null : [];
    return BigInt((f.default as number | undefined) ?? 0);
  }
  if (f.default !== undefined) {
    if (Array.isArray(f.default)) return [...f.default];
    return f.default;
  }
  if (f.type.startsWith('[]')) return inRange(f.nullable, version) ? null : [];
  switch (f.type) {
    case 'bool':
      return false;
    case 'string':
      return inRange(f.nullable, version) ? null : '';
    case 'bytes':
    case 'records':
      return inRange(f.nullable, version) ? null : Buffer.alloc(0);
    case 'uuid':
      return ZERO_UUID_STRING;
    case 'struct':
      // Kafka's default struct has every field at its default; only a nullable one defaults to null.
      return inRange(f.nullable, version) ? null : defaults(f.fields ?? [], version);
    default:
      return 0;
  }
}

/** A struct's fields as an object holding every field's default, for this version. */
export function defaults(fields: readonly FieldSchema[], version: number): Obj {
  const o: Obj = {};
  for (const f of fields) o[f.name] = defaultValue(f, version);
  return o;
}

interface ValueCodec {
  enc: (w: Writer, v: unknown) => void;
  dec: (r: Reader) => unknown;
  elementBytesMin: number;
}

function primitiveCodec(type: PrimitiveType, nullable: boolean, flexible: boolean, exact = false): ValueCodec {
  const c = (enc: ValueCodec['enc'], dec: ValueCodec['dec'], min = 1): ValueCodec => ({ enc, dec, elementBytesMin: min });
  if (exact) {
    assert(type === 'int64', `only int64 fields can be exact, not ${type}`);
    return c((w, v) => w.int64n(BigInt((v as bigint | number | undefined) ?? 0n)), (r) => r.int64n(), 8);
  }
  switch (type) {
    case 'int8':
      return c((w, v) => w.int8(Number(v ?? 0)), (r) => r.int8(), 1);
    case 'int16':
      return c((w, v) => w.int16(Number(v ?? 0)), (r) => r.int16(), 2);
    case 'uint16':
      return c((w, v) => w.uint16(Number(v ?? 0)), (r) => r.uint16(), 2);
    case 'int32':
      return c((w, v) => w.int32(Number(v ?? 0)), (r) => r.int32(), 4);
    case 'int64':
      return c((w, v) => w.int64(Number(v ?? 0)), (r) => r.int64(), 8);
    case 'float64':
      return c((w, v) => w.float64(Number(v ?? 0)), (r) => r.float64(), 8);
    case 'bool':
      return c((w, v) => w.bool(Boolean(v)), (r) => r.bool(), 1);
    case 'uuid':
      return c((w, v) => w.uuid((v as string | Buffer | null) ?? ZERO_UUID_STRING), (r) => r.uuid(), 16);
    case 'string':
      if (flexible)
        return nullable
          ? c((w, v) => w.compactNullableString((v as string | null) ?? null), (r) => r.compactNullableString())
          : c((w, v) => w.compactString((v as string | null) ?? ''), (r) => r.compactString());
      return nullable
        ? c((w, v) => w.nullableString((v as string | null) ?? null), (r) => r.nullableString(), 2)
        : c((w, v) => w.string((v as string | null) ?? ''), (r) => r.string(), 2);
    case 'bytes':
    case 'records':
      if (flexible)
        return nullable
          ? c((w, v) => w.compactNullableBytes((v as Buffer | null) ?? null), (r) => r.compactNullableBytes())
          : c((w, v) => w.compactBytes((v as Buffer | null) ?? Buffer.alloc(0)), (r) => r.compactBytes());
      return nullable
        ? c((w, v) => w.nullableBytes((v as Buffer | null) ?? null), (r) => r.nullableBytes(), 4)
        : c((w, v) => w.bytes((v as Buffer | null) ?? Buffer.alloc(0)), (r) => r.bytes(), 4);
  }
}

function arrayCodec(elem: ValueCodec, nullable: boolean, flexible: boolean): ValueCodec {
  const enc = (w: Writer, v: unknown): void => {
    const arr = v as unknown[] | null | undefined;
    if (arr == null) {
      if (flexible) w.uvarint(0);
      else w.int32(nullable ? -1 : 0);
      return;
    }
    if (flexible) w.uvarint(arr.length + 1);
    else w.int32(arr.length);
    for (const item of arr) elem.enc(w, item);
  };
  const dec = (r: Reader): unknown => {
    const raw = flexible ? r.uvarint() - 1 : r.int32();
    if (raw < 0) {
      if (!nullable) r.fail('null array where an array is required');
      return nullable ? null : [];
    }
    const n = r.arrayLength(raw, elem.elementBytesMin);
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = elem.dec(r);
    return out;
  };
  return { enc, dec, elementBytesMin: flexible ? 1 : 4 };
}

function fieldCodec(f: FieldSchema, version: number, flexible: boolean): ValueCodec {
  const nullable = inRange(f.nullable, version);
  if (f.type === 'struct') {
    const s = compileStruct(f.fields ?? [], version, flexible);
    if (!nullable) return { enc: (w, v) => s.encode(w, (v ?? defaults(f.fields ?? [], version)) as Obj), dec: (r) => s.decode(r), elementBytesMin: 1 };
    // A nullable struct is preceded by an int8 marker: -1 for null, 1 present.
    return {
      enc: (w, v) => {
        if (v == null) w.int8(-1);
        else {
          w.int8(1);
          s.encode(w, v as Obj);
        }
      },
      dec: (r) => (r.int8() < 0 ? null : s.decode(r)),
      elementBytesMin: 1,
    };
  }
  if (f.type === '[]struct') {
    const s = compileStruct(f.fields ?? [], version, flexible);
    return arrayCodec({ enc: (w, v) => s.encode(w, v as Obj), dec: (r) => s.decode(r), elementBytesMin: 1 }, nullable, flexible);
  }
  if (f.type.startsWith('[]')) {
    const elem = primitiveCodec(f.type.slice(2) as PrimitiveType, false, flexible, f.exact);
    return arrayCodec(elem, nullable, flexible);
  }
  return primitiveCodec(f.type as PrimitiveType, nullable, flexible, f.exact);
}

interface TaggedField {
  tag: number;
  name: string;
  codec: ValueCodec;
  isDefault: (v: unknown) => boolean;
}

/**
 * Whether a tagged field's value equals its default, so that it is left out of the message as
 * Kafka leaves it: compared by value (a struct whose every field is at its default is a default
 * struct, whatever object holds it), never by identity.
 */
function sameAsDefault(f: FieldSchema, version: number): (v: unknown) => boolean {
  if (f.type === 'struct') {
    const fields = (f.fields ?? []).filter((sub) => inRange(sub.versions, version));
    const subDefault = fields.map((sub) => sameAsDefault(sub, version));
    const nullable = inRange(f.nullable, version);
    return (v) => {
      if (v == null) return true;
      // A nullable struct defaults to null: a present one is written even if all its fields are defaults.
      if (nullable) return false;
      return fields.every((sub, i) => subDefault[i]!((v as Obj)[sub.name]));
    };
  }
  const d = defaultValue(f, version);
  return (v) => v === undefined || equalsDefault(v, d);
}

function equalsDefault(v: unknown, d: unknown): boolean {
  if (v === d) return true;
  if (Array.isArray(v)) return Array.isArray(d) && v.length === 0 && d.length === 0;
  if (Buffer.isBuffer(v)) return Buffer.isBuffer(d) && v.equals(d);
  if (typeof v === 'bigint' && typeof d === 'number') return v === BigInt(d);
  if (typeof v === 'number' && typeof d === 'bigint') return BigInt(v) === d;
  return false;
}

/** Compiles one struct (or the message body) for one version. */
export function compileStruct(fields: readonly FieldSchema[], version: number, flexible: boolean): { encode: Encode; decode: Decode } {
  const present: Array<{ name: string; codec: ValueCodec; fallback: unknown }> = [];
  const tagged: TaggedField[] = [];
  const absent: FieldSchema[] = [];
  for (const f of fields) {
    if (!inRange(f.versions, version)) {
      absent.push(f);
      continue;
    }
    if (flexible && inRange(f.tagged, version)) {
      tagged.push({ tag: f.tag ?? 0, name: f.name, codec: fieldCodec(f, version, true), isDefault: sameAsDefault(f, version) });
    } else {
      present.push({ name: f.name, codec: fieldCodec(f, version, flexible), fallback: defaultValue(f, version) });
    }
  }
  tagged.sort((a, b) => a.tag - b.tag);
  const byTag = new Map(tagged.map((t) => [t.tag, t]));

  const encode: Encode = (w, v) => {
    for (const p of present) {
      const value = v[p.name];
      // A field left out of the object takes its declared default (e.g. preferred replica -1).
      p.codec.enc(w, value === undefined ? p.fallback : value);
    }
    if (!flexible) return;
    const toWrite = tagged.filter((t) => !t.isDefault(v[t.name]));
    w.uvarint(toWrite.length);
    for (const t of toWrite) {
      const sub = new Writer(64);
      t.codec.enc(sub, v[t.name]);
      w.uvarint(t.tag).uvarint(sub.length).append(sub);
    }
  };

  const decode: Decode = (r) => {
    const o: Obj = {};
    for (const p of present) o[p.name] = p.codec.dec(r);
    for (const f of absent) o[f.name] = defaultValue(f, version);
    if (!flexible) return o;
    for (const t of tagged) o[t.name] = defaultValue(fields.find((f) => f.name === t.name)!, version);
    const count = r.arrayLength(r.uvarint(), 2);
    for (let i = 0; i < count; i++) {
      const tag = r.uvarint();
      const size = r.uvarint();
      const known = byTag.get(tag);
      if (known === undefined) {
        r.raw(size); // unknown tags are skipped, as the protocol requires
        continue;
      }
      const end = r.pos + size;
      o[known.name] = known.codec.dec(r);
      if (r.error === null && r.pos !== end) r.fail(`tagged field ${tag} declared ${size} bytes`);
    }
    return o;
  };
  return { encode, decode };
}

const cache = new WeakMap<MessageSchema, Map<number, { encode: Encode; decode: Decode }>>();

/** The codec for one message at one version, compiled once and cached. */
export function codecFor<T>(schema: MessageSchema, version: number): Codec<T> {
  let perVersion = cache.get(schema);
  if (perVersion === undefined) {
    perVersion = new Map();
    cache.set(schema, perVersion);
  }
  let c = perVersion.get(version);
  if (c === undefined) {
    c = compileStruct(schema.fields, version, isFlexible(schema, version));
    perVersion.set(version, c);
  }
  return c as unknown as Codec<T>;
}

export function encodeMessage<T>(schema: MessageSchema, version: number, value: T, w = new Writer()): Writer {
  codecFor<T>(schema, version).encode(w, value);
  return w;
}

export function decodeMessage<T>(schema: MessageSchema, version: number, r: Reader): T {
  return codecFor<T>(schema, version).decode(r);
}
