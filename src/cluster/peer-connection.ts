/**
 * A broker's connection to another broker, as a replica fetcher uses it: one request at a time
 * (Kafka's fetcher threads keep one fetch outstanding per leader), a connect timeout, a request
 * timeout, and a failure that ends the connection. Reconnecting and backing off are the
 * caller's.
 */
import net from 'node:net';
import tls from 'node:tls';
import { FrameDecoder, decodeResponseFrame, encodeRequestFrame } from '../protocol/framing.js';
import { apiName } from '../protocol/apis.js';

/**
 * Which other brokers this one can reach: consulted before every connect to a peer (a `false`
 * fails it like a refused connection), and, through `subscribe`, told when that may have changed
 * so that live connections to a peer now out of reach are ended. All peers are reachable without
 * one; the in-process test cluster uses it to cut the network between brokers.
 */
export interface PeerReachability {
  canReach(peerId: number): boolean;
  /** Calls `changed` whenever `canReach` may answer differently; returns the unsubscribe. */
  subscribe(changed: () => void): () => void;
}

/** Why a request to a peer failed: unreachable, closed, timed out or answered with garbage. */
export class PeerConnectionError extends Error {
  override name = 'PeerConnectionError';
}

/** TLS to peers when the inter-broker listener is an SSL one: the CAs, and this broker's own certificate for mutual TLS. */
export type PeerTls = Pick<tls.ConnectionOptions, 'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'checkServerIdentity'>;

/** How a broker finds its peers: their inter-broker endpoints, and which it may reach. */
export interface PeerAddressing {
  /** A broker's endpoint on the inter-broker listener, or null when it is not registered. */
  endpointOf(brokerId: number): { host: string; port: number } | null;
  reach?: PeerReachability;
  /** Set when the inter-broker listener speaks TLS. */
  tls?: PeerTls;
}

/**
 * Connects to broker `peerId` at its registered endpoint. Fails (PeerConnectionError) when it is
 * not registered, out of reach, or cut off (or `abandoned`) while the connection was being made.
 */
export async function connectToPeer(peerId: number, a: PeerAddressing, clientId: string, timeoutMs: number, abandoned: () => boolean = () => false): Promise<PeerConnection> {
  const at = a.endpointOf(peerId);
  if (at === null) throw new PeerConnectionError(`broker ${peerId} is not registered`);
  const outOfReach = (): boolean => a.reach?.canReach(peerId) === false;
  const cutOff = (): PeerConnectionError => new PeerConnectionError(`broker ${peerId} at ${at.host}:${at.port} is out of reach`);
  if (outOfReach()) throw cutOff();
  const conn = await PeerConnection.connect(at.host, at.port, clientId, timeoutMs, a.tls);
  if (abandoned() || outOfReach()) {
    conn.close();
    throw cutOff();
  }
  return conn;
}

/**
 * Ends the connections to peers that go out of reach (each value of `byPeer`, by broker id), so
 * that what waits on them fails now; returns the unsubscribe.
 */
export function disconnectUnreachable(reach: PeerReachability | undefined, byPeer: ReadonlyMap<number, { disconnect(): void }>): () => void {
  if (reach === undefined) return () => undefined;
  return reach.subscribe(() => {
    for (const [id, peer] of byPeer) if (!reach.canReach(id)) peer.disconnect();
  });
}

interface Pending {
  correlationId: number;
  apiKey: number;
  version: number;
  resolve(body: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class PeerConnection {
  private readonly decoder = new FrameDecoder();
  private pending: Pending | null = null;
  private nextCorrelationId = 1;
  private failure: Error | null = null;

  private constructor(
    private readonly socket: net.Socket,
    readonly address: string,
    private readonly clientId: string,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new PeerConnectionError(`connection to ${address} failed: ${err.message}`)));
    socket.on('close', () => this.fail(new PeerConnectionError(`connection to ${address} was closed`)));
  }

  static connect(host: string, port: number, clientId: string, timeoutMs: number, tlsOptions?: PeerTls): Promise<PeerConnection> {
    const address = `${host}:${port}`;
    return new Promise((resolve, reject) => {
      const socket = tlsOptions === undefined ? net.connect({ host, port }) : tls.connect({ host, port, ...(net.isIP(host) === 0 ? { servername: host } : {}), ...tlsOptions });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new PeerConnectionError(`could not connect to ${address} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once(tlsOptions === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new PeerConnection(socket, address, clientId));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new PeerConnectionError(`could not connect to ${address}${tlsOptions === undefined ? '' : ' over TLS'}: ${err.message}`));
      });
    });
  }

  get closed(): boolean {
    return this.failure !== null;
  }

  /** Sends a request and resolves with the decoded response; only one may be outstanding. */
  request<Resp>(apiKey: number, version: number, body: unknown, timeoutMs: number): Promise<Resp> {
    return new Promise<Resp>((resolve, reject) => {
      if (this.failure !== null) return reject(this.failure);
      if (this.pending !== null) return reject(new PeerConnectionError(`a request to ${this.address} is already outstanding`));
      const correlationId = this.nextCorrelationId;
      this.nextCorrelationId = (correlationId + 1) & 0x7fffffff;
      let chunks: Buffer[];
      try {
        chunks = encodeRequestFrame({ apiKey, version, correlationId, clientId: this.clientId, body });
      } catch (err) {
        return reject(err as Error);
      }
      const timer = setTimeout(() => {
        this.fail(new PeerConnectionError(`${apiName(apiKey)} to ${this.address} got no response within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending = { correlationId, apiKey, version, resolve: resolve as (b: unknown) => void, reject, timer };
      this.socket.cork();
      for (const c of chunks) this.socket.write(c);
      this.socket.uncork();
    });
  }

  close(): void {
    this.fail(new PeerConnectionError(`connection to ${this.address} was closed`));
  }

  private fail(err: Error): void {
    if (this.failure !== null) return;
    this.failure = err;
    const p = this.pending;
    this.pending = null;
    if (p !== null) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.fail(new PeerConnectionError(`${this.address} sent an invalid frame: ${(err as Error).message}`));
      return;
    }
    for (const frame of frames) {
      const p = this.pending;
      if (p === null || frame.length < 4 || frame.readInt32BE(0) !== p.correlationId) {
        this.fail(new PeerConnectionError(`${this.address} sent a response to no outstanding request`));
        return;
      }
      this.pending = null;
      clearTimeout(p.timer);
      try {
        p.resolve(decodeResponseFrame(p.apiKey, p.version, frame));
      } catch (err) {
        this.fail(new PeerConnectionError((err as Error).message));
        p.reject(err as Error);
      }
    }
  }
}
