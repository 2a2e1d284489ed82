/**
 * One client connection: size-prefixed frames in, responses out in the order the requests
 * arrived. Requests are handled one at a time, as Kafka does, except consecutive Produce
 * requests: the next one is checked while the previous one is being written, and each places
 * its batches only after the one before it did, so a pipelining producer's batches append in the
 * order sent and consecutive writes (and fsyncs) are grouped. Any other request waits until
 * every earlier response is out. Bad bytes close this connection and nothing else.
 */
import type { Socket } from 'node:net';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { decodeRequestHeader, encodeResponseHeader, API_VERSIONS_KEY, type RequestHeader } from '../protocol/headers.js';
import { codecFor, isFlexible } from '../protocol/schema.js';
import { apiName } from '../protocol/apis.js';
import { ErrorCode } from '../protocol/errors.js';
import { UnparsableRequestError, type BrokerContext, type Handler, type ThrottledChannel } from './handler.js';
import { requestQuotaExempt, requestTimePercent } from './request-quota.js';
import { SaslSession, type SaslConfig } from './sasl.js';
import { ANONYMOUS_PRINCIPAL, type ClientSoftware } from './handler.js';
import type { ScramLookup } from './sasl-scram.js';
import { replicaIdOf, type RequestTiming } from './metrics/broker-counters.js';

/** Frames queued but not yet handled before the connection stops reading (backpressure). */
const QUEUED_FRAMES_MAX = 64;
/** Smallest possible request: a v0/v1 header (api key, version, correlation id, client id length). */
const REQUEST_HEADER_BYTES_MIN = 10;
const PRODUCE_KEY = 0;
/** Frames at least this large that span chunks are received into reused buffers (Produce only). */
const POOLED_FRAME_BYTES_MIN = 64 * 1024;
/** Larger frames get a buffer of their own (a spare's memory stays with its connection). */
const POOLED_FRAME_BYTES_MAX = 2 * 1024 * 1024;
/** Spare frame buffers a connection keeps (at most 4 × 2 MiB while it stays open). */
const SPARE_FRAMES_MAX = 4;
/**
 * Produce requests of one connection in progress at once. librdkafka keeps up to
 * max.in.flight (default 1,000,000 without idempotence) requests outstanding; 16 × 1 MiB lets
 * writes group without letting one connection hold unbounded memory.
 */
const PIPELINED_PRODUCE_MAX = 16;

export interface ConnectionOptions {
  broker: BrokerContext;
  handlers: ReadonlyMap<number, Handler>;
  listenerName: string;
  onClose: (c: Connection) => void;
  /** A SASL listener's settings: the connection must authenticate before anything but ApiVersions. */
  sasl?: SaslConfig;
  /** Finds SCRAM credentials in the metadata, for SCRAM logins on a SASL listener. */
  scramCredentials?: ScramLookup;
  /** On a TLS listener, the principal of the client's certificate (ssl-principal.ts), when it sent one. */
  tlsPrincipal?: string;
}

function sizePrefixed(b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + b.length);
  out.writeInt32BE(b.length, 0);
  b.copy(out, 4);
  return out;
}

const SASL_HANDSHAKE_KEY = 17;
const SASL_AUTHENTICATE_KEY = 36;
/** What a connection may ask before it has authenticated on a SASL listener. */
const BEFORE_AUTHENTICATION = new Set([API_VERSIONS_KEY, SASL_HANDSHAKE_KEY, SASL_AUTHENTICATE_KEY]);

