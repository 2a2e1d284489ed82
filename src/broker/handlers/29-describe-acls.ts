// DescribeAcls (key 29), versions 0–3. v1+: pattern type filter (ANY, MATCH, LITERAL, PREFIXED).
// v2+: flexible. v3: same as v2.
// Needs Describe on the cluster (else CLUSTER_AUTHORIZATION_FAILED). Without an authorizer,
// SECURITY_DISABLED (54) with Kafka's message, as a Kafka broker without one answers.
import { ErrorCode } from '../../protocol/errors.js';
import { DescribeAclsRequestSchema, DescribeAclsResponseSchema, type DescribeAclsRequest, type DescribeAclsResponse } from '../../protocol/messages/29-describe-acls.js';
import { NO_AUTHORIZER_DESCRIBE, refuseUnknownAclCodes } from '../no-authorizer.js';
import { describeAcls, CLUSTER_AUTHORIZATION_MESSAGE } from '../acl-apis.js';
import { Op, onCluster } from '../access.js';
import type { Handler } from '../handler.js';

export const describeAclsHandler: Handler<DescribeAclsRequest, DescribeAclsResponse> = {
  apiKey: 29,
  minVersion: 0,
  maxVersion: 3,
  request: DescribeAclsRequestSchema,
  response: DescribeAclsResponseSchema,
  async handle(ctx, req) {
    const { resourceTypeFilter, patternTypeFilter, operation, permissionType } = req;
    refuseUnknownAclCodes('DescribeAcls filter', { resourceType: resourceTypeFilter, patternType: patternTypeFilter, operation, permissionType });
    const authorizer = ctx.broker.authorizer;
    if (!onCluster(ctx, Op.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: CLUSTER_AUTHORIZATION_MESSAGE, resources: [] };
    if (authorizer == null) return { throttleTimeMs: 0, errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: NO_AUTHORIZER_DESCRIBE, resources: [] };
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: describeAcls(authorizer, req) };
  },
};
