/**
 * One TCP connection to one broker: frames requests, matches responses by correlation id,
 * times requests out, parks writes while the socket is full, and learns on connect which API
 * versions the broker speaks.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { ClientTls } from './tls-config.js';
import type { ClientSasl } from './sasl-config.js';
import { saslLogin, type SaslChannel } from '../protocol/sasl-client.js';
import { apiName } from '../protocol/apis.js';
import { API_VERSIONS_KEY } from '../protocol/headers.js';
import { ErrorCode, KafkaError, errorName } from '../protocol/errors.js';
import type { ApiVersionsRequest, ApiVersionsResponse } from '../protocol/messages/18-api-versions.js';
import { assert } from '../util/assert.js';
import { FrameDecoder, ResponseDecodeError, decodeResponseFrame, encodeRequestFrame } from '../protocol/framing.js';
import { ClosedError, ConnectionError, ProtocolError, RequestTimeoutError, UnsupportedVersionError } from './errors.js';

export const REQUEST_TIMEOUT_MS_DEFAULT = 30_000;
export const CONNECT_TIMEOUT_MS_DEFAULT = 10_000;
/** Correlation ids are INT32 and must stay positive, so they wrap at 2^31. */
const CORRELATION_ID_MASK = 0x7fffffff;
/** How long close() waits for the broker to finish the TCP close before destroying the socket. */
const CLOSE_GRACE_MS = 1000;
/** What the client tells brokers about itself in ApiVersions v3+ (shown in broker metrics). */
export const CLIENT_SOFTWARE_NAME = 'samsa';
export const CLIENT_SOFTWARE_VERSION = '0.1.0';

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId?: string | null;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** security.protocol=SSL: the TLS settings (tls-config.ts); absent for PLAINTEXT. */
  tls?: ClientTls;
  /** SASL_*: the login made right after ApiVersions (sasl-config.ts). */
  sasl?: ClientSasl;
}

export interface RequestOptions {
  /** Overrides the connection's request timeout (a long-poll fetch adds its wait to it). */
  timeoutMs?: number;
}

export interface VersionRange {
  min: number;
  max: number;
}