export class Connection implements ThrottledChannel {
  /** The size prefix of the next frame while it arrives split across chunks. */
  private readonly head = Buffer.alloc(4);
  private headFilled = 0;
  /** The frame being received, allocated once its size is known; `bodyFilled` bytes have arrived. */
  private body: Buffer | null = null;
  private bodyFilled = 0;
  /** Frame buffers this connection allocated and may reuse once their request is done. */
  private readonly pooled = new WeakSet<ArrayBuffer>();
  private spare: ArrayBuffer[] = [];
  private readonly frames: Buffer[] = [];
  /** When each queued frame arrived (performance.now()), for the request metrics. */
  private readonly arrivals: number[] = [];
  private processing = false;
  private closed = false;
  /** On a SASL listener: where the connection is in its authentication. */
  private readonly sasl: SaslSession | null;
  /** Pipelined Produce requests, oldest first: each settles once its response is sent (or dropped). */
  private pipelined: Promise<void>[] = [];
  /** Settles once the newest pipelined Produce request has placed its batches. */
  private lastPlaced: Promise<void> = Promise.resolve();
  /** While throttled (KIP-219): the time (Date.now) until which nothing more is read; 0 when not. */
  private mutedUntilMs = 0;
  private unmute: { timer: NodeJS.Timeout; waiters: Array<() => void> } | null = null;
  readonly remote: string;
  /** What the client said of itself (ApiVersions v3+), for client-metrics matching. */
  readonly client: ClientSoftware = { softwareName: '', softwareVersion: '' };

  constructor(
    readonly socket: Socket,
    private readonly opts: ConnectionOptions,
  ) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.sasl = opts.sasl === undefined ? null : new SaslSession(opts.sasl, opts.scramCredentials);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  private get logger() {
    return this.opts.broker.logger;
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    const maxBytes = this.opts.broker.config.socketRequestMaxBytes;
    const arrivedMs = performance.now();
    let at = 0;
    const end = chunk.length;
    while (at < end) {
      const body = this.body;
      if (body !== null) {
        // A frame larger than what has arrived: its buffer was allocated once, chunks are copied in.
        const n = Math.min(body.length - this.bodyFilled, end - at);
        chunk.copy(body, this.bodyFilled, at, at + n);
        this.bodyFilled += n;
        at += n;
        if (this.bodyFilled === body.length) {
          this.frames.push(body);
          this.arrivals.push(arrivedMs);
          this.body = null;
          this.bodyFilled = 0;
        }
        continue;
      }
      let size: number;
      if (this.headFilled === 0 && end - at >= 4) {
        size = chunk.readInt32BE(at);
        at += 4;
      } else {
        // A size prefix split across chunks.
        const n = Math.min(4 - this.headFilled, end - at);
        chunk.copy(this.head, this.headFilled, at, at + n);
        this.headFilled += n;
        at += n;
        if (this.headFilled < 4) break;
        this.headFilled = 0;
        size = this.head.readInt32BE(0);
      }
      if (size < REQUEST_HEADER_BYTES_MIN || size > maxBytes) {
        this.logger.warn('closing connection: bad frame size', { remote: this.remote, size, maxBytes });
        this.close();
        return;
      }
      if (end - at >= size) {
        // The whole frame is in this chunk: a view, no copy.
        this.frames.push(chunk.subarray(at, at + size));
        this.arrivals.push(arrivedMs);
        at += size;
      } else {
        this.body = this.frameBuffer(size);
        this.bodyFilled = 0;
      }
    }
    if (this.frames.length >= QUEUED_FRAMES_MAX) this.socket.pause();
    void this.drainFrames();
  }

  /**
   * A buffer for a frame of `size` bytes that spans chunks. Large ones come from this
   * connection's spares (memory already touched, no new garbage) when one is big enough.
   */
  private frameBuffer(size: number): Buffer {
    if (size < POOLED_FRAME_BYTES_MIN || size > POOLED_FRAME_BYTES_MAX) return Buffer.allocUnsafe(size);
    for (let i = 0; i < this.spare.length; i++) {
      const ab = this.spare[i]!;
      if (ab.byteLength >= size) {
        this.spare[i] = this.spare[this.spare.length - 1]!;
        this.spare.pop();
        return Buffer.from(ab, 0, size);
      }
    }
    // Uninitialised, and rounded up to a power of two so that later frames of similar size fit.
    const ab = Buffer.allocUnsafeSlow(2 ** Math.ceil(Math.log2(size))).buffer as ArrayBuffer;
    this.pooled.add(ab);
    return Buffer.from(ab, 0, size);
  }

