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
  /**
   * group.coordinator.rebalance.protocols includes `consumer`: ConsumerGroupHeartbeat and
   * ConsumerGroupDescribe are served (else they answer UNSUPPORTED_VERSION, as Kafka's do).
   */
  consumerProtocolEnabled: boolean;
  /** KIP-848 consumer groups (the `consumer` protocol). */
  consumer: ConsumerGroupConfig;
}

export interface ConsumerGroupConfig {
  /** group.consumer.session.timeout.ms: a member that sends no heartbeat for this long is removed. */
  sessionTimeoutMs: number;
  /** group.consumer.heartbeat.interval.ms: how often members are told to heartbeat. */
  heartbeatIntervalMs: number;
  /** group.consumer.max.size: members per consumer group. */
  maxSize: number;
  /** group.consumer.assignors: the server assignors offered, the first one the default. */
  assignors: string[];
  /** group.consumer.migration.policy: which way a group with members may change protocol online. */
  migration: MigrationPolicy;
}

/** Kafka's ConsumerGroupMigrationPolicy: whether an online upgrade and an online downgrade are allowed. */
export interface MigrationPolicy {
  name: 'bidirectional' | 'upgrade' | 'downgrade' | 'disabled';
  upgrade: boolean;
  downgrade: boolean;
}

const MIGRATION_POLICIES: readonly MigrationPolicy[] = [
  { name: 'bidirectional', upgrade: true, downgrade: true },
  { name: 'upgrade', upgrade: true, downgrade: false },
  { name: 'downgrade', upgrade: false, downgrade: true },
  { name: 'disabled', upgrade: false, downgrade: false },
];

/** Parses group.consumer.migration.policy, case-insensitively as Kafka does; throws ConfigError on any other value. */
export function migrationPolicy(value: string): MigrationPolicy {
  const p = MIGRATION_POLICIES.find((x) => x.name === value.trim().toLowerCase());
  if (p === undefined)
    throw new ConfigError(`group.consumer.migration.policy: '${value}' is not a migration policy; use one of ${MIGRATION_POLICIES.map((x) => x.name).join(', ')}`);
  return p;
}

/** The server assignors Samsa has (consumer/assignors.ts). */
export const KNOWN_CONSUMER_ASSIGNORS = ['uniform', 'range'];
/** Kafka's class names for them, accepted in group.consumer.assignors too. */
const ASSIGNOR_CLASSES: Record<string, string> = {
  'org.apache.kafka.coordinator.group.assignor.UniformAssignor': 'uniform',
  'org.apache.kafka.coordinator.group.assignor.RangeAssignor': 'range',
};

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
  'group.consumer.session.timeout.ms': '45000',
  'group.consumer.min.session.timeout.ms': '45000',
  'group.consumer.max.session.timeout.ms': '60000',
  'group.consumer.heartbeat.interval.ms': '5000',
  'group.consumer.min.heartbeat.interval.ms': '5000',
  'group.consumer.max.heartbeat.interval.ms': '15000',
  'group.consumer.max.size': '2147483647',
  'group.consumer.assignors': 'uniform,range',
  'group.consumer.migration.policy': 'bidirectional',
  'group.coordinator.rebalance.protocols': 'classic,consumer',
};

/**
 * Parses group.coordinator.rebalance.protocols as Kafka does (case-insensitive names; `classic`
 * cannot be left out); true when it lists `consumer`. `share` is accepted as Kafka 4.0 took it,
 * though share groups follow the `share.version` feature; `streams` (KIP-1071) is not served.
 */
export function consumerProtocolEnabled(value: string): boolean {
  const key = 'group.coordinator.rebalance.protocols';
  const names = value.split(',').map((p) => p.trim().toLowerCase()).filter((p) => p !== '');
  for (const n of names) {
    if (n === 'streams') throw new ConfigError(`${key}: the streams protocol (KIP-1071) is not served by Samsa; list classic and consumer only`);
    if (!['classic', 'consumer', 'share'].includes(n)) throw new ConfigError(`${key}: '${n}' is not a rebalance protocol; use classic, consumer (or share)`);
  }
  if (!names.includes('classic')) throw new ConfigError(`${key}: disabling the 'classic' protocol is not supported; list classic (and consumer to serve KIP-848 groups)`);
  return names.includes('consumer');
}

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
    consumerProtocolEnabled: consumerProtocolEnabled(props['group.coordinator.rebalance.protocols']!),
    consumer: consumerGroupConfig(props, int),
  };
  if (cfg.maxSessionTimeoutMs < cfg.minSessionTimeoutMs)
    throw new ConfigError('group.max.session.timeout.ms: must not be less than group.min.session.timeout.ms');
  return cfg;
}

/** The group.consumer.* keys, checked as Kafka's GroupCoordinatorConfig checks them. */
function consumerGroupConfig(props: Record<string, string>, int: (key: string, min: number) => number): ConsumerGroupConfig {
  const session = int('group.consumer.session.timeout.ms', 1);
  const heartbeat = int('group.consumer.heartbeat.interval.ms', 1);
  const within = (key: string, v: number, min: string, max: string) => {
    if (v < int(min, 1)) throw new ConfigError(`${key} must be greater than or equal to ${min}`);
    if (v > int(max, 1)) throw new ConfigError(`${key} must be less than or equal to ${max}`);
  };
  within('group.consumer.session.timeout.ms', session, 'group.consumer.min.session.timeout.ms', 'group.consumer.max.session.timeout.ms');
  within('group.consumer.heartbeat.interval.ms', heartbeat, 'group.consumer.min.heartbeat.interval.ms', 'group.consumer.max.heartbeat.interval.ms');
  if (heartbeat >= session) throw new ConfigError('group.consumer.heartbeat.interval.ms must be less than group.consumer.session.timeout.ms');
  const assignors = props['group.consumer.assignors']!.split(',').map((a) => a.trim()).filter((a) => a !== '').map((a) => ASSIGNOR_CLASSES[a] ?? a);
  if (assignors.length === 0) throw new ConfigError('group.consumer.assignors: name at least one assignor (uniform, range)');
  for (const a of assignors) if (!KNOWN_CONSUMER_ASSIGNORS.includes(a)) throw new ConfigError(`group.consumer.assignors: unknown assignor '${a}' (Samsa has ${KNOWN_CONSUMER_ASSIGNORS.join(', ')})`);
  return { sessionTimeoutMs: session, heartbeatIntervalMs: heartbeat, maxSize: int('group.consumer.max.size', 1), assignors, migration: migrationPolicy(props['group.consumer.migration.policy']!) };
}
