/**
 * Configs as DescribeConfigs and CreateTopics report them, as Kafka's ConfigHelper builds them:
 * each one's value, its source, its synonyms (every level that sets it, highest precedence first,
 * starting at the key itself) and its documentation.
 */
import { BROKER_CONFIGS, ConfigType, brokerConfigType, inheritedTopicValue, topicConfigInfo } from '../cluster/config-catalog.js';
import { ConfigSource, DEFAULT_SCOPE, type ConfigValue, type DynamicBrokerConfig } from '../cluster/dynamic-config.js';
import { TOPIC_CONFIGS } from '../cluster/topic-config.js';
import { GROUP_CONFIGS } from '../cluster/group-configs.js';
import { CLIENT_METRICS_KEYS, DEFAULT_INTERVAL_MS } from '../cluster/client-metrics.js';

export { ConfigSource };

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: ConfigValue[];
  configType: number;
  documentation: string | null;
}

/**
 * Every topic config (sorted), with the topic's overrides over the broker's values. Synonyms: the
 * override (DYNAMIC_TOPIC_CONFIG), then the primary broker synonym's levels (log.retention.ms for
 * retention.ms); an inherited log.retention.hours alone is not listed, as in Kafka.
 */
export function describeTopicConfigs(dynamic: DynamicBrokerConfig, overrides: Readonly<Record<string, string>>): ConfigEntry[] {
  return Object.keys(TOPIC_CONFIGS)
    .sort()
    .map((name) => {
      const info = topicConfigInfo(name);
      const primary = info.brokerSynonyms[0]?.[0];
      const inherited = primary === undefined ? [] : dynamic.synonyms(primary);
      const own = overrides[name];
      const synonyms = own === undefined ? inherited : [{ name, value: own, source: ConfigSource.DYNAMIC_TOPIC_CONFIG }, ...inherited];
      const value = own ?? inheritedTopicValue(name, (key) => dynamic.valueInForce(key));
      return {
        name, value, readOnly: false, configSource: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG, isSensitive: false, synonyms,
        configType: info.type, documentation: info.doc,
      };
    });
}

/** Kafka hides a password's value, and any key whose type it does not know (a custom key). */
function sensitive(name: string): boolean {
  const type = brokerConfigType(name);
  return type === ConfigType.PASSWORD || type === ConfigType.UNKNOWN;
}

function hide(synonyms: ConfigValue[], isSensitive: boolean): ConfigValue[] {
  return isSensitive ? synonyms.map((s) => ({ ...s, value: null })) : synonyms;
}

/**
 * A broker resource: for this broker's id every Kafka broker key (internal ones only when set)
 * and every key it was given or that was set dynamically; for the cluster-default resource ('')
 * only the dynamic defaults, as Kafka does.
 */
export function describeBrokerConfigs(dynamic: DynamicBrokerConfig, scope: string): ConfigEntry[] {
  const set = new Set([...dynamic.staticKeys(), ...Object.keys(dynamic.dynamic(DEFAULT_SCOPE)), ...Object.keys(dynamic.dynamic(dynamic.nodeScope))]);
  const names =
    scope === DEFAULT_SCOPE
      ? Object.keys(dynamic.dynamic(DEFAULT_SCOPE))
      : [...new Set([...Object.keys(BROKER_CONFIGS).filter((k) => { const i = BROKER_CONFIGS[k]!; return !i.internal && !i.removed && !i.dynamicOnly; }), ...set])];
  return names.sort().map((name) => {
    const info = BROKER_CONFIGS[name];
    const isSensitive = sensitive(name);
    const r = dynamic.resolve(name);
    const synonyms = scope === DEFAULT_SCOPE ? r.synonyms.filter((s) => s.source === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG) : r.synonyms;
    const top = synonyms[0];
    const value = scope === DEFAULT_SCOPE ? (top?.value ?? null) : r.value;
    return {
      name, value: isSensitive ? null : value, readOnly: !(info?.dynamic ?? false), configSource: top?.source ?? ConfigSource.DEFAULT_CONFIG,
      isSensitive, synonyms: hide(synonyms, isSensitive), configType: brokerConfigType(name), documentation: info?.doc ?? null,
    };
  });
}

/**
 * Every group config (Kafka 4's GroupConfig keys, sorted) for a group: its override
 * (GROUP_CONFIG), else the broker's value in force (synonym: the group.* broker key).
 */
export function describeGroupConfigs(dynamic: DynamicBrokerConfig, overrides: Readonly<Record<string, string>>): ConfigEntry[] {
  return Object.keys(GROUP_CONFIGS)
    .sort()
    .map((name): ConfigEntry => {
      const def = GROUP_CONFIGS[name]!;
      const own = overrides[name];
      const broker = def.brokerKey !== null ? dynamic.resolve(def.brokerKey) : null;
      const inherited: ConfigValue[] = broker !== null && broker.value !== null ? [{ name: def.brokerKey!, value: broker.value, source: broker.source }] : [];
      const synonyms = own === undefined ? inherited : [{ name, value: own, source: ConfigSource.GROUP_CONFIG }, ...inherited];
      const type = def.kind === 'int' ? ConfigType.INT : def.kind === 'boolean' ? ConfigType.BOOLEAN : ConfigType.STRING;
      return {
        name, value: own ?? broker?.value ?? def.fallback, readOnly: false, configSource: own !== undefined ? ConfigSource.GROUP_CONFIG : ConfigSource.DEFAULT_CONFIG,
        isSensitive: false, synonyms, configType: type, documentation: null,
      };
    });
}

/** A client-metrics resource's three configs (KIP-714): its own values (CLIENT_METRICS_CONFIG), else empty defaults. */
export function describeClientMetricsConfigs(own: Readonly<Record<string, string>>): ConfigEntry[] {
  const defaults: Record<string, string> = { 'interval.ms': String(DEFAULT_INTERVAL_MS), match: '', metrics: '' };
  return CLIENT_METRICS_KEYS.map((name): ConfigEntry => {
    const set = own[name];
    return {
      name, value: set ?? defaults[name]!, readOnly: false, configSource: set !== undefined ? ConfigSource.CLIENT_METRICS_CONFIG : ConfigSource.DEFAULT_CONFIG,
      isSensitive: false, synonyms: set !== undefined ? [{ name, value: set, source: ConfigSource.CLIENT_METRICS_CONFIG }] : [],
      configType: name === 'interval.ms' ? ConfigType.INT : ConfigType.LIST, documentation: null,
    };
  });
}
