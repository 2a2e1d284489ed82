/**
 * A broker's connection to another broker, as a replica fetcher uses it: one request at a time
 * (Kafka's fetcher threads keep one fetch outstanding per leader), a connect timeout, a request
 * timeout, and a failure that ends the connection. Reconnecting and backing off are the
 * caller's.
 *
 * On a SASL inter-broker listener the connection logs in right after connecting (SaslHandshake
 * v1, then SaslAuthenticate v2: peers are Samsa brokers, so no ApiVersions first). When the
 * peer's answer gives the session a lifetime (KIP-368, connections.max.reauth.ms), the
 * connection does not re-authenticate in place: at 90 % of the lifetime it reports itself
 * `closed` between requests, so its user connects and logs in afresh.
 */
import net from 'node:net';
import tls from 'node:tls';
import { FrameDecoder, decodeResponseFrame, encodeRequestFrame } from '../protocol/framing.js';
import { apiName } from '../protocol/apis.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { saslLogin, type PasswordSasl } from '../protocol/sasl-client.js';
import type { Logger } from '../util/logger.js';

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

/** A peer refused this broker's SASL login: retrying helps only once the credentials are fixed. */
export class PeerAuthenticationError extends PeerConnectionError {
  override name = 'PeerAuthenticationError';
}

/** TLS to peers when the inter-broker listener is an SSL one: the CAs, and this broker's own certificate for mutual TLS. */
export type PeerTls = Pick<tls.ConnectionOptions, 'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'checkServerIdentity'>;

/** SASL to peers when the inter-broker listener is a SASL one: who this broker logs in as, and the key that says so. */
export interface PeerSasl {
  credentials: PasswordSasl;
  /** The JAAS key the credentials came from, named when a peer refuses them. */
  configKey: string;
}

/** The share of a SASL session's lifetime after which a peer connection is replaced (Kafka's clients renew at 85–95 %). */
const SESSION_RENEWAL_SHARE = 0.9;

/** How a broker finds its peers: their inter-broker endpoints, and which it may reach. */
export interface PeerAddressing {
  /** A broker's endpoint on the inter-broker listener, or null when it is not registered. */
  endpointOf(brokerId: number): { host: string; port: number } | null;
  reach?: PeerReachability;
  /** Set when the inter-broker listener speaks TLS. */
  tls?: PeerTls;
  /** Set when the inter-broker listener is a SASL one. */
  sasl?: PeerSasl;
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
  if (a.sasl !== undefined) await logIn(conn, peerId, a.sasl, timeoutMs);
  if (abandoned() || outOfReach()) {
    conn.close();
    throw cutOff();
  }
  return conn;
}

/** Logs in to broker `peerId` on a fresh connection; a refusal is a PeerAuthenticationError naming the key to check. */
async function logIn(conn: PeerConnection, peerId: number, sasl: PeerSasl, timeoutMs: number): Promise<void> {
  const { mechanism, username } = sasl.credentials;
  try {
    const lifetimeMs = await saslLogin({ address: conn.address, versionFor: (_key, max) => max, request: (k, v, b) => conn.request(k, v, b, timeoutMs) }, sasl.credentials);
    conn.renewAfter(lifetimeMs);
  } catch (err) {
    conn.close();
    if (!(err instanceof KafkaError)) throw err;
    const hint = err.code === ErrorCode.UNSUPPORTED_SASL_MECHANISM ? `enable ${mechanism} in its sasl.enabled.mechanisms` : `check username and password in ${sasl.configKey}${mechanism === 'PLAIN' ? " and the peer's user_" + username : ` and that ${username}'s ${mechanism} credential is set (kafka-configs --alter --add-config '${mechanism}=[password=…]' --entity-type users --entity-name ${username})`}`;
    throw new PeerAuthenticationError(`broker ${peerId} at ${conn.address} refused this broker's SASL/${mechanism} login as ${username}: ${err.message}; ${hint}`);
  }
}

/** How often a peer that keeps failing is reported again: a persisting problem stays visible without flooding the log. */
export const PEER_FAILURE_REPORT_INTERVAL_MS = 60_000;
/** The longest wait between refused logins: a fixed password or a new SCRAM credential is picked up within seconds, and the peer's failed-login delay is not kept busy. */
export const PEER_LOGIN_BACKOFF_MAX_MS = 5_000;

/**
 * The failures of one link to a peer, for its log and its backoff: the first failure is a
 * warning, the same link failing on is reported again once per PEER_FAILURE_REPORT_INTERVAL_MS
 * with the count, and the first success after failures says so. A refused login doubles the
 * wait before the next attempt, up to PEER_LOGIN_BACKOFF_MAX_MS.
 */
export class PeerFailures {
  private failures = 0;
  private reportedAtMs = 0;

  /** `failure` opens the warning ("cannot fetch from the leader"), `recovery` the note after ("fetching from the leader again"). */
  constructor(
    private readonly logger: Logger,
    private readonly peerId: number,
    private readonly failure: string,
    private readonly recovery: string,
  ) {}

  get failing(): boolean {
    return this.failures > 0;
  }

  /** Logs `err` when due; returns how long to wait before trying again. */
  failed(err: Error, nowMs: number, backoffMs: number): number {
    this.failures++;
    if (this.failures === 1 || nowMs - this.reportedAtMs >= PEER_FAILURE_REPORT_INTERVAL_MS) {
      this.reportedAtMs = nowMs;
      this.logger.warn(`${this.failure}${this.failures === 1 ? '' : ' still'}; retrying`, { broker: this.peerId, failures: this.failures, err: err.message });
    }
    if (!(err instanceof PeerAuthenticationError)) return backoffMs;
    return Math.min(backoffMs * 2 ** Math.min(this.failures - 1, 16), Math.max(backoffMs, PEER_LOGIN_BACKOFF_MAX_MS));
  }

  succeeded(): void {
    if (this.failures === 0) return;
    this.logger.info(this.recovery, { broker: this.peerId, failures: this.failures });
    this.failures = 0;
  }
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
  /** When the SASL session is to be replaced (Date.now() ms; 0: it does not expire). */
  private renewAtMs = 0;

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

  /** Closed, or (between requests) closed now because its SASL session is due for renewal. */
  get closed(): boolean {
    if (this.failure === null && this.pending === null && this.renewAtMs > 0 && Date.now() >= this.renewAtMs)
      this.fail(new PeerConnectionError(`the SASL session with ${this.address} is due for renewal`));
    return this.failure !== null;
  }

  /** The peer's session lifetime from its SaslAuthenticate answer (0: none). */
  renewAfter(lifetimeMs: number): void {
    this.renewAtMs = lifetimeMs > 0 ? Date.now() + lifetimeMs * SESSION_RENEWAL_SHARE : 0;
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
