/**
 * The consumer's options, defaults and message types (Kafka's consumer config names in the docs),
 * and how its options are checked: what a user of `Consumer` reads first. consumer.ts is the
 * consumer itself and re-exports all of this.
 */
import type { RecordHeader } from '../protocol/records/record-batch.js';
import type { Logger } from '../util/logger.js';
import { InvalidArgumentError } from './errors.js';
import type { PartitionAssignor } from './group/assignor.js';
import { RangeAssignor } from './group/range-assignor.js';
import { CooperativeStickyAssignor } from './group/cooperative-sticky-assignor.js';
import type { TopicPartition } from './group/membership.js';
import type { OffsetToCommit } from './group/requests.js';

/** Kafka's consumer defaults: fetch.max.wait.ms, fetch.min.bytes, fetch.max.bytes, max.partition.fetch.bytes. */
export const MAX_WAIT_MS_DEFAULT = 500;
export const MIN_BYTES_DEFAULT = 1;
export const MAX_BYTES_DEFAULT = 52_428_800;
export const PARTITION_MAX_BYTES_DEFAULT = 1_048_576;
/** Kafka's group defaults: session.timeout.ms, max.poll.interval.ms, heartbeat.interval.ms, auto.commit.interval.ms, metadata.max.age.ms. */
export const SESSION_TIMEOUT_MS_DEFAULT = 45_000;
export const REBALANCE_TIMEOUT_MS_DEFAULT = 300_000;
export const HEARTBEAT_INTERVAL_MS_DEFAULT = 3_000;
export const AUTO_COMMIT_INTERVAL_MS_DEFAULT = 5_000;
export const METADATA_MAX_AGE_MS_DEFAULT = 300_000;

export type OffsetReset = 'earliest' | 'latest' | 'none';
export type AssignorName = 'range' | 'cooperative-sticky';
export type IsolationLevel = 'read_uncommitted' | 'read_committed';

export interface ConsumerOptions {
  /** Where to start when a position is unknown or out of range; Kafka's default is 'latest'. */
  autoOffsetReset?: OffsetReset;
  maxWaitMs?: number;
  minBytes?: number;
  maxBytes?: number;
  partitionMaxBytes?: number;
  /** Overrides the client's clientId for this consumer (consumer-groups --describe shows it). */
  clientId?: string;
  /** The consumer group; needed for subscribe() and for commits. */
  groupId?: string;
  /** A static member id (Kafka's group.instance.id): a restart within the session timeout keeps its partitions. */
  groupInstanceId?: string;
  /**
   * Kafka's group.protocol: 'classic' (default; JoinGroup/SyncGroup with client-side assignors) or
   * 'consumer' (KIP-848: the broker assigns; ConsumerGroupHeartbeat; sessionTimeoutMs,
   * heartbeatIntervalMs and partitionAssignors are then the broker's and the group's configs).
   */
  groupProtocol?: 'classic' | 'consumer';
  sessionTimeoutMs?: number;
  /** How long the group waits for members to rejoin in a rebalance (Kafka's max.poll.interval.ms). */
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  autoCommit?: boolean;
  autoCommitIntervalMs?: number;
  /** In order of preference; every member of a group must share one. Default ['range']. */
  partitionAssignors?: Array<AssignorName | PartitionAssignor>;
  /** How often the group leader checks subscribed topics for new partitions. */
  metadataMaxAgeMs?: number;
  /**
   * 'read_committed' reads only up to the last stable offset and skips aborted transactions;
   * default 'read_uncommitted', as in Kafka's Java consumer. Control records are never shown.
   */
  isolationLevel?: IsolationLevel;
  logger?: Logger;
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  /** An offset, 'earliest' (-2) or 'latest' (-1); omitted means the committed offset (with a groupId), else `autoOffsetReset`. */
  offset?: number | 'earliest' | 'latest';
}

export type { TopicPartition } from './group/membership.js';

/** Called from poll() during a rebalance; poll waits for a returned promise. */
export interface RebalanceListener {
  /** Partitions this consumer gives up; commit their offsets here if you commit by hand. */
  onPartitionsRevoked?(partitions: TopicPartition[]): void | Promise<void>;
  /** Partitions newly given to this consumer (called after every rebalance, even with none). */
  onPartitionsAssigned?(partitions: TopicPartition[]): void | Promise<void>;
  /** Partitions already owned by another member (this one was fenced or timed out); default: onPartitionsRevoked. */
  onPartitionsLost?(partitions: TopicPartition[]): void | Promise<void>;
}

export interface OffsetAndMetadata extends TopicPartition {
  /** The next offset to read, as Kafka commits it. */
  offset: number;
  metadata?: string | null;
}

export type TimestampType = 'CreateTime' | 'LogAppendTime';

export interface ConsumerMessage {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  timestamp: number;
  timestampType: TimestampType;
}

export function resolveAssignors(list: Array<AssignorName | PartitionAssignor>): PartitionAssignor[] {
  if (list.length === 0) throw new InvalidArgumentError("partitionAssignors must name at least one assignor, e.g. ['range'].");
  return list.map((a) => {
    if (typeof a !== 'string') return a;
    if (a === 'range') return new RangeAssignor();
    if (a === 'cooperative-sticky') return new CooperativeStickyAssignor();
    throw new InvalidArgumentError(`Unknown partition assignor '${String(a)}'; use 'range' or 'cooperative-sticky'.`);
  });
}

export function validateOffset(o: OffsetAndMetadata): OffsetToCommit {
  if (!Number.isInteger(o.partition) || o.partition < 0) throw new InvalidArgumentError(`Partition must be a non-negative integer, not ${o.partition}.`);
  if (!Number.isSafeInteger(o.offset) || o.offset < 0) throw new InvalidArgumentError(`A committed offset must be a non-negative integer, not ${o.offset}.`);
  return { topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata ?? '' };
}
