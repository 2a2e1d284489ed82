/**
 * The client side of a SASL login (KIP-152), shared by Samsa's client (`client/connection.ts`)
 * and by brokers logging in to each other (`cluster/peer-connection.ts`): SaslHandshake v1
 * naming the mechanism, then the tokens in SaslAuthenticate requests until the exchange
 * completes. PLAIN is one token; SCRAM-SHA-256/512 (RFC 5802) is two, and the broker's last
 * message is checked, so a client also knows it reached a broker that holds its credential;
 * OAUTHBEARER (RFC 7628) is the bearer token. A refusal is Kafka's error with the broker's
 * message. Pure but for the channel it is given: no sockets here.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode, KafkaError, errorName } from './errors.js';
import {
  authMessage, clientKey, encodeSaslName, hash, hmac, parseServerFinal, parseServerFirst, sameBytes, saltedPassword, scramMechanism, xor,
  type ScramMechanism,
} from './sasl-scram.js';

/** Who logs in, and how: a user and password (PLAIN, SCRAM), or a bearer token asked at every login. */
export type SaslCredentials =
  | PasswordSasl
  | { mechanism: 'OAUTHBEARER'; token: () => Promise<string> };

export interface PasswordSasl {
  mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  username: string;
  password: string;
}

const SASL_HANDSHAKE_KEY = 17;
const SASL_AUTHENTICATE_KEY = 36;

export interface SaslChannel {
  readonly address: string;
  request<Req, Resp>(apiKey: number, version: number, body: Req): Promise<Resp>;
  versionFor(apiKey: number, max: number, min: number): number;
}

/** One side of an exchange: the first token, then the answer to each of the broker's ('done' when complete). */
interface SaslExchange {
  first(): Buffer | Promise<Buffer>;
  next(server: Buffer): Buffer | 'done';
}

function plainExchange(sasl: PasswordSasl): SaslExchange {
  return { first: () => Buffer.from(`\u0000${sasl.username}\u0000${sasl.password}`, 'utf8'), next: () => 'done' };
}

/** RFC 7628: the token in one message; a refusal comes as a JSON challenge, answered with %x01. */
function oauthExchange(token: () => Promise<string>): SaslExchange {
  return {
    first: async () => Buffer.from(`n,,\x01auth=Bearer ${await token()}\x01\x01`, 'utf8'),
    next: (server) => (server.length === 0 ? 'done' : Buffer.from([1])),
  };
}

function scramExchange(sasl: PasswordSasl, m: ScramMechanism): SaslExchange {
  const nonce = randomBytes(24).toString('base64url');
  const bare = `n=${encodeSaslName(sasl.username)},r=${nonce}`;
  let signature: Buffer | null = null;
  const refuse = (what: string): never => {
    throw new KafkaError(ErrorCode.SASL_AUTHENTICATION_FAILED, `SASL/${m.name}: ${what}`);
  };
  return {
    first: () => Buffer.from(`n,,${bare}`, 'utf8'),
    next(server) {
      const text = server.toString('utf8');
      if (signature === null) {
        const first = parseServerFirst(text);
        if (first === null || !first.nonce.startsWith(nonce) || first.nonce.length === nonce.length) return refuse(`the broker's first message is not valid SCRAM`);
        if (first.iterations < m.minIterations) return refuse(`the broker asks for ${first.iterations} iterations, fewer than the minimum ${m.minIterations}`);
        const salted = saltedPassword(m, sasl.password, first.salt, first.iterations);
        const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${first.nonce}`;
        const auth = authMessage(bare, text, withoutProof);
        const key = clientKey(m, salted);
        const proof = xor(key, hmac(m, hash(m, key), auth));
        signature = hmac(m, hmac(m, salted, 'Server Key'), auth);
        return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
      }
      const final = parseServerFinal(text);
      if (final === null) return refuse(`the broker's final message is not valid SCRAM`);
      if ('error' in final) return refuse(`the broker refused the login: ${final.error}`);
      if (!sameBytes(final.signature, signature)) return refuse(`the broker's signature does not match: it does not hold this user's credential`);
      return 'done';
    },
  };
}

/** Logs in; resolves with the broker's session lifetime in ms (KIP-368; 0 = the session does not expire). */
export async function saslLogin(c: SaslChannel, sasl: SaslCredentials): Promise<number> {
  const hs = await c.request<{ mechanism: string }, { errorCode: number; mechanisms: string[] }>(SASL_HANDSHAKE_KEY, 1, { mechanism: sasl.mechanism });
  if (hs.errorCode !== ErrorCode.NONE)
    throw new KafkaError(hs.errorCode, `${c.address} does not take SASL/${sasl.mechanism} (${errorName(hs.errorCode)}; it enables ${hs.mechanisms.join(', ') || 'none'}).`);
  const version = c.versionFor(SASL_AUTHENTICATE_KEY, 2, 0);
  const scram = scramMechanism(sasl.mechanism);
  const exchange = sasl.mechanism === 'OAUTHBEARER' ? oauthExchange(sasl.token) : scram === undefined ? plainExchange(sasl) : scramExchange(sasl, scram);
  let token = await exchange.first();
  for (;;) {
    const resp = await c.request<{ authBytes: Buffer }, { errorCode: number; errorMessage: string | null; authBytes: Buffer; sessionLifetimeMs?: number }>(SASL_AUTHENTICATE_KEY, version, { authBytes: token });
    if (resp.errorCode !== ErrorCode.NONE) throw new KafkaError(resp.errorCode, resp.errorMessage ?? errorName(resp.errorCode));
    const next = exchange.next(resp.authBytes);
    if (next === 'done') return resp.sessionLifetimeMs ?? 0;
    token = next;
  }
}
