/**
 * One transactional id's state (Kafka's TransactionMetadata). What survives a restart comes only
 * from replaying its `__transaction_state` records (`applyRecord`); the rest — the queue of
 * operations and the marker work in flight — is memory.
 */
import type { TxnLogValue, TxnStateName, TxnTopicPartitions } from './records.js';

/** Kafka's producer epochs are INT16; the last usable one leaves room for a fencing bump. */
export const PRODUCER_EPOCH_MAX = 32767;
export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;

export class TxnMetadata {
  producerId = NO_PRODUCER_ID;
  producerEpoch = NO_PRODUCER_EPOCH;
  /** The id and epoch before the last bump (memory only): a retried InitProducerId gets the current pair again. */
  lastProducerId = NO_PRODUCER_ID;
  lastProducerEpoch = NO_PRODUCER_EPOCH;
  /** KIP-890 (durable, v1 tags): the id before the last rotation, and the one this transaction rotates to. */
  previousProducerId = NO_PRODUCER_ID;
  nextProducerId = NO_PRODUCER_ID;
  /** 2 when the producer speaks transactions v2 (EndTxn v5): every EndTxn bumps the epoch. */
  clientTransactionVersion = 0;
  timeoutMs = 0;
  state: TxnStateName = 'Empty';
  /** topic → partitions in the transaction. */
  readonly partitions = new Map<string, Set<number>>();
  startTimestampMs = -1;
  lastUpdateTimestampMs = -1;
  /** Markers and the Complete record being written in the background; requests get CONCURRENT_TRANSACTIONS. */
  completing: Promise<void> | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly transactionalId: string,
    /** Partition of __transaction_state. */
    readonly partition: number,
  ) {}

  /** Runs `fn` after every operation queued before it on this transactional id. */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  applyRecord(v: TxnLogValue): void {
    if (v.producerId !== this.producerId || v.producerEpoch !== this.producerEpoch) {
      if (this.producerId !== NO_PRODUCER_ID) {
        this.lastProducerId = this.producerId;
        this.lastProducerEpoch = this.producerEpoch;
      }
    }
    this.producerId = v.producerId;
    this.producerEpoch = v.producerEpoch;
    this.previousProducerId = v.previousProducerId ?? NO_PRODUCER_ID;
    this.nextProducerId = v.nextProducerId ?? NO_PRODUCER_ID;
    this.clientTransactionVersion = v.clientTransactionVersion ?? 0;
    this.timeoutMs = v.transactionTimeoutMs;
    this.state = v.state;
    this.partitions.clear();
    for (const t of v.partitions) this.partitions.set(t.topic, new Set(t.partitionIds));
    this.lastUpdateTimestampMs = v.lastUpdateTimestampMs;
    this.startTimestampMs = v.startTimestampMs;
  }

  /** The record of this state with some fields changed. */
  value(change: Partial<Omit<TxnLogValue, 'partitions'>> & { partitions?: Map<string, Set<number>> }): TxnLogValue {
    const parts = change.partitions ?? this.partitions;
    return {
      producerId: change.producerId ?? this.producerId,
      producerEpoch: change.producerEpoch ?? this.producerEpoch,
      transactionTimeoutMs: change.transactionTimeoutMs ?? this.timeoutMs,
      state: change.state ?? this.state,
      partitions: topicPartitions(parts),
      lastUpdateTimestampMs: change.lastUpdateTimestampMs ?? this.lastUpdateTimestampMs,
      startTimestampMs: change.startTimestampMs ?? this.startTimestampMs,
      previousProducerId: change.previousProducerId ?? this.previousProducerId,
      nextProducerId: change.nextProducerId ?? this.nextProducerId,
      clientTransactionVersion: change.clientTransactionVersion ?? this.clientTransactionVersion,
    };
  }

  has(topic: string, partition: number): boolean {
    return this.partitions.get(topic)?.has(partition) ?? false;
  }

  get partitionCount(): number {
    let n = 0;
    for (const s of this.partitions.values()) n += s.size;
    return n;
  }

  /** True in the states that end a transaction (the id may start a new one or expire). */
  /** Transactions v2: this id's EndTxn bumps the epoch. */
  get bumpsEpoch(): boolean {
    return this.clientTransactionVersion >= 2;
  }

  get isIdle(): boolean {
    return this.state === 'Empty' || this.state === 'CompleteCommit' || this.state === 'CompleteAbort';
  }
}

export function topicPartitions(parts: Map<string, Set<number>>): TxnTopicPartitions[] {
  return [...parts].filter(([, ps]) => ps.size > 0).map(([topic, ps]) => ({ topic, partitionIds: [...ps].sort((a, b) => a - b) }));
}
