// Produce (key 0), versions 0–12.
// v0–v2: advertised because librdkafka only compresses when Produce's minimum is 0, but these
// versions carry the old message formats: every partition gets UNSUPPORTED_VERSION.
// v3+: record batch v2 and transactional id. v5+: log start offset. v8+: record errors (KIP-467):
// a batch refused for its records (a key-less record on a compacted topic, a timestamp out of
// bounds) names each bad record by its index, with Kafka's messages.
// v9+: flexible. v10–v11: current-leader tags (KIP-951): a partition this broker does not lead
// names the leader it knows and its epoch, and node_endpoints says how to reach it.
// acks=all waits for the ISR and checks min.insync.replicas (NOT_ENOUGH_REPLICAS before the
// append, NOT_ENOUGH_REPLICAS_AFTER_APPEND after).
// Client quotas: the request's bytes count against producer_byte_rate; over it, throttle_time_ms
// says for how long the connection is muted (KIP-219).
// v12 (KIP-890 transactions v2): same fields; a transactional producer's partitions join its
// transaction here (no AddPartitionsToTxn from the client). Before v12, with
// transaction.partition.verification.enable (default true), a transactional batch is appended
// only if the coordinator has the partition in the producer's ongoing transaction.
// Idempotent producers: a retry of one of a producer's last five batches is answered with its
// original offsets; sequence gaps, old epochs and transactional misuse get Kafka's error codes.
import { ErrorCode } from '../../protocol/errors.js';
import { ProduceRequestSchema, ProduceResponseSchema, type ProduceRequest, type ProduceResponse, type ProduceResponsePartitionProduceResponse } from '../../protocol/messages/00-produce.js';
import { isInternalTopic } from '../../cluster/topic-names.js';
import { appendFailed, checkTransactionalAppends, placeAppend, prepareAppend, type AppendOutcome, type PreparedAppend } from '../produce.js';
import type { Handler, RequestContext } from '../handler.js';
import { throttleProduce } from '../client-quota-manager.js';
import { Op, deniedTopics, onTransactionalId } from '../access.js';

const VALID_ACKS = new Set([-1, 0, 1]);
/** The current-leader tags (v10+): left at their defaults, this broker leads every partition. */
const NO_LEADER_CHANGE = { leaderId: -1, leaderEpoch: -1 };


export const produceHandler: Handler<ProduceRequest, ProduceResponse> = {
  apiKey: 0,
  minVersion: 0,
  maxVersion: 12,
  request: ProduceRequestSchema,
  response: ProduceResponseSchema,
  async handle(ctx, req, version) {
    // First every partition's checks (asynchronous: compressed batches may be decoded), then,
    // once the connection's earlier Produce requests have placed theirs, every partition's
    // offsets in one turn, so appends keep the order in which the requests were sent.
    // As Kafka: a transactional producer needs Write on its id (else every partition fails), then Write on each topic.
    const txnDenied = req.transactionalId !== null && !onTransactionalId(ctx, Op.WRITE, req.transactionalId);
    const denied = deniedTopics(ctx, Op.WRITE, req.topicData.map((t) => t.name));
    const prepared = await Promise.all(
      req.topicData.map((t) =>
        Promise.all(
          t.partitionData.map(async (p): Promise<PreparedAppend | AppendOutcome> => {
            if (txnDenied) return appendFailed(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
            if (denied?.has(t.name) === true) return appendFailed(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
            if (version < 3) return appendFailed(ErrorCode.UNSUPPORTED_VERSION, 'Produce v0-v2 (message format v0/v1) is not supported; use v3 or newer.');
            if (!VALID_ACKS.has(req.acks)) return appendFailed(ErrorCode.INVALID_REQUIRED_ACKS);
            if (isInternalTopic(t.name)) return appendFailed(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${t.name}`);
            return prepareAppend(ctx, t.name, p.index, p.records, req.acks);
          }),
        ),
      ),
    );
    // KIP-890: a transactional producer's partitions are verified or added with its coordinator.
    await checkTransactionalAppends(ctx, req.transactionalId, version, prepared);
    await ctx.placeTurn;
    const placing = prepared.map((ps) => ps.map((p) => ('log' in p ? placeAppend(ctx, p, req.acks, req.timeoutMs) : p)));
    ctx.placed?.();
    const responses = await Promise.all(
      req.topicData.map(async (t, i) => ({
        name: t.name,
        partitionResponses: (await Promise.all(placing[i]!)).map((r, j): ProduceResponsePartitionProduceResponse => ({
          index: t.partitionData[j]!.index, errorCode: r.errorCode, baseOffset: r.baseOffset, logAppendTimeMs: r.logAppendTimeMs,
          logStartOffset: r.logStartOffset, errorMessage: r.errorMessage,
          recordErrors: r.recordErrors.map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message })), currentLeader: r.currentLeader ?? NO_LEADER_CHANGE,
        })),
      })),
    );
    // BrokerTopicMetrics' Total/FailedProduceRequestsPerSec: one lookup per topic, partitions counted as Kafka counts them.
    const metrics = ctx.broker.metrics;
    if (metrics !== undefined) for (const t of responses) metrics.produceRequests(t.name, t.partitionResponses);
    // Over the producer_byte_rate quota the connection mutes after this response (acks=0 too).
    const throttleTimeMs = throttleProduce(ctx);
    // acks=0: the producer expects no response at all.
    if (req.acks === 0) return null;
    return { responses, throttleTimeMs, nodeEndpoints: version >= 10 ? leaderEndpoints(ctx, responses) : [] };
  },
};

/** The endpoints of the leaders named in current-leader tags (KIP-951). */
function leaderEndpoints(ctx: RequestContext, responses: Array<{ partitionResponses: ProduceResponsePartitionProduceResponse[] }>) {
  const ids = new Set<number>();
  for (const t of responses) for (const p of t.partitionResponses) if (p.currentLeader.leaderId >= 0) ids.add(p.currentLeader.leaderId);
  if (ids.size === 0) return [];
  return ctx.broker.view.brokers(ctx.listenerName).filter((b) => ids.has(b.nodeId)).map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }));
}

export type { RequestContext };
