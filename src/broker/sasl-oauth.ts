/**
 * SASL/OAUTHBEARER (RFC 7628, KIP-255, KIP-768) on the broker, as Kafka validates tokens:
 *
 * - With `listener.name.<l>.oauthbearer.sasl.server.callback.handler.class=
 *   org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler` (or
 *   `sasl.oauthbearer.jwks.endpoint.url` alone): the token is a JWT signed by a key of the JWKS at
 *   `sasl.oauthbearer.jwks.endpoint.url` (https://, http:// or file://), with `exp`, the principal
 *   claim (`sasl.oauthbearer.sub.claim.name`, default `sub`), and — when set —
 *   `sasl.oauthbearer.expected.issuer` and `sasl.oauthbearer.expected.audience`, within
 *   `sasl.oauthbearer.clock.skew.seconds` (30).
 * - Without a callback handler: Kafka's default, the *unsecured* validator, for development only
 *   (alg "none" tokens; JAAS options unsecuredValidatorPrincipalClaimName,
 *   unsecuredValidatorRequiredScope, unsecuredValidatorAllowableClockSkewMs). The broker logs a
 *   warning at start when a listener uses it.
 *
 * A refused token is answered as Kafka does: a JSON challenge (`{"status":"invalid_token"}`), the
 * client's %x01, then SASL_AUTHENTICATION_FAILED with that JSON as the message.
 */
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ConfigError } from '../cluster/config.js';
import type { SaslStep } from './sasl-scram.js';

export const OAUTH_VALIDATOR_HANDLERS = [
  'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler',
  'org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerValidatorCallbackHandler',
];
const UNSECURED_HANDLER = 'org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler';

/** A token's principal and expiry, or the status Kafka's validator reports. */
export type TokenCheck = { principal: string; expiresAtMs: number } | { status: string; scope?: string };

export interface TokenValidator {
  readonly secured: boolean;
  validate(token: string): Promise<TokenCheck>;
}

/** `listener.name.<l>.oauthbearer.<key>`, then `listener.name.<l>.<key>`, then `<key>`. */
function oauthKey(raw: Readonly<Record<string, string>>, listener: string, key: string): { key: string; value: string | undefined } {
  for (const k of [`listener.name.${listener.toLowerCase()}.oauthbearer.${key}`, `listener.name.${listener.toLowerCase()}.${key}`, key])
    if (raw[k] !== undefined) return { key: k, value: raw[k] };
  return { key, value: undefined };
}

function numberKey(raw: Readonly<Record<string, string>>, listener: string, key: string, fallback: number): number {
  const { key: k, value } = oauthKey(raw, listener, key);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(`${k}: '${value}' is not a number of the right kind; give a whole number ≥ 0.`);
  return n;
}

