/**
 * SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka speaks them: the key derivations
 * both sides compute, and the four messages of the exchange, parsed and written. Kafka's
 * variant: no channel binding (gs2 flag `n`), an optional authorization id that must equal the
 * user, and extensions after the nonce (`tokenauth=true` marks a delegation token).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface ScramMechanism {
  name: ScramMechanismName;
  /** Kafka's ScramMechanism type code in DescribeUserScramCredentials / AlterUserScramCredentials. */
  code: number;
  hash: 'sha256' | 'sha512';
  /** Kafka's minimum iteration count for the mechanism (4096 for both). */
  minIterations: number;
}

export const SCRAM_MECHANISMS: readonly ScramMechanism[] = [
  { name: 'SCRAM-SHA-256', code: 1, hash: 'sha256', minIterations: 4096 },
  { name: 'SCRAM-SHA-512', code: 2, hash: 'sha512', minIterations: 4096 },
];

/** Kafka's upper bound on iterations (ScramControlManager.MAX_ITERATIONS). */
export const SCRAM_MAX_ITERATIONS = 16384;

export function scramMechanism(nameOrCode: string | number): ScramMechanism | undefined {
  return SCRAM_MECHANISMS.find((m) => m.name === nameOrCode || m.code === nameOrCode);
}

/** What the broker keeps per user and mechanism: never the password, nor the salted password. */
export interface ScramCredential {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
  iterations: number;
}

export function hmac(m: ScramMechanism, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(m.hash, key).update(data).digest();
}

export function hash(m: ScramMechanism, data: Buffer): Buffer {
  return createHash(m.hash).update(data).digest();
}

/** Hi(password, salt, i) of RFC 5802: PBKDF2 with the mechanism's HMAC. */
export function saltedPassword(m: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password.normalize('NFKC'), 'utf8'), salt, iterations, m.hash === 'sha256' ? 32 : 64, m.hash);
}

export function clientKey(m: ScramMechanism, salted: Buffer): Buffer {
  return hmac(m, salted, 'Client Key');
}

/** The credential the broker stores, from the salted password AlterUserScramCredentials carries. */
export function credentialFromSalted(m: ScramMechanism, salt: Buffer, salted: Buffer, iterations: number): ScramCredential {
  return { salt, iterations, storedKey: hash(m, clientKey(m, salted)), serverKey: hmac(m, salted, 'Server Key') };
}

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ (b[i] ?? 0);
  return out;
}

/** Equal buffers, compared in time that does not depend on where they differ. */
export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A nonce of printable characters without a comma, as RFC 5802 asks. */
export function scramNonce(): string {
  return randomBytes(24).toString('base64url');
}

/** A user name as RFC 5802's saslname writes it: `,` as `=2C`, `=` as `=3D`. */
export function encodeSaslName(user: string): string {
  return user.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** The user of a saslname; null when it holds an `=` that is not one of the two escapes. */
export function decodeSaslName(name: string): string | null {
  if (/=(?!2C|3D)/.test(name)) return null;
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

const VALUE = '[\\x01-\\x2B\\x2D-\\x7F]*';
const PRINTABLE = '[\\x21-\\x2B\\x2D-\\x7E]+';
const EXTENSIONS = `(?:,[a-zA-Z0-9]+=${VALUE})*`;
const CLIENT_FIRST = new RegExp(`^n,(?:a=(${VALUE}))?,(n=(${VALUE}),r=(${PRINTABLE})(${EXTENSIONS}))$`, 's');
const CLIENT_FINAL = new RegExp(`^(c=([a-zA-Z0-9/+]+=*),r=(${PRINTABLE})${EXTENSIONS}),p=([a-zA-Z0-9/+]+=*)$`, 's');
const SERVER_FIRST = new RegExp(`^(?:m=[^,]*,)?r=(${PRINTABLE}),s=([a-zA-Z0-9/+]+=*),i=([0-9]+)(?:,.*)?$`, 's');
const SERVER_FINAL = /^(?:e=([^,]*)|v=([a-zA-Z0-9/+]+=*))(?:,.*)?$/s;

export interface ClientFirst {
  /** The gs2 header as sent (`n,,` or `n,a=<authzid>,`): the final message's `c=` is its base64. */
  gs2Header: string;
  authzid: string;
  /** The user (saslname decoded). */
  user: string;
  nonce: string;
  extensions: Map<string, string>;
  /** The message without its gs2 header: part of the AuthMessage. */
  bare: string;
}

export function parseClientFirst(text: string): ClientFirst | null {
  const m = CLIENT_FIRST.exec(text);
  if (m === null) return null;
  const user = decodeSaslName(m[3]!);
  if (user === null) return null;
  const extensions = new Map<string, string>();
  for (const part of (m[5] ?? '').split(',').slice(1)) {
    const eq = part.indexOf('=');
    extensions.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const authzid = m[1] ?? '';
  return { gs2Header: `n,${m[1] !== undefined ? `a=${authzid}` : ''},`, authzid, user, nonce: m[4]!, extensions, bare: m[2]! };
}

export interface ClientFinal {
  channelBinding: Buffer;
  nonce: string;
  proof: Buffer;
  /** The message up to `,p=`: the last part of the AuthMessage. */
  withoutProof: string;
}

export function parseClientFinal(text: string): ClientFinal | null {
  const m = CLIENT_FINAL.exec(text);
  if (m === null) return null;
  return { withoutProof: m[1]!, channelBinding: Buffer.from(m[2]!, 'base64'), nonce: m[3]!, proof: Buffer.from(m[4]!, 'base64') };
}

export interface ServerFirst {
  nonce: string;
  salt: Buffer;
  iterations: number;
}

export function parseServerFirst(text: string): ServerFirst | null {
  const m = SERVER_FIRST.exec(text);
  if (m === null) return null;
  return { nonce: m[1]!, salt: Buffer.from(m[2]!, 'base64'), iterations: Number(m[3]) };
}

/** The server's last message: its signature, or the error it names. */
export function parseServerFinal(text: string): { error: string } | { signature: Buffer } | null {
  const m = SERVER_FINAL.exec(text);
  if (m === null) return null;
  return m[1] !== undefined ? { error: m[1] } : { signature: Buffer.from(m[2]!, 'base64') };
}

/** RFC 5802's AuthMessage: client-first-bare "," server-first "," client-final-without-proof. */
export function authMessage(clientFirstBare: string, serverFirst: string, clientFinalWithoutProof: string): string {
  return `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
}
