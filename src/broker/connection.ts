/**
 * One client connection: size-prefixed frames in, requests handled one at a time in arrival
 * order (as Kafka does, so a pipelining producer's batches append in the order sent), responses
 * out in the same order. Bad bytes close this connection and nothing else.
 */
import type { Socket } from 'node:net';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { decodeRequestHeader, encodeResponseHeader, API_VERSIONS_KEY, type RequestHeader } from '../protocol/headers.js';
import { codecFor, isFlexible } from '../protocol/schema.js';
import { apiName } from '../protocol/apis.js';
import { ErrorCode } from '../protocol/errors.js';
import type { BrokerContext, Handler } from './handler.js';

/** Frames queued but not yet handled before the connection stops reading (backpressure). */
const QUEUED_FRAMES_MAX = 64;
/** Smallest possible request: a v0/v1 header (api key, version, correlation id, client id length). */
const REQUEST_HEADER_BYTES_MIN = 10;
const PRODUCE_KEY = 0;

export interface ConnectionOptions {
  broker: BrokerContext;
  handlers: ReadonlyMap<number, Handler>;
  listenerName: string;
  onClose: (c: Connection) => void;
}

export class Connection {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly frames: Buffer[] = [];
  private processing = false;
  private closed = false;
  readonly remote: string;

  constructor(
    readonly socket: Socket,
    private readonly opts: ConnectionOptions,
  ) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
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
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const maxBytes = this.opts.broker.config.socketRequestMaxBytes;
    while (this.pendingBytes >= 4) {
      const head = this.peek(4);
      const size = head.readInt32BE(0);
      if (size < REQUEST_HEADER_BYTES_MIN || size > maxBytes) {
        this.logger.warn('closing connection: bad frame size', { remote: this.remote, size, maxBytes });
        this.close();
        return;
      }
      if (this.pendingBytes < 4 + size) break;
      const frame = this.take(4 + size).subarray(4);
      this.frames.push(frame);
    }
    if (this.frames.length >= QUEUED_FRAMES_MAX) this.socket.pause();
    void this.drainFrames();
  }

  /** The first `n` buffered bytes (joins chunks only when a header straddles them). */
  private peek(n: number): Buffer {
    if (this.pending[0]!.length >= n) return this.pending[0]!;
    const joined = Buffer.concat(this.pending);
    this.pending = [joined];
    return joined;
  }

  private take(n: number): Buffer {
    let first = this.pending[0]!;
    if (first.length < n) {
      first = Buffer.concat(this.pending);
      this.pending = [first];
    }
    const out = first.subarray(0, n);
    if (first.length === n) this.pending.shift();
    else this.pending[0] = first.subarray(n);
    this.pendingBytes -= n;
    return out;
  }

  private async drainFrames(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (!this.closed && this.frames.length > 0) {
        const frame = this.frames.shift()!;
        if (this.frames.length < QUEUED_FRAMES_MAX / 2) this.socket.resume();
        await this.handleFrame(frame);
        // Honour the client's pace: stop handling requests while its responses pile up unsent.
        if (this.socket.writableNeedDrain && !this.closed) await new Promise((resolve) => this.socket.once('drain', resolve).once('close', resolve));
      }
    } finally {
      this.processing = false;
    }
  }

  private async handleFrame(frame: Buffer): Promise<void> {
    const r = new Reader(frame);
    const handlers = this.opts.handlers;
    const header = decodeRequestHeader(r, (key, version) => {
      const h = handlers.get(key);
      return h !== undefined && version >= h.minVersion && version <= h.maxVersion && isFlexible(h.request, version);
    });
    if (r.error !== null) {
      this.logger.warn('closing connection: unreadable request header', { remote: this.remote, error: r.error });
      this.close();
      return;
    }
    const handler = handlers.get(header.apiKey);
    const supported = handler !== undefined && header.apiVersion >= handler.minVersion && header.apiVersion <= handler.maxVersion;
    if (!supported) {
      if (header.apiKey === API_VERSIONS_KEY) {
        this.sendUnsupportedApiVersions(header);
        return;
      }
      // Kafka closes the connection on an unknown API or version; clients rely on it.
      this.logger.warn('closing connection: unsupported API or version', {
        remote: this.remote,
        api: apiName(header.apiKey),
        apiKey: header.apiKey,
        apiVersion: header.apiVersion,
      });
      this.close();
      return;
    }
    const body = codecFor<unknown>(handler.request, header.apiVersion).decode(r);
    if (r.error !== null) {
      this.logger.warn('closing connection: malformed request', { remote: this.remote, api: apiName(header.apiKey), error: r.error });
      this.close();
      return;
    }
    let response: unknown;
    try {
      response = await handler.handle(
        { broker: this.opts.broker, header, listenerName: this.opts.listenerName, clientHost: this.socket.remoteAddress ?? '' },
        body,
        header.apiVersion,
      );
    } catch (err) {
      this.logger.error('request failed; closing connection', { remote: this.remote, api: apiName(header.apiKey), err, stack: (err as Error).stack });
      this.close();
      return;
    }
    if (response === null || this.closed) return;
    if (header.apiKey === PRODUCE_KEY && this.opts.broker.dropProduceResponse?.() === true) {
      // Test only: the append happened, the producer never hears of it and must retry.
      this.close();
      return;
    }
    const w = new Writer();
    encodeResponseHeader(w, header.correlationId, header.apiKey, isFlexible(handler.response, header.apiVersion));
    codecFor<unknown>(handler.response, header.apiVersion).encode(w, response);
    this.send(w);
  }

  /**
   * ApiVersions at a version we do not know: a v0 body (error, one entry for ApiVersions itself)
   * with header v0, so that any client can read it and retry at a version we serve.
   */
  private sendUnsupportedApiVersions(header: RequestHeader): void {
    const own = this.opts.handlers.get(API_VERSIONS_KEY)!;
    const w = new Writer();
    w.int32(header.correlationId);
    w.int16(ErrorCode.UNSUPPORTED_VERSION).int32(1).int16(API_VERSIONS_KEY).int16(own.minVersion).int16(own.maxVersion);
    this.send(w);
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
    this.pending = [];
    this.socket.destroy();
    this.opts.onClose(this);
  }
}
