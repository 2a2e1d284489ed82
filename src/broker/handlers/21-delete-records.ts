// DeleteRecords (key 21), versions 0–2.
// Moves each partition's log start offset up to the given offset (-1 = the high watermark);
// whole segments below it are deleted, and reads below it answer OFFSET_OUT_OF_RANGE. Returns
// the new low watermark (log start offset). An offset beyond the high watermark, or negative
// other than -1 → OFFSET_OUT_OF_RANGE; unknown partition → UNKNOWN_TOPIC_OR_PARTITION; internal
// topics → INVALID_TOPIC_EXCEPTION. The start offset is checkpointed before the reply.
// v1: same as v0. v2+: flexible.
import { ErrorCode } from '../../protocol/errors.js';
import { DeleteRecordsRequestSchema, DeleteRecordsResponseSchema, type DeleteRecordsRequest, type DeleteRecordsResponse, type DeleteRecordsResponseDeleteRecordsPartitionResult } from '../../protocol/messages/21-delete-records.js';
import { isInternalTopic } from '../../cluster/topic-names.js';
import { StorageError } from '../../storage/errors.js';
import { Op, onTopic } from '../access.js';
import type { Handler } from '../handler.js';

/** Kafka's "up to the high watermark" offset in DeleteRecords. */
const HIGH_WATERMARK = -1;

export const deleteRecordsHandler: Handler<DeleteRecordsRequest, DeleteRecordsResponse> = {
  apiKey: 21,
  minVersion: 0,
  maxVersion: 2,
  request: DeleteRecordsRequestSchema,
  response: DeleteRecordsResponseSchema,
  async handle(ctx, req) {
    const topics = await Promise.all(
      req.topics.map(async (t) => ({
        name: t.name,
        partitions: await Promise.all(
          t.partitions.map(async (p): Promise<DeleteRecordsResponseDeleteRecordsPartitionResult> => {
            const fail = (errorCode: number) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode });
            if (!onTopic(ctx, Op.DELETE, t.name)) return fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
            if (isInternalTopic(t.name)) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION);
            const log = ctx.broker.topics.isCreating(t.name) ? undefined : ctx.broker.replicas.log(t.name, p.partitionIndex);
            if (log === undefined) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
            // In a cluster the leader moves the log start; followers follow it through their fetches.
            const notLeader = ctx.broker.replication?.notLeader(t.name, p.partitionIndex) ?? null;
            if (notLeader !== null) return fail(notLeader.errorCode);
            const offset = p.offset === HIGH_WATERMARK ? log.highWatermark : p.offset;
            if (offset < 0 || offset > log.highWatermark) return fail(ErrorCode.OFFSET_OUT_OF_RANGE);
            try {
              return { partitionIndex: p.partitionIndex, lowWatermark: await log.deleteRecordsBefore(offset), errorCode: 0 };
            } catch (err) {
              if (!(err instanceof StorageError)) throw err;
              return fail(err.code);
            }
          }),
        ),
      })),
    );
    return { throttleTimeMs: 0, topics };
  },
};
