// The reconciliation state machine (Kafka's CurrentAssignmentBuilder): revoke before assign.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FencedMemberError, reconcile } from '../../../../src/coordinator/group/consumer/reconcile.js';
import { MemberState, type ConsumerMemberAssignment } from '../../../../src/coordinator/group/consumer/records.js';

const tp = (ps: number[]) => new Map(ps.length > 0 ? [['T', ps]] : []);
const state = (memberEpoch: number, assigned: number[], revoking: number[] = [], s: number = MemberState.STABLE): ConsumerMemberAssignment =>
  ({ memberEpoch, previousMemberEpoch: memberEpoch - 1, state: s, assignedPartitions: tp(assigned), partitionsPendingRevocation: tp(revoking) });
const free = () => -1;

test('a stable member at the target epoch stays as it is', () => {
  const c = state(3, [0, 1]);
  assert.equal(reconcile({ current: c, targetEpoch: 3, target: tp([0, 1]), partitionEpoch: free, owned: [{ topicId: 'T', partitions: [0, 1] }] }), c);
});

test('partitions leaving the member are revoked first: it keeps its epoch until it stops owning them', () => {
  const c = state(3, [0, 1, 2]);
  const owned = [{ topicId: 'T', partitions: [0, 1, 2] }];
  const r = reconcile({ current: c, targetEpoch: 4, target: tp([0, 3]), partitionEpoch: free, owned });
  assert.deepEqual([r.state, r.memberEpoch, [...r.assignedPartitions], [...r.partitionsPendingRevocation]], [MemberState.UNREVOKED_PARTITIONS, 3, [['T', [0]]], [['T', [1, 2]]]]);
  // Still owning a revoked partition: no progress.
  assert.equal(reconcile({ current: r, targetEpoch: 4, target: tp([0, 3]), partitionEpoch: free, owned }), r);
  // Revoked: on to the target epoch, with the new partition.
  const done = reconcile({ current: r, targetEpoch: 4, target: tp([0, 3]), partitionEpoch: free, owned: [{ topicId: 'T', partitions: [0] }] });
  assert.deepEqual([done.state, done.memberEpoch, done.previousMemberEpoch, [...done.assignedPartitions]], [MemberState.STABLE, 4, 3, [['T', [0, 3]]]]);
});

test('a partition another member still holds is not assigned: UNRELEASED_PARTITIONS until it is free', () => {
  let held = true;
  const epochOf = (_t: string, p: number) => (p === 3 && held ? 2 : -1);
  const r = reconcile({ current: state(3, [0]), targetEpoch: 4, target: tp([0, 3]), partitionEpoch: epochOf, owned: [{ topicId: 'T', partitions: [0] }] });
  assert.deepEqual([r.state, r.memberEpoch, [...r.assignedPartitions]], [MemberState.UNRELEASED_PARTITIONS, 4, [['T', [0]]]]);
  held = false;
  const r2 = reconcile({ current: r, targetEpoch: 4, target: tp([0, 3]), partitionEpoch: epochOf, owned: [{ topicId: 'T', partitions: [0] }] });
  assert.deepEqual([r2.state, [...r2.assignedPartitions]], [MemberState.STABLE, [['T', [0, 3]]]]);
});

test('a member that did not say what it owns is assumed to own everything (no revocation completes)', () => {
  const r = reconcile({ current: state(3, [0, 1]), targetEpoch: 4, target: tp([0]), partitionEpoch: free, owned: null });
  assert.equal(r.state, MemberState.UNREVOKED_PARTITIONS);
  assert.equal(reconcile({ current: r, targetEpoch: 4, target: tp([0]), partitionEpoch: free, owned: null }), r);
});

test('an unknown state fences a member that still owns partitions', () => {
  const c = state(3, [0], [], 99);
  assert.throws(() => reconcile({ current: c, targetEpoch: 4, target: tp([0]), partitionEpoch: free, owned: [{ topicId: 'T', partitions: [0] }] }), FencedMemberError);
});
