import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBatchInto, controlRecords, wholeBatches } from '../../../src/client/fetch-records.js';
import type { ConsumerMessage } from '../../../src/client/consumer.js';
import { CorruptRecordError, decodeControlRecord, decodeRecordBatches, encodeControlBatch, encodeRecordBatch, type NewRecord } from '../../../src/protocol/records/record-batch.js';
import { ATTRIBUTES, Compression, CRC, TIMESTAMP_TYPE_BIT } from '../../../src/protocol/records/batch-header.js';
import { crc32c } from '../../../src/util/crc32c.js';

async function decodeAll(buf: Buffer, minOffset = 0): Promise<ConsumerMessage[]> {
  const out: ConsumerMessage[] = [];
  for (const b of wholeBatches(buf)) await decodeBatchInto(buf, b, { topic: 't', partition: 3, minOffset }, out);
  return out;
}

/** Records with every shape the wire allows: null and empty keys/values, headers, multi-byte varints. */
function sampleRecords(n: number, base: number): NewRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    key: i % 4 === 0 ? null : i % 4 === 1 ? '' : `key-${i}`,
    value: i % 5 === 0 ? null : Buffer.alloc((i * 37) % 300, i),
    headers: i % 3 === 0 ? [{ key: 'h', value: String(i) }, { key: 'ü', value: null }, { key: '', value: '' }] : undefined,
    // Deltas that are negative, zero and many bytes long.
    timestamp: base + (i % 7 === 0 ? -(i * 100_003) : i * 1_000_000_007),
  }));
}

test('the consumer decoder reads what decodeRecordBatches reads, for every codec', async () => {
  const base = 1_700_000_000_000;
  for (const compression of [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]) {
    const batches = [
      await encodeRecordBatch(sampleRecords(200, base), { baseOffset: 0, compression, timestamp: base }),
      await encodeRecordBatch(sampleRecords(1, base), { baseOffset: 200, compression, timestamp: base }),
      await encodeRecordBatch(sampleRecords(70, base), { baseOffset: 201, compression, timestamp: base }),
    ];
    const buf = Buffer.concat([...batches, batches[0]!.subarray(0, 80)]); // a partial trailing batch
    const expected = (await decodeRecordBatches(buf)).flatMap((b) =>
      b.records.map((r) => ({ offset: b.baseOffset + r.offsetDelta, key: r.key, value: r.value, headers: r.headers, timestamp: b.baseTimestamp + r.timestampDelta })),
    );
    const got = await decodeAll(buf);
    assert.equal(got.length, 271);
    assert.deepEqual(
      got.map((m) => ({ offset: m.offset, key: m.key, value: m.value, headers: m.headers, timestamp: m.timestamp })),
      expected,
      `codec ${compression}`,
    );
    assert.ok(got.every((m) => m.topic === 't' && m.partition === 3 && m.timestampType === 'CreateTime'));
    // Records below minOffset are checked but left out.
    assert.deepEqual((await decodeAll(buf, 150)).map((m) => m.offset), expected.map((e) => e.offset).filter((o) => o >= 150));
  }
});

test('LogAppendTime batches give every record the max timestamp', async () => {
  const batch = await encodeRecordBatch([{ value: 'a', timestamp: 5 }, { value: 'b', timestamp: 9 }], { timestamp: 1 });
  batch.writeInt16BE(batch.readInt16BE(ATTRIBUTES) | TIMESTAMP_TYPE_BIT, ATTRIBUTES);
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES)), CRC);
  const got = await decodeAll(batch);
  assert.deepEqual(got.map((m) => [m.timestamp, m.timestampType]), [[9, 'LogAppendTime'], [9, 'LogAppendTime']]);
});

test('a control batch yields its marker record', async () => {
  const buf = encodeControlBatch({ baseOffset: 4, producerId: 1, producerEpoch: 0, commit: false, coordinatorEpoch: 3, timestamp: 1 });
  const [batch] = wholeBatches(buf);
  const records = await controlRecords(buf, batch!);
  assert.deepEqual(decodeControlRecord(records[0]!), { commit: false, coordinatorEpoch: 3 });
});

test('corrupt bytes are refused as decodeRecordBatches refuses them', async () => {
  const good = await encodeRecordBatch([{ key: 'k', value: 'v' }, { value: 'w' }]);
  const cases: Array<[string, (b: Buffer) => void]> = [
    ['bad CRC', (b) => (b[b.length - 1] ^= 1)],
    ['bad magic', (b) => (b[16] = 1)],
    ['record count too high', (b) => b.writeInt32BE(3, 57)],
    ['record count too low', (b) => b.writeInt32BE(1, 57)],
    ['record length past the end', (b) => (b[61] = 0x7e)],
    ['key length past the record', (b) => (b[65] = 0x3e)],
  ];
  for (const [what, corrupt] of cases) {
    const b = Buffer.from(good);
    corrupt(b);
    if (what !== 'bad CRC') b.writeUInt32BE(crc32c(b.subarray(ATTRIBUTES)), CRC);
    await assert.rejects(decodeRecordBatches(b), CorruptRecordError, `decodeRecordBatches: ${what}`);
    await assert.rejects(decodeAll(b), CorruptRecordError, what);
  }
});
