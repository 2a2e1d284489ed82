/** A topic's effective configs as CreateTopics (and later DescribeConfigs) report them. */
import type { BrokerConfig } from '../cluster/config.js';
import { TOPIC_CONFIGS } from '../cluster/topic-config.js';

/** Kafka's config sources (DescribeConfigs v1+). */
export const ConfigSource = {
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

/** Defaults of topic configs that have no broker-level key. */
const TOPIC_ONLY_DEFAULTS: Record<string, string> = {
  'delete.retention.ms': '86400000',
  'max.compaction.lag.ms': '9223372036854775807',
  'message.timestamp.before.max.ms': '9223372036854775807',
  'message.timestamp.after.max.ms': '9223372036854775807',
  'message.timestamp.difference.max.ms': '9223372036854775807',
  'min.cleanable.dirty.ratio': '0.5',
  'min.compaction.lag.ms': '0',
  preallocate: 'false',
  'segment.jitter.ms': '0',
  'unclean.leader.election.enable': 'false',
  'flush.messages': '9223372036854775807',
  'flush.ms': '9223372036854775807',
};

export interface TopicConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  configSource: number;
  isSensitive: boolean;
}

export function describeTopicConfigs(broker: BrokerConfig, topicConfigs: Record<string, string>): TopicConfigEntry[] {
  return Object.keys(TOPIC_CONFIGS)
    .sort()
    .map((name) => {
      const def = TOPIC_CONFIGS[name]!;
      if (topicConfigs[name] !== undefined)
        return { name, value: topicConfigs[name]!, readOnly: false, configSource: ConfigSource.DYNAMIC_TOPIC_CONFIG, isSensitive: false };
      if (name === 'retention.ms') return { name, value: String(broker.retentionMs), readOnly: false, configSource: ConfigSource.DEFAULT_CONFIG, isSensitive: false };
      if (name === 'segment.ms') return { name, value: String(broker.segmentMs), readOnly: false, configSource: ConfigSource.DEFAULT_CONFIG, isSensitive: false };
      const brokerValue = def.brokerKey !== undefined ? broker.raw[def.brokerKey] : undefined;
      const value = brokerValue ?? TOPIC_ONLY_DEFAULTS[name] ?? null;
      return { name, value, readOnly: false, configSource: ConfigSource.DEFAULT_CONFIG, isSensitive: false };
    });
}
