/**
 * Topic-level configs with Kafka's names: each one's type, the broker key it falls back to, and
 * how it maps onto the partition log's settings.
 */
import type { BrokerConfig } from './config.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../storage/config.js';

type Kind = 'long' | 'int' | 'double' | 'boolean' | 'string' | 'list';

export interface TopicConfigDef {
  kind: Kind;
  /** The broker key whose value is this topic config's default, when there is one. */
  brokerKey?: string;
  /** Allowed values, for string configs with a fixed set. */
  oneOf?: readonly string[];
  min?: number;
}

export const TOPIC_CONFIGS: Readonly<Record<string, TopicConfigDef>> = {
  'cleanup.policy': { kind: 'list', brokerKey: 'log.cleanup.policy', oneOf: ['delete', 'compact'] },
  'compression.type': { kind: 'string', brokerKey: 'compression.type', oneOf: ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'] },
  'delete.retention.ms': { kind: 'long', min: 0 },
  'file.delete.delay.ms': { kind: 'long', brokerKey: 'log.segment.delete.delay.ms', min: 0 },
  'flush.messages': { kind: 'long', brokerKey: 'log.flush.interval.messages', min: 1 },
  'flush.ms': { kind: 'long', brokerKey: 'log.flush.interval.ms', min: 0 },
  'index.interval.bytes': { kind: 'int', brokerKey: 'log.index.interval.bytes', min: 0 },
  'max.compaction.lag.ms': { kind: 'long', min: 1 },
  'max.message.bytes': { kind: 'int', brokerKey: 'message.max.bytes', min: 0 },
  'message.timestamp.type': { kind: 'string', brokerKey: 'log.message.timestamp.type', oneOf: ['CreateTime', 'LogAppendTime'] },
  'message.timestamp.before.max.ms': { kind: 'long', min: 0 },
  'message.timestamp.after.max.ms': { kind: 'long', min: 0 },
  'message.timestamp.difference.max.ms': { kind: 'long', min: 0 },
  'min.cleanable.dirty.ratio': { kind: 'double', min: 0 },
  'min.compaction.lag.ms': { kind: 'long', min: 0 },
  'min.insync.replicas': { kind: 'int', brokerKey: 'min.insync.replicas', min: 1 },
  'preallocate': { kind: 'boolean' },
  'retention.bytes': { kind: 'long', brokerKey: 'log.retention.bytes' },
  'retention.ms': { kind: 'long', min: -1 },
  'segment.bytes': { kind: 'int', brokerKey: 'log.segment.bytes', min: 14 },
  'segment.index.bytes': { kind: 'int', brokerKey: 'log.index.size.max.bytes', min: 4 },
  'segment.jitter.ms': { kind: 'long', min: 0 },
  'segment.ms': { kind: 'long', min: 1 },
  'unclean.leader.election.enable': { kind: 'boolean' },
};

/** Returns why `value` is not valid for topic config `key`, or null if it is. */
export function topicConfigError(key: string, value: string): string | null {
  const def = TOPIC_CONFIGS[key];
  if (def === undefined) return `Unknown topic config name: ${key}`;
  switch (def.kind) {
    case 'long':
    case 'int':
    case 'double': {
      const n = Number(value);
      if (value.trim() === '' || Number.isNaN(n) || (def.kind !== 'double' && !Number.isInteger(n)))
        return `Invalid value ${value} for configuration ${key}: Not a number of type ${def.kind.toUpperCase()}`;
      if (def.kind === 'int' && (n < -2147483648 || n > 2147483647))
        return `Invalid value ${value} for configuration ${key}: out of range for an INT`;
      if (def.min !== undefined && n < def.min) return `Invalid value ${value} for configuration ${key}: Value must be at least ${def.min}`;
      return null;
    }
    case 'boolean':
      return /^(true|false)$/i.test(value) ? null : `Invalid value ${value} for configuration ${key}: Expected value to be either true or false`;
    case 'list':
    case 'string': {
      if (!def.oneOf) return null;
      const items = def.kind === 'list' ? value.split(',').map((s) => s.trim()) : [value];
      const bad = items.find((i) => !def.oneOf!.includes(i));
      return bad === undefined ? null : `Invalid value ${value} for configuration ${key}: String must be one of: ${def.oneOf.join(', ')}`;
    }
  }
}

/** The partition log settings for a topic: its own configs over the broker's defaults. */
export function logConfigFor(broker: BrokerConfig, topicConfigs: Record<string, string>): LogConfig {
  const num = (key: string, fallback: number): number => (topicConfigs[key] !== undefined ? Number(topicConfigs[key]) : fallback);
  // Compaction settings default to the broker's log.cleaner.* keys, then to Kafka's defaults.
  const cleaner = (topicKey: string, brokerKey: string, fallback: number): number =>
    Math.min(Number.MAX_SAFE_INTEGER, num(topicKey, broker.raw[brokerKey] !== undefined ? Number(broker.raw[brokerKey]) : fallback));
  return {
    ...DEFAULT_LOG_CONFIG,
    segmentBytes: num('segment.bytes', broker.segmentBytes),
    segmentMs: num('segment.ms', broker.segmentMs),
    segmentIndexBytes: num('segment.index.bytes', broker.segmentIndexBytes),
    indexIntervalBytes: num('index.interval.bytes', broker.indexIntervalBytes),
    retentionMs: num('retention.ms', broker.retentionMs),
    retentionBytes: num('retention.bytes', broker.retentionBytes),
    flushIntervalMessages: num('flush.messages', broker.flushIntervalMessages),
    flushIntervalMs: num('flush.ms', broker.flushIntervalMs),
    maxMessageBytes: num('max.message.bytes', broker.messageMaxBytes),
    fileDeleteDelayMs: num('file.delete.delay.ms', broker.fileDeleteDelayMs),
    messageTimestampType: (topicConfigs['message.timestamp.type'] ?? broker.messageTimestampType) as LogConfig['messageTimestampType'],
    cleanupPolicy: (topicConfigs['cleanup.policy'] ?? broker.cleanupPolicy) as LogConfig['cleanupPolicy'],
    deleteRetentionMs: cleaner('delete.retention.ms', 'log.cleaner.delete.retention.ms', DEFAULT_LOG_CONFIG.deleteRetentionMs),
    minCompactionLagMs: cleaner('min.compaction.lag.ms', 'log.cleaner.min.compaction.lag.ms', DEFAULT_LOG_CONFIG.minCompactionLagMs),
    maxCompactionLagMs: cleaner('max.compaction.lag.ms', 'log.cleaner.max.compaction.lag.ms', DEFAULT_LOG_CONFIG.maxCompactionLagMs),
    minCleanableDirtyRatio: cleaner('min.cleanable.dirty.ratio', 'log.cleaner.min.cleanable.ratio', DEFAULT_LOG_CONFIG.minCleanableDirtyRatio),
    compressionType: (topicConfigs['compression.type'] ?? broker.compressionType) as LogConfig['compressionType'],
    messageTimestampBeforeMaxMs: cleaner('message.timestamp.before.max.ms', 'log.message.timestamp.before.max.ms', DEFAULT_LOG_CONFIG.messageTimestampBeforeMaxMs),
    messageTimestampAfterMaxMs: cleaner('message.timestamp.after.max.ms', 'log.message.timestamp.after.max.ms', DEFAULT_LOG_CONFIG.messageTimestampAfterMaxMs),
  };
}
