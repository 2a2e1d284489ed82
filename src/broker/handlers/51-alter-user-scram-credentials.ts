// AlterUserScramCredentials (key 51), version 0 (flexible). Sets and deletes SCRAM credentials in
// the cluster metadata, as Kafka's ScramControlManager does: a user may appear once per request
// (DUPLICATE_RESOURCE otherwise), a mechanism must be SCRAM-SHA-256 (1) or SCRAM-SHA-512 (2)
// (UNSUPPORTED_SASL_MECHANISM), iterations 4096–16384 (UNACCEPTABLE_CREDENTIAL "Too few/many
// iterations"), a deletion must name a credential that exists (RESOURCE_NOT_FOUND). The broker
// keeps the stored and server keys derived from the salted password, never the salted password.
// The valid changes are stored together, in one metadata write.
import { ErrorCode } from '../../protocol/errors.js';
import {
  AlterUserScramCredentialsRequestSchema, AlterUserScramCredentialsResponseSchema,
  type AlterUserScramCredentialsRequest, type AlterUserScramCredentialsResponse, type AlterUserScramCredentialsResponseAlterUserScramCredentialsResult as Result,
} from '../../protocol/messages/51-alter-user-scram-credentials.js';
import { SCRAM_MAX_ITERATIONS, credentialFromSalted, scramMechanism } from '../../protocol/sasl-scram.js';
import type { ScramChange } from '../../cluster/scram-credentials.js';
import { Op, onCluster } from '../access.js';
import { CLUSTER_AUTHORIZATION_MESSAGE } from '../acl-apis.js';
import type { Handler } from '../handler.js';

type Refusal = { code: number; message: string };

function checkUser(name: string, mechanism: number): Refusal | null {
  if (name === '') return { code: ErrorCode.UNACCEPTABLE_CREDENTIAL, message: 'Username must not be empty' };
  if (scramMechanism(mechanism) === undefined) return { code: ErrorCode.UNSUPPORTED_SASL_MECHANISM, message: 'Unknown SCRAM mechanism' };
  return null;
}

export const alterUserScramCredentialsHandler: Handler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse> = {
  apiKey: 51,
  minVersion: 0,
  maxVersion: 0,
  request: AlterUserScramCredentialsRequestSchema,
  response: AlterUserScramCredentialsResponseSchema,
  async handle(ctx, req) {
    if (!onCluster(ctx, Op.ALTER)) {
      const users = new Set([...req.deletions, ...req.upsertions].map((x) => x.name));
      return { throttleTimeMs: 0, results: [...users].map((user) => ({ user, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: CLUSTER_AUTHORIZATION_MESSAGE })) };
    }
    const { scram } = ctx.broker;
    const changes = new Map<string, ScramChange>();
    const errors = new Map<string, Refusal>();
    const twice = (name: string): boolean => {
      if (!changes.delete(name)) return false;
      errors.set(name, { code: ErrorCode.DUPLICATE_RESOURCE, message: 'A user credential cannot be altered twice in the same request' });
      return true;
    };
    for (const d of req.deletions) {
      if (errors.has(d.name) || twice(d.name)) continue;
      const m = scramMechanism(d.mechanism);
      const bad = checkUser(d.name, d.mechanism) ?? (scram.get(d.name, m!) === undefined ? { code: ErrorCode.RESOURCE_NOT_FOUND, message: 'Attempt to delete a user credential that does not exist' } : null);
      if (bad !== null) errors.set(d.name, bad);
      else changes.set(d.name, { user: d.name, mechanism: m!, credential: null });
    }
    for (const u of req.upsertions) {
      if (errors.has(u.name) || twice(u.name)) continue;
      const m = scramMechanism(u.mechanism);
      const bad =
        checkUser(u.name, u.mechanism) ??
        (u.iterations < m!.minIterations
          ? { code: ErrorCode.UNACCEPTABLE_CREDENTIAL, message: 'Too few iterations' }
          : u.iterations > SCRAM_MAX_ITERATIONS
            ? { code: ErrorCode.UNACCEPTABLE_CREDENTIAL, message: 'Too many iterations' }
            : null);
      if (bad !== null) errors.set(u.name, bad);
      else changes.set(u.name, { user: u.name, mechanism: m!, credential: credentialFromSalted(m!, Buffer.from(u.salt), Buffer.from(u.saltedPassword), u.iterations) });
    }
    const results: Result[] = [];
    if (changes.size > 0) {
      try {
        await scram.apply([...changes.values()]);
        for (const user of changes.keys()) results.push({ user, errorCode: ErrorCode.NONE, errorMessage: null });
      } catch (err) {
        for (const user of changes.keys()) results.push({ user, errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: `The credentials could not be stored: ${(err as Error).message}` });
      }
    }
    for (const [user, e] of errors) results.push({ user, errorCode: e.code, errorMessage: e.message });
    return { throttleTimeMs: 0, results };
  },
};
