// Fetch (key 1), versions 4–12.
// v4+: isolation level, last stable offset and aborted transactions. v5+: log start offset.
// v7+: fetch sessions — not kept: session id 0 is always answered, which tells clients to send
// full fetches; an incremental fetch on a session gets FETCH_SESSION_ID_NOT_FOUND.
// v9+: current leader epoch (not checked: one broker, epoch 0). v11+: rack id, preferred read
// replica -1. v12+: flexible. Not served: v13+ (topic ids arrive with Metadata 10+).
import { ErrorCode } from '../../protocol/errors.js';
import { FetchRequestSchema, FetchResponseSchema, type FetchRequest, type FetchResponse, type FetchResponseFetchableTopicResponse } from '../../protocol/messages/01-fetch.js';
import { fetchPartitions, ISOLATION_READ_COMMITTED } from '../fetch.js';
import type { Handler } from '../handler.js';

export const fetchHandler: Handler<FetchRequest, FetchResponse> = {
  apiKey: 1,
  minVersion: 4,
  maxVersion: 12,
  request: FetchRequestSchema,
  response: FetchResponseSchema,
  async handle(ctx, req) {
    if (req.sessionId !== 0 || req.sessionEpoch > 0)
      return { throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [], nodeEndpoints: [] };
    const partitions = req.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, fetchOffset: p.fetchOffset, partitionMaxBytes: p.partitionMaxBytes })),
    );
    const results = await fetchPartitions(ctx.broker, {
      partitions,
      maxWaitMs: req.maxWaitMs,
      minBytes: req.minBytes,
      maxBytes: req.maxBytes,
      isolationLevel: req.isolationLevel,
    });
    const committed = req.isolationLevel === ISOLATION_READ_COMMITTED;
    const responses: FetchResponseFetchableTopicResponse[] = [];
    let i = 0;
    for (const t of req.topics) {
      responses.push({
        topic: t.topic,
        topicId: t.topicId,
        partitions: t.partitions.map(() => {
          const r = results[i++]!;
          return {
            partitionIndex: r.partition, errorCode: r.errorCode, highWatermark: r.highWatermark,
            lastStableOffset: r.lastStableOffset, logStartOffset: r.logStartOffset,
            divergingEpoch: { epoch: -1, endOffset: -1 }, currentLeader: { leaderId: -1, leaderEpoch: -1 },
            snapshotId: { endOffset: -1, epoch: -1 }, abortedTransactions: committed ? [] : null,
            preferredReadReplica: -1, records: r.records ?? Buffer.alloc(0),
          };
        }),
      });
    }
    return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses, nodeEndpoints: [] };
  },
};
