/** What a request handler sees and returns. One API, one handler file in ./handlers. */
import type { RequestHeader } from '../protocol/headers.js';
import type { MessageSchema } from '../protocol/schema.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../util/logger.js';
import type { BrokerConfig, Listener } from '../cluster/config.js';
import type { TopicManager } from '../cluster/topics.js';
import type { ReplicaManager } from '../cluster/replica-manager.js';
import type { DynamicBrokerConfig } from '../cluster/dynamic-config.js';
import type { GroupCoordinator } from '../coordinator/group/coordinator.js';
import type { TxnPartitions } from './txn-partitions.js';
import type { TxnCoordinator } from '../coordinator/txn/coordinator.js';
import type { ProducerIdSource } from '../cluster/producer-ids.js';
import type { Replication } from '../cluster/replication.js';
import type { SaslSession } from './sasl.js';
import type { MetadataStore } from '../cluster/store/types.js';
import type { ClusterView } from './cluster-view.js';
import type { ScramCredentials } from '../cluster/scram-credentials.js';
import type { GroupConfigs } from '../cluster/group-configs.js';
import type { ClientTelemetry } from './client-telemetry.js';
import type { ClientQuotaManager } from './client-quota-manager.js';
import type { FetchSessionCache } from './fetch-session.js';
import type { KeyedRecordStore } from '../cluster/store/keyed-records.js';
import type { FeatureLevels } from '../cluster/features.js';
import type { BrokerCounters } from './metrics/broker-counters.js';

export type { KeyedRecordStore };

/** A connection as a throttled request sees it: muted (not read from) for a while after its response. */
export interface ThrottledChannel {
  throttle(throttleMs: number): void;
}
import type { Authorizer } from './authorizer.js';
import type { ShareCoordinator } from '../coordinator/share/coordinator.js';
import type { SharePersister } from './share-persister.js';

/** The broker's state that handlers work on. */
export interface BrokerContext {
  readonly config: BrokerConfig;
  readonly nodeId: number;
  readonly clusterId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly topics: TopicManager;
  readonly replicas: ReplicaManager;
  /** Dynamic broker configs (AlterConfigs on a broker resource), laid over `config`. */
  readonly dynamicConfig: DynamicBrokerConfig;
  /** Consumer groups and committed offsets (`__consumer_offsets`). */
  readonly groups: GroupCoordinator;
  /** Transactions (`__transaction_state`); absent only in contexts built without one. */
  readonly txn?: TxnCoordinator;
  /** KIP-890: the partitions of producers' transactions, verified or added with their coordinators. */
  readonly txnPartitions?: TxnPartitions;
  /**
   * In a cluster: the share coordinator (made at start-up, to follow the elections of
   * `__share_group_state`'s partitions) and the persister that reaches each key's coordinator.
   * Absent alone, where the share service makes its own at first use.
   */
  readonly shareState?: { coordinator: ShareCoordinator; persister: SharePersister };
  /** Brokers, the controller and partitions' leaders/replicas/ISR as Metadata reports them. */
  readonly view: ClusterView;
  /** In a cluster: leadership, the ISR and acks=all waits (null for a single broker, which leads everything). */
  readonly replication: Replication | null;
  /** The cluster's metadata store (etcd, or memory in tests); null for a single broker. */
  readonly metadataStore: MetadataStore | null;
  /** KIP-714: client-metrics subscriptions and the pushes received. */
  readonly telemetry: ClientTelemetry;
  /** Group configs (KIP-848/KIP-932 per-group overrides of the group.* broker keys) in the metadata. */
  readonly groupConfigs: GroupConfigs;
  /** SCRAM credentials in the metadata (DescribeUserScramCredentials / AlterUserScramCredentials, SCRAM logins). */
  readonly scram: ScramCredentials;
  /** Finalized feature levels (KIP-584; UpdateFeatures changes them, ApiVersions lists them). */
  readonly features: FeatureLevels;
  /** The keyed records of the metadata store in use (local log or the cluster's store). */
  readonly keyedRecords: KeyedRecordStore;
  /** Client quotas (produce and fetch bytes, request time) from the metadata's quota records. */
  readonly quotas: ClientQuotaManager;
  /** Incremental fetch sessions (KIP-227), `max.incremental.fetch.session.cache.slots` of them. */
  readonly fetchSessions: FetchSessionCache;
  /** Kafka's ACLs when `authorizer.class.name` is set; null (or absent) when every request is allowed. */
  readonly authorizer?: Authorizer | null;
  /** Producer ids for InitProducerId, reserved durably in blocks (cluster/producer-ids.ts). */
  readonly producerIds: ProducerIdSource;
  /**
   * Test only (`samsa.test.drop.produce.responses.every` = N): true for every Nth produce
   * response, which the connection then drops by closing, after the append, to test retries.
   */
  readonly dropProduceResponse?: () => boolean;
  /** The hot path's counters for the Prometheus metrics; absent unless `metrics.listener` is set. */
  readonly metrics?: BrokerCounters;
  /** The advertised listener that clients on `listenerName` should use. */
  advertised(listenerName: string): Listener;
  /**
   * Calls `listener` when the broker begins to shut down (at once if it already has), so long
   * waits can end early; returns a function that cancels it.
   */
  onStopping(listener: () => void): () => void;
}

export interface RequestContext {
  readonly broker: BrokerContext;
  readonly header: RequestHeader;
  readonly listenerName: string;
  readonly clientHost: string;
  /** The client's port (absent for requests made in-process). */
  readonly clientPort?: number;
  /**
   * Produce requests pipelined on one connection: settles once the connection's previous
   * Produce request has placed its batches (offsets assigned). Absent when not pipelined.
   */
  readonly placeTurn?: Promise<void>;
  /** The Produce handler calls this once its batches are placed; the next request may place its own. */
  readonly placed?: () => void;
  /** The connection's SASL session on a SASL listener (null elsewhere). */
  readonly sasl?: SaslSession | null;
  /** The connection's client software (set by ApiVersions v3+); absent for requests made in-process. */
  readonly client?: ClientSoftware;
  /** Who sent the request, as Kafka's principal text (`User:alice`); User:ANONYMOUS when unauthenticated. */
  readonly principal?: string;
  /** The connection, which a throttled request mutes after its response (KIP-219). */
  readonly channel?: ThrottledChannel;
  /** The request's size on the wire (its frame), which produce quotas count. */
  readonly requestBytes?: number;
}

/** A client's name and version for its software, as ApiVersions v3+ carries them. */
export interface ClientSoftware {
  softwareName: string;
  softwareVersion: string;
}

/** Kafka's KafkaPrincipal.ANONYMOUS: a PLAINTEXT connection, or TLS without a client certificate. */
export const ANONYMOUS_PRINCIPAL = 'User:ANONYMOUS';

export interface Handler<Req = any, Resp = any> {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
  /**
   * Kafka's latestVersionUnstable: served, but listed by ApiVersions only with
   * `unstable.api.versions.enable=true` (the share coordinator's broker-only APIs).
   */
  readonly unstable?: boolean;
  readonly request: MessageSchema;
  readonly response: MessageSchema;
  /** Returns the response body, or null when the request takes no response (acks=0 produce). */
  handle(ctx: RequestContext, request: Req, version: number): Promise<Resp | null>;
}

/**
 * Thrown by a handler for a request that Kafka refuses while parsing it (before any handling):
 * the connection is closed, as Kafka closes it, and the broker logs a warning.
 */
export class UnparsableRequestError extends Error {
  override readonly name = 'UnparsableRequestError';
}
