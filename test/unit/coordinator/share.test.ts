/**
 * The share-partition state machine (SPSO/SPEO, acquisition locks, delivery counts, archiving),
 * its snapshot records and share sessions' epochs (membership: share-members.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharePartition, RecordState, AcknowledgeType, ACK_INVALID_RECORD_STATE, ACK_INVALID_REQUEST, ACK_OK } from '../../../src/coordinator/share/share-partition.js';
import { decodeShareRecord, encodeSnapshotKey, encodeSnapshotValue, type ShareSnapshotRecord } from '../../../src/coordinator/share/records.js';
import { ShareSessions } from '../../../src/broker/share-sessions.js';
import { shareConfig } from '../../../src/coordinator/share/config.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';

const LIMITS = { lockDurationMs: 1000, deliveryCountLimit: 3, maxRecordLocks: 10 };
const offsets = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, i) => first + i);

test('share-partition: acquired records go to one member, acknowledged ones move SPSO', () => {
  const sp = new SharePartition(100, LIMITS);
  assert.deepEqual(sp.acquire('a', offsets(100, 104), 3, 0), [{ firstOffset: 100, lastOffset: 102, deliveryCount: 1 }]);
  assert.deepEqual(sp.acquire('b', offsets(100, 104), 10, 0), [{ firstOffset: 103, lastOffset: 104, deliveryCount: 1 }]);
  assert.equal(sp.endOffset, 105);
  assert.equal(sp.acknowledge('b', 100, 100, [AcknowledgeType.ACCEPT]), ACK_INVALID_RECORD_STATE, "b may not acknowledge a's record");
  assert.equal(sp.acknowledge('a', 101, 102, [AcknowledgeType.ACCEPT]), ACK_OK);
  assert.equal(sp.startOffset, 100, 'offset 100 is still acquired');
  assert.equal(sp.acknowledge('a', 100, 100, [AcknowledgeType.ACCEPT]), ACK_OK);
  assert.equal(sp.startOffset, 103);
  assert.equal(sp.acknowledge('a', 100, 100, [AcknowledgeType.ACCEPT]), ACK_INVALID_RECORD_STATE, 'below SPSO: done');
  assert.equal(sp.acknowledge('b', 103, 104, [1, 2, 3]), ACK_INVALID_REQUEST, 'one type per offset or one for all');
  assert.equal(sp.acknowledge('b', 103, 104, [AcknowledgeType.ACCEPT, AcknowledgeType.REJECT]), ACK_OK);
  assert.equal(sp.startOffset, 105);
  assert.deepEqual(sp.counts(), { available: 0, acquired: 0, acknowledged: 0, archived: 0 });
});

test('share-partition: a released or timed-out record is delivered again, and archived at the delivery limit', () => {
  const sp = new SharePartition(0, LIMITS);
  sp.acquire('a', [0, 1], 10, 0);
  assert.equal(sp.nextLockExpiryMs(), 1000);
  assert.equal(sp.acknowledge('a', 0, 0, [AcknowledgeType.RELEASE]), ACK_OK);
  assert.equal(sp.nextFetchOffset(), 0);
  assert.deepEqual(sp.acquire('b', [0, 1], 10, 10), [{ firstOffset: 0, lastOffset: 0, deliveryCount: 2 }], 'offset 1 is still with a');
  assert.equal(sp.expireLocks(999), 0);
  assert.equal(sp.expireLocks(1000), 1, "a's lock on offset 1 ran out");
  assert.deepEqual(sp.acquire('b', [0, 1], 10, 1000), [{ firstOffset: 1, lastOffset: 1, deliveryCount: 2 }]);
  assert.equal(sp.expireLocks(5000), 2);
  sp.acquire('c', [0, 1], 10, 5000);
  assert.deepEqual(sp.stateOf(0), { state: RecordState.ACQUIRED, deliveryCount: 3 });
  assert.equal(sp.acknowledge('c', 0, 1, [AcknowledgeType.RELEASE]), ACK_OK);
  assert.equal(sp.startOffset, 2, 'the third delivery was the last: both are archived');
  assert.deepEqual(sp.acquire('c', [0, 1], 10, 6000), []);
});

test('share-partition: RENEW keeps a record with its member under a new lock', () => {
  const sp = new SharePartition(0, LIMITS);
  sp.acquire('a', [0], 10, 0);
  assert.equal(sp.acknowledge('b', 0, 0, [AcknowledgeType.RENEW], 900), ACK_INVALID_RECORD_STATE);
  assert.equal(sp.acknowledge('a', 0, 0, [AcknowledgeType.RENEW], 900), ACK_OK);
  assert.equal(sp.expireLocks(1000), 0, 'the first lock would have ended here');
  assert.deepEqual(sp.stateOf(0), { state: RecordState.ACQUIRED, deliveryCount: 1 });
  assert.equal(sp.expireLocks(1900), 1);
  assert.equal(sp.acknowledge('a', 0, 0, [5], 0), ACK_INVALID_REQUEST, 'no acknowledge type 5');
});

test('share-partition: REJECT and gaps archive; control batches and holes do not block SPSO', () => {
  const sp = new SharePartition(0, LIMITS);
  sp.acquire('a', [0, 1, 2], 10, 0);
  assert.equal(sp.acknowledge('a', 0, 2, [AcknowledgeType.ACCEPT, AcknowledgeType.GAP, AcknowledgeType.REJECT]), ACK_OK);
  assert.equal(sp.startOffset, 3);
  assert.equal(sp.archiveNonRecords(3, 3), true, 'a control record at 3');
  assert.equal(sp.archiveNonRecords(9, 9), false, 'not contiguous: offsets 4..8 are not known yet');
  assert.deepEqual(sp.acquire('a', [6, 7], 10, 0), [{ firstOffset: 6, lastOffset: 7, deliveryCount: 1 }], '4 and 5 were compacted away');
  assert.equal(sp.acknowledge('a', 6, 7, [AcknowledgeType.ACCEPT]), ACK_OK);
  assert.equal(sp.startOffset, 8);
});

test('share-partition: group.share.partition.max.record.locks bounds the offsets in flight', () => {
  const sp = new SharePartition(0, { ...LIMITS, maxRecordLocks: 4 });
  assert.deepEqual(sp.acquire('a', offsets(0, 9), 100, 0), [{ firstOffset: 0, lastOffset: 3, deliveryCount: 1 }]);
  assert.equal(sp.canAcquire(), false);
  sp.acknowledge('a', 0, 1, [AcknowledgeType.ACCEPT]);
  assert.equal(sp.canAcquire(), true);
  assert.deepEqual(sp.acquire('b', offsets(4, 9), 100, 0), [{ firstOffset: 4, lastOffset: 5, deliveryCount: 1 }]);
});

test('share-partition: a snapshot keeps what is done and makes what was acquired available again, with its delivery count', () => {
  const sp = new SharePartition(10, LIMITS);
  sp.acquire('a', offsets(10, 15), 10, 0);
  sp.acknowledge('a', 12, 13, [AcknowledgeType.ACCEPT, AcknowledgeType.REJECT]);
  sp.acknowledge('a', 10, 10, [AcknowledgeType.ACCEPT]);
  const snap = sp.snapshot();
  assert.equal(snap.startOffset, 11);
  const back = SharePartition.restore(snap, LIMITS);
  assert.equal(back.startOffset, 11);
  assert.equal(back.endOffset, 16);
  assert.deepEqual(back.acquire('b', offsets(11, 15), 10, 0), [
    { firstOffset: 11, lastOffset: 11, deliveryCount: 2 },
    { firstOffset: 14, lastOffset: 15, deliveryCount: 2 },
  ]);
  back.moveStartTo(15);
  assert.equal(back.startOffset, 15);
});

test('__share_group_state records: a ShareSnapshot round-trips; other record types are skipped', () => {
  const rec: ShareSnapshotRecord = {
    key: { groupId: 'g', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partition: 3 },
    snapshotEpoch: 4,
    stateEpoch: 0,
    leaderEpoch: 2,
    startOffset: 1234567890123,
    createTimestamp: 1,
    writeTimestamp: 2,
    stateBatches: [{ firstOffset: 1234567890123, lastOffset: 1234567890130, deliveryState: 2, deliveryCount: 5 }],
  };
  const back = decodeShareRecord(encodeSnapshotKey(rec.key), encodeSnapshotValue(rec));
  assert.deepEqual(back, rec);
  const updateKey = Buffer.from(encodeSnapshotKey(rec.key));
  updateKey.writeInt16BE(1, 0);
  assert.equal(decodeShareRecord(updateKey, Buffer.alloc(2)), null);
  assert.equal(decodeShareRecord(encodeSnapshotKey(rec.key), null), null, 'a tombstone');
  assert.throws(() => decodeShareRecord(encodeSnapshotKey(rec.key), Buffer.from([0, 0, 1])), /unreadable/);
});

test('share sessions: epoch 0 opens, the epoch moves by one per request, −1 closes; the limit counts', () => {
  const live = new Set(['g/a', 'g/b']);
  const s = new ShareSessions(2, (g, m) => live.has(`${g}/${m}`));
  const code = (fn: () => unknown) => {
    try {
      fn();
      return 0;
    } catch (err) {
      return (err as KafkaError).code;
    }
  };
  assert.equal(code(() => s.open('g', 'a', 1)), ErrorCode.SHARE_SESSION_NOT_FOUND);
  const a = s.open('g', 'a', 0);
  s.advance(a);
  assert.equal(code(() => s.open('g', 'a', 2)), ErrorCode.INVALID_SHARE_SESSION_EPOCH);
  assert.equal(s.open('g', 'a', 1), a);
  s.open('g', 'b', 0);
  assert.equal(code(() => s.open('g', 'c', 0)), ErrorCode.SHARE_SESSION_LIMIT_REACHED);
  live.delete('g/a');
  s.open('g', 'c', 0);
  assert.equal(s.get('g', 'a'), undefined, "a left its group: its session made room");
  assert.notEqual(s.close('g', 'b'), undefined);
  assert.equal(s.size, 1);
});

test('share config: the lock duration must lie within its min and max, as Kafka checks', () => {
  assert.throws(() => shareConfig({ 'group.share.record.lock.duration.ms': '1000' }), /outside group.share.min.record.lock.duration.ms/);
  assert.equal(shareConfig({ 'group.share.record.lock.duration.ms': '1000', 'group.share.min.record.lock.duration.ms': '1000' }).recordLockDurationMs, 1000);
  assert.equal(shareConfig({}).autoOffsetReset, 'latest');
  assert.throws(() => shareConfig({ 'samsa.share.auto.offset.reset': 'none' }), /neither earliest nor latest/);
});
