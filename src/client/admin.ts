/** The admin client: create, delete, list and describe topics; look up offsets. */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { ZERO_UUID_STRING } from '../protocol/writer.js';
import type { CreateTopicsRequest, CreateTopicsResponse } from '../protocol/messages/19-create-topics.js';
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../protocol/messages/20-delete-topics.js';
import type { DescribeConfigsRequest, DescribeConfigsResponse } from '../protocol/messages/32-describe-configs.js';
import { Cluster, topicErrorMessage, type ClusterOptions, type TopicInfo } from './cluster.js';
import { listOffset, type OffsetAtTime } from './offsets.js';

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

export interface NewTopic {
  topic: string;
  /** -1 (or omitted) lets the broker pick its `num.partitions`. */
  numPartitions?: number;
  /** -1 (or omitted) lets the broker pick its `default.replication.factor`. */
  replicationFactor?: number;
  configs?: Record<string, string>;
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
          assignments: [],
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
