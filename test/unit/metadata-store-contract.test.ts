/**
 * One suite for every cluster metadata store (src/cluster/store/types.ts): the in-memory store
 * and etcd (a real etcd process). Two store objects on one backend stand for two brokers.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { MemoryMetadataBackend } from '../../src/cluster/store/memory-store.js';
import { EtcdMetadataStore } from '../../src/cluster/store/etcd-store.js';
import { MetadataConflictError, MetadataUnavailableError, type MetadataEvent, type MetadataStore, type PartitionChange } from '../../src/cluster/store/types.js';
import { createLogger } from '../../src/util/logger.js';
import { startEtcd, type EtcdProcess } from '../helpers/etcd.js';
import { waitFor } from '../helpers/wait.js';

const logger = createLogger('silent');
let etcd: EtcdProcess;
let prefixes = 0;

before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  await etcd?.destroy();
});

interface Backend {
  /** A store for one broker; all stores of one backend share the metadata. */
  open(): Promise<MetadataStore>;
}

const backends: Record<string, () => Backend> = {
  memory: () => {
    const b = new MemoryMetadataBackend();
    return { open: async () => b.store() };
  },
  etcd: () => {
    const prefix = `/contract-${++prefixes}`;
    return { open: () => EtcdMetadataStore.open({ endpoints: etcd.endpoints, prefix, sessionTimeoutMs: 2000, logger }) };
  },
};

const state = (replicas: number[], leader = replicas[0]!): PartitionChange => ({ replicas, isr: [...replicas], leader, leaderEpoch: 0 });
const topic = (name: string, partitions: number) => ({ name, topicId: `id-${name}`, partitions, configs: { 'retention.ms': '1000' } });
const reg = (nodeId: number) => ({ nodeId, rack: null, endpoints: [{ name: 'PLAINTEXT', host: 'localhost', port: 9090 + nodeId, securityProtocol: 'PLAINTEXT' }], incarnationId: `i${nodeId}`, shuttingDown: false });

