// CreateAcls (key 30), versions 0–3. v1+: resource pattern type. v2+: flexible. v3: same as v2.
// No authorizer yet: every creation is refused as a Kafka broker without one refuses it,
// SECURITY_DISABLED (54) with Kafka's message; nothing is stored.
import { ErrorCode } from '../../protocol/errors.js';
import { CreateAclsRequestSchema, CreateAclsResponseSchema, type CreateAclsRequest, type CreateAclsResponse } from '../../protocol/messages/30-create-acls.js';
import { NO_AUTHORIZER_ALTER, refuseUnknownAclCodes } from '../no-authorizer.js';
import type { Handler } from '../handler.js';

export const createAclsHandler: Handler<CreateAclsRequest, CreateAclsResponse> = {
  apiKey: 30,
  minVersion: 0,
  maxVersion: 3,
  request: CreateAclsRequestSchema,
  response: CreateAclsResponseSchema,
  async handle(_ctx, req) {
    for (const c of req.creations) {
      const { resourceType, resourcePatternType: patternType, operation, permissionType } = c;
      refuseUnknownAclCodes('CreateAcls creation', { resourceType, patternType, operation, permissionType });
    }
    const results = req.creations.map(() => ({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: NO_AUTHORIZER_ALTER }));
    return { throttleTimeMs: 0, results };
  },
};
