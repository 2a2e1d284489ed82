/**
 * SASL on SASL_PLAINTEXT and SASL_SSL listeners, as Kafka's SaslServerAuthenticator runs it
 * (KIP-43, KIP-152): a connection first says which mechanism (SaslHandshake), then sends its
 * tokens — wrapped in SaslAuthenticate requests after a v1 handshake, or as bare frames after a
 * v0 one — and nothing but ApiVersions is served before it has authenticated.
 *
 * Mechanisms: `sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512` (per listener as
 * `listener.name.<name>.sasl.enabled.mechanisms`). PLAIN's users are in the JAAS line Kafka writes,
 * `listener.name.<name>.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule
 * required user_alice="alice-secret";` (or the plain `sasl.jaas.config`); SCRAM's credentials are in
 * the cluster metadata (AlterUserScramCredentials, sasl-scram.ts). Passwords are compared in
 * constant time and never logged; a failed login is answered after
 * `connection.failed.authentication.delay.ms` (Kafka's default 100) and the connection closed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../cluster/config.js';
import { keyFor } from './tls.js';
import { readFileSync } from 'node:fs';
import { OAUTH_LOGIN_MODULE, PLAIN_LOGIN_MODULE, SCRAM_LOGIN_MODULE, parseJaasFile, parseJaasLine } from '../util/jaas.js';
import type { PasswordSasl } from '../protocol/sasl-client.js';
import type { PeerSasl } from '../cluster/peer-connection.js';
import { scramMechanism } from '../protocol/sasl-scram.js';
import { ScramServer, type SaslStep, type ScramLookup } from './sasl-scram.js';
import { OAuthBearerServer, oauthValidator, type TokenValidator } from './sasl-oauth.js';

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];


export interface SaslConfig {
  mechanisms: string[];
  /** PLAIN's users: name → password (empty when PLAIN is not enabled). */
  users: Map<string, string>;
  failedAuthenticationDelayMs: number;
  /** OAUTHBEARER's token validator, when the listener enables it. */
  oauth?: TokenValidator;
  /** KIP-368 connections.max.reauth.ms per mechanism (0: sessions do not expire but with their credential). */
  maxReauthMs: ReadonlyMap<string, number>;
}

const PLAIN_MODULE = PLAIN_LOGIN_MODULE;

/** The options of a JAAS line `<module> required k="v" k2="v2";` (Kafka's JaasConfig format). */
export function parseJaas(text: string, key: string): { module: string; options: Map<string, string> } {
  const parsed = parseJaasLine(text);
  if (typeof parsed === 'string') throw new ConfigError(`${key}: ${parsed}`);
  return parsed;
}

/** A SASL listener's settings; ConfigError says what is missing or not supported. */
export function saslConfig(raw: Readonly<Record<string, string>>, listener: string): SaslConfig {
  const enabled = keyFor(raw, listener, 'sasl.enabled.mechanisms');
  const mechanisms = (enabled.value ?? 'GSSAPI').split(',').map((s) => s.trim().toUpperCase()).filter((s) => s !== '');
  const unsupported = mechanisms.filter((m) => !SASL_MECHANISMS.includes(m));
  if (unsupported.length > 0 || mechanisms.length === 0)
    throw new ConfigError(
      `${enabled.key}: listener ${listener} enables ${enabled.value ?? 'GSSAPI (Kafka\'s default)'}; Samsa serves ${SASL_MECHANISMS.join(', ')}, so set ${enabled.key} to those you want (e.g. ${enabled.key}=SCRAM-SHA-512).`,
    );
  const delay = Number(raw['connection.failed.authentication.delay.ms'] ?? 100);
  const failedAuthenticationDelayMs = Number.isFinite(delay) && delay >= 0 ? delay : 100;
  const maxReauthMs = new Map(mechanisms.map((m) => [m, reauthMs(raw, listener, m)]));
  const oauth = mechanisms.includes('OAUTHBEARER') ? { oauth: oauthValidator(raw, listener, oauthJaasOptions(raw, listener)) } : {};
  if (!mechanisms.includes('PLAIN')) return { mechanisms, users: new Map(), failedAuthenticationDelayMs, maxReauthMs, ...oauth };
  const scopedJaas = `listener.name.${listener.toLowerCase()}.plain.sasl.jaas.config`;
  const jaasKey = raw[scopedJaas] !== undefined ? scopedJaas : 'sasl.jaas.config';
  const jaas = raw[jaasKey];
  const fromFile = jaas === undefined ? jaasFileEntry(raw, listener, PLAIN_MODULE) : null;
  if (jaas === undefined && fromFile === null)
    throw new ConfigError(`listener ${listener} uses SASL/PLAIN without users: set ${scopedJaas}=${PLAIN_MODULE} required user_alice="alice-secret";`);
  const { module, options } = fromFile ?? parseJaas(jaas!, jaasKey);
  if (module !== PLAIN_MODULE) throw new ConfigError(`${jaasKey}: SASL/PLAIN takes ${PLAIN_MODULE}, not ${module}.`);
  const users = new Map<string, string>();
  for (const [k, v] of options) if (k.startsWith('user_') && k.length > 5) users.set(k.slice(5), v);
  if (users.size === 0) throw new ConfigError(`${jaasKey}: no users; add user_<name>="<password>" for each, e.g. user_alice="alice-secret".`);
  return { mechanisms, users, failedAuthenticationDelayMs, maxReauthMs, ...oauth };
}

