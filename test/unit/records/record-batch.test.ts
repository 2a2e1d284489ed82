import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ATTRIBUTES,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH,
  COMPRESSION_MASK,
  CONTROL_BIT,
  CRC,
  Compression,
  CorruptRecordError,
  LOG_OVERHEAD,
  MAGIC,
  PARTITION_LEADER_EPOCH,
  TRANSACTIONAL_BIT,
  UnsupportedCompressionError,
  batchCrcValid,
  batchSpans,
  decodeControlRecord,
  decodeRecordBatches,
  encodeControlBatch,
  encodeRecordBatch,
  readInt64,
  writeInt64,
  type EncodeBatchOptions,
  type NewRecord,
  type Record as KafkaRecord,
  type RecordBatch,
} from '../../../src/protocol/records/index.js';
import { crc32c } from '../../../src/util/crc32c.js';

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

class Gen {
  constructor(readonly random: () => number) {}

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.random() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  bytes(n: number): Buffer {
    const buf = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) buf[i] = this.int(0, 255);
    return buf;
  }

  /** Null, empty, a short string, random bytes, or now and then a value big enough to span chunks. */
  blob(): Buffer | string | null {
    const kind = this.int(0, 9);
    if (kind === 0) return null;
    if (kind === 1) return Buffer.alloc(0);
    if (kind === 2) return '';
    if (kind === 3) return `text-${this.int(0, 1e6)}-ünïcödé`;
    if (kind === 4 && this.chance(0.2)) return this.bytes(this.int(30_000, 70_000));
    return this.bytes(this.int(1, 300));
  }
}

/** Batches up to this size get every covered byte flipped in the CRC test. */
const SWEEP_BATCH_BYTES_MAX = 8 * 1024;
const CODECS = [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd];

interface Sample {
  records: NewRecord[];
  opts: EncodeBatchOptions & { compression: number; timestamp: number };
}

function randomSample(gen: Gen, codec: number): Sample {
  const batchTimestampMs = gen.int(1_000_000_000_000, 2_000_000_000_000);
  const records: NewRecord[] = [];
  const count = gen.int(1, 25);
  for (let i = 0; i < count; i++) {
    const record: NewRecord = { key: gen.blob(), value: gen.blob() };
    if (gen.chance(0.7)) record.timestamp = batchTimestampMs + gen.int(-1_000_000, 1_000_000);
    if (gen.chance(0.3)) {
      record.headers = { [`h${gen.int(0, 9)}`]: gen.blob(), trace: gen.blob() };
    } else if (gen.chance(0.5)) {
      record.headers = Array.from({ length: gen.int(0, 4) }, () => ({
        key: gen.chance(0.1) ? '' : `k${gen.int(0, 3)}`,
        value: gen.blob(),
      }));
    }
    records.push(record);
  }
  return {
    records,
    opts: {
      compression: codec,
      timestamp: batchTimestampMs,
      baseOffset: gen.int(0, 2 ** 50),
      partitionLeaderEpoch: gen.int(-1, 1000),
      producerId: gen.chance(0.5) ? -1 : gen.int(0, 2 ** 40),
      producerEpoch: gen.int(-1, 32767),
      baseSequence: gen.int(-1, 2 ** 31 - 1),
      transactional: gen.chance(0.3),
    },
  };
}

function toBuffer(v: Buffer | string | null | undefined): Buffer | null {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

function headerPairs(headers: NewRecord['headers']): Array<readonly [string, Buffer | string | null]> {
  if (headers === undefined) return [];
  return Array.isArray(headers) ? headers.map((h) => [h.key, h.value] as const) : Object.entries(headers);
}

/** What decode must give back for `sample`: every default filled in, strings as UTF-8 bytes. */
function expectedBatch(sample: Sample): RecordBatch {
  const { records, opts } = sample;
  const timestamps = records.map((r) => r.timestamp ?? opts.timestamp);
  const baseTimestamp = timestamps[0]!;
  const decoded: KafkaRecord[] = records.map((r, i) => ({
    attributes: 0,
    timestampDelta: timestamps[i]! - baseTimestamp,
    offsetDelta: i,
    key: toBuffer(r.key),
    value: toBuffer(r.value),
    headers: headerPairs(r.headers).map(([key, value]) => ({ key, value: toBuffer(value) })),
  }));
  return {
    baseOffset: opts.baseOffset!,
    partitionLeaderEpoch: opts.partitionLeaderEpoch!,
    attributes: opts.compression | (opts.transactional ? TRANSACTIONAL_BIT : 0),
    lastOffsetDelta: records.length - 1,
    baseTimestamp,
    maxTimestamp: Math.max(...timestamps),
    producerId: opts.producerId!,
    producerEpoch: opts.producerEpoch!,
    baseSequence: opts.baseSequence!,
    records: decoded,
  };
}

/** Recomputes the CRC after a test changed covered bytes on purpose. */
function reseal(batch: Buffer): void {
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES)), CRC);
}

