import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Compression, readBatchHeader } from '../../../src/protocol/records/batch-header.js';
import { batchCrcValid, batchSpans, decodeRecordBatches, encodeControlBatch, encodeRecordBatch } from '../../../src/protocol/records/record-batch.js';
import { DEFAULT_LOG_CONFIG, type CompressionType } from '../../../src/storage/config.js';
import { validateForLog, type LogValidatorConfig } from '../../../src/storage/log-validator.js';
import { validateProducedBatches, type ValidatedBatch } from '../../../src/storage/validate.js';
import { ManualClock } from '../../../src/platform/clock.js';
import { openTestLog, withTempDir } from './helpers.js';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;

function config(over: Partial<LogValidatorConfig> = {}): LogValidatorConfig {
  return { ...DEFAULT_LOG_CONFIG, ...over };
}

/** Runs validate.ts then the log validator, as the produce path does. */
async function run(records: Buffer, cfg: LogValidatorConfig) {
  const checked = await validateProducedBatches(records, 1 << 20, { allowControlBatches: true });
  assert.equal(checked.error, undefined, checked.error?.message);
  return validateForLog(records, checked.batches, cfg);
}

/** The produce path never sees control batches (the coordinator writes them); describe them by hand. */
function describeBatches(buf: Buffer): ValidatedBatch[] {
  return [...batchSpans(buf)].map(({ offset, size }) => {
    const h = readBatchHeader(buf, offset);
    return {
      offset, size, recordsCount: h.recordsCount, lastOffsetDelta: h.lastOffsetDelta, baseTimestamp: h.baseTimestamp,
      maxTimestamp: h.maxTimestamp, compression: h.attributes & 7, producerId: h.producerId, producerEpoch: h.producerEpoch,
      baseSequence: h.baseSequence, isTransactional: (h.attributes & 0x10) !== 0, isControl: (h.attributes & 0x20) !== 0,
      logAppendTime: (h.attributes & 0x08) !== 0,
    };
  });
}

const RECORDS = [
  { key: 'k1', value: 'v1', headers: [{ key: 'h', value: 'x' }, { key: 'h', value: null }], timestamp: NOW - 5 },
  { key: null, value: 'no key', timestamp: NOW + 7 },
  { key: 'tomb', value: null, headers: { a: 'b' }, timestamp: NOW - 10 },
];

function view(batch: Awaited<ReturnType<typeof decodeRecordBatches>>[number]) {
  return batch.records.map((r) => ({
    key: r.key?.toString() ?? null,
    value: r.value?.toString() ?? null,
    headers: r.headers.map((h) => [h.key, h.value?.toString() ?? null]),
    timestamp: batch.baseTimestamp + r.timestampDelta,
    offsetDelta: r.offsetDelta,
  }));
}

