/**
 * A consumer of explicitly assigned partitions (no consumer groups yet). It keeps a fetch
 * position per partition, long-polls each partition leader with Fetch, and hands out messages in
 * offset order per partition.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, KafkaError, errorName } from '../protocol/errors.js';
import { ZERO_UUID_STRING } from '../protocol/writer.js';
import { CONTROL_BIT, TIMESTAMP_TYPE_BIT } from '../protocol/records/batch-header.js';
import { decodeRecordBatches, type RecordHeader } from '../protocol/records/record-batch.js';
import type { FetchRequest, FetchResponse, FetchResponsePartitionData } from '../protocol/messages/01-fetch.js';
import { Cluster, type ClusterOptions } from './cluster.js';
import { REQUEST_TIMEOUT_MS_DEFAULT, type Connection } from './connection.js';
import { ClosedError, ConnectionError, InvalidArgumentError } from './errors.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, READ_UNCOMMITTED, listOffset } from './offsets.js';

const FETCH_KEY = 1;
/** Fetch v4 is the first with record batch v2; v13+ names topics by id, which we do not use yet. */
const FETCH_VERSION_MIN = 4;
const FETCH_VERSION_MAX = 12;
/** Kafka's consumer defaults: fetch.max.wait.ms, fetch.min.bytes, fetch.max.bytes, max.partition.fetch.bytes. */
export const MAX_WAIT_MS_DEFAULT = 500;
export const MIN_BYTES_DEFAULT = 1;
export const MAX_BYTES_DEFAULT = 52_428_800;
export const PARTITION_MAX_BYTES_DEFAULT = 1_048_576;

export type OffsetReset = 'earliest' | 'latest' | 'none';

