import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeRecord,
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  encodeRecord,
  groupPartition,
  javaStringHashCode,
  type CoordinatorRecord,
  type GroupMetadataValue,
} from '../../../src/coordinator/group/records.js';

// Fixtures are assembled field by field from Kafka's record definitions, independently of the codec.
const i16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const i32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const i64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(n));
  return b;
};
const str = (s: string | null) => (s === null ? i16(-1) : Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)]));
const bytes = (b: Buffer) => Buffer.concat([i32(b.length), b]);
const cat = (...parts: Buffer[]) => Buffer.concat(parts);

test('OffsetCommitKey and GroupMetadataKey are byte-exact', () => {
  assert.deepEqual(encodeOffsetCommitKey({ group: 'g1', topic: 't', partition: 3 }), cat(i16(1), str('g1'), str('t'), i32(3)));
  assert.deepEqual(encodeGroupMetadataKey({ group: 'g1' }), cat(i16(2), str('g1')));
});

test('OffsetCommitValue v3 (and v1 with an expire timestamp) is byte-exact', () => {
  const v3 = encodeOffsetCommitValue({ offset: 42n, leaderEpoch: 7, metadata: 'm', commitTimestamp: 1000n, expireTimestamp: -1n });
  assert.deepEqual(v3, cat(i16(3), i64(42), i32(7), str('m'), i64(1000)));
  const v1 = encodeOffsetCommitValue({ offset: 42n, leaderEpoch: 7, metadata: '', commitTimestamp: 1000n, expireTimestamp: 2000n });
  assert.deepEqual(v1, cat(i16(1), i64(42), str(''), i64(1000), i64(2000)));
});

test('OffsetCommitValue decodes every version Kafka has written', () => {
  assert.deepEqual(decodeOffsetCommitValue(cat(i16(0), i64(5), str('x'), i64(9))), { offset: 5n, leaderEpoch: -1, metadata: 'x', commitTimestamp: 9n, expireTimestamp: -1n });
  assert.deepEqual(decodeOffsetCommitValue(cat(i16(1), i64(5), str('x'), i64(9), i64(99))), { offset: 5n, leaderEpoch: -1, metadata: 'x', commitTimestamp: 9n, expireTimestamp: 99n });
  assert.deepEqual(decodeOffsetCommitValue(cat(i16(2), i64(5), str('x'), i64(9))), { offset: 5n, leaderEpoch: -1, metadata: 'x', commitTimestamp: 9n, expireTimestamp: -1n });
  assert.deepEqual(decodeOffsetCommitValue(cat(i16(3), i64(5), i32(2), str('x'), i64(9))), { offset: 5n, leaderEpoch: 2, metadata: 'x', commitTimestamp: 9n, expireTimestamp: -1n });
  // v4 is flexible: compact string (length + 1) and an empty tagged-field section.
  const v4 = cat(i16(4), i64(5), i32(2), Buffer.from([2]), Buffer.from('x'), i64(9), Buffer.from([0]));
  assert.deepEqual(decodeOffsetCommitValue(v4), { offset: 5n, leaderEpoch: 2, metadata: 'x', commitTimestamp: 9n, expireTimestamp: -1n });
  // A later version is read as v4 (KIP-915), unknown tagged fields skipped.
  const v5 = cat(i16(5), i64(5), i32(2), Buffer.from([2]), Buffer.from('x'), i64(9), Buffer.from([1, 7, 1, 0xff]));
  assert.equal(decodeOffsetCommitValue(v5).offset, 5n);
});

const group: GroupMetadataValue = {
  protocolType: 'consumer',
  generation: 4,
  protocol: 'range',
  leader: 'm1',
  currentStateTimestamp: 1234,
  members: [
    { memberId: 'm1', groupInstanceId: null, clientId: 'c1', clientHost: '/1.2.3.4', rebalanceTimeout: 300, sessionTimeout: 100, subscription: Buffer.from([1, 2]), assignment: Buffer.from([3]) },
    { memberId: 'm2', groupInstanceId: 'i2', clientId: 'c2', clientHost: '/1.2.3.5', rebalanceTimeout: 301, sessionTimeout: 101, subscription: Buffer.alloc(0), assignment: Buffer.alloc(0) },
  ],
};

