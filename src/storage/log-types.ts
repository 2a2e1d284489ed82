/** The partition log's public shapes: its dependencies, options and results. */
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../util/logger.js';
import type { OpenLogFile } from './file.js';
import type { PartitionLog } from './partition-log.js';

export interface PartitionLogDeps {
  clock: Clock;
  logger: Logger;
  /** The disk seam; tests inject I/O faults through it. */
  openFile?: OpenLogFile;
  /**
   * Alone, a broker's high watermark is its log end after each append (the default).
   * Replication turns this off and moves it with `updateHighWatermark` (switchable per log with
   * `setHighWatermarkFollowsLogEnd`).
   */
  highWatermarkFollowsLogEnd?: boolean;
  /** Called after every rise of the high watermark (waiting fetches may now read more). */
  onHighWatermark?: (log: PartitionLog) => void;
  /** producer.id.expiration.ms: idle producers' state is dropped after this (default a day). */
  producerIdExpirationMs?: number;
}

export interface AppendOptions {
  leaderEpoch: number;
  /** The broker time to stamp when the topic uses LogAppendTime (default: the clock's now). */
  appendTimeMs?: number;
  /** KIP-890: per producer, the guard taken before its transactional batch was verified (ProducerStateManager.verificationGuard). */
  verificationGuards?: ReadonlyMap<number, object>;
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** The stamped time with LogAppendTime, else -1 (what Produce responses carry). */
  logAppendTimeMs: number;
  logStartOffset: number;
  /** The batch was a producer's retry of one already in the log: these are its original offsets. */
  duplicate?: boolean;
}

/** A transaction marker the coordinator writes (PartitionLog.appendControl). */
export interface ControlAppend {
  producerId: number;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
  timestampMs: number;
  /** The leader epoch to stamp on the marker (default: the latest in the leader epoch cache, or 0). */
  leaderEpoch?: number;
}

export interface ReadOptions {
  /** Exclusive upper bound, e.g. the high watermark; default the log end. */
  maxOffset?: number;
  /** KIP-74: return at least one whole batch even if larger than maxBytes (default true). */
  minOneBatch?: boolean;
  /** read_committed stops at the last stable offset and reports aborted transactions. */
  isolation?: 'read_uncommitted' | 'read_committed';
}

export interface ReadResult {
  records: Buffer;
  highWatermark: number;
  logStartOffset: number;
  lastStableOffset: number;
  /** read_committed only: aborted transactions overlapping the records returned. */
  abortedTransactions?: Array<{ producerId: number; firstOffset: number }>;
}

export interface LogStats {
  appends: number;
  /** writev calls: fewer than appends when group commit coalesces them. */
  writes: number;
  bytesWritten: number;
  /** fdatasync rounds (each covers every file written since the last). */
  flushes: number;
  rolls: number;
  writeErrors: number;
  /** Bytes recovery cut off torn or corrupt batches when the log was opened. */
  recoveredTruncatedBytes: number;
}
