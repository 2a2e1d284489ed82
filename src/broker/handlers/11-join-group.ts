// JoinGroup (key 11), versions 0–9.
// v0: no rebalance timeout (the session timeout serves). v1+: rebalance timeout. v2+: throttle
// time. v4+: a dynamic member joining without an id is given one with MEMBER_ID_REQUIRED and
// rejoins with it. v5+: group.instance.id (static membership). v6+: flexible. v7+: the reply
// carries the protocol type, and a null protocol name when none. v8+: a reason (logged).
// v9+: skip_assignment for a static leader rejoining a stable group.
// The request waits (parks this connection, as in Kafka) until the rebalance completes.
import { ErrorCode } from '../../protocol/errors.js';
import { JoinGroupRequestSchema, JoinGroupResponseSchema, type JoinGroupRequest, type JoinGroupResponse } from '../../protocol/messages/11-join-group.js';
import { Op, onGroup } from '../access.js';
import type { Handler } from '../handler.js';

export const joinGroupHandler: Handler<JoinGroupRequest, JoinGroupResponse> = {
  apiKey: 11,
  minVersion: 0,
  maxVersion: 9,
  request: JoinGroupRequestSchema,
  response: JoinGroupResponseSchema,
  async handle(ctx, req, version) {
    const groupInstanceId = version >= 5 ? req.groupInstanceId : null;
    if (!onGroup(ctx, Op.READ, req.groupId))
      return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, generationId: -1, protocolType: null, protocolName: version >= 7 ? null : '', leader: '', skipAssignment: false, memberId: '', members: [] };
    const r = await ctx.broker.groups.joinGroup({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId,
      clientId: ctx.header.clientId ?? '',
      clientHost: `/${ctx.clientHost}`,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: version === 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
      protocolType: req.protocolType,
      // Copied: the group keeps them, the request frame is not kept.
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
      requireKnownMemberId: version >= 4 && groupInstanceId === null,
      supportSkippingAssignment: version >= 9,
      reason: version >= 8 ? req.reason : null,
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      generationId: r.generationId,
      protocolType: r.protocolType,
      protocolName: version >= 7 ? r.protocolName : (r.protocolName ?? ''),
      leader: r.leader,
      skipAssignment: r.skipAssignment,
      memberId: r.memberId,
      members: r.members,
    };
  },
};
