// DescribeUserScramCredentials (key 50), version 0 (flexible). The users with SCRAM credentials
// and, per mechanism, the iteration count (never the salt or keys), as Kafka's ScramImage answers:
// no users named (null or empty) lists them all; a named user without credentials is
// RESOURCE_NOT_FOUND, one named twice DUPLICATE_RESOURCE, each with Kafka's sentence.
import { ErrorCode } from '../../protocol/errors.js';
import {
  DescribeUserScramCredentialsRequestSchema, DescribeUserScramCredentialsResponseSchema,
  type DescribeUserScramCredentialsRequest, type DescribeUserScramCredentialsResponse, type DescribeUserScramCredentialsResponseDescribeUserScramCredentialsResult as Result,
} from '../../protocol/messages/50-describe-user-scram-credentials.js';
import { Op, onCluster } from '../access.js';
import { CLUSTER_AUTHORIZATION_MESSAGE } from '../acl-apis.js';
import type { Handler } from '../handler.js';

export const describeUserScramCredentialsHandler: Handler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse> = {
  apiKey: 50,
  minVersion: 0,
  maxVersion: 0,
  request: DescribeUserScramCredentialsRequestSchema,
  response: DescribeUserScramCredentialsResponseSchema,
  async handle(ctx, req) {
    if (!onCluster(ctx, Op.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: CLUSTER_AUTHORIZATION_MESSAGE, results: [] };
    const all = ctx.broker.scram.users();
    const found = (user: string): Result => ({
      user,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      credentialInfos: [...all.get(user)!].map(([m, iterations]) => ({ mechanism: m.code, iterations })),
    });
    const refused = (user: string, errorCode: number, errorMessage: string): Result => ({ user, errorCode, errorMessage, credentialInfos: [] });
    const results: Result[] = [];
    if (req.users === null || req.users.length === 0) {
      for (const user of [...all.keys()].sort()) results.push(found(user));
    } else {
      const times = new Map<string, number>();
      for (const { name } of req.users) times.set(name, (times.get(name) ?? 0) + 1);
      for (const [user, n] of times) {
        if (n > 1) results.push(refused(user, ErrorCode.DUPLICATE_RESOURCE, `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`));
        else if (!all.has(user)) results.push(refused(user, ErrorCode.RESOURCE_NOT_FOUND, `Attempt to describe a user credential that does not exist: ${user}`));
        else results.push(found(user));
      }
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
  },
};
