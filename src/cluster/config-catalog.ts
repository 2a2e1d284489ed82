/**
 * What Samsa knows about each config key, from Kafka's code: a broker key's type, default, whether
 * and how Kafka lets it change at runtime (kafka-broker-keys.ts), and our one-sentence
 * documentation; a topic config's type, Kafka's default and the broker keys it falls back to
 * (Kafka's ServerTopicConfigSynonyms, highest precedence first, with their unit conversion).
 */
import { BROKER_DEFAULTS } from './config.js';
import { KAFKA_BROKER_KEYS, type KafkaKeyType } from './kafka-broker-keys.js';
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

const TYPE_NUMBER: Record<KafkaKeyType, number> = {
  boolean: ConfigType.BOOLEAN,
  string: ConfigType.STRING,
  int: ConfigType.INT,
  short: ConfigType.SHORT,
  long: ConfigType.LONG,
  double: ConfigType.DOUBLE,
  list: ConfigType.LIST,
  class: ConfigType.CLASS,
  password: ConfigType.PASSWORD,
};

/** How Kafka lets a broker key change at runtime; null = read-only (a restart with a new server.properties). */
export type UpdateMode = 'cluster-wide' | 'per-broker' | 'per-listener' | null;

export interface BrokerConfigInfo {
  type: number;
  kind: KafkaKeyType;
  /** The default this broker uses (Kafka's, except where Samsa's own defaults say otherwise); null when none. */
  defaultValue: string | null;
  /** Kafka can change this key on a running broker (cluster-wide or per broker). */
  dynamic: boolean;
  updateMode: UpdateMode;
  /** Kafka leaves internal keys out of DescribeConfigs unless they are set. */
  internal: boolean;
  /** Kafka 4.0 removed the key (ZooKeeper mode, old message formats); known, so never a typo. */
  removed: boolean;
  /** Set only with AlterConfigs (quota rates), not a server.properties key. */
  dynamicOnly: boolean;
  doc: string | null;
  min?: number;
  oneOf?: readonly string[];
}

const LONG_MAX = '9223372036854775807';

