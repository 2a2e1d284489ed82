import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';

test('varints, varlongs and zigzag round-trip at their edges', () => {
  const ints = [0, 1, -1, 63, -64, 64, 127, 128, 300, -300, 2 ** 31 - 1, -(2 ** 31)];
  const longs = [0, 1, -1, 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
  const w = new Writer(4);
  for (const v of ints) w.varint(v);
  for (const v of longs) w.varlong(v);
  for (const v of [0, 127, 128, 16383, 16384, 2 ** 32 - 1]) w.uvarint(v);
  const r = new Reader(w.toBuffer());
  for (const v of ints) assert.equal(r.varint(), v);
  for (const v of longs) assert.equal(r.varlong(), v);
  for (const v of [0, 127, 128, 16383, 16384, 2 ** 32 - 1]) assert.equal(r.uvarint(), v);
  assert.equal(r.error, null);
  assert.equal(r.remaining, 0);
});

test('zigzag varint matches Kafka byte encodings', () => {
  assert.deepEqual(new Writer().varint(-1).toBuffer(), Buffer.from([0x01]));
  assert.deepEqual(new Writer().varint(1).toBuffer(), Buffer.from([0x02]));
  assert.deepEqual(new Writer().varint(-65).toBuffer(), Buffer.from([0x81, 0x01]));
  assert.deepEqual(new Writer().uvarint(300).toBuffer(), Buffer.from([0xac, 0x02]));
});

test('strings, compact and nullable forms', () => {
  const w = new Writer(2);
  w.string('héllo').nullableString(null).compactString('ab').compactNullableString(null).compactNullableString('');
  w.bytes(Buffer.from([1, 2])).nullableBytes(null).compactBytes(Buffer.alloc(600, 7)).int64(-2).int64(2 ** 50);
  const r = new Reader(w.toBuffer());
  assert.equal(r.string(), 'héllo');
  assert.equal(r.nullableString(), null);
  assert.equal(r.compactString(), 'ab');
  assert.equal(r.compactNullableString(), null);
  assert.equal(r.compactNullableString(), '');
  assert.deepEqual(r.bytes(), Buffer.from([1, 2]));
  assert.equal(r.nullableBytes(), null);
  assert.deepEqual(r.compactBytes(), Buffer.alloc(600, 7));
  assert.equal(r.int64(), -2);
  assert.equal(r.int64(), 2 ** 50);
  assert.equal(r.error, null);
});

test('a reader past the end is sticky: zeros and one recorded error', () => {
  const r = new Reader(Buffer.from([0, 5, 65]));
  assert.equal(r.string(), '');
  assert.match(r.error ?? '', /needed 5 bytes/);
  assert.equal(r.int32(), 0);
  assert.throws(() => r.check('test'), /needed 5 bytes/);
});

test('a forged array count cannot exceed the bytes left', () => {
  const r = new Reader(Buffer.from([0, 0, 0, 1]));
  assert.equal(r.arrayLength(1_000_000_000, 4), 0);
  assert.notEqual(r.error, null);
});

test('UUIDs use Kafka text form', () => {
  const bytes = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const w = new Writer().uuid(bytes.toString('base64url'));
  const r = new Reader(w.toBuffer());
  assert.equal(r.uuid(), bytes.toString('base64url'));
});
