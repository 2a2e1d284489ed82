/**
 * The five record batch codecs Kafka defines (attributes bits 0-2), in the wire formats the
 * clients write: gzip members, snappy in Java's "xerial" framing or raw, LZ4 frames and zstd frames.
 */
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { assert } from '../../util/assert.js';
import { Compression } from './batch-header.js';

// The codec packages are CommonJS native bindings; only the calls below are used.
interface SnappyBinding {
  compressSync(input: Uint8Array): Buffer;
  uncompressSync(input: Uint8Array, options: { asBuffer: true }): string | Buffer;
}
interface Lz4Binding {
  compressFrame(data: Uint8Array): Promise<Buffer>;
  decompressFrame(data: Uint8Array): Promise<Buffer>;
}
interface ZstdBinding {
  compress(data: Buffer, level?: number): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

// Each codec loads on its first use: a broker whose clients never use it does not pay for
// loading it at start-up (up to 10 ms for a native binding, under 1 ms for zlib).
const require = createRequire(import.meta.url);
function lazy<T>(load: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= load());
}
type Zlib = typeof import('node:zlib');
const snappy = lazy(() => require('snappy') as SnappyBinding);
const lz4 = lazy(() => require('lz4-napi') as Lz4Binding);
const zstd = lazy(() => require('@mongodb-js/zstd') as ZstdBinding);
const gzip = lazy(() => promisify((require('node:zlib') as Zlib).gzip));
const gunzip = lazy(() => promisify((require('node:zlib') as Zlib).gunzip));

/**
 * Largest payload one decompression may produce. Kafka's message.max.bytes defaults to about
 * 1 MiB of compressed bytes; 128 MiB allows ratios above 100:1 yet keeps one hostile batch (a
 * "zip bomb") from exhausting the heap. Callers with a larger configured limit pass their own.
 */
export const DECOMPRESSED_BYTES_MAX = 128 * 1024 * 1024;

/** zstd's own default level: most of the ratio of higher levels at several times the speed. */
const ZSTD_LEVEL = 3;

/**
 * Xerial framing, as written by snappy-java's SnappyOutputStream (the Java client) and
 * kafka-python: an 8-byte magic, int32 version 1, int32 compatible-version 1, then
 * [int32 big-endian length][raw snappy block] repeated.
 */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
const XERIAL_VERSION = 1;
const XERIAL_HEADER = xerialHeader();
/** snappy-java's default block size, so each chunk looks like the ones the Java client writes. */
const XERIAL_BLOCK_BYTES = 32 * 1024;
const XERIAL_CHUNK_LENGTH_BYTES = 4;

const LZ4_FRAME_MAGIC = 0x184d2204;
const LZ4_FRAME_MAGIC_BYTES = 4;
const LZ4_FLG_DICT_ID_BIT = 0x01;
const LZ4_FLG_CONTENT_CHECKSUM_BIT = 0x04;
const LZ4_FLG_CONTENT_SIZE_BIT = 0x08;
const LZ4_FLG_BLOCK_CHECKSUM_BIT = 0x10;
/** Each block opens with a little-endian uint32: the high bit marks a stored block, 0 ends the frame. */
const LZ4_BLOCK_SIZE_BYTES = 4;
const LZ4_BLOCK_SIZE_MASK = 0x7fffffff;
/** Magic (4), FLG (1), BD (1), then the optional 8-byte content size. */
const LZ4_CONTENT_SIZE_AT = 6;

/** A raw snappy block opens with its uncompressed length as a varint of at most 5 bytes. */
const SNAPPY_PREAMBLE_BYTES_MAX = 5;

const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** A codec id outside 0-4; the nearest Kafka error code is UNSUPPORTED_COMPRESSION_TYPE (76). */
export class UnsupportedCompressionError extends Error {
  override name = 'UnsupportedCompressionError';
  readonly code = 'UNSUPPORTED_COMPRESSION_TYPE';

  constructor(readonly codec: number) {
    super(`unsupported compression codec ${codec}; Kafka defines 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd`);
  }
}

/** Compressed bytes that do not decode (or decode past the size limit): CORRUPT_MESSAGE (2). */
export class DecompressionError extends Error {
  override name = 'DecompressionError';
  readonly code = 'CORRUPT_MESSAGE';
}

