// LeaveGroup (key 13), versions 0–5.
// v0–v2: one member id; the reply's error is that member's. v1+: throttle time.
// v3+: a batch of members, by member id or (with an empty member id) by group.instance.id, each
// with its own error. v4+: flexible. v5+: a reason per member (logged).
import { ErrorCode } from '../../protocol/errors.js';
import { LeaveGroupRequestSchema, LeaveGroupResponseSchema, type LeaveGroupRequest, type LeaveGroupResponse } from '../../protocol/messages/13-leave-group.js';
import { Op, onGroup } from '../access.js';
import type { Handler } from '../handler.js';

export const leaveGroupHandler: Handler<LeaveGroupRequest, LeaveGroupResponse> = {
  apiKey: 13,
  minVersion: 0,
  maxVersion: 5,
  request: LeaveGroupRequestSchema,
  response: LeaveGroupResponseSchema,
  async handle(ctx, req, version) {
    if (!onGroup(ctx, Op.READ, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] };
    const leaving = version >= 3
      ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: version >= 5 ? m.reason : null }))
      : [{ memberId: req.memberId, groupInstanceId: null, reason: null }];
    const r = await ctx.broker.groups.leaveGroup(req.groupId, leaving);
    if (version >= 3) return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
    const errorCode = r.errorCode !== ErrorCode.NONE ? r.errorCode : (r.members[0]?.errorCode ?? ErrorCode.NONE);
    return { throttleTimeMs: 0, errorCode, members: [] };
  },
};