async function encodeSamples(seed: number, n: number): Promise<Array<{ sample: Sample; batch: Buffer }>> {
  const gen = new Gen(seededRandom(seed));
  const out: Array<{ sample: Sample; batch: Buffer }> = [];
  for (let i = 0; i < n; i++) {
    const sample = randomSample(gen, CODECS[i % CODECS.length]!);
    out.push({ sample, batch: await encodeRecordBatch(sample.records, sample.opts) });
  }
  return out;
}

test('200 random batches round-trip through encode and decode with every codec', async () => {
  for (const { sample, batch } of await encodeSamples(100, 200)) {
    assert.equal(batch.readInt32BE(BATCH_LENGTH), batch.length - LOG_OVERHEAD);
    const decoded = await decodeRecordBatches(batch);
    assert.equal(decoded.length, 1);
    assert.deepStrictEqual(decoded[0], expectedBatch(sample));
  }
});

test('the CRC holds after encode and breaks when any covered byte changes', async () => {
  const gen = new Gen(seededRandom(200));
  const samples = await encodeSamples(201, 200);
  const codecsSwept = new Set<number>();
  for (const [index, { sample, batch }] of samples.entries()) {
    assert.ok(batchCrcValid(batch, 0));
    // Every covered byte of the smaller batches (sweeping a big one costs seconds); 20 for the rest.
    const sweep = batch.length <= SWEEP_BATCH_BYTES_MAX;
    if (sweep) codecsSwept.add(sample.opts.compression);
    const positions = sweep
      ? Array.from({ length: batch.length - ATTRIBUTES }, (_, i) => ATTRIBUTES + i)
      : Array.from({ length: 20 }, () => gen.int(ATTRIBUTES, batch.length - 1));
    for (const at of positions) {
      const original = batch[at]!;
      batch[at] = original ^ gen.int(1, 255);
      assert.equal(batchCrcValid(batch, 0), false, `byte ${at} of batch ${index}`);
      batch[at] = original;
    }
    assert.ok(batchCrcValid(batch, 0), `batch ${index} restored`);
  }
  assert.equal(codecsSwept.size, CODECS.length, 'every codec had at least one batch swept byte by byte');
  const { batch } = samples[0]!;
  batch[batch.length - 1] ^= 0xff;
  const isCrcError = (err: unknown): boolean => err instanceof CorruptRecordError && /CRC/.test(err.message);
  await assert.rejects(decodeRecordBatches(batch), isCrcError);
});

test('patching baseOffset and partitionLeaderEpoch in place keeps the CRC valid', async () => {
  for (const { sample, batch } of await encodeSamples(300, 25)) {
    writeInt64(batch, 0, 2 ** 52 + 12345);
    batch.writeInt32BE(77, PARTITION_LEADER_EPOCH);
    assert.ok(batchCrcValid(batch, 0));
    const [decoded] = await decodeRecordBatches(batch);
    const expected = { ...expectedBatch(sample), baseOffset: 2 ** 52 + 12345, partitionLeaderEpoch: 77 };
    assert.deepStrictEqual(decoded, expected);
    assert.equal(readInt64(batch, 0), 2 ** 52 + 12345);
  }
});

test('batchSpans over concatenated batches and a truncated tail yields only the whole batches', async () => {
  const encoded = await encodeSamples(400, 6);
  const whole = encoded.slice(0, 5).map((e) => e.batch);
  const tail = encoded[5]!.batch;
  const expectedSpans: Array<{ offset: number; size: number }> = [];
  let offset = 0;
  for (const batch of whole) {
    expectedSpans.push({ offset, size: batch.length });
    offset += batch.length;
  }
  // Nothing, inside the length field, inside the header, just past it, one byte short.
  const cuts = [0, 1, 11, 12, 13, BATCH_HEADER_BYTES - 1, BATCH_HEADER_BYTES, BATCH_HEADER_BYTES + 1, tail.length - 1];
  for (const cut of cuts) {
    const buf = Buffer.concat([...whole, tail.subarray(0, cut)]);
    assert.deepStrictEqual([...batchSpans(buf)], expectedSpans, `tail cut at ${cut}`);
    const decoded = await decodeRecordBatches(buf);
    assert.deepStrictEqual(decoded, encoded.slice(0, 5).map((e) => expectedBatch(e.sample)));
  }
  const all = Buffer.concat([...whole, tail]);
  assert.equal([...batchSpans(all)].length, 6);
  for (const span of batchSpans(all)) assert.ok(batchCrcValid(all, span.offset));
});

test('batchSpans rejects a length field too small for a v2 header', () => {
  const buf = Buffer.alloc(100);
  buf.writeInt32BE(-5, BATCH_LENGTH);
  assert.throws(() => [...batchSpans(buf)], CorruptRecordError);
  buf.writeInt32BE(BATCH_HEADER_BYTES - LOG_OVERHEAD - 1, BATCH_LENGTH);
  assert.throws(() => [...batchSpans(buf)], CorruptRecordError);
});

