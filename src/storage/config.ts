/**
 * A partition log's settings: Kafka's topic configs with Kafka's meanings and defaults, named
 * in camelCase with the unit last (`segment.bytes` → `segmentBytes`).
 */
import { assert } from '../util/assert.js';

export type TimestampType = 'CreateTime' | 'LogAppendTime';
export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete' | 'delete,compact';
/** compression.type: 'producer' keeps each batch's codec; any other value is the codec batches are stored with. */
export type CompressionType = 'producer' | 'uncompressed' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface LogConfig {
  /** segment.bytes: roll to a new segment before the active one would pass this size. */
  segmentBytes: number;
  /** segment.ms: roll when the active segment's first append is older than this. */
  segmentMs: number;
  /** segment.index.bytes: size limit of each offset/time index; a full index rolls the segment. */
  segmentIndexBytes: number;
  /** index.interval.bytes: bytes of log between two entries of the sparse offset index. */
  indexIntervalBytes: number;
  /** retention.ms: delete closed segments whose newest record is older; -1 keeps forever. */
  retentionMs: number;
  /** retention.bytes: delete the oldest closed segments while the log is larger; -1 = no limit. */
  retentionBytes: number;
  /** flush.messages: fdatasync after this many records; 1 = before every acknowledgement. */
  flushIntervalMessages: number;
  /** flush.ms: fdatasync at most this long after a write; the default leaves it to the OS. */
  flushIntervalMs: number;
  /** max.message.bytes: largest record batch a producer may send. */
  maxMessageBytes: number;
  /** file.delete.delay.ms: deleted segments stay readable this long for fetches in flight. */
  fileDeleteDelayMs: number;
  /** message.timestamp.type: keep the producer's timestamps or stamp the broker's clock. */
  messageTimestampType: TimestampType;
  /** cleanup.policy: 'delete' applies retention, 'compact' runs the log cleaner (cleaner.ts), both do both. */
  cleanupPolicy: CleanupPolicy;
  /** delete.retention.ms: how long a tombstone stays readable after the cleaner first passes it. */
  deleteRetentionMs: number;
  /** min.compaction.lag.ms: records newer than this (by their segment's newest timestamp) are not compacted. */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms: a log whose oldest uncompacted record is older than this is compacted whatever its dirty ratio. */
  maxCompactionLagMs: number;
  /** min.cleanable.dirty.ratio: compact once uncompacted bytes are more than this share of the closed segments. */
  minCleanableDirtyRatio: number;
  /** compression.type: the codec stored batches are converted to on append, or 'producer' to keep theirs. */
  compressionType: CompressionType;
  /** message.timestamp.before.max.ms: how far a CreateTime timestamp may lie behind the broker's clock. */
  messageTimestampBeforeMaxMs: number;
  /** message.timestamp.after.max.ms: how far a CreateTime timestamp may lie ahead of the broker's clock. */
  messageTimestampAfterMaxMs: number;
}

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1073741824,
  segmentMs: 604800000,
  segmentIndexBytes: 10485760,
  indexIntervalBytes: 4096,
  retentionMs: 604800000,
  retentionBytes: -1,
  flushIntervalMessages: Number.MAX_SAFE_INTEGER,
  flushIntervalMs: Number.MAX_SAFE_INTEGER,
  maxMessageBytes: 1048588,
  fileDeleteDelayMs: 60000,
  messageTimestampType: 'CreateTime',
  cleanupPolicy: 'delete',
  deleteRetentionMs: 86400000,
  minCompactionLagMs: 0,
  // Kafka's default is Long.MAX_VALUE ("never"); the largest safe integer means the same here.
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  minCleanableDirtyRatio: 0.5,
  compressionType: 'producer',
  // Kafka's defaults are Long.MAX_VALUE (no bound); the largest safe integer means the same here.
  messageTimestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
  messageTimestampAfterMaxMs: Number.MAX_SAFE_INTEGER,
});

/** Whether the log cleaner compacts this log (cleanup.policy holds 'compact'). */
export function isCompacted(config: Readonly<LogConfig>): boolean {
  return config.cleanupPolicy.includes('compact');
}

/**
 * The segment.ms the active segment rolls at: for a compacted log also max.compaction.lag.ms, as
 * in Kafka (KIP-354), since the cleaner never touches the active segment.
 */
export function rollConfig(config: LogConfig): LogConfig {
  if (!isCompacted(config) || config.maxCompactionLagMs >= config.segmentMs) return config;
  return { ...config, segmentMs: Math.max(1, config.maxCompactionLagMs) };
}

/** Kafka's smallest allowed segment.bytes: one record batch header has to fit. */
const SEGMENT_BYTES_MIN = 14;
/** Kafka's smallest allowed segment.index.bytes: one time index entry. */
const SEGMENT_INDEX_BYTES_MIN = 12;

/** Fills unset fields from the defaults and checks the ranges Kafka enforces. */
export function resolveLogConfig(partial: Partial<LogConfig> = {}): LogConfig {
  const c: LogConfig = { ...DEFAULT_LOG_CONFIG, ...partial };
  const int = (v: number, min: number, name: string): void =>
    assert(Number.isSafeInteger(v) && v >= min, `${name} must be an integer >= ${min}, got ${v}`);
  int(c.segmentBytes, SEGMENT_BYTES_MIN, 'segmentBytes');
  int(c.segmentMs, 1, 'segmentMs');
  int(c.segmentIndexBytes, SEGMENT_INDEX_BYTES_MIN, 'segmentIndexBytes');
  int(c.indexIntervalBytes, 0, 'indexIntervalBytes');
  int(c.retentionMs, -1, 'retentionMs');
  int(c.retentionBytes, -1, 'retentionBytes');
  int(c.flushIntervalMessages, 1, 'flushIntervalMessages');
  int(c.flushIntervalMs, 0, 'flushIntervalMs');
  int(c.maxMessageBytes, 0, 'maxMessageBytes');
  int(c.fileDeleteDelayMs, 0, 'fileDeleteDelayMs');
  int(c.deleteRetentionMs, 0, 'deleteRetentionMs');
  int(c.minCompactionLagMs, 0, 'minCompactionLagMs');
  int(c.maxCompactionLagMs, 1, 'maxCompactionLagMs');
  int(c.messageTimestampBeforeMaxMs, 0, 'messageTimestampBeforeMaxMs');
  int(c.messageTimestampAfterMaxMs, 0, 'messageTimestampAfterMaxMs');
  assert(['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'].includes(c.compressionType), `bad compressionType ${c.compressionType}`);
  assert(c.minCleanableDirtyRatio >= 0 && c.minCleanableDirtyRatio <= 1, `minCleanableDirtyRatio must be in [0, 1], got ${c.minCleanableDirtyRatio}`);
  assert(c.messageTimestampType === 'CreateTime' || c.messageTimestampType === 'LogAppendTime', 'bad messageTimestampType');
  return c;
}
