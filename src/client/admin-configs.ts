/**
 * Admin calls for configs and topic lifecycle: DescribeConfigs, AlterConfigs,
 * IncrementalAlterConfigs, CreatePartitions, DeleteRecords and DescribeCluster. The Admin class
 * exposes them; they live here so admin.ts stays about topics and groups.
 */
import { ErrorCode, KafkaError, errorName } from '../protocol/errors.js';
import type { DescribeConfigsRequest, DescribeConfigsResponse } from '../protocol/messages/32-describe-configs.js';
import type { AlterConfigsRequest, AlterConfigsResponse } from '../protocol/messages/33-alter-configs.js';
import type { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from '../protocol/messages/44-incremental-alter-configs.js';
import type { CreatePartitionsRequest, CreatePartitionsResponse } from '../protocol/messages/37-create-partitions.js';
import type { DeleteRecordsRequest, DeleteRecordsResponse } from '../protocol/messages/21-delete-records.js';
import type { DescribeClusterRequest, DescribeClusterResponse } from '../protocol/messages/60-describe-cluster.js';
import type { Cluster, BrokerInfo } from './cluster.js';
import type { Connection } from './connection.js';
import { InvalidArgumentError } from './errors.js';

const DESCRIBE_CONFIGS_KEY = 32;
const DESCRIBE_CONFIGS_VERSION = { min: 1, max: 4 };
const ALTER_CONFIGS_KEY = 33;
const ALTER_CONFIGS_VERSION_MAX = 2;
const INCREMENTAL_ALTER_CONFIGS_KEY = 44;
const INCREMENTAL_ALTER_CONFIGS_VERSION_MAX = 1;
const CREATE_PARTITIONS_KEY = 37;
const CREATE_PARTITIONS_VERSION_MAX = 3;
const DELETE_RECORDS_KEY = 21;
const DELETE_RECORDS_VERSION_MAX = 2;
const DESCRIBE_CLUSTER_KEY = 60;
const DESCRIBE_CLUSTER_VERSION_MAX = 1;
const TIMEOUT_MS_DEFAULT = 30_000;

/** A config resource: a topic, a broker by id, the cluster-wide broker default (`name: ''`), or a group (Kafka 4's group configs). */
export interface ConfigResource {
  type: 'topic' | 'broker' | 'group' | 'client-metrics';
  name: string;
}

const RESOURCE_TYPE = { topic: 2, broker: 4, 'client-metrics': 16, group: 32 } as const;

/** ListClientMetricsResources (KIP-714, KIP-1000): the client-metrics subscriptions' names. */
export async function listClientMetricsResources(cluster: Cluster): Promise<string[]> {
  return cluster.withRetry(async () => {
    const conn = await cluster.anyConnection();
    const resp = await conn.request<Record<string, never>, { errorCode: number; clientMetricsResources: Array<{ name: string }> }>(74, 0, {});
    if (resp.errorCode !== ErrorCode.NONE) throw new KafkaError(resp.errorCode, `ListClientMetricsResources failed: ${errorName(resp.errorCode)}`);
    return resp.clientMetricsResources.map((r) => r.name).sort();
  });
}

/** Kafka's config sources, by number. */
export const ConfigSourceName: Record<number, string> = {
  0: 'UNKNOWN',
  1: 'DYNAMIC_TOPIC_CONFIG',
  2: 'DYNAMIC_BROKER_CONFIG',
  3: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  4: 'STATIC_BROKER_CONFIG',
  5: 'DEFAULT_CONFIG',
  6: 'DYNAMIC_BROKER_LOGGER_CONFIG',
  7: 'CLIENT_METRICS_CONFIG',
  8: 'DYNAMIC_GROUP_CONFIG',
};

export interface ConfigDescription {
  name: string;
  value: string | null;
  /** Kafka's ConfigSource number (see ConfigSourceName). */
  source: number;
  readOnly: boolean;
  isSensitive: boolean;
  synonyms: Array<{ name: string; value: string | null; source: number }>;
  /** Kafka's ConfigType number (0 when the broker does not say). */
  type: number;
  documentation: string | null;
}

export interface DescribeConfigsOptions {
  includeSynonyms?: boolean;
  includeDocumentation?: boolean;
  /** Only these keys (all when omitted). */
  keys?: string[];
}

export type AlterConfigOp = { name: string; op: 'set'; value: string } | { name: string; op: 'delete' } | { name: string; op: 'append' | 'subtract'; value: string };

const OP_NUMBER = { set: 0, delete: 1, append: 2, subtract: 3 } as const;

export interface ClusterDescription {
  clusterId: string;
  controllerId: number;
  brokers: BrokerInfo[];
}

/** Broker resources go to that broker; topics and the cluster default to any broker. */
async function connectionFor(cluster: Cluster, r: ConfigResource): Promise<Connection> {
  if (r.type === 'broker' && r.name !== '') {
    const id = Number(r.name);
    if (!Number.isInteger(id)) throw new InvalidArgumentError(`A broker resource is named by the broker's id, not '${r.name}'.`);
    await cluster.refresh([]);
    return cluster.connectionTo(id);
  }
  return cluster.anyConnection();
}

function resourceError(r: { resourceName: string; errorCode: number; errorMessage: string | null }, type: string): KafkaError {
  const what =
    type === 'topic' ? `topic '${r.resourceName}'`
    : type === 'group' ? `group '${r.resourceName}'`
    : type === 'client-metrics' ? `client metrics subscription '${r.resourceName}'`
    : r.resourceName === '' ? 'the cluster-wide broker default' : `broker ${r.resourceName}`;
  return new KafkaError(r.errorCode, `Configs of ${what}: ${r.errorMessage ?? errorName(r.errorCode)}`);
}

export async function describeConfigs(cluster: Cluster, resources: ConfigResource[], opts: DescribeConfigsOptions = {}): Promise<Map<ConfigResource, ConfigDescription[]>> {
  const out = new Map<ConfigResource, ConfigDescription[]>();
  for (const res of resources) {
    const entries = await cluster.withRetry(async () => {
      const conn = await connectionFor(cluster, res);
      const version = conn.versionFor(DESCRIBE_CONFIGS_KEY, DESCRIBE_CONFIGS_VERSION.max, DESCRIBE_CONFIGS_VERSION.min);
      const resp = await conn.request<DescribeConfigsRequest, DescribeConfigsResponse>(DESCRIBE_CONFIGS_KEY, version, {
        resources: [{ resourceType: RESOURCE_TYPE[res.type], resourceName: res.name, configurationKeys: opts.keys ?? null }],
        includeSynonyms: opts.includeSynonyms ?? false,
        includeDocumentation: opts.includeDocumentation ?? false,
      });
      const r = resp.results[0];
      if (r === undefined) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'DescribeConfigs returned no result.');
      if (r.errorCode !== ErrorCode.NONE) throw resourceError(r, res.type);
      return r.configs.map((c) => ({
        name: c.name, value: c.value, source: c.configSource, readOnly: c.readOnly, isSensitive: c.isSensitive,
        synonyms: c.synonyms.map((s) => ({ name: s.name, value: s.value, source: s.source })), type: c.configType, documentation: c.documentation,
      }));
    }, res.type === 'topic' ? { topics: [res.name] } : {});
    out.set(res, entries);
  }
  return out;
}

