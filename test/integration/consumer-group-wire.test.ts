// KIP-848 consumer groups at the wire: ConsumerGroupHeartbeat's validation and fencing errors with
// Kafka's messages, revoke-before-assign, member epochs in OffsetCommit/OffsetFetch v9, the admin
// APIs' view of consumer groups, static membership, and regular expression subscriptions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { WireClient } from '../helpers/broker-process.js';
import { waitFor } from '../helpers/wait.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import type { Broker } from '../../src/broker/broker.js';
import { decodeAssignment, encodeSubscription } from '../../src/client/group/consumer-protocol.js';

const CONFIG = { 'offsets.topic.num.partitions': '3', 'group.initial.rebalance.delay.ms': '0' };

type Tp = { topicId: string; partitions: number[] };

function hb(over: object) {
  return { groupId: 'gw', memberId: '', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['w1'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [], ...over };
}

const parts = (a: { topicPartitions: Tp[] } | null) => (a === null ? null : a.topicPartitions.flatMap((t) => t.partitions).sort());

async function ready(w: WireClient, broker: Broker, ...topics: Array<[string, number]>): Promise<void> {
  for (const [name, n] of topics) await broker.topics.create({ name, numPartitions: n, replicationFactor: 1, configs: {} });
  await waitFor('the group coordinator', async () => (await w.request(10, 1, { key: 'gw', keyType: 0 })).errorCode === 0);
}

test('ConsumerGroupHeartbeat: Kafka’s validation errors, fencing, revoke before assign, OffsetCommit/OffsetFetch v9 and the admin APIs', async () => {
  await withBroker(async (broker) => {
    const w = await WireClient.connect(broker.port);
    try {
      const versions = await w.request(18, 0, {});
      assert.deepEqual(versions.apiKeys.filter((k: any) => k.apiKey === 68 || k.apiKey === 69).map((k: any) => [k.apiKey, k.minVersion, k.maxVersion]), [[68, 0, 1], [69, 0, 0]]);
      await ready(w, broker, ['w1', 4]);
      const err = async (v: number, over: object) => {
        const r = await w.request(68, v, hb(over));
        return [r.errorCode, r.errorMessage];
      };
      assert.deepEqual(await err(0, { subscribedTopicNames: null }), [ErrorCode.INVALID_REQUEST, 'SubscribedTopicNames or SubscribedTopicRegex must be set in first request.']);
      assert.deepEqual(await err(1, {}), [ErrorCode.INVALID_REQUEST, "MemberId can't be empty."]);
      assert.deepEqual(await err(0, { rebalanceTimeoutMs: -1 }), [ErrorCode.INVALID_REQUEST, 'RebalanceTimeoutMs must be provided in first request.']);
      assert.deepEqual(await err(0, { memberEpoch: -3, memberId: 'x' }), [ErrorCode.INVALID_REQUEST, 'MemberEpoch is invalid.']);
      assert.deepEqual(await err(0, { serverAssignor: 'sticky' }), [ErrorCode.UNSUPPORTED_ASSIGNOR, 'ServerAssignor sticky is not supported. Supported assignors: uniform, range.']);
      assert.equal((await err(1, { memberId: 'rx', subscribedTopicNames: null, subscribedTopicRegex: '(' }))[0], ErrorCode.INVALID_REGULAR_EXPRESSION);
      assert.deepEqual(await err(1, { memberId: 'm', memberEpoch: 3 }), [ErrorCode.GROUP_ID_NOT_FOUND, 'Consumer group gw not found.']);

      // A joins alone (v0: the coordinator names it) and gets every partition.
      const a1 = await w.request(68, 0, hb({}));
      assert.equal(a1.errorCode, 0);
      assert.match(a1.memberId, /^[0-9a-f-]{36}$/);
      assert.equal(a1.memberEpoch, 1);
      assert.equal(a1.heartbeatIntervalMs, 5000);
      assert.deepEqual(parts(a1.assignment), [0, 1, 2, 3]);
      const topicId: string = a1.assignment.topicPartitions[0].topicId;
      const a = a1.memberId as string;
      const owned = (ps: number[]) => [{ topicId, partitions: ps }];
      assert.deepEqual(await err(1, { memberId: a, memberEpoch: 7, topicPartitions: owned([0, 1, 2, 3]) }), [ErrorCode.FENCED_MEMBER_EPOCH, 'The consumer group member has a greater member epoch (7) than the one known by the group coordinator (1). The member must abandon all its partitions and rejoin.']);
      assert.deepEqual(await err(1, { memberId: 'nobody', memberEpoch: 1 }), [ErrorCode.UNKNOWN_MEMBER_ID, 'Member nobody is not a member of group gw.']);

      // B joins: its partitions are still A's, so it gets none until A gives them up.
      const b1 = await w.request(68, 1, hb({ memberId: 'b' }));
      assert.deepEqual([b1.errorCode, b1.memberEpoch, parts(b1.assignment)], [0, 2, []]);
      const a2 = await w.request(68, 1, hb({ memberId: a, memberEpoch: 1, topicPartitions: owned([0, 1, 2, 3]) }));
      assert.equal(a2.memberEpoch, 1, 'A stays at its epoch until it revokes');
      const kept = parts(a2.assignment)!;
      assert.equal(kept.length, 2);
      const b2 = await w.request(68, 1, hb({ memberId: 'b', memberEpoch: 2, topicPartitions: owned([]) }));
      assert.deepEqual(parts(b2.assignment), [], 'B gets nothing while A still owns it');
      const a3 = await w.request(68, 1, hb({ memberId: a, memberEpoch: 1, topicPartitions: owned(kept) }));
      assert.deepEqual([a3.memberEpoch, parts(a3.assignment)], [2, kept]);
      const b3 = await w.request(68, 1, hb({ memberId: 'b', memberEpoch: 2, topicPartitions: owned([]) }));
      const bParts = parts(b3.assignment)!;
      assert.deepEqual([...kept, ...bParts].sort(), [0, 1, 2, 3]);

      // OffsetCommit v9 / OffsetFetch v9 carry the member epoch.
      const commit = async (v: number, memberId: string, epoch: number) =>
        (await w.request(8, v, { groupId: 'gw', generationIdOrMemberEpoch: epoch, memberId, groupInstanceId: null, topics: [{ name: 'w1', partitions: [{ partitionIndex: bParts[0], committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null }] }] })).topics[0].partitions[0].errorCode;
      assert.equal(await commit(9, 'b', 1), ErrorCode.STALE_MEMBER_EPOCH);
      assert.equal(await commit(9, 'nobody', 2), ErrorCode.UNKNOWN_MEMBER_ID);
      assert.equal(await commit(8, 'b', 2), ErrorCode.UNSUPPORTED_VERSION);
      assert.equal(await commit(9, 'b', 2), ErrorCode.NONE);
      const fetch = async (memberId: string | null, memberEpoch: number) =>
        (await w.request(9, 9, { groups: [{ groupId: 'gw', memberId, memberEpoch, topics: [{ name: 'w1', partitionIndexes: [bParts[0]] }] }], requireStable: false })).groups[0];
      assert.equal((await fetch('b', 1)).errorCode, ErrorCode.STALE_MEMBER_EPOCH);
      assert.equal((await fetch('nobody', 2)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
      const fetched = await fetch('b', 2);
      assert.deepEqual([fetched.errorCode, fetched.topics[0].partitions[0].committedOffset], [0, 5n]);
      assert.equal((await fetch(null, -1)).errorCode, 0, 'an admin reads without a member');

      // The admin APIs.
      const listed = await w.request(16, 5, { statesFilter: [], typesFilter: ['consumer'] });
      assert.deepEqual(listed.groups.map((g: any) => [g.groupId, g.protocolType, g.groupState, g.groupType]), [['gw', 'consumer', 'Stable', 'consumer']]);
      assert.deepEqual((await w.request(16, 5, { statesFilter: [], typesFilter: ['classic'] })).groups, []);
      assert.equal((await w.request(15, 5, { groups: ['gw'], includeAuthorizedOperations: false })).groups[0].groupState, 'Dead');
      const described = (await w.request(69, 0, { groupIds: ['gw', 'none'], includeAuthorizedOperations: false })).groups;
      assert.deepEqual([described[0].errorCode, described[0].groupState, described[0].groupEpoch, described[0].assignmentEpoch, described[0].members.length], [0, 'Stable', 2, 2, 2]);
      assert.deepEqual([described[1].errorCode, described[1].errorMessage], [ErrorCode.GROUP_ID_NOT_FOUND, 'Group none not found.']);
      const join = await w.request(11, 5, { groupId: 'gw', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] });
      // Kafka 4 (migration policy bidirectional) takes classic members into a consumer group: first a member id.
      assert.equal(join.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
      assert.equal((await w.request(42, 2, { groupsNames: ['gw'] })).results[0].errorCode, ErrorCode.NON_EMPTY_GROUP);

      // A leaves: B gets everything at the next epoch.
      const left = await w.request(68, 1, hb({ memberId: a, memberEpoch: -1 }));
      assert.deepEqual([left.errorCode, left.memberEpoch], [0, -1]);
      const b4 = await w.request(68, 1, hb({ memberId: 'b', memberEpoch: 2, topicPartitions: owned(bParts) }));
      assert.deepEqual([b4.memberEpoch, parts(b4.assignment)], [3, [0, 1, 2, 3]]);
    } finally {
      w.close();
    }
  }, { config: CONFIG });
});

test('ConsumerGroupHeartbeat: static members (-2 keeps the partitions for the next instance), UNRELEASED_INSTANCE_ID, GROUP_MAX_SIZE_REACHED', async () => {
  await withBroker(async (broker) => {
    const w = await WireClient.connect(broker.port);
    try {
      await ready(w, broker, ['w1', 2]);
      const s1 = await w.request(68, 1, hb({ memberId: 's1', instanceId: 'i1' }));
      assert.deepEqual([s1.errorCode, s1.memberEpoch, parts(s1.assignment)], [0, 1, [0, 1]]);
      const dup = await w.request(68, 1, hb({ memberId: 's2', instanceId: 'i1' }));
      assert.deepEqual([dup.errorCode, dup.errorMessage], [ErrorCode.UNRELEASED_INSTANCE_ID, 'Static member s2 with instance id i1 cannot join the group because the instance id is owned by s1 member.']);
      const away = await w.request(68, 1, hb({ memberId: 's1', instanceId: 'i1', memberEpoch: -2 }));
      assert.deepEqual([away.errorCode, away.memberEpoch], [0, -2]);
      const s2 = await w.request(68, 1, hb({ memberId: 's2', instanceId: 'i1' }));
      assert.deepEqual([s2.errorCode, s2.memberEpoch, parts(s2.assignment)], [0, 1, [0, 1]], 'the new instance takes over at the same epoch, with no rebalance');
      const d = broker.groups.consumerGroupDescribe('gw');
      assert.deepEqual(d.members.map((m) => [m.memberId, m.instanceId]), [['s2', 'i1']]);
      const fenced = await w.request(68, 1, hb({ memberId: 's1', instanceId: 'i1', memberEpoch: 1, topicPartitions: [] }));
      assert.deepEqual([fenced.errorCode, fenced.errorMessage], [ErrorCode.FENCED_INSTANCE_ID, 'Static member s1 with instance id i1 was fenced by member s2.']);
      assert.equal((await w.request(68, 1, hb({ memberId: 'other' }))).errorCode, 0);
      const full = await w.request(68, 1, hb({ memberId: 'third' }));
      assert.deepEqual([full.errorCode, full.errorMessage], [ErrorCode.GROUP_MAX_SIZE_REACHED, 'The consumer group has reached its maximum capacity of 2 members.']);
    } finally {
      w.close();
    }
  }, { config: { ...CONFIG, 'group.consumer.max.size': '2' } });
});

test('ConsumerGroupHeartbeat: a regular expression subscription picks up a new matching topic and new partitions (the group epoch bumps)', async () => {
  await withBroker(async (broker) => {
    const w = await WireClient.connect(broker.port);
    try {
      await ready(w, broker, ['rx-1', 2], ['other', 2]);
      const r1 = await w.request(68, 1, hb({ memberId: 'r', subscribedTopicNames: null, subscribedTopicRegex: 'rx-.*', serverAssignor: 'range' }));
      assert.deepEqual([r1.errorCode, r1.memberEpoch, parts(r1.assignment)], [0, 1, [0, 1]]);
      await broker.topics.create({ name: 'rx-2', numPartitions: 3, replicationFactor: 1, configs: {} });
      const owned = r1.assignment.topicPartitions;
      const r2 = await w.request(68, 1, hb({ memberId: 'r', memberEpoch: 1, subscribedTopicNames: null, topicPartitions: owned }));
      assert.deepEqual([r2.errorCode, r2.errorMessage, r2.memberEpoch], [0, null, 2]);
      const byTopic = (a: { topicPartitions: Tp[] }) => new Map(a.topicPartitions.map((t) => [broker.topics.getById(t.topicId)!.name, [...t.partitions].sort()]));
      assert.deepEqual([...byTopic(r2.assignment)].sort(), [['rx-1', [0, 1]], ['rx-2', [0, 1, 2]]]);
      await broker.topics.createPartitions('rx-1', 3);
      const r3 = await w.request(68, 1, hb({ memberId: 'r', memberEpoch: 2, subscribedTopicNames: null, topicPartitions: r2.assignment.topicPartitions }));
      assert.equal(r3.memberEpoch, 3);
      assert.deepEqual(byTopic(r3.assignment).get('rx-1'), [0, 1, 2]);
      const d = broker.groups.consumerGroupDescribe('gw');
      assert.deepEqual([d.assignorName, d.members[0]!.subscribedTopicRegex], ['range', 'rx-.*']);
    } finally {
      w.close();
    }
  }, { config: CONFIG });
});

test('group.consumer.migration.policy=disabled: classic and consumer protocols in one group refused while the other has members, an empty group changes protocol', async () => {
  await withBroker(async (broker) => {
    const w = await WireClient.connect(broker.port);
    try {
      await ready(w, broker, ['w1', 2]);
      const classicJoin = (groupId: string, memberId = '') => w.request(11, 5, { groupId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] });
      // A classic group with a member: a consumer-protocol member is refused as Kafka refuses it with upgrades off.
      const j1 = await classicJoin('gc');
      assert.equal(j1.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
      assert.equal((await classicJoin('gc', j1.memberId)).errorCode, 0);
      const refused = await w.request(68, 1, hb({ groupId: 'gc', memberId: 'c1' }));
      assert.deepEqual([refused.errorCode, refused.errorMessage], [ErrorCode.GROUP_ID_NOT_FOUND, 'Group gc is not a consumer group.']);

      // An empty consumer group becomes a classic one when a classic member joins.
      const m = await w.request(68, 1, hb({ memberId: 'c1' }));
      assert.equal(m.errorCode, 0);
      assert.equal((await classicJoin('gw')).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      assert.equal((await w.request(68, 1, hb({ memberId: 'c1', memberEpoch: -1 }))).errorCode, 0);
      assert.equal((await w.request(16, 5, { statesFilter: [], typesFilter: ['consumer'] })).groups[0].groupState, 'Empty');
      const j2 = await classicJoin('gw');
      assert.equal(j2.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
      assert.equal((await classicJoin('gw', j2.memberId)).errorCode, 0);
      const listed = await w.request(16, 5, { statesFilter: [], typesFilter: [] });
      assert.deepEqual(listed.groups.map((g: any) => [g.groupId, g.groupType]).sort(), [['gc', 'classic'], ['gw', 'classic']]);

      // OffsetCommit v9 with a member epoch to a group that does not exist: GROUP_ID_NOT_FOUND (v8: ILLEGAL_GENERATION).
      const commit = async (v: number) => (await w.request(8, v, { groupId: 'nope', generationIdOrMemberEpoch: 1, memberId: 'x', groupInstanceId: null, topics: [{ name: 'w1', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] })).topics[0].partitions[0].errorCode;
      assert.deepEqual([await commit(9), await commit(8)], [ErrorCode.GROUP_ID_NOT_FOUND, ErrorCode.ILLEGAL_GENERATION]);
    } finally {
      w.close();
    }
  }, { config: { ...CONFIG, 'group.consumer.migration.policy': 'disabled' } });
});

test('ConsumerGroupHeartbeat and ConsumerGroupDescribe need ACLs on the group when an authorizer is set', async () => {
  await withBroker(async (broker) => {
    const w = await WireClient.connect(broker.port);
    try {
      const r = await w.request(68, 1, hb({ memberId: 'm' }));
      assert.equal(r.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
      const d = await w.request(69, 0, { groupIds: ['gw'], includeAuthorizedOperations: false });
      assert.equal(d.groups[0].errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    } finally {
      w.close();
    }
  }, { config: { ...CONFIG, 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer' } });
});

test('group configs reach consumer groups: consumer.heartbeat.interval.ms set on the group is the interval its members are told', async () => {
  await withBroker(async (broker) => {
    const w = await WireClient.connect(broker.port);
    try {
      await ready(w, broker, ['w1', 1]);
      const set = await w.request(44, 1, { resources: [{ resourceType: 32, resourceName: 'gw', configs: [{ name: 'consumer.heartbeat.interval.ms', configOperation: 0, value: '7000' }] }], validateOnly: false });
      assert.equal(set.responses[0].errorCode, 0);
      const joined = await w.request(68, 1, hb({ memberId: 'cfg-member' }));
      assert.equal(joined.errorCode, 0);
      assert.equal(joined.heartbeatIntervalMs, 7000);
      const other = await w.request(68, 1, hb({ groupId: 'gw-default', memberId: 'm2' }));
      assert.equal(other.heartbeatIntervalMs, 5000, "a group without the config gets the broker's group.consumer.heartbeat.interval.ms");
    } finally {
      w.close();
    }
  }, { config: CONFIG });
});

test('classic members in a consumer group: a static member rejoining under a new member id takes the old one’s place and partitions (the old one is fenced); a member that does not sync, or does not rejoin when told, is removed after its rebalance timeout', async () => {
  await withBroker(async (broker) => {
    const w = await WireClient.connect(broker.port);
    try {
      await ready(w, broker, ['w1', 4]);
      const metadata = encodeSubscription({ topics: ['w1'], userData: null, ownedPartitions: [], generationId: -1, rackId: null });
      const join = (memberId: string, groupInstanceId: string | null, rebalanceTimeoutMs = 30_000) =>
        w.request(11, 5, { groupId: 'gw', sessionTimeoutMs: 30_000, rebalanceTimeoutMs, memberId, groupInstanceId, protocolType: 'consumer', protocols: [{ name: 'range', metadata }] });
      const sync = (memberId: string, generationId: number, groupInstanceId: string | null) =>
        w.request(14, 5, { groupId: 'gw', generationId, memberId, groupInstanceId, protocolType: 'consumer', protocolName: 'range', assignments: [] });
      const synced = async (memberId: string, generationId: number, groupInstanceId: string | null) => {
        const s = await sync(memberId, generationId, groupInstanceId);
        assert.equal(s.errorCode, 0);
        return decodeAssignment(s.assignment).partitions.flatMap((t) => t.partitions).sort();
      };
      const members = async () => {
        const d = await w.request(69, 0, { groupIds: ['gw'], includeAuthorizedOperations: false });
        return (d.groups[0].members as Array<{ memberId: string }>).map((m) => m.memberId).sort();
      };
      // A consumer-protocol member makes gw a consumer group; a static classic member joins it.
      let c1 = await w.request(68, 1, hb({ memberId: 'c1' }));
      assert.equal(c1.errorCode, 0);
      const s1 = await join('', 'inst-1');
      assert.equal(s1.errorCode, 0);
      // c1 heartbeats what it holds (giving up what it is told to) until the static member holds two partitions.
      await waitFor('the static member’s partitions', async () => {
        const next = await w.request(68, 1, hb({ memberId: 'c1', memberEpoch: c1.memberEpoch, topicPartitions: c1.assignment?.topicPartitions ?? [] }));
        if (next.errorCode === 0) c1 = { ...next, assignment: next.assignment ?? c1.assignment };
        const again = await join(s1.memberId, 'inst-1');
        return again.errorCode === 0 && (await synced(s1.memberId, again.generationId, 'inst-1')).length === 2;
      });
      const firstRejoin = await join(s1.memberId, 'inst-1');
      const had = await synced(s1.memberId, firstRejoin.generationId, 'inst-1');
      assert.equal(had.length, 2);

      // It restarts: JoinGroup with no member id and its instance id takes the place at once, partitions and all.
      const s2 = await join('', 'inst-1');
      assert.equal(s2.errorCode, 0);
      assert.notEqual(s2.memberId, s1.memberId);
      assert.deepEqual(await synced(s2.memberId, s2.generationId, 'inst-1'), had, 'the new instance inherits the partitions');
      assert.equal((await w.request(12, 4, { groupId: 'gw', generationId: firstRejoin.generationId, memberId: s1.memberId, groupInstanceId: 'inst-1' })).errorCode, ErrorCode.FENCED_INSTANCE_ID);
      assert.equal((await join(s1.memberId, 'inst-1')).errorCode, ErrorCode.FENCED_INSTANCE_ID);
      assert.equal((await join('someone', 'inst-2')).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'a known member id with an unknown instance id');
      assert.deepEqual(await members(), ['c1', s2.memberId].sort());

      // A dynamic classic member that joins but never syncs is removed after its rebalance timeout (1 s).
      const d1 = await join('', null, 1000);
      assert.equal(d1.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
      assert.equal((await join(d1.memberId, null, 1000)).errorCode, 0);
      assert.ok((await members()).includes(d1.memberId));
      await waitFor('the member that did not sync to be removed', async () => !(await members()).includes(d1.memberId));

      // Told to rejoin (a new consumer-protocol member bumps the epoch), a classic member that does not is removed.
      const d2 = await join('', null, 1000);
      const j2 = await join(d2.memberId, null, 1000);
      await synced(d2.memberId, j2.generationId, null);
      assert.equal((await w.request(68, 1, hb({ memberId: 'c2' }))).errorCode, 0);
      await waitFor('the heartbeat to ask for a rejoin', async () => (await w.request(12, 4, { groupId: 'gw', generationId: j2.generationId, memberId: d2.memberId, groupInstanceId: null })).errorCode === ErrorCode.REBALANCE_IN_PROGRESS);
      await waitFor('the member that did not rejoin to be removed', async () => !(await members()).includes(d2.memberId));
      assert.ok((await members()).includes(s2.memberId), 'the static member stays');
    } finally {
      w.close();
    }
  }, { config: CONFIG });
});
