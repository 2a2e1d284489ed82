/**
 * Three brokers in this process over the in-memory metadata store, driven by KafkaJS: replicated
 * topics, acks=all and min.insync.replicas, a leader killed under load, a broker restarted that
 * catches up and rejoins the ISR, a controlled shutdown that moves leaderships first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { Cluster } from '../../src/broker/in-process-cluster.js';
import { createClient } from '../../src/index.js';
import { waitFor } from '../helpers/wait.js';
import { WireClient } from '../helpers/broker-process.js';

function kafkaFor(bootstrap: string) {
  return new Kafka({ clientId: 'cluster-test', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 50, maxRetryTime: 500 } });
}

async function withCluster(fn: (c: Cluster) => Promise<void>, config: Record<string, string> = {}): Promise<void> {
  const c = await Cluster.start({ brokers: 3, config: { 'replica.lag.time.max.ms': '2000', 'samsa.controlled.shutdown.timeout.ms': '10000', ...config } });
  try {
    await fn(c);
  } finally {
    await c.stop();
  }
}

function isrFull(c: Cluster, topic: string, partitions: number): boolean {
  for (let p = 0; p < partitions; p++) if ((c.metadata.partition(topic, p)?.isr.length ?? 0) < 3) return false;
  return true;
}

test('a replication-factor-3 topic: leaders spread over the brokers, every replica holds the same log, Metadata reports replicas and ISR', async () => {
  await withCluster(async (c) => {
    const kafka = kafkaFor(c.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    try {
      assert.equal(await admin.createTopics({ topics: [{ topic: 'r3', numPartitions: 6, replicationFactor: 3 }], waitForLeaders: true }), true);
      const cluster = await admin.describeCluster();
      assert.equal(cluster.brokers.length, 3);
      const meta = await admin.fetchTopicMetadata({ topics: ['r3'] });
      const parts = meta.topics[0]!.partitions;
      assert.equal(parts.length, 6);
      const leaders = new Map<number, number>();
      for (const p of parts) {
        assert.equal(new Set(p.replicas).size, 3, 'three distinct replicas');
        leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1);
      }
      assert.deepEqual([...leaders.values()].sort(), [2, 2, 2], 'each broker leads two of the six partitions');
      // More replicas than brokers: Kafka's error.
      await assert.rejects(admin.createTopics({ topics: [{ topic: 'r4', replicationFactor: 4 }] }), (err: any) => err.errors?.[0]?.type === 'INVALID_REPLICATION_FACTOR');

      const producer = kafka.producer({ idempotent: true });
      await producer.connect();
      for (let i = 0; i < 20; i++) await producer.send({ topic: 'r3', acks: -1, messages: Array.from({ length: 50 }, (_, j) => ({ key: `k${j}`, value: `v${i}-${j}` })) });
      await producer.disconnect();
      // Every replica's log ends where its leader's does, byte for byte the same size.
      await waitFor('followers to catch up', () =>
        [0, 1, 2, 3, 4, 5].every((p) => {
          const ends = c.brokerIds.map((id) => c.broker(id).topics.replicas.log('r3', p)?.logEndOffset ?? -1);
          return ends.every((e) => e === ends[0] && e > 0);
        }),
      );
      for (let p = 0; p < 6; p++) {
        const sizes = c.brokerIds.map((id) => c.broker(id).topics.replicas.log('r3', p)!.size);
        assert.ok(sizes.every((s) => s === sizes[0]), `partition ${p}: replicas hold the same bytes (${sizes})`);
      }
      const offsets = await admin.fetchTopicOffsets('r3');
      assert.equal(offsets.reduce((n, o) => n + Number(o.high), 0), 1000);
    } finally {
      await admin.disconnect();
    }
  });
});

test('kill the leader under acks=all load: a new leader from the ISR, the producer carries on, every acknowledged record is there exactly once; the old leader rejoins', async () => {
  await withCluster(async (c) => {
    const kafka = kafkaFor(c.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'fo', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    await waitFor('full ISR', () => isrFull(c, 'fo', 1));
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const acked: string[] = [];
    let stop = false;
    let sendError: unknown = null;
    const load = (async () => {
      for (let i = 0; !stop; i++) {
        const value = `m${i}`;
        try {
          await producer.send({ topic: 'fo', acks: -1, messages: [{ value }] });
          acked.push(value);
        } catch (err) {
          sendError = err;
          return;
        }
      }
    })();
    await waitFor('some acknowledged records', () => acked.length >= 200, 20_000);
    const oldLeader = c.metadata.partition('fo', 0)!.leader;
    const killedAt = Date.now();
    await c.kill(oldLeader);
    await waitFor('a new leader', () => {
      const s = c.metadata.partition('fo', 0)!;
      return s.leader >= 0 && s.leader !== oldLeader;
    });
    const electedMs = Date.now() - killedAt;
    const before = acked.length;
    await waitFor('records acknowledged by the new leader', () => acked.length >= before + 200, 30_000);
    stop = true;
    await load;
    assert.equal(sendError, null, `the producer carried on: ${String(sendError)}`);
    await producer.disconnect();

    await c.restart(oldLeader);
    await waitFor('the old leader back in the ISR', () => c.metadata.partition('fo', 0)!.isr.includes(oldLeader), 30_000);

    const consumer = kafka.consumer({ groupId: 'fo-check' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'fo', fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitFor('every acknowledged record consumed', () => seen.length >= acked.length, 30_000);
    await consumer.disconnect();
    await admin.disconnect();
    const ackedSet = new Set(acked);
    assert.equal(new Set(seen).size, seen.length, 'no record twice');
    for (const v of acked) assert.ok(seen.includes(v), `acknowledged ${v} is there`);
    // In order: the acknowledged records appear in the order they were sent.
    const order = seen.filter((v) => ackedSet.has(v));
    assert.deepEqual(order, acked);
    console.log(`# failover: new leader elected ${electedMs} ms after the kill; ${acked.length} records acknowledged`);
  });
});

test('acks=all with min.insync.replicas=3 and a broker down: NOT_ENOUGH_REPLICAS; acks=1 still appends', async () => {
  await withCluster(async (c) => {
    const kafka = kafkaFor(c.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'mi', numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '3' }] }], waitForLeaders: true });
    await waitFor('full ISR', () => isrFull(c, 'mi', 1));
    const s = c.metadata.partition('mi', 0)!;
    const follower = s.replicas.find((r) => r !== s.leader)!;
    await c.kill(follower);
    await waitFor('the ISR to shrink', () => !c.metadata.partition('mi', 0)!.isr.includes(follower), 20_000);
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    await assert.rejects(producer.send({ topic: 'mi', acks: -1, messages: [{ value: 'x' }] }), (err: any) => /NOT_ENOUGH_REPLICAS|replicas/i.test(`${err.type ?? ''} ${err.message}`));
    const r = await producer.send({ topic: 'mi', acks: 1, messages: [{ value: 'y' }] });
    assert.equal(r[0]!.errorCode, 0);
    await producer.disconnect();
    await admin.disconnect();
  });
});

test('a controlled shutdown moves leaderships to other in-sync replicas before the broker stops', async () => {
  await withCluster(async (c) => {
    const kafka = kafkaFor(c.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'cs', numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });
    await waitFor('full ISR', () => isrFull(c, 'cs', 3));
    await admin.disconnect();
    const victim = c.metadata.partition('cs', 0)!.leader;
    await c.stopBroker(victim);
    for (let p = 0; p < 3; p++) {
      const s = c.metadata.partition('cs', p)!;
      assert.notEqual(s.leader, victim, `partition ${p} led by another broker`);
      assert.ok(s.leader >= 0);
    }
  });
});

test('unclean.leader.election.enable: with every in-sync replica down, true elects a live out-of-sync replica; false (the default) keeps the partition offline until an in-sync one returns', async () => {
  await withCluster(async (c) => {
    const admin = kafkaFor(c.bootstrap).admin();
    await admin.connect();
    try {
      const assignment = [{ partition: 0, replicas: [1, 2, 3] }];
      await admin.createTopics({
        topics: [
          { topic: 'unclean', replicaAssignment: assignment, configEntries: [{ name: 'unclean.leader.election.enable', value: 'true' }] },
          { topic: 'clean', replicaAssignment: assignment },
        ],
        waitForLeaders: true,
      });
    } finally {
      await admin.disconnect();
    }
    await waitFor('both ISRs full', () => isrFull(c, 'unclean', 1) && isrFull(c, 'clean', 1));
    await c.kill(2);
    await c.kill(3);
    await waitFor('the ISRs to shrink to the leader', () => c.metadata.partition('unclean', 0)?.isr.length === 1 && c.metadata.partition('clean', 0)?.isr.length === 1);
    const epoch = c.metadata.partition('unclean', 0)!.leaderEpoch;
    // No broker is left to be controller: broker 2, back, becomes it and finds the leader gone.
    await c.kill(1);
    await c.restart(2);
    await waitFor('an unclean election on the topic that allows it', () => c.metadata.partition('unclean', 0)?.leader === 2);
    const u = c.metadata.partition('unclean', 0)!;
    assert.deepEqual(u.isr, [2]);
    assert.ok(u.leaderEpoch > epoch, 'a new leader epoch');
    await waitFor('the clean topic offline', () => c.metadata.partition('clean', 0)?.leader === -1);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(c.metadata.partition('clean', 0)!.leader, -1, 'no out-of-sync replica leads a topic without unclean election');
    assert.deepEqual(c.metadata.partition('clean', 0)!.isr, [1], 'the ISR keeps the last in-sync replica');
    await c.restart(1);
    await waitFor('the last in-sync replica leading again', () => c.metadata.partition('clean', 0)?.leader === 1);
  });
});

test('ElectLeaders (preferred) over the cluster moves leadership back to the first replica once it is in sync', async () => {
  await withCluster(async (c) => {
    const admin = kafkaFor(c.bootstrap).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'pref', replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }] }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    await waitFor('ISR full', () => isrFull(c, 'pref', 1));
    await c.kill(1);
    await waitFor('a new leader', () => [2, 3].includes(c.metadata.partition('pref', 0)?.leader ?? -1));
    await c.restart(1);
    await waitFor('broker 1 back in the ISR', () => isrFull(c, 'pref', 1));
    const wire = await WireClient.connect(c.broker(2).port);
    try {
      const resp = await wire.request<any>(43, 2, { timeoutMs: 5000, electionType: 0, topicPartitions: [{ topic: 'pref', partitions: [0] }] });
      assert.equal(resp.errorCode, 0);
      assert.equal(resp.replicaElectionResults[0].partitionResult[0].errorCode, 0);
      await waitFor('broker 1 leading again', () => c.metadata.partition('pref', 0)?.leader === 1);
      const again = await wire.request<any>(43, 2, { timeoutMs: 5000, electionType: 0, topicPartitions: [{ topic: 'pref', partitions: [0] }] });
      assert.equal(again.replicaElectionResults[0].partitionResult[0].errorCode, 84, 'ELECTION_NOT_NEEDED');
    } finally {
      wire.close();
    }
  });
});

test('a cluster-wide dynamic broker config set through one broker is in force on every broker; one broker\'s own stays its own', async () => {
  await withCluster(async (c) => {
    const client = createClient({ bootstrapServers: c.broker(1).bootstrap });
    try {
      const admin = client.admin();
      await admin.incrementalAlterConfigs({ type: 'broker', name: '' }, [{ name: 'follower.replication.throttled.rate', op: 'set', value: '12345' }]);
      await waitFor('every broker to apply the cluster default', () => c.brokerIds.every((id) => c.broker(id).config.raw['follower.replication.throttled.rate'] === '12345'));
      await admin.incrementalAlterConfigs({ type: 'broker', name: '2' }, [{ name: 'follower.replication.throttled.rate', op: 'set', value: '999' }]);
      await waitFor('broker 2 to apply its own value', () => c.broker(2).config.raw['follower.replication.throttled.rate'] === '999');
      assert.equal(c.broker(1).config.raw['follower.replication.throttled.rate'], '12345');
      assert.equal(c.broker(3).config.raw['follower.replication.throttled.rate'], '12345');
    } finally {
      await client.close();
    }
  });
});

test('a follower serves a v11+ consumer fetch from its copy (KIP-392); past its log end, a fetch without a leader epoch gets no records rather than OFFSET_OUT_OF_RANGE, one with an epoch gets the error', async () => {
  await withCluster(async (c) => {
    const kafka = kafkaFor(c.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'copy', numPartitions: 1, replicationFactor: 3 }] });
    await admin.disconnect();
    await waitFor('a full ISR', () => isrFull(c, 'copy', 1));
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'copy', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })) });
    await producer.disconnect();
    const s = c.metadata.partition('copy', 0)!;
    const follower = s.replicas.find((r) => r !== s.leader)!;
    await waitFor('the follower to hold every record below the high watermark', () => c.broker(follower).topics.replicas.log('copy', 0)!.highWatermark === 10);
    const wire = await WireClient.connect(c.broker(follower).port);
    try {
      const fetch = (fetchOffset: number, currentLeaderEpoch: number) =>
        wire.request<any>(1, 12, {
          replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [], clusterId: null,
          topics: [{ topic: 'copy', partitions: [{ partition: 0, currentLeaderEpoch, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
        });
      const served = (await fetch(0, -1)).responses[0].partitions[0];
      assert.equal(served.errorCode, 0);
      assert.equal(served.highWatermark, 10);
      assert.ok(served.records.length > 0, 'the follower served its copy');
      const ahead = (await fetch(50, -1)).responses[0].partitions[0];
      assert.deepEqual([ahead.errorCode, ahead.records.length], [0, 0], 'no records, no error: a client on stale metadata retries');
      const withEpoch = (await fetch(50, s.leaderEpoch)).responses[0].partitions[0];
      assert.equal(withEpoch.errorCode, 1, 'OFFSET_OUT_OF_RANGE for a client that knows the leader epoch');
    } finally {
      wire.close();
    }
  });
});
