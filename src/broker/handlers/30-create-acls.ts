// CreateAcls (key 30), versions 0–3. v1+: resource pattern type. v2+: flexible. v3: same as v2.
// Needs Alter on the cluster. Each binding is checked as Kafka checks it (a per-creation
// INVALID_REQUEST with Kafka's sentence); the valid ones are stored together in the metadata.
// Without an authorizer every creation is refused with SECURITY_DISABLED (54), as Kafka does.
import { ErrorCode } from '../../protocol/errors.js';
import { CreateAclsRequestSchema, CreateAclsResponseSchema, type CreateAclsRequest, type CreateAclsResponse } from '../../protocol/messages/30-create-acls.js';
import { NO_AUTHORIZER_ALTER, refuseUnknownAclCodes } from '../no-authorizer.js';
import { CLUSTER_AUTHORIZATION_MESSAGE } from '../acl-apis.js';
import { Op, onCluster } from '../access.js';
import type { Handler } from '../handler.js';

export const createAclsHandler: Handler<CreateAclsRequest, CreateAclsResponse> = {
  apiKey: 30,
  minVersion: 0,
  maxVersion: 3,
  request: CreateAclsRequestSchema,
  response: CreateAclsResponseSchema,
  async handle(ctx, req) {
    for (const c of req.creations) {
      const { resourceType, resourcePatternType: patternType, operation, permissionType } = c;
      refuseUnknownAclCodes('CreateAcls creation', { resourceType, patternType, operation, permissionType });
    }
    const authorizer = ctx.broker.authorizer;
    const refuse = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage })) });
    if (!onCluster(ctx, Op.ALTER)) return refuse(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_MESSAGE);
    if (authorizer == null) return refuse(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER_ALTER);
    const bindings = req.creations.map((c) => ({ ...c, patternType: c.resourcePatternType }));
    return { throttleTimeMs: 0, results: await authorizer.createAcls(bindings) };
  },
};
