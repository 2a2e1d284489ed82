/**
 * Where the client's OAUTHBEARER tokens come from, as Kafka's login callback handlers get them:
 * the client-credentials grant (RFC 6749 §4.4) against the identity provider's token endpoint,
 * the token kept until shortly before it expires; or Kafka's unsecured development token
 * (alg "none") built from the JAAS options unsecuredLoginStringClaim_<name>,
 * unsecuredLoginNumberClaim_<name>, unsecuredLoginListClaim_<name>,
 * unsecuredLoginPrincipalClaimName and unsecuredLoginLifetimeSeconds.
 */
import { InvalidArgumentError, KafkaError } from './errors.js';
import { ErrorCode } from '../protocol/errors.js';

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o), 'utf8').toString('base64url');

export function unsecuredToken(options: ReadonlyMap<string, string>): () => string {
  const principalClaim = options.get('unsecuredLoginPrincipalClaimName') ?? 'sub';
  const lifetime = Number(options.get('unsecuredLoginLifetimeSeconds') ?? 3600);
  if (!Number.isFinite(lifetime) || lifetime <= 0) throw new InvalidArgumentError(`sasl.jaas.config: unsecuredLoginLifetimeSeconds must be a positive number of seconds.`);
  const claims: Record<string, unknown> = {};
  for (const [k, v] of options) {
    if (k.startsWith('unsecuredLoginStringClaim_')) claims[k.slice(26)] = v;
    else if (k.startsWith('unsecuredLoginNumberClaim_')) claims[k.slice(26)] = Number(v);
    else if (k.startsWith('unsecuredLoginListClaim_')) claims[k.slice(24)] = v.length > 1 ? v.slice(1).split(v[0]!).filter((s) => s !== '') : [];
  }
  for (const reserved of ['iat', 'exp']) if (reserved in claims) throw new InvalidArgumentError(`sasl.jaas.config: the ${reserved} claim is set by the client (unsecuredLoginLifetimeSeconds), not by an unsecuredLogin…Claim_${reserved} option.`);
  if (typeof claims[principalClaim] !== 'string')
    throw new InvalidArgumentError(`sasl.jaas.config: an unsecured OAUTHBEARER token needs its principal: add unsecuredLoginStringClaim_${principalClaim}="alice".`);
  return () => {
    const now = Date.now() / 1000;
    return `${b64({ alg: 'none' })}.${b64({ ...claims, iat: now, exp: now + lifetime })}.`;
  };
}

export interface ClientCredentials {
  endpoint: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
}

/** Fetches tokens from the endpoint; a fetched one is reused until 80 % of its lifetime is gone. */
export function clientCredentialsTokens(o: ClientCredentials): () => Promise<string> {
  let cached: { token: string; refreshAt: number } | null = null;
  return async () => {
    if (cached !== null && Date.now() < cached.refreshAt) return cached.token;
    const body = new URLSearchParams({ grant_type: 'client_credentials', ...(o.scope !== undefined ? { scope: o.scope } : {}) });
    const basic = Buffer.from(`${encodeURIComponent(o.clientId)}:${encodeURIComponent(o.clientSecret)}`).toString('base64');
    let resp: Response;
    try {
      resp = await fetch(o.endpoint, { method: 'POST', body, headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' } });
    } catch (err) {
      throw new KafkaError(ErrorCode.SASL_AUTHENTICATION_FAILED, `cannot get an OAUTHBEARER token from ${o.endpoint}: ${(err as Error).message}`);
    }
    const text = await resp.text();
    if (!resp.ok) throw new KafkaError(ErrorCode.SASL_AUTHENTICATION_FAILED, `the token endpoint ${o.endpoint} refused the client credentials: HTTP ${resp.status} ${text.slice(0, 200)}`);
    let json: { access_token?: unknown; expires_in?: unknown };
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      throw new KafkaError(ErrorCode.SASL_AUTHENTICATION_FAILED, `the token endpoint ${o.endpoint} did not answer with JSON`);
    }
    if (typeof json.access_token !== 'string') throw new KafkaError(ErrorCode.SASL_AUTHENTICATION_FAILED, `the token endpoint ${o.endpoint} answered without an access_token`);
    const lifetimeMs = typeof json.expires_in === 'number' ? json.expires_in * 1000 : 60_000;
    cached = { token: json.access_token, refreshAt: Date.now() + lifetimeMs * 0.8 };
    return cached.token;
  };
}
