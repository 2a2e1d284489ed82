/**
 * The address of an HTTP listener, as the broker key `console.listener` and `samsa console
 * --listen` give it: `http://host:port` (the scheme may be left out by a tool's flag). Plain HTTP
 * only: a console that wants TLS sits behind a proxy that terminates it.
 */

export interface HttpAddress {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

/** The address, or a sentence saying what is wrong with the value. */
export function parseHttpAddress(value: string, opts: { schemeOptional?: boolean } = {}): HttpAddress | string {
  const s = value.trim();
  const m = /^(?:([A-Za-z][A-Za-z0-9+.-]*):\/\/)?(\[[^\]]+\]|[^:/[\]]*):(\d+)\/?$/.exec(s);
  if (m === null) return `'${value}' is not http://host:port (e.g. http://127.0.0.1:8080)`;
  const scheme = m[1]?.toLowerCase();
  if (scheme === undefined && opts.schemeOptional !== true) return `'${value}' has no scheme; write http://${s}`;
  if (scheme !== undefined && scheme !== 'http') return `'${value}' uses ${scheme}://, but only http:// is served (put a TLS proxy in front for https)`;
  const port = Number(m[3]);
  if (port > 65535) return `port ${port} in '${value}' is out of range 0-65535`;
  const host = m[2]!.replace(/^\[|\]$/g, '');
  return { host: host === '' ? '0.0.0.0' : host, port };
}

/** `http://host:port/` for a bound address, with IPv6 hosts bracketed. */
export function httpUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}/`;
}
