// DescribeAcls (key 29), versions 0–3. v1+: pattern type filter. v2+: flexible. v3: same as v2.
// No authorizer yet: answered as a Kafka broker without one answers, SECURITY_DISABLED (54) with
// Kafka's message and no resources.
import { ErrorCode } from '../../protocol/errors.js';
import { DescribeAclsRequestSchema, DescribeAclsResponseSchema, type DescribeAclsRequest, type DescribeAclsResponse } from '../../protocol/messages/29-describe-acls.js';
import { NO_AUTHORIZER_DESCRIBE, refuseUnknownAclCodes } from '../no-authorizer.js';
import type { Handler } from '../handler.js';

export const describeAclsHandler: Handler<DescribeAclsRequest, DescribeAclsResponse> = {
  apiKey: 29,
  minVersion: 0,
  maxVersion: 3,
  request: DescribeAclsRequestSchema,
  response: DescribeAclsResponseSchema,
  async handle(_ctx, req) {
    const { resourceTypeFilter, patternTypeFilter, operation, permissionType } = req;
    refuseUnknownAclCodes('DescribeAcls filter', { resourceType: resourceTypeFilter, patternType: patternTypeFilter, operation, permissionType });
    return { throttleTimeMs: 0, errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: NO_AUTHORIZER_DESCRIBE, resources: [] };
  },
};
