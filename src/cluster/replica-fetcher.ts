/**
 * Followers' fetchers (Kafka's ReplicaFetcherThread): one per leader broker, each keeping one
 * Fetch outstanding for every partition this broker follows on that leader. It fetches as a
 * replica (replica id = this broker's node id, Fetch v12), with the follower's current leader
 * epoch and last fetched epoch, and hands the record bytes to the host exactly as they came.
 *
 * Per response, per partition: diverging epoch → the host truncates; records → the host appends
 * them and takes the leader's high watermark; OFFSET_OUT_OF_RANGE → below the leader's log start
 * the host starts over there, above it the host truncates to the leader's high watermark;
 * FENCED_LEADER_EPOCH → the host pauses the partition until the metadata moves on; the transient
 * errors (NOT_LEADER_OR_FOLLOWER, UNKNOWN_LEADER_EPOCH, …: a leader that has not applied the new
 * state yet) delay that partition by replica.fetch.backoff.ms. An unreachable leader is retried
 * after replica.fetch.backoff.ms until the partitions move elsewhere; so is a leader that the
 * `reach` option says is out of reach (its live connection is ended when that changes).
 */
import type { Clock, TimerHandle } from '../platform/clock.js';
import type { Logger } from '../util/logger.js';
import { ErrorCode, errorName } from '../protocol/errors.js';
import type { FetchRequest, FetchResponse, FetchResponsePartitionData } from '../protocol/messages/01-fetch.js';
import { PeerFailures, connectToPeer, disconnectUnreachable, type PeerConnection, type PeerReachability, type PeerSasl, type PeerTls } from './peer-connection.js';
import { partitionKey } from './replica-manager.js';

const FETCH_KEY = 1;
const FETCH_VERSION = 12;

export interface FollowerFetchState {
  fetchOffset: number;
  lastFetchedEpoch: number;
  logStartOffset: number;
  leaderEpoch: number;
}

/** The follower side of replication, which the fetchers feed. */
export interface FetcherHost {
  /** Where a followed partition stands, or null when it is not to be fetched now. */
  fetchState(topic: string, partition: number): FollowerFetchState | null;
  onRecords(topic: string, partition: number, records: Buffer, highWatermark: number, leaderLogStartOffset: number): Promise<void>;
  onDiverging(topic: string, partition: number, epoch: number, endOffset: number): Promise<void>;
  onOutOfRange(topic: string, partition: number, leaderLogStartOffset: number): Promise<void>;
  onPartitionError(topic: string, partition: number, errorCode: number): void;
}

export interface ReplicaFetchersOptions {
  nodeId: number;
  host: FetcherHost;
  endpointOf(brokerId: number): { host: string; port: number } | null;
  clock: Clock;
  logger: Logger;
  /** The broker's keys in force; replica.fetch.* and replica.socket.timeout.ms are read. */
  config: Record<string, string>;
  /** Which leaders can be reached (default: all). */
  reach?: PeerReachability;
  /** TLS to the leaders, when the inter-broker listener is an SSL one. */
  tls?: PeerTls;
  /** This broker's login to the leaders, when the inter-broker listener is a SASL one. */
  sasl?: PeerSasl;
}

export interface FetchedPartition {
  topic: string;
  partition: number;
  topicId?: string;
}

interface Settings {
  waitMaxMs: number;
  minBytes: number;
  maxBytes: number;
  responseMaxBytes: number;
  backoffMs: number;
  socketTimeoutMs: number;
}

/** Errors that mean "not yet": the leader has not caught up with the metadata this follower saw. */
const TRANSIENT = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.NOT_ENOUGH_REPLICAS,
]);

