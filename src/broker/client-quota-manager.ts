/**
 * Client quota enforcement, as Kafka's ClientQuotaManager and ClientRequestQuotaManager: produce
 * bytes, fetch bytes and request handler time are measured per (user, client-id) over the
 * `quota.window.num` × `quota.window.size.seconds` windows; a request that takes its rate above the
 * quota in force gets a throttle time, which goes into the response's throttle_time_ms while the
 * connection stops reading for that long (KIP-219).
 *
 * The quota in force is the most specific entity that sets the key, in Kafka's order:
 *   1. /config/users/<user>/clients/<client-id>   5. /config/users/<default>/clients/<default>
 *   2. /config/users/<user>/clients/<default>     6. /config/users/<default>
 *   3. /config/users/<user>                       7. /config/clients/<client-id>
 *   4. /config/users/<default>/clients/<client-id> 8. /config/clients/<default>
 * Clients that fall under the same entity share one rate when that entity names them (a user
 * quota is shared by all of the user's client ids); a default entity gives each user or client id
 * its own rate. The index is rebuilt whenever the store's quota records move, so a change applies
 * at once on every broker. With no quota of a type set, `enabled(type)` is false and nothing is
 * looked up or recorded.
 */
import type { RecordKind } from '../cluster/store/keyed-records.js';
import { ConfigError } from '../cluster/config.js';
import { CLIENT_ID, CONSUMER_BYTE_RATE, PRODUCER_BYTE_RATE, REQUEST_PERCENTAGE, USER, entityPath, quotaEntries, type QuotaEntity, type QuotaEntry } from '../cluster/client-quotas.js';
import { recordAndGetThrottleMs, WindowedRate, type RateWindows } from './quota-rate.js';
import { ANONYMOUS_PRINCIPAL, type RequestContext } from './handler.js';

export type ClientQuotaType = 'produce' | 'fetch' | 'request';

const KEY_OF: Record<ClientQuotaType, string> = { produce: PRODUCER_BYTE_RATE, fetch: CONSUMER_BYTE_RATE, request: REQUEST_PERCENTAGE };

/** Kafka purges a client's sensors after an hour without traffic. */
const INACTIVE_RATE_EXPIRY_MS = 3_600_000;
/** How often idle rates are looked for (a pass over every rate). */
const EXPIRY_SWEEP_INTERVAL_MS = 60_000;

/** What the manager reads: the store's keyed quota records. */
export interface QuotaRecordSource {
  records(kind: RecordKind): ReadonlyMap<string, unknown>;
  recordsVersion(kind: RecordKind): number;
}

/** A rate's identity (Kafka's metric tags): the user and client id it counts, '' for "any". */
interface Tags {
  user: string;
  clientId: string;
}

export class ClientQuotaManager {
  private version = -1;
  private entries = new Map<string, QuotaEntry>();
  private readonly enabledTypes: Record<ClientQuotaType, boolean> = { produce: false, fetch: false, request: false };
  private readonly rates = new Map<string, WindowedRate>();
  private lastSweepMs = 0;

  constructor(
    private readonly source: QuotaRecordSource,
    readonly windows: RateWindows,
  ) {}

  /** Whether any entity sets this type's quota (the hot paths skip everything when not). */
  enabled(type: ClientQuotaType): boolean {
    if (this.source.recordsVersion('quota') !== this.version) this.rebuild();
    return this.enabledTypes[type];
  }

  /**
   * Records `value` (bytes, or request time as a percentage of a second) for the client and
   * returns how long to throttle it, 0 when within its quota or it has none.
   */
  recordAndGetThrottleMs(type: ClientQuotaType, principal: string, clientId: string, value: number, nowMs: number): number {
    if (!this.enabled(type)) return 0;
    const user = userOf(principal);
    const tags = this.tags(user, clientId);
    const bound = this.limit(type, tags);
    if (bound === null) return 0;
    // Request time is throttled at most one window: a long request must not stall its client longer.
    const maxThrottleMs = type === 'request' ? this.windows.windowMs : Infinity;
    return recordAndGetThrottleMs(this.rateOf(type, tags, nowMs), value, bound, nowMs, maxThrottleMs);
  }

  /** Takes back a recorded value (a throttled fetch answers without its records, so its bytes do not count). */
  unrecord(type: ClientQuotaType, principal: string, clientId: string, value: number, nowMs: number): void {
    if (!this.enabled(type)) return;
    const tags = this.tags(userOf(principal), clientId);
    if (this.limit(type, tags) === null) return;
    this.rateOf(type, tags, nowMs).record(-value, nowMs);
  }

  /**
   * The most a client may take in one go without being throttled for sure: quota × (samples − 1)
   * windows, which Kafka caps a fetch's max_bytes to. Infinity without a quota.
   */
  maxValueInWindow(type: ClientQuotaType, principal: string, clientId: string): number {
    if (!this.enabled(type)) return Infinity;
    const bound = this.limit(type, this.tags(userOf(principal), clientId));
    if (bound === null) return Infinity;
    return bound * (this.windows.samples - 1) * (this.windows.windowMs / 1000);
  }

  /** The quota in force for a client (for tests and tools); null when none applies. */
  quota(type: ClientQuotaType, principal: string, clientId: string): number | null {
    if (!this.enabled(type)) return null;
    return this.limit(type, this.tags(userOf(principal), clientId));
  }

  private rebuild(): void {
    this.version = this.source.recordsVersion('quota');
    this.entries = quotaEntries(this.source.records('quota'));
    for (const type of Object.keys(KEY_OF) as ClientQuotaType[]) {
      const key = KEY_OF[type];
      this.enabledTypes[type] = [...this.entries.values()].some((e) => e.values.has(key));
    }
  }

