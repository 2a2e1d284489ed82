import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  NO_GENERATION,
  type Subscription,
} from '../../../src/client/group/consumer-protocol.js';
import { ProtocolError } from '../../../src/client/errors.js';
import { randomBytes, randomInt, seededRandom } from '../../helpers/random.js';

/** Big-endian helpers to write the expected bytes out by hand, field by field, as Java lays them out. */
const i16 = (n: number): string => (n & 0xffff).toString(16).padStart(4, '0');
const i32 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
const str = (s: string): string => i16(Buffer.byteLength(s)) + Buffer.from(s).toString('hex');
const hex = (...parts: string[]): Buffer => Buffer.from(parts.join(''), 'hex');

test('Subscription v3 is byte-exact with Java ConsumerProtocolSubscription', () => {
  const javaBytes = hex(
    i16(3), // version
    i32(2), str('t1'), str('t2'), // topics
    i32(-1), // userData: null
    i32(1), str('t1'), i32(2), i32(0), i32(1), // ownedPartitions: t1 [0, 1]
    i32(5), // generationId
    str('r1'), // rackId
  );
  const s: Subscription = { topics: ['t1', 't2'], userData: null, ownedPartitions: [{ topic: 't1', partitions: [0, 1] }], generationId: 5, rackId: 'r1' };
  assert.deepEqual(encodeSubscription(s), javaBytes);
  assert.deepEqual(decodeSubscription(javaBytes), { version: 3, ...s });
});

test('Subscription v0 (as KafkaJS writes it, empty user data) decodes, and encodes back the same', () => {
  const kafkajsBytes = hex(i16(0), i32(1), str('orders'), i32(0));
  const decoded = decodeSubscription(kafkajsBytes);
  assert.equal(decoded.version, 0);
  assert.deepEqual(decoded.topics, ['orders']);
  assert.deepEqual(decoded.userData, Buffer.alloc(0));
  assert.deepEqual(decoded.ownedPartitions, []);
  assert.equal(decoded.generationId, NO_GENERATION);
  assert.equal(decoded.rackId, null);
  assert.deepEqual(encodeSubscription(decoded, 0), kafkajsBytes);
});

test('Subscription v1 stops after ownedPartitions; a newer version is read as v3 and extra bytes ignored', () => {
  const v1 = hex(i16(1), i32(1), str('a'), i32(-1), i32(1), str('a'), i32(1), i32(7));
  const d1 = decodeSubscription(v1);
  assert.deepEqual(d1.ownedPartitions, [{ topic: 'a', partitions: [7] }]);
  assert.equal(d1.generationId, NO_GENERATION);
  assert.deepEqual(encodeSubscription(d1, 1), v1);

  const v9 = hex(i16(9), i32(1), str('a'), i32(2), 'cafe', i32(0), i32(3), i32(-1), i32(12345678));
  const d9 = decodeSubscription(v9);
  assert.equal(d9.version, 9);
  assert.deepEqual(d9.userData, Buffer.from('cafe', 'hex'));
  assert.equal(d9.generationId, 3);
  assert.equal(d9.rackId, null);
});

test('Assignment is byte-exact with Java ConsumerProtocolAssignment (v0 and v3 share a layout)', () => {
  for (const version of [0, 3]) {
    const javaBytes = hex(i16(version), i32(2), str('orders'), i32(2), i32(0), i32(2), str('payments'), i32(1), i32(4), i32(-1));
    const a = { partitions: [{ topic: 'orders', partitions: [0, 2] }, { topic: 'payments', partitions: [4] }], userData: null };
    assert.deepEqual(encodeAssignment(a, version), javaBytes);
    assert.deepEqual(decodeAssignment(javaBytes), { version, ...a });
  }
});

test('an empty assignment buffer (a member the leader left out) is an empty assignment', () => {
  assert.deepEqual(decodeAssignment(Buffer.alloc(0)), { version: 0, partitions: [], userData: null });
});

test('truncated or forged bytes give a ProtocolError, never a crash or a huge allocation', () => {
  const good = encodeSubscription({ topics: ['x', 'y'], userData: Buffer.from('u'), ownedPartitions: [{ topic: 'x', partitions: [1] }], generationId: 2, rackId: null });
  for (let cut = 1; cut < 15; cut++) assert.throws(() => decodeSubscription(good.subarray(0, cut)), ProtocolError);
  assert.throws(() => decodeSubscription(hex(i16(0), i32(0x7fffffff))), ProtocolError);
  assert.throws(() => decodeAssignment(hex(i16(0), i32(1), str('t'), i32(1000))), ProtocolError);
});

test('random subscriptions and assignments round-trip at every version', () => {
  const rand = seededRandom(42);
  const name = (): string => `t${randomInt(rand, 0, 30)}`;
  for (let i = 0; i < 300; i++) {
    const version = randomInt(rand, 0, 3);
    const s: Subscription = {
      topics: Array.from({ length: randomInt(rand, 0, 5) }, name),
      userData: rand() < 0.3 ? null : randomBytes(rand, randomInt(rand, 0, 20)),
      ownedPartitions: version >= 1 ? Array.from({ length: randomInt(rand, 0, 3) }, () => ({ topic: name(), partitions: [randomInt(rand, 0, 99)] })) : [],
      generationId: version >= 2 ? randomInt(rand, -1, 1000) : NO_GENERATION,
      rackId: version >= 3 && rand() < 0.5 ? 'rack-a' : null,
    };
    assert.deepEqual(decodeSubscription(encodeSubscription(s, version)), { version, ...s });
    const a = { partitions: s.ownedPartitions, userData: s.userData };
    assert.deepEqual(decodeAssignment(encodeAssignment(a, version)), { version, ...a });
  }
});
