// The classic rebalance protocol, driven directly with a ManualClock over an in-memory log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { type Harness, REBALANCE_MS, SESSION_MS, harness, joinAlone, joinArgs, settle, subscription, sync, track } from './helpers.js';

const hb = (h: Harness, memberId: string, generationId: number, groupInstanceId: string | null = null) =>
  h.c.heartbeat({ groupId: 'g', generationId, memberId, groupInstanceId });

test('three members: the leader gets the member list, followers wait for its assignment', async () => {
  const h = await harness();
  const a1 = await joinAlone(h, { clientId: 'a' });
  assert.equal(a1.errorCode, 0);
  assert.equal(a1.generationId, 1);
  assert.equal(a1.leader, a1.memberId);
  assert.match(a1.memberId, /^a-uuid-\d+$/);
  assert.deepEqual(a1.members.map((m) => m.memberId), [a1.memberId]);
  assert.equal((await sync(h, 'g', a1, [{ memberId: a1.memberId, assignment: Buffer.from('A') }])).assignment.toString(), 'A');
  assert.equal(h.c.describeGroup('g').state, 'Stable');

  // B and C join: the group rebalances; A learns it from its heartbeat and rejoins.
  const b = track(h.c.joinGroup(joinArgs({ clientId: 'b' })));
  const c = track(h.c.joinGroup(joinArgs({ clientId: 'c' })));
  await settle(h);
  assert.equal(h.c.describeGroup('g').state, 'PreparingRebalance');
  assert.equal(await hb(h, a1.memberId, 1), ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(b.done() || c.done(), false);
  const a2 = await h.c.joinGroup(joinArgs({ clientId: 'a', memberId: a1.memberId }));
  const [b2, c2] = [await b.promise, await c.promise];
  for (const r of [a2, b2, c2]) {
    assert.equal(r.errorCode, 0);
    assert.equal(r.generationId, 2);
    assert.equal(r.leader, a1.memberId);
    assert.equal(r.protocolName, 'range');
  }
  assert.equal(a2.members.length, 3);
  assert.deepEqual(b2.members, []);
  assert.deepEqual(c2.members, []);

  // Followers' SyncGroups park until the leader's arrives.
  const bs = track(sync(h, 'g', b2));
  const cs = track(sync(h, 'g', c2));
  await settle(h);
  assert.equal(bs.done() || cs.done(), false);
  assert.equal(h.c.describeGroup('g').state, 'CompletingRebalance');
  const assignments = [a2, b2, c2].map((r, i) => ({ memberId: r.memberId, assignment: Buffer.from(`part-${i}`) }));
  const as = await sync(h, 'g', a2, assignments);
  assert.equal(as.assignment.toString(), 'part-0');
  assert.equal((await bs.promise).assignment.toString(), 'part-1');
  assert.equal((await cs.promise).assignment.toString(), 'part-2');
  const d = h.c.describeGroup('g');
  assert.equal(d.state, 'Stable');
  assert.equal(d.protocol, 'range');
  assert.deepEqual(d.members.map((m) => m.assignment.toString()).sort(), ['part-0', 'part-1', 'part-2']);
  for (const r of [a2, b2, c2]) assert.equal(await hb(h, r.memberId, 2), ErrorCode.NONE);
  assert.equal(await hb(h, b2.memberId, 1), ErrorCode.ILLEGAL_GENERATION);
  assert.equal(await hb(h, 'nobody', 2), ErrorCode.UNKNOWN_MEMBER_ID);
  // The assignment is in the log before SyncGroup answered.
  const last = (await h.topic.records(h.c.partitionFor('g')!)).at(-1)!;
  assert.equal(last.type === 'group' && last.value?.generation, 2);
  await h.c.stop();
});

test('MEMBER_ID_REQUIRED (JoinGroup v4+): a generated id, then the rejoin is admitted', async () => {
  const h = await harness();
  const first = await h.c.joinGroup(joinArgs({ clientId: 'kafkajs', requireKnownMemberId: true }));
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  assert.match(first.memberId, /^kafkajs-uuid-\d+$/);
  assert.equal(first.generationId, -1);
  const again = await joinAlone(h, { clientId: 'kafkajs', memberId: first.memberId, requireKnownMemberId: true });
  assert.equal(again.errorCode, 0);
  assert.equal(again.memberId, first.memberId);
  assert.equal(again.leader, first.memberId);
  // An id that was never handed out is unknown.
  assert.equal((await h.c.joinGroup(joinArgs({ memberId: 'made-up', requireKnownMemberId: true }))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  // A pending id that never comes back expires after the session timeout, and the join no longer waits for it.
  const p = await h.c.joinGroup(joinArgs({ clientId: 'late', requireKnownMemberId: true }));
  assert.equal(p.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  await sync(h, 'g', again);
  // The leader's rejoin rebalances, and the join waits for the pending member.
  const rejoin = track(h.c.joinGroup(joinArgs({ memberId: again.memberId })));
  await settle(h, SESSION_MS / 2);
  assert.equal(await h.c.heartbeat({ groupId: 'g', generationId: 1, memberId: again.memberId, groupInstanceId: null }), ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(rejoin.done(), false);
  await settle(h, SESSION_MS / 2);
  assert.equal((await rejoin.promise).generationId, 2);
  await h.c.stop();
});

test('protocol mismatch is INCONSISTENT_GROUP_PROTOCOL; the chosen protocol is one every member supports, by votes', async () => {
  const h = await harness();
  const a = await joinAlone(h, { protocols: [{ name: 'range', metadata: subscription(['t']) }, { name: 'roundrobin', metadata: subscription(['t']) }] });
  await sync(h, 'g', a);
  const bad = await h.c.joinGroup(joinArgs({ protocols: [{ name: 'sticky', metadata: subscription(['t']) }] }));
  assert.equal(bad.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await h.c.joinGroup(joinArgs({ protocolType: 'connect' }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  // B prefers roundrobin but supports both; C supports only roundrobin: roundrobin wins.
  const b = h.c.joinGroup(joinArgs({ protocols: [{ name: 'roundrobin', metadata: subscription(['t']) }, { name: 'range', metadata: subscription(['t']) }] }));
  const c = h.c.joinGroup(joinArgs({ protocols: [{ name: 'roundrobin', metadata: subscription(['t']) }] }));
  await settle(h);
  const a2 = h.c.joinGroup(joinArgs({ memberId: a.memberId, protocols: [{ name: 'range', metadata: subscription(['t']) }, { name: 'roundrobin', metadata: subscription(['t']) }] }));
  for (const r of await Promise.all([a2, b, c])) assert.equal(r.protocolName, 'roundrobin');
  await h.c.stop();
});

test('request checks: INVALID_GROUP_ID, INVALID_SESSION_TIMEOUT, GROUP_MAX_SIZE_REACHED', async () => {
  const h = await harness({ config: { 'group.max.size': '1' } });
  assert.equal((await h.c.joinGroup(joinArgs({ groupId: '' }))).errorCode, ErrorCode.INVALID_GROUP_ID);
  assert.equal((await h.c.joinGroup(joinArgs({ sessionTimeoutMs: 5999 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal((await h.c.joinGroup(joinArgs({ sessionTimeoutMs: 1_800_001 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  const a = await joinAlone(h);
  await sync(h, 'g', a);
  assert.equal((await h.c.joinGroup(joinArgs())).errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
  assert.equal((await h.c.heartbeat({ groupId: '', generationId: 1, memberId: a.memberId, groupInstanceId: null })), ErrorCode.INVALID_GROUP_ID);
  await h.c.stop();
});

test('session expiry removes a silent member and rebalances the rest', async () => {
  const h = await harness();
  const a = await joinAlone(h, { clientId: 'a' });
  await sync(h, 'g', a);
  const b = h.c.joinGroup(joinArgs({ clientId: 'b' }));
  await settle(h);
  const a2 = h.c.joinGroup(joinArgs({ memberId: a.memberId }));
  const [ra, rb] = await Promise.all([a2, b]);
  const sb = sync(h, 'g', rb);
  await sync(h, 'g', ra, [{ memberId: ra.memberId, assignment: Buffer.from('x') }, { memberId: rb.memberId, assignment: Buffer.from('y') }]);
  assert.equal((await sb).assignment.toString(), 'y');
  // Only A heartbeats.
  await settle(h, SESSION_MS / 2);
  assert.equal(await hb(h, ra.memberId, 2), 0);
  await settle(h, SESSION_MS / 2 + 1);
  assert.equal(h.c.describeGroup('g').state, 'PreparingRebalance');
  assert.equal(await hb(h, rb.memberId, 2), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(await hb(h, ra.memberId, 2), ErrorCode.REBALANCE_IN_PROGRESS);
  const a3 = await h.c.joinGroup(joinArgs({ memberId: ra.memberId }));
  assert.equal(a3.generationId, 3);
  assert.deepEqual(a3.members.map((m) => m.memberId), [ra.memberId]);
  await h.c.stop();
});

test('rebalance timeout: members that do not rejoin are dropped and the rest go on', async () => {
  const h = await harness();
  const a = await joinAlone(h, { clientId: 'a' });
  await sync(h, 'g', a);
  const b = h.c.joinGroup(joinArgs({ clientId: 'b' }));
  await settle(h);
  const [ra, rb] = await Promise.all([h.c.joinGroup(joinArgs({ memberId: a.memberId })), b]);
  await Promise.all([sync(h, 'g', rb), sync(h, 'g', ra)]);
  // C joins; A rejoins; B keeps heartbeating (so its session holds) but never rejoins.
  const c = track(h.c.joinGroup(joinArgs({ clientId: 'c' })));
  await settle(h);
  const a3 = track(h.c.joinGroup(joinArgs({ memberId: ra.memberId })));
  for (let t = 0; t < REBALANCE_MS; t += SESSION_MS / 2) {
    assert.equal(c.done() || a3.done(), false);
    assert.equal(await hb(h, rb.memberId, 2), ErrorCode.REBALANCE_IN_PROGRESS);
    await settle(h, SESSION_MS / 2);
  }
  const [rc, ra3] = [await c.promise, await a3.promise];
  assert.equal(ra3.generationId, 3);
  assert.equal(rc.generationId, 3);
  assert.equal(ra3.members.length, 2);
  assert.equal(await hb(h, rb.memberId, 3), ErrorCode.UNKNOWN_MEMBER_ID);
  await h.c.stop();
});

test('a follower rejoining a Stable group with the same metadata gets the current generation; the leader rebalances', async () => {
  const h = await harness();
  const a = await joinAlone(h, { clientId: 'a' });
  await sync(h, 'g', a);
  const b = h.c.joinGroup(joinArgs({ clientId: 'b' }));
  await settle(h);
  const [ra, rb] = await Promise.all([h.c.joinGroup(joinArgs({ memberId: a.memberId })), b]);
  const sb = sync(h, 'g', rb);
  await sync(h, 'g', ra, [{ memberId: rb.memberId, assignment: Buffer.from('B') }]);
  assert.equal((await sb).assignment.toString(), 'B');
  const again = await h.c.joinGroup(joinArgs({ memberId: rb.memberId }));
  assert.equal(again.errorCode, 0);
  assert.equal(again.generationId, 2);
  assert.equal(h.c.describeGroup('g').state, 'Stable');
  assert.equal((await sync(h, 'g', again)).assignment.toString(), 'B');
  // Changed metadata rebalances.
  const changed = track(h.c.joinGroup(joinArgs({ memberId: rb.memberId, protocols: [{ name: 'range', metadata: subscription(['t', 'u']) }] })));
  await settle(h);
  assert.equal(h.c.describeGroup('g').state, 'PreparingRebalance');
  const ra3 = await h.c.joinGroup(joinArgs({ memberId: ra.memberId }));
  assert.equal(ra3.generationId, 3);
  assert.equal((await changed.promise).generationId, 3);
  // In CompletingRebalance, a member repeating its join gets the generation at once.
  const repeat = await h.c.joinGroup(joinArgs({ memberId: ra.memberId }));
  assert.equal(repeat.generationId, 3);
  assert.equal(repeat.members.length, 2);
  await h.c.stop();
});

test('static membership: a restarted instance replaces its old member id without a rebalance; the old id is fenced', async () => {
  const h = await harness();
  const a = await joinAlone(h, { groupInstanceId: 'instance-a' });
  assert.match(a.memberId, /^instance-a-uuid-\d+$/);
  await sync(h, 'g', a, [{ memberId: a.memberId, assignment: Buffer.from('A') }]);
  const restarted = await h.c.joinGroup(joinArgs({ groupInstanceId: 'instance-a', clientId: 'again' }));
  assert.equal(restarted.errorCode, 0);
  assert.notEqual(restarted.memberId, a.memberId);
  assert.equal(restarted.generationId, 1);
  // Before JoinGroup v9 the old leader id comes back, so the new instance does not reassign.
  assert.equal(restarted.leader, a.memberId);
  assert.equal(h.c.describeGroup('g').state, 'Stable');
  assert.equal((await sync(h, 'g', restarted)).assignment.toString(), 'A');
  assert.equal(await hb(h, a.memberId, 1, 'instance-a'), ErrorCode.FENCED_INSTANCE_ID);
  assert.equal(await hb(h, restarted.memberId, 1, 'instance-a'), ErrorCode.NONE);
  // The replacement was written: a coordinator loading the log knows the new member id.
  const h2 = await harness({ topic: h.topic, clock: h.clock });
  await h2.c.loaded();
  assert.deepEqual(h2.c.describeGroup('g').members.map((m) => m.memberId), [restarted.memberId]);
  // With v9 the leader is told it leads but may skip the assignment.
  const v9 = await h.c.joinGroup(joinArgs({ groupInstanceId: 'instance-a', supportSkippingAssignment: true }));
  assert.equal(v9.leader, v9.memberId);
  assert.equal(v9.skipAssignment, true);
  assert.equal(v9.members.length, 1);
  await h.c.stop();
  await h2.c.stop();
});

test('LeaveGroup: by member id and by instance id; the last one out leaves an Empty group in a new generation', async () => {
  const h = await harness();
  const a = await joinAlone(h, { groupInstanceId: 'ia' });
  await sync(h, 'g', a);
  const b = h.c.joinGroup(joinArgs({ clientId: 'b' }));
  await settle(h);
  const [ra, rb] = await Promise.all([h.c.joinGroup(joinArgs({ memberId: a.memberId, groupInstanceId: 'ia' })), b]);
  await Promise.all([sync(h, 'g', rb), sync(h, 'g', ra)]);
  const left = await h.c.leaveGroup('g', [
    { memberId: rb.memberId, groupInstanceId: null, reason: 'bye' },
    { memberId: 'ghost', groupInstanceId: null, reason: null },
  ]);
  assert.deepEqual(left.members.map((m) => m.errorCode), [0, ErrorCode.UNKNOWN_MEMBER_ID]);
  await settle(h);
  const ra3 = await h.c.joinGroup(joinArgs({ memberId: ra.memberId, groupInstanceId: 'ia' }));
  assert.equal(ra3.generationId, 3);
  await sync(h, 'g', ra3);
  const byInstance = await h.c.leaveGroup('g', [{ memberId: '', groupInstanceId: 'ia', reason: null }]);
  assert.equal(byInstance.members[0]!.errorCode, 0);
  await settle(h);
  const d = h.c.describeGroup('g');
  assert.equal(d.state, 'Empty');
  const last = (await h.topic.records(h.c.partitionFor('g')!)).at(-1)!;
  assert.ok(last.type === 'group' && last.value !== null && last.value.generation === 4 && last.value.members.length === 0);
  assert.equal((await h.c.leaveGroup('nope', [{ memberId: 'x', groupInstanceId: null, reason: null }])).members[0]!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  await h.c.stop();
});

test('the initial rebalance delay waits for more members to arrive at an empty group', async () => {
  const h = await harness({ config: { 'group.initial.rebalance.delay.ms': '3000' } });
  const a = track(h.c.joinGroup(joinArgs({ clientId: 'a' })));
  await settle(h, 2000);
  const b = track(h.c.joinGroup(joinArgs({ clientId: 'b' })));
  await settle(h, 1000);
  // B arrived during the delay: it is extended by another 3 s.
  assert.equal(a.done() || b.done(), false);
  await settle(h, 3000);
  const [ra, rb] = [await a.promise, await b.promise];
  assert.equal(ra.generationId, 1);
  assert.equal(rb.generationId, 1);
  assert.equal([ra, rb].filter((r) => r.members.length === 2).length, 1);
  await h.c.stop();
});

test('a leader that never syncs: its members are removed after the rebalance timeout and the group rebalances', async () => {
  const h = await harness();
  const a = await joinAlone(h, { clientId: 'a' });
  const b = h.c.joinGroup(joinArgs({ clientId: 'b' }));
  await settle(h);
  assert.equal(h.c.describeGroup('g').state, 'PreparingRebalance');
  const [ra, rb] = await Promise.all([h.c.joinGroup(joinArgs({ memberId: a.memberId })), b]);
  const sb = track(sync(h, 'g', rb));
  await settle(h, REBALANCE_MS);
  // A never sent SyncGroup: it is removed, B is told to rejoin.
  assert.equal((await sb.promise).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(await hb(h, ra.memberId, ra.generationId), ErrorCode.UNKNOWN_MEMBER_ID);
  await h.c.stop();
});

test('stop answers parked requests with NOT_COORDINATOR', async () => {
  const h = await harness();
  const a = await joinAlone(h);
  await sync(h, 'g', a);
  const b = h.c.joinGroup(joinArgs());
  await settle(h);
  await h.c.stop();
  assert.equal((await b).errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal((await h.c.joinGroup(joinArgs())).errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
});
