/** The admin client: topics (create, delete, list, describe), offsets, and consumer groups. */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { ZERO_UUID_STRING } from '../protocol/writer.js';
import type { CreateTopicsRequest, CreateTopicsResponse } from '../protocol/messages/19-create-topics.js';
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../protocol/messages/20-delete-topics.js';
import type { DescribeConfigsRequest, DescribeConfigsResponse } from '../protocol/messages/32-describe-configs.js';
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../protocol/messages/15-describe-groups.js';
import type { ListGroupsRequest, ListGroupsResponse } from '../protocol/messages/16-list-groups.js';
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../protocol/messages/42-delete-groups.js';
import { Cluster, topicErrorMessage, type ClusterOptions, type TopicInfo } from './cluster.js';
import type { Connection } from './connection.js';
import { InvalidArgumentError } from './errors.js';
import { listOffset, type OffsetAtTime } from './offsets.js';
import { resetGroupOffsets, type ResetOffsetsRequest } from './admin-reset-offsets.js';
import * as configs from './admin-configs.js';
import * as quotas from './admin-quotas.js';
import * as transactions from './admin-transactions.js';
import * as reassignments from './admin-reassignments.js';
import * as elections from './admin-elections.js';
import * as logDirs from './admin-log-dirs.js';
import * as scram from './admin-scram.js';
import * as features from './admin-features.js';
import * as share from './admin-share-groups.js';
import { describeConsumerProtocolGroup } from './admin-consumer-groups.js';
import * as acls from './admin-acls.js';
import type { AclBinding, AclBindingFilter } from '../protocol/acls.js';
import type { AlterConfigOp, ClusterDescription, ConfigDescription, ConfigResource, DeleteRecordsResult, DescribeConfigsOptions } from './admin-configs.js';
import { flatten } from './group/assignor.js';
import { decodeAssignment, decodeSubscription } from './group/consumer-protocol.js';
import { CONSUMER_PROTOCOL_TYPE } from './group/membership.js';
import {
  commitOffsets,
  fetchCommittedOffsets,
  findCoordinator,
  groupErrorMessage,
  STANDALONE_GENERATION,
  type CoordinatorAddress,
} from './group/requests.js';

const CREATE_TOPICS_KEY = 19;
const CREATE_TOPICS_VERSION_MAX = 7;
const DELETE_TOPICS_KEY = 20;
const DELETE_TOPICS_VERSION_MAX = 6;
const DESCRIBE_CONFIGS_KEY = 32;
/** v1 reports each config's source, which tells defaults apart from overrides. */
const DESCRIBE_CONFIGS_VERSION_MIN = 1;
const DESCRIBE_CONFIGS_VERSION_MAX = 4;
/** DescribeConfigs resource type for a topic. */
const RESOURCE_TOPIC = 2;
/** DescribeConfigs config source meaning "Kafka's built-in default". */
export const CONFIG_SOURCE_DEFAULT = 5;
export const ADMIN_TIMEOUT_MS_DEFAULT = 30_000;
const DESCRIBE_GROUPS_KEY = 15;
const DESCRIBE_GROUPS_VERSION_MAX = 6;
const LIST_GROUPS_KEY = 16;
const LIST_GROUPS_VERSION_MAX = 5;
const DELETE_GROUPS_KEY = 42;
const DELETE_GROUPS_VERSION_MAX = 2;
/** Group states in which no member holds partitions, so offsets may be changed from outside (Kafka's rule). */

export interface NewTopic {
  topic: string;
  /** -1 (or omitted) lets the broker pick its `num.partitions`. */
  numPartitions?: number;
  /** -1 (or omitted) lets the broker pick its `default.replication.factor`. */
  replicationFactor?: number;
  configs?: Record<string, string>;
  /** Explicit replicas (broker ids) per partition, partition 0 first; then leave both counts out. */
  replicaAssignment?: number[][];
}

export interface CreatedTopic {
  topic: string;
  topicId: string;
  numPartitions: number;
  replicationFactor: number;
}