/** Replaces a resource's whole set of overrides (Kafka's legacy AlterConfigs): keys left out revert. */
export async function alterConfigs(cluster: Cluster, res: ConfigResource, configs: Record<string, string>, opts: { validateOnly?: boolean } = {}): Promise<void> {
  await cluster.withRetry(async () => {
    const conn = await connectionFor(cluster, res);
    const version = conn.versionFor(ALTER_CONFIGS_KEY, ALTER_CONFIGS_VERSION_MAX);
    const resp = await conn.request<AlterConfigsRequest, AlterConfigsResponse>(ALTER_CONFIGS_KEY, version, {
      resources: [{ resourceType: RESOURCE_TYPE[res.type], resourceName: res.name, configs: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
      validateOnly: opts.validateOnly ?? false,
    });
    const r = resp.responses[0];
    if (r !== undefined && r.errorCode !== ErrorCode.NONE) throw resourceError(r, res.type);
  });
}

/** Sets, deletes, appends to or subtracts from single keys, leaving the others as they are. */
export async function incrementalAlterConfigs(cluster: Cluster, res: ConfigResource, ops: AlterConfigOp[], opts: { validateOnly?: boolean } = {}): Promise<void> {
  await cluster.withRetry(async () => {
    const conn = await connectionFor(cluster, res);
    const version = conn.versionFor(INCREMENTAL_ALTER_CONFIGS_KEY, INCREMENTAL_ALTER_CONFIGS_VERSION_MAX);
    const resp = await conn.request<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>(INCREMENTAL_ALTER_CONFIGS_KEY, version, {
      resources: [{
        resourceType: RESOURCE_TYPE[res.type],
        resourceName: res.name,
        configs: ops.map((o) => ({ name: o.name, configOperation: OP_NUMBER[o.op], value: o.op === 'delete' ? null : o.value })),
      }],
      validateOnly: opts.validateOnly ?? false,
    });
    const r = resp.responses[0];
    if (r !== undefined && r.errorCode !== ErrorCode.NONE) throw resourceError(r, res.type);
  });
}

/** Grows a topic to `count` partitions; INVALID_PARTITIONS if it already has that many or more. */
export async function createPartitions(cluster: Cluster, topic: string, count: number, opts: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<void> {
  if (!Number.isInteger(count) || count < 1) throw new InvalidArgumentError(`A partition count must be a whole number of at least 1, not ${count}.`);
  await cluster.withRetry(async () => {
    const conn = await cluster.controllerConnection();
    const version = conn.versionFor(CREATE_PARTITIONS_KEY, CREATE_PARTITIONS_VERSION_MAX);
    const resp = await conn.request<CreatePartitionsRequest, CreatePartitionsResponse>(CREATE_PARTITIONS_KEY, version, {
      topics: [{ name: topic, count, assignments: null }],
      timeoutMs: opts.timeoutMs ?? TIMEOUT_MS_DEFAULT,
      validateOnly: opts.validateOnly ?? false,
    });
    const r = resp.results[0];
    if (r !== undefined && r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, `Topic '${topic}': ${r.errorMessage ?? errorName(r.errorCode)}`);
  });
  cluster.invalidate(topic);
}

export interface DeleteRecordsResult {
  topic: string;
  partition: number;
  /** The partition's new log start offset. */
  lowWatermark: number;
}

/** Deletes records before each offset (-1 = the high watermark) by moving the log start offset. */
export async function deleteRecords(cluster: Cluster, partitions: Array<{ topic: string; partition: number; offset: number }>, opts: { timeoutMs?: number } = {}): Promise<DeleteRecordsResult[]> {
  return Promise.all(
    partitions.map((p) =>
      cluster.withRetry(async () => {
        const conn = await cluster.leaderConnection(p.topic, p.partition);
        const version = conn.versionFor(DELETE_RECORDS_KEY, DELETE_RECORDS_VERSION_MAX);
        const resp = await conn.request<DeleteRecordsRequest, DeleteRecordsResponse>(DELETE_RECORDS_KEY, version, {
          topics: [{ name: p.topic, partitions: [{ partitionIndex: p.partition, offset: p.offset }] }],
          timeoutMs: opts.timeoutMs ?? TIMEOUT_MS_DEFAULT,
        });
        const r = resp.topics.find((t) => t.name === p.topic)?.partitions.find((x) => x.partitionIndex === p.partition);
        if (r === undefined) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `DeleteRecords did not answer for ${p.topic}-${p.partition}.`);
        if (r.errorCode !== ErrorCode.NONE) {
          const why = r.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE ? `offset ${p.offset} is beyond the high watermark` : errorName(r.errorCode);
          throw new KafkaError(r.errorCode, `Deleting records of ${p.topic}-${p.partition} failed: ${why}.`);
        }
        return { topic: p.topic, partition: p.partition, lowWatermark: r.lowWatermark };
      }, { topics: [p.topic] }),
    ),
  );
}

/** The cluster id, the controller and the brokers, from DescribeCluster (Metadata if it is not served). */
export async function describeCluster(cluster: Cluster): Promise<ClusterDescription> {
  return cluster.withRetry(async () => {
    const conn = await cluster.anyConnection();
    if (conn.apiVersionRange(DESCRIBE_CLUSTER_KEY) === undefined) {
      const snap = await cluster.refresh([]);
      return { clusterId: snap.clusterId ?? '', controllerId: snap.controllerId, brokers: snap.brokers };
    }
    const version = conn.versionFor(DESCRIBE_CLUSTER_KEY, DESCRIBE_CLUSTER_VERSION_MAX);
    const resp = await conn.request<DescribeClusterRequest, DescribeClusterResponse>(DESCRIBE_CLUSTER_KEY, version, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    if (resp.errorCode !== ErrorCode.NONE) throw new KafkaError(resp.errorCode, resp.errorMessage ?? errorName(resp.errorCode));
    return {
      clusterId: resp.clusterId,
      controllerId: resp.controllerId,
      brokers: resp.brokers.map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack })),
    };
  });
}
