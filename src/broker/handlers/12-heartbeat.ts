// Heartbeat (key 12), versions 0–4.
// v1+: throttle time. v3+: group.instance.id (a replaced static member is fenced). v4+: flexible.
// REBALANCE_IN_PROGRESS tells a member to rejoin; while the group's partition loads, NONE.
import { ErrorCode } from '../../protocol/errors.js';
import { HeartbeatRequestSchema, HeartbeatResponseSchema, type HeartbeatRequest, type HeartbeatResponse } from '../../protocol/messages/12-heartbeat.js';
import { Op, onGroup } from '../access.js';
import type { Handler } from '../handler.js';

export const heartbeatHandler: Handler<HeartbeatRequest, HeartbeatResponse> = {
  apiKey: 12,
  minVersion: 0,
  maxVersion: 4,
  request: HeartbeatRequestSchema,
  response: HeartbeatResponseSchema,
  async handle(ctx, req, version) {
    if (!onGroup(ctx, Op.READ, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const errorCode = await ctx.broker.groups.heartbeat({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: version >= 3 ? req.groupInstanceId : null,
    });
    return { throttleTimeMs: 0, errorCode };
  },
};
