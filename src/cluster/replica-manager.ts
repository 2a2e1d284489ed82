/**
 * The partitions this broker hosts: their logs, their high watermarks, and who is waiting for
 * new data on them. With one broker the leader is the whole ISR, so the high watermark follows
 * the log end offset as soon as an append is written.
 */
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../util/logger.js';
import { LogManager } from '../storage/log-manager.js';
import type { ControlAppend, PartitionLog } from '../storage/partition-log.js';
import { ErrorCode, StorageError } from '../storage/errors.js';
import type { LogConfig } from '../storage/config.js';

export type AppendListener = () => void;

export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/**
 * What a cluster adds to appends (cluster/replication.ts): the leader epoch, word of each
 * completed append, and the wait for the ISR that acks=all writes make.
 */
export interface AppendHooks {
  leaderEpoch(topic: string, partition: number): number;
  appended(topic: string, partition: number, endOffset: number): void;
  /** NONE once the ISR holds every offset below `endOffset`, else the error that ended the wait. */
  waitForIsr(topic: string, partition: number, endOffset: number, timeoutMs: number): Promise<number>;
  /** The ISR's size while this broker leads the partition, else 0. */
  isrSize(topic: string, partition: number): number;
}

export class ReplicaManager {
  private readonly listeners = new Map<string, Set<AppendListener>>();
  /** Set in a cluster: appends carry the partition's leader epoch, and the replication hears of them. */
  hooks: AppendHooks | null = null;

  constructor(
    readonly logs: LogManager,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    // A rise of a high watermark (moved by the log, or by replication) wakes the fetches waiting on it.
    logs.onHighWatermark((topic, partition) => this.wake(partitionKey(topic, partition)));
    for (const { log } of logs.all()) becomeLeader(log);
  }

  /**
   * The partition's current leader epoch, which requests' current_leader_epoch is checked
   * against. One broker leads every partition at the epoch in its log (0 for a new one).
   */
  leaderEpoch(topic: string, partition: number): number {
    if (this.hooks !== null) return this.hooks.leaderEpoch(topic, partition);
    return this.log(topic, partition)?.latestEpoch ?? 0;
  }

  log(topic: string, partition: number): PartitionLog | undefined {
    // Requests name partitions from the wire: anything that cannot be a partition is simply unknown.
    if (!Number.isInteger(partition) || partition < 0 || topic === '') return undefined;
    return this.logs.get(topic, partition);
  }

  async createPartition(topic: string, partition: number, config: LogConfig): Promise<PartitionLog> {
    const log = await this.logs.getOrCreate(topic, partition, config);
    becomeLeader(log);
    return log;
  }

  async deletePartition(topic: string, partition: number): Promise<void> {
    await this.logs.deletePartition(topic, partition);
    this.wake(partitionKey(topic, partition));
  }

  /** Appends validated batches; resolves after the write (and flush, per policy). */
  async append(log: PartitionLog, topic: string, partition: number, batches: Buffer, appendTimeMs?: number, verificationGuards?: ReadonlyMap<number, object>) {
    // The log moves its high watermark itself once the write is done (one broker: the leader
    // is the whole ISR), never past what is written.
    const leaderEpoch = this.leaderEpoch(topic, partition);
    // In a cluster only the leader appends (a coordinator on a follower is told so).
    if (leaderEpoch < 0) throw new StorageError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `this broker does not lead ${topic}-${partition}`);
    const result = await log.append(batches, { leaderEpoch, appendTimeMs, verificationGuards });
    this.hooks?.appended(topic, partition, result.lastOffset + 1);
    this.wake(partitionKey(topic, partition));
    return result;
  }

  /**
   * The acks=all wait, of produces and of the brokers' own writes (coordinator records,
   * transaction markers, which Kafka appends with required acks -1): resolves once the ISR holds every offset
   * below `endOffset`; throws a StorageError (NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT,
   * NOT_ENOUGH_REPLICAS_AFTER_APPEND) when it does not. Alone, the write itself was enough.
   */
  async awaitReplicated(topic: string, partition: number, endOffset: number, timeoutMs: number, minIsr = 1): Promise<void> {
    if (this.hooks === null) return;
    const code = await this.hooks.waitForIsr(topic, partition, endOffset, timeoutMs);
    if (code !== ErrorCode.NONE) throw new StorageError(code, `${topic}-${partition} was not replicated to the ISR up to offset ${endOffset}`);
    const isr = this.hooks.isrSize(topic, partition);
    if (isr < minIsr) throw new StorageError(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, notEnoughReplicas(isr, minIsr, topic, partition));
  }

  /**
   * Writes a transaction marker (COMMIT/ABORT control batch) to a partition for the transaction
   * coordinator and wakes fetches waiting on it (the last stable offset may have moved); in a
   * cluster, resolves once the ISR holds it. Throws StorageError: UNKNOWN_TOPIC_OR_PARTITION,
   * NOT_LEADER_OR_FOLLOWER, INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED,
   * KAFKA_STORAGE_ERROR, and those of `awaitReplicated`.
   */
  async writeTxnMarker(topic: string, partition: number, marker: ControlAppend, replicationTimeoutMs = 30_000): Promise<{ offset: number }> {
    const log = this.log(topic, partition);
    if (log === undefined) throw new StorageError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${partition} is not hosted here`);
    if (this.hooks !== null && this.hooks.leaderEpoch(topic, partition) < 0)
      throw new StorageError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `this broker does not lead ${topic}-${partition}`);
    const result = await log.appendControl(marker);
    this.hooks?.appended(topic, partition, result.offset + 1);
    this.wake(partitionKey(topic, partition));
    // In a cluster the marker counts once the ISR holds it (Kafka writes markers with acks=all).
    await this.awaitReplicated(topic, partition, result.offset + 1, replicationTimeoutMs);
    return result;
  }

  /** Calls `listener` at the next append to any of `keys`; returns a function that cancels it. */
  onAppend(keys: readonly string[], listener: AppendListener): () => void {
    for (const k of keys) {
      let set = this.listeners.get(k);
      if (set === undefined) this.listeners.set(k, (set = new Set()));
      set.add(listener);
    }
    return () => {
      for (const k of keys) {
        const set = this.listeners.get(k);
        set?.delete(listener);
        if (set?.size === 0) this.listeners.delete(k);
      }
    };
  }

  /** Wakes whoever waits on a partition (its high watermark or log end moved, or its leadership changed). */
  notify(key: string): void {
    this.wake(key);
  }

  private wake(key: string): void {
    const set = this.listeners.get(key);
    if (set === undefined) return;
    this.listeners.delete(key);
    for (const l of set) {
      try {
        l();
      } catch (err) {
        this.logger.error('append listener failed', { err });
      }
    }
  }

  now(): number {
    return this.clock.now();
  }
}

/** Kafka's sentence for an ISR smaller than min.insync.replicas (NotEnoughReplicasException). */
export function notEnoughReplicas(isr: number, minIsr: number, topic: string, partition: number): string {
  return `The size of the current ISR ${isr} is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${topic}-${partition}`;
}

/**
 * As Kafka's Partition.makeLeader, the leader's epoch starts at the log end when the log has
 * none yet (a new partition, or one written before leader epochs were kept), so that
 * OffsetForLeaderEpoch can place the data already there.
 */
function becomeLeader(log: PartitionLog): void {
  if (log.latestEpoch === null) log.maybeAssignEpochStartOffset(0, log.logEndOffset);
}
