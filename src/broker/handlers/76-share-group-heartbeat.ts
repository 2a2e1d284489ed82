// ShareGroupHeartbeat (key 76), version 1 (KIP-932 as Kafka 4.1/4.2 serve it; v0 was Kafka 4.0's
// early access, removed in 4.1). Join (epoch 0, the client's own member id, or one made here when
// it sends none), heartbeat, leave (epoch −1); the assignment in every response (the simple
// assignor). Membership is written to __consumer_offsets before the answer, so it survives a
// restart or a coordinator move. Not done yet: rack-aware assignment, per-group configs.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { ShareGroupHeartbeatRequestSchema, ShareGroupHeartbeatResponseSchema, type ShareGroupHeartbeatRequest, type ShareGroupHeartbeatResponse } from '../../protocol/messages/76-share-group-heartbeat.js';
import { Op, onGroup, onTopic } from '../access.js';
import type { Handler } from '../handler.js';
import { SHARE_GROUPS_OFF, shareGroupsServed } from '../feature-gates.js';
import { ShareService } from '../share-service.js';

function refuse(errorCode: number, errorMessage: string | null = null): ShareGroupHeartbeatResponse {
  return { throttleTimeMs: 0, errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
}

export const shareGroupHeartbeatHandler: Handler<ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponse> = {
  apiKey: 76,
  minVersion: 1,
  maxVersion: 1,
  request: ShareGroupHeartbeatRequestSchema,
  response: ShareGroupHeartbeatResponseSchema,
  async handle(ctx, req) {
    if (!shareGroupsServed(ctx.broker)) return refuse(ErrorCode.UNSUPPORTED_VERSION, SHARE_GROUPS_OFF);
    if (!onGroup(ctx, Op.READ, req.groupId)) return refuse(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    if (req.subscribedTopicNames !== null && req.subscribedTopicNames.some((t) => !onTopic(ctx, Op.DESCRIBE, t))) return refuse(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const notHere = ctx.broker.groups.groupError(req.groupId, 'non-empty');
    if (notHere !== null) return refuse(notHere);
    if (ctx.broker.groups.getGroup(req.groupId) !== undefined) return refuse(ErrorCode.GROUP_ID_NOT_FOUND, `group ${req.groupId} is not a share group`);
    // The share service (sessions, share-partitions) follows the members it lets go of.
    const share = ShareService.of(ctx.broker);
    try {
      const r = await share.groups.heartbeat({
        groupId: req.groupId,
        memberId: req.memberId,
        memberEpoch: req.memberEpoch,
        rackId: req.rackId,
        subscribedTopicNames: req.subscribedTopicNames,
        clientId: ctx.header.clientId ?? '',
        clientHost: ctx.clientHost,
      });
      const assignment = r.assignment === null ? null : { topicPartitions: r.assignment };
      return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, memberId: r.memberId, memberEpoch: r.memberEpoch, heartbeatIntervalMs: r.heartbeatIntervalMs, assignment };
    } catch (err) {
      if (err instanceof KafkaError) return refuse(err.code, err.message);
      throw err;
    }
  },
};
