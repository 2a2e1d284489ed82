/**
 * Share-group settings, under Kafka's broker config names and with Kafka 4.2's defaults, checked
 * against their min/max keys as Kafka does. Samsa has no per-group configs yet (DescribeConfigs on
 * GROUP resources), so Kafka's group config `share.auto.offset.reset` is given for every share
 * group of the broker as `samsa.share.auto.offset.reset` (latest, as Kafka's default).
 */
import { ConfigError } from '../../cluster/config.js';

export interface ShareConfig {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  recordLockDurationMs: number;
  deliveryCountLimit: number;
  partitionMaxRecordLocks: number;
  /** `group.share.max.size`: members a share group may have. */
  maxSize: number;
  /** `group.share.max.share.sessions`: share sessions this broker keeps at once. */
  maxShareSessions: number;
  autoOffsetReset: 'earliest' | 'latest';
  /** `share.coordinator.state.topic.num.partitions`. */
  stateTopicPartitions: number;
  stateTopicSegmentBytes: number;
  /** `share.coordinator.state.topic.min.isr`: min.insync.replicas of `__share_group_state` (Kafka default 2). */
  stateTopicMinIsr: number;
}

export const SHARE_COORDINATOR_DEFAULTS: Readonly<Record<string, string>> = {
  'group.share.session.timeout.ms': '45000',
  'group.share.min.session.timeout.ms': '45000',
  'group.share.max.session.timeout.ms': '60000',
  'group.share.heartbeat.interval.ms': '5000',
  'group.share.min.heartbeat.interval.ms': '5000',
  'group.share.max.heartbeat.interval.ms': '15000',
  'group.share.record.lock.duration.ms': '30000',
  'group.share.min.record.lock.duration.ms': '15000',
  'group.share.max.record.lock.duration.ms': '60000',
  'group.share.delivery.count.limit': '5',
  'group.share.partition.max.record.locks': '2000',
  'group.share.max.size': '200',
  'group.share.max.share.sessions': '2000',
  'samsa.share.auto.offset.reset': 'latest',
  'share.coordinator.state.topic.num.partitions': '50',
  'share.coordinator.state.topic.segment.bytes': '104857600',
  'share.coordinator.state.topic.min.isr': '2',
};

export function shareConfig(raw: Record<string, string>): ShareConfig {
  const get = (k: string): string => raw[k] ?? SHARE_COORDINATOR_DEFAULTS[k]!;
  const int = (k: string, min: number): number => {
    const v = Number(get(k));
    if (!Number.isInteger(v) || v < min) throw new ConfigError(`${k}: '${get(k)}' is not a whole number of at least ${min}`);
    return v;
  };
  const reset = get('samsa.share.auto.offset.reset');
  if (reset !== 'earliest' && reset !== 'latest') throw new ConfigError(`samsa.share.auto.offset.reset: '${reset}' is neither earliest nor latest`);
  /** A setting within its group.share.min.* and group.share.max.* bounds, as Kafka's GroupCoordinatorConfig requires. */
  const bounded = (name: string): number => {
    const v = int(`group.share.${name}`, 1);
    const min = int(`group.share.min.${name}`, 1);
    const max = int(`group.share.max.${name}`, 1);
    if (v < min || v > max) throw new ConfigError(`group.share.${name}: ${v} is outside group.share.min.${name} (${min}) and group.share.max.${name} (${max})`);
    return v;
  };
  return {
    sessionTimeoutMs: bounded('session.timeout.ms'),
    heartbeatIntervalMs: bounded('heartbeat.interval.ms'),
    recordLockDurationMs: bounded('record.lock.duration.ms'),
    deliveryCountLimit: int('group.share.delivery.count.limit', 1),
    partitionMaxRecordLocks: int('group.share.partition.max.record.locks', 1),
    maxSize: int('group.share.max.size', 1),
    maxShareSessions: int('group.share.max.share.sessions', 1),
    autoOffsetReset: reset,
    stateTopicPartitions: int('share.coordinator.state.topic.num.partitions', 1),
    stateTopicMinIsr: int('share.coordinator.state.topic.min.isr', 1),
    stateTopicSegmentBytes: int('share.coordinator.state.topic.segment.bytes', 1),
  };
}
