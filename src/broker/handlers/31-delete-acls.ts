// DeleteAcls (key 31), versions 0–3. v1+: pattern type filter (ANY, MATCH, LITERAL, PREFIXED).
// v2+: flexible. v3: same as v2.
// Needs Alter on the cluster. Each filter's matching bindings are removed from the metadata
// (all filters' removals together) and listed in its result. Without an authorizer every filter
// is refused with SECURITY_DISABLED (54), as Kafka does.
import { ErrorCode } from '../../protocol/errors.js';
import { DeleteAclsRequestSchema, DeleteAclsResponseSchema, type DeleteAclsRequest, type DeleteAclsResponse } from '../../protocol/messages/31-delete-acls.js';
import { NO_AUTHORIZER_ALTER, refuseUnknownAclCodes } from '../no-authorizer.js';
import { CLUSTER_AUTHORIZATION_MESSAGE, deleteAcls } from '../acl-apis.js';
import { Op, onCluster } from '../access.js';
import type { Handler } from '../handler.js';

export const deleteAclsHandler: Handler<DeleteAclsRequest, DeleteAclsResponse> = {
  apiKey: 31,
  minVersion: 0,
  maxVersion: 3,
  request: DeleteAclsRequestSchema,
  response: DeleteAclsResponseSchema,
  async handle(ctx, req) {
    for (const f of req.filters) {
      const { resourceTypeFilter: resourceType, patternTypeFilter: patternType, operation, permissionType } = f;
      refuseUnknownAclCodes('DeleteAcls filter', { resourceType, patternType, operation, permissionType });
    }
    const authorizer = ctx.broker.authorizer;
    const refuse = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) });
    if (!onCluster(ctx, Op.ALTER)) return refuse(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_MESSAGE);
    if (authorizer == null) return refuse(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER_ALTER);
    return { throttleTimeMs: 0, filterResults: await deleteAcls(authorizer, req.filters) };
  },
};
