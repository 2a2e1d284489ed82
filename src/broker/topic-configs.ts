/**
 * Configs as DescribeConfigs and CreateTopics report them: each one's value, its source, its
 * synonyms (every level that sets it, highest precedence first) and its documentation.
 */
import type { BrokerConfig } from '../cluster/config.js';
import { BROKER_CONFIGS, ConfigType, topicConfigInfo } from '../cluster/config-catalog.js';
import { ConfigSource, DEFAULT_SCOPE, type ConfigValue, type DynamicBrokerConfig } from '../cluster/dynamic-config.js';
import { TOPIC_CONFIGS } from '../cluster/topic-config.js';

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

/** Topic configs whose effective value is derived (ms from hours) rather than copied from a synonym. */
function derivedValue(name: string, broker: BrokerConfig): string | undefined {
  if (name === 'retention.ms') return String(broker.retentionMs);
  if (name === 'segment.ms') return String(broker.segmentMs);
  return undefined;
}

/** Every topic config (sorted), with the topic's overrides over the broker's values. */
export function describeTopicConfigs(dynamic: DynamicBrokerConfig, overrides: Readonly<Record<string, string>>): ConfigEntry[] {
  return Object.keys(TOPIC_CONFIGS)
    .sort()
    .map((name) => {
      const info = topicConfigInfo(name);
      const synonyms: ConfigValue[] = [];
      const own = overrides[name];
      if (own !== undefined) synonyms.push({ name, value: own, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
      for (const s of info.brokerSynonyms) synonyms.push(...dynamic.resolve(s).synonyms);
      const top = synonyms[0];
      let value: string | null;
      let source: number;
      if (own !== undefined) {
        value = own;
        source = ConfigSource.DYNAMIC_TOPIC_CONFIG;
      } else {
        value = derivedValue(name, dynamic.config) ?? top?.value ?? info.defaultValue;
        source = top?.source ?? ConfigSource.DEFAULT_CONFIG;
      }
      return { name, value, readOnly: false, configSource: source, isSensitive: false, synonyms, configType: info.type, documentation: info.doc };
    });
}

/**
 * A broker resource: this broker's configs (every key Samsa knows and every static key it was
 * given), or for the cluster-default resource ('') only the dynamic defaults, as Kafka does.
 */
export function describeBrokerConfigs(dynamic: DynamicBrokerConfig, scope: string): ConfigEntry[] {
  if (scope === DEFAULT_SCOPE) {
    return Object.entries(dynamic.dynamic(DEFAULT_SCOPE))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => {
        const info = BROKER_CONFIGS[name];
        return {
          name, value, readOnly: !(info?.dynamic ?? false), configSource: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, isSensitive: false,
          synonyms: [{ name, value, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG }],
          configType: info?.type ?? ConfigType.UNKNOWN, documentation: info?.doc ?? null,
        };
      });
  }
  const names = new Set([...Object.keys(BROKER_CONFIGS), ...dynamic.staticKeys()]);
  return [...names].sort().map((name) => {
    const info = BROKER_CONFIGS[name];
    const r = dynamic.resolve(name);
    return {
      name, value: r.value, readOnly: !(info?.dynamic ?? false), configSource: r.source, isSensitive: false, synonyms: r.synonyms,
      configType: info?.type ?? ConfigType.STRING, documentation: info?.doc ?? null,
    };
  });
}
