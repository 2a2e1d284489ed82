/**
 * TLS for SSL listeners, from Kafka's `ssl.*` keys: each key may be given for one listener as
 * `listener.name.<name>.ssl.…` (the name in lower case, as Kafka writes it), which wins over the
 * plain `ssl.…`. Keystores: PEM (`ssl.keystore.location`, a file with the private key and the
 * certificate chain, or `ssl.keystore.key` + `ssl.keystore.certificate.chain` inline; an encrypted
 * key opened with `ssl.key.password`) and PKCS12 (`ssl.keystore.password`). Truststores: PEM
 * (`ssl.truststore.location` or `ssl.truststore.certificates`). JKS, Kafka's default type, is
 * refused with the keytool line that converts it. `ssl.client.auth` none | requested | required;
 * `ssl.enabled.protocols` among TLSv1.2 and TLSv1.3; `ssl.cipher.suites` by their IANA names
 * (cipher-suites.ts). Every problem is a ConfigError sentence at
 * start-up, never a listener that serves without what was asked.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { TlsOptions } from 'node:tls';
import type { PeerTls } from '../cluster/peer-connection.js';
import { cipherChoice } from './cipher-suites.js';
import { ConfigError } from '../cluster/config.js';
import { pemParts } from '../util/pem.js';

const PROTOCOLS = ['TLSv1.2', 'TLSv1.3'] as const;
type TlsVersion = (typeof PROTOCOLS)[number];

/** A key's value for this listener: its listener.name.<name>. form first, then the plain key. */
export function keyFor(raw: Readonly<Record<string, string>>, listener: string, key: string): { key: string; value: string | undefined } {
  const scoped = `listener.name.${listener.toLowerCase()}.${key}`;
  if (raw[scoped] !== undefined) return { key: scoped, value: raw[scoped] };
  return { key, value: raw[key] };
}

function readFile(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`${key}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
  }
}

function keystore(raw: Readonly<Record<string, string>>, listener: string): Pick<TlsOptions, 'key' | 'cert' | 'pfx' | 'passphrase'> {
  const get = (k: string) => keyFor(raw, listener, k);
  const type = (get('ssl.keystore.type').value ?? 'JKS').trim().toUpperCase();
  const location = get('ssl.keystore.location');
  const inlineKey = get('ssl.keystore.key');
  const inlineChain = get('ssl.keystore.certificate.chain');
  const keyPassword = get('ssl.key.password').value;
  const storePassword = get('ssl.keystore.password').value;
  if (type === 'JKS')
    throw new ConfigError(
      `${get('ssl.keystore.type').key}: listener ${listener} needs a PEM or PKCS12 keystore (JKS is Java's own format); set ssl.keystore.type=PEM or PKCS12, converting a JKS file with 'keytool -importkeystore -srckeystore server.jks -destkeystore server.p12 -deststoretype PKCS12'.`,
    );
  if (type === 'PKCS12') {
    if (location.value === undefined) throw new ConfigError(`${location.key}: listener ${listener} has ssl.keystore.type=PKCS12 but no keystore file.`);
    return { pfx: readFile(location.value, location.key), ...(storePassword !== undefined ? { passphrase: storePassword } : {}) };
  }
  if (type !== 'PEM') throw new ConfigError(`${get('ssl.keystore.type').key}: '${type}' is not a keystore type Samsa reads; use PEM or PKCS12.`);
  let pem: string;
  if (inlineKey.value !== undefined || inlineChain.value !== undefined) {
    if (inlineKey.value === undefined || inlineChain.value === undefined)
      throw new ConfigError(`listener ${listener}: ssl.keystore.key and ssl.keystore.certificate.chain go together; give both, or ssl.keystore.location instead.`);
    if (location.value !== undefined) throw new ConfigError(`listener ${listener}: give ssl.keystore.location or the inline ssl.keystore.key and ssl.keystore.certificate.chain, not both.`);
    pem = `${inlineKey.value}\n${inlineChain.value}`;
  } else {
    if (location.value === undefined) throw new ConfigError(`listener ${listener} is an SSL listener without a keystore: set ssl.keystore.type=PEM and ssl.keystore.location to a file with the private key and the certificate chain.`);
    pem = readFile(location.value, location.key).toString('utf8');
  }
  const { key, encrypted, certs } = pemParts(pem);
  if (key === null) throw new ConfigError(`listener ${listener}: the PEM keystore holds no private key (-----BEGIN PRIVATE KEY-----).`);
  if (certs.length === 0) throw new ConfigError(`listener ${listener}: the PEM keystore holds no certificate (-----BEGIN CERTIFICATE-----).`);
  if (encrypted && keyPassword === undefined) throw new ConfigError(`listener ${listener}: the private key is encrypted; set ssl.key.password.`);
  return { key, cert: certs.join('\n'), ...(keyPassword !== undefined ? { passphrase: keyPassword } : {}) };
}