for (const [name, make] of Object.entries(backends)) {
  test(`${name}: topics and partitions are created atomically, seen by another broker's store with events, and deleted`, async () => {
    const be = make();
    const a = await be.open();
    const b = await be.open();
    try {
      const seen: MetadataEvent[] = [];
      b.onChange((e) => seen.push(e));
      await a.createTopic(topic('t', 2), [state([1, 2]), state([2, 1])]);
      // Read-your-writes on the writer's store.
      assert.equal(a.topic('t')?.partitions, 2);
      await waitFor('the other store to see the topic', () => b.topic('t') !== undefined && b.partition('t', 1) !== undefined);
      assert.deepEqual(b.partition('t', 1), { replicas: [2, 1], isr: [2, 1], leader: 2, leaderEpoch: 0, partitionEpoch: 0 });
      assert.equal(b.topicById('id-t')?.name, 't');
      await waitFor('events', () => seen.some((e) => e.type === 'topic') && seen.filter((e) => e.type === 'partition').length >= 2);
      await assert.rejects(b.createTopic(topic('t', 1), [state([1])]), MetadataConflictError);
      await a.addPartitions('t', [state([1, 2])]);
      await waitFor('the added partition', () => b.topic('t')?.partitions === 3 && b.partition('t', 2) !== undefined);
      await a.updateTopicConfigs('t', { 'cleanup.policy': 'compact' });
      await waitFor('the new configs', () => b.topic('t')?.configs['cleanup.policy'] === 'compact');
      await b.deleteTopic('t');
      await waitFor('the deletion', () => a.topic('t') === undefined && a.partition('t', 0) === undefined);
      await waitFor('the deletion event', () => seen.some((e) => e.type === 'topic-deleted' && e.name === 't'));
    } finally {
      await a.close();
      await b.close();
    }
  });

  test(`${name}: several partitions swapped as one write: all change, or with one stale epoch none does`, async () => {
    const be = make();
    const a = await be.open();
    const b = await be.open();
    try {
      await a.createTopic(topic('m', 2), [state([1, 2, 3]), state([2, 3, 1])]);
      await waitFor('b sees it', () => b.partition('m', 1) !== undefined);
      const stale = await a.compareAndSetPartitions([
        { topic: 'm', partition: 0, expectedPartitionEpoch: 0, next: { replicas: [1, 2, 3], isr: [2, 3], leader: 2, leaderEpoch: 1 } },
        { topic: 'm', partition: 1, expectedPartitionEpoch: 7, next: { replicas: [2, 3, 1], isr: [2, 3], leader: 2, leaderEpoch: 0 } },
      ]);
      assert.equal(stale, false);
      assert.equal(a.partition('m', 0)!.partitionEpoch, 0, 'nothing changed');
      assert.equal(
        await a.compareAndSetPartitions([
          { topic: 'm', partition: 0, expectedPartitionEpoch: 0, next: { replicas: [1, 2, 3], isr: [2, 3], leader: 2, leaderEpoch: 1 } },
          { topic: 'm', partition: 1, expectedPartitionEpoch: 0, next: { replicas: [2, 3, 1], isr: [2, 3], leader: 2, leaderEpoch: 0 } },
        ]),
        true,
      );
      await waitFor('b sees both', () => b.partition('m', 0)?.partitionEpoch === 1 && b.partition('m', 1)?.partitionEpoch === 1);
      assert.deepEqual(b.partition('m', 0)?.isr, [2, 3]);
      assert.equal(b.partition('m', 0)?.leader, 2);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test(`${name}: compare-and-swap on the partition epoch: one of two racing writers wins, a stale epoch never overwrites`, async () => {
    const be = make();
    const a = await be.open();
    const b = await be.open();
    try {
      await a.createTopic(topic('c', 1), [state([1, 2, 3])]);
      await waitFor('b sees it', () => b.partition('c', 0) !== undefined);
      const [ra, rb] = await Promise.all([
        a.compareAndSetPartition('c', 0, 0, { replicas: [1, 2, 3], isr: [1, 2], leader: 1, leaderEpoch: 0 }),
        b.compareAndSetPartition('c', 0, 0, { replicas: [1, 2, 3], isr: [2, 3], leader: 2, leaderEpoch: 1 }),
      ]);
      assert.equal(Number(ra) + Number(rb), 1, 'exactly one write stands');
      await waitFor('both agree', () => a.partition('c', 0)?.partitionEpoch === 1 && b.partition('c', 0)?.partitionEpoch === 1);
      assert.deepEqual(a.partition('c', 0), b.partition('c', 0));
      assert.equal(await a.compareAndSetPartition('c', 0, 0, { replicas: [1, 2, 3], isr: [1], leader: 1, leaderEpoch: 5 }), false);
      assert.equal(a.partition('c', 0)!.partitionEpoch, 1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test(`${name}: brokers register, one controller is elected, and another takes over when the controller leaves; producer id blocks never overlap`, async () => {
    const be = make();
    const a = await be.open();
    const b = await be.open();
    try {
      await a.registerBroker(reg(1));
      await b.registerBroker(reg(2));
      await waitFor('both brokers registered', () => a.brokers().length === 2 && b.brokers().length === 2);
      a.campaign(1);
      b.campaign(2);
      await waitFor('a controller', () => a.controllerId() !== null && a.controllerId() === b.controllerId());
      const first = a.controllerId()!;
      const [winner, other] = first === 1 ? [a, b] : [b, a];
      await winner.resign(first);
      await winner.unregisterBroker(first);
      await waitFor('the other broker to take over', () => other.controllerId() === (first === 1 ? 2 : 1));
      // The resignation and the unregistration are two writes: the other sees them one after the other.
      await waitFor('the unregistration', () => other.brokers().length === 1);
      assert.deepEqual(other.brokers().map((x) => x.nodeId), [first === 1 ? 2 : 1]);
      const blocks = await Promise.all([a.allocateProducerIdBlock(1000), b.allocateProducerIdBlock(1000), a.allocateProducerIdBlock(1000)]);
      assert.equal(new Set(blocks).size, 3);
      for (const x of blocks) assert.equal(x % 1000, 0);
      await a.putBrokerConfigs('', { 'log.retention.ms': '5' });
      await waitFor('the broker configs', () => b.brokerConfigs('')['log.retention.ms'] === '5');
      const v = b.recordsVersion('acl');
      await a.putRecords('acl', [{ key: 'Topic/a b/c', value: { op: 3 } }, { key: 'k2', value: { op: 4 } }]);
      await waitFor('the records', () => b.records('acl').size === 2 && b.recordsVersion('acl') > v);
      assert.deepEqual(b.records('acl').get('Topic/a b/c'), { op: 3 });
      await b.putRecords('acl', [{ key: 'Topic/a b/c', value: null }]);
      await waitFor('the deletion', () => a.records('acl').size === 1);
      assert.equal(a.records('scram').size, 0);
    } finally {
      await a.close();
      await b.close();
    }
  });
}

test('memory: a broker cut off the store loses its session and its writes fail; healed, it registers again', async () => {
  const backend = new MemoryMetadataBackend();
  const a = backend.store();
  const b = backend.store();
  await a.registerBroker(reg(1));
  a.campaign(1);
  await b.registerBroker(reg(2));
  b.campaign(2);
  assert.equal(b.controllerId(), 1);
  a.disconnect();
  assert.equal(a.connected, false);
  await assert.rejects(a.createTopic(topic('x', 1), [state([1])]), MetadataUnavailableError);
  assert.deepEqual(b.brokers().map((x) => x.nodeId), [2]);
  assert.equal(b.controllerId(), 2);
  a.reconnect();
  assert.deepEqual(b.brokers().map((x) => x.nodeId), [1, 2]);
});

const STORE_MODULE = fileURLToPath(new URL('../../src/cluster/store/etcd-store.js', import.meta.url));

test('etcd: a broker process killed with SIGKILL leaves the cluster when its session times out, and the controllership passes on', async () => {
  const prefix = `/contract-kill-${++prefixes}`;
  // Broker 1 in its own process, so that it can die without a word.
  const script = `
    const { EtcdMetadataStore } = await import(${JSON.stringify(STORE_MODULE)});
    const s = await EtcdMetadataStore.open({ endpoints: ${JSON.stringify(etcd.endpoints)}, prefix: ${JSON.stringify(prefix)}, sessionTimeoutMs: 1000, logger: { debug(){}, info(){}, warn(){}, error(){}, child(){ return this; } } });
    await s.registerBroker(${JSON.stringify(reg(1))});
    s.campaign(1);
    setInterval(() => { if (s.controllerId() === 1) process.stdout.write('controller\\n'); }, 50);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const b = await EtcdMetadataStore.open({ endpoints: etcd.endpoints, prefix, sessionTimeoutMs: 1000, logger });
  try {
    await waitFor('broker 1 to become controller', () => out.includes('controller'), 15_000);
    await b.registerBroker(reg(2));
    b.campaign(2);
    await waitFor('both registered', () => b.brokers().length === 2);
    child.kill('SIGKILL');
    await waitFor('broker 1 gone after its session timeout', () => b.brokers().length === 1, 15_000);
    await waitFor('broker 2 elected', () => b.controllerId() === 2, 15_000);
  } finally {
    child.kill('SIGKILL');
    await b.close();
  }
});

test('etcd: while etcd is down the image stays and writes fail with MetadataUnavailableError; after it restarts the broker is registered again and writes work', async () => {
  const prefix = `/contract-down-${++prefixes}`;
  const a = await EtcdMetadataStore.open({ endpoints: etcd.endpoints, prefix, sessionTimeoutMs: 2000, logger });
  try {
    await a.registerBroker(reg(1));
    a.campaign(1);
    await a.createTopic(topic('kept', 1), [state([1])]);
    await etcd.stop();
    await assert.rejects(a.createTopic(topic('new', 1), [state([1])]), MetadataUnavailableError);
    assert.equal(a.topic('kept')?.partitions, 1, 'the image keeps its contents');
    await etcd.restart();
    await waitFor('writes to work again', async () => {
      try {
        await a.createTopic(topic('new', 1), [state([1])]);
        return true;
      } catch (err) {
        if (err instanceof MetadataConflictError) return true;
        return false;
      }
    }, 30_000);
    await waitFor('registered again', () => a.brokers().some((x) => x.nodeId === 1), 30_000);
    assert.equal(a.connected, true);
  } finally {
    await a.close();
  }
});

test('etcd: a registration that etcd deleted (its lease expired while the keep-alive stayed silent) is made again from the watch', async () => {
  const prefix = `/contract-gone-${++prefixes}`;
  const a = await EtcdMetadataStore.open({ endpoints: etcd.endpoints, prefix, sessionTimeoutMs: 2000, logger });
  const raw = new Etcd3({ hosts: etcd.endpoints });
  try {
    await a.registerBroker(reg(1));
    a.campaign(1);
    await waitFor('broker 1 the controller', () => a.controllerId() === 1);
    // As etcd does when a lease expires: the keys go, and this broker's keep-alive says nothing.
    await raw.delete().key(`${prefix}/brokers/1`).exec();
    await waitFor('registered again in etcd', async () => (await raw.get(`${prefix}/brokers/1`).string()) !== null, 15_000);
    await waitFor('and in its own image, connected', () => a.brokers().some((x) => x.nodeId === 1) && a.connected, 15_000);
    await waitFor('the controller again', () => a.controllerId() === 1, 15_000);
  } finally {
    raw.close();
    await a.close();
  }
});

test('etcd: a log dir of another cluster is refused with one sentence', async () => {
  const prefix = `/contract-id-${++prefixes}`;
  const a = await EtcdMetadataStore.open({ endpoints: etcd.endpoints, prefix, sessionTimeoutMs: 2000, logger, clusterId: 'AAAAAAAAAAAAAAAAAAAAAA' });
  await a.close();
  await assert.rejects(EtcdMetadataStore.open({ endpoints: etcd.endpoints, prefix, sessionTimeoutMs: 2000, logger, clusterId: 'BBBBBBBBBBBBBBBBBBBBBB' }), /does not match the cluster id AAAAAAAAAAAAAAAAAAAAAA/);
});
