/**
 * The group coordinator's broker keys, with Kafka's names and defaults, read from the broker's
 * raw `server.properties` keys.
 */
import { ConfigError, intProperty } from '../../cluster/config.js';

export interface GroupCoordinatorConfig {
  /** group.initial.rebalance.delay.ms: how long the first rebalance of an empty group waits for more members. */
  initialRebalanceDelayMs: number;
  /** group.min.session.timeout.ms / group.max.session.timeout.ms: the session timeouts a member may ask for. */
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** group.max.size: members per group. */
  groupMaxSize: number;
  /** offsets.topic.num.partitions: partitions of __consumer_offsets when it is created. */
  offsetsTopicPartitions: number;
  /** offsets.topic.segment.bytes: segment size of __consumer_offsets (Kafka keeps it small for fast loads). */
  offsetsTopicSegmentBytes: number;
  /** offsets.retention.minutes, in ms: how long offsets outlive an empty group (or their commit, for standalone ones). */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms: how often expired offsets are looked for. */
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes: longest metadata string an offset commit may carry. */
  offsetMetadataMaxBytes: number;
  /** offsets.load.buffer.size: bytes read at a time when loading a partition at start-up. */
  offsetsLoadBufferBytes: number;
  /** offsets.commit.timeout.ms: how long a write to __consumer_offsets waits for the ISR in a cluster. */
  offsetsCommitTimeoutMs: number;
}

export const GROUP_COORDINATOR_DEFAULTS: Record<string, string> = {
  'group.initial.rebalance.delay.ms': '3000',
  'group.min.session.timeout.ms': '6000',
  'group.max.session.timeout.ms': '1800000',
  'group.max.size': '2147483647',
  'offsets.topic.num.partitions': '50',
  'offsets.topic.segment.bytes': '104857600',
  'offsets.retention.minutes': '10080',
  'offsets.retention.check.interval.ms': '600000',
  'offset.metadata.max.bytes': '4096',
  'offsets.load.buffer.size': '5242880',
  'offsets.commit.timeout.ms': '5000',
};

/** Parses the coordinator's keys over Kafka's defaults; throws ConfigError on a bad value. */
export function groupCoordinatorConfig(raw: Record<string, string>): GroupCoordinatorConfig {
  const props = { ...GROUP_COORDINATOR_DEFAULTS, ...raw };
  const int = (key: string, min: number): number => intProperty(props, key, min);
  const cfg: GroupCoordinatorConfig = {
    initialRebalanceDelayMs: int('group.initial.rebalance.delay.ms', 0),
    minSessionTimeoutMs: int('group.min.session.timeout.ms', 0),
    maxSessionTimeoutMs: int('group.max.session.timeout.ms', 0),
    groupMaxSize: int('group.max.size', 1),
    offsetsTopicPartitions: int('offsets.topic.num.partitions', 1),
    offsetsTopicSegmentBytes: int('offsets.topic.segment.bytes', 1),
    offsetsRetentionMs: int('offsets.retention.minutes', 1) * 60_000,
    offsetsRetentionCheckIntervalMs: int('offsets.retention.check.interval.ms', 1),
    offsetMetadataMaxBytes: int('offset.metadata.max.bytes', 0),
    offsetsLoadBufferBytes: int('offsets.load.buffer.size', 1),
    offsetsCommitTimeoutMs: int('offsets.commit.timeout.ms', 1),
  };
  if (cfg.maxSessionTimeoutMs < cfg.minSessionTimeoutMs)
    throw new ConfigError('group.max.session.timeout.ms: must not be less than group.min.session.timeout.ms');
  return cfg;
}
