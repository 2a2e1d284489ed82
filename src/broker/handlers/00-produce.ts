// Produce (key 0), versions 0–11.
// v0–v2: advertised because librdkafka only compresses when Produce's minimum is 0, but these
// versions carry the old message formats: every partition gets UNSUPPORTED_VERSION.
// v3+: record batch v2 and transactional id. v5+: log start offset. v8+: record errors.
// v9+: flexible. v10–v11: current-leader tags (left at their defaults: this broker leads all).
// Idempotent producers: a retry of one of a producer's last five batches is answered with its
// original offsets; sequence gaps, old epochs and transactional misuse get Kafka's error codes.
import { ErrorCode } from '../../protocol/errors.js';
import { ProduceRequestSchema, ProduceResponseSchema, type ProduceRequest, type ProduceResponse, type ProduceResponsePartitionProduceResponse } from '../../protocol/messages/00-produce.js';
import { isInternalTopic } from '../../cluster/topic-names.js';
import { appendToPartition } from '../produce.js';
import type { Handler, RequestContext } from '../handler.js';

const VALID_ACKS = new Set([-1, 0, 1]);

export const produceHandler: Handler<ProduceRequest, ProduceResponse> = {
  apiKey: 0,
  minVersion: 0,
  maxVersion: 11,
  request: ProduceRequestSchema,
  response: ProduceResponseSchema,
  async handle(ctx, req, version) {
    const fail = (index: number, errorCode: number, errorMessage: string | null = null): ProduceResponsePartitionProduceResponse => ({
      index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage,
      currentLeader: { leaderId: -1, leaderEpoch: -1 },
    });
    const responses = await Promise.all(
      req.topicData.map(async (t) => ({
        name: t.name,
        partitionResponses: await Promise.all(
          t.partitionData.map(async (p): Promise<ProduceResponsePartitionProduceResponse> => {
            if (version < 3) return fail(p.index, ErrorCode.UNSUPPORTED_VERSION, 'Produce v0-v2 (message format v0/v1) is not supported; use v3 or newer.');
            if (!VALID_ACKS.has(req.acks)) return fail(p.index, ErrorCode.INVALID_REQUIRED_ACKS);
            if (isInternalTopic(t.name)) return fail(p.index, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${t.name}`);
            const r = await appendToPartition(ctx, t.name, p.index, p.records);
            if (r.errorCode !== 0) return fail(p.index, r.errorCode, r.errorMessage);
            return {
              index: p.index, errorCode: 0, baseOffset: r.baseOffset, logAppendTimeMs: r.logAppendTimeMs,
              logStartOffset: r.logStartOffset, recordErrors: [], errorMessage: null, currentLeader: { leaderId: -1, leaderEpoch: -1 },
            };
          }),
        ),
      })),
    );
    // acks=0: the producer expects no response at all.
    if (req.acks === 0) return null;
    return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
  },
};

export type { RequestContext };
