/**
 * Topic-level configs with Kafka's names: each one's type, the broker key it falls back to, and
 * how it maps onto the partition log's settings.
 */
import type { BrokerConfig } from './config.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../storage/config.js';

type Kind = 'long' | 'int' | 'double' | 'boolean' | 'string' | 'list';

export interface TopicConfigDef {
  kind: Kind;
  /** Kafka's default (LogConfig), used when no broker synonym has a value. */
  defaultValue: string;
  /** Allowed values, for string and list configs with a fixed set. */
  oneOf?: readonly string[];
  min?: number;
  max?: number;
  /** One value allowed outside min..max (gzip's -1, its default level). */
  alsoAllowed?: number;
  /** A value format beyond the type (Kafka's throttled-replica list: `*` or partition:broker pairs). */
  pattern?: RegExp;
  /** Samsa stores and reports it but does not act on it (with the reason, for the docs). */
  ignored?: string;
}

const LONG_MAX = '9223372036854775807';
const THROTTLED_REPLICAS = /^(\*|(\s*\d+\s*:\s*\d+\s*)(,\s*\d+\s*:\s*\d+\s*)*|)$/;
const ONE_BROKER = 'one broker: no replication to throttle or elect';
const NO_TIERED = 'tiered storage is not supported';

/** Kafka 4's topic configs (LogConfig), with Kafka's types, defaults and value rules. */
export const TOPIC_CONFIGS: Readonly<Record<string, TopicConfigDef>> = {
  'cleanup.policy': { kind: 'list', defaultValue: 'delete', oneOf: ['delete', 'compact'] },
  'compression.gzip.level': { kind: 'int', defaultValue: '-1', min: 1, max: 9, alsoAllowed: -1, ignored: 'batches are re-encoded at the codec default level' },
  'compression.lz4.level': { kind: 'int', defaultValue: '9', min: 1, max: 17, ignored: 'batches are re-encoded at the codec default level' },
  'compression.type': { kind: 'string', defaultValue: 'producer', oneOf: ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'] },
  'compression.zstd.level': { kind: 'int', defaultValue: '3', min: -131072, max: 22, ignored: 'batches are re-encoded at the codec default level' },
  'delete.retention.ms': { kind: 'long', defaultValue: '86400000', min: 0 },
  'file.delete.delay.ms': { kind: 'long', defaultValue: '60000', min: 0 },
  'flush.messages': { kind: 'long', defaultValue: LONG_MAX, min: 1 },
  'flush.ms': { kind: 'long', defaultValue: LONG_MAX, min: 0 },
  'follower.replication.throttled.replicas': { kind: 'list', defaultValue: '', pattern: THROTTLED_REPLICAS },
  'index.interval.bytes': { kind: 'int', defaultValue: '4096', min: 0 },
  'leader.replication.throttled.replicas': { kind: 'list', defaultValue: '', pattern: THROTTLED_REPLICAS },
  'local.retention.bytes': { kind: 'long', defaultValue: '-2', min: -2, ignored: NO_TIERED },
  'local.retention.ms': { kind: 'long', defaultValue: '-2', min: -2, ignored: NO_TIERED },
  'max.compaction.lag.ms': { kind: 'long', defaultValue: LONG_MAX, min: 1 },
  'max.message.bytes': { kind: 'int', defaultValue: '1048588', min: 0 },
  'message.downconversion.enable': { kind: 'boolean', defaultValue: 'true', ignored: 'fetches below v4 (old message formats) are not served' },
  'message.timestamp.after.max.ms': { kind: 'long', defaultValue: LONG_MAX, min: 0 },
  'message.timestamp.before.max.ms': { kind: 'long', defaultValue: LONG_MAX, min: 0 },
  'message.timestamp.type': { kind: 'string', defaultValue: 'CreateTime', oneOf: ['CreateTime', 'LogAppendTime'] },
  'min.cleanable.dirty.ratio': { kind: 'double', defaultValue: '0.5', min: 0, max: 1 },
  'min.compaction.lag.ms': { kind: 'long', defaultValue: '0', min: 0 },
  'min.insync.replicas': { kind: 'int', defaultValue: '1', min: 1 },
  preallocate: { kind: 'boolean', defaultValue: 'false', ignored: 'segment files grow as they are written' },
  'remote.log.copy.disable': { kind: 'boolean', defaultValue: 'false', ignored: NO_TIERED },
  'remote.log.delete.on.disable': { kind: 'boolean', defaultValue: 'false', ignored: NO_TIERED },
  'remote.storage.enable': { kind: 'boolean', defaultValue: 'false', ignored: NO_TIERED },
  'retention.bytes': { kind: 'long', defaultValue: '-1' },
  'retention.ms': { kind: 'long', defaultValue: '604800000', min: -1 },
  'segment.bytes': { kind: 'int', defaultValue: '1073741824', min: 14 },
  'segment.index.bytes': { kind: 'int', defaultValue: '10485760', min: 4 },
  'segment.jitter.ms': { kind: 'long', defaultValue: '0', min: 0, ignored: 'segments roll at segment.ms exactly' },
  'segment.ms': { kind: 'long', defaultValue: '604800000', min: 1 },
  'unclean.leader.election.enable': { kind: 'boolean', defaultValue: 'false', ignored: ONE_BROKER },
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
      if (def.alsoAllowed === n) return null;
      if (def.min !== undefined && n < def.min) return `Invalid value ${value} for configuration ${key}: Value must be at least ${def.min}`;
      if (def.max !== undefined && n > def.max) return `Invalid value ${value} for configuration ${key}: Value must be no more than ${def.max}`;
      return null;
    }
    case 'boolean':
      return /^(true|false)$/i.test(value) ? null : `Invalid value ${value} for configuration ${key}: Expected value to be either true or false`;
    case 'list':
    case 'string': {
      if (def.pattern !== undefined && !def.pattern.test(value))
        return `Invalid value ${value} for configuration ${key}: must be the wildcard '*' or a list of partition:broker pairs, e.g. 0:1,1:1`;
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