describe('log validator', () => {
  it('passes the bytes through untouched with the defaults', async () => {
    const records = await encodeRecordBatch(RECORDS, { compression: Compression.Gzip });
    const r = await run(records, config());
    assert.ok(!('error' in r));
    assert.equal(r.records, records);
    assert.equal(r.converted, false);
  });

  for (const [from, to, codec] of [
    [Compression.None, 'gzip', Compression.Gzip],
    [Compression.Gzip, 'uncompressed', Compression.None],
    [Compression.Snappy, 'zstd', Compression.Zstd],
    [Compression.Zstd, 'lz4', Compression.Lz4],
    [Compression.Lz4, 'snappy', Compression.Snappy],
  ] as const) {
    it(`converts codec ${from} to compression.type=${to}, keeping records and producer fields`, async () => {
      const original = await encodeRecordBatch(RECORDS, {
        compression: from, producerId: 42, producerEpoch: 3, baseSequence: 17, transactional: true, partitionLeaderEpoch: 5,
      });
      const r = await run(original, config({ compressionType: to as CompressionType }));
      assert.ok(!('error' in r));
      assert.equal(r.converted, true);
      assert.ok(batchCrcValid(r.records, 0));
      const [before] = await decodeRecordBatches(original);
      const [after] = await decodeRecordBatches(r.records);
      assert.equal(after!.attributes & 7, codec);
      assert.equal(after!.attributes & ~7, before!.attributes & ~7, 'transactional and other bits kept');
      for (const f of ['producerId', 'producerEpoch', 'baseSequence', 'partitionLeaderEpoch', 'lastOffsetDelta', 'maxTimestamp'] as const) {
        assert.equal(after![f], before![f], f);
      }
      assert.deepEqual(view(after!), view(before!));
    });
  }

  it('leaves batches already in the target codec and control batches as they are', async () => {
    const zipped = await encodeRecordBatch(RECORDS, { compression: Compression.Gzip });
    const marker = encodeControlBatch({ producerId: 9, producerEpoch: 1, commit: true, coordinatorEpoch: 2, timestamp: NOW });
    const plain = await encodeRecordBatch([{ value: 'p', timestamp: NOW }]);
    const all = Buffer.concat([zipped, marker, plain]);
    const r = await validateForLog(all, describeBatches(all), config({ compressionType: 'gzip' }));
    assert.ok(!('error' in r));
    const batches = await decodeRecordBatches(r.records);
    assert.equal(batches.length, 3);
    assert.deepEqual(r.records.subarray(0, zipped.length), zipped);
    assert.deepEqual(r.records.subarray(zipped.length, zipped.length + marker.length), marker, 'control batch byte for byte');
    assert.equal(batches[2]!.attributes & 7, Compression.Gzip);
    assert.equal(batches[2]!.records[0]!.value?.toString(), 'p');
  });

  it('a converted batch still gets LogAppendTime from the log append', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, { messageTimestampType: 'LogAppendTime' }, { clock });
      const original = await encodeRecordBatch(RECORDS, { compression: Compression.None });
      const r = await run(original, config({ compressionType: 'zstd', messageTimestampType: 'LogAppendTime' }));
      assert.ok(!('error' in r));
      const appendTimeMs = NOW + HOUR;
      await log.append(r.records, { leaderEpoch: 0, appendTimeMs });
      const read = await log.read(0, 1 << 20);
      const [stored] = await decodeRecordBatches(read.records);
      assert.equal(stored!.attributes & 7, Compression.Zstd);
      assert.ok((stored!.attributes & 0x08) !== 0, 'timestamp type bit says LogAppendTime');
      assert.equal(stored!.maxTimestamp, appendTimeMs);
      assert.ok(batchCrcValid(read.records, 0));
      await log.close();
    }));

  it('refuses a compressed batch whose offset deltas are not 0..n-1 with INVALID_RECORD', async () => {
    // Two one-record batches glued: the second record's offset delta is 0 again.
    const a = await encodeRecordBatch([{ value: 'a', timestamp: NOW }, { value: 'b', timestamp: NOW }], { compression: Compression.Gzip });
    const [decoded] = await decodeRecordBatches(a);
    assert.equal(decoded!.records[1]!.offsetDelta, 1);
    // Re-encode the uncompressed body with a wrong delta by patching the varint of record 1 (zigzag 1 = 2 → 4 = delta 2).
    const plain = await encodeRecordBatch([{ value: 'a', timestamp: NOW }, { value: 'b', timestamp: NOW }]);
    const body = Buffer.from(plain.subarray(61));
    const second = 1 + body[0]! / 2; // skip the first record: its length varint (one byte) and body
    assert.equal(body[second + 3], 2, 'offset delta varint of record 1');
    body[second + 3] = 4;
    const { compress } = await import('../../../src/protocol/records/compression.js');
    const zipped = Buffer.concat([plain.subarray(0, 61), await compress(Compression.Gzip, body)]);
    zipped.writeInt32BE(zipped.length - 12, 8);
    zipped.writeInt16BE(Compression.Gzip, 21);
    const { crc32c } = await import('../../../src/util/crc32c.js');
    zipped.writeUInt32BE(crc32c(zipped.subarray(21)), 17);
    const checked = await validateProducedBatches(zipped, 1 << 20);
    assert.equal(checked.error?.code, 87);
    assert.match(checked.error!.message, /record 1 .*offset delta 2/);
    // Uncompressed with the same gap, converted to a codec: refused too.
    const gapped = Buffer.concat([plain.subarray(0, 61), body]);
    gapped.writeUInt32BE(crc32c(gapped.subarray(21)), 17);
    for (const kept of [config(), config({ compressionType: 'uncompressed', messageTimestampBeforeMaxMs: HOUR })]) {
      const unconverted = await run(gapped, kept);
      assert.ok(!('error' in unconverted), 'uncompressed batches that stay uncompressed are not held to it, as in Kafka');
    }
    const converted = await run(gapped, config({ compressionType: 'snappy' }));
    assert.ok('error' in converted);
    assert.equal(converted.error.code, 87);
  });
});
