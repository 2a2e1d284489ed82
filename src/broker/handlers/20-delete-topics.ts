// DeleteTopics (key 20), versions 0–6.
// v0–v3: by name; v1+ throttle time. v4+: flexible. v5+: error messages. v6+: topics by name or by id.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { ZERO_UUID_STRING } from '../../protocol/writer.js';
import { DeleteTopicsRequestSchema, DeleteTopicsResponseSchema, type DeleteTopicsRequest, type DeleteTopicsResponse, type DeleteTopicsResponseDeletableTopicResult } from '../../protocol/messages/20-delete-topics.js';
import { Op, onTopic } from '../access.js';
import type { Handler } from '../handler.js';

export const deleteTopicsHandler: Handler<DeleteTopicsRequest, DeleteTopicsResponse> = {
  apiKey: 20,
  minVersion: 0,
  maxVersion: 6,
  request: DeleteTopicsRequestSchema,
  response: DeleteTopicsResponseSchema,
  async handle(ctx, req, version) {
    const { topics } = ctx.broker;
    const wanted = version >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID_STRING }));
    const responses = await Promise.all(
      wanted.map(async (w): Promise<DeleteTopicsResponseDeletableTopicResult> => {
        let name = w.name;
        if (name === null || name === '') {
          name = [...topics.all()].find((t) => t.topicId === w.topicId)?.name ?? null;
          if (name === null) return { name: null, topicId: w.topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: 'This server does not host this topic ID.' };
        }
        // As Kafka: Delete on the topic (asked for by id, Describe too, or the id says nothing).
        if (w.name !== name && !onTopic(ctx, Op.DESCRIBE, name)) return { name: null, topicId: w.topicId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null };
        if (!onTopic(ctx, Op.DELETE, name)) return { name, topicId: w.topicId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null };
        const topicId = topics.get(name)?.topicId ?? ZERO_UUID_STRING;
        try {
          await topics.delete(name);
          return { name, topicId, errorCode: 0, errorMessage: null };
        } catch (err) {
          if (!(err instanceof KafkaError)) throw err;
          return { name, topicId, errorCode: err.code, errorMessage: err.message };
        }
      }),
    );
    return { throttleTimeMs: 0, responses };
  },
};
