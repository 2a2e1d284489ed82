import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_SCHEMAS } from '../../../src/protocol/apis.js';
import { type FieldSchema, codecFor, compileStruct, defaults, isFlexible } from '../../../src/protocol/schema.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';
import { seededRandom, randomInt, randomBytes, randomInt64 } from '../../helpers/random.js';

type Obj = Record<string, unknown>;
const inRange = (r: readonly [number, number] | null | undefined, v: number) => r != null && v >= r[0] && v <= r[1];

function randomValue(f: FieldSchema, version: number, rand: () => number, depth: number): unknown {
  if (inRange(f.nullable, version) && rand() < 0.15) return null;
  const scalar = (type: string): unknown => {
    if (f.exact) return randomInt64(rand);
    switch (type) {
      case 'int8': return randomInt(rand, -128, 127);
      case 'int16': return randomInt(rand, -32768, 32767);
      case 'uint16': return randomInt(rand, 0, 65535);
      case 'int32': return randomInt(rand, -2147483648, 2147483647);
      case 'int64': return randomInt(rand, -(2 ** 52), 2 ** 52);
      case 'float64': return rand() * 1e6;
      case 'bool': return rand() < 0.5;
      case 'string': return randomBytes(rand, randomInt(rand, 0, 12)).toString('base64');
      case 'bytes': case 'records': return randomBytes(rand, randomInt(rand, 0, rand() < 0.1 ? 2000 : 20));
      case 'uuid': return randomBytes(rand, 16).toString('base64url');
      default: throw new Error(type);
    }
  };
  if (f.type === 'struct') return randomStruct(f.fields ?? [], version, rand, depth + 1);
  if (f.type === '[]struct') {
    const n = depth > 3 ? 0 : randomInt(rand, 0, 3);
    return Array.from({ length: n }, () => randomStruct(f.fields ?? [], version, rand, depth + 1));
  }
  if (f.type.startsWith('[]')) return Array.from({ length: randomInt(rand, 0, 4) }, () => scalar(f.type.slice(2)));
  return scalar(f.type);
}

function randomStruct(fields: readonly FieldSchema[], version: number, rand: () => number, depth: number): Obj {
  const o: Obj = {};
  for (const f of fields) if (inRange(f.versions, version)) o[f.name] = randomValue(f, version, rand, depth);
  return o;
}

/** Checks that every field present at this version came back as it went in. */
function assertPresentEqual(fields: readonly FieldSchema[], version: number, sent: Obj, got: Obj, path: string): void {
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue;
    const a = sent[f.name];
    const b = got[f.name];
    const where = `${path}.${f.name}`;
    if (f.type === 'struct' && a != null) assertPresentEqual(f.fields ?? [], version, a as Obj, b as Obj, where);
    else if (f.type === '[]struct' && a != null) {
      assert.equal((b as Obj[]).length, (a as Obj[]).length, where);
      (a as Obj[]).forEach((x, i) => assertPresentEqual(f.fields ?? [], version, x, (b as Obj[])[i]!, `${where}[${i}]`));
    } else assert.deepEqual(b, a, where);
  }
}

test('every API round-trips at every version (requests and responses)', () => {
  const rand = seededRandom(12345);
  let checked = 0;
  for (const [, api] of API_SCHEMAS) {
    for (const schema of [api.request, api.response]) {
      for (let v = schema.validVersions[0]; v <= schema.validVersions[1]; v++) {
        for (let round = 0; round < 5; round++) {
          const value = randomStruct(schema.fields, v, rand, 0);
          const codec = codecFor<Obj>(schema, v);
          const w = new Writer(16);
          codec.encode(w, value);
          const bytes = w.toBuffer();
          const r = new Reader(bytes);
          const back = codec.decode(r);
          assert.equal(r.error, null, `${schema.name} v${v}: ${r.error}`);
          assert.equal(r.remaining, 0, `${schema.name} v${v} left bytes unread`);
          assertPresentEqual(schema.fields, v, value, back, `${schema.name} v${v}`);
          const again = new Writer();
          codec.encode(again, back);
          assert.deepEqual(again.toBuffer(), bytes, `${schema.name} v${v} re-encodes identically`);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 1000, `checked ${checked}`);
});

test('truncated or random bytes only ever produce a decode error, never a throw or hang', () => {
  const rand = seededRandom(99);
  for (const [, api] of API_SCHEMAS) {
    const schema = api.request;
    for (let v = schema.validVersions[0]; v <= schema.validVersions[1]; v++) {
      const codec = codecFor<Obj>(schema, v);
      const w = new Writer();
      codec.encode(w, randomStruct(schema.fields, v, rand, 0));
      const bytes = w.toBuffer();
      for (let cut = 0; cut < bytes.length; cut += Math.max(1, Math.floor(bytes.length / 7))) {
        const r = new Reader(bytes.subarray(0, cut));
        codec.decode(r);
        if (cut < bytes.length && r.error === null) assert.ok(r.remaining === 0);
      }
      const noise = randomBytes(rand, randomInt(rand, 0, 64));
      codec.decode(new Reader(noise));
    }
  }
});

/** A fresh value equal to a field's default: a new object for a struct, never the schema's own. */
function defaultLike(f: FieldSchema, version: number): unknown {
  if (f.type === 'struct' && !inRange(f.nullable, version)) {
    const o: Obj = {};
    for (const sub of f.fields ?? []) if (inRange(sub.versions, version)) o[sub.name] = defaultLike(sub, version);
    return o;
  }
  return defaults([f], version)[f.name];
}

test('every tagged field of every API, set to a value equal to its default, is left out of the message', () => {
  let checked = 0;
  const visit = (fields: readonly FieldSchema[], version: number, name: string, flexible: boolean): void => {
    for (const f of fields) {
      if (!inRange(f.versions, version)) continue;
      if (f.fields) visit(f.fields, version, `${name}.${f.name}`, flexible);
      if (!flexible || !inRange(f.tagged, version)) continue;
      const codec = compileStruct([f], version, true);
      const w = new Writer();
      codec.encode(w, { [f.name]: defaultLike(f, version) });
      assert.deepEqual(w.toBuffer(), Buffer.from([0]), `${name}.${f.name} v${version} is written at its default`);
      checked++;
    }
  };
  for (const [, api] of API_SCHEMAS)
    for (const schema of [api.request, api.response])
      for (let v = schema.validVersions[0]; v <= schema.validVersions[1]; v++) visit(schema.fields, v, schema.name, isFlexible(schema, v));
  assert.ok(checked >= 45, `checked ${checked}`);
});
