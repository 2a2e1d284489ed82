/**
 * The Samsa client. One entry point, `createClient`, hands out an admin client, producers and
 * consumers; each keeps its own connections and is closed on its own (or all at once with
 * `client.close()`).
 *
 *   const kafka = createClient({ bootstrapServers: 'localhost:9092' });
 *   const producer = kafka.producer();
 *   await producer.send({ topic: 'events', messages: [{ key: 'k', value: 'v' }] });
 *   const consumer = kafka.consumer({ groupId: 'billing' });
 *   consumer.subscribe(['events']);
 *   for await (const m of consumer) handle(m);
 */
import { Admin } from './admin.js';
import type { ClusterOptions } from './cluster.js';
import { Consumer, type ConsumerOptions } from './consumer.js';
import { Producer, type ProducerOptions } from './producer.js';
import { ShareConsumer, type ShareConsumerOptions } from './share-consumer.js';

export interface ClientOptions {
  /** "host:port[,host:port]" or a list of "host:port". */
  bootstrapServers: string | string[];
  clientId?: string;
  /** Per request; default 30 s. */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Retries after stale metadata or a lost connection; default: no limit but defaultApiTimeoutMs. */
  retries?: number;
  /** Kafka's retry.backoff.ms (100) and retry.backoff.max.ms (1000). */
  retryBackoffMs?: number;
  retryBackoffMaxMs?: number;
  /** Kafka's reconnect.backoff.ms (50) and reconnect.backoff.max.ms (1000). */
  reconnectBackoffMs?: number;
  reconnectBackoffMaxMs?: number;
  /** Kafka's default.api.timeout.ms (60000): how long a retried call may take. */
  defaultApiTimeoutMs?: number;
  /** TLS to the brokers (security.protocol=SSL or SASL_SSL); `clientProperties` builds it from ssl.* keys. */
  tls?: ClusterOptions['tls'];
  /** The SASL login (PLAIN, SCRAM-SHA-256/512, or OAUTHBEARER with a token function); `clientProperties` builds it from sasl.* keys. */
  sasl?: ClusterOptions['sasl'];
}

interface Closable {
  close(): Promise<void>;
}

export class Client {
  private readonly opened = new Set<Closable>();

  constructor(private readonly opts: ClientOptions) {}

  admin(): Admin {
    return this.track(new Admin(this.clusterOptions()));
  }

  producer(opts: ProducerOptions = {}): Producer {
    return this.track(new Producer({ ...this.clusterOptions(), ...opts }));
  }

  consumer(opts: ConsumerOptions = {}): Consumer {
    return this.track(new Consumer({ ...this.clusterOptions(), ...opts }));
  }

  /** A share consumer (KIP-932, queues): records shared among a share group's members, acknowledged one by one. */
  shareConsumer(opts: ShareConsumerOptions): ShareConsumer {
    return this.track(new ShareConsumer(this.clusterOptions(), opts));
  }

  /** Closes every admin client, producer and consumer this client created. */
  async close(): Promise<void> {
    const all = [...this.opened];
    this.opened.clear();
    await Promise.all(all.map((c) => c.close()));
  }

  /** Remembers a part until it is closed, so `client.close()` reaches what is still open. */
  private track<T extends Closable>(part: T): T {
    this.opened.add(part);
    const close = part.close.bind(part);
    part.close = async () => {
      this.opened.delete(part);
      await close();
    };
    return part;
  }

  private clusterOptions(): ClusterOptions {
    return { ...this.opts };
  }
}

export function createClient(opts: ClientOptions): Client {
  return new Client(opts);
}

export {
  Admin,
  type NewTopic,
  type CreatedTopic,
  type TopicConfigEntry,
  type GroupListing,
  type GroupDescription,
  type GroupMemberDescription,
  type GroupOffset,
  type OffsetResetSpec,
  type ResetOffsetsRequest,
} from './admin.js';
export { Producer, type ProducerMessage, type ProducerOptions, type SendOptions, type SendRequest, type PartitionResult, type Acks, type CompressionType } from './producer.js';
export { TransactionStateError, type GroupMetadata, type TransactionOffset, type TransactionState } from './transactions.js';
export {
  Consumer,
  type ConsumerOptions,
  type ConsumerMessage,
  type TopicPartitionOffset,
  type TopicPartition,
  type OffsetReset,
  type OffsetAndMetadata,
  type RebalanceListener,
  type AssignorName,
  type IsolationLevel,
} from './consumer.js';
export type { PartitionAssignor, AssignmentInput, GroupAssignment, MemberSubscription, RebalanceProtocol } from './group/assignor.js';
export { RangeAssignor } from './group/range-assignor.js';
export { CooperativeStickyAssignor } from './group/cooperative-sticky-assignor.js';
export {
  encodeSubscription,
  decodeSubscription,
  encodeAssignment,
  decodeAssignment,
  type Subscription,
  type Assignment,
  type TopicPartitions,
} from './group/consumer-protocol.js';
export type { TopicInfo, PartitionInfo, BrokerInfo } from './cluster.js';
export type { PartitionReassignmentSpec, ReassignmentOutcome, PartitionReassignment } from './admin-reassignments.js';
export type { ClientQuotaEntity, ClientQuotaFilterComponent, ClientQuotaEntry, ClientQuotaAlteration } from './admin-quotas.js';
export { ConfigSourceName, type ConfigResource, type ConfigDescription, type DescribeConfigsOptions, type AlterConfigOp, type DeleteRecordsResult, type ClusterDescription } from './admin-configs.js';
export type { OffsetAtTime } from './offsets.js';
export type { ElectionType, PartitionElection } from './admin-elections.js';
export type { LogDirDescription, ReplicaInfo } from './admin-log-dirs.js';
export type { ScramAlteration, ScramCredentialInfo } from './admin-scram.js';
export { ShareConsumer, type ShareConsumerOptions, type ShareRecord, type AcknowledgeType } from './share-consumer.js';
export * as acl from '../protocol/acls.js';
export type { AclBinding, AclBindingFilter } from '../protocol/acls.js';
export { clientProperties, assertNoSasl, type ClientProperties, type ClientRole } from './properties.js';
export { ErrorCode, errorName } from '../protocol/errors.js';
export { LATEST_TIMESTAMP, EARLIEST_TIMESTAMP } from './offsets.js';
export {
  KafkaError,
  ClientError,
  ConnectionError,
  RequestTimeoutError,
  UnsupportedVersionError,
  ProtocolError,
  InvalidArgumentError,
  ClosedError,
  UnsupportedSecurityError,
} from './errors.js';
