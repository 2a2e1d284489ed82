// DeleteAcls (key 31), versions 0–3. v1+: pattern type filter. v2+: flexible. v3: same as v2.
// No authorizer yet: every filter is refused as a Kafka broker without one refuses it,
// SECURITY_DISABLED (54) with Kafka's message and no matching ACLs.
import { ErrorCode } from '../../protocol/errors.js';
import { DeleteAclsRequestSchema, DeleteAclsResponseSchema, type DeleteAclsRequest, type DeleteAclsResponse } from '../../protocol/messages/31-delete-acls.js';
import { NO_AUTHORIZER_ALTER, refuseUnknownAclCodes } from '../no-authorizer.js';
import type { Handler } from '../handler.js';

export const deleteAclsHandler: Handler<DeleteAclsRequest, DeleteAclsResponse> = {
  apiKey: 31,
  minVersion: 0,
  maxVersion: 3,
  request: DeleteAclsRequestSchema,
  response: DeleteAclsResponseSchema,
  async handle(_ctx, req) {
    for (const f of req.filters) {
      const { resourceTypeFilter: resourceType, patternTypeFilter: patternType, operation, permissionType } = f;
      refuseUnknownAclCodes('DeleteAcls filter', { resourceType, patternType, operation, permissionType });
    }
    const filterResults = req.filters.map(() => ({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: NO_AUTHORIZER_ALTER, matchingAcls: [] }));
    return { throttleTimeMs: 0, filterResults };
  },
};
