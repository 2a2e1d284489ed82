/**
 * Share groups in a cluster (KIP-932): the share coordinator, made at start-up so that it follows
 * the elections of `__share_group_state`'s partitions, and the persister through which this
 * broker, as a share-partition leader, reads and writes states at each key's coordinator (over
 * the share-group state APIs, in process when the coordinator is this broker).
 */
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../util/logger.js';
import type { ReplicaManager } from '../cluster/replica-manager.js';
import type { TopicManager } from '../cluster/topics.js';
import type { MetadataStore } from '../cluster/store/types.js';
import { ShareStateChannels } from '../cluster/share-state-channel.js';
import type { PeerAddressing } from '../cluster/peer-connection.js';
import { InternalTopicLog } from '../coordinator/internal-topic.js';
import { shareConfig } from '../coordinator/share/config.js';
import { ShareCoordinator } from '../coordinator/share/coordinator.js';
import { serveStateRequest } from '../coordinator/share/state-apis.js';
import { SHARE_STATE_TOPIC } from '../coordinator/share/state-store.js';
import { ClusterPersister, type SharePersister } from './share-persister.js';

/** The `__share_group_state` log of this broker (its replication factor from share.coordinator.state.topic.replication.factor). */
export function shareStateLog(topics: TopicManager, replicas: ReplicaManager, raw: Readonly<Record<string, string>>): InternalTopicLog {
  return new InternalTopicLog(SHARE_STATE_TOPIC, 'uncompressed', topics, replicas, Number(raw['share.coordinator.state.topic.replication.factor'] ?? 3));
}

export interface ShareClusterOptions {
  raw: Readonly<Record<string, string>>;
  topics: TopicManager;
  replicas: ReplicaManager;
  store: MetadataStore;
  clock: Clock;
  logger: Logger;
  peers: PeerAddressing & { nodeId: number; timeoutMs?: number };
}

export interface ShareCluster {
  coordinator: ShareCoordinator;
  persister: SharePersister;
  channels: ShareStateChannels;
}

export function shareCluster(o: ShareClusterOptions): ShareCluster {
  const coordinator = new ShareCoordinator({
    log: shareStateLog(o.topics, o.replicas, o.raw), config: shareConfig(o.raw), logger: o.logger.child({ component: 'share-coordinator' }),
    now: () => o.clock.now(), followsLeadership: true,
  });
  const channels = new ShareStateChannels({
    ...o.peers, clock: o.clock, logger: o.logger.child({ component: 'share-persister' }),
    coordinatorOf: (key) => {
      const p = coordinator.partitionForKeyText(key);
      const leader = p === null ? -1 : (o.store.partition(SHARE_STATE_TOPIC, p)?.leader ?? -1);
      return leader >= 0 ? leader : null;
    },
    local: (apiKey, body) => serveStateRequest(coordinator, apiKey, body),
  });
  return { coordinator, persister: new ClusterPersister(channels), channels };
}
