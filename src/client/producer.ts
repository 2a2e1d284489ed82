/**
 * The producer: picks a partition per message as Kafka's default partitioner does, packs one
 * record batch per partition, and sends one Produce request per partition leader.
 *
 * It is idempotent by default, like Kafka 3+ clients: it takes a producer id with InitProducerId
 * at its first send, stamps each batch with the id, epoch and a per-partition base sequence that
 * survives retries (src/client/producer-state.ts), and sends with acks=all, so the broker writes a
 * retried batch once. Idempotent sends go out one at a time, which keeps their order per
 * partition through retries. With a `transactionalId` it is also transactional
 * (src/client/transactions.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, KafkaError, errorName, isRetriable } from '../protocol/errors.js';
import { encodeRecordBatch, type NewRecord } from '../protocol/records/record-batch.js';
import type { ProduceRequest, ProduceResponse } from '../protocol/messages/00-produce.js';
import { partitionForKey } from '../util/murmur2.js';
import { Cluster, isTransient, type ClusterOptions, type TopicInfo } from './cluster.js';
import type { Connection } from './connection.js';
import { ConnectionError, InvalidArgumentError } from './errors.js';
import { ProducerState } from './producer-state.js';
import {
  TRANSACTION_TIMEOUT_MS_DEFAULT,
  TransactionManager,
  initProducerId,
  type GroupMetadata,
  type TransactionOffset,
  type TransactionState,
} from './transactions.js';

const PRODUCE_KEY = 0;
/** Record batch v2 needs Produce v3+; v10+ adds fields we have no use for yet. */
const PRODUCE_VERSION_MIN = 3;
const PRODUCE_VERSION_MAX = 9;
/** Produce v12: a send of a transactions-v2 transaction (KIP-890). */
const PRODUCE_TXN_V2_VERSION = 12;
export const PRODUCE_TIMEOUT_MS_DEFAULT = 30_000;
/** Kafka's delivery.timeout.ms: how long a send may go on retrying (a broker restart, a leader move). */
export const DELIVERY_TIMEOUT_MS_DEFAULT = 120_000;
/** Null-keyed messages stick to one partition until this many bytes went to it (Kafka's batch.size). */
export const STICKY_BATCH_BYTES = 16_384;

export type Acks = -1 | 0 | 1;
export type CompressionType = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
const COMPRESSION_CODES: Record<CompressionType, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

export type Bytes = Buffer | string | null;

export interface ProducerMessage {
  key?: Bytes;
  value: Bytes;
  /** An array keeps order and allows repeated keys; an object is the short form. */
  headers?: NewRecord['headers'];
  /** Overrides the partitioner. */
  partition?: number;
  /** Milliseconds since the epoch; defaults to now. */
  timestamp?: number;
}

export interface SendOptions {
  /** -1 (all in-sync replicas, the default), 1 (leader only) or 0 (no response at all). */
  acks?: Acks;
  compression?: CompressionType;
  /** How long the broker may wait for replicas before answering (acks=-1). */
  timeoutMs?: number;
}

export interface ProducerOptions extends SendOptions {
  /**
   * Default true unless `acks` is 0 or 1 (as in Kafka, an explicit weaker acks turns the default
   * off). Idempotent sends need acks=-1; `idempotent: true` with other acks is an error.
   */
  idempotent?: boolean;
  /** Makes the producer transactional (and idempotent); call initTransactions() before the first transaction. */
  transactionalId?: string;
  /** How long the coordinator lets a transaction stay open before aborting it; Kafka's default 60 s. */
  transactionTimeoutMs?: number;
  /** How long a send may take in all, retries included (Kafka's delivery.timeout.ms, 120000). */
  deliveryTimeoutMs?: number;
}

export interface SendRequest extends SendOptions {
  topic: string;
  messages: ProducerMessage[];
}

export interface PartitionResult {
  topic: string;
  partition: number;
  /** Offset of the first message of this send in the partition; -1 with acks=0. */
  baseOffset: number;
  /** Broker time when the topic uses LogAppendTime, else -1. */
  logAppendTimeMs: number;
}

