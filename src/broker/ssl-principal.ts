/**
 * The principal of a TLS client certificate, as Kafka's DefaultKafkaPrincipalBuilder makes it:
 * `User:` and the subject's distinguished name in RFC 2253 form (`CN=alice,OU=eng,O=Acme`, the
 * last RDN first, as Java's X500Principal prints it), passed through `ssl.principal.mapping.rules`
 * (Kafka's SslPrincipalMapper: `RULE:pattern/replacement/[LU]` and `DEFAULT`, comma-separated,
 * the first rule whose pattern matches the whole DN wins; none matching refuses the connection).
 */
import type { TLSSocket } from 'node:tls';
import { ConfigError } from '../cluster/config.js';

interface Rule {
  /** null for DEFAULT (the DN as it is). */
  pattern: RegExp | null;
  whole: RegExp | null;
  replacement: string;
  caseChange: 'L' | 'U' | '';
}

/** The mapping rules of `ssl.principal.mapping.rules`; ConfigError with Kafka's sentence for one it cannot parse. */
export class SslPrincipalMapper {
  private constructor(private readonly rules: Rule[]) {}

  static fromRules(text: string | undefined): SslPrincipalMapper {
    const rules: Rule[] = [];
    for (const rule of splitRules(text ?? 'DEFAULT')) {
      if (rule === 'DEFAULT') {
        rules.push({ pattern: null, whole: null, replacement: '', caseChange: '' });
        continue;
      }
      const m = RULE.exec(rule);
      if (m === null || m[0].length !== rule.length) throw new ConfigError(`ssl.principal.mapping.rules: Invalid rule: ${rule}`);
      try {
        rules.push({ pattern: new RegExp(m[1]!, 'g'), whole: new RegExp(`^(?:${m[1]!})$`), replacement: m[2]!, caseChange: (m[3] ?? '') as Rule['caseChange'] });
      } catch (err) {
        throw new ConfigError(`ssl.principal.mapping.rules: Invalid rule: ${rule} (${(err as Error).message})`);
      }
    }
    return new SslPrincipalMapper(rules);
  }

  /** The principal name for a DN; null when no rule applies (Kafka's NoMatchingRule). */
  name(dn: string): string | null {
    for (const r of this.rules) {
      if (r.pattern === null) return dn;
      if (!r.whole!.test(dn)) continue;
      r.pattern.lastIndex = 0;
      const out = dn.replace(r.pattern, r.replacement);
      return r.caseChange === 'L' ? out.toLowerCase() : r.caseChange === 'U' ? out.toUpperCase() : out;
    }
    return null;
  }
}

/** `RULE:pattern/replacement/` with an optional L or U; `\` escapes a `/` inside either part. */
const RULE = /^RULE:((?:\\.|[^\\/])*)\/((?:\\.|[^\\/])*)\/([LU]?)/;

/** Splits Kafka's comma-separated list, where commas inside a RULE's pattern belong to it. */
function splitRules(text: string): string[] {
  const out: string[] = [];
  let rest = text.trim();
  while (rest !== '') {
    let rule: string;
    if (rest.startsWith('RULE:')) {
      const m = RULE.exec(rest);
      if (m === null) throw new ConfigError(`ssl.principal.mapping.rules: Invalid rule: ${rest}`);
      const after = rest.slice(m[0].length);
      const comma = after.indexOf(',');
      rule = m[0] + (comma < 0 ? after : after.slice(0, comma)).trimEnd();
      rest = comma < 0 ? '' : after.slice(comma + 1);
      // Kafka accepts (and ignores) text after the flags up to the comma only when it is blank.
      if (rule.length !== m[0].length) throw new ConfigError(`ssl.principal.mapping.rules: Invalid rule: \`${rule}\`, unmatched substring: \`${rule.slice(m[0].length)}\``);
    } else {
      const comma = rest.indexOf(',');
      rule = (comma < 0 ? rest : rest.slice(0, comma)).trim();
      rest = comma < 0 ? '' : rest.slice(comma + 1);
      if (rule !== 'DEFAULT') throw new ConfigError(`ssl.principal.mapping.rules: Invalid rule: ${rule}`);
    }
    out.push(rule);
    rest = rest.trim();
  }
  return out;
}

/** The OIDs Java prints for attributes RFC 2253 has no keyword for (with their ASN.1 string tag). */
const OID_ATTRIBUTES: Record<string, { oid: string; tag: number }> = { emailAddress: { oid: '1.2.840.113549.1.9.1', tag: 0x16 } };

/** RFC 2253 text of a subject as Node prints it (one RDN a line, most significant first, values already escaped). */
export function rfc2253(subject: string): string {
  return subject
    .split('\n')
    .filter((line) => line !== '')
    .reverse()
    .map((rdn) => rdn.split(' + ').map(attribute).join('+'))
    .join(',');
}

function attribute(ava: string): string {
  const eq = ava.indexOf('=');
  const special = eq > 0 ? OID_ATTRIBUTES[ava.slice(0, eq)] : undefined;
  if (special === undefined) return ava;
  const value = Buffer.from(ava.slice(eq + 1).replace(/\\(.)/g, '$1'), 'utf8');
  if (value.length > 127) return ava;
  return `${special.oid}=#${Buffer.concat([Buffer.from([special.tag, value.length]), value]).toString('hex')}`;
}

/**
 * The principal of a TLS connection: `User:<mapped DN>` when the client presented a certificate
 * the truststore vouches for, null without one (the caller keeps User:ANONYMOUS), and an Error
 * when no mapping rule applies (Kafka closes the connection then).
 */
export function tlsPrincipal(socket: TLSSocket, mapper: SslPrincipalMapper): string | null | Error {
  const cert = socket.getPeerX509Certificate();
  if (cert === undefined) return null;
  // ssl.client.auth=requested: no certificate is fine, an untrusted one fails as in Kafka's handshake.
  if (!socket.authorized) return new Error(`the client certificate is not trusted (${String(socket.authorizationError)})`);
  const dn = rfc2253(cert.subject);
  const name = mapper.name(dn);
  return name === null ? new Error(`No rules apply to ${dn}`) : `User:${name}`;
}
