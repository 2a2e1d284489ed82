// OffsetCommit (key 8), versions 0–9.
// v0: no generation or member: a commit outside group management (stored in __consumer_offsets,
// as every version; Kafka once kept v0 commits in ZooKeeper). v1: generation and member id, and
// a commit timestamp per partition (-1 = now) that is stored as given.
// v2–v4: a retention time for these offsets (-1 = offsets.retention.minutes). v3+: throttle
// time. v5+: no retention time. v6+: the leader epoch of each offset. v7+: group.instance.id.
// v8+: flexible. v9 (KIP-848): for a consumer-protocol group the generation field is the member
// epoch (a member's commit needs v9+: UNSUPPORTED_VERSION below; UNKNOWN_MEMBER_ID, STALE_MEMBER_EPOCH
// as Kafka); for a classic group it is read as the generation.
// Generation -1 with an empty member id commits outside group management (for an empty group).
import { ErrorCode } from '../../protocol/errors.js';
import { OffsetCommitRequestSchema, OffsetCommitResponseSchema, type OffsetCommitRequest, type OffsetCommitResponse } from '../../protocol/messages/08-offset-commit.js';
import type { OffsetToCommit } from '../../coordinator/group/offsets.js';
import { Op, deniedTopics, onGroup } from '../access.js';
import type { Handler, RequestContext } from '../handler.js';

function partitionExists(ctx: RequestContext, topic: string, partition: number): boolean {
  const t = ctx.broker.topics.get(topic);
  return t !== undefined && partition >= 0 && partition < t.partitions;
}

export const offsetCommitHandler: Handler<OffsetCommitRequest, OffsetCommitResponse> = {
  apiKey: 8,
  minVersion: 0,
  maxVersion: 9,
  request: OffsetCommitRequestSchema,
  response: OffsetCommitResponseSchema,
  async handle(ctx, req, version) {
    // As Kafka: Read on the group (else every partition fails), then Read on each topic, then the topics exist.
    const groupDenied = !onGroup(ctx, Op.READ, req.groupId);
    const denied = deniedTopics(ctx, Op.READ, req.topics.map((t) => t.name));
    const errors: number[][] = req.topics.map((t) => t.partitions.map((p) =>
      groupDenied ? ErrorCode.GROUP_AUTHORIZATION_FAILED : denied?.has(t.name) === true ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
        : partitionExists(ctx, t.name, p.partitionIndex) ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
    const offsets: OffsetToCommit[] = [];
    const at: Array<[number, number]> = [];
    req.topics.forEach((t, ti) =>
      t.partitions.forEach((p, pi) => {
        if (errors[ti]![pi] !== ErrorCode.NONE) return;
        offsets.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: version >= 6 ? p.committedLeaderEpoch : -1, metadata: p.committedMetadata, commitTimestamp: version === 1 ? p.commitTimestamp : undefined });
        at.push([ti, pi]);
      }),
    );
    if (offsets.length > 0) {
      const codes = await ctx.broker.groups.commitOffsets({
        groupId: req.groupId,
        generationId: req.generationIdOrMemberEpoch,
        memberId: req.memberId,
        groupInstanceId: version >= 7 ? req.groupInstanceId : null,
        retentionTimeMs: version <= 4 ? req.retentionTimeMs : -1n,
        offsets,
        apiVersion: version,
      });
      codes.forEach((code, i) => (errors[at[i]![0]]![at[i]![1]] = code));
    }
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t, ti) => ({ name: t.name, partitions: t.partitions.map((p, pi) => ({ partitionIndex: p.partitionIndex, errorCode: errors[ti]![pi]! })) })),
    };
  },
};
