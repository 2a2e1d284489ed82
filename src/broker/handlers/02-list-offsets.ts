// ListOffsets (key 2), versions 0–7.
// v0: up to max_num_offsets offsets, newest first, at segment boundaries before the timestamp
// (Kafka's legacy answer, see storage/legacy-offsets.ts), as old_style_offsets.
// v1+: one offset per partition by timestamp: -1 latest, -2 earliest, or the first offset whose
// timestamp is at or after the given time (via the time index). v2+: isolation level.
// v4+: current_leader_epoch checked (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH), and the leader
// epoch of the offset returned (from the log's leader epoch cache; for latest,
// the newest epoch). v6+: flexible. v7+: -3 = offset of the max timestamp.
// Any other negative timestamp (or -3 before v7) → UNSUPPORTED_VERSION for that partition.
import { ErrorCode } from '../../protocol/errors.js';
import { ListOffsetsRequestSchema, ListOffsetsResponseSchema, type ListOffsetsRequest, type ListOffsetsResponse, type ListOffsetsResponseListOffsetsPartitionResponse } from '../../protocol/messages/02-list-offsets.js';
import { legacyOffsetsBefore } from '../../storage/legacy-offsets.js';
import type { PartitionLog } from '../../storage/partition-log.js';
import { checkCurrentLeaderEpoch } from '../fetch.js';
import type { Handler, RequestContext } from '../handler.js';
import { Op, deniedTopics } from '../access.js';

const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;
const CONSUMER_REPLICA_ID = -1;

type PartitionResponse = ListOffsetsResponseListOffsetsPartitionResponse;

function legacyOffsets(ctx: RequestContext, replicaId: number, log: PartitionLog, p: { timestamp: number; maxNumOffsets: number }, out: PartitionResponse): PartitionResponse {
  const offsets = legacyOffsetsBefore({
    segments: log.segmentSummaries, logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset, highWatermark: log.highWatermark,
    nowMs: ctx.broker.clock.now(), timestamp: p.timestamp, maxNumOffsets: p.maxNumOffsets, fromConsumer: replicaId === CONSUMER_REPLICA_ID,
  });
  // Kafka fails a negative max_num_offsets with an unexpected error.
  return offsets === null ? { ...out, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR } : { ...out, oldStyleOffsets: offsets };
}

export const listOffsetsHandler: Handler<ListOffsetsRequest, ListOffsetsResponse> = {
  apiKey: 2,
  minVersion: 0,
  maxVersion: 7,
  request: ListOffsetsRequestSchema,
  response: ListOffsetsResponseSchema,
  async handle(ctx, req, version) {
    const denied = deniedTopics(ctx, Op.DESCRIBE, req.topics.map((t) => t.name));
    const topics = await Promise.all(
      req.topics.map(async (t) => ({
        name: t.name,
        partitions: await Promise.all(
          t.partitions.map(async (p): Promise<ListOffsetsResponseListOffsetsPartitionResponse> => {
            const out = { partitionIndex: p.partitionIndex, errorCode: 0, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: -1 };
            if (denied?.has(t.name) === true) return { ...out, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
            // In a cluster only the leader answers (a follower's log may be behind or diverged).
            const { replication } = ctx.broker;
            const notLeader = replication?.notLeader(t.name, p.partitionIndex, version >= 4 ? p.currentLeaderEpoch : -1) ?? null;
            if (notLeader !== null) return { ...out, errorCode: notLeader.errorCode };
            const log = ctx.broker.replicas.log(t.name, p.partitionIndex);
            if (log === undefined) return { ...out, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
            const fenced = version >= 4 ? checkCurrentLeaderEpoch(ctx.broker.replicas, t.name, p.partitionIndex, p.currentLeaderEpoch) : 0;
            if (fenced !== 0) return { ...out, errorCode: fenced };
            if (version === 0) return p.timestamp < EARLIEST ? { ...out, errorCode: ErrorCode.UNSUPPORTED_VERSION } : legacyOffsets(ctx, req.replicaId, log, p, out);
            // READ_COMMITTED (v2+) answers "latest" with the last stable offset.
            if (p.timestamp === LATEST) return { ...out, offset: version >= 2 && req.isolationLevel === 1 ? log.lastStableOffset : log.highWatermark, leaderEpoch: log.latestEpoch ?? -1 };
            if (p.timestamp === EARLIEST) return { ...out, offset: log.logStartOffset, leaderEpoch: log.epochForOffset(log.logStartOffset) ?? -1 };
            if (p.timestamp === MAX_TIMESTAMP && version >= 7) {
              const m = await log.maxTimestampOffset();
              return m === null ? out : { ...out, offset: m.offset, timestamp: m.timestamp, leaderEpoch: m.offset < 0 ? -1 : (log.epochForOffset(m.offset) ?? -1) };
            }
            // As Kafka: a special timestamp unknown at this version (-3 below v7, -4, -5, ...).
            if (p.timestamp < 0) return { ...out, errorCode: ErrorCode.UNSUPPORTED_VERSION };
            const found = await log.offsetForTimestamp(p.timestamp);
            return found === null ? out : { ...out, offset: found.offset, timestamp: found.timestamp, leaderEpoch: log.epochForOffset(found.offset) ?? -1 };
          }),
        ),
      })),
    );
    return { throttleTimeMs: 0, topics };
  },
};
