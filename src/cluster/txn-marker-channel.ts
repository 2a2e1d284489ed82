/**
 * Transaction markers to partitions another broker leads (Kafka's TransactionMarkerChannelManager):
 * one connection per leader, one WriteTxnMarkers request outstanding on it, and every marker
 * queued for that leader meanwhile sent together in the next one. A marker resolves once the
 * leader wrote it and its ISR holds it; it rejects with a StorageError carrying the leader's
 * per-partition error (NOT_LEADER_OR_FOLLOWER, …) or NETWORK_EXCEPTION when the leader could
 * not be reached. Retrying — after a leader change, typically — is the coordinator's.
 */
import type { Logger } from '../util/logger.js';
import { ErrorCode } from '../protocol/errors.js';
import type { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from '../protocol/messages/27-write-txn-markers.js';
import { StorageError } from '../storage/errors.js';
import { PeerAuthenticationError, PeerFailures, connectToPeer, disconnectUnreachable, type PeerAddressing, type PeerConnection } from './peer-connection.js';

export interface RemoteMarker {
  producerId: number;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
}

export interface MarkerChannelOptions extends PeerAddressing {
  nodeId: number;
  logger: Logger;
  /** Connect and request timeout (request.timeout.ms). */
  timeoutMs?: number;
}

interface Queued {
  topic: string;
  partition: number;
  marker: RemoteMarker;
  resolve(): void;
  reject(err: Error): void;
}

const WRITE_TXN_MARKERS = 27;
const VERSION = 1;

export class TxnMarkerChannels {
  private readonly channels = new Map<number, Channel>();
  private closed = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly o: MarkerChannelOptions) {
    // A connection to a peer now out of reach ends, failing what waits on it (retried by the coordinator).
    this.unsubscribe = disconnectUnreachable(o.reach, this.channels);
  }

  /** Sends a marker to `leaderId` for `topic-partition`; resolves once the leader's ISR holds it. */
  send(leaderId: number, topic: string, partition: number, marker: RemoteMarker): Promise<void> {
    if (this.closed) return Promise.reject(new StorageError(ErrorCode.NETWORK_EXCEPTION, 'the broker is stopping'));
    let ch = this.channels.get(leaderId);
    if (ch === undefined) this.channels.set(leaderId, (ch = new Channel(leaderId, this.o)));
    return ch.enqueue(topic, partition, marker);
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const ch of this.channels.values()) ch.close();
    this.channels.clear();
  }
}

class Channel {
  private queue: Queued[] = [];
  private sending = false;
  private conn: PeerConnection | null = null;
  private closed = false;
  /** Refused logins in a row: warned about once per interval (the coordinator's retries log the rest). */
  private readonly refusals: PeerFailures;

  constructor(
    private readonly leaderId: number,
    private readonly o: MarkerChannelOptions,
  ) {
    this.refusals = new PeerFailures(o.logger, leaderId, 'cannot log in to send transaction markers', 'logged in to send transaction markers again');
  }

  enqueue(topic: string, partition: number, marker: RemoteMarker): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ topic, partition, marker, resolve, reject });
      if (!this.sending) void this.drain();
    });
  }

  disconnect(): void {
    this.conn?.close();
    this.conn = null;
  }

  close(): void {
    this.closed = true;
    this.conn?.close();
    for (const q of this.queue.splice(0)) q.reject(new StorageError(ErrorCode.NETWORK_EXCEPTION, 'the broker is stopping'));
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const batch = this.queue.splice(0);
        await this.sendBatch(batch);
      }
    } finally {
      this.sending = false;
    }
  }

  private async sendBatch(batch: Queued[]): Promise<void> {
    const timeoutMs = this.o.timeoutMs ?? 30_000;
    let resp: WriteTxnMarkersResponse;
    try {
      const conn = await this.connection(timeoutMs);
      this.refusals.succeeded();
      resp = await conn.request<WriteTxnMarkersResponse>(WRITE_TXN_MARKERS, VERSION, requestOf(batch), timeoutMs);
    } catch (err) {
      this.conn?.close();
      this.conn = null;
      const message = `transaction markers to broker ${this.leaderId} failed: ${(err as Error).message}`;
      if (err instanceof PeerAuthenticationError) this.refusals.failed(err, Date.now(), 0);
      else this.o.logger.debug(message);
      for (const q of batch) q.reject(new StorageError(ErrorCode.NETWORK_EXCEPTION, message));
      return;
    }
    const codes = new Map<string, number>();
    for (const m of resp.markers)
      for (const t of m.topics) for (const p of t.partitions) codes.set(`${m.producerId}:${t.name}:${p.partitionIndex}`, p.errorCode);
    for (const q of batch) {
      const code = codes.get(`${q.marker.producerId}:${q.topic}:${q.partition}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      if (code === ErrorCode.NONE) q.resolve();
      else q.reject(new StorageError(code, `broker ${this.leaderId} did not write the marker to ${q.topic}-${q.partition}`));
    }
  }

  private async connection(timeoutMs: number): Promise<PeerConnection> {
    if (this.conn !== null && !this.conn.closed) return this.conn;
    this.conn = await connectToPeer(this.leaderId, this.o, `samsa-txn-markers-${this.o.nodeId}`, timeoutMs, () => this.closed);
    return this.conn;
  }
}

/** One request for the queued markers: one entry per transaction, its partitions grouped by topic. */
function requestOf(batch: Queued[]): WriteTxnMarkersRequest {
  const byTxn = new Map<string, { marker: RemoteMarker; topics: Map<string, number[]> }>();
  for (const q of batch) {
    const m = q.marker;
    const key = `${m.producerId}:${m.producerEpoch}:${m.commit}:${m.coordinatorEpoch}`;
    let e = byTxn.get(key);
    if (e === undefined) byTxn.set(key, (e = { marker: m, topics: new Map() }));
    let parts = e.topics.get(q.topic);
    if (parts === undefined) e.topics.set(q.topic, (parts = []));
    parts.push(q.partition);
  }
  return {
    markers: [...byTxn.values()].map(({ marker, topics }) => ({
      producerId: marker.producerId,
      producerEpoch: marker.producerEpoch,
      transactionResult: marker.commit,
      coordinatorEpoch: marker.coordinatorEpoch,
      topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
    })),
  };
}
