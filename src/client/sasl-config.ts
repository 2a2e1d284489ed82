/**
 * The client's SASL login for security.protocol=SASL_PLAINTEXT or SASL_SSL, from Kafka's client
 * keys: `sasl.mechanism=PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512` or `OAUTHBEARER` (Kafka's
 * default, GSSAPI, is refused) and `sasl.jaas.config=<login module> required …;`:
 * - PLAIN and SCRAM: PlainLoginModule / ScramLoginModule with username="…" password="…".
 * - OAUTHBEARER: OAuthBearerLoginModule. With
 *   `sasl.login.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler`
 *   and `sasl.oauthbearer.token.endpoint.url`, tokens come from the identity provider by the
 *   client-credentials grant (JAAS clientId, clientSecret, optional scope); without a handler,
 *   Kafka's unsecured development tokens (JAAS unsecuredLoginStringClaim_sub="alice").
 */
import { OAUTH_LOGIN_MODULE, PLAIN_LOGIN_MODULE, SCRAM_LOGIN_MODULE, parseJaasLine } from '../util/jaas.js';
import type { SaslCredentials } from '../protocol/sasl-client.js';
import { InvalidArgumentError, UnsupportedSecurityError } from './errors.js';
import { clientCredentialsTokens, unsecuredToken } from './oauth-token.js';

export const CLIENT_SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;
export type ClientSaslMechanism = (typeof CLIENT_SASL_MECHANISMS)[number];

/** For OAUTHBEARER, `token` gives the bearer token (a JWT) to log in with; it is asked at every login. */
export type ClientSasl = SaslCredentials;

export function isClientSaslMechanism(m: string): m is ClientSaslMechanism {
  return (CLIENT_SASL_MECHANISMS as readonly string[]).includes(m);
}

export const CLIENT_SASL_KEYS = new Set([
  'sasl.mechanism', 'sasl.jaas.config', 'sasl.login.callback.handler.class', 'sasl.oauthbearer.token.endpoint.url', 'sasl.oauthbearer.scope.claim.name', 'sasl.oauthbearer.sub.claim.name',
]);

const LOGIN_HANDLERS = ['org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler', 'org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerLoginCallbackHandler'];

export function clientSasl(props: ReadonlyMap<string, string>): ClientSasl {
  const mechanism = (props.get('sasl.mechanism') ?? 'GSSAPI').trim().toUpperCase();
  if (!isClientSaslMechanism(mechanism)) throw new UnsupportedSecurityError(`sasl.mechanism=${mechanism}`);
  const module = mechanism === 'PLAIN' ? PLAIN_LOGIN_MODULE : mechanism === 'OAUTHBEARER' ? OAUTH_LOGIN_MODULE : SCRAM_LOGIN_MODULE;
  const jaas = props.get('sasl.jaas.config');
  if (jaas === undefined)
    throw new InvalidArgumentError(`sasl.mechanism=${mechanism} needs sasl.jaas.config=${module} required ${mechanism === 'OAUTHBEARER' ? 'clientId="…" clientSecret="…"' : 'username="…" password="…"'};`);
  const parsed = parseJaasLine(jaas);
  if (typeof parsed === 'string') throw new InvalidArgumentError(`sasl.jaas.config: ${parsed}`);
  if (parsed.module !== module) throw new InvalidArgumentError(`sasl.jaas.config: SASL/${mechanism} takes ${module}, not ${parsed.module}.`);
  if (mechanism === 'OAUTHBEARER') return oauthSasl(props, parsed.options);
  const username = parsed.options.get('username');
  const password = parsed.options.get('password');
  if (username === undefined || password === undefined) throw new InvalidArgumentError('sasl.jaas.config: give username="…" and password="…".');
  return { mechanism, username, password };
}

function oauthSasl(props: ReadonlyMap<string, string>, options: ReadonlyMap<string, string>): ClientSasl {
  const handler = props.get('sasl.login.callback.handler.class');
  if (handler === undefined) {
    const token = unsecuredToken(options);
    return { mechanism: 'OAUTHBEARER', token: async () => token() };
  }
  if (!LOGIN_HANDLERS.includes(handler)) throw new InvalidArgumentError(`sasl.login.callback.handler.class: ${handler} is not a handler Samsa's client has; use ${LOGIN_HANDLERS[0]}.`);
  const endpoint = props.get('sasl.oauthbearer.token.endpoint.url');
  if (endpoint === undefined) throw new InvalidArgumentError(`sasl.login.callback.handler.class=${handler} needs sasl.oauthbearer.token.endpoint.url, the identity provider's token endpoint.`);
  const clientId = options.get('clientId');
  const clientSecret = options.get('clientSecret');
  if (clientId === undefined || clientSecret === undefined) throw new InvalidArgumentError('sasl.jaas.config: give clientId="…" and clientSecret="…" for the client-credentials grant.');
  const scope = options.get('scope');
  return { mechanism: 'OAUTHBEARER', token: clientCredentialsTokens({ endpoint, clientId, clientSecret, ...(scope !== undefined ? { scope } : {}) }) };
}