export function isKnownCodec(codec: number): boolean {
  return Number.isInteger(codec) && codec >= Compression.None && codec <= Compression.Zstd;
}

export function codecName(codec: number): string {
  return isKnownCodec(codec) ? CODEC_NAMES[codec]! : `codec ${codec}`;
}

/** Compresses `data` the way Kafka clients do for `codec`; codec 0 returns `data` itself. */
export async function compress(codec: number, data: Buffer): Promise<Buffer> {
  switch (codec) {
    case Compression.None:
      return data;
    case Compression.Gzip:
      return gzip()(data);
    case Compression.Snappy:
      return xerialEncode(data);
    case Compression.Lz4:
      return lz4().compressFrame(data);
    case Compression.Zstd:
      return zstd().compress(data, ZSTD_LEVEL);
    default:
      throw new UnsupportedCompressionError(codec);
  }
}

/**
 * Reverses `compress`, and also reads raw snappy (librdkafka's choice). Throws
 * UnsupportedCompressionError for an unknown codec and DecompressionError for bytes that do not
 * decode or that would grow past `decompressedBytesMax`.
 */
export async function decompress(
  codec: number,
  data: Buffer,
  decompressedBytesMax = DECOMPRESSED_BYTES_MAX,
): Promise<Buffer> {
  if (!isKnownCodec(codec)) throw new UnsupportedCompressionError(codec);
  assert(
    Number.isInteger(decompressedBytesMax) && decompressedBytesMax >= 0,
    'decompressedBytesMax must be a non-negative integer',
  );
  if (codec === Compression.None) return data;
  let out: Buffer;
  try {
    out = await decompressKnown(codec, data, decompressedBytesMax);
  } catch (err) {
    if (err instanceof DecompressionError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new DecompressionError(`corrupt ${codecName(codec)} data: ${reason}`, { cause: err });
  }
  // LZ4 and zstd frames need not declare their size, so some bombs are only caught here.
  if (out.length > decompressedBytesMax) throw tooLarge(codec, out.length, decompressedBytesMax);
  return out;
}

async function decompressKnown(codec: number, data: Buffer, bytesMax: number): Promise<Buffer> {
  switch (codec) {
    case Compression.Gzip:
      return gunzipBounded(data, bytesMax);
    case Compression.Snappy:
      return isXerialFramed(data) ? xerialDecode(data, bytesMax) : snappyRawDecode(data, bytesMax);
    case Compression.Lz4: {
      checkLz4Frame(data);
      const declaredBytes = lz4DeclaredBytes(data);
      if (declaredBytes !== null && declaredBytes > bytesMax) throw tooLarge(codec, declaredBytes, bytesMax);
      return lz4().decompressFrame(data);
    }
    case Compression.Zstd:
      return zstd().decompress(data);
    default:
      throw new UnsupportedCompressionError(codec);
  }
}

/** zlib stops inflating at the limit instead of allocating whatever the stream asks for. */
async function gunzipBounded(data: Buffer, bytesMax: number): Promise<Buffer> {
  try {
    return await gunzip()(data, { maxOutputLength: Math.max(bytesMax, 1) });
  } catch (err) {
    const code = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
    throw code === 'ERR_BUFFER_TOO_LARGE' ? tooLarge(Compression.Gzip, null, bytesMax) : err;
  }
}

/** `bytes` is left out when the codec stopped at the limit without knowing the full size. */
function tooLarge(codec: number, bytes: number | null, bytesMax: number): DecompressionError {
  const size = bytes === null ? 'more bytes' : `${bytes} bytes`;
  return new DecompressionError(
    `${codecName(codec)} data decompresses to ${size}, more than the ${bytesMax}-byte limit`,
  );
}

function xerialHeader(): Buffer {
  const header = Buffer.alloc(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(XERIAL_VERSION, 8);
  header.writeInt32BE(XERIAL_VERSION, 12);
  return header;
}

function isXerialFramed(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_BYTES && data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC);
}

/**
 * Always at least one chunk: kafka-python only recognises the framing when there are bytes after
 * the 16-byte header, so even empty input gets an (empty) block.
 */
function xerialEncode(data: Buffer): Buffer {
  const parts: Buffer[] = [XERIAL_HEADER];
  let at = 0;
  do {
    const block = snappy().compressSync(data.subarray(at, at + XERIAL_BLOCK_BYTES));
    const blockLength = Buffer.allocUnsafe(XERIAL_CHUNK_LENGTH_BYTES);
    blockLength.writeInt32BE(block.length, 0);
    parts.push(blockLength, block);
    at += XERIAL_BLOCK_BYTES;
  } while (at < data.length);
  return Buffer.concat(parts);
}

function xerialDecode(data: Buffer, bytesMax: number): Buffer {
  const blocks: Buffer[] = [];
  let totalBytes = 0;
  let at = XERIAL_HEADER_BYTES;
  while (at < data.length) {
    if (data.length - at < XERIAL_CHUNK_LENGTH_BYTES) {
      throw new DecompressionError(`xerial snappy chunk length cut off at byte ${at}`);
    }
    const chunkBytes = data.readInt32BE(at);
    at += XERIAL_CHUNK_LENGTH_BYTES;
    if (chunkBytes <= 0 || chunkBytes > data.length - at) {
      throw new DecompressionError(
        `xerial snappy chunk at byte ${at} claims ${chunkBytes} bytes; ${data.length - at} remain`,
      );
    }
    const block = snappyRawDecode(data.subarray(at, at + chunkBytes), bytesMax - totalBytes);
    blocks.push(block);
    totalBytes += block.length;
    at += chunkBytes;
  }
  return Buffer.concat(blocks, totalBytes);
}

/** Checks the block's declared length before decoding so a forged one cannot force a huge allocation. */
function snappyRawDecode(block: Buffer, bytesMax: number): Buffer {
  const declaredBytes = snappyDeclaredBytes(block);
  if (declaredBytes > bytesMax) throw tooLarge(Compression.Snappy, declaredBytes, bytesMax);
  return snappy().uncompressSync(block, { asBuffer: true }) as Buffer;
}

function snappyDeclaredBytes(block: Buffer): number {
  let bytes = 0;
  for (let i = 0; i < SNAPPY_PREAMBLE_BYTES_MAX && i < block.length; i++) {
    const byte = block[i]!;
    bytes += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return bytes;
  }
  throw new DecompressionError('snappy block has no valid length preamble');
}

/**
 * Throws unless `frame` is exactly one LZ4 frame, end mark included. lz4-napi quietly accepts
 * input that is empty or cut at a block boundary, which would lose records without an error.
 */
function checkLz4Frame(frame: Buffer): void {
  if (frame.length < LZ4_FRAME_MAGIC_BYTES || frame.readUInt32LE(0) !== LZ4_FRAME_MAGIC) {
    throw new DecompressionError('lz4 data does not start with the LZ4 frame magic');
  }
  const flg = frame[4] ?? 0;
  const blockChecksumBytes = flg & LZ4_FLG_BLOCK_CHECKSUM_BIT ? 4 : 0;
  // Magic, FLG, BD, optional content size and dictionary id, then the header checksum byte.
  let at = LZ4_CONTENT_SIZE_AT;
  if (flg & LZ4_FLG_CONTENT_SIZE_BIT) at += 8;
  if (flg & LZ4_FLG_DICT_ID_BIT) at += 4;
  at += 1;
  for (;;) {
    if (frame.length - at < LZ4_BLOCK_SIZE_BYTES) {
      throw new DecompressionError('lz4 frame is cut off before its end mark');
    }
    const blockWord = frame.readUInt32LE(at);
    at += LZ4_BLOCK_SIZE_BYTES;
    if (blockWord === 0) break;
    at += (blockWord & LZ4_BLOCK_SIZE_MASK) + blockChecksumBytes;
  }
  if (flg & LZ4_FLG_CONTENT_CHECKSUM_BIT) at += 4;
  if (at > frame.length) throw new DecompressionError('lz4 frame is cut off in its content checksum');
  if (at < frame.length) {
    throw new DecompressionError(`${frame.length - at} unexpected bytes after the lz4 frame`);
  }
}

/** The content size an LZ4 frame declares in its descriptor, or null when it declares none. */
function lz4DeclaredBytes(frame: Buffer): number | null {
  if (frame.length < LZ4_CONTENT_SIZE_AT + 8) return null;
  if ((frame[4]! & LZ4_FLG_CONTENT_SIZE_BIT) === 0) return null;
  return Number(frame.readBigUInt64LE(LZ4_CONTENT_SIZE_AT));
}
