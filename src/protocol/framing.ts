/**
 * Kafka's framing, shared by the client and the broker's replica fetchers: splits a TCP byte
 * stream into Kafka frames (INT32 size, then that many bytes). Chunks arrive
 * cut anywhere: a frame may span many chunks and a chunk may hold many frames. Encodes a request
 * frame and decodes a response frame.
 */
import { Reader } from './reader.js';
import { Writer } from './writer.js';
import { decodeMessage, encodeMessage, isFlexible } from './schema.js';
import { API_SCHEMAS, apiName } from './apis.js';
import { API_VERSIONS_KEY, decodeResponseHeader, encodeRequestHeader } from './headers.js';
import { ErrorCode } from './errors.js';
import { assert } from '../util/assert.js';

/** Largest response frame accepted. Fetch responses are the big ones and are bounded by the
 * request's max_bytes (50 MiB by default); anything far beyond that is a corrupt size. */
export const FRAME_BYTES_MAX = 256 * 1024 * 1024;

export class FrameTooLargeError extends Error {
  override name = 'FrameTooLargeError';
  readonly code = 'SAMSA_FRAME_TOO_LARGE';
}

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Size of the frame being assembled, or -1 while its size prefix is still incomplete. */
  private frameBytes = -1;

  constructor(private readonly frameBytesMax = FRAME_BYTES_MAX) {}

  /** Bytes received but not yet handed out as a frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Adds a chunk and returns every frame it completes, without their size prefix. */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    for (;;) {
      if (this.frameBytes < 0) {
        if (this.buffered < 4) break;
        const size = this.take(4).readInt32BE(0);
        if (size < 0 || size > this.frameBytesMax) {
          throw new FrameTooLargeError(`a frame declared ${size} bytes; at most ${this.frameBytesMax} are accepted`);
        }
        this.frameBytes = size;
      }
      if (this.buffered < this.frameBytes) break;
      frames.push(this.take(this.frameBytes));
      this.frameBytes = -1;
    }
    return frames;
  }

  /** Removes `n` buffered bytes; copies only when they span chunks. */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const used = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, used);
      filled += used;
      if (used === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(used);
    }
    return out;
  }
}

export interface RequestFrame {
  apiKey: number;
  version: number;
  correlationId: number;
  clientId: string | null;
  body: unknown;
}

/** Size prefix, request header and body, as a list of chunks (large record batches are not copied). */
export function encodeRequestFrame(p: RequestFrame): Buffer[] {
  const schemas = API_SCHEMAS.get(p.apiKey);
  assert(schemas !== undefined, `no schema for api key ${p.apiKey}`);
  const w = new Writer();
  const flexible = isFlexible(schemas.request, p.version);
  encodeRequestHeader(w, { apiKey: p.apiKey, apiVersion: p.version, correlationId: p.correlationId, clientId: p.clientId }, flexible);
  encodeMessage(schemas.request, p.version, p.body, w);
  const size = Buffer.allocUnsafe(4);
  size.writeInt32BE(w.length, 0);
  return [size, ...w.finish()];
}

/** A response frame that does not decode as the API and version it answers. */
export class ResponseDecodeError extends Error {
  override name = 'ResponseDecodeError';
}

/** Decodes a response frame (correlation id first) as `apiKey` at `requestedVersion`. */
export function decodeResponseFrame(apiKey: number, requestedVersion: number, frame: Buffer): unknown {
  const schemas = API_SCHEMAS.get(apiKey)!;
  const r = new Reader(frame);
  decodeResponseHeader(r, apiKey, isFlexible(schemas.response, requestedVersion));
  let version = requestedVersion;
  // A broker that does not speak the requested ApiVersions version answers with a v0 body
  // carrying UNSUPPORTED_VERSION; both layouts start with the error code.
  if (apiKey === API_VERSIONS_KEY && r.remaining >= 2 && frame.readInt16BE(r.pos) === ErrorCode.UNSUPPORTED_VERSION) version = 0;
  const body = decodeMessage<unknown>(schemas.response, version, r);
  if (r.error !== null) throw new ResponseDecodeError(`Could not decode ${apiName(apiKey)} v${requestedVersion} response: ${r.error}`);
  return body;
}
