import { test } from 'node:test';
import assert from 'node:assert/strict';
import { murmur2, partitionForKey, toPositive } from '../../../src/util/murmur2.js';

// Values computed by Java's org.apache.kafka.common.utils.Utils.murmur2 on UTF-8 bytes.
const JAVA_HASHES: Array<[string, number]> = [
  ['21', -973932308],
  ['1', -1993445489],
  ['12', 126087238],
  ['123', -267702483],
  ['1234', -1614185708],
  ['12345', -1188365604],
];

test('murmur2 matches Java Utils.murmur2 for every tail length', () => {
  for (const [text, expected] of JAVA_HASHES) {
    assert.equal(murmur2(Buffer.from(text)), expected, `murmur2(${JSON.stringify(text)})`);
  }
});

// Partitions Kafka's Java partitioner picks with 1000 partitions (kafka-python's compatibility vectors).
const PARTITIONS_OF_1000: Array<[Buffer, number]> = [
  [Buffer.from(''), 681],
  [Buffer.from('a'), 524],
  [Buffer.from('ab'), 434],
  [Buffer.from('abc'), 107],
  [Buffer.from('123456789'), 566],
  [Buffer.from([0x00, 0x20]), 742],
];

test('partitionForKey matches the Java default partitioner', () => {
  for (const [key, expected] of PARTITIONS_OF_1000) {
    assert.equal(partitionForKey(key, 1000), expected, `key ${key.toString('hex')}`);
  }
});

test('toPositive clears the sign bit instead of negating', () => {
  assert.equal(toPositive(-1), 0x7fffffff);
  assert.equal(toPositive(-2147483648), 0);
  assert.equal(toPositive(5), 5);
});

test('murmur2 handles bytes with the high bit set and long inputs', () => {
  const a = murmur2(Buffer.from([0xa4]));
  const b = murmur2(Buffer.alloc(1000, 0x81));
  for (const h of [a, b]) assert.ok(Number.isInteger(h) && h >= -2147483648 && h <= 2147483647);
  assert.notEqual(a, b);
});
