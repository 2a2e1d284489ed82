import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Compression } from '../../../src/protocol/records/batch-header.js';
import { validateProducedBatches } from '../../../src/storage/validate.js';
import { batchOf, fixCrc, makeBatch } from './helpers.js';

const MAX = 1 << 20;

describe('validateProducedBatches', () => {
  it('accepts concatenated valid batches and describes each', async () => {
    const a = await batchOf(3);
    const b = await makeBatch([{ value: Buffer.from('x'), timestamp: 5 }], { producerId: 9, producerEpoch: 1, baseSequence: 0 });
    const r = await validateProducedBatches(Buffer.concat([a, b]), MAX);
    assert.equal(r.error, undefined);
    assert.equal(r.batches.length, 2);
    assert.deepEqual(
      r.batches.map((x) => [x.offset, x.size, x.recordsCount, x.lastOffsetDelta]),
      [
        [0, a.length, 3, 2],
        [a.length, b.length, 1, 0],
      ],
    );
    assert.equal(r.batches[1]!.producerId, 9);
    assert.equal(r.batches[1]!.maxTimestamp, 5);
  });

  it('accepts compressed batches after walking the inflated records', async () => {
    for (const codec of [Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]) {
      const batch = await makeBatch(
        Array.from({ length: 20 }, (_, i) => ({ value: Buffer.alloc(100, i) })),
        { compression: codec },
      );
      const r = await validateProducedBatches(batch, MAX);
      assert.equal(r.error, undefined, `codec ${codec}: ${r.error?.message}`);
      assert.equal(r.batches[0]!.compression, codec);
    }
  });

  it('rejects a bad CRC with CORRUPT_MESSAGE', async () => {
    const batch = await batchOf(2);
    batch[batch.length - 1]! ^= 0xff;
    assert.equal((await validateProducedBatches(batch, MAX)).error?.code, 2);
  });

  it('rejects magic 0/1 with UNSUPPORTED_FOR_MESSAGE_FORMAT and others with CORRUPT_MESSAGE', async () => {
    const batch = await batchOf(1);
    batch.writeInt8(1, 16);
    assert.equal((await validateProducedBatches(batch, MAX)).error?.code, 43);
    batch.writeInt8(7, 16);
    assert.equal((await validateProducedBatches(batch, MAX)).error?.code, 2);
  });

  it('rejects truncated batches and trailing bytes with CORRUPT_MESSAGE', async () => {
    const batch = await batchOf(3);
    for (const cut of [1, 11, 12, 30, 60, 61, batch.length - 1]) {
      const r = await validateProducedBatches(batch.subarray(0, cut), MAX);
      assert.equal(r.error?.code, 2, `cut at ${cut}`);
    }
    const trailing = await validateProducedBatches(Buffer.concat([batch, batch.subarray(0, 20)]), MAX);
    assert.equal(trailing.error?.code, 2);
    assert.equal(trailing.batches.length, 1);
    const shortLength = Buffer.from(batch);
    shortLength.writeInt32BE(20, 8);
    assert.equal((await validateProducedBatches(shortLength, MAX)).error?.code, 2);
    assert.equal((await validateProducedBatches(Buffer.alloc(0), MAX)).error?.code, 2);
  });

  it('rejects a batch larger than max.message.bytes with MESSAGE_TOO_LARGE', async () => {
    const batch = await batchOf(10, 200);
    assert.equal((await validateProducedBatches(batch, batch.length - 1)).error?.code, 10);
    assert.equal((await validateProducedBatches(batch, batch.length)).error, undefined);
  });

  it('rejects count mismatches with INVALID_RECORD', async () => {
    const batch = await batchOf(3);
    const wrongDelta = Buffer.from(batch);
    wrongDelta.writeInt32BE(5, 23);
    fixCrc(wrongDelta);
    assert.equal((await validateProducedBatches(wrongDelta, MAX)).error?.code, 87);

    // Header says 4 records (and delta 3) but only 3 are there.
    const tooFew = Buffer.from(batch);
    tooFew.writeInt32BE(4, 57);
    tooFew.writeInt32BE(3, 23);
    fixCrc(tooFew);
    assert.equal((await validateProducedBatches(tooFew, MAX)).error?.code, 87);

    // Header says 2 records: the third is left over.
    const tooMany = Buffer.from(batch);
    tooMany.writeInt32BE(2, 57);
    tooMany.writeInt32BE(1, 23);
    fixCrc(tooMany);
    assert.equal((await validateProducedBatches(tooMany, MAX)).error?.code, 87);

    const zero = Buffer.from(batch);
    zero.writeInt32BE(0, 57);
    zero.writeInt32BE(-1, 23);
    fixCrc(zero);
    assert.equal((await validateProducedBatches(zero, MAX)).error?.code, 87);
  });

  it('rejects a record length that overruns the batch with INVALID_RECORD', async () => {
    const batch = await makeBatch([{ value: Buffer.from('hello') }]);
    batch[61] = 0x7e; // zigzag 63: longer than what follows
    fixCrc(batch);
    assert.equal((await validateProducedBatches(batch, MAX)).error?.code, 87);
  });

  it('rejects a non-zero base offset, control batches and a producer without sequence', async () => {
    const offset = await batchOf(1);
    offset.writeBigInt64BE(5n, 0);
    assert.equal((await validateProducedBatches(offset, MAX)).error?.code, 87);
    const control = await makeBatch([{ value: Buffer.alloc(6) }], { attributes: 0x30, producerId: 1, producerEpoch: 0, baseSequence: 0 });
    assert.equal((await validateProducedBatches(control, MAX)).error?.code, 87);
    assert.equal((await validateProducedBatches(control, MAX, { allowControlBatches: true })).error, undefined);
    const noSeq = await makeBatch([{ value: Buffer.from('v') }], { producerId: 3, producerEpoch: 0, baseSequence: -1 });
    assert.equal((await validateProducedBatches(noSeq, MAX)).error?.code, 87);
  });

  it('rejects compressed bytes that do not inflate with CORRUPT_MESSAGE, an unknown codec with 76', async () => {
    const batch = await makeBatch([{ value: Buffer.alloc(100, 1) }], { compression: Compression.Gzip });
    batch.fill(0x55, 70, 90);
    fixCrc(batch);
    assert.equal((await validateProducedBatches(batch, MAX)).error?.code, 2);
    const unknown = await batchOf(1);
    unknown.writeInt16BE(6, 21);
    fixCrc(unknown);
    assert.equal((await validateProducedBatches(unknown, MAX)).error?.code, 76);
  });
});
