/**
 * High watermarks of partitions led by other brokers, so that a group coordinator reports the
 * lag of every partition its groups committed offsets for, not only those it holds. At scrape
 * time the lag collectors name the partitions they need; those not asked within FRESH_MS are
 * asked of their leaders, one ListOffsets (latest, read_uncommitted: the high watermark, as
 * `consumer-groups --describe` asks) per leader, all leaders at once. A scrape waits for the
 * answers REFRESH_WAIT_MS_MAX at most, then serves what the cache holds; late answers land for
 * the next scrape. A value not renewed within STALE_MS_MAX is not served (its leader is gone or
 * out of reach), and one refresh runs at a time, so each peer connection has one request at most.
 */
import type { ListOffsetsRequest, ListOffsetsResponse } from '../../protocol/messages/02-list-offsets.js';
import { connectToPeer, PeerConnectionError, type PeerAddressing, type PeerConnection } from '../../cluster/peer-connection.js';
import type { Logger } from '../../util/logger.js';

/** A value younger than this is served without asking again: scrapes come every few seconds at most. */
export const FRESH_MS = 1_000;
/** How long a scrape waits for the leaders' answers: a slow or unreachable peer must not stall /metrics. */
export const REFRESH_WAIT_MS_MAX = 1_000;
/** Connect and request timeout towards a leader: a refresh ends within it, whatever the peer does. */
export const REQUEST_TIMEOUT_MS = 5_000;
/** A value not renewed for this long is dropped rather than reported as if current. */
export const STALE_MS_MAX = 60_000;

const LIST_OFFSETS = 2;
/** ListOffsets v7: a Samsa peer's newest (v2+ carries the isolation level). */
const LIST_OFFSETS_VERSION = 7;
const LATEST = -1;
const READ_UNCOMMITTED = 0;
const CONSUMER_REPLICA_ID = -1;

export interface RemotePartition {
  topic: string;
  partition: number;
  /** The leader's broker id, from the metadata image. */
  leader: number;
}

export interface RemoteHighWatermarksOptions extends PeerAddressing {
  nodeId: number;
  logger: Logger;
}

interface Entry {
  highWatermark: number;
  /** When the leader answered (Date.now() ms). */
  atMs: number;
  /** When it was last asked for (Date.now() ms). */
  askedMs: number;
}

const keyOf = (topic: string, partition: number): string => `${topic}\0${partition}`;

export class RemoteHighWatermarks {
  private readonly cache = new Map<string, Entry>();
  private readonly links = new Map<number, PeerConnection>();
  private refreshing: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly o: RemoteHighWatermarksOptions) {}

  /** Asks the leaders of the partitions in `wanted` not asked lately, waiting REFRESH_WAIT_MS_MAX at most. */
  async refresh(wanted: readonly RemotePartition[]): Promise<void> {
    if (this.closed) return;
    const nowMs = Date.now();
    // Partitions no scrape has wanted for a while (a deleted topic, offsets gone) leave the cache.
    for (const [k, e] of this.cache) if (nowMs - e.askedMs > STALE_MS_MAX) this.cache.delete(k);
    if (this.refreshing === null) {
      const byLeader = new Map<number, RemotePartition[]>();
      for (const p of wanted) {
        const e = this.cache.get(keyOf(p.topic, p.partition));
        if (e !== undefined && nowMs - e.askedMs < FRESH_MS) continue;
        let list = byLeader.get(p.leader);
        if (list === undefined) byLeader.set(p.leader, (list = []));
        list.push(p);
      }
      if (byLeader.size > 0) {
        const run = Promise.all([...byLeader].map(([leader, ps]) => this.ask(leader, ps, nowMs))).then(() => undefined);
        this.refreshing = run;
        void run.finally(() => {
          if (this.refreshing === run) this.refreshing = null;
        });
      }
    }
    if (this.refreshing === null) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.refreshing, new Promise<void>((resolve) => (timer = setTimeout(resolve, REFRESH_WAIT_MS_MAX)))]);
    clearTimeout(timer);
  }

  /** The leader's last answer for the partition, unless older than STALE_MS_MAX. */
  highWatermark(topic: string, partition: number): number | undefined {
    const e = this.cache.get(keyOf(topic, partition));
    if (e === undefined || e.atMs < 0) return undefined;
    if (Date.now() - e.atMs > STALE_MS_MAX) {
      this.cache.delete(keyOf(topic, partition));
      return undefined;
    }
    return e.highWatermark;
  }

  close(): void {
    this.closed = true;
    for (const c of this.links.values()) c.close();
    this.links.clear();
  }

  /** One ListOffsets to `leader` for its partitions; a failure leaves the cache as it was (stale values age out). */
  private async ask(leader: number, ps: RemotePartition[], nowMs: number): Promise<void> {
    for (const p of ps) {
      const k = keyOf(p.topic, p.partition);
      const e = this.cache.get(k);
      if (e === undefined) this.cache.set(k, { highWatermark: -1, atMs: -1, askedMs: nowMs });
      else e.askedMs = nowMs;
    }
    try {
      // A link cut since the connection was made (the in-process cluster's network cuts) is not used.
      if (this.o.reach?.canReach(leader) === false) throw new PeerConnectionError(`broker ${leader} is out of reach`);
      let conn = this.links.get(leader);
      if (conn === undefined || conn.closed) {
        conn = await connectToPeer(leader, this.o, `samsa-metrics-${this.o.nodeId}`, REQUEST_TIMEOUT_MS, () => this.closed);
        this.links.set(leader, conn);
      }
      const resp = await conn.request<ListOffsetsResponse>(LIST_OFFSETS, LIST_OFFSETS_VERSION, requestOf(ps), REQUEST_TIMEOUT_MS);
      const atMs = Date.now();
      for (const t of resp.topics) {
        for (const p of t.partitions) {
          const e = this.cache.get(keyOf(t.name, p.partitionIndex));
          if (e === undefined) continue;
          // An error (the leader moved since the image was read): no value until the next refresh asks the new one.
          if (p.errorCode !== 0 || p.offset < 0) this.cache.delete(keyOf(t.name, p.partitionIndex));
          else {
            e.highWatermark = p.offset;
            e.atMs = atMs;
          }
        }
      }
    } catch (err) {
      this.links.get(leader)?.close();
      this.links.delete(leader);
      this.o.logger.debug('could not ask a leader for high watermarks (consumer lag metrics)', { leader, err: (err as Error).message });
    }
  }
}

function requestOf(ps: readonly RemotePartition[]): ListOffsetsRequest {
  const topics = new Map<string, number[]>();
  for (const p of ps) {
    let list = topics.get(p.topic);
    if (list === undefined) topics.set(p.topic, (list = []));
    list.push(p.partition);
  }
  return {
    replicaId: CONSUMER_REPLICA_ID, isolationLevel: READ_UNCOMMITTED, timeoutMs: REQUEST_TIMEOUT_MS,
    topics: [...topics].map(([name, partitions]) => ({ name, partitions: partitions.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: LATEST, maxNumOffsets: 1 })) })),
  };
}
