// CreatePartitions (key 37), versions 0–3.
// Grows a topic to `count` partitions: the metadata record is stored, then the new partition
// logs are created with the topic's configs. A count not above the current one →
// INVALID_PARTITIONS with Kafka's message; unknown topic → UNKNOWN_TOPIC_OR_PARTITION; a topic
// named twice → INVALID_REQUEST. Assignments: one per new partition, each a valid replica list of
// the topic's replica count on registered brokers (Kafka's checks and messages), else
// INVALID_REPLICA_ASSIGNMENT. validate_only checks without changing anything.
// v1: same as v0. v2+: flexible. v3: same as v2.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { CreatePartitionsRequestSchema, CreatePartitionsResponseSchema, type CreatePartitionsRequest, type CreatePartitionsResponse, type CreatePartitionsResponseCreatePartitionsTopicResult } from '../../protocol/messages/37-create-partitions.js';
import { validateManualAssignment } from '../../cluster/topics.js';
import { Op, onTopic } from '../access.js';
import type { Handler } from '../handler.js';

export const createPartitionsHandler: Handler<CreatePartitionsRequest, CreatePartitionsResponse> = {
  apiKey: 37,
  minVersion: 0,
  maxVersion: 3,
  request: CreatePartitionsRequestSchema,
  response: CreatePartitionsResponseSchema,
  async handle(ctx, req) {
    const { topics } = ctx.broker;
    const seen = new Map<string, number>();
    for (const t of req.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
    const results: CreatePartitionsResponseCreatePartitionsTopicResult[] = [];
    for (const t of req.topics) {
      try {
        if ((seen.get(t.name) ?? 0) > 1) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Duplicate topic in request: ${t.name}`);
        if (!onTopic(ctx, Op.ALTER, t.name)) throw new KafkaError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'The topic authorization is failed.');
        const topic = topics.validatePartitionCount(t.name, t.count);
        if (t.assignments !== null) {
          const added = t.count - topic.partitions;
          if (t.assignments.length !== added)
            throw new KafkaError(
              ErrorCode.INVALID_REPLICA_ASSIGNMENT,
              `Attempted to add ${added} additional partition(s), but only ${t.assignments.length} assignment(s) were specified.`,
            );
          // As many replicas as the topic's partitions have (alone: one).
          const rf = ctx.broker.view.partition(t.name, 0)?.replicas.length ?? 1;
          for (const a of t.assignments) validateManualAssignment(a.brokerIds, rf, topics.registeredBrokers());
        }
        if (!req.validateOnly) await topics.createPartitions(t.name, t.count, t.assignments?.map((a) => a.brokerIds));
        results.push({ name: t.name, errorCode: 0, errorMessage: null });
      } catch (err) {
        if (!(err instanceof KafkaError)) throw err;
        results.push({ name: t.name, errorCode: err.code, errorMessage: err.message });
      }
    }
    return { throttleTimeMs: 0, results };
  },
};