  private has(entity: QuotaEntity): boolean {
    return this.entries.has(entityPath(entity));
  }

  private value(entity: QuotaEntity, key: string): number | undefined {
    return this.entries.get(entityPath(entity))?.values.get(key);
  }

  /**
   * Which rate the client counts against (Kafka's DefaultQuotaCallback.quotaMetricTags): the
   * first entity in precedence order that exists decides whether the user, the client id or both
   * identify it.
   */
  private tags(user: string, clientId: string): Tags {
    const both = { user, clientId };
    if (this.has({ [USER]: user, [CLIENT_ID]: clientId }) || this.has({ [USER]: user, [CLIENT_ID]: null })) return both;
    if (this.has({ [USER]: user })) return { user, clientId: '' };
    if (this.has({ [USER]: null, [CLIENT_ID]: clientId }) || this.has({ [USER]: null, [CLIENT_ID]: null })) return both;
    if (this.has({ [USER]: null })) return { user, clientId: '' };
    return { user: '', clientId };
  }

  /** The bound for a rate's tags (Kafka's DefaultQuotaCallback.quotaLimit); null when none is set. */
  private limit(type: ClientQuotaType, t: Tags): number | null {
    const key = KEY_OF[type];
    let v: number | undefined;
    if (t.user !== '' && t.clientId !== '') {
      v = this.value({ [USER]: t.user, [CLIENT_ID]: t.clientId }, key)
        ?? this.value({ [USER]: t.user, [CLIENT_ID]: null }, key)
        ?? this.value({ [USER]: null, [CLIENT_ID]: t.clientId }, key)
        ?? this.value({ [USER]: null, [CLIENT_ID]: null }, key);
    } else if (t.user !== '') {
      v = this.value({ [USER]: t.user }, key) ?? this.value({ [USER]: null }, key);
    } else if (t.clientId !== '') {
      v = this.value({ [CLIENT_ID]: t.clientId }, key) ?? this.value({ [CLIENT_ID]: null }, key);
    }
    return v ?? null;
  }

  private rateOf(type: ClientQuotaType, t: Tags, nowMs: number): WindowedRate {
    if (nowMs - this.lastSweepMs >= EXPIRY_SWEEP_INTERVAL_MS) this.sweep(nowMs);
    // JSON keeps user and client id apart whatever characters they hold.
    const id = JSON.stringify([type, t.user, t.clientId]);
    let rate = this.rates.get(id);
    if (rate === undefined) this.rates.set(id, (rate = new WindowedRate(this.windows)));
    return rate;
  }

  private sweep(nowMs: number): void {
    this.lastSweepMs = nowMs;
    for (const [id, rate] of this.rates) if (nowMs - rate.lastRecordMs >= INACTIVE_RATE_EXPIRY_MS) this.rates.delete(id);
  }
}

/** The quota user of a principal: the name after the type (`User:alice` → `alice`). */
export function userOf(principal: string): string {
  const colon = principal.indexOf(':');
  return colon < 0 ? principal : principal.slice(colon + 1);
}

/** `quota.window.num` and `quota.window.size.seconds` from the broker's keys (Kafka: whole numbers, at least 1). */
export function rateWindowsFrom(raw: Readonly<Record<string, string>>): RateWindows {
  const atLeastOne = (key: string, dflt: number): number => {
    const text = raw[key];
    if (text === undefined) return dflt;
    const n = Number(text.trim());
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${key}: '${text}' is not a whole number of at least 1 (Kafka's default is ${dflt}).`);
    return n;
  };
  return { samples: atLeastOne('quota.window.num', 11), windowMs: atLeastOne('quota.window.size.seconds', 1) * 1000 };
}

/**
 * Produce (KafkaApis.handleProduceRequest): the request's bytes count against the client's
 * producer_byte_rate; over it, the connection mutes and the throttle time is returned for the
 * response. 0, with nothing looked up, when no producer quota is set.
 */
export function throttleProduce(ctx: RequestContext): number {
  const { quotas, clock } = ctx.broker;
  if (!quotas.enabled('produce')) return 0;
  const throttleMs = quotas.recordAndGetThrottleMs('produce', ctx.principal ?? ANONYMOUS_PRINCIPAL, ctx.header.clientId ?? '', ctx.requestBytes ?? 0, clock.now());
  if (throttleMs > 0) ctx.channel?.throttle(throttleMs);
  return throttleMs;
}

/** A consumer's fetch may ask for at most what its consumer_byte_rate allows in the window (Kafka's getMaxValueInQuotaWindow). */
export function fetchQuotaMaxBytes(ctx: RequestContext): number {
  const { quotas } = ctx.broker;
  if (!quotas.enabled('fetch')) return Infinity;
  return Math.floor(quotas.maxValueInWindow('fetch', ctx.principal ?? ANONYMOUS_PRINCIPAL, ctx.header.clientId ?? ''));
}

/**
 * A consumer's fetch of `bytes`: over its consumer_byte_rate, the bytes are taken back (the
 * answer carries no records, as Kafka's throttled fetch response), the connection mutes and the
 * throttle time is returned; 0 otherwise.
 */
export function throttleFetch(ctx: RequestContext, bytes: number): number {
  const { quotas, clock } = ctx.broker;
  if (!quotas.enabled('fetch')) return 0;
  const principal = ctx.principal ?? ANONYMOUS_PRINCIPAL;
  const clientId = ctx.header.clientId ?? '';
  const nowMs = clock.now();
  const throttleMs = quotas.recordAndGetThrottleMs('fetch', principal, clientId, bytes, nowMs);
  if (throttleMs <= 0) return 0;
  quotas.unrecord('fetch', principal, clientId, bytes, nowMs);
  ctx.channel?.throttle(throttleMs);
  return throttleMs;
}
