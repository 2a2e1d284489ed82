/**
 * Creating and deleting topics on a single broker: validation with Kafka's error codes and
 * messages, then the metadata record, then the partition directories.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { Logger } from '../util/logger.js';
import type { BrokerConfig } from './config.js';
import { LocalMetadataStore, newTopicId, type TopicMetadata } from './metadata-store.js';
import { MetadataUnavailableError, type MetadataStore } from './store/types.js';
import { manualPartitionStates, placeNewPartitions, placePartitions, type RandomSource } from './placement.js';
import { ReplicaManager } from './replica-manager.js';
import { collisionKey, isInternalTopic, topicNameError } from './topic-names.js';
import { logConfigFor, topicConfigError } from './topic-config.js';

/** Upper bound on partitions per topic, so one request cannot ask for millions of directories. */
export const PARTITIONS_PER_TOPIC_MAX = 100_000;

export interface CreateTopicSpec {
  name: string;
  /** -1 = the broker's num.partitions. */
  numPartitions: number;
  /** -1 = the broker's default.replication.factor. */
  replicationFactor: number;
  configs: Record<string, string>;
  /** Explicit replicas per partition (CreateTopics assignments); then both counts above must be -1. */
  assignments?: ReadonlyArray<{ partitionIndex: number; brokerIds: readonly number[] }>;
}

/**
 * Kafka's check of one partition's manual replica list (ReplicationControlManager): not empty,
 * every broker registered, none twice, as many replicas as the partitions before it.
 */
export function validateManualAssignment(brokerIds: readonly number[], replicationFactor: number | undefined, registered: ReadonlySet<number>): void {
  if (brokerIds.length === 0) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.');
  const sorted = [...brokerIds].sort((a, b) => a - b);
  let prev: number | undefined;
  for (const id of sorted) {
    if (!registered.has(id))
      throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${id}, but no such broker is registered.`);
    if (id === prev) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes the broker ${prev} more than once.`);
    prev = id;
  }
  if (replicationFactor !== undefined && sorted.length !== replicationFactor)
    throw new KafkaError(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      `The manual partition assignment includes a partition with ${sorted.length} replica(s), but this is not consistent with previous partitions, which have ${replicationFactor} replica(s).`,
    );
}

/**
 * In a cluster: topic changes go to the metadata store (with replicas placed over the live
 * brokers), and each broker's replication creates, opens and deletes the logs it holds as the
 * store's events arrive.
 */
export interface ClusterTopicBackend {
  store: MetadataStore;
  /** Randomness for placement's start index and shift (Kafka's round robin). */
  random: RandomSource;
}

export class TopicManager {
  /** Set when the broker is part of a cluster. */
  cluster: ClusterTopicBackend | null = null;
  /** Topics being created right now, so a second create answers TOPIC_ALREADY_EXISTS. */
  private readonly creating = new Map<string, Promise<TopicMetadata>>();
  private readonly deletedListeners: Array<(name: string) => void> = [];

  constructor(
    readonly store: Pick<LocalMetadataStore, 'topic' | 'topics' | 'topicById' | 'putTopic' | 'deleteTopic'>,
    readonly replicas: ReplicaManager,
    readonly config: BrokerConfig,
    private readonly logger: Logger,
  ) {}

  /** min.insync.replicas in force for a topic: its override, else the broker's (dynamic) value. */
  minInsyncReplicas(name: string): number {
    const n = Number(this.get(name)?.configs['min.insync.replicas'] ?? this.config.minInsyncReplicas);
    return Number.isInteger(n) && n > 0 ? n : 1;
  }

  get(name: string): TopicMetadata | undefined {
    return this.store.topic(name);
  }

  all(): IterableIterator<TopicMetadata> {
    return this.store.topics();
  }

  isCreating(name: string): boolean {
    return this.creating.has(name);
  }