export interface TopicConfigEntry {
  name: string;
  value: string | null;
  /** Kafka's ConfigSource: 1 topic override, 4 static broker config, 5 default, … */
  source: number;
  readOnly: boolean;
  isSensitive: boolean;
}

export interface GroupListing {
  groupId: string;
  /** 'consumer' for consumer groups; '' for groups that only hold committed offsets. */
  protocolType: string;
  /** Empty, Stable, PreparingRebalance, CompletingRebalance, Dead; '' from brokers too old to say. */
  state: string;
}

export interface GroupMemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  /** As the broker reports it, e.g. "/127.0.0.1". */
  host: string;
  /** Decoded from the consumer protocol; [] for other protocol types. */
  assignment: Array<{ topic: string; partition: number }>;
  subscribedTopics: string[];
  /** KIP-848 members: the member epoch and the assignment the broker aims for. */
  memberEpoch?: number;
  targetAssignment?: Array<{ topic: string; partition: number }>;
}

export interface GroupDescription {
  groupId: string;
  /** 'Dead' for a group that does not exist. */
  state: string;
  protocolType: string;
  /** The assignor the group chose, e.g. 'range'. */
  assignor: string;
  members: GroupMemberDescription[];
  coordinator: CoordinatorAddress;
  /** KIP-848 consumer groups (groupProtocol 'consumer'): the group epoch and the target assignment's. */
  groupEpoch?: number;
  assignmentEpoch?: number;
}

export interface GroupOffset {
  topic: string;
  partition: number;
  offset: number;
  /** The leader epoch committed with the offset (KIP-320); null when none was. */
  leaderEpoch: number | null;
  metadata: string | null;
}

export type { OffsetResetSpec, ResetOffsetsRequest } from './admin-reset-offsets.js';

export interface TopicOptions {
  timeoutMs?: number;
}

export class Admin {
  private readonly cluster: Cluster;

  constructor(opts: ClusterOptions) {
    this.cluster = new Cluster(opts);
  }

  /** Creates topics; throws a KafkaError (with the broker's message) for the first one refused. */
  async createTopics(topics: NewTopic[], opts: TopicOptions & { validateOnly?: boolean } = {}): Promise<CreatedTopic[]> {
    const resp = await this.cluster.withRetry(async () => {
      const conn = await this.cluster.controllerConnection();
      const version = conn.versionFor(CREATE_TOPICS_KEY, CREATE_TOPICS_VERSION_MAX);
      const r = await conn.request<CreateTopicsRequest, CreateTopicsResponse>(CREATE_TOPICS_KEY, version, {
        topics: topics.map((t) => ({
          name: t.topic,
          numPartitions: t.numPartitions ?? -1,
          replicationFactor: t.replicationFactor ?? -1,
          assignments: (t.replicaAssignment ?? []).map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })),
          configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
        timeoutMs: opts.timeoutMs ?? ADMIN_TIMEOUT_MS_DEFAULT,
        validateOnly: opts.validateOnly ?? false,
      });
      throwIfNotController(r.topics);
      return r;
    });
    for (const t of resp.topics) {
      if (t.errorCode !== ErrorCode.NONE) throw new KafkaError(t.errorCode, topicErrorMessage(t.name, t.errorCode, t.errorMessage));
    }
    return resp.topics.map((t) => ({
      topic: t.name,
      topicId: t.topicId,
      numPartitions: t.numPartitions,
      replicationFactor: t.replicationFactor,
    }));
  }

