/**
 * Dynamic broker configs (Kafka's KIP-226): values set with AlterConfigs or
 * IncrementalAlterConfigs on a broker resource, kept in the metadata store and laid over the
 * static `server.properties` values. Precedence, highest first: this broker's dynamic value
 * (DYNAMIC_BROKER_CONFIG), the cluster-wide dynamic default (DYNAMIC_DEFAULT_BROKER_CONFIG), the
 * static value (STATIC_BROKER_CONFIG), Kafka's default (DEFAULT_CONFIG).
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { buildBrokerConfig, type BrokerConfig } from './config.js';
import { BROKER_CONFIGS, baseKey, brokerConfigError, brokerSynonyms } from './config-catalog.js';
import type { LocalMetadataStore } from './metadata-store.js';

/** Kafka's config sources (DescribeConfigs v1+). */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
  CLIENT_METRICS_CONFIG: 7,
  GROUP_CONFIG: 8,
} as const;

/** Listener-prefixed keys that may still be set cluster-wide (Kafka's ClusterLevelListenerConfigs). */
const CLUSTER_LEVEL_LISTENER_KEYS = new Set(['max.connections', 'max.connection.creation.rate', 'num.network.threads']);

/** Every broker key's default (Kafka's, or Samsa's where it differs): the DEFAULT_CONFIG level. */
const DEFAULTS: Readonly<Record<string, string | null>> = Object.fromEntries(
  Object.entries(BROKER_CONFIGS).map(([k, info]) => [k, info.defaultValue]),
);

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
  /** Only the keys given at start-up: Kafka's STATIC_BROKER_CONFIG level. */
  private readonly staticGiven: Readonly<Record<string, string>>;

  constructor(
    /** The broker's live config: dynamic changes are written into it, so every reader sees them. */
    readonly config: BrokerConfig,
    private readonly store: Pick<LocalMetadataStore, 'brokerConfigs' | 'putBrokerConfigs'>,
  ) {
    this.staticRaw = { ...config.raw };
    this.staticGiven = { ...config.given };
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
   * Checks a whole new set of dynamic values for a scope as Kafka's DynamicBrokerConfig does, with
   * its messages; every refusal is INVALID_REQUEST (Kafka's answer, KAFKA-13609). Keys Kafka does
   * not know are accepted and stored, as Kafka accepts custom broker configs.
   */
  validate(scope: string, configs: Record<string, string>): void {
    const keys = Object.keys(configs);
    const refuse = (why: string, names: string[]): never => {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `${why}: Set(${names.join(', ')})`);
    };
    const readOnly = keys.filter((k) => BROKER_CONFIGS[k] !== undefined && !BROKER_CONFIGS[k]!.dynamic);
    if (readOnly.length > 0) refuse('Cannot update these configs dynamically', readOnly);
    const listenerOnly = keys.filter((k) => BROKER_CONFIGS[k]?.updateMode === 'per-listener');
    if (listenerOnly.length > 0) refuse('These security configs can be dynamically updated only per-listener using the listener prefix', listenerOnly);
    for (const [k, v] of Object.entries(configs)) {
      const err = brokerConfigError(k, v);
      if (err !== null) throw new KafkaError(ErrorCode.INVALID_REQUEST, err);
    }
    if (scope === DEFAULT_SCOPE) {
      const perBroker = keys.filter((k) => {
        const mode = BROKER_CONFIGS[baseKey(k)]?.updateMode;
        return mode === 'per-broker' || mode === 'per-listener' || (k !== baseKey(k) && !CLUSTER_LEVEL_LISTENER_KEYS.has(baseKey(k)));
      });
      if (perBroker.length > 0) refuse('Cannot update these configs at default cluster level, broker id must be specified', perBroker);
    }
    const dflt = scope === DEFAULT_SCOPE ? configs : this.dynamic(DEFAULT_SCOPE);
    const node = scope === DEFAULT_SCOPE ? this.dynamic(this.nodeScope) : configs;
    try {
      buildBrokerConfig(this.merged(dflt, node));
    } catch (err) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Invalid dynamic configuration: ${(err as Error).message}`);
    }
  }

  /** Replaces a scope's dynamic values; resolves once they are stored and in force. */
  async set(scope: string, configs: Record<string, string>): Promise<void> {
    this.validate(scope, configs);
    await this.store.putBrokerConfigs(scope, configs);
    this.apply();
  }

  /**
   * A broker key's synonyms as Kafka's ConfigHelper lists them: for each level, highest precedence
   * first (this broker's dynamic value, the cluster default, server.properties, the default), every
   * synonym of `key` set there (log.retention.ms, .minutes, .hours; a listener key and its base
   * key); then everything before the first entry named `key` itself is dropped, so a topic's
   * retention.ms inherits log.retention.hours=168 without listing it.
   */
  synonyms(key: string): ConfigValue[] {
    const names = brokerSynonyms(key);
    const levels: Array<[Readonly<Record<string, string | null>>, number]> = [
      [this.dynamic(this.nodeScope), ConfigSource.DYNAMIC_BROKER_CONFIG],
      [this.dynamic(DEFAULT_SCOPE), ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
      [this.staticGiven, ConfigSource.STATIC_BROKER_CONFIG],
      [DEFAULTS, ConfigSource.DEFAULT_CONFIG],
    ];
    const all: ConfigValue[] = [];
    for (const [values, source] of levels)
      for (const n of names) {
        const v = values[n];
        if (v !== undefined && v !== null) all.push({ name: n, value: v, source });
      }
    const first = all.findIndex((s) => s.name === key);
    return first < 0 ? [] : all.slice(first);
  }

  /** A broker key's value in force (null when neither set nor defaulted), its source and synonyms. */
  resolve(key: string): { value: string | null; source: number; synonyms: ConfigValue[] } {
    const synonyms = this.synonyms(key);
    const value = this.config.raw[key] ?? DEFAULTS[key] ?? null;
    return { value: synonyms[0]?.value ?? value, source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG, synonyms };
  }

  /** The value in force of a broker key, falling back to its default: what a topic inherits. */
  valueInForce(key: string): string | null {
    return this.config.raw[key] ?? DEFAULTS[key] ?? null;
  }

  /** Keys the broker was started with (server.properties, overrides, embedding options). */
  staticKeys(): string[] {
    return Object.keys(this.staticGiven);
  }

  private merged(dflt: Readonly<Record<string, string>>, node: Readonly<Record<string, string>>): Record<string, string> {
    return { ...this.staticRaw, ...dflt, ...node, 'node.id': String(this.config.nodeId) };
  }
}
