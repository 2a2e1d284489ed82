// ListGroups (key 16), versions 0–5.
// v1+: throttle time. v3+: flexible. v4+: a states filter and each group's state.
// v5+: a types filter and each group's type ("classic", or "consumer" for KIP-848 groups, whose
// protocol type is "consumer" and state Empty/Assigning/Reconciling/Stable, as Kafka 4 lists them;
// "share" for KIP-932 share groups).
import { ListGroupsRequestSchema, ListGroupsResponseSchema, type ListGroupsRequest, type ListGroupsResponse } from '../../protocol/messages/16-list-groups.js';
import { Op, onCluster, onGroup } from '../access.js';
import { listShareGroups } from '../share-listing.js';
import type { Handler } from '../handler.js';

export const listGroupsHandler: Handler<ListGroupsRequest, ListGroupsResponse> = {
  apiKey: 16,
  minVersion: 0,
  maxVersion: 5,
  request: ListGroupsRequestSchema,
  response: ListGroupsResponseSchema,
  async handle(ctx, req, version) {
    const states = version >= 4 ? req.statesFilter : [];
    const types = version >= 5 ? req.typesFilter : [];
    const r = ctx.broker.groups.listGroups(states, types);
    const all = [
      ...r.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: g.type })),
      // Share groups (KIP-932) are listed beside them, type "share".
      ...listShareGroups(ctx.broker, states, types),
    ];
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      // As Kafka: every group with Describe on the cluster, else those the principal may describe.
      groups: onCluster(ctx, Op.DESCRIBE) ? all : all.filter((g) => onGroup(ctx, Op.DESCRIBE, g.groupId)),
    };
  },
};
