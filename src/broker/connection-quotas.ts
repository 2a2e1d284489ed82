/**
 * Connection limits, as Kafka's ConnectionQuotas: `max.connections` (broker-wide, not applied to
 * the inter-broker listener when there are others), `listener.name.<l>.max.connections`,
 * `max.connections.per.ip` with `max.connections.per.ip.overrides` (`host:count,…`), and the
 * `connection_creation_rate` client quota of ip entities (a named ip, else the default ip).
 *
 * Where Kafka's acceptor blocks until a slot frees for the broker-wide and listener limits, Samsa
 * closes the new connection at once (Node accepts for us and has no backlog to leave it in); over
 * the per-ip limit both close it at once; over an ip's creation rate both close it after the
 * throttle time, without reading from it. A TLS connection is counted once its handshake is done.
 */
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { ConfigError, type BrokerConfig } from '../cluster/config.js';
import { CONNECTION_CREATION_RATE, IP, quotaEntries } from '../cluster/client-quotas.js';
import type { QuotaRecordSource } from './client-quota-manager.js';
import { recordAndGetThrottleMs, WindowedRate, type RateWindows } from './quota-rate.js';

const UNLIMITED = 2 ** 31 - 1;

/** What admission says of a new connection. */
export type Admission = { accepted: true } | { accepted: false; reason: string; closeAfterMs: number };

export interface ConnectionQuotasOptions {
  config: BrokerConfig;
  /** The value in force of a broker key (the three connection keys are dynamic in Kafka). */
  valueInForce: (key: string) => string | null;
  quotas: QuotaRecordSource;
  windows: RateWindows;
}

export class ConnectionQuotas {
  private readonly perIp = new Map<string, number>();
  private readonly perListener = new Map<string, number>();
  private total = 0;
  private readonly interBrokerListener: string;
  private readonly listenerMax = new Map<string, number>();
  private overridesText = '';
  private overrides = new Map<string, number>();
  private quotaVersion = -1;
  private ipRates: { byIp: Map<string, number>; dflt: number | null } = { byIp: new Map(), dflt: null };
  private readonly creationRates = new Map<string, WindowedRate>();

  constructor(private readonly opts: ConnectionQuotasOptions) {
    const { config } = opts;
    this.interBrokerListener = config.raw['inter.broker.listener.name'] ?? config.listeners[0]!.name;
    for (const l of config.listeners) {
      const key = `listener.name.${l.name.toLowerCase()}.max.connections`;
      const v = config.raw[key];
      if (v !== undefined) this.listenerMax.set(l.name, count(key, v));
    }
    count('max.connections', opts.valueInForce('max.connections') ?? String(UNLIMITED));
    const perIp = count('max.connections.per.ip', opts.valueInForce('max.connections.per.ip') ?? String(UNLIMITED));
    const overrides = opts.valueInForce('max.connections.per.ip.overrides') ?? '';
    if (perIp === 0 && overrides.trim() === '')
      throw new ConfigError('max.connections.per.ip can be set to zero only if max.connections.per.ip.overrides property is set.');
    parseOverrides(overrides);
  }

  /** Resolves the host names among the per-ip overrides (Kafka resolves them when the config is read). */
  async resolveOverrides(): Promise<void> {
    this.overrides = await resolveOverrides(this.opts.valueInForce('max.connections.per.ip.overrides') ?? '');
    this.overridesText = this.opts.valueInForce('max.connections.per.ip.overrides') ?? '';
  }

  /** Counts a new connection, or says why it is refused (it is then not counted). */
  admit(listener: string, remoteAddress: string, nowMs: number): Admission {
    const ip = normalizeIp(remoteAddress);
    const onListener = this.perListener.get(listener) ?? 0;
    const listenerMax = this.listenerMax.get(listener) ?? UNLIMITED;
    if (onListener >= listenerMax) return refused(`listener ${listener} already has its maximum of ${listenerMax} connections (listener.name.${listener.toLowerCase()}.max.connections)`);
    const brokerMax = this.intInForce('max.connections');
    if (!this.protectedListener(listener) && this.total >= brokerMax) return refused(`the broker already has its maximum of ${brokerMax} connections (max.connections)`);
    const rateThrottleMs = this.recordCreation(ip, nowMs);
    if (rateThrottleMs > 0) return { accepted: false, reason: `connections from ${ip} are above its connection_creation_rate quota`, closeAfterMs: rateThrottleMs };
    const fromIp = this.perIp.get(ip) ?? 0;
    const ipMax = this.ipMax(ip);
    if (fromIp >= ipMax) return refused(`Rejected connection from ${ip}, address already has the configured maximum of ${ipMax} connections.`);
    this.perIp.set(ip, fromIp + 1);
    this.perListener.set(listener, onListener + 1);
    this.total++;
    return { accepted: true };
  }