interface InFlight {
  apiKey: number;
  version: number;
  resolve: (body: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

interface ParkedFrame {
  chunks: Buffer[];
  written?: (err?: Error | null) => void;
}

export class Connection {
  readonly host: string;
  readonly port: number;
  private readonly clientId: string | null;
  private readonly requestTimeoutMs: number;
  private readonly decoder = new FrameDecoder();
  private readonly inFlight = new Map<number, InFlight>();
  private nextCorrelationId = 0;
  /** Frames waiting for the socket to drain (backpressure), in send order. */
  private readonly parked: ParkedFrame[] = [];
  private blocked = false;
  private failure: Error | null = null;
  private brokerVersions = new Map<number, VersionRange>();
  /** Finalized feature levels (ApiVersions v3+), by name. */
  private features = new Map<string, number>();
  private readonly closedPromise: Promise<void>;
  /** KIP-368: when the SASL session should be renewed (ms since the epoch; 0 = never), and the renewal under way. */
  private reauthAt = 0;
  private relogin: Promise<void> | null = null;
  private sasl: ClientSasl | undefined;

  private constructor(
    private readonly socket: net.Socket,
    opts: ConnectionOptions,
  ) {
    this.host = opts.host;
    this.port = opts.port;
    this.clientId = opts.clientId === undefined ? CLIENT_SOFTWARE_NAME : opts.clientId;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', (err) => this.fail(new ConnectionError(`Connection to ${this.address} failed: ${err.message}`)));
    this.closedPromise = new Promise((resolve) => {
      socket.once('close', () => {
        this.fail(new ConnectionError(`Connection to ${this.address} was closed`));
        resolve();
      });
    });
  }

  /** Opens a connection and negotiates API versions; rejects with ConnectionError if unreachable. */
  static async connect(opts: ConnectionOptions): Promise<Connection> {
    const socket = await openSocket(opts.host, opts.port, opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT, opts.tls);
    const conn = new Connection(socket, opts);
    try {
      ({ versions: conn.brokerVersions, features: conn.features } = await negotiateApiVersions(conn));
      if (opts.sasl !== undefined) {
        conn.sasl = opts.sasl;
        conn.scheduleReauth(await saslLogin(conn.loginChannel(), opts.sasl));
      }
    } catch (err) {
      conn.destroy();
      throw err;
    }
    return conn;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get isClosed(): boolean {
    return this.failure !== null;
  }

  /** Every API the broker advertises, with its version range. */
  get apiVersions(): ReadonlyMap<number, VersionRange> {
    return this.brokerVersions;
  }

  /** A feature's finalized level as the broker's ApiVersions (v3+) gave it; 0 when it names none. */
  featureLevel(name: string): number {
    return this.features.get(name) ?? 0;
  }

  /** The broker's advertised range for an API, or undefined when it does not serve it. */
  apiVersionRange(apiKey: number): VersionRange | undefined {
    return this.brokerVersions.get(apiKey);
  }

  /** The highest version both sides speak: min(client max, broker max), never below either minimum. */
  versionFor(apiKey: number, clientMax: number, clientMin = 0): number {
    const range = this.brokerVersions.get(apiKey);
    const name = apiName(apiKey);
    if (range === undefined) {
      throw new UnsupportedVersionError(`The broker at ${this.address} does not support ${name} (api key ${apiKey}).`);
    }
    const version = Math.min(clientMax, range.max);
    if (version < Math.max(clientMin, range.min)) {
      throw new UnsupportedVersionError(
        `The broker at ${this.address} supports ${name} versions ${range.min}–${range.max}, ` +
          `but this client needs a version between ${clientMin} and ${clientMax}.`,
      );
    }
    return version;
  }

  /** A broker's session lifetime: log in again after 85–95 % of it, as Kafka's clients do. */
  private scheduleReauth(lifetimeMs: number): void {
    this.reauthAt = lifetimeMs > 0 ? Date.now() + lifetimeMs * (0.85 + Math.random() * 0.1) : 0;
  }

  /** The login's view of the connection: its requests go straight out, past the re-login gate. */
  private loginChannel(): SaslChannel {
    return { address: this.address, versionFor: (k, max, min) => this.versionFor(k, max, min), request: (k, v, b) => this.send0(k, v, b) };
  }

  /** Starts the session's renewal when it is due (the requests after it wait for it). */
  private renewIfDue(): void {
    if (this.reauthAt === 0 || Date.now() < this.reauthAt || this.relogin !== null) return;
    this.reauthAt = 0;
    this.relogin = this.reauthenticate().finally(() => (this.relogin = null));
  }

  /** Renews the SASL session once nothing is in flight (KIP-368); a refusal fails the connection. */
  private async reauthenticate(): Promise<void> {
    while (this.inFlight.size > 0 && this.failure === null) await new Promise((r) => setTimeout(r, 5));
    if (this.failure !== null) throw this.failure;
    try {
      this.scheduleReauth(await saslLogin(this.loginChannel(), this.sasl!));
    } catch (err) {
      this.fail(err as Error);
      this.socket.destroy();
      throw err;
    }
  }

  /** Sends a request and resolves with the decoded response body. */
  request<Req, Resp>(apiKey: number, version: number, body: Req, opts: RequestOptions = {}): Promise<Resp> {
    this.renewIfDue();
    if (this.relogin !== null) return this.relogin.then(() => this.send0<Req, Resp>(apiKey, version, body, opts));
    return this.send0(apiKey, version, body, opts);
  }

  private send0<Req, Resp>(apiKey: number, version: number, body: Req, opts: RequestOptions = {}): Promise<Resp> {
    assert(!(apiKey === 0 && (body as { acks?: number }).acks === 0), 'acks=0 produce has no response: use send()');
    return new Promise<Resp>((resolve, reject) => {
      if (this.failure !== null) return reject(this.failure);
      const correlationId = this.takeCorrelationId();
      assert(!this.inFlight.has(correlationId), 'correlation id still in flight after wrapping');
      let chunks: Buffer[];
      try {
        chunks = encodeRequestFrame({ apiKey, version, correlationId, clientId: this.clientId, body });
      } catch (err) {
        return reject(err as Error);
      }
      const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
      const timer = setTimeout(() => {
        this.inFlight.delete(correlationId);
        reject(new RequestTimeoutError(`${apiName(apiKey)} request to ${this.address} got no response within ${timeoutMs} ms`));
      }, timeoutMs);
      this.inFlight.set(correlationId, { apiKey, version, resolve: resolve as (b: unknown) => void, reject, timer });
      this.write({ chunks });
    });
  }

  /** Sends a request that has no response (Produce with acks=0); resolves once handed to the socket. */
  async send<Req>(apiKey: number, version: number, body: Req): Promise<void> {
    this.renewIfDue();
    if (this.relogin !== null) await this.relogin;
    return this.sendNoResponse(apiKey, version, body);
  }

  private sendNoResponse<Req>(apiKey: number, version: number, body: Req): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.failure !== null) return reject(this.failure);
      let chunks: Buffer[];
      try {
        chunks = encodeRequestFrame({ apiKey, version, correlationId: this.takeCorrelationId(), clientId: this.clientId, body });
      } catch (err) {
        return reject(err as Error);
      }
      this.write({ chunks, written: (err) => (err ? reject(new ConnectionError(err.message)) : resolve()) });
    });
  }

  /** Closes gracefully: in-flight requests fail with ClosedError. */
  async close(): Promise<void> {
    this.fail(new ClosedError(`Connection to ${this.address} was closed by the client`));
    this.socket.end();
    const forced = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    await this.closedPromise;
    clearTimeout(forced);
  }

  destroy(): void {
    this.fail(new ClosedError(`Connection to ${this.address} was closed by the client`));
    this.socket.destroy();
  }

  /** Marks the connection failed and rejects everything in flight; idempotent. */
  private fail(err: Error): void {
    if (this.failure !== null) return;
    this.failure = err;
    for (const entry of this.inFlight.values()) {
      clearTimeout(entry.timer);
      entry.reject(err);
    }
    this.inFlight.clear();
    for (const p of this.parked) p.written?.(err);
    this.parked.length = 0;
    if (!this.socket.destroyed && !(err instanceof ClosedError)) this.socket.destroy();
  }

  private takeCorrelationId(): number {
    const id = this.nextCorrelationId;
    this.nextCorrelationId = (id + 1) & CORRELATION_ID_MASK;
    return id;
  }

  private write(frame: ParkedFrame): void {
    if (this.blocked) this.parked.push(frame);
    else this.writeNow(frame);
  }

  private writeNow(frame: ParkedFrame): void {
    this.socket.cork();
    let ok = true;
    const n = frame.chunks.length;
    for (let i = 0; i < n; i++) ok = this.socket.write(frame.chunks[i]!, i === n - 1 ? frame.written : undefined);
    this.socket.uncork();
    // false means Node's buffer is past its high-water mark: park further frames until 'drain'.
    if (!ok) this.blocked = true;
  }

  private onDrain(): void {
    this.blocked = false;
    while (!this.blocked && this.parked.length > 0) this.writeNow(this.parked.shift()!);
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.fail(new ProtocolError(`Broker ${this.address} sent an invalid frame: ${(err as Error).message}`));
      return;
    }
    for (const frame of frames) {
      if (this.failure !== null) return;
      this.onFrame(frame);
    }
  }

  private onFrame(frame: Buffer): void {
    if (frame.length < 4) {
      this.fail(new ProtocolError(`Broker ${this.address} sent a ${frame.length}-byte frame, too short for a response header`));
      return;
    }
    const correlationId = frame.readInt32BE(0);
    const entry = this.inFlight.get(correlationId);
    // A response to a request that already timed out is dropped.
    if (entry === undefined) return;
    this.inFlight.delete(correlationId);
    clearTimeout(entry.timer);
    try {
      entry.resolve(decodeResponse(entry.apiKey, entry.version, frame));
    } catch (err) {
      entry.reject(err as Error);
    }
  }
}

