// Metadata (key 3), versions 0–12.
// v0: an empty topic list means all topics. v1+: null means all, empty means none; controller
// id and internal flag. v2+: cluster id. v4+: allow_auto_topic_creation. v5+: offline replicas.
// v7+: leader epoch. v8+: authorized operations when asked (KIP-430): without an authorizer,
// every operation on a topic (and, v8–v10, on the cluster); else -2147483648.
// v9+: flexible. v10+: each topic's id (its real UUID, stored with the topic), and topics may be
// asked for by id (an unknown id → UNKNOWN_TOPIC_ID). v11: no cluster authorized operations.
// v12: the topic name is nullable (null for an unknown id). Served together with Fetch 13+
// (topic ids are all or nothing: PROTOCOL-NOTES).
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { ZERO_UUID_STRING } from '../../protocol/writer.js';
import { MetadataRequestSchema, MetadataResponseSchema, type MetadataRequest, type MetadataResponse, type MetadataResponseTopic } from '../../protocol/messages/03-metadata.js';
import { topicNameError, isInternalTopic } from '../../cluster/topic-names.js';
import type { TopicMetadata } from '../../cluster/metadata-store.js';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED, TOPIC_OPERATIONS, authorizedOperations, clusterOperations } from '../authorized-operations.js';
import type { Handler, RequestContext } from '../handler.js';
import { Op, ResourceType, onCluster, onTopic, operationsOn } from '../access.js';

function describe(ctx: RequestContext, t: TopicMetadata): MetadataResponseTopic {
  const { view } = ctx.broker;
  return {
    errorCode: 0,
    name: t.name,
    topicId: t.topicId,
    isInternal: isInternalTopic(t.name),
    partitions: Array.from({ length: t.partitions }, (_, p) => {
      const s = view.partition(t.name, p);
      if (s === undefined) return { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, partitionIndex: p, leaderId: -1, leaderEpoch: -1, replicaNodes: [], isrNodes: [], offlineReplicas: [] };
      // As Kafka: a partition without a live leader says LEADER_NOT_AVAILABLE, with its replicas.
      const errorCode = s.leader < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : 0;
      return { errorCode, partitionIndex: p, leaderId: s.leader, leaderEpoch: s.leaderEpoch, replicaNodes: s.replicas, isrNodes: s.isr, offlineReplicas: s.offline };
    }),
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED,
  };
}

function missing(name: string | null, errorCode: number, topicId = ZERO_UUID_STRING): MetadataResponseTopic {
  return { errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED };
}

/** A topic asked for by id (Metadata v10+). */
function describeById(ctx: RequestContext, topicId: string, version: number): MetadataResponseTopic {
  const t = ctx.broker.topics.getById(topicId);
  if (t === undefined || !partitionsOpen(ctx, t)) return missing(version >= 12 ? null : '', ErrorCode.UNKNOWN_TOPIC_ID, topicId);
  // As Kafka: topic ids are not secret, the name is.
  if (!onTopic(ctx, Op.DESCRIBE, t.name)) return missing(version >= 12 ? null : '', ErrorCode.TOPIC_AUTHORIZATION_FAILED, topicId);
  return describe(ctx, t);
}

export const metadataHandler: Handler<MetadataRequest, MetadataResponse> = {
  apiKey: 3,
  minVersion: 0,
  maxVersion: 12,
  request: MetadataRequestSchema,
  response: MetadataResponseSchema,
  async handle(ctx, req, version) {
    const { broker } = ctx;
    const all = req.topics === null || (version === 0 && req.topics.length === 0);
    const topics: MetadataResponseTopic[] = [];
    if (all) {
      // Topics the principal may not describe are left out, as if they did not exist.
      for (const t of broker.topics.all()) if (partitionsOpen(ctx, t) && onTopic(ctx, Op.DESCRIBE, t.name)) topics.push(describe(ctx, t));
    } else {
      const allowAuto = version < 4 || req.allowAutoTopicCreation;
      for (const { name, topicId } of req.topics ?? []) {
        if (version >= 10 && topicId !== ZERO_UUID_STRING && (name === null || name === '')) {
          topics.push(describeById(ctx, topicId, version));
          continue;
        }
        if (name === null) continue;
        // Not even whether it exists is told to a principal that may not describe it.
        if (!onTopic(ctx, Op.DESCRIBE, name)) {
          topics.push(missing(name, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
          continue;
        }
        const t = broker.topics.get(name);
        if (t !== undefined) topics.push(partitionsOpen(ctx, t) ? describe(ctx, t) : missing(name, ErrorCode.LEADER_NOT_AVAILABLE));
        else if (allowAuto && broker.config.autoCreateTopicsEnable && !onCluster(ctx, Op.CREATE) && !onTopic(ctx, Op.CREATE, name)) topics.push(missing(name, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
        else topics.push(missing(name, await autoCreate(ctx, name, allowAuto)));
      }
    }
    // As Kafka: every topic answered by name gets them; an unknown topic id keeps the default.
    if (version >= 8 && req.includeTopicAuthorizedOperations) {
      for (const t of topics) {
        if (t.errorCode === ErrorCode.UNKNOWN_TOPIC_ID || t.errorCode === ErrorCode.TOPIC_AUTHORIZATION_FAILED) continue;
        t.topicAuthorizedOperations = operationsOn(ctx, ResourceType.TOPIC, t.name ?? '', TOPIC_OPERATIONS);
      }
    }
    return {
      throttleTimeMs: 0,
      brokers: broker.view.brokers(ctx.listenerName),
      clusterId: broker.clusterId,
      controllerId: broker.view.controllerId(),
      topics,
      clusterAuthorizedOperations: authorizedOperations(version >= 8 && version <= 10 && req.includeClusterAuthorizedOperations, clusterOperations(ctx)),
    };
  },
};

/**
 * A topic is in the metadata store before its partition logs are open (TopicManager.create writes
 * the store first). Until creation ends there is no leader to produce to: describing it then
 * would send clients to a partition that answers UNKNOWN_TOPIC_OR_PARTITION, which kafka-python
 * (retries=0 by default) reports as a failed send.
 */
function partitionsOpen(ctx: RequestContext, t: TopicMetadata): boolean {
  return !ctx.broker.topics.isCreating(t.name);
}

/** Kafka starts creating an unknown topic and answers LEADER_NOT_AVAILABLE until it is ready. */
async function autoCreate(ctx: RequestContext, name: string, allowed: boolean): Promise<number> {
  const { topics, config, logger } = ctx.broker;
  if (topicNameError(name) !== null) return ErrorCode.INVALID_TOPIC_EXCEPTION;
  if (topics.isCreating(name)) return ErrorCode.LEADER_NOT_AVAILABLE;
  if (!allowed || !config.autoCreateTopicsEnable || isInternalTopic(name)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  try {
    topics.create({ name, numPartitions: -1, replicationFactor: -1, configs: {} }).catch((err) => {
      logger.error('auto-creating a topic failed', { topic: name, err });
    });
    return ErrorCode.LEADER_NOT_AVAILABLE;
  } catch (err) {
    return err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}