  /** A counted connection closed. */
  release(listener: string, remoteAddress: string): void {
    const ip = normalizeIp(remoteAddress);
    const n = this.perIp.get(ip) ?? 0;
    if (n <= 1) this.perIp.delete(ip);
    else this.perIp.set(ip, n - 1);
    this.perListener.set(listener, Math.max(0, (this.perListener.get(listener) ?? 0) - 1));
    this.total = Math.max(0, this.total - 1);
  }

  /** Open connections on a listener (for the metrics). */
  connectionsOn(listener: string): number {
    return this.perListener.get(listener) ?? 0;
  }

  /** Connections counted from an address (for tests). */
  connectionsFrom(remoteAddress: string): number {
    return this.perIp.get(normalizeIp(remoteAddress)) ?? 0;
  }

  /** The inter-broker listener is exempt from max.connections when it is not the only one (Kafka's protectedListener). */
  private protectedListener(listener: string): boolean {
    return listener === this.interBrokerListener && this.opts.config.listeners.length > 1;
  }

  private intInForce(key: string): number {
    const v = Number(this.opts.valueInForce(key) ?? UNLIMITED);
    return Number.isInteger(v) && v >= 0 ? v : UNLIMITED;
  }

  private ipMax(ip: string): number {
    const text = this.opts.valueInForce('max.connections.per.ip.overrides') ?? '';
    if (text !== this.overridesText) {
      // Changed at runtime: literal addresses apply now; host names once resolved.
      this.overridesText = text;
      this.overrides = literalOverrides(text);
      void this.resolveOverrides().catch(() => undefined);
    }
    return this.overrides.get(ip) ?? this.intInForce('max.connections.per.ip');
  }

  /** Records a connection against the ip's creation-rate quota; the throttle time when above it (at most one window, as Kafka). */
  private recordCreation(ip: string, nowMs: number): number {
    const version = this.opts.quotas.recordsVersion('quota');
    if (version !== this.quotaVersion) {
      this.quotaVersion = version;
      this.ipRates = ipCreationRates(this.opts.quotas.records('quota'));
    }
    const bound = this.ipRates.byIp.get(ip) ?? this.ipRates.dflt;
    if (bound === null) return 0;
    let rate = this.creationRates.get(ip);
    if (rate === undefined) this.creationRates.set(ip, (rate = new WindowedRate(this.opts.windows)));
    const throttleMs = recordAndGetThrottleMs(rate, 1, bound, nowMs, this.opts.windows.windowMs);
    // A refused connection does not count toward the rate.
    if (throttleMs > 0) rate.record(-1, nowMs);
    return throttleMs;
  }
}

function refused(reason: string): Admission {
  return { accepted: false, reason, closeAfterMs: 0 };
}

/** IPv4 clients of a dual-stack listener show as ::ffff:a.b.c.d; Kafka's InetAddress sees a.b.c.d. */
export function normalizeIp(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function count(key: string, text: string): number {
  const n = Number(text.trim());
  if (!Number.isInteger(n) || n < 0 || n > UNLIMITED) throw new ConfigError(`${key}: '${text}' is not a connection count (a whole number from 0 to ${UNLIMITED}).`);
  return n;
}

/** `host:count,host:count` (an IPv6 host keeps its colons: the count follows the last one). */
function parseOverrides(text: string): Array<[host: string, count: number]> {
  const out: Array<[string, number]> = [];
  for (const entry of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const colon = entry.lastIndexOf(':');
    if (colon <= 0) throw new ConfigError(`max.connections.per.ip.overrides: '${entry}' is not host:count (e.g. 10.0.0.1:200,localhost:50).`);
    out.push([entry.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), count('max.connections.per.ip.overrides', entry.slice(colon + 1))]);
  }
  return out;
}

function literalOverrides(text: string): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const [host, n] of parseOverrides(text)) if (isIP(host) !== 0) out.set(normalizeIp(host), n);
  } catch {
    // A bad value was refused when it was set; keep none rather than fail a connection.
  }
  return out;
}

async function resolveOverrides(text: string): Promise<Map<string, number>> {
  const out = literalOverrides(text);
  for (const [host, n] of parseOverrides(text)) {
    if (isIP(host) !== 0) continue;
    try {
      for (const a of await lookup(host, { all: true })) out.set(normalizeIp(a.address), n);
    } catch {
      // Kafka refuses an unresolvable host when the config is read; here it simply has no override.
    }
  }
  return out;
}

/** The connection_creation_rate of each ip entity and of the default ip. */
function ipCreationRates(records: ReadonlyMap<string, unknown>): { byIp: Map<string, number>; dflt: number | null } {
  const byIp = new Map<string, number>();
  let dflt: number | null = null;
  for (const e of quotaEntries(records).values()) {
    const v = e.values.get(CONNECTION_CREATION_RATE);
    if (v === undefined || !(IP in e.entity)) continue;
    const ip = e.entity[IP];
    if (ip === null || ip === undefined) dflt = v;
    else byIp.set(normalizeIp(ip), v);
  }
  return { byIp, dflt };
}
