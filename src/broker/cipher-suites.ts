/**
 * `ssl.cipher.suites` as Kafka takes it: the JSSE / IANA names (`TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384`,
 * `TLS_AES_128_GCM_SHA256`), turned into the OpenSSL cipher string Node's TLS takes. TLS 1.2
 * suites are translated by their parts (key exchange, cipher, MAC); TLS 1.3 suites keep their
 * names. Each must be one this Node.js's OpenSSL offers. A list without a TLS 1.3 suite leaves
 * TLS 1.3 out, as Java does when none of its suites is enabled.
 */
import { getCiphers } from 'node:tls';

const TLS13 = new Set(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_CCM_SHA256', 'TLS_AES_128_CCM_8_SHA256']);
const KEY_EXCHANGE: Record<string, string> = { ECDHE_ECDSA: 'ECDHE-ECDSA-', ECDHE_RSA: 'ECDHE-RSA-', DHE_RSA: 'DHE-RSA-', RSA: '' };
const CIPHER: Record<string, string> = { AES_128_GCM: 'AES128-GCM', AES_256_GCM: 'AES256-GCM', AES_128_CBC: 'AES128', AES_256_CBC: 'AES256', CHACHA20_POLY1305: 'CHACHA20-POLY1305' };

/** The OpenSSL name of a TLS 1.2 suite's IANA name, or null when it is not one of the families here. */
export function openSslName(iana: string): string | null {
  const m = /^(?:TLS|SSL)_(ECDHE_ECDSA|ECDHE_RSA|DHE_RSA|RSA)_WITH_(AES_128_GCM|AES_256_GCM|AES_128_CBC|AES_256_CBC|CHACHA20_POLY1305)_(SHA|SHA256|SHA384)$/.exec(iana);
  if (m === null) return null;
  const [, kx, cipher, mac] = m as unknown as [string, string, string, string];
  const base = KEY_EXCHANGE[kx]! + CIPHER[cipher]!;
  if (cipher === 'CHACHA20_POLY1305') return base;
  if (cipher.endsWith('GCM')) return `${base}-${mac}`;
  // CBC: AES128-SHA, ECDHE-RSA-AES256-SHA384, …; plain RSA with SHA-2 keeps the MAC as well.
  return `${base}-${mac}`;
}

export interface CipherChoice {
  /** Node's `ciphers` option. */
  ciphers: string;
  /** False when no TLS 1.3 suite was listed: TLS 1.3 is then not offered. */
  tls13: boolean;
}

/** The cipher choice for a list; a string says which names cannot be used and why. */
export function cipherChoice(list: string): CipherChoice | string {
  const names = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const offered = new Set(getCiphers().map((c) => c.toUpperCase()));
  const out: string[] = [];
  const bad: string[] = [];
  for (const name of names) {
    if (TLS13.has(name)) {
      out.push(name);
      continue;
    }
    const ossl = openSslName(name);
    if (ossl === null || !offered.has(ossl)) bad.push(name);
    else out.push(ossl);
  }
  if (bad.length > 0) return `${bad.join(', ')}: not a cipher suite this broker's TLS (OpenSSL) offers; give IANA names such as TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 or TLS_AES_256_GCM_SHA384`;
  if (out.length === 0) return 'no cipher suites listed; leave it unset for the defaults';
  return { ciphers: out.join(':'), tls13: out.some((n) => TLS13.has(n)) };
}
