/**
 * PEM text as Kafka's PEM keystores and truststores hold it: the private key (plain or
 * encrypted, PKCS#8 or the older RSA / EC forms) and the certificates, in file order. Inline
 * values in a properties file may carry their line breaks as `\n`.
 */
const PRIVATE_KEY = /-----BEGIN (?:ENCRYPTED |RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:ENCRYPTED |RSA |EC )?PRIVATE KEY-----/;
const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export interface PemParts {
  key: string | null;
  /** True when the private key is encrypted (it needs a password). */
  encrypted: boolean;
  certs: string[];
}

export function pemParts(text: string): PemParts {
  const pem = text.replace(/\\n/g, '\n');
  const key = PRIVATE_KEY.exec(pem)?.[0] ?? null;
  return { key, encrypted: key?.includes('ENCRYPTED') ?? false, certs: pem.match(CERTIFICATE) ?? [] };
}