  /** Deletes topics; throws a KafkaError for the first one refused (e.g. one that does not exist). */
  async deleteTopics(names: string[], opts: TopicOptions = {}): Promise<void> {
    const resp = await this.cluster.withRetry(async () => {
      const conn = await this.cluster.controllerConnection();
      const version = conn.versionFor(DELETE_TOPICS_KEY, DELETE_TOPICS_VERSION_MAX);
      const r = await conn.request<DeleteTopicsRequest, DeleteTopicsResponse>(DELETE_TOPICS_KEY, version, {
        topics: names.map((name) => ({ name, topicId: ZERO_UUID_STRING })),
        topicNames: names,
        timeoutMs: opts.timeoutMs ?? ADMIN_TIMEOUT_MS_DEFAULT,
      });
      throwIfNotController(r.responses);
      return r;
    });
    for (const name of names) this.cluster.invalidate(name);
    for (const t of resp.responses) {
      if (t.errorCode !== ErrorCode.NONE) {
        const name = t.name ?? t.topicId;
        throw new KafkaError(t.errorCode, topicErrorMessage(name, t.errorCode, t.errorMessage));
      }
    }
  }

  /** Names of all topics, sorted; internal ones (like __consumer_offsets) only when asked. */
  async listTopics(opts: { includeInternal?: boolean } = {}): Promise<string[]> {
    const snapshot = await this.cluster.withRetry(() => this.cluster.refresh(null));
    return snapshot.topics
      .filter((t) => opts.includeInternal === true || !t.isInternal)
      .map((t) => t.name)
      .sort();
  }

