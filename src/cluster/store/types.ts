/**
 * The one interface to cluster metadata, whatever keeps it: the local store of a single broker
 * (a log in its data dir), etcd for a cluster, or memory for tests. Every broker holds a full
 * copy (the metadata image) that the store keeps current by watching; reads are synchronous
 * from that copy, writes are asynchronous and resolve once the store has accepted them (etcd: a
 * committed transaction; local: fsynced). A broker applies changes from `onChange` events, the
 * same way for its own writes and for others'.
 *
 * Consistency rules every store keeps:
 * - `createTopic` is atomic: the topic record and all its partition states appear together, or
 *   it fails with `MetadataConflictError` when the name (or id) is taken.
 * - `compareAndSetPartition` succeeds only when the stored `partitionEpoch` equals `expected`;
 *   the stored state then has `partitionEpoch = expected + 1`. It resolves false on a mismatch,
 *   never overwrites a newer state.
 * - Broker registrations live only as long as the broker's session (etcd: a lease with a TTL of
 *   `broker.session.timeout.ms`); a broker whose session ended is gone from `brokers()`.
 * - Exactly one broker at a time is the controller (elected by the store); `controllerId()` is
 *   null while there is none.
 * - While the store cannot be reached, `connected` is false and every write rejects with
 *   `MetadataUnavailableError`; the image keeps its last known contents.
 */

import type { KeyedChange, RecordKind } from './keyed-records.js';

/** One endpoint a broker advertises (from advertised.listeners). */
export interface BrokerEndpoint {
  name: string;
  host: string;
  port: number;
  securityProtocol: string;
}

export interface BrokerRegistration {
  nodeId: number;
  /** broker.rack, or null. */
  rack: string | null;
  endpoints: BrokerEndpoint[];
  /** Random per process start: tells a restarted broker from its previous life. */
  incarnationId: string;
  /** Set by a broker in controlled shutdown (SIGTERM): the controller moves its leaderships away. */
  shuttingDown: boolean;
}

/** A topic as stored (the same shape the single broker's store has always kept). */
export interface TopicMetadata {
  name: string;
  /** Kafka's text form of the topic's UUID. */
  topicId: string;
  partitions: number;
  configs: Record<string, string>;
}

/** One partition's replication state, as Kafka's PartitionRecord / PartitionChangeRecord. */
export interface PartitionState {
  /** The assigned replicas, preferred leader first. */
  replicas: number[];
  /** The in-sync replicas; the leader is always among them while there is one. */
  isr: number[];
  /** The leader's broker id, or -1 when the partition has none (offline). */
  leader: number;
  /** Bumped at every change of leader (and at controlled moves); fences old leaders. */
  leaderEpoch: number;
  /** Bumped at every change of any field: the compare-and-swap version. */
  partitionEpoch: number;
  /**
   * A reassignment in progress (KIP-455): the replicas it adds, which copy the log by replication
   * and count in `replicas` meanwhile. Absent or empty when none is in progress.
   */
  addingReplicas?: number[];
  /** The replicas a reassignment in progress removes once every adding replica is in sync. */
  removingReplicas?: number[];
}

/** The parts of a PartitionState that a writer chooses; the store sets partitionEpoch. */
export type PartitionChange = Omit<PartitionState, 'partitionEpoch'>;

/** One partition's compare-and-swap in `compareAndSetPartitions`. */
export interface PartitionSwap {
  topic: string;
  partition: number;
  expectedPartitionEpoch: number;
  next: PartitionChange;
}

export type MetadataEvent =
  | { type: 'brokers' }
  | { type: 'controller'; controllerId: number | null }
  | { type: 'topic'; name: string }
  | { type: 'topic-deleted'; name: string; topicId: string }
  | { type: 'partition'; topic: string; partition: number }
  | { type: 'broker-config'; scope: string }
  /** A batch of keyed records (SCRAM credentials, ACLs, quotas) changed. */
  | { type: 'records'; kind: RecordKind }
  | { type: 'connection'; connected: boolean };

export class MetadataConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetadataConflictError';
  }
}

export class MetadataUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetadataUnavailableError';
  }
}

export interface MetadataStore {
  /** True when the store reaches its backend (always true for the local and memory stores). */
  readonly connected: boolean;

  // --- brokers and the controller ---
  /** Registers this broker for the life of its session; re-registers by itself if the session is lost and regained. */
  registerBroker(reg: BrokerRegistration): Promise<void>;
  /** Replaces this broker's registration (e.g. shuttingDown: true). */
  updateRegistration(reg: BrokerRegistration): Promise<void>;
  /** Ends this broker's registration now (the end of a controlled shutdown). */
  unregisterBroker(nodeId: number): Promise<void>;
  /** The live brokers, by node id ascending. */
  brokers(): BrokerRegistration[];
  /** Puts this broker up for controller; the store elects one among the candidates. */
  campaign(nodeId: number): void;
  /** Withdraws this broker's candidacy (and resigns if it is the controller). */
  resign(nodeId: number): Promise<void>;
  controllerId(): number | null;

  // --- topics and partitions ---
  topics(): IterableIterator<TopicMetadata>;
  topic(name: string): TopicMetadata | undefined;
  topicById(topicId: string): TopicMetadata | undefined;
  /** Creates a topic with one state per partition (index = partition). MetadataConflictError if it exists. */
  createTopic(topic: TopicMetadata, partitions: PartitionChange[]): Promise<void>;
  /** Replaces a topic's configs (name, id and partition count unchanged). */
  updateTopicConfigs(name: string, configs: Record<string, string>): Promise<void>;
  /** Adds partitions `topic.partitions …` with these states and raises the count, atomically. */
  addPartitions(name: string, added: PartitionChange[]): Promise<void>;
  deleteTopic(name: string): Promise<void>;
  partition(topic: string, partition: number): PartitionState | undefined;
  /** Compare-and-swap on partitionEpoch (see the rules above). */
  compareAndSetPartition(topic: string, partition: number, expectedPartitionEpoch: number, next: PartitionChange): Promise<boolean>;
  /**
   * Several compare-and-swaps as one write: every partition changes, or (one expected epoch
   * stale, one partition gone) none does. Others see the changes together (one etcd revision),
   * as Kafka's brokers apply a controller's batch of records together.
   */
  compareAndSetPartitions(changes: readonly PartitionSwap[]): Promise<boolean>;

  // --- configs and producer ids ---
  /** The dynamic broker configs of a scope ('' = cluster-wide default, else a broker id). */
  brokerConfigs(scope: string): Readonly<Record<string, string>>;
  putBrokerConfigs(scope: string, configs: Record<string, string>): Promise<void>;
  /** The keyed records of a kind (SCRAM credentials, ACL bindings, client quotas), from the image. */
  records(kind: RecordKind): ReadonlyMap<string, unknown>;
  /** Moves whenever the kind's records change: readers that index them rebuild when it does. */
  recordsVersion(kind: RecordKind): number;
  /** Puts and deletes (null) a batch of a kind's records together; resolves once stored. */
  putRecords(kind: RecordKind, changes: readonly KeyedChange[]): Promise<void>;
  /** Reserves the next `size` producer ids cluster-wide and returns the first; never hands out an id twice. */
  allocateProducerIdBlock(size: number): Promise<number>;

  /** Calls `listener` after each change to the image (own writes included); returns an unsubscribe. */
  onChange(listener: (e: MetadataEvent) => void): () => void;
  close(): Promise<void>;
}
