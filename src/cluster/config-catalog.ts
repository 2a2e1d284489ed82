/**
 * What DescribeConfigs tells about each config: its type, our one-sentence documentation, the
 * broker keys a topic config falls back to (Kafka's synonyms, highest precedence first), and for
 * broker keys their default and whether Kafka lets them change while the broker runs.
 */
import { BROKER_DEFAULTS } from './config.js';
import { TOPIC_CONFIGS } from './topic-config.js';

/** Kafka's ConfigType numbers (DescribeConfigs v3+). */
export const ConfigType = {
  UNKNOWN: 0,
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
} as const;

type Kind = 'long' | 'int' | 'double' | 'boolean' | 'string' | 'list';

const TYPE_OF_KIND: Record<Kind, number> = {
  long: ConfigType.LONG,
  int: ConfigType.INT,
  double: ConfigType.DOUBLE,
  boolean: ConfigType.BOOLEAN,
  string: ConfigType.STRING,
  list: ConfigType.LIST,
};

const LONG_MAX = '9223372036854775807';

export interface TopicConfigInfo {
  type: number;
  doc: string;
  /** Broker keys whose value this topic config takes when it has no override, first one wins. */
  brokerSynonyms: readonly string[];
  /** Kafka's default when no broker synonym has a value. */
  defaultValue: string | null;
}

