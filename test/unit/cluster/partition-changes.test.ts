import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { test } from 'node:test';
import { Controller } from '../../../src/cluster/controller.js';
import { alterIsr, partitionChange, writePartition } from '../../../src/cluster/partition-changes.js';
import { brokerMap } from '../../../src/cluster/placement.js';
import { ElectionType, electLeaders } from '../../../src/cluster/replica-placement.js';
import type { MetadataStore } from '../../../src/cluster/store/types.js';
import { ManualClock } from '../../../src/platform/clock.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { silentLogger } from '../../../src/util/logger.js';
import { createTopic, registration, state, testCluster } from '../../helpers/cluster-store.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * A view whose compare-and-swap lands a turn after it was asked for, so that two writers both
 * read before either writes; `controllerOf` overrides who it believes controls (a stale view).
 */
function racingView(store: MetadataStore, controllerOf?: number): MetadataStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'compareAndSetPartition')
        return async (...args: Parameters<MetadataStore['compareAndSetPartition']>) => {
          await nextTurn();
          return target.compareAndSetPartition(...args);
        };
      if (prop === 'controllerId' && controllerOf !== undefined) return () => controllerOf;
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

test('two writers racing on one partition: one compare-and-swap stands, the other re-reads and finds nothing left to do', async () => {
  const c = await testCluster([1, 2, 3]);
  await createTopic(c.view(1), 't', [state([1, 2, 3])]);
  c.backend.expire(1);
  const a = racingView(c.view(2));
  const b = racingView(c.view(3));
  const decide = (store: MetadataStore) => (s: Parameters<typeof partitionChange>[0]) => partitionChange(s, brokerMap(store), 'online');
  const outcomes = await Promise.all([writePartition(a, 't', 0, decide(a), silentLogger), writePartition(b, 't', 0, decide(b), silentLogger)]);
  assert.deepEqual(outcomes.sort(), ['changed', 'unchanged']);
  assert.deepEqual(c.view(2).partition('t', 0), { replicas: [1, 2, 3], isr: [2, 3], leader: 2, leaderEpoch: 1, partitionEpoch: 1 });
});

test('two controllers both believing they control (a handover) never bump a leader epoch twice for one failure', async () => {
  const c = await testCluster([1, 2, 3, 4]);
  await createTopic(c.view(4), 'h', Array.from({ length: 20 }, (_, p) => state([1 + (p % 3), 1 + ((p + 1) % 3), 4])));
  const ctls = [2, 3].map((id) => {
    const ctl = new Controller({ store: racingView(c.view(id), id), nodeId: id, clock: new ManualClock(), logger: silentLogger, uncleanLeaderElection: () => false, rebalance: { autoLeaderRebalanceEnable: false } });
    ctl.start();
    return ctl;
  });
  try {
    c.backend.expire(1);
    const s = c.view(4);
    await waitFor('no partition led by 1 or with 1 in its ISR', () => Array.from({ length: 20 }, (_, p) => s.partition('h', p)!).every((st) => st.leader !== 1 && !st.isr.includes(1)));
    await Promise.all(ctls.map((x) => x.idle()));
    for (let p = 0; p < 20; p++) {
      const st = s.partition('h', p)!;
      const ledBy1 = st.replicas[0] === 1;
      assert.equal(st.leaderEpoch, ledBy1 ? 1 : 0, `h-${p}: ${JSON.stringify(st)}`);
      assert.equal(st.partitionEpoch, st.replicas.includes(1) ? 1 : 0, `h-${p} written once, when 1 was in it`);
    }
  } finally {
    await Promise.all(ctls.map((x) => x.stop()));
  }
});