/** Kafka's `-Djava.security.auth.login.config` (from KAFKA_OPTS, or this key in server.properties). */
export const JAAS_FILE_KEY = 'java.security.auth.login.config';

/**
 * The login module entry for `module` in the JAAS file, if one is configured: the context
 * `<listener>.KafkaServer` first, then `KafkaServer`, as Kafka looks them up. ConfigError for a
 * file that cannot be read.
 */
function jaasFileEntry(raw: Readonly<Record<string, string>>, listener: string, module: string): { module: string; options: Map<string, string> } | null {
  const path = raw[JAAS_FILE_KEY];
  if (path === undefined) return null;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${JAAS_FILE_KEY}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
  }
  const contexts = parseJaasFile(text);
  if (typeof contexts === 'string') throw new ConfigError(`${JAAS_FILE_KEY}: ${path}: ${contexts}`);
  const entries = contexts.get(`${listener.toLowerCase()}.KafkaServer`) ?? contexts.get('KafkaServer');
  if (entries === undefined) throw new ConfigError(`${JAAS_FILE_KEY}: ${path} has no KafkaServer (or ${listener.toLowerCase()}.KafkaServer) context for listener ${listener}.`);
  return entries.find((e) => e.module === module) ?? null;
}

/** The mechanisms brokers can log in to each other with: OAUTHBEARER would need a token of the broker's own. */
const INTER_BROKER_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

/**
 * How this broker logs in to its peers when the inter-broker listener `listener` is a SASL one,
 * as Kafka configures it: `sasl.mechanism.inter.broker.protocol` (Kafka's default GSSAPI is not
 * served), which the listener must enable, and the username and password of the JAAS line
 * `listener.name.<l>.<mechanism>.sasl.jaas.config`, else the JAAS file's `<listener>.KafkaServer`
 * then `KafkaServer` context (Kafka's lookup; Samsa also takes the unscoped `sasl.jaas.config`
 * before the file, as its listeners do). For PLAIN that entry also holds the users the listener
 * accepts (user_admin="…"); a SCRAM user's credential is in the metadata.
 */