export interface ConsumerOptions {
  /** Where to start when a position is unknown or out of range; Kafka's default is 'latest'. */
  autoOffsetReset?: OffsetReset;
  maxWaitMs?: number;
  minBytes?: number;
  maxBytes?: number;
  partitionMaxBytes?: number;
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  /** An offset, 'earliest' (-2) or 'latest' (-1); omitted means `autoOffsetReset`. */
  offset?: number | 'earliest' | 'latest';
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

interface PartitionState {
  topic: string;
  partition: number;
  /** Next offset to fetch; null until resolved from `reset`. */
  position: number | null;
  reset: OffsetReset;
}

interface FetchTarget {
  state: PartitionState;
  fetchOffset: number;
}

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class Consumer {
  private readonly cluster: Cluster;
  private readonly opts: Required<ConsumerOptions>;
  private readonly requestTimeoutMs: number;
  private readonly partitions = new Map<string, PartitionState>();
  /** Fetched messages not yet handed out (the iterator hands them out one at a time). */
  private buffered: ConsumerMessage[] = [];
  private closed = false;
  private readonly closing = new AbortController();

  constructor(opts: ClusterOptions & ConsumerOptions) {
    this.cluster = new Cluster(opts);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT;
    this.opts = {
      autoOffsetReset: opts.autoOffsetReset ?? 'latest',
      maxWaitMs: opts.maxWaitMs ?? MAX_WAIT_MS_DEFAULT,
      minBytes: opts.minBytes ?? MIN_BYTES_DEFAULT,
      maxBytes: opts.maxBytes ?? MAX_BYTES_DEFAULT,
      partitionMaxBytes: opts.partitionMaxBytes ?? PARTITION_MAX_BYTES_DEFAULT,
    };
    if (!['earliest', 'latest', 'none'].includes(this.opts.autoOffsetReset)) {
      throw new InvalidArgumentError(`autoOffsetReset must be 'earliest', 'latest' or 'none', not '${this.opts.autoOffsetReset}'.`);
    }
  }

  /** Replaces the set of partitions this consumer reads. */
  assign(assignments: TopicPartitionOffset[]): void {
    this.partitions.clear();
    this.buffered = [];
    for (const a of assignments) this.seek(a);
  }

  /** Moves (or adds) one partition's position; buffered messages of that partition are dropped. */
  seek(target: TopicPartitionOffset): void {
    if (!Number.isInteger(target.partition) || target.partition < 0) {
      throw new InvalidArgumentError(`Partition must be a non-negative integer, not ${target.partition}.`);
    }
    const key = keyOf(target.topic, target.partition);
    const state: PartitionState = { topic: target.topic, partition: target.partition, position: null, reset: this.opts.autoOffsetReset };
    const o = target.offset;
    if (o === 'earliest' || o === EARLIEST_TIMESTAMP) state.reset = 'earliest';
    else if (o === 'latest' || o === LATEST_TIMESTAMP) state.reset = 'latest';
    else if (typeof o === 'number') {
      if (!Number.isInteger(o) || o < 0) throw new InvalidArgumentError(`Offset must be a non-negative integer, 'earliest' or 'latest', not ${o}.`);
      state.position = o;
    }
    this.partitions.set(key, state);
    this.buffered = this.buffered.filter((m) => keyOf(m.topic, m.partition) !== key);
  }

  /** The partition numbers of a topic; throws KafkaError UNKNOWN_TOPIC_OR_PARTITION if it does not exist. */
  async partitionsFor(topic: string): Promise<number[]> {
    const info = await this.cluster.withRetry(() => this.cluster.topic(topic, { refresh: true }), { topics: [topic] });
    return info.partitions.map((p) => p.partition);
  }

  assignment(): Array<{ topic: string; partition: number }> {
    return [...this.partitions.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  /** The offset of the next message this consumer will hand out, once known. */
  position(topic: string, partition: number): number | null {
    const next = this.buffered.find((m) => m.topic === topic && m.partition === partition);
    if (next !== undefined) return next.offset;
    return this.partitions.get(keyOf(topic, partition))?.position ?? null;
  }

  /**
   * Waits up to `timeoutMs` (default: maxWaitMs) for messages and returns all that arrived in one
   * fetch round; an empty array means none came in time.
   */
  async poll(opts: { timeoutMs?: number } = {}): Promise<ConsumerMessage[]> {
    if (this.buffered.length > 0) return this.takeBuffered();
    const deadline = Date.now() + (opts.timeoutMs ?? this.opts.maxWaitMs);
    while (!this.closed) {
      const left = deadline - Date.now();
      try {
        await this.fetchRound(Math.max(0, Math.min(this.opts.maxWaitMs, left)));
      } catch (err) {
        if (this.closed) break;
        throw err;
      }
      if (this.buffered.length > 0 || Date.now() >= deadline) break;
    }
    return this.takeBuffered();
  }

  /** Messages one by one until `close()`; breaking out keeps unread messages for the next poll. */
  async *[Symbol.asyncIterator](): AsyncGenerator<ConsumerMessage> {
    while (!this.closed) {
      if (this.buffered.length === 0) await this.fetchUntilData();
      const next = this.buffered.shift();
      if (next !== undefined) yield next;
    }
  }

  private async fetchUntilData(): Promise<void> {
    while (!this.closed && this.buffered.length === 0) {
      try {
        await this.fetchRound(this.opts.maxWaitMs);
      } catch (err) {
        if (this.closed) return;
        throw err;
      }
    }
  }

  private takeBuffered(): ConsumerMessage[] {
    const out = this.buffered;
    this.buffered = [];
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    await this.cluster.close();
  }

  /** Resolves unknown positions, then one Fetch per leader in parallel. */
  private async fetchRound(maxWaitMs: number): Promise<void> {
    if (this.partitions.size === 0) {
      await sleep(maxWaitMs, undefined, { signal: this.closing.signal }).catch(() => undefined);
      return;
    }
    await Promise.all([...this.partitions.values()].filter((s) => s.position === null).map((s) => this.resolvePosition(s)));
    const byLeader = new Map<number, FetchTarget[]>();
    for (const state of this.partitions.values()) {
      if (state.position === null) continue;
      let leader: number;
      try {
        leader = await this.cluster.leaderFor(state.topic, state.partition);
      } catch (err) {
        if (!(err instanceof KafkaError) || !err.retriable) throw err;
        this.cluster.invalidate(state.topic);
        continue; // asked again next round, after the metadata refresh
      }
      let list = byLeader.get(leader);
      if (list === undefined) byLeader.set(leader, (list = []));
      list.push({ state, fetchOffset: state.position });
    }
    if (byLeader.size === 0) {
      await sleep(this.cluster.backoffMs(0), undefined, { signal: this.closing.signal }).catch(() => undefined);
      return;
    }
    await Promise.all([...byLeader].map(([leader, targets]) => this.fetchFrom(leader, targets, maxWaitMs)));
  }

  private async resolvePosition(state: PartitionState): Promise<void> {
    if (state.reset === 'none') {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `No valid position for ${state.topic}-${state.partition} and autoOffsetReset is 'none'; seek to an offset first.`,
      );
    }
    const timestamp = state.reset === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP;
    const { offset } = await listOffset(this.cluster, { topic: state.topic, partition: state.partition, timestamp });
    // Only apply if nobody seeked meanwhile.
    if (this.partitions.get(keyOf(state.topic, state.partition)) === state && state.position === null) state.position = offset;
  }

  private async fetchFrom(leader: number, targets: FetchTarget[], maxWaitMs: number): Promise<void> {
    let conn: Connection;
    let resp: FetchResponse;
    try {
      conn = await this.cluster.connectionTo(leader);
      const version = conn.versionFor(FETCH_KEY, FETCH_VERSION_MAX, FETCH_VERSION_MIN);
      resp = await conn.request<FetchRequest, FetchResponse>(FETCH_KEY, version, this.fetchRequest(targets, maxWaitMs), {
        timeoutMs: this.requestTimeoutMs + maxWaitMs,
      });
    } catch (err) {
      if (err instanceof ClosedError && this.closed) return;
      if (!(err instanceof ConnectionError) && !(err instanceof KafkaError && err.retriable)) throw err;
      for (const t of targets) this.cluster.invalidate(t.state.topic);
      await sleep(this.cluster.backoffMs(0), undefined, { signal: this.closing.signal }).catch(() => undefined);
      return;
    }
    if (resp.errorCode !== ErrorCode.NONE) {
      throw new KafkaError(resp.errorCode, `Fetch from broker ${leader} failed: ${errorName(resp.errorCode)}`);
    }
    for (const topic of resp.responses) {
      for (const p of topic.partitions) {
        const target = targets.find((t) => t.state.topic === topic.topic && t.state.partition === p.partitionIndex);
        // Ignore partitions we did not ask for, and ones that were seeked while the fetch was out.
        if (target === undefined || this.partitions.get(keyOf(topic.topic, p.partitionIndex)) !== target.state) continue;
        if (target.state.position !== target.fetchOffset) continue;
        await this.handlePartition(target, p);
      }
    }
  }

  private fetchRequest(targets: FetchTarget[], maxWaitMs: number): FetchRequest {
    const byTopic = new Map<string, FetchTarget[]>();
    for (const t of targets) {
      let list = byTopic.get(t.state.topic);
      if (list === undefined) byTopic.set(t.state.topic, (list = []));
      list.push(t);
    }
    return {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1 },
      maxWaitMs,
      minBytes: this.opts.minBytes,
      maxBytes: this.opts.maxBytes,
      isolationLevel: READ_UNCOMMITTED,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...byTopic].map(([topic, list]) => ({
        topic,
        topicId: ZERO_UUID_STRING,
        partitions: list.map((t) => ({
          partition: t.state.partition,
          currentLeaderEpoch: -1,
          fetchOffset: t.fetchOffset,
          lastFetchedEpoch: -1,
          logStartOffset: -1,
          partitionMaxBytes: this.opts.partitionMaxBytes,
          replicaDirectoryId: ZERO_UUID_STRING,
        })),
      })),
      forgottenTopicsData: [],
      rackId: '',
    };
  }

