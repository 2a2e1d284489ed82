// OffsetForLeaderEpoch (key 23), versions 2–4, as Kafka 4 serves it (v0–1 were removed, KIP-896).
// v2+: current_leader_epoch fences callers with old metadata: older than the partition's leader
// epoch → FENCED_LEADER_EPOCH, newer → UNKNOWN_LEADER_EPOCH, -1 → not checked. The answer is
// where the requested epoch ended in the leader's log (the leader epoch cache); an epoch it
// cannot place → -1/-1 with no error. v3+: replica_id (a follower's or -1 for a consumer):
// read and not needed, every caller gets the same answer. v4+: flexible.
import { ErrorCode } from '../../protocol/errors.js';
import {
  OffsetForLeaderEpochRequestSchema,
  OffsetForLeaderEpochResponseSchema,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
  type OffsetForLeaderEpochResponseEpochEndOffset,
} from '../../protocol/messages/23-offset-for-leader-epoch.js';
import { checkCurrentLeaderEpoch } from '../fetch.js';
import { Op, deniedTopics, onCluster } from '../access.js';
import type { Handler } from '../handler.js';

export const offsetForLeaderEpochHandler: Handler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> = {
  apiKey: 23,
  minVersion: 2,
  maxVersion: 4,
  request: OffsetForLeaderEpochRequestSchema,
  response: OffsetForLeaderEpochResponseSchema,
  async handle(ctx, req) {
    const replicas = ctx.broker.replicas;
    // As Kafka: brokers (ClusterAction on the cluster) may ask of any topic, consumers (KIP-320) of those they may describe.
    const denied = onCluster(ctx, Op.CLUSTER_ACTION) ? null : deniedTopics(ctx, Op.DESCRIBE, req.topics.map((t) => t.topic));
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p): OffsetForLeaderEpochResponseEpochEndOffset => {
          const out = { errorCode: 0, partition: p.partition, leaderEpoch: -1, endOffset: -1 };
          if (denied?.has(t.topic) === true) return { ...out, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
          const log = replicas.log(t.topic, p.partition);
          if (log === undefined) return { ...out, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          if (log.isOffline) return { ...out, errorCode: ErrorCode.KAFKA_STORAGE_ERROR };
          const fenced = checkCurrentLeaderEpoch(replicas, t.topic, p.partition, p.currentLeaderEpoch);
          if (fenced !== 0) return { ...out, errorCode: fenced };
          const found = log.endOffsetForEpoch(p.leaderEpoch);
          return found === null ? out : { ...out, leaderEpoch: found.leaderEpoch, endOffset: found.endOffset };
        }),
      })),
    };
  },
};