test('GroupMetadataValue v3 is byte-exact', () => {
  const member = (m: GroupMetadataValue['members'][number]) =>
    cat(str(m.memberId), str(m.groupInstanceId), str(m.clientId), str(m.clientHost), i32(m.rebalanceTimeout), i32(m.sessionTimeout), bytes(m.subscription), bytes(m.assignment));
  const expected = cat(i16(3), str('consumer'), i32(4), str('range'), str('m1'), i64(1234), i32(2), member(group.members[0]!), member(group.members[1]!));
  assert.deepEqual(encodeGroupMetadataValue(group), expected);
  assert.deepEqual(decodeGroupMetadataValue(expected), group);
});

test('GroupMetadataValue round-trips at v0–v4; v0 reads the rebalance timeout as the session timeout', () => {
  for (const version of [0, 1, 2, 3, 4]) {
    const back = decodeGroupMetadataValue(encodeGroupMetadataValue(group, version));
    assert.equal(back.generation, 4);
    assert.equal(back.members.length, 2);
    assert.deepEqual(back.members[0]!.assignment, Buffer.from([3]));
    assert.equal(back.currentStateTimestamp, version >= 2 ? 1234 : -1);
    assert.equal(back.members[1]!.groupInstanceId, version >= 3 ? 'i2' : null);
    assert.equal(back.members[0]!.rebalanceTimeout, version === 0 ? 100 : 300);
  }
  const empty: GroupMetadataValue = { protocolType: 'consumer', generation: 5, protocol: null, leader: null, currentStateTimestamp: 7, members: [] };
  assert.deepEqual(decodeGroupMetadataValue(encodeGroupMetadataValue(empty)), empty);
});

test('records and tombstones round-trip through decodeRecord; unknown key versions are skipped', () => {
  const records: CoordinatorRecord[] = [
    { type: 'offset', key: { group: 'g', topic: 't', partition: 1 }, value: { offset: 10n, leaderEpoch: -1, metadata: '', commitTimestamp: 5n, expireTimestamp: -1n } },
    { type: 'offset', key: { group: 'g', topic: 't', partition: 1 }, value: null },
    { type: 'group', key: { group: 'g' }, value: group },
    { type: 'group', key: { group: 'g' }, value: null },
  ];
  for (const r of records) {
    const e = encodeRecord(r);
    assert.equal(e.value === null, r.value === null);
    assert.deepEqual(decodeRecord(e.key, e.value), r);
  }
  // Key version 0 is the legacy offset key, same layout.
  assert.deepEqual(decodeRecord(cat(i16(0), str('g'), str('t'), i32(2)), null), { type: 'offset', key: { group: 'g', topic: 't', partition: 2 }, value: null });
  // Key versions 3–8 are KIP-848 consumer group records (consumer/records.ts); others, e.g. share
  // group records (9+), are skipped.
  assert.deepEqual(decodeRecord(cat(i16(3), str('g')), null), { type: 'consumer', key: { group: 'g' }, value: { type: 'cg-epoch', group: 'g', value: null } });
  assert.equal(decodeRecord(cat(i16(9), str('g')), Buffer.from([0, 0])), null);
  assert.throws(() => decodeRecord(cat(i16(1), str('g')), null), /does not decode/);
});

test("group partition: Java's String.hashCode and Kafka's Utils.abs", () => {
  assert.equal(javaStringHashCode(''), 0);
  assert.equal(javaStringHashCode('hello'), 99162322);
  assert.equal(javaStringHashCode('test-group'), 627841412);
  assert.equal(groupPartition('test-group', 50), 627841412 % 50);
  // Hashes to Integer.MIN_VALUE, which Utils.abs maps to 0.
  assert.equal(javaStringHashCode('polygenelubricants'), -2147483648);
  assert.equal(groupPartition('polygenelubricants', 50), 0);
  // A negative hash takes its absolute value (not h & 0x7fffffff, which Kafka uses for record keys).
  assert.equal(javaStringHashCode('group1'), -1237460590);
  assert.equal(groupPartition('group1', 50), 1237460590 % 50);
  assert.notEqual(groupPartition('group1', 50), (-1237460590 & 0x7fffffff) % 50);
  // Non-ASCII counts UTF-16 code units, as Java does.
  assert.equal(javaStringHashCode('é'), 0xe9);
});