interface StickyState {
  partition: number;
  bytes: number;
}

export function compressionCode(name: string): number {
  const code = COMPRESSION_CODES[name as CompressionType];
  if (code === undefined) {
    throw new InvalidArgumentError(`Unknown compression '${name}'; use one of ${Object.keys(COMPRESSION_CODES).join(', ')}.`);
  }
  return code;
}

export class Producer {
  private readonly cluster: Cluster;
  private readonly defaults: SendOptions;
  private readonly sticky = new Map<string, StickyState>();
  /** True when asked for explicitly: then a send with weaker acks is an error, not a plain send. */
  private readonly idempotenceRequired: boolean;
  private readonly idempotent: boolean;
  private readonly state = new ProducerState();
  private readonly txn: TransactionManager | null;
  /** Idempotent sends queue here, one at a time, so each partition's batches go out in sequence order. */
  private idempotentQueue: Promise<unknown> = Promise.resolve();
  private readonly transactionTimeoutMs: number;
  private readonly deliveryTimeoutMs: number;

  constructor(opts: ClusterOptions & ProducerOptions) {
    this.cluster = new Cluster(opts);
    this.deliveryTimeoutMs = opts.deliveryTimeoutMs ?? DELIVERY_TIMEOUT_MS_DEFAULT;
    this.defaults = { acks: opts.acks, compression: opts.compression, timeoutMs: opts.timeoutMs };
    this.transactionTimeoutMs = opts.transactionTimeoutMs ?? TRANSACTION_TIMEOUT_MS_DEFAULT;
    const weakAcks = opts.acks !== undefined && opts.acks !== -1;
    if (opts.transactionalId !== undefined) {
      if (opts.transactionalId === '') throw new InvalidArgumentError('transactionalId must not be empty.');
      if (opts.idempotent === false) throw new InvalidArgumentError('A transactional producer is always idempotent; drop idempotent: false.');
      if (weakAcks) throw new InvalidArgumentError(`A transactional producer needs acks=-1 (all), not ${String(opts.acks)}.`);
      this.txn = new TransactionManager(this.cluster, opts.transactionalId, this.transactionTimeoutMs);
      this.idempotenceRequired = true;
    } else {
      this.txn = null;
      if (opts.idempotent === true && weakAcks) {
        throw new InvalidArgumentError(`An idempotent producer needs acks=-1 (all), not ${String(opts.acks)}; pass idempotent: false to use weaker acks.`);
      }
      this.idempotenceRequired = opts.idempotent === true;
    }
    this.idempotent = this.txn !== null || (opts.idempotent ?? !weakAcks);
  }

  /** The transaction state (Kafka's TransactionManager state), or null for a non-transactional producer. */
  get transactionState(): TransactionState | null {
    return this.txn?.state ?? null;
  }

  /** Sends messages to one topic and resolves with the base offset written in each partition. */
  async send(req: SendRequest): Promise<PartitionResult[]> {
    this.txn?.assertCanSend();
    if (req.messages.length === 0) return [];
    const acks = req.acks ?? this.defaults.acks ?? -1;
    if (acks !== -1 && acks !== 0 && acks !== 1) throw new InvalidArgumentError(`acks must be -1, 0 or 1, not ${String(acks)}.`);
    if (acks !== -1 && this.idempotenceRequired) {
      throw new InvalidArgumentError(`This producer is ${this.txn !== null ? 'transactional' : 'idempotent'} and sends with acks=-1 only, not ${acks}.`);
    }
    const compression = compressionCode(req.compression ?? this.defaults.compression ?? 'none');
    const timeoutMs = req.timeoutMs ?? this.defaults.timeoutMs ?? PRODUCE_TIMEOUT_MS_DEFAULT;

    const info = await this.cluster.withRetry(() => this.cluster.topic(req.topic, { allowAutoTopicCreation: true }), { topics: [req.topic] });
    const byPartition = this.partition(info, req.messages);
    if (this.idempotent && acks === -1) {
      const run = this.idempotentQueue.then(() => this.sendIdempotent({ topic: req.topic, byPartition, compression, timeoutMs }));
      this.idempotentQueue = run.catch(() => undefined);
      return run;
    }
    const batches = new Map<number, Buffer>();
    for (const [partition, records] of byPartition) batches.set(partition, await encodeRecordBatch(records, { compression }));
    const results = new Map<number, PartitionResult>();
    await this.deliver({ topic: req.topic, batches, acks, timeoutMs, results, transactionalId: null });
    return [...results.values()].sort((a, b) => a.partition - b.partition);
  }

