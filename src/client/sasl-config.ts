/**
 * The client's SASL login for security.protocol=SASL_PLAINTEXT or SASL_SSL, from Kafka's client
 * keys: `sasl.mechanism=PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512` (Kafka's default, GSSAPI, and
 * OAUTHBEARER are refused) and `sasl.jaas.config=<login module> required username="alice"
 * password="alice-secret";` with PlainLoginModule for PLAIN and ScramLoginModule for SCRAM.
 */
import { PLAIN_LOGIN_MODULE, SCRAM_LOGIN_MODULE, parseJaasLine } from '../util/jaas.js';
import { InvalidArgumentError, UnsupportedSecurityError } from './errors.js';

export const CLIENT_SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type ClientSaslMechanism = (typeof CLIENT_SASL_MECHANISMS)[number];

export interface ClientSasl {
  mechanism: ClientSaslMechanism;
  username: string;
  password: string;
}

export function isClientSaslMechanism(m: string): m is ClientSaslMechanism {
  return (CLIENT_SASL_MECHANISMS as readonly string[]).includes(m);
}

export const CLIENT_SASL_KEYS = new Set(['sasl.mechanism', 'sasl.jaas.config']);

export function clientSasl(props: ReadonlyMap<string, string>): ClientSasl {
  const mechanism = (props.get('sasl.mechanism') ?? 'GSSAPI').trim().toUpperCase();
  if (!isClientSaslMechanism(mechanism)) throw new UnsupportedSecurityError(`sasl.mechanism=${mechanism}`);
  const module = mechanism === 'PLAIN' ? PLAIN_LOGIN_MODULE : SCRAM_LOGIN_MODULE;
  const jaas = props.get('sasl.jaas.config');
  if (jaas === undefined) throw new InvalidArgumentError(`sasl.mechanism=${mechanism} needs sasl.jaas.config=${module} required username="…" password="…";`);
  const parsed = parseJaasLine(jaas);
  if (typeof parsed === 'string') throw new InvalidArgumentError(`sasl.jaas.config: ${parsed}`);
  if (parsed.module !== module) throw new InvalidArgumentError(`sasl.jaas.config: SASL/${mechanism} takes ${module}, not ${parsed.module}.`);
  const username = parsed.options.get('username');
  const password = parsed.options.get('password');
  if (username === undefined || password === undefined) throw new InvalidArgumentError('sasl.jaas.config: give username="…" and password="…".');
  return { mechanism, username, password };
}
