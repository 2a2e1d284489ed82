// OffsetDelete (key 47), version 0.
// Deletes committed offsets of an empty group, or of topics a consumer group does not subscribe
// to (GROUP_SUBSCRIBED_TO_TOPIC for those it does). A group-level error comes without partitions.
import { ErrorCode } from '../../protocol/errors.js';
import { OffsetDeleteRequestSchema, OffsetDeleteResponseSchema, type OffsetDeleteRequest, type OffsetDeleteResponse } from '../../protocol/messages/47-offset-delete.js';
import type { TopicPartition } from '../../coordinator/group/offsets.js';
import { Op, deniedTopics, onGroup } from '../access.js';
import type { Handler, RequestContext } from '../handler.js';

function partitionExists(ctx: RequestContext, topic: string, partition: number): boolean {
  const t = ctx.broker.topics.get(topic);
  return t !== undefined && partition >= 0 && partition < t.partitions;
}

export const offsetDeleteHandler: Handler<OffsetDeleteRequest, OffsetDeleteResponse> = {
  apiKey: 47,
  minVersion: 0,
  maxVersion: 0,
  request: OffsetDeleteRequestSchema,
  response: OffsetDeleteResponseSchema,
  async handle(ctx, req) {
    if (!onGroup(ctx, Op.DELETE, req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
    const denied = deniedTopics(ctx, Op.READ, req.topics.map((t) => t.name));
    const errors: number[][] = req.topics.map((t) => t.partitions.map((p) =>
      denied?.has(t.name) === true ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : partitionExists(ctx, t.name, p.partitionIndex) ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
    const known: TopicPartition[] = [];
    const at: Array<[number, number]> = [];
    req.topics.forEach((t, ti) =>
      t.partitions.forEach((p, pi) => {
        if (errors[ti]![pi] !== ErrorCode.NONE) return;
        known.push({ topic: t.name, partition: p.partitionIndex });
        at.push([ti, pi]);
      }),
    );
    const r = await ctx.broker.groups.deleteOffsets(req.groupId, known);
    if (r.errorCode !== ErrorCode.NONE) return { errorCode: r.errorCode, throttleTimeMs: 0, topics: [] };
    r.errors.forEach((code, i) => (errors[at[i]![0]]![at[i]![1]] = code));
    return {
      errorCode: ErrorCode.NONE,
      throttleTimeMs: 0,
      topics: req.topics.map((t, ti) => ({ name: t.name, partitions: t.partitions.map((p, pi) => ({ partitionIndex: p.partitionIndex, errorCode: errors[ti]![pi]! })) })),
    };
  },
};
