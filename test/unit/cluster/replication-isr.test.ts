/**
 * A leader's high watermark while an ISR expansion is being written (Kafka's maximal ISR,
 * KIP-497): the follower joining already counts, so that nothing is acknowledged past its log
 * end and then lost when that follower, in the ISR once the write lands, is elected.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../src/platform/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { ReplicaManager } from '../../../src/cluster/replica-manager.js';
import { Replication } from '../../../src/cluster/replication.js';
import { LeaderState } from '../../../src/cluster/leader-state.js';
import type { ReplicaFetchers } from '../../../src/cluster/replica-fetcher.js';
import type { PartitionChange } from '../../../src/cluster/store/types.js';
import { createTopic, state, testCluster } from '../../helpers/cluster-store.js';
import { batchOf, testConfig, withTempDir } from '../storage/helpers.js';
import { waitFor } from '../../helpers/wait.js';

describe('LeaderState.highWatermark', () => {
  it('counts a follower whose joining the ISR is being written, and no one a pending shrink removes', () => {
    const s = new LeaderState(2, 0, 0, [2, 3, 1, 4], [2, 3, 1], 0);
    s.recordFetch(3, 20, 20, 0);
    s.recordFetch(1, 20, 20, 0);
    s.recordFetch(4, 10, 20, 0);
    assert.equal(s.highWatermark(20), 20, 'out of the ISR, 4 does not count');
    s.pendingIsr = [2, 3, 1, 4];
    assert.equal(s.highWatermark(20), 10, 'joining, 4 holds the high watermark back');
    s.update(1, [2, 3, 1, 4], [2, 3, 1, 4], 0);
    s.pendingIsr = [2, 3, 1];
    assert.equal(s.highWatermark(20), 10, 'until a shrink is written, 4 still counts');
  });
});

describe('Replication: an ISR expansion in flight', () => {
  it('acknowledges acks=all writes only once the joining follower holds them', () =>
    withTempDir(async (root) => {
      const clock = new ManualClock();
      const c = await testCluster([1, 2, 3, 4]);
      const store = c.view(2);
      await createTopic(store, 't', [state([2, 3, 1, 4], [2, 3, 1], 2)]);
      // The leader's ISR writes wait at this gate while it is shut.
      let gate: Promise<void> | null = null;
      let open = (): void => {};
      const cas = store.compareAndSetPartition.bind(store);
      store.compareAndSetPartition = async (topic: string, partition: number, expected: number, next: PartitionChange) => {
        if (gate !== null) await gate;
        return cas(topic, partition, expected, next);
      };
      const logs = await LogManager.open({ logDirs: [join(root, 'b2')], clock, logger: silentLogger, defaultConfig: testConfig(), highWatermarkFollowsLogEnd: false });
      const replicas = new ReplicaManager(logs, clock, silentLogger);
      const fetchers = { addPartitions() {}, removePartitions() {}, async close() {} } as unknown as ReplicaFetchers;
      const replication = new Replication({
        nodeId: 2, store, replicas, clock, logger: silentLogger,
        settings: { replicaLagTimeMaxMs: 30_000, raw: {} },
        logConfigFor: () => testConfig(),
        makeFetchers: () => fetchers,
        interBrokerListener: 'PLAINTEXT',
        keys: () => ({}),
      });
      replicas.hooks = replication;
      await replication.start();
      try {
        const log = replicas.log('t', 0)!;
        assert.equal(replication.leaderEpoch('t', 0), 0);
        await replicas.append(log, 't', 0, await batchOf(10));
        replication.followerFetched('t', 0, 3, 10);
        replication.followerFetched('t', 0, 1, 10);
        assert.equal(log.highWatermark, 10);

        // 4 catches up: its joining the ISR is written, and that write takes a while.
        gate = new Promise<void>((resolve) => (open = resolve));
        replication.followerFetched('t', 0, 4, 10);
        await replicas.append(log, 't', 0, await batchOf(10));
        let acked: string | null = null;
        void replicas.awaitReplicated('t', 0, 20, 60_000).then(
          () => (acked = 'acknowledged'),
          (err: Error) => (acked = err.message),
        );
        replication.followerFetched('t', 0, 3, 20);
        replication.followerFetched('t', 0, 1, 20);
        await new Promise((r) => setTimeout(r, 20));
        assert.equal(log.highWatermark, 10, 'the high watermark waits for 4, joining the ISR');
        assert.equal(acked, null, 'not acknowledged while 4, soon in the ISR, lacks offsets 10..19');

        open();
        gate = null;
        await waitFor('4 in the ISR', async () => store.partition('t', 0)!.isr.includes(4) && replication.isrSize('t', 0) === 4, 5000);
        await new Promise((r) => setTimeout(r, 20));
        assert.equal(log.highWatermark, 10, 'in the ISR with offsets up to 10, 4 still holds the high watermark');
        assert.equal(acked, null);

        replication.followerFetched('t', 0, 4, 20);
        assert.equal(log.highWatermark, 20);
        await waitFor('the acknowledgement', async () => acked !== null, 5000);
        assert.equal(acked, 'acknowledged');
        assert.equal(replication.notLeader('t', 0), null);
      } finally {
        await replication.stop();
        await logs.close();
      }
    }));
});
