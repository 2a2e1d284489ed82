import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Serdes, SerializationError } from '../../../src/streams/serdes.js';

const hex = (b: Buffer | null): string | null => (b === null ? null : b.toString('hex'));

test('Long is 8 bytes big-endian, as Kafka\'s LongSerializer writes it; null stays null', () => {
  const long = Serdes.Long();
  assert.equal(hex(long.serialize('t', 1)), '0000000000000001');
  assert.equal(hex(long.serialize('t', 256)), '0000000000000100');
  assert.equal(hex(long.serialize('t', -1)), 'ffffffffffffffff');
  assert.equal(hex(long.serialize('t', Number.MAX_SAFE_INTEGER)), '001fffffffffffff');
  assert.equal(long.serialize('t', null), null);
  assert.equal(long.deserialize('t', null), null);
  assert.equal(long.deserialize('t', Buffer.from('000000000000002a', 'hex')), 42);
  assert.throws(() => long.deserialize('t', Buffer.from('2a', 'hex')), (e: unknown) => e instanceof SerializationError && /Size of data received by LongDeserializer is not 8/.test(e.message));
  assert.throws(() => long.serialize('t', 1.5), SerializationError);
  assert.throws(() => long.deserialize('t', Buffer.from('7fffffffffffffff', 'hex')), /LongBigInt/);
  assert.equal(Serdes.LongBigInt().deserialize('t', Buffer.from('7fffffffffffffff', 'hex')), 2n ** 63n - 1n);
  assert.equal(hex(Serdes.LongBigInt().serialize('t', -2n)), 'fffffffffffffffe');
});

test('Integer is 4 bytes big-endian, Short 2, Double and Float IEEE 754 big-endian', () => {
  assert.equal(hex(Serdes.Integer().serialize('t', 1)), '00000001');
  assert.equal(hex(Serdes.Integer().serialize('t', -2)), 'fffffffe');
  assert.equal(Serdes.Integer().deserialize('t', Buffer.from('7fffffff', 'hex')), 2147483647);
  assert.throws(() => Serdes.Integer().serialize('t', 2 ** 31), SerializationError);
  assert.throws(() => Serdes.Integer().deserialize('t', Buffer.alloc(8)), /IntegerDeserializer is not 4/);
  assert.equal(hex(Serdes.Short().serialize('t', -1)), 'ffff');
  assert.equal(hex(Serdes.Double().serialize('t', 1.5)), '3ff8000000000000');
  assert.equal(Serdes.Double().deserialize('t', Buffer.from('3ff8000000000000', 'hex')), 1.5);
  assert.equal(hex(Serdes.Float().serialize('t', 1.5)), '3fc00000');
  assert.equal(Serdes.Integer().serialize('t', null), null);
  assert.equal(Serdes.Double().deserialize('t', null), null);
});

test('String is UTF-8, bytes pass as they are, JSON is UTF-8 JSON text; null stays null (not empty)', () => {
  assert.equal(hex(Serdes.String().serialize('t', 'é')), 'c3a9');
  assert.equal(Serdes.String().deserialize('t', Buffer.from('c3a9', 'hex')), 'é');
  assert.equal(hex(Serdes.String().serialize('t', '')), '');
  assert.equal(Serdes.String().serialize('t', null), null);
  assert.equal(Serdes.String().deserialize('t', null), null);
  const bytes = Buffer.from([0, 1, 2]);
  assert.equal(Serdes.ByteArray().serialize('t', bytes), bytes);
  assert.equal(Serdes.Bytes().deserialize('t', null), null);
  const json = Serdes.Json<{ n: number }>();
  assert.equal(json.serialize('t', { n: 1 })!.toString(), '{"n":1}');
  assert.deepEqual(json.deserialize('t', Buffer.from('{"n":2}')), { n: 2 });
  assert.equal(json.serialize('t', null), null);
  assert.throws(() => json.deserialize('t', Buffer.from('{')), (e: unknown) => e instanceof SerializationError && /a record of t is not JSON/.test(e.message));
  assert.equal(Serdes.Void().serialize('t', null), null);
  assert.throws(() => Serdes.Void().deserialize('t', Buffer.alloc(1)), SerializationError);
});

test('serdeFrom joins a user\'s serializer and deserializer; a serde is its own serializer() and deserializer()', () => {
  const upper = Serdes.serdeFrom<string>(
    { serialize: (_t, s) => (s === null ? null : Buffer.from(s.toUpperCase())) },
    { deserialize: (_t, b) => (b === null ? null : b.toString().toLowerCase()) },
  );
  assert.equal(upper.serialize('t', 'ab')!.toString(), 'AB');
  assert.equal(upper.deserialize('t', Buffer.from('CD')), 'cd');
  assert.equal(upper.serializer().serialize('t', 'x')!.toString(), 'X');
  const s = Serdes.String();
  assert.equal(s.serializer(), s);
  assert.equal(s.deserializer(), s);
});
