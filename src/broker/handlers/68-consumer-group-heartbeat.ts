// ConsumerGroupHeartbeat (key 68), versions 0–1: the KIP-848 consumer group protocol.
// v0: an empty member id on the first heartbeat gets one from the coordinator. v1+: the client
// makes its member id (an empty one is INVALID_REQUEST). Joins (epoch 0), heartbeats, reconciles
// and leaves (epoch -1, a static member -2) — coordinator/group/consumer/heartbeat.ts.
// Needs Read on the group and Describe on every topic named in subscribedTopicNames, as Kafka; a
// regular expression subscription is not filtered by Describe yet (it sees every topic). Without
// `consumer` in group.coordinator.rebalance.protocols, or with group.version 0, it answers
// UNSUPPORTED_VERSION, as Kafka.
import { ErrorCode } from '../../protocol/errors.js';
import {
  ConsumerGroupHeartbeatRequestSchema, ConsumerGroupHeartbeatResponseSchema,
  type ConsumerGroupHeartbeatRequest, type ConsumerGroupHeartbeatResponse,
} from '../../protocol/messages/68-consumer-group-heartbeat.js';
import { Op, deniedTopics, onGroup } from '../access.js';
import type { Handler } from '../handler.js';
import { CONSUMER_PROTOCOL_OFF, consumerProtocolServed } from '../feature-gates.js';

const refused = (errorCode: number, errorMessage: string | null): ConsumerGroupHeartbeatResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null });

export const consumerGroupHeartbeatHandler: Handler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse> = {
  apiKey: 68,
  minVersion: 0,
  maxVersion: 1,
  request: ConsumerGroupHeartbeatRequestSchema,
  response: ConsumerGroupHeartbeatResponseSchema,
  async handle(ctx, req, version) {
    if (!consumerProtocolServed(ctx.broker)) return refused(ErrorCode.UNSUPPORTED_VERSION, CONSUMER_PROTOCOL_OFF);
    if (!onGroup(ctx, Op.READ, req.groupId)) return refused(ErrorCode.GROUP_AUTHORIZATION_FAILED, null);
    const denied = req.subscribedTopicNames === null ? null : deniedTopics(ctx, Op.DESCRIBE, req.subscribedTopicNames);
    if (denied !== null && denied.size > 0)
      return refused(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `The client is not authorized to describe topics: ${[...denied].sort().join(', ')}.`);
    const r = await ctx.broker.groups.consumerGroupHeartbeat({
      groupId: req.groupId,
      memberId: req.memberId,
      memberEpoch: req.memberEpoch,
      instanceId: req.instanceId,
      rackId: req.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      subscribedTopicNames: req.subscribedTopicNames === null ? null : [...req.subscribedTopicNames],
      subscribedTopicRegex: req.subscribedTopicRegex,
      serverAssignor: req.serverAssignor,
      ownedTopicPartitions: req.topicPartitions === null ? null : req.topicPartitions.map((t) => ({ topicId: t.topicId, partitions: [...t.partitions] })),
      clientId: ctx.header.clientId ?? '',
      clientHost: `/${ctx.clientHost}`,
      apiVersion: version,
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      memberId: r.memberId,
      memberEpoch: r.memberEpoch,
      heartbeatIntervalMs: r.heartbeatIntervalMs,
      assignment: r.assignment === null ? null : { topicPartitions: [...r.assignment].map(([topicId, partitions]) => ({ topicId, partitions })) },
    };
  },
};
