/**
 * The producer: picks a partition per message as Kafka's default partitioner does, packs one
 * record batch per partition, and sends one Produce request per partition leader.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, KafkaError, errorName, isRetriable } from '../protocol/errors.js';
import { encodeRecordBatch, type NewRecord } from '../protocol/records/record-batch.js';
import type { ProduceRequest, ProduceResponse } from '../protocol/messages/00-produce.js';
import { partitionForKey } from '../util/murmur2.js';
import { Cluster, type ClusterOptions, type TopicInfo } from './cluster.js';
import type { Connection } from './connection.js';
import { ConnectionError, InvalidArgumentError } from './errors.js';

const PRODUCE_KEY = 0;
/** Record batch v2 needs Produce v3+; v10+ adds fields we have no use for yet. */
const PRODUCE_VERSION_MIN = 3;
const PRODUCE_VERSION_MAX = 9;
export const PRODUCE_TIMEOUT_MS_DEFAULT = 30_000;
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

export interface ProducerOptions {
  /** -1 (all in-sync replicas, the default), 1 (leader only) or 0 (no response at all). */
  acks?: Acks;
  compression?: CompressionType;
  /** How long the broker may wait for replicas before answering (acks=-1). */
  timeoutMs?: number;
}

export interface SendRequest extends ProducerOptions {
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
  private readonly defaults: ProducerOptions;
  private readonly sticky = new Map<string, StickyState>();

  constructor(opts: ClusterOptions & ProducerOptions) {
    this.cluster = new Cluster(opts);
    this.defaults = { acks: opts.acks, compression: opts.compression, timeoutMs: opts.timeoutMs };
  }

  /** Sends messages to one topic and resolves with the base offset written in each partition. */
  async send(req: SendRequest): Promise<PartitionResult[]> {
    if (req.messages.length === 0) return [];
    const acks = req.acks ?? this.defaults.acks ?? -1;
    if (acks !== -1 && acks !== 0 && acks !== 1) throw new InvalidArgumentError(`acks must be -1, 0 or 1, not ${String(acks)}.`);
    const compression = compressionCode(req.compression ?? this.defaults.compression ?? 'none');
    const timeoutMs = req.timeoutMs ?? this.defaults.timeoutMs ?? PRODUCE_TIMEOUT_MS_DEFAULT;

    const info = await this.cluster.withRetry(() => this.cluster.topic(req.topic, { allowAutoTopicCreation: true }), { topics: [req.topic] });
    const byPartition = this.partition(info, req.messages);
    const batches = new Map<number, Buffer>();
    for (const [partition, records] of byPartition) batches.set(partition, await encodeRecordBatch(records, { compression }));

    const results = new Map<number, PartitionResult>();
    let pending = [...batches.keys()];
    for (let attempt = 0; ; attempt++) {
      const failures = await this.sendRound({ topic: req.topic, partitions: pending, batches, acks, timeoutMs, results });
      if (failures.size === 0) break;
      const first = failures.values().next().value as Error;
      if (attempt >= this.cluster.retries) throw first;
      await sleep(this.cluster.backoffMs(attempt));
      this.cluster.invalidate(req.topic);
      await this.cluster.topic(req.topic, { allowAutoTopicCreation: true }).catch(() => undefined);
      pending = [...failures.keys()];
    }
    return [...results.values()].sort((a, b) => a.partition - b.partition);
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
    req: { topic: string; partitions: number[]; batches: Map<number, Buffer>; acks: Acks; timeoutMs: number; results: Map<number, PartitionResult> },
    failures: Map<number, Error>,
  ): Promise<void> {
    const version = conn.versionFor(PRODUCE_KEY, PRODUCE_VERSION_MAX, PRODUCE_VERSION_MIN);
    const body: ProduceRequest = {
      transactionalId: null,
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
      const detail = p.errorMessage ? `: ${p.errorMessage}` : '';
      const err = new KafkaError(p.errorCode, `Producing to ${req.topic}-${p.index} failed with ${errorName(p.errorCode)}${detail}`);
      if (!isRetriable(p.errorCode)) throw err;
      failures.set(p.index, err);
    }
    for (const p of req.partitions) {
      if (!answered.has(p)) failures.set(p, new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `The broker did not answer for ${req.topic}-${p}.`));
    }
  }

  /** Sends are complete when `send` resolves; this exists for symmetry with Kafka's API. */
  async flush(): Promise<void> {}

  async close(): Promise<void> {
    await this.cluster.close();
  }
}

function isRetry(err: unknown): boolean {
  return err instanceof ConnectionError || (err instanceof KafkaError && isRetriable(err.code));
}
