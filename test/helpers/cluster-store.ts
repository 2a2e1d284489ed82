/** Several brokers' views of one in-memory metadata backend, for controller and placement tests. */
import type { BrokerRegistration, PartitionChange } from '../../src/cluster/store/types.js';
import { MemoryMetadataBackend, type MemoryMetadataStore } from '../../src/cluster/store/memory-store.js';

export function registration(nodeId: number, rack: string | null = null, incarnationId = `inc-${nodeId}`): BrokerRegistration {
  return { nodeId, rack, endpoints: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9000 + nodeId, securityProtocol: 'PLAINTEXT' }], incarnationId, shuttingDown: false };
}

export interface TestCluster {
  backend: MemoryMetadataBackend;
  /** One view per broker id, each registered. */
  views: Map<number, MemoryMetadataStore>;
  view(nodeId: number): MemoryMetadataStore;
}

/** Registers brokers `ids` (racks by index when given), each through its own view. */
export async function testCluster(ids: number[], racks?: Array<string | null>): Promise<TestCluster> {
  const backend = new MemoryMetadataBackend();
  const views = new Map<number, MemoryMetadataStore>();
  for (const [i, id] of ids.entries()) {
    const v = backend.store();
    await v.registerBroker(registration(id, racks?.[i] ?? null));
    views.set(id, v);
  }
  return { backend, views, view: (id) => views.get(id)! };
}

/** A topic with these partition states, created through `store`. */
export async function createTopic(store: MemoryMetadataStore, name: string, states: PartitionChange[], configs: Record<string, string> = {}): Promise<void> {
  await store.createTopic({ name, topicId: `id-${name}`, partitions: states.length, configs }, states);
}

export function state(replicas: number[], isr: number[] = replicas, leader = isr[0] ?? -1, leaderEpoch = 0): PartitionChange {
  return { replicas, isr, leader, leaderEpoch };
}