/** Samsa's sentences for the keys it acts on, and the extra value rules it checks. */
const BROKER_DOCS: Record<string, [doc: string, extra?: { min?: number; oneOf?: readonly string[] }]> = {
  'node.id': ["This broker's id in the cluster."],
  listeners: ['The addresses the broker listens on, as NAME://host:port.'],
  'advertised.listeners': ['The addresses clients are told to connect to; defaults to listeners.'],
  'log.dirs': ['The directories that hold partition logs.'],
  'num.partitions': ['Partitions of an auto-created topic, or of one created with -1 partitions.', { min: 1 }],
  'default.replication.factor': ['Replicas of an auto-created topic, or of one created with -1.', { min: 1 }],
  'auto.create.topics.enable': ['Whether Metadata and Produce requests for an unknown topic create it.'],
  'delete.topic.enable': ['Whether DeleteTopics is allowed.'],
  'message.max.bytes': ['The largest record batch a topic accepts unless it sets max.message.bytes.', { min: 0 }],
  'socket.request.max.bytes': ['The largest request frame; larger ones close the connection.', { min: 1 }],
  'log.retention.hours': ['Hours to keep a segment, when neither log.retention.ms nor log.retention.minutes is set.'],
  'log.retention.minutes': ['Minutes to keep a segment, when log.retention.ms is not set.'],
  'log.retention.ms': ['Milliseconds to keep a segment after its newest record; -1 keeps data forever.', { min: -1 }],
  'log.retention.bytes': ['The size a partition may grow to before its oldest segments are deleted.'],
  'log.retention.check.interval.ms': ['How often the broker looks for segments to delete.', { min: 1 }],
  'log.segment.bytes': ['The size at which a segment is closed and a new one started.', { min: 14 }],
  'log.roll.hours': ['Hours after which a segment is rolled, when log.roll.ms is not set.', { min: 1 }],
  'log.roll.ms': ['Milliseconds after which a segment is rolled even if not full.', { min: 1 }],
  'log.index.size.max.bytes': ['The size of each offset and time index file.', { min: 4 }],
  'log.index.interval.bytes': ['Bytes of log between two offset index entries.', { min: 0 }],
  'log.flush.interval.messages': ['Records written between two forced fsyncs.', { min: 1 }],
  'log.flush.interval.ms': ['Milliseconds between two forced fsyncs.', { min: 0 }],
  'log.message.timestamp.type': ['CreateTime keeps producer timestamps; LogAppendTime stamps the broker clock.', { oneOf: ['CreateTime', 'LogAppendTime'] }],
  'log.message.timestamp.before.max.ms': ['How far in the past a CreateTime timestamp may be.', { min: 0 }],
  'log.message.timestamp.after.max.ms': ['How far in the future a CreateTime timestamp may be.', { min: 0 }],
  'compression.type': ["The codec topics store batches with; 'producer' keeps the producer's.", { oneOf: ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'] }],
  'log.cleanup.policy': ['The default cleanup policy of topics: delete, compact, or both.', { oneOf: ['delete', 'compact'] }],
  'min.insync.replicas': ['In-sync replicas that must hold a write before acks=all is answered.', { min: 1 }],
  'max.incremental.fetch.session.cache.slots': ['The incremental fetch sessions (KIP-227) the broker keeps at most; 0 answers every fetch without a session.', { min: 0 }],
  'log.segment.delete.delay.ms': ['How long a deleted segment stays on disk for fetches in flight.', { min: 0 }],
  'log.cleaner.enable': ['Whether the log cleaner runs (needed for compacted topics).'],
  'log.cleaner.backoff.ms': ['How long the cleaner sleeps when there is nothing to clean.', { min: 0 }],
  'log.cleaner.delete.retention.ms': ['How long tombstones stay in compacted topics.', { min: 0 }],
  'log.cleaner.min.compaction.lag.ms': ['The shortest time a record stays uncompacted.', { min: 0 }],
  'log.cleaner.max.compaction.lag.ms': ['The longest time a record may stay uncompacted.', { min: 1 }],
  'log.cleaner.min.cleanable.ratio': ['The share of uncleaned log above which a partition is compacted.', { min: 0 }],
  'producer.id.expiration.ms': ['How long a producer id without writes is remembered for idempotence.', { min: 1 }],
  'listener.security.protocol.map': ['The security protocol of each listener name; Samsa serves PLAINTEXT and SSL.'],
  'group.consumer.migration.policy': ['Which way a consumer group with members may change protocol online: bidirectional, upgrade (classic to consumer), downgrade (consumer to classic) or disabled; any case.'],
  'controller.listener.names': ['Listeners for the KRaft controller; Samsa has none and does not open them.'],
};

const MODE_OF_FLAG: Record<string, UpdateMode> = { c: 'cluster-wide', b: 'per-broker', l: 'per-listener' };

function buildBrokerCatalog(): Record<string, BrokerConfigInfo> {
  const out: Record<string, BrokerConfigInfo> = {};
  for (const [name, kind, kafkaDefault, flags = ''] of KAFKA_BROKER_KEYS) {
    const mode = [...flags].map((f) => MODE_OF_FLAG[f]).find((m) => m !== undefined) ?? null;
    const [doc, extra] = BROKER_DOCS[name] ?? [null, undefined];
    out[name] = {
      type: TYPE_NUMBER[kind], kind, defaultValue: BROKER_DEFAULTS[name] ?? kafkaDefault, dynamic: mode !== null, updateMode: mode,
      internal: flags.includes('i'), removed: flags.includes('r'), dynamicOnly: flags.includes('d'), doc, ...extra,
    };
  }
  return out;
}

/** Every broker key Kafka 4 knows, with what DescribeConfigs and the config APIs need of it. */
export const BROKER_CONFIGS: Readonly<Record<string, BrokerConfigInfo>> = buildBrokerCatalog();

/** `listener.name.<listener>.<key>`: a key set for one listener (Kafka's ListenerConfigRegex). */
const LISTENER_PREFIXED = /^listener\.name\.[^.]*\.(.*)$/;

/** The base key of a listener-prefixed key, or the key itself. */
export function baseKey(name: string): string {
  return LISTENER_PREFIXED.exec(name)?.[1] ?? name;
}

/** Kafka's brokerConfigSynonyms: the broker keys that set the same thing, highest precedence first. */
export function brokerSynonyms(name: string): string[] {
  switch (name) {
    case 'log.roll.ms':
    case 'log.roll.hours':
      return ['log.roll.ms', 'log.roll.hours'];
    case 'log.roll.jitter.ms':
    case 'log.roll.jitter.hours':
      return ['log.roll.jitter.ms', 'log.roll.jitter.hours'];
    case 'log.flush.interval.ms':
      return ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'];
    case 'log.retention.ms':
    case 'log.retention.minutes':
    case 'log.retention.hours':
      return ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'];
  }
  const base = baseKey(name);
  return base === name ? [name] : [name, base];
}

/** The config type DescribeConfigs reports for a broker key (a listener-prefixed key takes its base key's). */
export function brokerConfigType(name: string): number {
  return BROKER_CONFIGS[name]?.type ?? BROKER_CONFIGS[baseKey(name)]?.type ?? ConfigType.UNKNOWN;
}

export interface TopicConfigInfo {
  type: number;
  doc: string;
  /** Broker keys whose value this topic config takes when it has no override, first one wins, with the factor to its unit. */
  brokerSynonyms: ReadonlyArray<readonly [key: string, scale: number]>;
  /** Kafka's default when no broker synonym has a value. */
  defaultValue: string;
}

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** Kafka's ServerTopicConfigSynonyms.ALL_TOPIC_CONFIG_SYNONYMS, and our sentence per topic config. */
const TOPIC_DOCS: Record<string, [doc: string, synonyms: ReadonlyArray<readonly [string, number]>]> = {
  'cleanup.policy': ['What happens to old segments: delete them, compact them to the latest record per key, or both.', [['log.cleanup.policy', 1]]],
  'compression.type': ["The codec batches are stored with; 'producer' keeps the producer's codec.", [['compression.type', 1]]],
  'compression.gzip.level': ['The gzip level when compression.type is gzip.', [['compression.gzip.level', 1]]],
  'compression.lz4.level': ['The lz4 level when compression.type is lz4.', [['compression.lz4.level', 1]]],
  'compression.zstd.level': ['The zstd level when compression.type is zstd.', [['compression.zstd.level', 1]]],
  'delete.retention.ms': ['How long a tombstone stays in a compacted topic after its segment was cleaned.', [['log.cleaner.delete.retention.ms', 1]]],
  'file.delete.delay.ms': ['How long a deleted segment stays on disk, readable by fetches in flight.', [['log.segment.delete.delay.ms', 1]]],
  'flush.messages': ['Records written between two forced fsyncs of the log; the default leaves flushing to the OS.', [['log.flush.interval.messages', 1]]],
  'flush.ms': ['Milliseconds between two forced fsyncs of the log; the default leaves flushing to the OS.', [['log.flush.interval.ms', 1], ['log.flush.scheduler.interval.ms', 1]]],
  'follower.replication.throttled.replicas': ['Replicas throttled on the follower side, as partition:broker pairs or *.', []],
  'index.interval.bytes': ['Bytes of log between two entries of the sparse offset index.', [['log.index.interval.bytes', 1]]],
  'leader.replication.throttled.replicas': ['Replicas throttled on the leader side, as partition:broker pairs or *.', []],
  'local.retention.bytes': ['With tiered storage, the local size kept before segments are deleted locally; -2 follows retention.bytes.', [['log.local.retention.bytes', 1]]],
  'local.retention.ms': ['With tiered storage, how long segments stay local; -2 follows retention.ms.', [['log.local.retention.ms', 1]]],
  'max.compaction.lag.ms': ['The longest a record may stay uncompacted in a compacted topic.', [['log.cleaner.max.compaction.lag.ms', 1]]],
  'max.message.bytes': ['The largest record batch the topic accepts, after compression.', [['message.max.bytes', 1]]],
  'message.downconversion.enable': ['Whether fetches of old message formats are converted down.', [['log.message.downconversion.enable', 1]]],
  'message.timestamp.after.max.ms': ['How far in the future a CreateTime timestamp may be before a batch is refused.', [['log.message.timestamp.after.max.ms', 1]]],
  'message.timestamp.before.max.ms': ['How far in the past a CreateTime timestamp may be before a batch is refused.', [['log.message.timestamp.before.max.ms', 1]]],
  'message.timestamp.type': ["Whether records keep the producer's timestamp (CreateTime) or get the broker's clock (LogAppendTime).", [['log.message.timestamp.type', 1]]],
  'min.cleanable.dirty.ratio': ['The share of uncleaned log above which the cleaner compacts a partition.', [['log.cleaner.min.cleanable.ratio', 1]]],
  'min.compaction.lag.ms': ['The shortest time a record stays uncompacted in a compacted topic.', [['log.cleaner.min.compaction.lag.ms', 1]]],
  'min.insync.replicas': ['In-sync replicas that must hold a write before acks=all is answered.', [['min.insync.replicas', 1]]],
  preallocate: ['Whether a new segment file is allocated at full size up front.', [['log.preallocate', 1]]],
  'remote.log.copy.disable': ['With tiered storage, whether copying segments to remote storage is stopped.', []],
  'remote.log.delete.on.disable': ['With tiered storage, whether remote data is deleted when tiering is turned off.', []],
  'remote.storage.enable': ['Whether the topic uses tiered storage.', []],
  'retention.bytes': ['The size a partition may grow to before its oldest segments are deleted; -1 means no limit.', [['log.retention.bytes', 1]]],
  'retention.ms': ['How long a segment is kept after its newest record; -1 keeps data forever.', [['log.retention.ms', 1], ['log.retention.minutes', MINUTE_MS], ['log.retention.hours', HOUR_MS]]],
  'segment.bytes': ['The size at which the active segment is closed and a new one started.', [['log.segment.bytes', 1]]],
  'segment.index.bytes': ["The size of each segment's offset and time index files.", [['log.index.size.max.bytes', 1]]],
  'segment.jitter.ms': ['A random amount subtracted from segment.ms so that segments do not all roll at once.', [['log.roll.jitter.ms', 1], ['log.roll.jitter.hours', HOUR_MS]]],
  'segment.ms': ['The age at which the active segment is closed and a new one started, even if not full.', [['log.roll.ms', 1], ['log.roll.hours', HOUR_MS]]],
  'unclean.leader.election.enable': ['Whether a replica outside the ISR may become leader, at the cost of losing data.', [['unclean.leader.election.enable', 1]]],
};

const TOPIC_TYPE: Record<string, number> = { long: ConfigType.LONG, int: ConfigType.INT, double: ConfigType.DOUBLE, boolean: ConfigType.BOOLEAN, string: ConfigType.STRING, list: ConfigType.LIST };

export function topicConfigInfo(name: string): TopicConfigInfo {
  const def = TOPIC_CONFIGS[name];
  const [doc, synonyms] = TOPIC_DOCS[name] ?? [`The topic config ${name}.`, []];
  return { type: def === undefined ? ConfigType.UNKNOWN : TOPIC_TYPE[def.kind]!, doc, brokerSynonyms: synonyms, defaultValue: def?.defaultValue ?? '' };
}

/**
 * A topic config's value when the topic does not set it: the first of its broker synonyms that
 * has a value (`lookup` gives the broker's value in force, or its default), converted to the
 * topic config's unit; else Kafka's topic default.
 */
export function inheritedTopicValue(name: string, lookup: (brokerKey: string) => string | null | undefined): string {
  const info = topicConfigInfo(name);
  for (const [key, scale] of info.brokerSynonyms) {
    const v = lookup(key);
    if (v === null || v === undefined) continue;
    return scale === 1 ? v : String(BigInt(v.trim()) * BigInt(scale));
  }
  return info.defaultValue;
}

/** Kafka's ConfigDef type check of one value, as its ConfigException words it; null when valid. */
export function brokerConfigError(key: string, value: string): string | null {
  const def = BROKER_CONFIGS[key] ?? BROKER_CONFIGS[baseKey(key)];
  if (def === undefined) return null;
  const v = value.trim();
  const bad = (why: string): string => `Invalid value ${value} for configuration ${key}: ${why}`;
  switch (def.kind) {
    case 'short':
    case 'int':
    case 'long': {
      if (!/^[+-]?\d+$/.test(v)) return bad(`Not a number of type ${def.kind.toUpperCase()}`);
      const n = BigInt(v);
      const bits = def.kind === 'short' ? 15n : def.kind === 'int' ? 31n : 63n;
      if (n > 2n ** bits - 1n || n < -(2n ** bits)) return bad(`Not a number of type ${def.kind.toUpperCase()}`);
      if (def.min !== undefined && Number(n) < def.min) return bad(`Value must be at least ${def.min}`);
      return null;
    }
    case 'double': {
      if (v === '' || Number.isNaN(Number(v))) return bad('Not a number of type DOUBLE');
      if (def.min !== undefined && Number(v) < def.min) return bad(`Value must be at least ${def.min}`);
      return null;
    }
    case 'boolean':
      return /^(true|false)$/i.test(v) ? null : bad('Expected value to be either true or false');
    case 'list':
    case 'string': {
      if (def.oneOf === undefined) return null;
      const items = def.kind === 'list' ? value.split(',').map((s) => s.trim()) : [value];
      const wrong = items.find((i) => !def.oneOf!.includes(i));
      return wrong === undefined ? null : bad(`String must be one of: ${def.oneOf.join(', ')}`);
    }
    case 'class':
    case 'password':
      return null;
  }
}

/** Whether a key takes a comma-separated list (IncrementalAlterConfigs APPEND/SUBTRACT). */
export function isListConfig(name: string, resource: 'topic' | 'broker' | 'group' | 'client-metrics'): boolean {
  if (resource === 'group') return false;
  if (resource === 'client-metrics') return name === 'metrics' || name === 'match';
  return resource === 'topic' ? TOPIC_CONFIGS[name]?.kind === 'list' : (BROKER_CONFIGS[name] ?? BROKER_CONFIGS[baseKey(name)])?.kind === 'list';
}

export { LONG_MAX };