function fileKeySet(url: URL, key: string): JWTVerifyGetKey {
  const path = fileURLToPath(url);
  let mtime = -1;
  let keys: JWTVerifyGetKey | null = null;
  const load = (): JWTVerifyGetKey => {
    let text: string;
    try {
      const st = statSync(path);
      if (keys !== null && st.mtimeMs === mtime) return keys;
      mtime = st.mtimeMs;
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError(`${key}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
    }
    try {
      keys = createLocalJWKSet(JSON.parse(text) as { keys: [] });
    } catch (err) {
      throw new ConfigError(`${key}: ${path} is not a JSON Web Key Set ({"keys": [...]}): ${(err as Error).message}`);
    }
    return keys;
  };
  load();
  // Re-read when the file changes: keys rotate by replacing the file.
  return (header, token) => load()(header, token);
}

class JwksValidator implements TokenValidator {
  readonly secured = true;
  constructor(
    private readonly keys: JWTVerifyGetKey,
    private readonly o: { issuer?: string; audience?: string[]; subClaim: string; skewSeconds: number },
  ) {}

  async validate(token: string): Promise<TokenCheck> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        clockTolerance: this.o.skewSeconds,
        requiredClaims: ['exp', this.o.subClaim],
        ...(this.o.issuer !== undefined ? { issuer: this.o.issuer } : {}),
        ...(this.o.audience !== undefined ? { audience: this.o.audience } : {}),
      }));
    } catch {
      return { status: 'invalid_token' };
    }
    const principal = payload[this.o.subClaim];
    if (typeof principal !== 'string' || principal === '') return { status: 'invalid_token' };
    return { principal, expiresAtMs: payload.exp! * 1000 };
  }
}

/** Kafka's OAuthBearerUnsecuredValidatorCallbackHandler: alg "none", no signature. */
class UnsecuredValidator implements TokenValidator {
  readonly secured = false;
  constructor(private readonly o: { principalClaim: string; scopeClaim: string; requiredScope: string[]; skewMs: number }) {}

  async validate(token: string): Promise<TokenCheck> {
    let payload: JWTPayload;
    try {
      if (!/^[\w-]+\.[\w-]+\.$/.test(token) || decodeProtectedHeader(token).alg !== 'none') return { status: 'invalid_token' };
      payload = decodeJwt(token);
    } catch {
      return { status: 'invalid_token' };
    }
    const principal = payload[this.o.principalClaim];
    const now = Date.now();
    if (typeof principal !== 'string' || principal === '' || typeof payload.exp !== 'number') return { status: 'invalid_token' };
    if (payload.exp * 1000 + this.o.skewMs < now) return { status: 'invalid_token' };
    if (typeof payload.iat === 'number' && payload.iat * 1000 - this.o.skewMs > now) return { status: 'invalid_token' };
    const scopeClaim = payload[this.o.scopeClaim];
    const scopes = Array.isArray(scopeClaim) ? scopeClaim.map(String) : typeof scopeClaim === 'string' ? scopeClaim.split(' ') : [];
    const missing = this.o.requiredScope.filter((s) => !scopes.includes(s));
    if (missing.length > 0) return { status: 'insufficient_scope', scope: this.o.requiredScope.join(' ') };
    return { principal, expiresAtMs: payload.exp * 1000 };
  }
}

/** The listener's token validator; ConfigError for settings that cannot work. */
export function oauthValidator(raw: Readonly<Record<string, string>>, listener: string, jaasOptions: ReadonlyMap<string, string>): TokenValidator {
  const handler = oauthKey(raw, listener, 'sasl.server.callback.handler.class');
  const jwks = oauthKey(raw, listener, 'sasl.oauthbearer.jwks.endpoint.url');
  const secured = handler.value !== undefined ? OAUTH_VALIDATOR_HANDLERS.includes(handler.value) : jwks.value !== undefined;
  if (handler.value !== undefined && !secured && handler.value !== UNSECURED_HANDLER)
    throw new ConfigError(`${handler.key}: ${handler.value} is not a handler Samsa has; use ${OAUTH_VALIDATOR_HANDLERS[0]} (JWT validation against sasl.oauthbearer.jwks.endpoint.url).`);
  if (!secured) {
    const skew = Number(jaasOptions.get('unsecuredValidatorAllowableClockSkewMs') ?? 0);
    return new UnsecuredValidator({
      principalClaim: jaasOptions.get('unsecuredValidatorPrincipalClaimName') ?? 'sub',
      scopeClaim: jaasOptions.get('unsecuredValidatorScopeClaimName') ?? 'scope',
      requiredScope: (jaasOptions.get('unsecuredValidatorRequiredScope') ?? '').split(/[\s,]+/).filter((s) => s !== ''),
      skewMs: Number.isFinite(skew) && skew >= 0 ? skew : 0,
    });
  }
  if (jwks.value === undefined) throw new ConfigError(`listener ${listener} validates OAUTHBEARER tokens but has no keys: set sasl.oauthbearer.jwks.endpoint.url to the JWKS of your identity provider (https://… or file:///…).`);
  let url: URL;
  try {
    url = new URL(jwks.value);
  } catch {
    throw new ConfigError(`${jwks.key}: '${jwks.value}' is not a URL; give https://…, http://… or file:///path/to/jwks.json.`);
  }
  if (!['https:', 'http:', 'file:'].includes(url.protocol)) throw new ConfigError(`${jwks.key}: ${url.protocol} URLs are not served; give https://…, http://… or file:///….`);
  const refreshMs = numberKey(raw, listener, 'sasl.oauthbearer.jwks.endpoint.refresh.ms', 3_600_000);
  const keys = url.protocol === 'file:' ? fileKeySet(url, jwks.key) : createRemoteJWKSet(url, { cacheMaxAge: refreshMs, cooldownDuration: 30_000 });
  const issuer = oauthKey(raw, listener, 'sasl.oauthbearer.expected.issuer').value;
  const audience = oauthKey(raw, listener, 'sasl.oauthbearer.expected.audience').value;
  return new JwksValidator(keys, {
    ...(issuer !== undefined && issuer !== '' ? { issuer } : {}),
    ...(audience !== undefined && audience !== '' ? { audience: audience.split(',').map((s) => s.trim()).filter((s) => s !== '') } : {}),
    subClaim: oauthKey(raw, listener, 'sasl.oauthbearer.sub.claim.name').value ?? 'sub',
    skewSeconds: numberKey(raw, listener, 'sasl.oauthbearer.clock.skew.seconds', 30),
  });
}

/** RFC 7628's client initial response: `n,[a=authzid],^Aauth=Bearer <token>^A[k=v^A]*^A`. */
function parseInitialResponse(text: string): { authzid: string; token: string } | null {
  const m = /^n,(?:a=([^,]*))?,\x01((?:[a-zA-Z]+=[\x21-\x7E \t\r\n]*\x01)*)\x01$/.exec(text);
  if (m === null) return null;
  let token: string | null = null;
  for (const kv of m[2]!.split('\x01')) {
    if (!kv.startsWith('auth=')) continue;
    const auth = /^(\w+) +([-_.a-zA-Z0-9]+)$/.exec(kv.slice(5));
    if (auth === null || auth[1]!.toLowerCase() !== 'bearer') return null;
    token = auth[2]!;
  }
  return token === null ? null : { authzid: m[1] ?? '', token };
}

export class OAuthBearerServer {
  private errorJson: string | null = null;
  user: string | null = null;
  /** When the token expires (ms since the epoch), once a login has succeeded. */
  expiresAtMs = 0;

  constructor(private readonly validator: TokenValidator) {}

  async step(token: Buffer): Promise<SaslStep> {
    if (this.errorJson !== null) {
      // The client's %x01 after our challenge: now the refusal, with the challenge as its message.
      return { error: this.errorJson };
    }
    const parsed = parseInitialResponse(token.toString('utf8'));
    if (parsed === null) return { error: 'Authentication failed during authentication due to invalid credentials with SASL mechanism OAUTHBEARER' };
    const check = await this.validator.validate(parsed.token);
    if ('status' in check) {
      this.errorJson = JSON.stringify(check.scope !== undefined ? { status: check.status, scope: check.scope } : { status: check.status });
      return { reply: Buffer.from(this.errorJson, 'utf8'), done: false };
    }
    if (parsed.authzid !== '' && parsed.authzid !== check.principal)
      return { error: `Authentication failed: Client requested an authorization id (${parsed.authzid}) that is different from the token's principal name (${check.principal})` };
    this.user = check.principal;
    this.expiresAtMs = check.expiresAtMs;
    return { reply: Buffer.alloc(0), done: true };
  }
}
