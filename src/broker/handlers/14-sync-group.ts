// SyncGroup (key 14), versions 0–5.
// The leader sends the assignment; it is written to __consumer_offsets before anyone is answered.
// Followers wait (parking their connection, as in Kafka) until it is. v1+: throttle time.
// v3+: group.instance.id. v4+: flexible. v5+: protocol type and name, checked against the group's
// and returned.
import { ErrorCode } from '../../protocol/errors.js';
import { SyncGroupRequestSchema, SyncGroupResponseSchema, type SyncGroupRequest, type SyncGroupResponse } from '../../protocol/messages/14-sync-group.js';
import { Op, onGroup } from '../access.js';
import type { Handler } from '../handler.js';

export const syncGroupHandler: Handler<SyncGroupRequest, SyncGroupResponse> = {
  apiKey: 14,
  minVersion: 0,
  maxVersion: 5,
  request: SyncGroupRequestSchema,
  response: SyncGroupResponseSchema,
  async handle(ctx, req, version) {
    if (!onGroup(ctx, Op.READ, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
    const r = await ctx.broker.groups.syncGroup({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: version >= 3 ? req.groupInstanceId : null,
      protocolType: version >= 5 ? req.protocolType : null,
      protocolName: version >= 5 ? req.protocolName : null,
      assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
    });
    return { throttleTimeMs: 0, errorCode: r.errorCode, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment };
  },
};
