/**
 * Admin.describeUserScramCredentials and Admin.alterUserScramCredentials, as Kafka's Admin offers
 * them (KIP-554): which users have SCRAM credentials and with how many iterations, and setting or
 * deleting them. A password never leaves the client: it is salted and hashed here (Hi of RFC 5802)
 * and only the salt and salted password are sent, as Kafka's admin client does.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode, KafkaError, errorName } from '../protocol/errors.js';
import type { DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse } from '../protocol/messages/50-describe-user-scram-credentials.js';
import type { AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse } from '../protocol/messages/51-alter-user-scram-credentials.js';
import { SCRAM_MECHANISMS, saltedPassword, scramMechanism, type ScramMechanismName } from '../protocol/sasl-scram.js';
import type { Cluster } from './cluster.js';
import { InvalidArgumentError } from './errors.js';

const DESCRIBE_KEY = 50;
const ALTER_KEY = 51;

/** Kafka's default for a new credential (kafka-configs' `iterations` when not given). */
export const DEFAULT_SCRAM_ITERATIONS = 4096;

export interface ScramCredentialInfo {
  mechanism: ScramMechanismName;
  iterations: number;
}

export type ScramAlteration =
  | { type: 'upsert'; user: string; mechanism: ScramMechanismName; password: string; iterations?: number; salt?: Buffer }
  | { type: 'delete'; user: string; mechanism: ScramMechanismName };

function mechanismOf(name: string) {
  const m = scramMechanism(name);
  if (m === undefined) throw new InvalidArgumentError(`${name} is not a SCRAM mechanism: use ${SCRAM_MECHANISMS.map((x) => x.name).join(' or ')}.`);
  return m;
}

/**
 * Users and their credentials (all users when `users` is empty). A named user without a
 * credential is left out, as Kafka's admin client leaves it out of the map it returns.
 */
export async function describeUserScramCredentials(cluster: Cluster, users: readonly string[] = []): Promise<Map<string, ScramCredentialInfo[]>> {
  return cluster.withRetry(async () => {
    const conn = await cluster.anyConnection();
    const resp = await conn.request<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse>(DESCRIBE_KEY, 0, {
      users: users.length === 0 ? null : users.map((name) => ({ name })),
    });
    if (resp.errorCode !== ErrorCode.NONE) throw new KafkaError(resp.errorCode, resp.errorMessage ?? `DescribeUserScramCredentials failed: ${errorName(resp.errorCode)}`);
    const out = new Map<string, ScramCredentialInfo[]>();
    for (const r of resp.results) {
      if (r.errorCode === ErrorCode.RESOURCE_NOT_FOUND) continue;
      if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, r.errorMessage ?? errorName(r.errorCode));
      out.set(
        r.user,
        r.credentialInfos.map((c) => ({ mechanism: scramMechanism(c.mechanism)?.name ?? (`UNKNOWN(${c.mechanism})` as ScramMechanismName), iterations: c.iterations })),
      );
    }
    return out;
  });
}

/** Applies the alterations; each user's outcome (null = done, else the broker's error). */
export async function alterUserScramCredentials(cluster: Cluster, alterations: readonly ScramAlteration[]): Promise<Map<string, KafkaError | null>> {
  const req: AlterUserScramCredentialsRequest = { deletions: [], upsertions: [] };
  for (const a of alterations) {
    const m = mechanismOf(a.mechanism);
    if (a.type === 'delete') {
      req.deletions.push({ name: a.user, mechanism: m.code });
      continue;
    }
    const iterations = a.iterations ?? DEFAULT_SCRAM_ITERATIONS;
    if (!Number.isInteger(iterations) || iterations <= 0) throw new InvalidArgumentError(`iterations must be a positive whole number, not ${iterations}.`);
    const salt = a.salt ?? randomBytes(32);
    req.upsertions.push({ name: a.user, mechanism: m.code, iterations, salt, saltedPassword: saltedPassword(m, a.password, salt, iterations) });
  }
  return cluster.withRetry(async () => {
    const conn = await cluster.anyConnection();
    const resp = await conn.request<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse>(ALTER_KEY, 0, req);
    return new Map(resp.results.map((r) => [r.user, r.errorCode === ErrorCode.NONE ? null : new KafkaError(r.errorCode, r.errorMessage ?? errorName(r.errorCode))]));
  });
}
