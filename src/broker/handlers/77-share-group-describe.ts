// ShareGroupDescribe (key 77), version 1. A share group's state (Empty or Stable), epochs, the
// "simple" assignor and each member with its subscription and assignment; GROUP_ID_NOT_FOUND for
// a group that is not a share group here. Authorized operations as Kafka reports them when asked.
import { ErrorCode } from '../../protocol/errors.js';
import { ShareGroupDescribeRequestSchema, ShareGroupDescribeResponseSchema, type ShareGroupDescribeRequest, type ShareGroupDescribeResponse } from '../../protocol/messages/77-share-group-describe.js';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED, GROUP_OPERATIONS, authorizedOperations } from '../authorized-operations.js';
import { Op, ResourceType, onGroup, operationsOn } from '../access.js';
import type { Handler } from '../handler.js';
import { SHARE_GROUPS_OFF, shareGroupsServed } from '../feature-gates.js';
import { SHARE_ASSIGNOR, ShareGroups } from '../../coordinator/share/group.js';

type Described = ShareGroupDescribeResponse['groups'][number];

export const shareGroupDescribeHandler: Handler<ShareGroupDescribeRequest, ShareGroupDescribeResponse> = {
  apiKey: 77,
  minVersion: 1,
  maxVersion: 1,
  request: ShareGroupDescribeRequestSchema,
  response: ShareGroupDescribeResponseSchema,
  async handle(ctx, req) {
    const shares = ctx.broker.groups.shares;
    const groups = req.groupIds.map((groupId): Described => {
      const empty = (errorCode: number, errorMessage: string | null = null): Described => ({ errorCode, errorMessage, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED });
      if (!shareGroupsServed(ctx.broker)) return empty(ErrorCode.UNSUPPORTED_VERSION, SHARE_GROUPS_OFF);
      if (!onGroup(ctx, Op.DESCRIBE, groupId)) return empty(ErrorCode.GROUP_AUTHORIZATION_FAILED);
      const notHere = ctx.broker.groups.groupError(groupId, 'non-empty');
      if (notHere !== null) return empty(notHere);
      const g = shares.get(groupId);
      if (g === undefined) return empty(ErrorCode.GROUP_ID_NOT_FOUND, `group ${groupId} is not a share group`);
      const topicName = (id: string) => ctx.broker.topics.getById(id)?.name ?? '';
      return {
        errorCode: 0,
        errorMessage: null,
        groupId,
        groupState: ShareGroups.state(g),
        groupEpoch: g.groupEpoch,
        assignmentEpoch: g.assignmentEpoch,
        assignorName: SHARE_ASSIGNOR,
        members: [...g.members.values()].map((m) => ({
          memberId: m.memberId,
          rackId: m.rackId,
          memberEpoch: m.memberEpoch,
          clientId: m.clientId,
          clientHost: m.clientHost,
          subscribedTopicNames: m.subscribedTopicNames,
          assignment: { topicPartitions: [...m.assignment].map(([topicId, partitions]) => ({ topicId, topicName: topicName(topicId), partitions })) },
        })),
        authorizedOperations: authorizedOperations(req.includeAuthorizedOperations, operationsOn(ctx, ResourceType.GROUP, groupId, GROUP_OPERATIONS)),
      };
    });
    return { throttleTimeMs: 0, groups };
  },
};
