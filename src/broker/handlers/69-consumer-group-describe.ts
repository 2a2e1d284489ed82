// ConsumerGroupDescribe (key 69), version 0: KIP-848 consumer groups, their epochs, members,
// assignments and target assignments. A classic group or an unknown one is GROUP_ID_NOT_FOUND,
// as in Kafka. Describe on the group; authorized operations when asked. UNSUPPORTED_VERSION per
// group without `consumer` in group.coordinator.rebalance.protocols or with group.version 0.
import { ErrorCode } from '../../protocol/errors.js';
import {
  ConsumerGroupDescribeRequestSchema, ConsumerGroupDescribeResponseSchema,
  type ConsumerGroupDescribeRequest, type ConsumerGroupDescribeResponse,
} from '../../protocol/messages/69-consumer-group-describe.js';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED, GROUP_OPERATIONS, authorizedOperations } from '../authorized-operations.js';
import { Op, ResourceType, onGroup, operationsOn } from '../access.js';
import type { Handler } from '../handler.js';
import { consumerProtocolServed } from '../feature-gates.js';

const refused = (groupId: string, errorCode: number) =>
  ({ errorCode, errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED });

export const consumerGroupDescribeHandler: Handler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse> = {
  apiKey: 69,
  minVersion: 0,
  maxVersion: 0,
  request: ConsumerGroupDescribeRequestSchema,
  response: ConsumerGroupDescribeResponseSchema,
  async handle(ctx, req) {
    const enabled = consumerProtocolServed(ctx.broker);
    const groups = req.groupIds.map((groupId) => {
      if (!enabled)
        return refused(groupId, ErrorCode.UNSUPPORTED_VERSION);
      if (!onGroup(ctx, Op.DESCRIBE, groupId))
        return refused(groupId, ErrorCode.GROUP_AUTHORIZATION_FAILED);
      const g = ctx.broker.groups.consumerGroupDescribe(groupId);
      const authorized = g.errorCode === ErrorCode.NONE ? authorizedOperations(req.includeAuthorizedOperations, operationsOn(ctx, ResourceType.GROUP, groupId, GROUP_OPERATIONS)) : AUTHORIZED_OPERATIONS_NOT_REQUESTED;
      return { ...g, authorizedOperations: authorized };
    });
    return { throttleTimeMs: 0, groups };
  },
};