function openSocket(host: string, port: number, timeoutMs: number, tlsOptions?: ClientTls): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    // TLS: the handshake is part of connecting; the broker's name goes in SNI unless it is an address.
    const socket = tlsOptions === undefined ? net.connect({ host, port }) : tls.connect({ host, port, ...(net.isIP(host) === 0 ? { servername: host } : {}), ...tlsOptions });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ConnectionError(`Could not connect to ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once(tlsOptions === undefined ? 'connect' : 'secureConnect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new ConnectionError(`Could not connect to ${host}:${port}${tlsOptions === undefined ? '' : ' over TLS'}: ${err.message}`));
    });
  });
}

function decodeResponse(apiKey: number, requestedVersion: number, frame: Buffer): unknown {
  try {
    return decodeResponseFrame(apiKey, requestedVersion, frame);
  } catch (err) {
    throw err instanceof ResponseDecodeError ? new ProtocolError(err.message) : err;
  }
}

async function negotiateApiVersions(c: Connection): Promise<{ versions: Map<number, VersionRange>; features: Map<string, number> }> {
  const body: ApiVersionsRequest = { clientSoftwareName: CLIENT_SOFTWARE_NAME, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION };
  let resp = await c.request<ApiVersionsRequest, ApiVersionsResponse>(API_VERSIONS_KEY, 3, body);
  if (resp.errorCode === ErrorCode.UNSUPPORTED_VERSION) {
    resp = await c.request<ApiVersionsRequest, ApiVersionsResponse>(API_VERSIONS_KEY, 0, body);
  }
  if (resp.errorCode !== ErrorCode.NONE) {
    throw new KafkaError(resp.errorCode, `ApiVersions to ${c.address} failed: ${errorName(resp.errorCode)}`);
  }
  return {
    versions: new Map(resp.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }])),
    features: new Map(resp.finalizedFeatures.map((f) => [f.name, f.maxVersionLevel])),
  };
}