export class ReplicaFetchers {
  private readonly byLeader = new Map<number, LeaderFetcher>();
  private readonly leaderOf = new Map<string, number>();
  private readonly settings: Settings;
  private closed = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly o: ReplicaFetchersOptions) {
    // The fetchers retry a leader whose connection ended as for any lost leader.
    this.unsubscribe = disconnectUnreachable(o.reach, this.byLeader);
    const c = o.config;
    this.settings = {
      waitMaxMs: int(c['replica.fetch.wait.max.ms'], 500),
      minBytes: int(c['replica.fetch.min.bytes'], 1),
      maxBytes: int(c['replica.fetch.max.bytes'], 1_048_576),
      responseMaxBytes: int(c['replica.fetch.response.max.bytes'], 10_485_760),
      backoffMs: int(c['replica.fetch.backoff.ms'], 1000),
      socketTimeoutMs: int(c['replica.socket.timeout.ms'], 30_000),
    };
  }

  /** Starts fetching these partitions from `leaderId` (moving them off any other leader's fetcher). */
  addPartitions(leaderId: number, parts: FetchedPartition[]): void {
    if (this.closed) return;
    this.removePartitions(parts.filter((p) => this.leaderOf.get(partitionKey(p.topic, p.partition)) !== leaderId));
    let f = this.byLeader.get(leaderId);
    if (f === undefined) {
      f = new LeaderFetcher(leaderId, this.o, this.settings);
      this.byLeader.set(leaderId, f);
    }
    for (const p of parts) {
      this.leaderOf.set(partitionKey(p.topic, p.partition), leaderId);
      f.add(p);
    }
  }

  removePartitions(parts: Array<{ topic: string; partition: number }>): void {
    for (const p of parts) {
      const key = partitionKey(p.topic, p.partition);
      const leaderId = this.leaderOf.get(key);
      if (leaderId === undefined) continue;
      this.leaderOf.delete(key);
      const f = this.byLeader.get(leaderId);
      if (f === undefined) continue;
      f.remove(key);
      if (f.size === 0) {
        this.byLeader.delete(leaderId);
        void f.close();
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    const all = [...this.byLeader.values()];
    this.byLeader.clear();
    this.leaderOf.clear();
    await Promise.all(all.map((f) => f.close()));
  }
}

/** One leader's fetch loop. */
class LeaderFetcher {
  private readonly parts = new Map<string, FetchedPartition>();
  /** Partitions held back until this time (after a transient error). */
  private readonly delayedUntil = new Map<string, number>();
  private conn: PeerConnection | null = null;
  private running: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private closed = false;
  /** The failed attempts to reach the leader in a row: logged once per interval, not at each. */
  private readonly failures: PeerFailures;

  constructor(
    private readonly leaderId: number,
    private readonly o: ReplicaFetchersOptions,
    private readonly s: Settings,
  ) {
    this.failures = new PeerFailures(o.logger, leaderId, 'cannot fetch from the leader', 'fetching from the leader again');
  }

  get size(): number {
    return this.parts.size;
  }

  add(p: FetchedPartition): void {
    const key = partitionKey(p.topic, p.partition);
    this.parts.set(key, p);
    this.delayedUntil.delete(key);
    if (this.running === null) this.running = this.loop();
    else this.wake?.();
  }

  remove(key: string): void {
    this.parts.delete(key);
    this.delayedUntil.delete(key);
  }

  /** Ends the live connection (an outstanding fetch fails); the loop reconnects after its backoff. */
  disconnect(): void {
    this.conn?.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.conn?.close();
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.closed && this.parts.size > 0) {
      try {
        const fetched = await this.fetchOnce();
        if (!fetched) await this.sleep(this.nextDelay());
      } catch (err) {
        this.conn?.close();
        this.conn = null;
        if (this.closed) break;
        await this.sleep(this.failures.failed(err as Error, this.o.clock.now(), this.s.backoffMs));
      }
    }
    this.conn?.close();
    this.conn = null;
    this.running = null;
  }

  /** How long to wait when nothing could be fetched: until the first delayed partition is due. */
  private nextDelay(): number {
    const now = this.o.clock.now();
    let next = this.s.backoffMs;
    for (const until of this.delayedUntil.values()) next = Math.min(next, Math.max(1, until - now));
    return next;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: TimerHandle | null = null;
      const done = (): void => {
        if (timer !== null) this.o.clock.clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      timer = this.o.clock.setTimeout(done, ms);
      this.wake = done;
    });
  }

  private async connection(): Promise<PeerConnection> {
    if (this.conn !== null && !this.conn.closed) return this.conn;
    // Cut off while connecting (or closed meanwhile): that connection is not to be used.
    this.conn = await connectToPeer(this.leaderId, this.o, `samsa-replica-fetcher-${this.o.nodeId}`, this.s.socketTimeoutMs, () => this.closed);
    return this.conn;
  }

  /** One Fetch round; false when there was nothing to fetch. */
  private async fetchOnce(): Promise<boolean> {
    const now = this.o.clock.now();
    const asked = new Map<string, { part: FetchedPartition; state: FollowerFetchState }>();
    const topics = new Map<string, FetchRequest['topics'][number]>();
    for (const [key, part] of this.parts) {
      const until = this.delayedUntil.get(key);
      if (until !== undefined && until > now) continue;
      this.delayedUntil.delete(key);
      const state = this.o.host.fetchState(part.topic, part.partition);
      if (state === null) continue;
      asked.set(key, { part, state });
      let t = topics.get(part.topic);
      if (t === undefined) {
        t = { topic: part.topic, topicId: part.topicId ?? '', partitions: [] };
        topics.set(part.topic, t);
      }
      t.partitions.push({
        partition: part.partition,
        currentLeaderEpoch: state.leaderEpoch,
        fetchOffset: state.fetchOffset,
        lastFetchedEpoch: state.lastFetchedEpoch,
        logStartOffset: state.logStartOffset,
        partitionMaxBytes: this.s.maxBytes,
        replicaDirectoryId: '',
      });
    }
    if (asked.size === 0) return false;
    const conn = await this.connection();
    const req: FetchRequest = {
      clusterId: null,
      replicaId: this.o.nodeId,
      replicaState: { replicaId: this.o.nodeId, replicaEpoch: -1 },
      maxWaitMs: this.s.waitMaxMs,
      minBytes: this.s.minBytes,
      maxBytes: this.s.responseMaxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...topics.values()],
      forgottenTopicsData: [],
      rackId: '',
    };
    const resp = await conn.request<FetchResponse>(FETCH_KEY, FETCH_VERSION, req, this.s.waitMaxMs + this.s.socketTimeoutMs);
    this.failures.succeeded();
    if (resp.errorCode !== ErrorCode.NONE) {
      this.o.logger.warn('the leader refused a replica fetch', { leader: this.leaderId, error: errorName(resp.errorCode) });
      for (const key of asked.keys()) this.delayedUntil.set(key, this.o.clock.now() + this.s.backoffMs);
      return true;
    }
    const work: Promise<void>[] = [];
    for (const t of resp.responses) {
      for (const p of t.partitions) {
        const key = partitionKey(t.topic, p.partitionIndex);
        const a = asked.get(key);
        if (a === undefined) continue;
        work.push(this.handle(key, a.part, a.state, p));
      }
    }
    await Promise.all(work);
    return true;
  }

  private async handle(key: string, part: FetchedPartition, asked: FollowerFetchState, p: FetchResponsePartitionData): Promise<void> {
    const { topic, partition } = part;
    const host = this.o.host;
    // The partition moved, was truncated or paused since the request went out: this answer is stale.
    const now = host.fetchState(topic, partition);
    if (!this.parts.has(key) || now === null || now.fetchOffset !== asked.fetchOffset || now.leaderEpoch !== asked.leaderEpoch) return;
    try {
      if (p.errorCode === ErrorCode.NONE) {
        if (p.divergingEpoch.epoch >= 0) await host.onDiverging(topic, partition, p.divergingEpoch.epoch, p.divergingEpoch.endOffset);
        else await host.onRecords(topic, partition, p.records ?? EMPTY, p.highWatermark, p.logStartOffset);
      } else if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE && p.logStartOffset >= 0) {
        if (asked.fetchOffset < p.logStartOffset) await host.onOutOfRange(topic, partition, p.logStartOffset);
        // Past the leader's end: what the leader has below its high watermark is what stands.
        else await host.onDiverging(topic, partition, asked.lastFetchedEpoch, Math.max(p.highWatermark, p.logStartOffset));
      } else if (p.errorCode === ErrorCode.FENCED_LEADER_EPOCH) {
        host.onPartitionError(topic, partition, p.errorCode);
      } else {
        if (!TRANSIENT.has(p.errorCode)) this.o.logger.warn('replica fetch error', { topic, partition, leader: this.leaderId, error: errorName(p.errorCode) });
        this.delayedUntil.set(key, this.o.clock.now() + this.s.backoffMs);
      }
    } catch (err) {
      this.o.logger.warn('applying fetched records failed; retrying', { topic, partition, err: (err as Error).message });
      this.delayedUntil.set(key, this.o.clock.now() + this.s.backoffMs);
    }
  }
}

const EMPTY = Buffer.alloc(0);

function int(v: string | undefined, fallback: number): number {
  const n = Number(v);
  return v !== undefined && Number.isInteger(n) && n >= 0 ? n : fallback;
}