  /** Checks a create request; throws KafkaError with Kafka's code and message when it is not valid. */
  validate(spec: CreateTopicSpec): { partitions: number; replicationFactor: number } {
    const nameError = topicNameError(spec.name);
    if (nameError !== null) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, nameError);
    if (this.store.topic(spec.name) !== undefined || this.creating.has(spec.name))
      throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${spec.name}' already exists.`);
    const key = collisionKey(spec.name);
    for (const t of this.store.topics())
      if (collisionKey(t.name) === key)
        throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${spec.name}' collides with existing topic: ${t.name}`);
    const { partitions, replicationFactor: rf } =
      spec.assignments !== undefined && spec.assignments.length > 0 ? this.validateAssignments(spec) : this.validateCounts(spec);
    for (const [k, v] of Object.entries(spec.configs)) {
      const err = topicConfigError(k, v);
      if (err !== null) throw new KafkaError(ErrorCode.INVALID_CONFIG, err);
    }
    return { partitions, replicationFactor: rf };
  }

  /** The brokers a replica may be placed on: the live ones (alone: this one). */
  registeredBrokers(): ReadonlySet<number> {
    if (this.cluster !== null) return new Set(this.cluster.store.brokers().map((b) => b.nodeId));
    return new Set([this.config.nodeId]);
  }

  /** Kafka's checks of explicit assignments: counts left at -1, partitions 0..n-1 once each, valid replica lists. */
  private validateAssignments(spec: CreateTopicSpec): { partitions: number; replicationFactor: number } {
    if (spec.replicationFactor !== -1)
      throw new KafkaError(ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but replication factor was not set to -1.');
    if (spec.numPartitions !== -1)
      throw new KafkaError(ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but numPartitions was not set to -1.');
    const assignments = spec.assignments!;
    if (assignments.length > PARTITIONS_PER_TOPIC_MAX)
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be between 1 and ${PARTITIONS_PER_TOPIC_MAX}; got ${assignments.length}.`);
    const registered = this.registeredBrokers();
    const seen = new Set<number>();
    let rf: number | undefined;
    for (const a of assignments) {
      if (seen.has(a.partitionIndex))
        throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Found multiple manual partition assignments for partition ${a.partitionIndex}`);
      validateManualAssignment(a.brokerIds, rf, registered);
      rf = a.brokerIds.length;
      seen.add(a.partitionIndex);
    }
    for (let i = 0; i < seen.size; i++)
      if (!seen.has(i)) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions should be a consecutive 0-based integer sequence');
    return { partitions: assignments.length, replicationFactor: rf! };
  }

  /** Partition count and replication factor, -1 meaning the broker's default (Kafka's rules and messages). */
  private validateCounts(spec: CreateTopicSpec): { partitions: number; replicationFactor: number } {
    if (spec.replicationFactor < -1 || spec.replicationFactor === 0)
      throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
    if (spec.numPartitions < -1 || spec.numPartitions === 0)
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
    const partitions = spec.numPartitions === -1 ? this.config.numPartitions : spec.numPartitions;
    if (partitions > PARTITIONS_PER_TOPIC_MAX)
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be between 1 and ${PARTITIONS_PER_TOPIC_MAX}; got ${partitions}.`);
    const rf = spec.replicationFactor === -1 ? this.config.defaultReplicationFactor : spec.replicationFactor;
    const brokers = this.registeredBrokers().size;
    if (rf > brokers)
      throw new KafkaError(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${brokers} broker(s) are registered.`,
      );
    return { partitions, replicationFactor: rf };
  }

  /** Validates and creates a topic; resolves when its metadata and partitions are on disk. */
  create(spec: CreateTopicSpec): Promise<TopicMetadata> {
    const { partitions, replicationFactor } = this.validate(spec);
    const topic: TopicMetadata = { name: spec.name, topicId: newTopicId(), partitions, configs: { ...spec.configs } };
    // In a cluster the replicas are placed now, so that a placement error is the request's error.
    const cluster = this.cluster;
    const states =
      cluster === null
        ? null
        : spec.assignments !== undefined && spec.assignments.length > 0
          ? manualPartitionStates(cluster.store, [...spec.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex).map((a) => a.brokerIds))
          : placePartitions(cluster.store, partitions, replicationFactor, cluster.random);
    const done = (async () => {
      try {
        if (cluster !== null) {
          await metadataWrite(cluster.store.createTopic(topic, states!));
          this.logger.info('created topic', { topic: topic.name, partitions, replicationFactor });
          return topic;
        }
        await this.store.putTopic(topic);
        const logConfig = logConfigFor(this.config, topic.configs);
        for (let p = 0; p < partitions; p++) await this.replicas.createPartition(topic.name, p, logConfig);
        this.logger.info('created topic', { topic: topic.name, partitions });
        return topic;
      } finally {
        this.creating.delete(spec.name);
      }
    })();
    this.creating.set(spec.name, done);
    return done;
  }

  /**
   * Creates an internal topic for a coordinator (`__consumer_offsets`), or resolves with it when
   * it exists or is being created. Coordinators create their topics on demand, where client
   * requests may not; the name must be an internal one.
   */
  ensureInternalTopic(spec: CreateTopicSpec): Promise<TopicMetadata> {
    if (!isInternalTopic(spec.name)) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `${spec.name} is not an internal topic`);
    const inFlight = this.creating.get(spec.name);
    if (inFlight !== undefined) return inFlight;
    const existing = this.store.topic(spec.name);
    if (existing !== undefined) return Promise.resolve(existing);
    return this.create(spec);
  }

  /** The topic with this id (Kafka's base64 text form), if this broker has it. */
  getById(topicId: string): TopicMetadata | undefined {
    return this.store.topicById(topicId);
  }

  /** The topic, or UNKNOWN_TOPIC_OR_PARTITION with Kafka's message. */
  require(name: string): TopicMetadata {
    const topic = this.store.topic(name);
    if (topic === undefined || this.creating.has(name)) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host this topic: ${name}`);
    return topic;
  }

  /** Checks a topic's whole new set of config overrides; INVALID_CONFIG names the key and the rule. */
  validateConfigs(configs: Record<string, string>): void {
    for (const [k, v] of Object.entries(configs)) {
      const err = topicConfigError(k, v);
      if (err !== null) throw new KafkaError(ErrorCode.INVALID_CONFIG, err);
    }
  }

  /**
   * Replaces a topic's config overrides: validated, stored durably, then applied to every
   * partition log (a new segment.bytes takes effect at the next roll, a retention at the next check).
   */
  async setTopicConfigs(name: string, configs: Record<string, string>): Promise<TopicMetadata> {
    const topic = this.require(name);
    this.validateConfigs(configs);
    const updated: TopicMetadata = { ...topic, configs: { ...configs } };
    if (this.cluster !== null) {
      // Every broker's replication applies the new settings to its logs from the store's event.
      await metadataWrite(this.cluster.store.updateTopicConfigs(name, configs));
      return updated;
    }
    await this.store.putTopic(updated);
    this.applyLogConfig(updated);
    return updated;
  }

  /** Checks that a topic may grow to `count` partitions (Kafka's rules and messages). */
  validatePartitionCount(name: string, count: number): TopicMetadata {
    const topic = this.require(name);
    if (count === topic.partitions) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${topic.partitions} partition(s).`);
    if (count < topic.partitions)
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `The topic ${name} currently has ${topic.partitions} partition(s); ${count} would not be an increase.`);
    if (count > PARTITIONS_PER_TOPIC_MAX)
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be between 1 and ${PARTITIONS_PER_TOPIC_MAX}; got ${count}.`);
    return topic;
  }

  /** Grows a topic to `count` partitions: the metadata record first, then the new partition logs. */
  async createPartitions(name: string, count: number, assignments?: number[][]): Promise<TopicMetadata> {
    const topic = this.validatePartitionCount(name, count);
    const updated: TopicMetadata = { ...topic, partitions: count };
    if (this.cluster !== null) {
      const store = this.cluster.store;
      await metadataWrite(store.addPartitions(name, placeNewPartitions(store, name, count, this.cluster.random, assignments)));
      this.logger.info('added partitions', { topic: name, from: topic.partitions, to: count });
      return updated;
    }
    await this.store.putTopic(updated);
    const logConfig = logConfigFor(this.config, updated.configs);
    for (let p = topic.partitions; p < count; p++) await this.replicas.createPartition(name, p, logConfig);
    this.logger.info('added partitions', { topic: name, from: topic.partitions, to: count });
    return updated;
  }

  /** Re-applies every topic's log settings, after the broker defaults under them changed. */
  reapplyLogConfigs(): void {
    for (const t of this.store.topics()) this.applyLogConfig(t);
  }

  private applyLogConfig(topic: TopicMetadata): void {
    const logConfig = logConfigFor(this.config, topic.configs);
    for (let p = 0; p < topic.partitions; p++) this.replicas.log(topic.name, p)?.updateConfig(logConfig);
  }

  async delete(name: string): Promise<void> {
    if (!this.config.deleteTopicEnable)
      throw new KafkaError(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled (delete.topic.enable=false).');
    const topic = this.store.topic(name);
    if (topic === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host this topic: ${name}`);
    if (this.cluster !== null) await metadataWrite(this.cluster.store.deleteTopic(name));
    else {
      await this.store.deleteTopic(name);
      for (let p = 0; p < topic.partitions; p++) await this.replicas.deletePartition(name, p);
    }
    this.logger.info('deleted topic', { topic: name });
    for (const listener of this.deletedListeners) listener(name);
  }

  /** Calls `listener` after each topic deletion (the group coordinator drops the topic's offsets). */
  onDeleted(listener: (name: string) => void): void {
    this.deletedListeners.push(listener);
  }

  /** Opens every known topic's partitions at start-up (creating directories lost on disk). */
  async openAll(): Promise<void> {
    // In a cluster the replication opens the logs this broker holds.
    if (this.cluster !== null) return;
    for (const t of [...this.store.topics()]) {
      const logConfig = logConfigFor(this.config, t.configs);
      for (let p = 0; p < t.partitions; p++) {
        if (this.replicas.log(t.name, p) === undefined) await this.replicas.createPartition(t.name, p, logConfig);
        else this.replicas.log(t.name, p)!.updateConfig(logConfig);
      }
    }
  }
}


/**
 * A metadata write in a cluster: an unreachable store (etcd down or cut off) is the request's
 * REQUEST_TIMED_OUT, as Kafka answers when its controller cannot be reached; nothing is changed.
 */
async function metadataWrite<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if (err instanceof MetadataUnavailableError) throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `The cluster metadata could not be changed: ${err.message}`);
    throw err;
  }
}