  /** Partitions, leaders, replicas and ISR of the named topics (all topics when omitted). */
  async describeTopics(names?: string[]): Promise<TopicInfo[]> {
    const snapshot = await this.cluster.withRetry(() => this.cluster.refresh(names ?? null));
    for (const e of snapshot.topicErrors) throw new KafkaError(e.errorCode, topicErrorMessage(e.name, e.errorCode));
    return snapshot.topics.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Each topic's configs. Returns an empty list per topic when the broker does not serve
   * DescribeConfigs, so callers can always print what is known.
   */
  async describeTopicConfigs(names: string[]): Promise<Map<string, TopicConfigEntry[]>> {
    const out = new Map<string, TopicConfigEntry[]>(names.map((n) => [n, []]));
    if (names.length === 0) return out;
    const conn = await this.cluster.anyConnection();
    const range = conn.apiVersionRange(DESCRIBE_CONFIGS_KEY);
    if (range === undefined || range.max < DESCRIBE_CONFIGS_VERSION_MIN) return out;
    const version = conn.versionFor(DESCRIBE_CONFIGS_KEY, DESCRIBE_CONFIGS_VERSION_MAX, DESCRIBE_CONFIGS_VERSION_MIN);
    const resp = await conn.request<DescribeConfigsRequest, DescribeConfigsResponse>(DESCRIBE_CONFIGS_KEY, version, {
      resources: names.map((resourceName) => ({ resourceType: RESOURCE_TOPIC, resourceName, configurationKeys: null })),
      includeSynonyms: false,
      includeDocumentation: false,
    });
    for (const r of resp.results) {
      if (r.errorCode !== ErrorCode.NONE) {
        throw new KafkaError(r.errorCode, topicErrorMessage(r.resourceName, r.errorCode, r.errorMessage));
      }
      out.set(
        r.resourceName,
        r.configs.map((c) => ({ name: c.name, value: c.value, source: c.configSource, readOnly: c.readOnly, isSensitive: c.isSensitive })),
      );
    }
    return out;
  }

  /** The offset at `timestamp` in one partition: -1 latest, -2 earliest, else a time in ms. */
  async listOffsets(topic: string, partition: number, timestamp: number): Promise<OffsetAtTime> {
    return listOffset(this.cluster, { topic, partition, timestamp });
  }

  // ---- leaders and log dirs (admin-elections.ts, admin-log-dirs.ts) ----

  /** Elects leaders of the partitions, or of every partition that needs it when null (kafka-leader-election.sh). */
  electLeaders(type: elections.ElectionType, partitions: Array<{ topic: string; partition: number }> | null, opts: { timeoutMs?: number } = {}): Promise<elections.PartitionElection[]> {
    return elections.electLeaders(this.cluster, type, partitions, opts);
  }

  /** Each broker's log dirs and the replicas in them (kafka-log-dirs.sh). */
  // ---- ACLs (admin-acls.ts) ----

  /** Creates ACL bindings (CreateAcls); rejects with the broker's error for a refused one. */
  createAcls(bindings: AclBinding[]): Promise<void> {
    return acls.createAcls(this.cluster, bindings);
  }

  /** The ACL bindings a filter matches (DescribeAcls). */
  describeAcls(filter: AclBindingFilter): Promise<AclBinding[]> {
    return acls.describeAcls(this.cluster, filter);
  }

  /** Deletes the bindings each filter matches (DeleteAcls); the deleted ones, per filter. */
  deleteAcls(filters: AclBindingFilter[]): Promise<AclBinding[][]> {
    return acls.deleteAcls(this.cluster, filters);
  }

  describeLogDirs(brokerIds: number[]): Promise<Map<number, logDirs.LogDirDescription[]>> {
    return logDirs.describeLogDirs(this.cluster, brokerIds);
  }

  /** The client-metrics subscriptions' names (KIP-714; kafka-configs --describe --entity-type client-metrics). */
  listClientMetricsResources(): Promise<string[]> {
    return configs.listClientMetricsResources(this.cluster);
  }

  // ---- share groups (admin-share-groups.ts) ----

  listShareGroups(): Promise<Array<{ groupId: string; state: string }>> {
    return share.listShareGroups(this.cluster);
  }

  describeShareGroups(groupIds: string[]): Promise<share.ShareGroupDescription[]> {
    return share.describeShareGroups(this.cluster, groupIds);
  }

  listShareGroupOffsets(groupId: string): Promise<share.ShareGroupOffset[]> {
    return share.listShareGroupOffsets(this.cluster, groupId);
  }

  /** Sets share-partition start offsets of an empty share group; throws when the group refuses, else each partition's error or null. */
  alterShareGroupOffsets(groupId: string, offsets: Array<{ topic: string; partition: number; startOffset: number }>): Promise<Array<{ topic: string; partition: number; error: KafkaError | null }>> {
    return share.alterShareGroupOffsets(this.cluster, groupId, offsets);
  }

  /** Deletes an empty share group's share-partition states for the topics; throws when the group refuses, else each topic's error or null. */
  deleteShareGroupOffsets(groupId: string, topics: string[]): Promise<Array<{ topic: string; error: KafkaError | null }>> {
    return share.deleteShareGroupOffsets(this.cluster, groupId, topics);
  }

  /** The APIs a broker serves, with their version ranges (its ApiVersions answer). */
  async apiVersions(): Promise<ReadonlyMap<number, { min: number; max: number }>> {
    return (await this.cluster.withRetry(() => this.cluster.anyConnection())).apiVersions;
  }

  /** The cluster's feature levels (KIP-584; kafka-features.sh describe). */
  describeFeatures(): Promise<features.FeatureMetadata> {
    return features.describeFeatures(this.cluster);
  }
  /** Changes finalized feature levels (kafka-features upgrade/downgrade/disable); all or none. */
  updateFeatures(updates: readonly features.FeatureUpdate[], opts: { validateOnly?: boolean } = {}): Promise<void> {
    return features.updateFeatures(this.cluster, updates, opts);
  }


  // ---- SCRAM credentials (admin-scram.ts) ----

  /** Users with SCRAM credentials and their mechanisms and iterations (all users when none named). */
  describeUserScramCredentials(users: string[] = []): Promise<Map<string, scram.ScramCredentialInfo[]>> {
    return scram.describeUserScramCredentials(this.cluster, users);
  }

  /** Sets (the password is salted and hashed here) or deletes SCRAM credentials; each user's error or null. */
  alterUserScramCredentials(alterations: scram.ScramAlteration[]): Promise<Map<string, KafkaError | null>> {
    return scram.alterUserScramCredentials(this.cluster, alterations);
  }

  // ---- transactions (admin-transactions.ts) ----

  listTransactions(filter: { states?: string[]; producerIds?: number[] } = {}): Promise<transactions.TransactionListing[]> {
    return transactions.listTransactions(this.cluster, filter);
  }

  describeTransaction(transactionalId: string): Promise<transactions.TransactionDescription> {
    return transactions.describeTransaction(this.cluster, transactionalId);
  }

  describeProducers(topic: string, partition: number): Promise<transactions.ProducerState[]> {
    return transactions.describeProducers(this.cluster, topic, partition);
  }

  /** Ends a hanging transaction on one partition with an ABORT marker (kafka-transactions.sh abort). */
  abortTransaction(spec: transactions.AbortSpec): Promise<void> {
    return transactions.abortTransaction(this.cluster, spec);
  }

  // ---- partition reassignments (admin-reassignments.ts) ----

  /** Moves partitions to new replica lists (KIP-455), or cancels their reassignment (replicas null). */
  alterPartitionReassignments(specs: reassignments.PartitionReassignmentSpec[]): Promise<reassignments.ReassignmentOutcome[]> {
    return reassignments.alterPartitionReassignments(this.cluster, specs);
  }

  /** The reassignments in progress, of these partitions or of all. */
  listPartitionReassignments(partitions?: Array<{ topic: string; partition: number }>): Promise<reassignments.PartitionReassignment[]> {
    return reassignments.listPartitionReassignments(this.cluster, partitions);
  }

  // ---- configs and topic lifecycle (admin-configs.ts) ----

  /** Configs of topics and brokers (a broker by id, or `{ type: 'broker', name: '' }` for the cluster default). */
  describeConfigs(resources: ConfigResource[], opts: DescribeConfigsOptions = {}): Promise<Map<ConfigResource, ConfigDescription[]>> {
    return configs.describeConfigs(this.cluster, resources, opts);
  }

  /** Replaces a resource's whole set of overrides; keys left out go back to their defaults. */
  alterConfigs(resource: ConfigResource, values: Record<string, string>, opts: { validateOnly?: boolean } = {}): Promise<void> {
    return configs.alterConfigs(this.cluster, resource, values, opts);
  }

  /** Changes single keys (set, delete, append, subtract) and leaves the rest. */
  incrementalAlterConfigs(resource: ConfigResource, ops: AlterConfigOp[], opts: { validateOnly?: boolean } = {}): Promise<void> {
    return configs.incrementalAlterConfigs(this.cluster, resource, ops, opts);
  }

  /** Grows a topic to `count` partitions. */
  createPartitions(topic: string, count: number, opts: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<void> {
    return configs.createPartitions(this.cluster, topic, count, opts);
  }

  /** Deletes the records before each offset (-1 = the high watermark); returns the new log start offsets. */
  deleteRecords(partitions: Array<{ topic: string; partition: number; offset: number }>, opts: { timeoutMs?: number } = {}): Promise<DeleteRecordsResult[]> {
    return configs.deleteRecords(this.cluster, partitions, opts);
  }

  /** The cluster id, controller and brokers. */
  describeCluster(): Promise<ClusterDescription> {
    return configs.describeCluster(this.cluster);
  }

  // ---- client quotas (admin-quotas.ts) ----

  /** The quotas of the entities a filter matches (`strict`: no entity types beyond the filter's). */
  describeClientQuotas(components: quotas.ClientQuotaFilterComponent[], opts: { strict?: boolean } = {}): Promise<quotas.ClientQuotaEntry[]> {
    return quotas.describeClientQuotas(this.cluster, components, opts);
  }

  /** Sets (a number) and removes (null) quotas of user, client-id, (user, client-id) and ip entities. */
  alterClientQuotas(alterations: quotas.ClientQuotaAlteration[], opts: { validateOnly?: boolean } = {}): Promise<void> {
    return quotas.alterClientQuotas(this.cluster, alterations, opts);
  }

  // ---- consumer groups ----

  /** Every group on every broker, sorted by id. */
  async listGroups(): Promise<GroupListing[]> {
    const snapshot = await this.cluster.withRetry(() => this.cluster.refresh([]));
    const perBroker = await Promise.all(
      snapshot.brokers.map((b) =>
        this.cluster.withRetry(async () => {
          const conn = await this.cluster.connectionTo(b.nodeId);
          const version = conn.versionFor(LIST_GROUPS_KEY, LIST_GROUPS_VERSION_MAX);
          const resp = await conn.request<ListGroupsRequest, ListGroupsResponse>(LIST_GROUPS_KEY, version, { statesFilter: [], typesFilter: [] });
          if (resp.errorCode !== ErrorCode.NONE) throw new KafkaError(resp.errorCode, `Listing groups on broker ${b.nodeId} failed: ${groupErrorMessage('*', resp.errorCode)}`);
          return resp.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, state: g.groupState }));
        }),
      ),
    );
    const byId = new Map<string, GroupListing>();
    for (const g of perBroker.flat()) byId.set(g.groupId, g);
    return [...byId.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  /** State, assignor and members (with their partitions) of each group; a missing group is 'Dead'. */
  async describeGroups(groupIds: string[]): Promise<GroupDescription[]> {
    return Promise.all(
      groupIds.map((groupId) =>
        this.withCoordinator(groupId, async (conn, coordinator) => {
          const version = conn.versionFor(DESCRIBE_GROUPS_KEY, DESCRIBE_GROUPS_VERSION_MAX);
          const resp = await conn.request<DescribeGroupsRequest, DescribeGroupsResponse>(DESCRIBE_GROUPS_KEY, version, {
            groups: [groupId],
            includeAuthorizedOperations: false,
          });
          const g = resp.groups.find((x) => x.groupId === groupId);
          if (g === undefined) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `DescribeGroups did not answer for group '${groupId}'.`);
          if (g.errorCode === ErrorCode.GROUP_ID_NOT_FOUND || g.groupState === 'Dead') {
            // A KIP-848 consumer group is Dead to DescribeGroups: ask ConsumerGroupDescribe, as Kafka 4's Admin does.
            const cg = await describeConsumerProtocolGroup(conn, groupId);
            if (cg === null) return { groupId, state: 'Dead', protocolType: '', assignor: '', members: [], coordinator };
            return {
              groupId, state: cg.state, protocolType: CONSUMER_PROTOCOL_TYPE, assignor: cg.assignor, coordinator, groupEpoch: cg.groupEpoch, assignmentEpoch: cg.assignmentEpoch,
              members: cg.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, host: m.host, assignment: m.assignment, subscribedTopics: m.subscribedTopics, memberEpoch: m.memberEpoch, targetAssignment: m.targetAssignment })),
            };
          }
          if (g.errorCode !== ErrorCode.NONE) throw new KafkaError(g.errorCode, groupErrorMessage(groupId, g.errorCode));
          const consumer = g.protocolType === CONSUMER_PROTOCOL_TYPE;
          return {
            groupId,
            state: g.groupState,
            protocolType: g.protocolType,
            assignor: g.protocolData,
            coordinator,
            members: g.members.map((m) => ({
              memberId: m.memberId,
              groupInstanceId: m.groupInstanceId,
              clientId: m.clientId,
              host: m.clientHost,
              assignment: consumer ? decodeOrEmpty(() => flatten(decodeAssignment(m.memberAssignment).partitions)) : [],
              subscribedTopics: consumer ? decodeOrEmpty(() => decodeSubscription(m.memberMetadata).topics) : [],
            })),
          };
        }),
      ),
    );
  }

  /** Deletes groups that have no members; each result holds the group's error, or null. */
  async deleteGroups(groupIds: string[]): Promise<Array<{ groupId: string; error: KafkaError | null }>> {
    return Promise.all(
      groupIds.map((groupId) =>
        this.withCoordinator(groupId, async (conn) => {
          const version = conn.versionFor(DELETE_GROUPS_KEY, DELETE_GROUPS_VERSION_MAX);
          const resp = await conn.request<DeleteGroupsRequest, DeleteGroupsResponse>(DELETE_GROUPS_KEY, version, { groupsNames: [groupId] });
          const code = resp.results.find((r) => r.groupId === groupId)?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
          // A moved coordinator is worth another try; any other answer is the group's result.
          if (code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_NOT_AVAILABLE || code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) {
            throw new KafkaError(code, groupErrorMessage(groupId, code));
          }
          return { groupId, error: code === ErrorCode.NONE ? null : new KafkaError(code, groupErrorMessage(groupId, code)) };
        }),
      ),
    );
  }

  /** The group's committed offsets (all of them, or for the given partitions), sorted. */
  async fetchOffsets(groupId: string, partitions?: Array<{ topic: string; partition: number }>): Promise<GroupOffset[]> {
    const found = await this.withCoordinator(groupId, (conn) => fetchCommittedOffsets(conn, groupId, partitions ?? null));
    return [...found.values()]
      .filter((o) => o.offset >= 0)
      .map(({ topic, partition, offset, leaderEpoch, metadata }) => ({ topic, partition, offset, leaderEpoch: leaderEpoch >= 0 ? leaderEpoch : null, metadata }))
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  }

  /**
   * Commits offsets for a group from outside it (generation -1, no member id), as Kafka's
   * tools do; the broker refuses while the group has members.
   */
  async commitOffsets(groupId: string, offsets: Array<{ topic: string; partition: number; offset: number; metadata?: string | null }>): Promise<void> {
    for (const o of offsets) {
      if (!Number.isSafeInteger(o.offset) || o.offset < 0) throw new InvalidArgumentError(`Offset for ${o.topic}-${o.partition} must be a non-negative integer, not ${o.offset}.`);
    }
    await this.withCoordinator(groupId, (conn) =>
      commitOffsets(conn, { groupId, generationId: STANDALONE_GENERATION, memberId: '', groupInstanceId: null }, offsets),
    );
  }

  /**
   * Kafka's --reset-offsets: computes the new offset of each partition (clamped to the log as
   * Kafka clamps it) and, unless `dryRun`, commits them. The group must be inactive.
   */
  resetOffsets(groupId: string, req: ResetOffsetsRequest): Promise<GroupOffset[]> {
    return resetGroupOffsets(this, this.cluster, groupId, req);
  }

  /** Runs `fn` against the group's coordinator, finding it again when it moved. */
  private withCoordinator<T>(groupId: string, fn: (conn: Connection, coordinator: CoordinatorAddress) => Promise<T>): Promise<T> {
    if (typeof groupId !== 'string' || groupId === '') throw new InvalidArgumentError('A group id must be a non-empty string.');
    return this.cluster.withRetry(async () => {
      const coordinator = await findCoordinator(await this.cluster.anyConnection(), groupId);
      let conn: Connection;
      try {
        conn = await this.cluster.connectionTo(coordinator.nodeId);
      } catch (err) {
        if (!(err instanceof KafkaError) || err.code !== ErrorCode.BROKER_NOT_AVAILABLE) throw err;
        await this.cluster.refresh([]);
        conn = await this.cluster.connectionTo(coordinator.nodeId);
      }
      return fn(conn, coordinator);
    });
  }

  async close(): Promise<void> {
    await this.cluster.close();
  }
}

/** NOT_CONTROLLER on any topic means the whole request went to the wrong broker: retry it all. */
function throwIfNotController(results: Array<{ errorCode: number }>): void {
  if (results.some((t) => t.errorCode === ErrorCode.NOT_CONTROLLER)) {
    throw new KafkaError(ErrorCode.NOT_CONTROLLER, 'The request reached a broker that is no longer the controller.');
  }
}

function decodeOrEmpty<T>(decode: () => T[]): T[] {
  try {
    return decode();
  } catch {
    return [];
  }
}
