// CreateTopics (key 19), versions 0–7.
// v0: create with partitions, replication factor and configs. v1+: validate_only and error
// messages. v2+: throttle time. v3: same as v2.
// v4+: -1 partitions / replication factor take the broker's defaults. v5+: flexible, and the
// reply carries partitions, replication factor and configs. v7+: the topic id.
// Assignments (all versions): explicit replicas per partition, checked as Kafka's controller does
// (counts must be -1, partitions 0..n-1 once each, known brokers, none twice, one replica count).
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { CreateTopicsRequestSchema, CreateTopicsResponseSchema, type CreateTopicsRequest, type CreateTopicsResponse, type CreateTopicsResponseCreatableTopicResult } from '../../protocol/messages/19-create-topics.js';
import { Op, deniedTopics, onCluster } from '../access.js';
import type { Handler } from '../handler.js';
import { describeTopicConfigs } from '../topic-configs.js';

export const createTopicsHandler: Handler<CreateTopicsRequest, CreateTopicsResponse> = {
  apiKey: 19,
  minVersion: 0,
  maxVersion: 7,
  request: CreateTopicsRequestSchema,
  response: CreateTopicsResponseSchema,
  async handle(ctx, req) {
    const { topics } = ctx.broker;
    const seen = new Map<string, number>();
    for (const t of req.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
    // As Kafka: Create on the cluster covers every topic, else Create on each topic is needed.
    const denied = onCluster(ctx, Op.CREATE) ? null : deniedTopics(ctx, Op.CREATE, req.topics.map((t) => t.name));
    const results = await Promise.all(
      req.topics.map(async (t): Promise<CreateTopicsResponseCreatableTopicResult> => {
        const result: CreateTopicsResponseCreatableTopicResult = {
          name: t.name, topicId: '', errorCode: 0, errorMessage: null, topicConfigErrorCode: 0,
          numPartitions: -1, replicationFactor: -1, configs: null,
        };
        try {
          if (denied?.has(t.name) === true) throw new KafkaError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
          if ((seen.get(t.name) ?? 0) > 1) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Create topics request from client contains topic ${t.name} more than once.`);
          const configs: Record<string, string> = {};
          for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value;
          const spec = { name: t.name, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor, configs, assignments: t.assignments };
          const v = topics.validate(spec);
          Object.assign(result, { numPartitions: v.partitions, replicationFactor: v.replicationFactor });
          if (!req.validateOnly) result.topicId = (await topics.create(spec)).topicId;
          result.configs = describeTopicConfigs(ctx.broker.dynamicConfig, configs);
        } catch (err) {
          if (!(err instanceof KafkaError)) throw err;
          result.errorCode = err.code;
          result.errorMessage = err.message;
        }
        return result;
      }),
    );
    return { throttleTimeMs: 0, topics: results };
  },
};
