// OffsetFetch (key 9), versions 0–9.
// v0–v1: the offsets of the partitions asked for (-1 where none), errors per partition.
// v2+: null topics = every partition the group has offsets for; a top-level error. v3+:
// throttle time. v5+: leader epochs. v6+: flexible. v7+: require_stable (a partition with a
// transactional commit pending answers UNSTABLE_OFFSET_COMMIT; the client retries). v8+: several groups per request. v9: member id
// and epoch (KIP-848) are not checked for classic groups, as in Kafka.
// v0 reads the same offsets as v1 (Kafka once read v0 offsets from ZooKeeper).
import { ErrorCode } from '../../protocol/errors.js';
import { OffsetFetchRequestSchema, OffsetFetchResponseSchema, type OffsetFetchRequest, type OffsetFetchResponse } from '../../protocol/messages/09-offset-fetch.js';
import type { FetchResult, FetchingMember } from '../../coordinator/group/offsets.js';
import { Op, deniedTopics, onGroup } from '../access.js';
import type { RequestContext } from '../handler.js';
import type { Handler } from '../handler.js';

type Topics = Array<{ name: string; partitionIndexes: number[] }> | null;

function toTopics(r: FetchResult) {
  return r.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, committedOffset: p.offset, committedLeaderEpoch: p.leaderEpoch, metadata: p.metadata, errorCode: p.errorCode })),
  }));
}

export const offsetFetchHandler: Handler<OffsetFetchRequest, OffsetFetchResponse> = {
  apiKey: 9,
  minVersion: 0,
  maxVersion: 9,
  request: OffsetFetchRequestSchema,
  response: OffsetFetchResponseSchema,
  async handle(ctx, req, version) {
    const requireStable = version >= 7 && req.requireStable;
    const fetch = (groupId: string, topics: Topics, member: FetchingMember | null = null): FetchResult =>
      onGroup(ctx, Op.DESCRIBE, groupId)
        ? describableOffsets(ctx, topics, ctx.broker.groups.fetchOffsets(groupId, topics === null ? null : topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes })), requireStable, member))
        : { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
    if (version >= 8) {
      const groups = req.groups.map((g) => {
        const r = fetch(g.groupId, g.topics, version >= 9 ? { memberId: g.memberId, memberEpoch: g.memberEpoch } : null);
        return { groupId: g.groupId, topics: toTopics(r), errorCode: r.errorCode };
      });
      return { throttleTimeMs: 0, topics: [], errorCode: 0, groups };
    }
    const topics: Topics = version <= 1 ? (req.topics ?? []) : req.topics;
    const r = fetch(req.groupId, topics);
    if (r.errorCode !== ErrorCode.NONE && version <= 1) {
      // v0–v1 have no top-level error: every partition asked for carries it.
      const failed = (topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: r.errorCode })),
      }));
      return { throttleTimeMs: 0, topics: failed, errorCode: r.errorCode, groups: [] };
    }
    return { throttleTimeMs: 0, topics: toTopics(r), errorCode: r.errorCode, groups: [] };
  },
};

/**
 * As Kafka: offsets of topics the principal may not describe are not shown; asked for by name,
 * their partitions answer TOPIC_AUTHORIZATION_FAILED.
 */
function describableOffsets(ctx: RequestContext, asked: Topics, r: FetchResult): FetchResult {
  const denied = deniedTopics(ctx, Op.DESCRIBE, r.topics.map((t) => t.name));
  if (denied === null || denied.size === 0) return r;
  const topics = r.topics.filter((t) => !denied.has(t.name));
  for (const t of asked ?? []) {
    if (!denied.has(t.name)) continue;
    topics.push({ name: t.name, partitions: t.partitionIndexes.map((partition) => ({ partition, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) });
  }
  return { ...r, topics };
}
