// KIP-848 records of __consumer_offsets: Kafka's key versions, round trips, tombstones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRecord, encodeRecord, type CoordinatorRecord } from '../../../../src/coordinator/group/records.js';
import type { ConsumerGroupRecord } from '../../../../src/coordinator/group/consumer/records.js';

const ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
const records: Array<[number, ConsumerGroupRecord]> = [
  [3, { type: 'cg-epoch', group: 'g', value: { epoch: 7 } }],
  [4, { type: 'cg-partition-metadata', group: 'g', value: [{ topicId: ID, topicName: 't', numPartitions: 3 }] }],
  [5, { type: 'cg-member', group: 'g', memberId: 'm', value: { instanceId: 'i', rackId: null, clientId: 'c', clientHost: '/h', subscribedTopicNames: ['t'], subscribedTopicRegex: 'x.*', rebalanceTimeoutMs: 300, serverAssignor: 'range', classicMemberMetadata: null } }],
  [5, { type: 'cg-member', group: 'g', memberId: 'k', value: { instanceId: null, rackId: null, clientId: 'c', clientHost: '/h', subscribedTopicNames: ['t'], subscribedTopicRegex: null, rebalanceTimeoutMs: 300, serverAssignor: null, classicMemberMetadata: { sessionTimeoutMs: 10_000, supportedProtocols: [{ name: 'range', metadata: Buffer.from([0, 1]) }] } } }],
  [6, { type: 'cg-target-epoch', group: 'g', value: { assignmentEpoch: 7 } }],
  [7, { type: 'cg-target-member', group: 'g', memberId: 'm', value: new Map([[ID, [0, 2]]]) }],
  [8, { type: 'cg-current-assignment', group: 'g', memberId: 'm', value: { memberEpoch: 7, previousMemberEpoch: 6, state: 1, assignedPartitions: new Map([[ID, [0]]]), partitionsPendingRevocation: new Map([[ID, [1]]]) } }],
];

test("consumer group records use Kafka's key versions 3–8, values at v0, and round-trip (tombstones too)", () => {
  for (const [keyVersion, r] of records) {
    const rec: CoordinatorRecord = { type: 'consumer', key: { group: 'g' }, value: r };
    const e = encodeRecord(rec);
    assert.equal(e.key.readInt16BE(0), keyVersion, r.type);
    assert.equal(e.value!.readInt16BE(0), 0);
    assert.deepEqual(decodeRecord(e.key, e.value), rec);
    const tomb = encodeRecord({ ...rec, value: { ...r, value: null } as ConsumerGroupRecord });
    assert.equal(tomb.value, null);
    assert.deepEqual(decodeRecord(tomb.key, null), { type: 'consumer', key: { group: 'g' }, value: { ...r, value: null } });
  }
});

test('ConsumerGroupMetadataKey is the group id after the version, as Kafka writes it', () => {
  const e = encodeRecord({ type: 'consumer', key: { group: 'g' }, value: records[0]![1] });
  assert.deepEqual([...e.key], [0, 3, 0, 1, 0x67]);
  // Value: version 0, epoch 7, no tagged fields.
  assert.deepEqual([...e.value!], [0, 0, 0, 0, 0, 7, 0]);
});

test("a classic member's ClassicMemberMetadata is ConsumerGroupMemberMetadataValue's tagged field 0, a nullable struct as Kafka writes it", () => {
  const classic = records[3]![1];
  const e = encodeRecord({ type: 'consumer', key: { group: 'g' }, value: classic });
  // ... serverAssignor null, then one tagged field: tag 0, size 17, presence 1,
  // sessionTimeoutMs, one protocol 'range' with 2 bytes of metadata, the struct's own empty tags.
  const tail = [0, 1, 0, 17, 1, 0, 0, 0x27, 0x10, 2, 6, ...Buffer.from('range'), 3, 0, 1, 0, 0];
  assert.deepEqual([...e.value!.subarray(e.value!.length - tail.length)], tail);
  const plain = encodeRecord({ type: 'consumer', key: { group: 'g' }, value: records[2]![1] });
  assert.equal(plain.value![plain.value!.length - 1], 0, 'no tagged field for a consumer-protocol member');
});