export function interBrokerSasl(raw: Readonly<Record<string, string>>, listener: string, enabled: readonly string[]): PeerSasl {
  const key = 'sasl.mechanism.inter.broker.protocol';
  const mechanism = (raw[key] ?? 'GSSAPI').trim().toUpperCase();
  const example = `${key}=SCRAM-SHA-512 (or PLAIN, SCRAM-SHA-256)`;
  if (mechanism === 'OAUTHBEARER')
    throw new ConfigError(`${key}=OAUTHBEARER: Samsa's brokers cannot log in to each other with OAUTHBEARER (a broker has no token of its own); the inter-broker listener ${listener} uses SASL, so set ${example}.`);
  if (!(INTER_BROKER_MECHANISMS as readonly string[]).includes(mechanism))
    throw new ConfigError(`${key}: ${raw[key] === undefined ? "not set, so it is Kafka's default GSSAPI (Kerberos), which Samsa does not serve" : `${mechanism} is not a mechanism Samsa's brokers log in with`}; the inter-broker listener ${listener} uses SASL, so set ${example}.`);
  if (!enabled.includes(mechanism))
    throw new ConfigError(`${key}=${mechanism} must be included in sasl.enabled.mechanisms of the inter-broker listener ${listener} (it enables ${enabled.join(', ')}).`);
  const scoped = `listener.name.${listener.toLowerCase()}.${mechanism.toLowerCase()}.sasl.jaas.config`;
  const jaasKey = raw[scoped] !== undefined ? scoped : 'sasl.jaas.config';
  const module = mechanism === 'PLAIN' ? PLAIN_MODULE : SCRAM_LOGIN_MODULE;
  const line = `${scoped}=${module} required username="admin" password="admin-secret"${mechanism === 'PLAIN' ? ' user_admin="admin-secret"' : ''};`;
  const jaas = raw[jaasKey];
  const fromFile = jaas === undefined ? jaasFileEntry(raw, listener, module) : null;
  if (jaas === undefined && fromFile === null) throw new ConfigError(`brokers log in to each other with SASL/${mechanism} on listener ${listener} but have no credentials: set ${line}`);
  const source = fromFile !== null ? `${JAAS_FILE_KEY} (${raw[JAAS_FILE_KEY]})` : jaasKey;
  const parsed = fromFile ?? parseJaas(jaas!, jaasKey);
  if (parsed.module !== module) throw new ConfigError(`${jaasKey}: SASL/${mechanism} takes ${module}, not ${parsed.module}.`);
  const username = parsed.options.get('username');
  const password = parsed.options.get('password');
  if (username === undefined || username === '' || password === undefined || password === '')
    throw new ConfigError(`${source}: brokers log in to each other as its username="…" and password="…", which are missing; e.g. ${line}`);
  return { credentials: { mechanism: mechanism as PasswordSasl['mechanism'], username, password }, configKey: source };
}

/** `listener.name.<l>.<mechanism>.connections.max.reauth.ms`, else `connections.max.reauth.ms` (Kafka's default 0). */
function reauthMs(raw: Readonly<Record<string, string>>, listener: string, mechanism: string): number {
  const scoped = `listener.name.${listener.toLowerCase()}.${mechanism.toLowerCase()}.connections.max.reauth.ms`;
  const key = raw[scoped] !== undefined ? scoped : 'connections.max.reauth.ms';
  const text = raw[key];
  if (text === undefined) return 0;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${key}: '${text}' is not a number of milliseconds; give 0 (no re-authentication) or more.`);
  return n;
}

/** The options of the listener's OAUTHBEARER JAAS line (the unsecured validator's settings), if any. */
function oauthJaasOptions(raw: Readonly<Record<string, string>>, listener: string): Map<string, string> {
  const scoped = `listener.name.${listener.toLowerCase()}.oauthbearer.sasl.jaas.config`;
  const key = raw[scoped] !== undefined ? scoped : 'sasl.jaas.config';
  const text = raw[key];
  if (text === undefined) return jaasFileEntry(raw, listener, OAUTH_LOGIN_MODULE)?.options ?? new Map();
  const { module, options } = parseJaas(text, key);
  return module === OAUTH_LOGIN_MODULE ? options : new Map();
}

/** Equal strings, in time that does not depend on where they differ. */
function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export type SaslState = 'handshake' | 'token-v0' | 'authenticate' | 'done';

/** One mechanism's side of a login. */
interface MechanismServer {
  step(token: Buffer): SaslStep | Promise<SaslStep>;
  /** The authenticated user, once the exchange has completed. */
  readonly user: string | null;
  /** When the credential expires (ms since the epoch): OAUTHBEARER's token; absent for passwords. */
  readonly expiresAtMs?: number;
}

/** PLAIN (RFC 4616): one token, authzid NUL authcid NUL password, checked against the JAAS users. */
class PlainServer implements MechanismServer {
  user: string | null = null;
  constructor(private readonly users: ReadonlyMap<string, string>) {}

  step(token: Buffer): SaslStep {
    const parts = token.toString('utf8').split('\u0000');
    if (parts.length !== 3) return { error: 'Authentication failed: Invalid SASL/PLAIN response: expected 3 tokens' };
    const [authzid, user, password] = parts as [string, string, string];
    if (user === '') return { error: 'Authentication failed: username not specified' };
    if (password === '') return { error: 'Authentication failed: password not specified' };
    if (authzid !== '' && authzid !== user) return { error: 'Authentication failed: Client requested an authorization id that is different from username' };
    const expected = this.users.get(user);
    // Compared even for an unknown user, so the time taken does not say which users exist.
    const ok = sameSecret(password, expected ?? '\u0000unknown') && expected !== undefined;
    if (!ok) return { error: 'Authentication failed: Invalid username or password' };
    this.user = user;
    return { reply: Buffer.alloc(0), done: true };
  }
}

/** One connection's way through SASL. */
export class SaslSession {
  state: SaslState = 'handshake';
  principal: string | null = null;
  /** Set by a refused login or a request out of turn: the connection closes after its answer. */
  failed = false;
  private mechanism = '';
  private server: MechanismServer | null = null;
  /** KIP-368: when the session ends unless the client re-authenticates (ms since the epoch; 0 = never). */
  expiresAtMs = 0;
  /** The session lifetime the last SaslAuthenticate response tells the client (0 = none). */
  sessionLifetimeMs = 0;
  /** During a re-authentication: who the connection was, and with which mechanism. */
  private previous: { principal: string; mechanism: string } | null = null;

  /** `scramLookup` finds a user's SCRAM credential in the metadata (absent: SCRAM logins fail). */
  constructor(
    readonly config: SaslConfig,
    private readonly scramLookup: ScramLookup = () => undefined,
  ) {}

  get authenticated(): boolean {
    return this.state === 'done';
  }

  fail(): void {
    this.failed = true;
  }

  /** A SaslHandshake: the error code Kafka answers with (0, UNSUPPORTED_SASL_MECHANISM 33, ILLEGAL_SASL_STATE 34). */
  handshake(mechanism: string, version: number): number {
    // KIP-368: an authenticated connection may log in again (SaslHandshake v1 + SaslAuthenticate).
    if (this.state === 'done' && version >= 1) this.previous = { principal: this.principal!, mechanism: this.mechanism };
    else if (this.state !== 'handshake') return 34;
    if (!this.config.mechanisms.includes(mechanism)) return 33;
    this.state = version === 0 ? 'token-v0' : 'authenticate';
    this.mechanism = mechanism;
    const scram = scramMechanism(mechanism);
    this.server =
      scram !== undefined ? new ScramServer(scram, this.scramLookup)
      : mechanism === 'OAUTHBEARER' ? new OAuthBearerServer(this.config.oauth!)
      : new PlainServer(this.config.users);
    return 0;
  }

  /** The client's next token: the reply to send back and whether the login is complete, or Kafka's refusal. */
  async authenticate(token: Buffer, nowMs: number = Date.now()): Promise<SaslStep> {
    const server = this.server!;
    const previous = this.previous;
    if (previous !== null && previous.mechanism !== this.mechanism)
      return { error: `SASL mechanism '${this.mechanism}' requested by client is not supported for re-authentication of mechanism '${previous.mechanism}'` };
    const step = await server.step(token);
    if ('error' in step || !step.done) return step;
    const principal = `User:${server.user!}`;
    if (previous !== null && previous.principal !== principal)
      return { error: `Cannot change principals during re-authentication from ${previous.principal.replace(':', '.')}: ${principal.replace(':', '.')}` };
    this.principal = principal;
    this.state = 'done';
    this.previous = null;
    // As Kafka's ReauthInfo: the smaller of connections.max.reauth.ms and the credential's remaining life.
    const maxReauth = this.config.maxReauthMs.get(this.mechanism) ?? 0;
    const credential = server.expiresAtMs;
    this.sessionLifetimeMs =
      credential === undefined ? maxReauth : Math.max(0, maxReauth > 0 ? Math.min(maxReauth, credential - nowMs) : credential - nowMs);
    this.expiresAtMs = credential !== undefined || maxReauth > 0 ? nowMs + this.sessionLifetimeMs : 0;
    return step;
  }

  /** Whether the session has ended without a re-authentication: the connection may then only log in again. */
  expired(nowMs: number = Date.now()): boolean {
    return this.expiresAtMs > 0 && nowMs >= this.expiresAtMs;
  }

  /** The mechanism the handshake chose ('' before it). */
  get chosenMechanism(): string {
    return this.mechanism;
  }
}
