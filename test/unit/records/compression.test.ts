import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Compression,
  DecompressionError,
  UnsupportedCompressionError,
  compress,
  decompress,
} from '../../../src/protocol/records/index.js';

/** mulberry32: a tiny seeded PRNG so any failure replays from its seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(random: () => number, n: number): Buffer {
  const buf = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) buf[i] = Math.floor(random() * 256);
  return buf;
}

/** Text-like bytes from a small alphabet, so every codec has something to squeeze. */
function compressibleBytes(random: () => number, n: number): Buffer {
  const words = ['kafka', 'topic', 'partition', 'offset', 'record', 'batch', ' ', '\n'];
  const parts: string[] = [];
  let length = 0;
  while (length < n) {
    const word = words[Math.floor(random() * words.length)]!;
    parts.push(word);
    length += word.length;
  }
  return Buffer.from(parts.join(''), 'latin1').subarray(0, n);
}

const CODECS = [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd];
const COMPRESSING_CODECS = CODECS.filter((codec) => codec !== Compression.None);
const SIZES_BYTES = [0, 1, 100 * 1024, 1024 * 1024];

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

function xerialHeader(): Buffer {
  const header = Buffer.alloc(16);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  return header;
}

/** A raw snappy block holding `text` as one literal (lengths up to 60 fit in the tag byte). */
function snappyLiteralBlock(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  assert.ok(bytes.length >= 1 && bytes.length <= 60);
  return Buffer.concat([Buffer.from([bytes.length, (bytes.length - 1) << 2]), bytes]);
}

function xerialChunk(block: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(block.length, 0);
  return Buffer.concat([length, block]);
}

test('every codec round-trips random and compressible data of 0 B, 1 B, 100 KB and 1 MB', async () => {
  const random = seededRandom(1);
  for (const codec of CODECS) {
    for (const sizeBytes of SIZES_BYTES) {
      for (const data of [randomBytes(random, sizeBytes), compressibleBytes(random, sizeBytes)]) {
        const compressed = await compress(codec, data);
        const restored = await decompress(codec, compressed);
        assert.ok(restored.equals(data), `codec ${codec}, ${sizeBytes} bytes`);
      }
    }
  }
});

test('compressing codecs really compress', async () => {
  const data = compressibleBytes(seededRandom(2), 100 * 1024);
  for (const codec of COMPRESSING_CODECS) {
    const compressed = await compress(codec, data);
    assert.ok(compressed.length < data.length / 2, `codec ${codec} gave ${compressed.length} bytes`);
  }
});

test('each codec writes the container format Kafka clients expect', async () => {
  const data = compressibleBytes(seededRandom(3), 100 * 1024);
  const gzip = await compress(Compression.Gzip, data);
  assert.deepEqual([...gzip.subarray(0, 2)], [0x1f, 0x8b]);

  const lz4 = await compress(Compression.Lz4, data);
  assert.equal(lz4.readUInt32LE(0), 0x184d2204, 'LZ4 frame magic');
  const flg = lz4[4]!;
  assert.equal(flg >> 6, 1, 'LZ4 frame version 01');
  assert.ok((flg & 0x20) !== 0, "block independence: Kafka's Java reader rejects dependent blocks");
  const blockSizeId = (lz4[5]! >> 4) & 0x07;
  assert.ok(blockSizeId >= 4 && blockSizeId <= 7, 'a block size id the Java reader accepts');

  const zstd = await compress(Compression.Zstd, data);
  assert.equal(zstd.readUInt32LE(0), 0xfd2fb528, 'zstd frame magic');
});

test('snappy is written with xerial framing: version 1 header, then 32 KiB chunks', async () => {
  const data = randomBytes(seededRandom(4), 100 * 1024);
  const framed = await compress(Compression.Snappy, data);
  assert.ok(framed.subarray(0, 16).equals(xerialHeader()));
  let chunks = 0;
  for (let at = 16; at < framed.length; chunks++) at += 4 + framed.readInt32BE(at);
  assert.equal(chunks, Math.ceil(data.length / (32 * 1024)));

  // kafka-python only detects the framing when bytes follow the header, so empty input gets a chunk.
  const empty = await compress(Compression.Snappy, Buffer.alloc(0));
  assert.ok(empty.length > 16);
  assert.equal((await decompress(Compression.Snappy, empty)).length, 0);
});

