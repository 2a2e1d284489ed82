/**
 * INT64 on the wire, for every int64 field of every API at every version: any 64-bit value a
 * client sends decodes (never a decode error, never a throw), an exact field (bigint) comes back
 * bit for bit, and a number field is the nearest double, written back as the nearest INT64.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_SCHEMAS } from '../../../src/protocol/apis.js';
import { type FieldSchema, compileStruct, isFlexible } from '../../../src/protocol/schema.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';
import { seededRandom, randomInt, randomInt64, INT64_EDGES } from '../../helpers/random.js';

type Obj = Record<string, unknown>;
const inRange = (r: readonly [number, number] | null | undefined, v: number) => r != null && v >= r[0] && v <= r[1];
const isInt64 = (f: FieldSchema) => f.type === 'int64' || f.type === '[]int64';
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** The same fields with every int64 exact: encodes any 64-bit value and reads back the bits. */
function wireTwin(fields: readonly FieldSchema[]): FieldSchema[] {
  return fields.map((f) => ({ ...f, ...(isInt64(f) ? { exact: true } : {}), ...(f.fields ? { fields: wireTwin(f.fields) } : {}) }));
}

/** A value with a random INT64 in every int64 field (and small arrays, plain other fields). */
function int64Struct(fields: readonly FieldSchema[], version: number, rand: () => number, depth: number): Obj {
  const o: Obj = {};
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue;
    if (f.type === 'int64') o[f.name] = randomInt64(rand);
    else if (f.type === '[]int64') o[f.name] = Array.from({ length: randomInt(rand, 0, 3) }, () => randomInt64(rand));
    else if (f.type === 'struct' && f.fields) o[f.name] = int64Struct(f.fields, version, rand, depth + 1);
    else if (f.type === '[]struct' && f.fields) o[f.name] = Array.from({ length: depth > 3 ? 0 : randomInt(rand, 1, 2) }, () => int64Struct(f.fields!, version, rand, depth + 1));
  }
  return o;
}

/** What a number field holds for a wire value, and what it writes back. */
const nearestDouble = (v: bigint): number => Number(v);
const nearestInt64 = (d: number): bigint => (d >= 2 ** 63 ? INT64_MAX : d < -(2 ** 63) ? INT64_MIN : BigInt(d));

/** Walks the int64 fields of `sent` (wire values) and of `got` (decoded) in step. */
function checkInt64(fields: readonly FieldSchema[], version: number, sent: Obj, got: Obj, back: Obj, path: string): number {
  let n = 0;
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue;
    const where = `${path}.${f.name}`;
    const a = sent[f.name];
    if (isInt64(f)) {
      const wire = (f.type === 'int64' ? [a] : a) as bigint[];
      const decoded = (f.type === 'int64' ? [got[f.name]] : got[f.name]) as unknown[];
      const rewritten = (f.type === 'int64' ? [back[f.name]] : back[f.name]) as bigint[];
      wire.forEach((w, i) => {
        if (f.exact) {
          assert.equal(decoded[i], w, `${where}: exact`);
          assert.equal(rewritten[i], w, `${where}: re-encoded exactly`);
        } else {
          assert.equal(decoded[i], nearestDouble(w), `${where}: the nearest double of ${w}`);
          assert.equal(rewritten[i], nearestInt64(nearestDouble(w)), `${where}: re-encoded as the nearest INT64`);
          if (w >= -(2n ** 53n) && w <= 2n ** 53n) assert.equal(rewritten[i], w, `${where}: exact within ±2^53`);
        }
        n++;
      });
    } else if (f.type === 'struct' && f.fields && a != null) n += checkInt64(f.fields, version, a as Obj, got[f.name] as Obj, back[f.name] as Obj, where);
    else if (f.type === '[]struct' && f.fields && Array.isArray(a))
      a.forEach((x, i) => (n += checkInt64(f.fields!, version, x as Obj, (got[f.name] as Obj[])[i]!, (back[f.name] as Obj[])[i]!, `${where}[${i}]`)));
  }
  return n;
}

test('every int64 field of every API at every version takes any 64-bit value without a decode error or a throw', () => {
  const rand = seededRandom(2 ** 31 - 1);
  let values = 0;
  for (const [, api] of API_SCHEMAS) {
    for (const schema of [api.request, api.response]) {
      for (let v = schema.validVersions[0]; v <= schema.validVersions[1]; v++) {
        const flexible = isFlexible(schema, v);
        const real = compileStruct(schema.fields, v, flexible);
        const twin = compileStruct(wireTwin(schema.fields), v, flexible);
        for (let round = 0; round < 8; round++) {
          const sent = int64Struct(schema.fields, v, rand, 0);
          const w = new Writer();
          twin.encode(w, sent);
          const r = new Reader(w.toBuffer());
          const got = real.decode(r);
          assert.equal(r.error, null, `${schema.name} v${v}: ${r.error}`);
          assert.equal(r.remaining, 0, `${schema.name} v${v} left bytes unread`);
          const again = new Writer();
          real.encode(again, got);
          const back = twin.decode(new Reader(again.toBuffer()));
          values += checkInt64(schema.fields, v, sent, got, back, `${schema.name} v${v}`);
        }
      }
    }
  }
  assert.ok(values > 4000, `checked ${values} values`);
});

test('exact INT64 primitives round-trip every edge and random bits; number INT64 is exact within ±2^53', () => {
  const rand = seededRandom(7);
  const all = [...INT64_EDGES, ...Array.from({ length: 2000 }, () => randomInt64(rand))];
  const w = new Writer(8);
  for (const v of all) w.int64n(v);
  const r = new Reader(w.toBuffer());
  for (const v of all) assert.equal(r.int64n(), v);
  assert.equal(r.remaining, 0);

  const safe = [0, 1, -1, 2 ** 32, -(2 ** 32) - 1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, ...Array.from({ length: 2000 }, () => randomInt(rand, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER))];
  const ws = new Writer(8);
  for (const v of safe) ws.int64(v);
  const bytes = ws.toBuffer();
  const rs = new Reader(bytes);
  for (const v of safe) assert.equal(rs.int64(), v);
  safe.forEach((v, i) => assert.equal(bytes.readBigInt64BE(i * 8), BigInt(v), `bytes of ${v}`));
  // Beyond the INT64 range a number saturates rather than failing.
  assert.equal(new Writer().int64(2 ** 63).toBuffer().readBigInt64BE(0), INT64_MAX);
  assert.equal(new Writer().int64(-(2 ** 64)).toBuffer().readBigInt64BE(0), INT64_MIN);
  assert.throws(() => new Writer().int64(NaN));
});