test("AlterPartition as a compare-and-swap: Kafka's checks of epoch, leader, members", async () => {
  const c = await testCluster([1, 2, 3]);
  const s = c.view(1);
  await createTopic(s, 'a', [state([1, 2, 3], [1, 2, 3], 1, 5)]);
  const req = { topic: 'a', partition: 0, leaderId: 1, leaderEpoch: 5 };
  assert.equal(await alterIsr(s, { ...req, leaderEpoch: 4, isr: [1, 2] }), 'fenced');
  assert.equal(await alterIsr(s, { ...req, leaderEpoch: 6, isr: [1, 2] }), 'retry', 'a leader ahead of our image: try again');
  assert.equal(await alterIsr(s, { ...req, leaderId: 2, isr: [1, 2] }), 'invalid', 'not the leader');
  assert.equal(await alterIsr(s, { ...req, isr: [2, 3] }), 'invalid', 'the leader left out');
  assert.equal(await alterIsr(s, { ...req, isr: [1, 4] }), 'invalid', 'not a replica');
  assert.equal(await alterIsr(s, { ...req, isr: [1, 1] }), 'invalid', 'twice');
  assert.equal(await alterIsr(s, { topic: 'a', partition: 9, leaderId: 1, leaderEpoch: 5, isr: [1] }), 'invalid', 'unknown partition');
  assert.equal(await alterIsr(s, { ...req, isr: [1] }), 'ok');
  assert.deepEqual(s.partition('a', 0), { replicas: [1, 2, 3], isr: [1], leader: 1, leaderEpoch: 5, partitionEpoch: 1 });
  c.backend.expire(3);
  assert.equal(await alterIsr(s, { ...req, isr: [1, 3] }), 'invalid', 'an added member that is gone');
  await c.view(2).updateRegistration({ ...registration(2), shuttingDown: true });
  assert.equal(await alterIsr(s, { ...req, isr: [1, 2] }), 'invalid', 'an added member shutting down');
  await c.view(2).updateRegistration(registration(2));
  assert.equal(await alterIsr(s, { ...req, isr: [1, 2] }), 'ok');
  assert.equal(await alterIsr(s, { ...req, isr: [1, 2] }), 'ok', 'no change, no write');
  assert.equal(s.partition('a', 0)!.partitionEpoch, 2);
  c.view(1).disconnect();
  assert.equal(await alterIsr(c.view(1), { ...req, isr: [1] }), 'retry', 'store unreachable');
});

test("ElectLeaders over the store: Kafka's per-partition outcomes for PREFERRED and UNCLEAN", async () => {
  const c = await testCluster([1, 2, 3]);
  const s = c.view(2);
  await createTopic(s, 'e', [
    state([1, 2]), // 0: preferred leads
    state([1, 2], [2, 1], 2, 3), // 1: preferred in ISR, not leading
    state([1, 2], [2], 2, 3), // 2: preferred out of sync
    state([3, 2], [3], 3, 0), // 3: will be offline, 2 out of sync
    state([3], [3], 3, 0), // 4: will be offline, no other replica
  ]);
  c.backend.expire(3);
  await s.compareAndSetPartition('e', 3, 0, state([3, 2], [3], -1, 1));
  await s.compareAndSetPartition('e', 4, 0, state([3], [3], -1, 1));
  const preferred = await electLeaders(s, ElectionType.PREFERRED, [{ topic: 'e', partitions: [0, 1, 2, 7] }, { topic: 'nope', partitions: [0] }]);
  assert.deepEqual(preferred, [
    {
      topic: 'e',
      partitionResult: [
        { partitionId: 0, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: 'Leader election not needed for topic partition.' },
        { partitionId: 1, errorCode: ErrorCode.NONE, errorMessage: null },
        { partitionId: 2, errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: 'The preferred leader was not available.' },
        { partitionId: 7, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'No such partition as e-7' },
      ],
    },
    { topic: 'nope', partitionResult: [{ partitionId: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'No such topic as nope' }] },
  ]);
  assert.deepEqual(s.partition('e', 1), { replicas: [1, 2], isr: [2, 1], leader: 1, leaderEpoch: 4, partitionEpoch: 1 });

  const unclean = await electLeaders(s, ElectionType.UNCLEAN, [{ topic: 'e', partitions: [0, 3, 4] }]);
  assert.deepEqual(unclean[0]!.partitionResult.map((r) => r.errorCode), [ErrorCode.ELECTION_NOT_NEEDED, ErrorCode.NONE, ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE]);
  assert.equal(unclean[0]!.partitionResult[2]!.errorMessage, 'Eligible topic partition leaders are not available.');
  assert.deepEqual(s.partition('e', 3), { replicas: [3, 2], isr: [2], leader: 2, leaderEpoch: 2, partitionEpoch: 2 });

  // All partitions (null): those whose election is not needed are left out.
  const all = await electLeaders(s, ElectionType.PREFERRED, null);
  assert.deepEqual(all, [{ topic: 'e', partitionResult: [
    { partitionId: 2, errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: 'The preferred leader was not available.' },
    { partitionId: 3, errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: 'The preferred leader was not available.' },
    { partitionId: 4, errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: 'The preferred leader was not available.' },
  ] }]);
});
