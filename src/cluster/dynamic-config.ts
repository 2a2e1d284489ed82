/**
 * Dynamic broker configs (Kafka's KIP-226): values set with AlterConfigs or
 * IncrementalAlterConfigs on a broker resource, kept in the metadata store and laid over the
 * static `server.properties` values. Precedence, highest first: this broker's dynamic value
 * (DYNAMIC_BROKER_CONFIG), the cluster-wide dynamic default (DYNAMIC_DEFAULT_BROKER_CONFIG), the
 * static value (STATIC_BROKER_CONFIG), Kafka's default (DEFAULT_CONFIG).
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { BROKER_DEFAULTS, buildBrokerConfig, type BrokerConfig } from './config.js';
import { BROKER_CONFIGS, brokerConfigError } from './config-catalog.js';
import type { LocalMetadataStore } from './metadata-store.js';

/** Kafka's config sources (DescribeConfigs v1+). */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

/** The scope of the cluster-wide default broker resource (an empty resource name). */
export const DEFAULT_SCOPE = '';

/** The BrokerConfig fields that dynamic keys can change; everything else stays as started. */
const DYNAMIC_FIELDS = [
  'messageMaxBytes', 'retentionMs', 'retentionBytes', 'segmentBytes', 'segmentMs', 'segmentIndexBytes', 'indexIntervalBytes',
  'flushIntervalMessages', 'flushIntervalMs', 'messageTimestampType', 'compressionType', 'cleanupPolicy', 'minInsyncReplicas',
  'fileDeleteDelayMs',
] as const satisfies ReadonlyArray<keyof BrokerConfig>;

export interface ConfigValue {
  name: string;
  value: string | null;
  source: number;
}

export class DynamicBrokerConfig {
  /** The values the broker started with (server.properties, overrides, Kafka's defaults). */
  private readonly staticRaw: Readonly<Record<string, string>>;

  constructor(
    /** The broker's live config: dynamic changes are written into it, so every reader sees them. */
    readonly config: BrokerConfig,
    private readonly store: LocalMetadataStore,
  ) {
    this.staticRaw = { ...config.raw };
  }

  get nodeScope(): string {
    return String(this.config.nodeId);
  }

  /** Dynamic values of a scope ('' = cluster default, or this broker's id). */
  dynamic(scope: string): Readonly<Record<string, string>> {
    return this.store.brokerConfigs(scope);
  }

  /**
   * Lays the stored dynamic values over the static ones (at start-up and after each change).
   * Returns why the stored values could not be used (then the static ones stay in force), so a
   * server.properties change that clashes with an old dynamic value never stops the broker.
   */
  apply(): string | null {
    let built: BrokerConfig;
    let problem: string | null = null;
    try {
      built = buildBrokerConfig(this.merged(this.dynamic(DEFAULT_SCOPE), this.dynamic(this.nodeScope)));
    } catch (err) {
      problem = (err as Error).message;
      built = buildBrokerConfig(this.merged({}, {}));
    }
    const target = this.config as unknown as Record<string, unknown>;
    for (const f of DYNAMIC_FIELDS) target[f] = built[f];
    this.config.raw = built.raw;
    return problem;
  }

  /**
   * Checks a whole new set of dynamic values for a scope: every key must be one Kafka can change
   * at runtime (else INVALID_REQUEST, Kafka's answer), and every value valid (else INVALID_CONFIG).
   */
  validate(scope: string, configs: Record<string, string>): void {
    const readOnly = Object.keys(configs).filter((k) => BROKER_CONFIGS[k] !== undefined && !BROKER_CONFIGS[k]!.dynamic);
    if (readOnly.length > 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Cannot update these configs dynamically: Set(${readOnly.join(', ')})`);
    for (const [k, v] of Object.entries(configs)) {
      const err = brokerConfigError(k, v);
      if (err !== null) throw new KafkaError(ErrorCode.INVALID_CONFIG, err);
    }
    const dflt = scope === DEFAULT_SCOPE ? configs : this.dynamic(DEFAULT_SCOPE);
    const node = scope === DEFAULT_SCOPE ? this.dynamic(this.nodeScope) : configs;
    try {
      buildBrokerConfig(this.merged(dflt, node));
    } catch (err) {
      throw new KafkaError(ErrorCode.INVALID_CONFIG, (err as Error).message);
    }
  }

  /** Replaces a scope's dynamic values; resolves once they are stored and in force. */
  async set(scope: string, configs: Record<string, string>): Promise<void> {
    this.validate(scope, configs);
    await this.store.putBrokerConfigs(scope, configs);
    this.apply();
  }

  /**
   * A broker key's value and where it comes from, with its synonyms (every level that sets it,
   * highest precedence first), as DescribeConfigs reports them.
   */
  resolve(key: string): { value: string | null; source: number; synonyms: ConfigValue[] } {
    const synonyms: ConfigValue[] = [];
    const node = this.dynamic(this.nodeScope)[key];
    if (node !== undefined) synonyms.push({ name: key, value: node, source: ConfigSource.DYNAMIC_BROKER_CONFIG });
    const dflt = this.dynamic(DEFAULT_SCOPE)[key];
    if (dflt !== undefined) synonyms.push({ name: key, value: dflt, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
    const given = this.staticGiven(key);
    if (given !== undefined) synonyms.push({ name: key, value: given, source: ConfigSource.STATIC_BROKER_CONFIG });
    const builtIn = BROKER_CONFIGS[key]?.defaultValue ?? BROKER_DEFAULTS[key] ?? null;
    if (builtIn !== null) synonyms.push({ name: key, value: builtIn, source: ConfigSource.DEFAULT_CONFIG });
    const top = synonyms[0];
    return top === undefined ? { value: null, source: ConfigSource.DEFAULT_CONFIG, synonyms } : { value: top.value, source: top.source, synonyms };
  }

  /** Static keys set at start-up that differ from Kafka's defaults (a value equal to the default reads as the default). */
  staticKeys(): string[] {
    return Object.keys(this.staticRaw).filter((k) => this.staticGiven(k) !== undefined);
  }

  private staticGiven(key: string): string | undefined {
    const v = this.staticRaw[key];
    if (v === undefined) return undefined;
    const builtIn = BROKER_CONFIGS[key]?.defaultValue ?? BROKER_DEFAULTS[key];
    return v === builtIn ? undefined : v;
  }

  private merged(dflt: Readonly<Record<string, string>>, node: Readonly<Record<string, string>>): Record<string, string> {
    return { ...this.staticRaw, ...dflt, ...node, 'node.id': String(this.config.nodeId) };
  }
}
