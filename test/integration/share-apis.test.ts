/**
 * The share group APIs on the wire, for what a well-behaved client does not show: join and leave,
 * ShareGroupDescribe, share session epochs and their errors, a share-partition starting at the
 * latest offset (Kafka's default share.auto.offset.reset), acknowledgement errors, and the share
 * groups ListGroups is to report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { WireClient } from '../helpers/broker-process.js';
import { createClient } from '../../src/client/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { listShareGroups } from '../../src/broker/share-listing.js';
import type { BrokerContext } from '../../src/broker/handler.js';

test('a broker refuses to start with a share setting out of its bounds, as Kafka', async () => {
  await assert.rejects(withBroker(async () => undefined, { config: { 'group.share.record.lock.duration.ms': '100' } }), /group.share.min.record.lock.duration.ms/);
});

test('share APIs on the wire: heartbeat, describe, share sessions, acknowledgements, listing', { timeout: 60_000 }, async () => {
  await withBroker(async (broker) => {
    const client = createClient({ bootstrapServers: broker.bootstrap, clientId: 'share-wire' });
    const w = await WireClient.connect(broker.port);
    try {
      await client.admin().createTopics([{ topic: 'w', numPartitions: 1, replicationFactor: 1 }]);
      const producer = client.producer();
      await producer.send({ topic: 'w', messages: [{ value: 'old0' }, { value: 'old1' }, { value: 'old2' }] });
      const context = (broker as unknown as { context: BrokerContext }).context;
      const topicId = context.topics.get('w')!.topicId;

      const heartbeat = (memberEpoch: number, subscribedTopicNames: string[] | null) => w.request(76, 1, { groupId: 'sg', memberId: 'm1', memberEpoch, rackId: null, subscribedTopicNames });
      let joined = await heartbeat(0, ['w']);
      for (let i = 0; joined.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || joined.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE; i++) {
        assert.ok(i < 50, 'the group coordinator loads');
        await new Promise((r) => setTimeout(r, 100));
        joined = await heartbeat(0, ['w']);
      }
      assert.equal(joined.errorCode, 0, joined.errorMessage);
      assert.equal(joined.memberId, 'm1');
      assert.equal(joined.memberEpoch, 1);
      assert.deepEqual(joined.assignment.topicPartitions, [{ topicId, partitions: [0] }]);

      const described = await w.request(77, 1, { groupIds: ['sg', 'nope'], includeAuthorizedOperations: false });
      assert.equal(described.groups[0].groupState, 'Stable');
      assert.equal(described.groups[0].assignorName, 'simple');
      assert.deepEqual(described.groups[0].members[0].assignment.topicPartitions, [{ topicId, topicName: 'w', partitions: [0] }]);
      assert.equal(described.groups[1].errorCode, ErrorCode.GROUP_ID_NOT_FOUND);

      // Kafka's DescribeGroups (v0–5) of a group that is not classic: Dead, no error.
      const classic = await w.request(15, 5, { groups: ['sg'], includeAuthorizedOperations: false });
      assert.equal(classic.groups[0].groupState, 'Dead');
      assert.equal(classic.groups[0].errorCode, 0);
      const v6 = await w.request(15, 6, { groups: ['sg'], includeAuthorizedOperations: false });
      assert.deepEqual([v6.groups[0].groupState, v6.groups[0].errorCode, v6.groups[0].errorMessage], ['Dead', ErrorCode.GROUP_ID_NOT_FOUND, 'Group sg is not a classic group.']);

      const fetch = (shareSessionEpoch: number, topics: object[], maxWaitMs = 100) =>
        w.request(78, 1, { groupId: 'sg', memberId: 'm1', shareSessionEpoch, maxWaitMs, minBytes: 1, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100, topics, forgottenTopicsData: [] });
      assert.equal((await fetch(1, [])).errorCode, ErrorCode.SHARE_SESSION_NOT_FOUND);
      const withAcks = [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 0, lastOffset: 0, acknowledgeTypes: [1] }] }] }];
      assert.equal((await fetch(0, withAcks)).errorCode, ErrorCode.INVALID_REQUEST, 'acknowledgements cannot open a session');
      const opened = await fetch(0, [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }]);
      assert.equal(opened.errorCode, 0);
      assert.deepEqual(opened.responses[0].partitions[0].acquiredRecords, [], 'latest: the records before the group are not delivered');

      await producer.send({ topic: 'w', messages: [{ value: 'new3' }, { value: 'new4' }] });
      const got = await fetch(1, [], 5000);
      assert.equal(got.acquisitionLockTimeoutMs, 30_000);
      assert.deepEqual(got.responses[0].partitions[0].acquiredRecords, [{ firstOffset: 3, lastOffset: 4, deliveryCount: 1 }]);
      assert.ok(got.responses[0].partitions[0].records.length > 0);
      assert.equal((await fetch(1, [])).errorCode, ErrorCode.INVALID_SHARE_SESSION_EPOCH);

      const ack = (shareSessionEpoch: number) => w.request(79, 1, { groupId: 'sg', memberId: 'm1', shareSessionEpoch, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 3, lastOffset: 4, acknowledgeTypes: [1] }] }] }] });
      assert.equal((await ack(0)).errorCode, ErrorCode.INVALID_SHARE_SESSION_EPOCH);
      assert.equal((await ack(2)).responses[0].partitions[0].errorCode, 0);
      assert.equal((await ack(3)).responses[0].partitions[0].errorCode, ErrorCode.INVALID_RECORD_STATE, 'already acknowledged');

      // v2 (KIP-1222): RENEW needs IsRenewAck, and then restarts the locks of records the member holds.
      await producer.send({ topic: 'w', messages: [{ value: 'new5' }] });
      const got5 = await fetch(4, [], 5000);
      assert.deepEqual(got5.responses[0].partitions[0].acquiredRecords, [{ firstOffset: 5, lastOffset: 5, deliveryCount: 1 }]);
      const renew = (shareSessionEpoch: number, isRenewAck: boolean) =>
        w.request(79, 2, { groupId: 'sg', memberId: 'm1', shareSessionEpoch, isRenewAck, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 5, lastOffset: 5, acknowledgeTypes: [4] }] }] }] });
      assert.equal((await renew(5, false)).responses[0].partitions[0].errorCode, ErrorCode.INVALID_REQUEST);
      const renewed = await renew(6, true);
      assert.equal(renewed.responses[0].partitions[0].errorCode, 0);
      assert.equal(renewed.acquisitionLockTimeoutMs, 30_000);
      const badMode = await w.request(78, 2, { groupId: 'sg', memberId: 'm1', shareSessionEpoch: 7, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, maxRecords: 10, batchSize: 10, shareAcquireMode: 7, isRenewAck: false, topics: [], forgottenTopicsData: [] });
      assert.equal(badMode.errorCode, ErrorCode.INVALID_REQUEST);
      const renewFetch = await w.request(78, 2, { groupId: 'sg', memberId: 'm1', shareSessionEpoch: 7, maxWaitMs: 5000, minBytes: 1, maxBytes: 1 << 20, maxRecords: 10, batchSize: 10, shareAcquireMode: 1, isRenewAck: true, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 5, lastOffset: 5, acknowledgeTypes: [4] }] }] }], forgottenTopicsData: [] });
      assert.equal(renewFetch.responses[0].partitions[0].acknowledgeErrorCode, 0);
      assert.deepEqual(renewFetch.responses[0].partitions[0].acquiredRecords, [], 'a renewing fetch acquires nothing');

      assert.deepEqual(listShareGroups(context, [], ['share']), [{ groupId: 'sg', protocolType: 'share', groupState: 'Stable', groupType: 'share' }]);
      assert.deepEqual(listShareGroups(context, [], ['classic']), []);
      assert.deepEqual(listShareGroups(context, ['empty'], []), []);

      // DescribeShareGroupOffsets: offsets 0-2 came before the group (latest), 3-4 are accepted, 5 is held.
      const offsets = await w.request(90, 1, { groups: [{ groupId: 'sg', topics: null }, { groupId: 'nope', topics: null }] });
      assert.deepEqual(offsets.groups[0].topics, [{ topicName: 'w', topicId, partitions: [{ partitionIndex: 0, startOffset: 5, leaderEpoch: 0, lag: 1, errorCode: 0, errorMessage: null }] }]);
      assert.equal(offsets.groups[1].errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
      const named = await w.request(90, 0, { groups: [{ groupId: 'sg', topics: [{ topicName: 'w', partitions: [0, 7] }] }] });
      assert.deepEqual(named.groups[0].topics[0].partitions.map((p: { startOffset: number; errorCode: number }) => [p.startOffset, p.errorCode]), [[5, 0], [-1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);

      // FindCoordinator v6, key type 2: the share coordinator of a share-partition (this broker).
      const share = (await w.request(10, 6, { keyType: 2, coordinatorKeys: [`sg:${topicId}:0`] })).coordinators[0];
      assert.deepEqual([share.errorCode, share.nodeId, share.port], [ErrorCode.NONE, broker.nodeId, broker.port]);

      const left = await heartbeat(-1, null);
      assert.equal(left.memberEpoch, -1);
      const after = await w.request(77, 1, { groupIds: ['sg'], includeAuthorizedOperations: false });
      assert.equal(after.groups[0].groupState, 'Empty');
      assert.deepEqual(after.groups[0].members, []);
      assert.deepEqual(listShareGroups(context, ['Empty'], ['Share']).map((g) => g.groupId), ['sg']);
    } finally {
      w.close();
      await client.close();
    }
  });
});

test("share groups follow their group configs: share.auto.offset.reset=earliest and share.record.lock.duration.ms set on the group (Kafka's way) over the broker's defaults", { timeout: 60_000 }, async () => {
  await withBroker(async (broker) => {
    const client = createClient({ bootstrapServers: broker.bootstrap, clientId: 'share-cfg' });
    const w = await WireClient.connect(broker.port);
    try {
      await client.admin().createTopics([{ topic: 'cfg', numPartitions: 1, replicationFactor: 1 }]);
      await client.producer().send({ topic: 'cfg', messages: [{ value: 'a' }, { value: 'b' }] });
      const set = await w.request(44, 1, { resources: [{ resourceType: 32, resourceName: 'sg-cfg', configs: [
        { name: 'share.auto.offset.reset', configOperation: 0, value: 'earliest' },
        { name: 'share.record.lock.duration.ms', configOperation: 0, value: '16000' },
      ] }], validateOnly: false });
      assert.equal(set.responses[0].errorCode, 0, set.responses[0].errorMessage);
      const context = (broker as unknown as { context: BrokerContext }).context;
      const topicId = context.topics.get('cfg')!.topicId;
      let joined = await w.request(76, 1, { groupId: 'sg-cfg', memberId: 'm1', memberEpoch: 0, rackId: null, subscribedTopicNames: ['cfg'] });
      for (let i = 0; joined.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || joined.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE; i++) {
        assert.ok(i < 50, 'the group coordinator loads');
        await new Promise((r) => setTimeout(r, 100));
        joined = await w.request(76, 1, { groupId: 'sg-cfg', memberId: 'm1', memberEpoch: 0, rackId: null, subscribedTopicNames: ['cfg'] });
      }
      assert.equal(joined.errorCode, 0, joined.errorMessage);
      const got = await w.request(78, 1, { groupId: 'sg-cfg', memberId: 'm1', shareSessionEpoch: 0, maxWaitMs: 2000, minBytes: 1, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }], forgottenTopicsData: [] });
      assert.equal(got.errorCode, 0);
      assert.deepEqual(got.responses[0].partitions[0].acquiredRecords, [{ firstOffset: 0, lastOffset: 1, deliveryCount: 1 }], 'earliest, from the group config');
      assert.equal(got.acquisitionLockTimeoutMs, 16_000, "the group's lock duration");
      const listed = await w.request(16, 5, { statesFilter: [], typesFilter: ['share'] });
      assert.deepEqual(listed.groups.map((g: { groupId: string; groupType: string }) => [g.groupId, g.groupType]), [['sg-cfg', 'share']], 'ListGroups lists the share group');
    } finally {
      w.close();
      await client.close();
    }
  }, { config: { 'group.share.min.record.lock.duration.ms': '15000' } });
});
