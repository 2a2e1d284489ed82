/**
 * The client's TLS settings from Kafka's client keys, for security.protocol=SSL: the truststore
 * (PEM: `ssl.truststore.location` or `ssl.truststore.certificates`; without one, Node's default
 * CAs, as a Java client falls back to the JVM's), an optional keystore for mutual TLS (PEM file
 * or inline `ssl.keystore.key` + `ssl.keystore.certificate.chain`, `ssl.key.password`; or PKCS12
 * with `ssl.keystore.password`), and `ssl.endpoint.identification.algorithm` (`https`, the
 * default, checks the broker's name against its certificate; empty turns that off).
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsConnectOptions } from 'node:tls';
import { pemParts } from '../util/pem.js';
import { InvalidArgumentError } from './errors.js';

/** What a connection hands to tls.connect. */
export type ClientTls = Pick<TlsConnectOptions, 'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'checkServerIdentity'>;

/** The ssl.* keys the client reads; others are reported as not honoured. */
export const CLIENT_TLS_KEYS = new Set([
  'ssl.truststore.type', 'ssl.truststore.location', 'ssl.truststore.certificates', 'ssl.keystore.type', 'ssl.keystore.location', 'ssl.keystore.password',
  'ssl.key.password', 'ssl.keystore.key', 'ssl.keystore.certificate.chain', 'ssl.endpoint.identification.algorithm',
]);

function read(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new InvalidArgumentError(`${key}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
  }
}

export function clientTls(props: ReadonlyMap<string, string>): ClientTls {
  const get = (k: string): string | undefined => props.get(k);
  const out: ClientTls = {};
  const trustLocation = get('ssl.truststore.location');
  const trustInline = get('ssl.truststore.certificates');
  if (trustLocation !== undefined || trustInline !== undefined) {
    const type = (get('ssl.truststore.type') ?? 'JKS').trim().toUpperCase();
    if (type !== 'PEM') throw new InvalidArgumentError(`ssl.truststore.type: Samsa's client reads PEM truststores; set ssl.truststore.type=PEM with the CA certificates in PEM.`);
    const { certs } = pemParts(trustInline ?? read(trustLocation!, 'ssl.truststore.location').toString('utf8'));
    if (certs.length === 0) throw new InvalidArgumentError('ssl.truststore: it holds no certificate (-----BEGIN CERTIFICATE-----).');
    out.ca = certs;
  }
  const storeLocation = get('ssl.keystore.location');
  const inlineKey = get('ssl.keystore.key');
  const inlineChain = get('ssl.keystore.certificate.chain');
  if (storeLocation !== undefined || inlineKey !== undefined || inlineChain !== undefined) {
    const type = (get('ssl.keystore.type') ?? 'JKS').trim().toUpperCase();
    if (type === 'PKCS12') {
      if (storeLocation === undefined) throw new InvalidArgumentError('ssl.keystore.type=PKCS12 needs ssl.keystore.location.');
      out.pfx = read(storeLocation, 'ssl.keystore.location');
      const password = get('ssl.keystore.password');
      if (password !== undefined) out.passphrase = password;
    } else if (type === 'PEM') {
      if ((inlineKey === undefined) !== (inlineChain === undefined)) throw new InvalidArgumentError('ssl.keystore.key and ssl.keystore.certificate.chain go together; give both, or ssl.keystore.location.');
      const text = inlineKey !== undefined ? `${inlineKey}\n${inlineChain}` : read(storeLocation!, 'ssl.keystore.location').toString('utf8');
      const { key, encrypted, certs } = pemParts(text);
      if (key === null || certs.length === 0) throw new InvalidArgumentError('ssl.keystore: a PEM keystore holds the private key and its certificate chain.');
      const password = get('ssl.key.password');
      if (encrypted && password === undefined) throw new InvalidArgumentError('ssl.keystore: the private key is encrypted; set ssl.key.password.');
      out.key = key;
      out.cert = certs.join('\n');
      if (password !== undefined) out.passphrase = password;
    } else throw new InvalidArgumentError(`ssl.keystore.type: '${type}' is not a keystore type Samsa reads; use PEM or PKCS12 (convert JKS with keytool -importkeystore -deststoretype PKCS12).`);
  }
  const algorithm = (get('ssl.endpoint.identification.algorithm') ?? 'https').trim().toLowerCase();
  if (algorithm === '') out.checkServerIdentity = () => undefined;
  else if (algorithm !== 'https') throw new InvalidArgumentError(`ssl.endpoint.identification.algorithm: '${algorithm}' must be https or empty.`);
  return out;
}
