/**
 * Client metrics subscriptions (KIP-714): config resources of type CLIENT_METRICS (16), each a
 * named set of `metrics` (name prefixes; `*` for all), `interval.ms` (how often matching clients
 * push, 100–3600000, default 300000) and `match` (selectors `client_id=<regex>`, … that a client
 * must all meet; none: every client). Kept as keyed records of kind 'client-metrics', so a change
 * reaches every broker at once. Checked as Kafka's ClientMetricsConfigs checks them.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { KeyedRecordStore } from './store/keyed-records.js';

export const CLIENT_METRICS_KEYS = ['interval.ms', 'match', 'metrics'] as const;
export const DEFAULT_INTERVAL_MS = 300_000;
const INTERVAL_MIN_MS = 100;
const INTERVAL_MAX_MS = 3_600_000;

/** Kafka's ClientMetricsConfigs match selectors. */
export const MATCH_SELECTORS = ['client_instance_id', 'client_id', 'client_software_name', 'client_software_version', 'client_source_address', 'client_source_port'] as const;
export type ClientAttributes = Record<(typeof MATCH_SELECTORS)[number], string>;

export interface Subscription {
  name: string;
  metrics: string[];
  intervalMs: number;
  match: Map<string, RegExp>;
}

const list = (v: string | undefined): string[] => (v ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');

function parseMatch(text: string | undefined): Map<string, RegExp> {
  const out = new Map<string, RegExp>();
  for (const item of list(text)) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq).trim();
    if (eq <= 0 || !(MATCH_SELECTORS as readonly string[]).includes(key))
      throw new KafkaError(ErrorCode.INVALID_CONFIG, `Illegal client matching pattern: ${item}; use ${MATCH_SELECTORS.join(', ')} = a regular expression`);
    try {
      out.set(key, new RegExp(`^(?:${item.slice(eq + 1).trim()})$`));
    } catch {
      throw new KafkaError(ErrorCode.INVALID_CONFIG, `Illegal regex pattern for ${key}: ${item.slice(eq + 1).trim()}`);
    }
  }
  return out;
}

export class ClientMetricsResources {
  private version = -1;
  private cache: Subscription[] = [];

  constructor(private readonly store: KeyedRecordStore) {}

  configs(name: string): Readonly<Record<string, string>> {
    return (this.store.records('client-metrics').get(name) as Record<string, string> | undefined) ?? {};
  }

  names(): string[] {
    return [...this.store.records('client-metrics').keys()].sort();
  }

  /** Every subscription, rebuilt when the records move. */
  subscriptions(): Subscription[] {
    if (this.store.recordsVersion('client-metrics') !== this.version) {
      this.version = this.store.recordsVersion('client-metrics');
      this.cache = this.names().map((name) => {
        const c = this.configs(name);
        return { name, metrics: list(c.metrics), intervalMs: Number(c['interval.ms'] ?? DEFAULT_INTERVAL_MS), match: parseMatch(c.match) };
      });
    }
    return this.cache;
  }

  /** The subscriptions a client meets: every selector of the subscription matches. */
  matching(client: ClientAttributes): Subscription[] {
    return this.subscriptions().filter((s) => [...s.match].every(([k, re]) => re.test(client[k as keyof ClientAttributes] ?? '')));
  }

  /** Kafka's ClientMetricsConfigs.validate; KafkaError INVALID_CONFIG with a sentence. */
  validate(configs: Readonly<Record<string, string>>): void {
    for (const name of Object.keys(configs))
      if (!(CLIENT_METRICS_KEYS as readonly string[]).includes(name)) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown client metrics config name: ${name}`);
    const interval = configs['interval.ms'];
    if (interval !== undefined) {
      const n = Number(interval.trim());
      if (!Number.isInteger(n) || n < INTERVAL_MIN_MS || n > INTERVAL_MAX_MS)
        throw new KafkaError(ErrorCode.INVALID_CONFIG, `Invalid value ${interval} for interval.ms, interval must be between ${INTERVAL_MIN_MS} and ${INTERVAL_MAX_MS}`);
    }
    parseMatch(configs.match);
  }

  async set(name: string, configs: Record<string, string>): Promise<void> {
    await this.store.putRecords('client-metrics', [{ key: name, value: Object.keys(configs).length === 0 ? null : { ...configs } }]);
  }
}
