/**
 * Links to peers for requests a broker sends now and then (AddPartitionsToTxn to transaction
 * coordinators, the share-group state APIs to share coordinators): one connection per peer,
 * made at the first request and again after a failure, one request on it at a time. A request
 * that cannot be sent or answered drops the connection and resolves to null; refused logins are
 * warned about once per interval (PeerFailures); links to peers cut off (PeerReachability) end.
 */
import type { Logger } from '../util/logger.js';
import { PeerAuthenticationError, PeerFailures, connectToPeer, disconnectUnreachable, type PeerAddressing, type PeerConnection } from './peer-connection.js';

export interface PeerLinkOptions extends PeerAddressing {
  nodeId: number;
  logger: Logger;
  /** Connect and request timeout (request.timeout.ms). */
  timeoutMs?: number;
}

/** What the links are for, in their client id and log lines. */
export interface PeerLinkPurpose {
  /** The connections' client id, before `-<nodeId>`. */
  clientId: string;
  /** Logged once per interval while logins are refused, and when one succeeds again. */
  refused: string;
  again: string;
  /** Logged (debug) when a request fails. */
  failed: string;
}

export class PeerLinks {
  private readonly links = new Map<number, PeerLink>();
  private closedNow = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly o: PeerLinkOptions,
    private readonly purpose: PeerLinkPurpose,
  ) {
    this.unsubscribe = disconnectUnreachable(o.reach, this.links);
  }

  get closed(): boolean {
    return this.closedNow;
  }

  /** The link to `peerId`, made at first use. */
  to(peerId: number): PeerLink {
    let link = this.links.get(peerId);
    if (link === undefined) this.links.set(peerId, (link = new PeerLink(peerId, this.o, this.purpose)));
    return link;
  }

  close(): void {
    this.closedNow = true;
    this.unsubscribe();
    for (const l of this.links.values()) l.disconnect();
    this.links.clear();
  }
}

export class PeerLink {
  private conn: PeerConnection | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly refusals: PeerFailures;

  constructor(
    private readonly peerId: number,
    private readonly o: PeerLinkOptions,
    private readonly purpose: PeerLinkPurpose,
  ) {
    this.refusals = new PeerFailures(o.logger, peerId, purpose.refused, purpose.again);
  }

  disconnect(): void {
    this.conn?.close();
    this.conn = null;
  }

  /** The peer's response, after the requests queued before it; null when it could not be reached. */
  request<Resp>(apiKey: number, version: number, body: unknown): Promise<Resp | null> {
    const run = this.queue.then(() => this.requestNow<Resp>(apiKey, version, body));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async requestNow<Resp>(apiKey: number, version: number, body: unknown): Promise<Resp | null> {
    const timeoutMs = this.o.timeoutMs ?? 30_000;
    try {
      if (this.conn === null || this.conn.closed) this.conn = await connectToPeer(this.peerId, this.o, `${this.purpose.clientId}-${this.o.nodeId}`, timeoutMs);
      this.refusals.succeeded();
      return await this.conn.request<Resp>(apiKey, version, body, timeoutMs);
    } catch (err) {
      this.disconnect();
      if (err instanceof PeerAuthenticationError) this.refusals.failed(err, Date.now(), 0);
      else this.o.logger.debug(this.purpose.failed, { peer: this.peerId, apiKey, err: (err as Error).message });
      return null;
    }
  }
}
