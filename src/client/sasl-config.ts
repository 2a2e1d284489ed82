/**
 * The client's SASL login for security.protocol=SASL_PLAINTEXT or SASL_SSL, from Kafka's client
 * keys: `sasl.mechanism=PLAIN` (Kafka's default, GSSAPI, and the other mechanisms are refused
 * until they exist) and `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule
 * required username="alice" password="alice-secret";`.
 */
import { PLAIN_LOGIN_MODULE, parseJaasLine } from '../util/jaas.js';
import { InvalidArgumentError, UnsupportedSecurityError } from './errors.js';

export interface ClientSasl {
  mechanism: 'PLAIN';
  username: string;
  password: string;
}

export const CLIENT_SASL_KEYS = new Set(['sasl.mechanism', 'sasl.jaas.config']);

export function clientSasl(props: ReadonlyMap<string, string>): ClientSasl {
  const mechanism = (props.get('sasl.mechanism') ?? 'GSSAPI').trim().toUpperCase();
  if (mechanism !== 'PLAIN') throw new UnsupportedSecurityError(`sasl.mechanism=${mechanism}`);
  const jaas = props.get('sasl.jaas.config');
  if (jaas === undefined) throw new InvalidArgumentError(`sasl.mechanism=PLAIN needs sasl.jaas.config=${PLAIN_LOGIN_MODULE} required username="…" password="…";`);
  const parsed = parseJaasLine(jaas);
  if (typeof parsed === 'string') throw new InvalidArgumentError(`sasl.jaas.config: ${parsed}`);
  if (parsed.module !== PLAIN_LOGIN_MODULE) throw new InvalidArgumentError(`sasl.jaas.config: SASL/PLAIN takes ${PLAIN_LOGIN_MODULE}, not ${parsed.module}.`);
  const username = parsed.options.get('username');
  const password = parsed.options.get('password');
  if (username === undefined || password === undefined) throw new InvalidArgumentError('sasl.jaas.config: give username="…" and password="…".');
  return { mechanism: 'PLAIN', username, password };
}
