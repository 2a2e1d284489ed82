/**
 * What the metadata-describing APIs (Metadata, DescribeCluster, FindCoordinator, DescribeLogDirs)
 * report about brokers and partitions: alone, this broker is every partition's only replica and
 * the controller; in a cluster, the metadata store's image says who is live, who leads what, and
 * which replicas are in sync.
 */
import type { Listener } from '../cluster/config.js';
import type { MetadataStore } from '../cluster/store/types.js';

export interface BrokerView {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionView {
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offline: number[];
}

export interface ClusterView {
  /** The live brokers' endpoints on `listenerName` (clients stay on the listener they came in on). */
  brokers(listenerName: string): BrokerView[];
  controllerId(): number;
  partition(topic: string, partition: number): PartitionView | undefined;
}

/** One broker: itself, leading everything. */
export function singleBrokerView(nodeId: number, advertised: (listenerName: string) => Listener, rack: string | null): ClusterView {
  return {
    brokers(listenerName) {
      const l = advertised(listenerName);
      return [{ nodeId, host: l.host, port: l.port, rack }];
    },
    controllerId: () => nodeId,
    partition: () => ({ leader: nodeId, leaderEpoch: 0, replicas: [nodeId], isr: [nodeId], offline: [] }),
  };
}

/** A cluster member's view, read from the metadata store's image. */
export function storeView(store: MetadataStore): ClusterView {
  return {
    brokers(listenerName) {
      const out: BrokerView[] = [];
      for (const b of store.brokers()) {
        const e = b.endpoints.find((x) => x.name === listenerName) ?? b.endpoints[0];
        if (e !== undefined) out.push({ nodeId: b.nodeId, host: e.host, port: e.port, rack: b.rack });
      }
      return out;
    },
    controllerId: () => store.controllerId() ?? -1,
    partition(topic, partition) {
      const s = store.partition(topic, partition);
      if (s === undefined) return undefined;
      const live = new Set(store.brokers().map((b) => b.nodeId));
      return { leader: s.leader, leaderEpoch: s.leaderEpoch, replicas: s.replicas, isr: s.isr, offline: s.replicas.filter((r) => !live.has(r)) };
    },
  };
}