function truststore(raw: Readonly<Record<string, string>>, listener: string): string[] | undefined {
  const get = (k: string) => keyFor(raw, listener, k);
  const location = get('ssl.truststore.location');
  const inline = get('ssl.truststore.certificates');
  if (location.value === undefined && inline.value === undefined) return undefined;
  const type = (get('ssl.truststore.type').value ?? 'JKS').trim().toUpperCase();
  if (type !== 'PEM') throw new ConfigError(`${get('ssl.truststore.type').key}: Samsa reads PEM truststores; set ssl.truststore.type=PEM with the CA certificates in PEM (openssl pkcs12 -in truststore.p12 -nokeys -out ca.pem).`);
  const text = inline.value !== undefined ? inline.value : readFile(location.value!, location.key).toString('utf8');
  const { certs } = pemParts(text);
  if (certs.length === 0) throw new ConfigError(`listener ${listener}: the truststore holds no certificate (-----BEGIN CERTIFICATE-----).`);
  return certs;
}

/** The TLS server options of an SSL listener; ConfigError says what is missing or wrong. */
export function listenerTlsOptions(raw: Readonly<Record<string, string>>, listener: string): TlsOptions {
  const get = (k: string) => keyFor(raw, listener, k);
  const auth = get('ssl.client.auth');
  const clientAuth = (auth.value ?? 'none').trim().toLowerCase();
  if (!['none', 'requested', 'required'].includes(clientAuth)) throw new ConfigError(`${auth.key}: '${auth.value}' must be none, requested or required.`);
  const enabled = get('ssl.enabled.protocols');
  const versions = (enabled.value ?? 'TLSv1.2,TLSv1.3').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = versions.filter((v) => !(PROTOCOLS as readonly string[]).includes(v));
  if (unknown.length > 0 || versions.length === 0) throw new ConfigError(`${enabled.key}: '${enabled.value}' must list TLSv1.2 and/or TLSv1.3 (older versions are not offered).`);
  const suites = get('ssl.cipher.suites');
  const choice = suites.value === undefined || suites.value.trim() === '' ? null : cipherChoice(suites.value);
  if (typeof choice === 'string') throw new ConfigError(`${suites.key}: ${choice}.`);
  if (choice !== null && !choice.tls13 && !versions.includes('TLSv1.2'))
    throw new ConfigError(`${suites.key}: lists only TLS 1.2 suites while ${enabled.key} enables only TLSv1.3; add a TLS 1.3 suite (e.g. TLS_AES_256_GCM_SHA384) or enable TLSv1.2.`);
  const ca = truststore(raw, listener);
  if (clientAuth !== 'none' && ca === undefined)
    throw new ConfigError(`listener ${listener}: ssl.client.auth=${clientAuth} needs a truststore (ssl.truststore.type=PEM and ssl.truststore.location) to check client certificates against.`);
  // A list without TLS 1.3 suites leaves TLS 1.3 out, as Java does.
  const sorted = [...versions].filter((v) => choice === null || choice.tls13 || v !== 'TLSv1.3').sort() as TlsVersion[];
  return {
    ...(choice !== null ? { ciphers: choice.ciphers } : {}),
    ...keystore(raw, listener),
    ...(ca !== undefined ? { ca } : {}),
    requestCert: clientAuth !== 'none',
    rejectUnauthorized: clientAuth === 'required',
    minVersion: sorted[0],
    maxVersion: sorted[sorted.length - 1],
  };
}

/**
 * How this broker connects to its peers' SSL inter-broker listener: the listener's truststore
 * as CAs and its keystore as the client certificate (for peers that require one), checking the
 * peer's name against its certificate unless ssl.endpoint.identification.algorithm is empty.
 */
export function interBrokerTls(raw: Readonly<Record<string, string>>, listener: string): PeerTls {
  const server = listenerTlsOptions(raw, listener);
  const algorithm = (keyFor(raw, listener, 'ssl.endpoint.identification.algorithm').value ?? 'https').trim().toLowerCase();
  return {
    ...(server.ca !== undefined ? { ca: server.ca } : {}),
    ...(server.key !== undefined ? { key: server.key, cert: server.cert } : {}),
    ...(server.pfx !== undefined ? { pfx: server.pfx } : {}),
    ...(server.passphrase !== undefined ? { passphrase: server.passphrase } : {}),
    ...(algorithm === '' ? { checkServerIdentity: () => undefined } : {}),
  };
}

/** How often the keystore and truststore files are checked for changes. */
const RELOAD_CHECK_MS = 1000;

/**
 * Reloads an SSL listener's certificates when its keystore or truststore file changes (as Kafka
 * reloads them on a dynamic listener.name.*.ssl.* update): `apply` gets the new options, which
 * new connections use; a file that does not load (half written, a key without its certificate)
 * goes to `failed` and the options in force stay. Returns the unwatch.
 */
export function watchTlsFiles(raw: Readonly<Record<string, string>>, listener: string, apply: (o: TlsOptions) => void, failed: (err: Error) => void): () => void {
  const files = ['ssl.keystore.location', 'ssl.truststore.location'].map((k) => keyFor(raw, listener, k).value).filter((f): f is string => f !== undefined);
  const changed = (now: { mtimeMs: number; size: number }, before: { mtimeMs: number; size: number }): void => {
    if (now.mtimeMs === before.mtimeMs && now.size === before.size) return;
    try {
      apply(listenerTlsOptions(raw, listener));
    } catch (err) {
      failed(err as Error);
    }
  };
  for (const f of files) watchFile(f, { interval: RELOAD_CHECK_MS, persistent: false }, changed);
  return () => {
    for (const f of files) unwatchFile(f, changed);
  };
}