test('a control batch carries the control and transactional bits and the marker record', async () => {
  for (const commit of [true, false]) {
    const batch = encodeControlBatch({
      baseOffset: 42,
      producerId: 9001,
      producerEpoch: 3,
      commit,
      coordinatorEpoch: 17,
      timestamp: 1_700_000_000_000,
    });
    assert.ok(batchCrcValid(batch, 0));
    const [decoded] = await decodeRecordBatches(batch);
    assert.ok(decoded);
    assert.equal(decoded.attributes & CONTROL_BIT, CONTROL_BIT);
    assert.equal(decoded.attributes & TRANSACTIONAL_BIT, TRANSACTIONAL_BIT);
    assert.equal(decoded.attributes & COMPRESSION_MASK, Compression.None);
    assert.equal(decoded.baseOffset, 42);
    assert.equal(decoded.producerId, 9001);
    assert.equal(decoded.producerEpoch, 3);
    assert.equal(decoded.baseSequence, -1);
    assert.equal(decoded.lastOffsetDelta, 0);
    assert.equal(decoded.baseTimestamp, 1_700_000_000_000);
    assert.equal(decoded.maxTimestamp, 1_700_000_000_000);
    assert.equal(decoded.records.length, 1);
    const [record] = decoded.records;
    assert.deepStrictEqual(record!.key, Buffer.from([0, 0, 0, commit ? 1 : 0]));
    assert.deepStrictEqual(record!.value, Buffer.from([0, 0, 0, 0, 0, 17]));
    assert.deepStrictEqual(decodeControlRecord(record!), { commit, coordinatorEpoch: 17 });
  }
});

test('decode rejects an unknown codec, a magic other than 2 and an empty batch request', async () => {
  const batch = await encodeRecordBatch([{ value: 'x' }], { timestamp: 1 });
  const unknownCodec = Buffer.from(batch);
  unknownCodec.writeInt16BE(5, ATTRIBUTES);
  reseal(unknownCodec);
  await assert.rejects(decodeRecordBatches(unknownCodec), UnsupportedCompressionError);

  const oldMagic = Buffer.from(batch);
  oldMagic.writeInt8(1, MAGIC);
  await assert.rejects(decodeRecordBatches(oldMagic), CorruptRecordError);

  await assert.rejects(encodeRecordBatch([{ value: 'x' }], { compression: 6 }), UnsupportedCompressionError);
  await assert.rejects(encodeRecordBatch([]), /at least one record/);
});

test('decoding random or mangled bytes only ever throws an Error', { timeout: 120_000 }, async () => {
  const gen = new Gen(seededRandom(500));
  const outcomes = { decoded: 0, errors: 0 };
  const expectFailureOrBatches = async (buf: Buffer, what: string): Promise<void> => {
    try {
      const batches = await decodeRecordBatches(buf);
      assert.ok(Array.isArray(batches));
    } catch (err) {
      assert.ok(err instanceof Error, `${what}: threw a non-Error ${String(err)}`);
      // Only the two documented kinds, so callers can map every failure to a Kafka error code.
      const documented = err instanceof CorruptRecordError || err instanceof UnsupportedCompressionError;
      assert.ok(documented, `${what}: ${err.stack}`);
      outcomes.errors++;
      return;
    }
    outcomes.decoded++;
  };

  // Plain random bytes: mostly stopped by framing, magic or CRC.
  for (let i = 0; i < 2000; i++) await expectFailureOrBatches(gen.bytes(gen.int(0, 400)), `random ${i}`);

  // Random bytes behind a plausible, correctly sealed header reach the record and codec decoders.
  for (let i = 0; i < 2000; i++) {
    const buf = gen.bytes(gen.int(BATCH_HEADER_BYTES, 400));
    buf.writeInt32BE(buf.length - LOG_OVERHEAD, BATCH_LENGTH);
    buf.writeInt8(2, MAGIC);
    buf.writeInt16BE(gen.int(0, 7) | (gen.int(0, 7) << 3), ATTRIBUTES);
    buf.writeInt32BE(gen.int(-2, 40), BATCH_HEADER_BYTES - 4);
    reseal(buf);
    await expectFailureOrBatches(buf, `sealed random ${i}`);
  }

  // Real batches with a few bytes changed after the header, resealed so the damage is seen.
  for (const { batch } of await encodeSamples(501, 100)) {
    for (let trial = 0; trial < 20; trial++) {
      const mangled = Buffer.from(batch);
      const flips = gen.int(1, 4);
      for (let f = 0; f < flips; f++) mangled[gen.int(ATTRIBUTES + 2, mangled.length - 1)] ^= gen.int(1, 255);
      reseal(mangled);
      await expectFailureOrBatches(mangled, `mangled trial ${trial}`);
    }
  }
  // Both paths must have been exercised, or the fuzzing proves little.
  assert.ok(outcomes.decoded > 0 && outcomes.errors > 0, JSON.stringify(outcomes));
});