test('snappy decodes a hand-built xerial-framed buffer', async () => {
  // Second block: literal "abc" then a copy of 9 bytes from 3 back (tag 0b000_101_01, offset 3).
  const copyBlock = Buffer.from([12, 2 << 2, 0x61, 0x62, 0x63, ((9 - 4) << 2) | 0x01, 3]);
  const framed = Buffer.concat([
    xerialHeader(),
    xerialChunk(snappyLiteralBlock('hello, ')),
    xerialChunk(snappyLiteralBlock('world ')),
    xerialChunk(copyBlock),
  ]);
  const restored = await decompress(Compression.Snappy, framed);
  assert.equal(restored.toString('latin1'), 'hello, world abcabcabcabc');
});

test('snappy also decodes raw blocks, as librdkafka writes them', async () => {
  const restored = await decompress(Compression.Snappy, snappyLiteralBlock('raw snappy from librdkafka'));
  assert.equal(restored.toString('latin1'), 'raw snappy from librdkafka');
});

test('corrupt input rejects with a DecompressionError', async () => {
  const random = seededRandom(5);
  const data = compressibleBytes(random, 200 * 1024);
  for (const codec of COMPRESSING_CODECS) {
    const compressed = await compress(codec, data);
    const bad = [Buffer.alloc(0), randomBytes(random, 64), compressed.subarray(0, compressed.length - 1)];
    for (const input of bad) {
      const what = `codec ${codec}, ${input.length} bytes`;
      await assert.rejects(decompress(codec, input), DecompressionError, what);
    }
  }
  // lz4-napi itself accepts these, so the frame walk in compression.ts must catch them.
  const lz4Frame = await compress(Compression.Lz4, data);
  for (const cut of [4, 7, lz4Frame.length - 4]) {
    const cutFrame = lz4Frame.subarray(0, cut);
    await assert.rejects(decompress(Compression.Lz4, cutFrame), DecompressionError, `lz4 cut at ${cut}`);
  }
  const trailingByte = Buffer.concat([lz4Frame, Buffer.from([1])]);
  await assert.rejects(decompress(Compression.Lz4, trailingByte), /after the lz4 frame/);
  const xerialCutInsideChunk = Buffer.concat([xerialHeader(), xerialChunk(snappyLiteralBlock('abcdef'))]);
  const xerialCut = xerialCutInsideChunk.subarray(0, -2);
  await assert.rejects(decompress(Compression.Snappy, xerialCut), DecompressionError);
});

test('mutated compressed bytes either decode or reject with an Error, never crash', async () => {
  const random = seededRandom(6);
  const data = compressibleBytes(random, 20 * 1024);
  for (const codec of COMPRESSING_CODECS) {
    const compressed = await compress(codec, data);
    for (let trial = 0; trial < 300; trial++) {
      const mutated = Buffer.from(compressed);
      const flips = 1 + Math.floor(random() * 4);
      for (let i = 0; i < flips; i++) {
        mutated[Math.floor(random() * mutated.length)] ^= 1 + Math.floor(random() * 255);
      }
      try {
        await decompress(codec, mutated);
      } catch (err) {
        assert.ok(err instanceof DecompressionError, `codec ${codec} threw ${String(err)}`);
      }
    }
  }
});

test('output larger than the limit is refused, even when a snappy block only claims it', async () => {
  const data = Buffer.alloc(1024 * 1024);
  for (const codec of COMPRESSING_CODECS) {
    const compressed = await compress(codec, data);
    await assert.rejects(decompress(codec, compressed, 1000), /limit/, `codec ${codec}`);
  }
  // A forged preamble claiming 4 GiB must be refused before anything is allocated.
  const forged = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
  await assert.rejects(decompress(Compression.Snappy, forged), /limit/);
});

test('unknown codecs reject with UnsupportedCompressionError', async () => {
  for (const codec of [-1, 5, 6, 7, 1.5]) {
    await assert.rejects(compress(codec, Buffer.from('x')), UnsupportedCompressionError);
    await assert.rejects(decompress(codec, Buffer.from('x')), UnsupportedCompressionError);
  }
});
