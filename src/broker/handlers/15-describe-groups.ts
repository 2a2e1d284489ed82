// DescribeGroups (key 15), versions 0–6.
// v1+: throttle time. v3+: authorized operations when asked. v4+: group.instance.id of members.
// v5+: flexible. A group this broker does not know, or a consumer (KIP-848) or share group, is described as
// Dead: with no error up to v5, with GROUP_ID_NOT_FOUND and Kafka's sentence ("Group g not
// found.", "Group g is not a classic group.") from v6 (KIP-1043).
import { ErrorCode } from '../../protocol/errors.js';
import { DescribeGroupsRequestSchema, DescribeGroupsResponseSchema, type DescribeGroupsRequest, type DescribeGroupsResponse } from '../../protocol/messages/15-describe-groups.js';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED, GROUP_OPERATIONS, authorizedOperations } from '../authorized-operations.js';
import { Op, ResourceType, onGroup, operationsOn } from '../access.js';
import type { Handler } from '../handler.js';
import { listShareGroups } from '../share-listing.js';

/** From this version a group that is not a classic group is answered GROUP_ID_NOT_FOUND, not only Dead. */
const GROUP_ID_NOT_FOUND_VERSION = 6;

export const describeGroupsHandler: Handler<DescribeGroupsRequest, DescribeGroupsResponse> = {
  apiKey: 15,
  minVersion: 0,
  maxVersion: 6,
  request: DescribeGroupsRequestSchema,
  response: DescribeGroupsResponseSchema,
  async handle(ctx, req, version) {
    const asked = version >= 3 && req.includeAuthorizedOperations;
    // Share groups live apart from the classic coordinator; to v6 they too are "not a classic group".
    const shareGroups = version >= GROUP_ID_NOT_FOUND_VERSION ? new Set(listShareGroups(ctx.broker, [], []).map((g) => g.groupId)) : new Set<string>();
    const groups = req.groups.map((groupId) => {
      if (!onGroup(ctx, Op.DESCRIBE, groupId))
        return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED };
      const g = ctx.broker.groups.describeGroup(groupId);
      const operations = authorizedOperations(asked, operationsOn(ctx, ResourceType.GROUP, groupId, GROUP_OPERATIONS));
      const notFound = version >= GROUP_ID_NOT_FOUND_VERSION && g.notFound !== null;
      return {
        errorCode: notFound ? ErrorCode.GROUP_ID_NOT_FOUND : g.errorCode,
        errorMessage: notFound ? (shareGroups.has(groupId) ? `Group ${groupId} is not a classic group.` : g.notFound) : null,
        groupId,
        groupState: g.state,
        protocolType: g.protocolType,
        protocolData: g.protocol,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.metadata,
          memberAssignment: m.assignment,
        })),
        authorizedOperations: operations,
      };
    });
    return { throttleTimeMs: 0, groups };
  },
};