  /**
   * Hands a Produce frame's buffer back for reuse. Only after the handler has returned: the
   * append has then been written (the log writer and validation hold views until then) and
   * nothing else keeps a view of a Produce request's bytes.
   */
  private releaseFrame(frame: Buffer): void {
    const ab = frame.buffer as ArrayBuffer;
    if (this.closed || !this.pooled.has(ab)) return;
    this.pooled.delete(ab);
    if (this.spare.length < SPARE_FRAMES_MAX) {
      this.spare.push(ab);
      this.pooled.add(ab);
    }
  }

  private async drainFrames(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (!this.closed && this.frames.length > 0) {
        if (this.unmute !== null) {
          await this.throttled();
          continue;
        }
        const frame = this.frames[0]!;
        const produce = frame.readInt16BE(0) === PRODUCE_KEY;
        if (produce && this.pipelined.length >= PIPELINED_PRODUCE_MAX) {
          await this.pipelined[0];
          continue;
        }
        this.frames.shift();
        const arrivedMs = this.arrivals.shift()!;
        if (this.frames.length < QUEUED_FRAMES_MAX / 2) this.socket.resume();
        if (this.sasl !== null && !this.sasl.authenticated) {
          await this.saslFrame(frame, this.sasl);
          continue;
        }
        if (this.sasl !== null && this.sasl.expired() && frame.readInt16BE(0) !== SASL_HANDSHAKE_KEY) {
          // KIP-368: a session past its lifetime serves nothing but a new login.
          this.logger.info('closing connection: its SASL session expired without re-authentication', { remote: this.remote, listener: this.opts.listenerName, principal: this.sasl.principal });
          this.close();
          continue;
        }
        const timing = this.opts.broker.metrics?.timing(arrivedMs);
        if (produce) {
          this.pipeline(frame, timing);
        } else {
          // Every earlier response is out (and every earlier append written) before this request is handled.
          while (this.pipelined.length > 0) await this.pipelined[0];
          const response = await this.handleFrame(frame, undefined, timing);
          if (response !== null && !this.closed) this.send(response);
          if (timing !== undefined) this.opts.broker.metrics!.sent(timing, performance.now());
        }
        // Honour the client's pace: stop handling requests while its responses pile up unsent.
        if (this.socket.writableNeedDrain && !this.closed) await new Promise((resolve) => this.socket.once('drain', resolve).once('close', resolve));
      }
    } finally {
      this.processing = false;
    }
  }

  /** Who the connection is, as Kafka's KafkaPrincipal text: the SASL user, else the client certificate's, else User:ANONYMOUS. */
  get principal(): string {
    return this.sasl?.principal ?? this.opts.tlsPrincipal ?? ANONYMOUS_PRINCIPAL;
  }

  /**
   * A frame before the connection has authenticated: a bare SASL token after a v0 handshake, or
   * one of the requests allowed then. Anything else, a refused login, or a request out of turn
   * closes the connection (after connection.failed.authentication.delay.ms for a login).
   */
  private async saslFrame(frame: Buffer, sasl: SaslSession): Promise<void> {
    if (sasl.failed) return; // closing: what still arrives is not read
    let response: Writer | null = null;
    if (sasl.state === 'token-v0') {
      const step = await sasl.authenticate(frame);
      if ('error' in step) sasl.fail();
      else this.socket.write(sizePrefixed(step.reply)); // v0: the server's token as a bare frame (empty for PLAIN)
    } else {
      const apiKey = frame.length >= 2 ? frame.readInt16BE(0) : -1;
      if (!BEFORE_AUTHENTICATION.has(apiKey)) {
        this.logger.warn('closing connection: a request before SASL authentication', { remote: this.remote, listener: this.opts.listenerName, api: apiName(apiKey) });
        this.close();
        return;
      }
      response = await this.handleFrame(frame);
    }
    if (sasl.failed) {
      this.opts.broker.metrics?.authentication(this.opts.listenerName, false);
      this.logger.info('SASL authentication failed; closing the connection', { remote: this.remote, listener: this.opts.listenerName });
      await new Promise((r) => setTimeout(r, sasl.config.failedAuthenticationDelayMs));
      if (response !== null && !this.closed) this.send(response);
      this.frames.length = 0;
      this.arrivals.length = 0;
      this.socket.end(() => this.close());
      return;
    }
    if (sasl.authenticated) this.opts.broker.metrics?.authentication(this.opts.listenerName, true);
    if (response !== null && !this.closed) this.send(response);
  }

  /**
   * Mutes the connection for `throttleMs` from now (the longest of overlapping throttles wins):
   * the response that caused it goes out at once, then nothing more is read until it ends.
   */
  throttle(throttleMs: number): void {
    const untilMs = Date.now() + throttleMs;
    if (!(throttleMs > 0) || this.closed || untilMs <= this.mutedUntilMs) return;
    this.mutedUntilMs = untilMs;
    this.socket.pause();
    const waiters = this.unmute?.waiters ?? [];
    if (this.unmute !== null) clearTimeout(this.unmute.timer);
    this.unmute = { timer: setTimeout(() => this.endThrottle(), throttleMs), waiters };
  }

  private endThrottle(): void {
    const waiters = this.unmute?.waiters ?? [];
    this.unmute = null;
    this.mutedUntilMs = 0;
    if (!this.closed && this.frames.length < QUEUED_FRAMES_MAX / 2) this.socket.resume();
    for (const w of waiters) w();
  }

  /** Settles when the throttle in force ends (frames already received wait for it). */
  private throttled(): Promise<void> {
    return new Promise((resolve) => (this.unmute === null ? resolve() : this.unmute.waiters.push(resolve)));
  }

  /** Starts a Produce request without waiting for the ones before it; its response is sent after theirs. */
  private pipeline(frame: Buffer, timing?: RequestTiming): void {
    let placed!: () => void;
    const mine = new Promise<void>((resolve) => (placed = resolve));
    const placeTurn = this.lastPlaced;
    this.lastPlaced = mine;
    const response = this.handleFrame(frame, { placeTurn, placed }, timing)
      .catch((err: unknown) => {
        this.logger.error('request failed; closing connection', { remote: this.remote, api: 'Produce', err });
        this.close();
        return null;
      })
      .finally(placed);
    const before = this.pipelined.at(-1);
    const sent = (before === undefined ? response : before.then(() => response)).then((w) => {
      if (w !== null && !this.closed) this.send(w);
      if (timing !== undefined) this.opts.broker.metrics!.sent(timing, performance.now());
      this.pipelined.shift();
    });
    this.pipelined.push(sent);
  }

  /** Handles one request; resolves to its encoded response, or null when none is to be sent. */
  private async handleFrame(frame: Buffer, pipelining?: { placeTurn: Promise<void>; placed: () => void }, timing?: RequestTiming): Promise<Writer | null> {
    const r = new Reader(frame);
    const handlers = this.opts.handlers;
    const header = decodeRequestHeader(r, (key, version) => {
      const h = handlers.get(key);
      return h !== undefined && version >= h.minVersion && version <= h.maxVersion && isFlexible(h.request, version);
    });
    if (r.error !== null) {
      this.logger.warn('closing connection: unreadable request header', { remote: this.remote, error: r.error });
      this.close();
      return null;
    }
    const handler = handlers.get(header.apiKey);
    const supported = handler !== undefined && header.apiVersion >= handler.minVersion && header.apiVersion <= handler.maxVersion;
    if (!supported) {
      if (header.apiKey === API_VERSIONS_KEY) {
        return this.unsupportedApiVersions(header);
      }
      // Kafka closes the connection on an unknown API or version; clients rely on it.
      this.logger.warn('closing connection: unsupported API or version', {
        remote: this.remote,
        api: apiName(header.apiKey),
        apiKey: header.apiKey,
        apiVersion: header.apiVersion,
      });
      this.close();
      return null;
    }
    const body = codecFor<unknown>(handler.request, header.apiVersion).decode(r);
    if (r.error !== null) {
      this.logger.warn('closing connection: malformed request', { remote: this.remote, api: apiName(header.apiKey), error: r.error });
      this.close();
      return null;
    }
    if (timing !== undefined) this.opts.broker.metrics!.started(timing, header.apiKey, header.apiKey === 1 ? replicaIdOf(body) : -1, performance.now());
    let response: unknown;
    // request_percentage counts the handler's own turn (Kafka: request thread time), only while such a quota is set.
    const { quotas } = this.opts.broker;
    const timed = quotas.enabled('request') && !requestQuotaExempt(header.apiKey, body);
    try {
      const startedMs = timed ? performance.now() : 0;
      const pending = handler.handle(
        {
          broker: this.opts.broker, header, listenerName: this.opts.listenerName, clientHost: this.socket.remoteAddress ?? '', clientPort: this.socket.remotePort ?? 0, sasl: this.sasl,
          principal: this.principal, channel: this, requestBytes: frame.length + 4, client: this.client, ...pipelining,
        },
        body,
        header.apiVersion,
      );
      const handlerMs = timed ? performance.now() - startedMs : 0;
      response = await pending;
      if (timing !== undefined) timing.respondedMs = performance.now();
      if (timed && response !== null) {
        const throttleMs = quotas.recordAndGetThrottleMs('request', this.principal, header.clientId ?? '', requestTimePercent(handlerMs), this.opts.broker.clock.now());
        if (throttleMs > 0) this.throttleResponse(response, throttleMs);
      }
      if (header.apiKey === PRODUCE_KEY) this.releaseFrame(frame);
    } catch (err) {
      if (err instanceof UnparsableRequestError) {
        this.logger.warn('closing connection: malformed request', { remote: this.remote, api: apiName(header.apiKey), error: err.message });
      } else {
        this.logger.error('request failed; closing connection', { remote: this.remote, api: apiName(header.apiKey), err, stack: (err as Error).stack });
      }
      this.close();
      return null;
    }
    if (response === null || this.closed) return null;
    if (header.apiKey === PRODUCE_KEY && this.opts.broker.dropProduceResponse?.() === true) {
      // Test only: the append happened, the producer never hears of it and must retry.
      this.close();
      return null;
    }
    const w = new Writer();
    encodeResponseHeader(w, header.correlationId, header.apiKey, isFlexible(handler.response, header.apiVersion));
    codecFor<unknown>(handler.response, header.apiVersion).encode(w, response);
    return w;
  }

  /** A request over its request_percentage quota: the response says for how long, and the connection mutes. */
  private throttleResponse(response: unknown, throttleMs: number): void {
    const r = response as { throttleTimeMs?: unknown };
    if (typeof r.throttleTimeMs === 'number') r.throttleTimeMs = Math.max(r.throttleTimeMs, throttleMs);
    this.throttle(throttleMs);
  }

  /**
   * ApiVersions at a version we do not know: a v0 body (error, one entry for ApiVersions itself)
   * with header v0, so that any client can read it and retry at a version we serve.
   */
  private unsupportedApiVersions(header: RequestHeader): Writer {
    const own = this.opts.handlers.get(API_VERSIONS_KEY)!;
    const w = new Writer();
    w.int32(header.correlationId);
    w.int16(ErrorCode.UNSUPPORTED_VERSION).int32(1).int16(API_VERSIONS_KEY).int16(own.minVersion).int16(own.maxVersion);
    return w;
  }

  private send(w: Writer): void {
    const chunks = w.finish();
    const size = Buffer.allocUnsafe(4);
    size.writeInt32BE(w.length, 0);
    this.socket.cork();
    this.socket.write(size);
    for (const c of chunks) this.socket.write(c);
    this.socket.uncork();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.frames.length = 0;
    this.arrivals.length = 0;
    this.body = null;
    this.spare = [];
    if (this.unmute !== null) {
      clearTimeout(this.unmute.timer);
      this.endThrottle();
    }
    this.socket.destroy();
    this.opts.onClose(this);
  }
}