  private async handlePartition(target: FetchTarget, p: FetchResponsePartitionData): Promise<void> {
    const { state } = target;
    const where = `${state.topic}-${state.partition}`;
    if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
      if (state.reset === 'none' || this.opts.autoOffsetReset === 'none') {
        throw new KafkaError(
          p.errorCode,
          `Offset ${target.fetchOffset} is out of range for ${where} (log start ${p.logStartOffset}, high watermark ${p.highWatermark}) and autoOffsetReset is 'none'.`,
        );
      }
      state.reset = this.opts.autoOffsetReset;
      state.position = null;
      return;
    }
    if (p.errorCode !== ErrorCode.NONE) {
      const err = new KafkaError(p.errorCode, `Fetching ${where} failed: ${errorName(p.errorCode)}`);
      if (!err.retriable) throw err;
      this.cluster.invalidate(state.topic);
      return;
    }
    if (p.records === null || p.records.length === 0) return;
    let position = target.fetchOffset;
    for (const batch of await decodeRecordBatches(p.records)) {
      const lastOffset = batch.baseOffset + batch.lastOffsetDelta;
      // Control batches (transaction markers) take an offset but are never shown.
      if ((batch.attributes & CONTROL_BIT) === 0) {
        const logAppendTime = (batch.attributes & TIMESTAMP_TYPE_BIT) !== 0;
        for (const r of batch.records) {
          const offset = batch.baseOffset + r.offsetDelta;
          // A fetch may return a batch that starts before the requested offset.
          if (offset < position) continue;
          this.buffered.push({
            topic: state.topic,
            partition: state.partition,
            offset,
            key: r.key,
            value: r.value,
            headers: r.headers,
            timestamp: logAppendTime ? batch.maxTimestamp : batch.baseTimestamp + r.timestampDelta,
            timestampType: logAppendTime ? 'LogAppendTime' : 'CreateTime',
          });
        }
      }
      if (lastOffset + 1 > position) position = lastOffset + 1;
    }
    state.position = position;
  }
}