const TOPIC_DOCS: Record<string, [doc: string, synonyms: string[]]> = {
  'cleanup.policy': ['What happens to old segments: delete them, compact them to the latest record per key, or both.', ['log.cleanup.policy']],
  'compression.type': ["The codec batches are stored with; 'producer' keeps the producer's codec.", ['compression.type']],
  'delete.retention.ms': ['How long a tombstone stays in a compacted topic after its segment was cleaned.', ['log.cleaner.delete.retention.ms']],
  'file.delete.delay.ms': ['How long a deleted segment stays on disk, readable by fetches in flight.', ['log.segment.delete.delay.ms']],
  'flush.messages': ['Records written between two forced fsyncs of the log; the default leaves flushing to the OS.', ['log.flush.interval.messages']],
  'flush.ms': ['Milliseconds between two forced fsyncs of the log; the default leaves flushing to the OS.', ['log.flush.interval.ms']],
  'index.interval.bytes': ['Bytes of log between two entries of the sparse offset index.', ['log.index.interval.bytes']],
  'max.compaction.lag.ms': ['The longest a record may stay uncompacted in a compacted topic.', ['log.cleaner.max.compaction.lag.ms']],
  'max.message.bytes': ['The largest record batch the topic accepts, after compression.', ['message.max.bytes']],
  'message.timestamp.type': ["Whether records keep the producer's timestamp (CreateTime) or get the broker's clock (LogAppendTime).", ['log.message.timestamp.type']],
  'message.timestamp.before.max.ms': ['How far in the past a CreateTime timestamp may be before a batch is refused.', ['log.message.timestamp.before.max.ms']],
  'message.timestamp.after.max.ms': ['How far in the future a CreateTime timestamp may be before a batch is refused.', ['log.message.timestamp.after.max.ms']],
  'message.timestamp.difference.max.ms': ['Deprecated: the largest allowed gap between a CreateTime timestamp and the broker clock.', ['log.message.timestamp.difference.max.ms']],
  'min.cleanable.dirty.ratio': ['The share of uncleaned log above which the cleaner compacts a partition.', ['log.cleaner.min.cleanable.ratio']],
  'min.compaction.lag.ms': ['The shortest time a record stays uncompacted in a compacted topic.', ['log.cleaner.min.compaction.lag.ms']],
  'min.insync.replicas': ['In-sync replicas that must hold a write before acks=all is answered.', ['min.insync.replicas']],
  preallocate: ['Whether a new segment file is allocated at full size up front.', ['log.preallocate']],
  'retention.bytes': ['The size a partition may grow to before its oldest segments are deleted; -1 means no limit.', ['log.retention.bytes']],
  'retention.ms': ['How long a segment is kept after its newest record; -1 keeps data forever.', ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours']],
  'segment.bytes': ['The size at which the active segment is closed and a new one started.', ['log.segment.bytes']],
  'segment.index.bytes': ['The size of each segment\'s offset and time index files.', ['log.index.size.max.bytes']],
  'segment.jitter.ms': ['A random amount subtracted from segment.ms so that segments do not all roll at once.', ['log.roll.jitter.ms', 'log.roll.jitter.hours']],
  'segment.ms': ['The age at which the active segment is closed and a new one started, even if not full.', ['log.roll.ms', 'log.roll.hours']],
  'unclean.leader.election.enable': ['Whether a replica outside the ISR may become leader, at the cost of losing data.', ['unclean.leader.election.enable']],
};

/** Topic-level defaults for configs whose broker synonyms have none (Kafka's LogConfig defaults). */
const TOPIC_DEFAULTS: Record<string, string> = {
  'flush.ms': LONG_MAX,
  'retention.ms': '604800000',
  'segment.ms': '604800000',
};

export interface BrokerConfigInfo {
  type: number;
  doc: string;
  /** Kafka's default; null when the key has none (a synonym decides). */
  defaultValue: string | null;
  /** Kafka can change this key on a running broker (cluster-wide or per broker). */
  dynamic: boolean;
  kind: Kind;
  min?: number;
  oneOf?: readonly string[];
}

const B = (kind: Kind, defaultValue: string | null, dynamic: boolean, doc: string, extra: { min?: number; oneOf?: readonly string[] } = {}): BrokerConfigInfo => ({
  type: TYPE_OF_KIND[kind],
  kind,
  defaultValue,
  dynamic,
  doc,
  ...extra,
});

/**
 * The broker keys Samsa knows. `dynamic` follows Kafka: the log defaults, message.max.bytes,
 * compression.type, min.insync.replicas, unclean leader election and the cleaner's settings can
 * change at runtime; listeners, directories, ids and the rest are read-only (changed by a restart).
 */
export const BROKER_CONFIGS: Readonly<Record<string, BrokerConfigInfo>> = {
  'node.id': B('int', '1', false, 'This broker\'s id in the cluster.'),
  listeners: B('list', BROKER_DEFAULTS.listeners ?? null, false, 'The addresses the broker listens on, as NAME://host:port.'),
  'advertised.listeners': B('list', null, false, 'The addresses clients are told to connect to; defaults to listeners.'),
  'log.dirs': B('list', BROKER_DEFAULTS['log.dirs'] ?? null, false, 'The directories that hold partition logs.'),
  'num.partitions': B('int', '1', false, 'Partitions of an auto-created topic, or of one created with -1 partitions.', { min: 1 }),
  'default.replication.factor': B('int', '1', false, 'Replicas of an auto-created topic, or of one created with -1.', { min: 1 }),
  'auto.create.topics.enable': B('boolean', 'true', false, 'Whether Metadata and Produce requests for an unknown topic create it.'),
  'delete.topic.enable': B('boolean', 'true', false, 'Whether DeleteTopics is allowed.'),
  'message.max.bytes': B('int', '1048588', true, 'The largest record batch a topic accepts unless it sets max.message.bytes.', { min: 0 }),
  'socket.request.max.bytes': B('int', '104857600', false, 'The largest request frame; larger ones close the connection.', { min: 1 }),
  'log.retention.hours': B('int', '168', false, 'Hours to keep a segment, when neither log.retention.ms nor log.retention.minutes is set.'),
  'log.retention.minutes': B('int', null, false, 'Minutes to keep a segment, when log.retention.ms is not set.'),
  'log.retention.ms': B('long', null, true, 'Milliseconds to keep a segment after its newest record; -1 keeps data forever.', { min: -1 }),
  'log.retention.bytes': B('long', '-1', true, 'The size a partition may grow to before its oldest segments are deleted.'),
  'log.retention.check.interval.ms': B('long', '300000', false, 'How often the broker looks for segments to delete.', { min: 1 }),
  'log.segment.bytes': B('int', '1073741824', true, 'The size at which a segment is closed and a new one started.', { min: 14 }),
  'log.roll.hours': B('int', '168', false, 'Hours after which a segment is rolled, when log.roll.ms is not set.', { min: 1 }),
  'log.roll.ms': B('long', null, true, 'Milliseconds after which a segment is rolled even if not full.', { min: 1 }),
  'log.roll.jitter.hours': B('int', '0', false, 'Hours of random jitter subtracted from the roll time, when log.roll.jitter.ms is not set.', { min: 0 }),
  'log.roll.jitter.ms': B('long', null, true, 'Milliseconds of random jitter subtracted from the roll time.', { min: 0 }),
  'log.index.size.max.bytes': B('int', '10485760', true, 'The size of each offset and time index file.', { min: 4 }),
  'log.index.interval.bytes': B('int', '4096', true, 'Bytes of log between two offset index entries.', { min: 0 }),
  'log.flush.interval.messages': B('long', LONG_MAX, true, 'Records written between two forced fsyncs.', { min: 1 }),
  'log.flush.interval.ms': B('long', null, true, 'Milliseconds between two forced fsyncs.', { min: 0 }),
  'log.message.timestamp.type': B('string', 'CreateTime', true, 'CreateTime keeps producer timestamps; LogAppendTime stamps the broker clock.', { oneOf: ['CreateTime', 'LogAppendTime'] }),
  'log.message.timestamp.before.max.ms': B('long', LONG_MAX, true, 'How far in the past a CreateTime timestamp may be.', { min: 0 }),
  'log.message.timestamp.after.max.ms': B('long', LONG_MAX, true, 'How far in the future a CreateTime timestamp may be.', { min: 0 }),
  'log.message.timestamp.difference.max.ms': B('long', LONG_MAX, true, 'Deprecated: the largest gap between a CreateTime timestamp and the clock.', { min: 0 }),
  'compression.type': B('string', 'producer', true, "The codec topics store batches with; 'producer' keeps the producer's.", { oneOf: ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'] }),
  'log.cleanup.policy': B('list', 'delete', true, 'The default cleanup policy of topics: delete, compact, or both.', { oneOf: ['delete', 'compact'] }),
  'min.insync.replicas': B('int', '1', true, 'In-sync replicas that must hold a write before acks=all is answered.', { min: 1 }),
  'log.segment.delete.delay.ms': B('long', '60000', true, 'How long a deleted segment stays on disk for fetches in flight.', { min: 0 }),
  'log.preallocate': B('boolean', 'false', true, 'Whether new segment files are allocated at full size.'),
  'unclean.leader.election.enable': B('boolean', 'false', true, 'Whether a replica outside the ISR may become leader.'),
  'log.cleaner.enable': B('boolean', 'true', false, 'Whether the log cleaner runs (needed for compacted topics).'),
  'log.cleaner.threads': B('int', '1', true, 'Threads that compact logs.', { min: 0 }),
  'log.cleaner.dedupe.buffer.size': B('long', '134217728', true, 'Memory for the key map of all cleaner threads.'),
  'log.cleaner.io.buffer.size': B('int', '524288', true, 'Memory for the read and write buffers of all cleaner threads.', { min: 0 }),
  'log.cleaner.io.buffer.load.factor': B('double', '0.9', true, 'How full the cleaner\'s key map may get.'),
  'log.cleaner.io.max.bytes.per.second': B('double', '1.7976931348623157E308', true, 'A cap on the cleaner\'s reads and writes per second.'),
  'log.cleaner.backoff.ms': B('long', '15000', true, 'How long the cleaner sleeps when there is nothing to clean.', { min: 0 }),
  'log.cleaner.delete.retention.ms': B('long', '86400000', true, 'How long tombstones stay in compacted topics.', { min: 0 }),
  'log.cleaner.min.compaction.lag.ms': B('long', '0', true, 'The shortest time a record stays uncompacted.', { min: 0 }),
  'log.cleaner.max.compaction.lag.ms': B('long', LONG_MAX, true, 'The longest time a record may stay uncompacted.', { min: 1 }),
  'log.cleaner.min.cleanable.ratio': B('double', '0.5', true, 'The share of uncleaned log above which a partition is compacted.', { min: 0 }),
};

export function topicConfigInfo(name: string): TopicConfigInfo {
  const def = TOPIC_CONFIGS[name];
  const [doc, synonyms] = TOPIC_DOCS[name] ?? [`The topic config ${name}.`, def?.brokerKey !== undefined ? [def.brokerKey] : []];
  let defaultValue: string | null = TOPIC_DEFAULTS[name] ?? null;
  if (defaultValue === null) {
    for (const s of synonyms) {
      const d = BROKER_CONFIGS[s]?.defaultValue ?? BROKER_DEFAULTS[s];
      if (d !== undefined && d !== null) {
        defaultValue = d;
        break;
      }
    }
  }
  return { type: def === undefined ? ConfigType.UNKNOWN : TYPE_OF_KIND[def.kind], doc, brokerSynonyms: synonyms, defaultValue };
}

/** Returns why `value` is not valid for broker key `key`, or null if it is. */
export function brokerConfigError(key: string, value: string): string | null {
  const def = BROKER_CONFIGS[key];
  if (def === undefined) return `Unknown broker config name: ${key}`;
  switch (def.kind) {
    case 'long':
    case 'int':
    case 'double': {
      const n = Number(value);
      if (value.trim() === '' || Number.isNaN(n) || (def.kind !== 'double' && !/^-?\d+$/.test(value.trim())))
        return `Invalid value ${value} for configuration ${key}: Not a number of type ${def.kind.toUpperCase()}`;
      if (def.kind === 'int' && (n < -2147483648 || n > 2147483647)) return `Invalid value ${value} for configuration ${key}: out of range for an INT`;
      if (def.kind === 'long' && (BigInt(value.trim()) > 2n ** 63n - 1n || BigInt(value.trim()) < -(2n ** 63n)))
        return `Invalid value ${value} for configuration ${key}: out of range for a LONG`;
      if (def.min !== undefined && n < def.min) return `Invalid value ${value} for configuration ${key}: Value must be at least ${def.min}`;
      return null;
    }
    case 'boolean':
      return /^(true|false)$/i.test(value) ? null : `Invalid value ${value} for configuration ${key}: Expected value to be either true or false`;
    case 'list':
    case 'string': {
      if (def.oneOf === undefined) return null;
      const items = def.kind === 'list' ? value.split(',').map((s) => s.trim()) : [value];
      const bad = items.find((i) => !def.oneOf!.includes(i));
      return bad === undefined ? null : `Invalid value ${value} for configuration ${key}: String must be one of: ${def.oneOf.join(', ')}`;
    }
  }
}

/** The config type of a key DescribeConfigs reports, LIST for configs that take several values. */
export function isListConfig(name: string, resource: 'topic' | 'broker'): boolean {
  return resource === 'topic' ? TOPIC_CONFIGS[name]?.kind === 'list' : BROKER_CONFIGS[name]?.kind === 'list';
}
