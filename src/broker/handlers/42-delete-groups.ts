// DeleteGroups (key 42), versions 0–2.
// Deletes empty groups and their offsets (NON_EMPTY_GROUP while members remain,
// GROUP_ID_NOT_FOUND for unknown ones). An empty share group is deleted with its share-partition
// states in __share_group_state (share-admin.ts), as Kafka 4.2 does. v2+: flexible.
import { ErrorCode } from '../../protocol/errors.js';
import { DeleteGroupsRequestSchema, DeleteGroupsResponseSchema, type DeleteGroupsRequest, type DeleteGroupsResponse } from '../../protocol/messages/42-delete-groups.js';
import { Op, onGroup } from '../access.js';
import type { Handler } from '../handler.js';
import { deleteShareGroup } from '../share-admin.js';

export const deleteGroupsHandler: Handler<DeleteGroupsRequest, DeleteGroupsResponse> = {
  apiKey: 42,
  minVersion: 0,
  maxVersion: 2,
  request: DeleteGroupsRequestSchema,
  response: DeleteGroupsResponseSchema,
  async handle(ctx, req) {
    const remove = async (groupId: string) => (await deleteShareGroup(ctx.broker, groupId)) ?? (await ctx.broker.groups.deleteGroup(groupId));
    const results = await Promise.all(req.groupsNames.map(async (groupId) => ({
      groupId, errorCode: onGroup(ctx, Op.DELETE, groupId) ? await remove(groupId) : ErrorCode.GROUP_AUTHORIZATION_FAILED,
    })));
    return { throttleTimeMs: 0, results };
  },
};