  /** Sends `batches` with retries; resolves when every partition answered or throws the first lasting failure. */
  private async deliver(
    round: { topic: string; batches: Map<number, Buffer>; acks: Acks; timeoutMs: number; results: Map<number, PartitionResult>; transactionalId: string | null },
    restamp?: (failed: Map<number, Error>) => Promise<void>,
  ): Promise<void> {
    let pending = [...round.batches.keys()];
    const deadline = Date.now() + this.deliveryTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      const failures = await this.sendRound({ ...round, partitions: pending });
      if (failures.size === 0) return;
      const first = failures.values().next().value as Error;
      if (attempt >= this.cluster.retries || Date.now() + this.cluster.backoffMs(attempt) >= deadline) throw first;
      if (restamp !== undefined && [...failures.values()].some(needsNewEpoch)) {
        await restamp(failures);
      } else {
        await sleep(this.cluster.backoffMs(attempt));
        this.cluster.invalidate(round.topic);
        await this.cluster.topic(round.topic, { allowAutoTopicCreation: true }).catch(() => undefined);
      }
      pending = [...failures.keys()];
    }
  }

  private async sendIdempotent(req: { topic: string; byPartition: Map<number, NewRecord[]>; compression: number; timeoutMs: number }): Promise<PartitionResult[]> {
    const txn = this.txn;
    if (txn !== null) {
      txn.assertCanSend();
      await txn.addPartitions(req.topic, [...req.byPartition.keys()]);
    } else {
      await this.ensureProducerId();
    }
    const batches = new Map<number, Buffer>();
    const stamp = async (partitions: Iterable<number>): Promise<void> => {
      for (const partition of partitions) {
        const records = req.byPartition.get(partition)!;
        const baseSequence = this.state.takeSequence(req.topic, partition, records.length);
        batches.set(
          partition,
          await encodeRecordBatch(records, {
            compression: req.compression,
            producerId: this.state.producerId,
            producerEpoch: this.state.producerEpoch,
            baseSequence,
            transactional: txn !== null,
          }),
        );
      }
    };
    await stamp(req.byPartition.keys());
    const results = new Map<number, PartitionResult>();
    try {
      await this.deliver(
        { topic: req.topic, batches, acks: -1, timeoutMs: req.timeoutMs, results, transactionalId: txn?.transactionalId ?? null },
        txn !== null
          ? undefined
          : async (failed) => {
              // KIP-360: the broker lost this producer's state or saw a gap; a new epoch starts every partition at 0.
              await this.bumpEpoch();
              await stamp(failed.keys());
            },
      );
    } catch (err) {
      txn?.failSend(err as Error);
      throw err;
    }
    return [...results.values()].sort((a, b) => a.partition - b.partition);
  }

  /** The next epoch of this producer id, as Kafka's Java client bumps it; a new id after the last epoch. */
  private async bumpEpoch(): Promise<void> {
    if (this.state.bumpEpoch()) return;
    this.state.reset();
    await this.ensureProducerId();
  }

  private async ensureProducerId(): Promise<void> {
    if (this.state.hasProducerId) return;
    this.state.setIdentity(
      await this.cluster.withRetry(async () => initProducerId(await this.cluster.anyConnection(), { transactionalId: null, transactionTimeoutMs: this.transactionTimeoutMs })),
    );
  }

  // ---- transactions (Kafka's producer API) ----

  /** Registers the transactional id: fences older producers with it and finishes their open transaction. */
  async initTransactions(): Promise<void> {
    const txn = this.requireTxn('initTransactions()');
    this.state.setIdentity(await txn.initTransactions());
  }

  beginTransaction(): void {
    this.requireTxn('beginTransaction()').beginTransaction();
  }

  /**
   * Commits consumed offsets with the transaction: they count only if it commits. Pass the
   * consumer's group metadata (generation and member id fence zombie members) or a group id.
   */
  async sendOffsetsToTransaction(offsets: TransactionOffset[], group: GroupMetadata | string): Promise<void> {
    const txn = this.requireTxn('sendOffsetsToTransaction()');
    await this.idempotentQueue;
    await txn.sendOffsets(offsets, typeof group === 'string' ? { groupId: group } : group);
  }

  /** Waits for the transaction's sends, then commits it (EndTxn). */
  async commitTransaction(): Promise<void> {
    const txn = this.requireTxn('commitTransaction()');
    await this.idempotentQueue;
    await txn.commitTransaction();
    this.followTxnIdentity(txn);
  }

  /** Waits for the transaction's sends, then aborts it (EndTxn): read_committed consumers never see its records. */
  async abortTransaction(): Promise<void> {
    const txn = this.requireTxn('abortTransaction()');
    await this.idempotentQueue;
    await txn.abortTransaction();
    this.followTxnIdentity(txn);
  }

  /** After EndTxn (v2) or an epoch bump: a new id or epoch starts every partition at sequence 0. */
  private followTxnIdentity(txn: TransactionManager): void {
    const { producerId, producerEpoch } = txn.identity;
    if (producerId !== this.state.producerId || producerEpoch !== this.state.producerEpoch) this.state.setIdentity(txn.identity);
  }

  private requireTxn(call: string): TransactionManager {
    if (this.txn === null) throw new InvalidArgumentError(`${call} needs a transactional producer; create it with a transactionalId.`);
    return this.txn;
  }

  /** Groups messages by partition, keeping their order within each partition. */
  private partition(info: TopicInfo, messages: ProducerMessage[]): Map<number, NewRecord[]> {
    const count = info.partitions.length;
    const out = new Map<number, NewRecord[]>();
    for (const m of messages) {
      const p = this.choosePartition(info.name, count, m);
      let list = out.get(p);
      if (list === undefined) out.set(p, (list = []));
      list.push({ key: m.key ?? null, value: m.value, headers: m.headers, timestamp: m.timestamp });
    }
    return out;
  }

  private choosePartition(topic: string, count: number, m: ProducerMessage): number {
    if (m.partition !== undefined) {
      if (!Number.isInteger(m.partition) || m.partition < 0 || m.partition >= count) {
        throw new InvalidArgumentError(`Partition ${m.partition} of topic '${topic}' does not exist; it has partitions 0 to ${count - 1}.`);
      }
      return m.partition;
    }
    if (m.key !== undefined && m.key !== null) {
      return partitionForKey(typeof m.key === 'string' ? Buffer.from(m.key) : m.key, count);
    }
    // Null keys stick to one partition for a batch's worth of bytes, then move to the next,
    // so batches stay large (Kafka's sticky partitioner, without its randomness).
    let state = this.sticky.get(topic);
    if (state === undefined) this.sticky.set(topic, (state = { partition: 0, bytes: 0 }));
    if (state.bytes >= STICKY_BATCH_BYTES) {
      state.partition += 1;
      state.bytes = 0;
    }
    state.partition %= count;
    state.bytes += m.value === null ? 0 : Buffer.byteLength(m.value);
    return state.partition;
  }

  /** One Produce per leader, in parallel; returns the partitions worth retrying with their errors. */
  private async sendRound(round: {
    topic: string;
    partitions: number[];
    batches: Map<number, Buffer>;
    acks: Acks;
    timeoutMs: number;
    results: Map<number, PartitionResult>;
    transactionalId: string | null;
  }): Promise<Map<number, Error>> {
    const failures = new Map<number, Error>();
    const byLeader = new Map<number, number[]>();
    for (const p of round.partitions) {
      let leader: number;
      try {
        leader = await this.cluster.leaderFor(round.topic, p, { allowAutoTopicCreation: true });
      } catch (err) {
        if (!isRetry(err)) throw err;
        failures.set(p, err as Error);
        continue;
      }
      let list = byLeader.get(leader);
      if (list === undefined) byLeader.set(leader, (list = []));
      list.push(p);
    }
    await Promise.all(
      [...byLeader].map(async ([leader, partitions]) => {
        try {
          const conn = await this.cluster.connectionTo(leader);
          await this.produceTo(conn, { ...round, partitions }, failures);
        } catch (err) {
          if (!isRetry(err)) throw err;
          for (const p of partitions) failures.set(p, err as Error);
        }
      }),
    );
    return failures;
  }

  private async produceTo(
    conn: Connection,
    req: {
      topic: string;
      partitions: number[];
      batches: Map<number, Buffer>;
      acks: Acks;
      timeoutMs: number;
      results: Map<number, PartitionResult>;
      transactionalId: string | null;
    },
    failures: Map<number, Error>,
  ): Promise<void> {
    // A transactions-v2 send is Produce v12, which adds its partitions to the transaction.
    const v2 = req.transactionalId !== null && this.txn?.usesV2 === true;
    const version = conn.versionFor(PRODUCE_KEY, v2 ? PRODUCE_TXN_V2_VERSION : PRODUCE_VERSION_MAX, v2 ? PRODUCE_TXN_V2_VERSION : PRODUCE_VERSION_MIN);
    const body: ProduceRequest = {
      transactionalId: req.transactionalId,
      acks: req.acks,
      timeoutMs: req.timeoutMs,
      topicData: [{ name: req.topic, partitionData: req.partitions.map((index) => ({ index, records: req.batches.get(index)! })) }],
    };
    if (req.acks === 0) {
      await conn.send(PRODUCE_KEY, version, body);
      for (const p of req.partitions) req.results.set(p, { topic: req.topic, partition: p, baseOffset: -1, logAppendTimeMs: -1 });
      return;
    }
    const resp = await conn.request<ProduceRequest, ProduceResponse>(PRODUCE_KEY, version, body, { timeoutMs: req.timeoutMs + 5_000 });
    const answered = new Set<number>();
    for (const p of resp.responses.find((t) => t.name === req.topic)?.partitionResponses ?? []) {
      answered.add(p.index);
      if (p.errorCode === ErrorCode.NONE) {
        req.results.set(p.index, { topic: req.topic, partition: p.index, baseOffset: p.baseOffset, logAppendTimeMs: p.logAppendTimeMs });
        continue;
      }
      // A retry of a batch the broker already wrote, older than the five it remembers answers: written once, offset unknown.
      if (p.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
        req.results.set(p.index, { topic: req.topic, partition: p.index, baseOffset: -1, logAppendTimeMs: -1 });
        continue;
      }
      // KIP-467: the records that made the batch fail, by their index in it.
      const culprits = p.recordErrors.map((e) => `; record ${e.batchIndex}: ${e.batchIndexErrorMessage ?? errorName(p.errorCode)}`).join('');
      const detail = (p.errorMessage ? `: ${p.errorMessage}` : '') + culprits;
      const err = new KafkaError(p.errorCode, `Producing to ${req.topic}-${p.index} failed with ${errorName(p.errorCode)}${detail}`);
      if (!isRetriable(p.errorCode) && !(req.transactionalId === null && needsNewEpoch(err))) throw err;
      failures.set(p.index, err);
    }
    for (const p of req.partitions) {
      if (!answered.has(p)) failures.set(p, new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `The broker did not answer for ${req.topic}-${p}.`));
    }
  }

  /** Waits for queued idempotent sends; other sends are complete when `send` resolves. */
  async flush(): Promise<void> {
    await this.idempotentQueue;
  }

  async close(): Promise<void> {
    await this.cluster.close();
  }
}

/** Answers an idempotent producer recovers from by bumping its epoch (KIP-360). */
function needsNewEpoch(err: unknown): boolean {
  return err instanceof KafkaError && (err.code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER || err.code === ErrorCode.UNKNOWN_PRODUCER_ID);
}

function isRetry(err: unknown): boolean {
  return isTransient(err);
}
