import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Compression } from '../../../src/protocol/records/batch-header.js';
import { encodeRecordBatch } from '../../../src/protocol/records/record-batch.js';
import type { RecordRules } from '../../../src/storage/record-rules.js';
import { validateProducedBatches } from '../../../src/storage/validate.js';
import { crc32c } from '../../../src/util/crc32c.js';

const NOW = 1_700_000_000_000;
const MAX = 1 << 20;

const compacted: RecordRules = { topicPartition: 'table-3', requireKeys: true, timestampBounds: null, timestampType: 'CreateTime' };
const bounded = (beforeMaxMs: number, afterMaxMs: number): RecordRules => ({
  topicPartition: 'events-0',
  requireKeys: false,
  timestampBounds: { nowMs: NOW, beforeMaxMs, afterMaxMs },
  timestampType: 'CreateTime',
});

describe('per-record rules (Kafka LogValidator, KIP-467 record errors)', () => {
  for (const compression of [Compression.None, Compression.Zstd]) {
    it(`names every key-less record of a compacted topic's batch (codec ${compression}), with Kafka's texts`, async () => {
      const batch = await encodeRecordBatch(
        [{ key: 'a', value: '1' }, { key: null, value: '2' }, { key: 'c', value: '3' }, { key: null, value: '4' }, { key: null, value: null }, { key: null, value: '6' }],
        { compression, timestamp: NOW },
      );
      const { error } = await validateProducedBatches(batch, MAX, { recordRules: compacted });
      assert.equal(error?.code, 87, 'INVALID_RECORD');
      const why = 'Compacted topic cannot accept message without key in topic partition table-3';
      assert.deepEqual(error.recordErrors, [1, 3, 4, 5].map((batchIndex) => ({ batchIndex, message: why })));
      assert.equal(
        error.message,
        'One or more records have been rejected due to 4 record errors in total, and only showing the first three errors at most: ' +
          `[RecordError(batchIndex=1, message='${why}'), RecordError(batchIndex=3, message='${why}'), RecordError(batchIndex=4, message='${why}')]`,
      );
    });
  }

  it('refuses timestamps outside before/after.max.ms with INVALID_TIMESTAMP and names the records', async () => {
    const batch = await encodeRecordBatch(
      [{ value: 'ok', timestamp: NOW - 5 }, { value: 'old', timestamp: NOW - 11 }, { value: 'ok', timestamp: NOW + 7 }, { value: 'ahead', timestamp: NOW + 8 }],
      { compression: Compression.Lz4 },
    );
    const { error } = await validateProducedBatches(batch, MAX, { recordRules: bounded(10, 7) });
    assert.equal(error?.code, 32, 'INVALID_TIMESTAMP');
    assert.equal(error.message, 'One or more records have been rejected due to invalid timestamp');
    const range = `[${NOW - 10}, ${NOW + 7}]`;
    assert.deepEqual(error.recordErrors, [
      { batchIndex: 1, message: `Timestamp ${NOW - 11} of message with offset 1 is out of range. The timestamp should be within ${range}` },
      { batchIndex: 3, message: `Timestamp ${NOW + 8} of message with offset 3 is out of range. The timestamp should be within ${range}` },
    ]);
    assert.equal((await validateProducedBatches(batch, MAX, { recordRules: bounded(11, 8) })).error, undefined, 'inside the bounds');
  });

  it('a batch with both kinds answers INVALID_TIMESTAMP; each record gets one error, the key first', async () => {
    const rules: RecordRules = { ...bounded(0, 0), requireKeys: true, topicPartition: 'mixed-1' };
    const batch = await encodeRecordBatch([{ key: 'k', value: 'v', timestamp: NOW }, { key: null, value: 'v', timestamp: NOW - 1 }, { key: 'k', value: 'v', timestamp: NOW + 1 }]);
    const { error } = await validateProducedBatches(batch, MAX, { recordRules: rules });
    assert.equal(error?.code, 32);
    assert.deepEqual(error.recordErrors?.map((e) => [e.batchIndex, e.message.slice(0, 20)]), [[1, 'Compacted topic cann'], [2, `Timestamp ${NOW + 1}`.slice(0, 20)]]);
  });

  it('a record without a timestamp (-1) escapes the bounds, as in Kafka', async () => {
    const batch = await encodeRecordBatch([{ value: 'x', timestamp: -1 }]);
    assert.equal((await validateProducedBatches(batch, MAX, { recordRules: bounded(0, 0) })).error, undefined);
  });

  it('without rules a key-less, ancient record passes', async () => {
    const keyless = await encodeRecordBatch([{ key: null, value: 'v', timestamp: 0 }]);
    assert.equal((await validateProducedBatches(keyless, MAX)).error, undefined);
  });

  it('only the first failing batch is reported, its records indexed from 0', async () => {
    const good = await encodeRecordBatch([{ key: 'a', value: '1' }, { key: 'b', value: '2' }]);
    const bad = await encodeRecordBatch([{ key: 'c', value: '3' }, { key: null, value: '4' }]);
    const worse = await encodeRecordBatch([{ key: null, value: '5' }]);
    const r = await validateProducedBatches(Buffer.concat([good, bad, worse]), MAX, { recordRules: compacted });
    assert.deepEqual(r.error?.recordErrors?.map((e) => e.batchIndex), [1]);
    assert.equal(r.batches.length, 1, 'the batches before it passed');
  });

  it('a batch the producer marked LogAppendTime is refused on a LogAppendTime topic, and on a CreateTime one without a timestamp', async () => {
    const marked = async (timestamp: number) => {
      const batch = await encodeRecordBatch([{ key: 'k', value: 'vv', timestamp }, { key: null, value: null, timestamp }]);
      batch.writeInt16BE(batch.readInt16BE(21) | 0x08, 21);
      batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
      return batch;
    };
    const appendTime: RecordRules = { topicPartition: 'stamped-0', requireKeys: false, timestampBounds: null, timestampType: 'LogAppendTime' };
    const refused = await validateProducedBatches(await marked(NOW), MAX, { recordRules: appendTime });
    assert.equal(refused.error?.code, 32, 'INVALID_TIMESTAMP');
    assert.deepEqual(refused.error.recordErrors, [
      { batchIndex: 0, message: `Invalid timestamp type in message DefaultRecord(offset=0, timestamp=${NOW}, key=1 bytes, value=2 bytes). Producer should not set timestamp type to LogAppendTime.` },
      { batchIndex: 1, message: `Invalid timestamp type in message DefaultRecord(offset=1, timestamp=${NOW}, key=0 bytes, value=0 bytes). Producer should not set timestamp type to LogAppendTime.` },
    ]);
    const createTime: RecordRules = { ...appendTime, timestampType: 'CreateTime' };
    assert.equal((await validateProducedBatches(await marked(NOW), MAX, { recordRules: createTime })).error, undefined, 'a CreateTime topic takes it, as Kafka does');
    assert.deepEqual((await validateProducedBatches(await marked(-1), MAX, { recordRules: createTime })).error?.recordErrors?.map((e) => e.batchIndex), [0, 1]);
    const plain = await encodeRecordBatch([{ value: 'v', timestamp: NOW }]);
    assert.equal((await validateProducedBatches(plain, MAX, { recordRules: appendTime })).error, undefined, 'CreateTime batches are stamped later');
  });
});
