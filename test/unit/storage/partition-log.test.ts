import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Compression } from '../../../src/protocol/records/batch-header.js';
import { ManualClock } from '../../../src/platform/clock.js';
import { StorageError } from '../../../src/storage/errors.js';
import { FaultyDisk, batchOf, batchesIn, makeBatch, openTestLog, withTempDir } from './helpers.js';

describe('PartitionLog append and read', () => {
  it('round-trips across several segment rolls', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir, { segmentBytes: 1024, indexIntervalBytes: 100 });
      const results = [];
      for (let i = 0; i < 40; i++) results.push(await log.append(await batchOf(3, 40), { leaderEpoch: 7 }));
      assert.deepEqual(
        results.map((r) => r.baseOffset),
        Array.from({ length: 40 }, (_, i) => i * 3),
      );
      assert.equal(log.logEndOffset, 120);
      assert.equal(log.highWatermark, 120);
      assert.ok(log.segmentCount > 5, `expected several segments, got ${log.segmentCount}`);
      const files = (await readdir(join(dir, 'topic-0'))).filter((f) => f.endsWith('.log'));
      assert.equal(files.length, log.segmentCount);
      assert.ok(files.every((f) => /^\d{20}\.log$/.test(f)));

      // Read everything back, a fetch at a time.
      const seen: number[] = [];
      let next = 0;
      while (next < log.logEndOffset) {
        const r = await log.read(next, 300);
        const batches = batchesIn(r.records);
        assert.ok(batches.length > 0);
        for (const b of batches) {
          assert.ok(b.lastOffset >= next);
          for (let o = Math.max(b.baseOffset, next); o <= b.lastOffset; o++) seen.push(o);
          assert.equal(r.records.readInt32BE(12), 7, 'leader epoch patched');
        }
        next = batches[batches.length - 1]!.lastOffset + 1;
      }
      assert.deepEqual(seen, Array.from({ length: 120 }, (_, i) => i));
      await log.close();
    }));

  it('reading from the middle returns the batch holding the offset', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir, { indexIntervalBytes: 50 });
      for (let i = 0; i < 20; i++) await log.append(await batchOf(5), { leaderEpoch: 0 });
      for (const target of [0, 1, 4, 5, 33, 57, 99]) {
        const r = await log.read(target, 1);
        const [first] = batchesIn(r.records);
        assert.ok(first !== undefined);
        assert.ok(first.baseOffset <= target && target <= first.lastOffset, `offset ${target} in ${first.baseOffset}..${first.lastOffset}`);
        assert.equal(first.baseOffset, target - (target % 5));
      }
      await log.close();
    }));

  it('minOneBatch returns a batch larger than maxBytes; without it nothing', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      await log.append(await batchOf(2, 5000), { leaderEpoch: 0 });
      await log.append(await batchOf(2, 10), { leaderEpoch: 0 });
      const big = await log.read(0, 100);
      assert.equal(batchesIn(big.records).length, 1);
      assert.ok(big.records.length > 10000);
      const none = await log.read(0, 100, { minOneBatch: false });
      assert.equal(none.records.length, 0);
      const both = await log.read(0, 1 << 20);
      assert.equal(batchesIn(both.records).length, 2);
      await log.close();
    }));

  it('returns only whole batches within maxBytes', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      for (let i = 0; i < 10; i++) await log.append(await batchOf(1, 100), { leaderEpoch: 0 });
      const one = batchesIn((await log.read(0, 1 << 20)).records)[0]!.size;
      const r = await log.read(0, one * 3 + one / 2);
      assert.equal(batchesIn(r.records).length, 3);
      assert.equal(r.records.length, one * 3);
      await log.close();
    }));

  it('stops before maxOffset', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      for (let i = 0; i < 10; i++) await log.append(await batchOf(2), { leaderEpoch: 0 });
      const r = await log.read(0, 1 << 20, { maxOffset: 6 });
      assert.deepEqual(batchesIn(r.records).map((b) => b.baseOffset), [0, 2, 4]);
      assert.equal((await log.read(6, 1 << 20, { maxOffset: 6 })).records.length, 0);
      await log.close();
    }));

  it('reading at the log end is empty; outside the log is OFFSET_OUT_OF_RANGE', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      assert.equal((await log.read(0, 100)).records.length, 0);
      await log.append(await batchOf(3), { leaderEpoch: 0 });
      assert.equal((await log.read(3, 100)).records.length, 0);
      await assert.rejects(log.read(4, 100), (e: unknown) => e instanceof StorageError && e.code === 1);
      await assert.rejects(log.read(-1, 100), (e: unknown) => e instanceof StorageError && e.code === 1);
      await log.deleteRecordsBefore(2);
      await assert.rejects(log.read(1, 100), (e: unknown) => e instanceof StorageError && e.code === 1);
      const r = await log.read(2, 100);
      assert.equal(r.logStartOffset, 2);
      assert.equal(batchesIn(r.records)[0]!.baseOffset, 0, 'the batch holding offset 2 starts at 0');
      await log.close();
    }));

  it('concurrent appends get dense, ordered offsets and share writes', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir, { segmentBytes: 20_000 });
      const batches = await Promise.all(Array.from({ length: 200 }, (_, i) => batchOf(1 + (i % 4))));
      const results = await Promise.all(batches.map((b) => log.append(b, { leaderEpoch: 0 })));
      let expected = 0;
      for (let i = 0; i < results.length; i++) {
        assert.equal(results[i]!.baseOffset, expected);
        expected += 1 + (i % 4);
        assert.equal(results[i]!.lastOffset, expected - 1);
      }
      assert.equal(log.logEndOffset, expected);
      assert.ok(log.stats.writes < log.stats.appends, `${log.stats.writes} writes for ${log.stats.appends} appends`);
      const all = [];
      let next = 0;
      while (next < expected) {
        const got = batchesIn((await log.read(next, 1 << 20)).records);
        all.push(...got);
        next = got[got.length - 1]!.lastOffset + 1;
      }
      for (let i = 1; i < all.length; i++) assert.equal(all[i]!.baseOffset, all[i - 1]!.lastOffset + 1);
      await log.close();
    }));

  it('a read waits for appends still queued for the disk', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      const pending = log.append(await batchOf(4), { leaderEpoch: 0 });
      assert.equal(log.logEndOffset, 4, 'offsets are assigned synchronously');
      const r = await log.read(0, 1 << 20);
      assert.deepEqual(batchesIn(r.records).map((b) => b.lastOffset), [3]);
      await pending;
      await log.close();
    }));

  it('keeps everything across a clean close and reopen', () =>
    withTempDir(async (dir) => {
      let log = await openTestLog(dir, { segmentBytes: 2000, indexIntervalBytes: 200 });
      for (let i = 0; i < 30; i++) await log.append(await batchOf(2, 50), { leaderEpoch: 1 });
      const before = (await log.read(0, 1 << 20)).records;
      const segments = log.segmentBaseOffsets;
      await log.close();
      const names = await readdir(join(dir, 'topic-0'));
      assert.ok(names.includes('.clean-shutdown'));
      for (const name of names.filter((n) => n.endsWith('.index'))) {
        assert.equal((await stat(join(dir, 'topic-0', name))).size % 8, 0);
      }
      for (const name of names.filter((n) => n.endsWith('.timeindex'))) {
        assert.equal((await stat(join(dir, 'topic-0', name))).size % 12, 0);
      }
      log = await openTestLog(dir, { segmentBytes: 2000, indexIntervalBytes: 200 });
      assert.equal(log.stats.recoveredTruncatedBytes, 0);
      assert.equal(log.logEndOffset, 60);
      assert.deepEqual(log.segmentBaseOffsets, segments);
      assert.deepEqual((await log.read(0, 1 << 20)).records, before);
      const r = await log.append(await batchOf(1), { leaderEpoch: 1 });
      assert.equal(r.baseOffset, 60);
      await log.close();
    }));

  it('writes Kafka index entries that point at batch starts', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir, { indexIntervalBytes: 256 });
      for (let i = 0; i < 50; i++) await log.append(await batchOf(3, 30), { leaderEpoch: 0 });
      await log.close();
      const base = join(dir, 'topic-0', '00000000000000000000');
      const index = await readFile(base + '.index');
      const data = await readFile(base + '.log');
      assert.ok(index.length >= 8 * 5);
      for (let i = 0; i < index.length; i += 8) {
        const relative = index.readInt32BE(i);
        const position = index.readInt32BE(i + 4);
        const [b] = batchesIn(data.subarray(position, position + 12 + data.readInt32BE(position + 8)));
        assert.equal(b!.lastOffset, relative, 'an entry maps a batch last offset to its start');
      }
      const times = await readFile(base + '.timeindex');
      assert.equal(times.length % 12, 0);
      assert.ok(times.length >= 12);
    }));

  it('stamps LogAppendTime and recomputes the CRC', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, { messageTimestampType: 'LogAppendTime' }, { clock });
      const r = await log.append(await batchOf(2), { leaderEpoch: 0, appendTimeMs: 1234567 });
      assert.equal(r.logAppendTimeMs, 1234567);
      const records = (await log.read(0, 1 << 20)).records;
      assert.equal(batchesIn(records)[0]!.maxTimestamp, 1234567);
      assert.equal(records.readInt16BE(21) & 0x08, 0x08);
      const { validateProducedBatches } = await import('../../../src/storage/validate.js');
      const copy = Buffer.from(records);
      copy.writeBigInt64BE(0n, 0);
      assert.equal((await validateProducedBatches(copy, 1 << 20)).error, undefined, 'CRC still valid');
      await log.close();
    }));

  it('flush.messages=1 fdatasyncs before acknowledging, once per group', () =>
    withTempDir(async (dir) => {
      // The disk counts the fdatasyncs that reach the file, not the log's own tally.
      const disk = new FaultyDisk();
      const log = await openTestLog(dir, { flushIntervalMessages: 1 }, { openFile: disk.open });
      await log.append(await batchOf(1), { leaderEpoch: 0 });
      assert.equal(disk.syncs, 1, 'the first append was synced before it resolved');
      const batches = await Promise.all(Array.from({ length: 50 }, () => batchOf(1)));
      await Promise.all(batches.map((b) => log.append(b, { leaderEpoch: 0 })));
      assert.ok(disk.syncs >= 2 && disk.syncs < 51, `fdatasyncs ${disk.syncs}`);
      assert.equal(log.stats.flushes, log.stats.writes);
      assert.equal(disk.syncs, log.stats.flushes);
      await log.close();
    }));

  it('without a flush policy appends do not fdatasync', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      for (let i = 0; i < 5; i++) await log.append(await batchOf(1), { leaderEpoch: 0 });
      assert.equal(log.stats.flushes, 0);
      await log.flush();
      assert.equal(log.stats.flushes, 1);
      await log.close();
    }));

  it('flush.ms flushes in the background', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, { flushIntervalMs: 1000 }, { clock });
      await log.append(await batchOf(1), { leaderEpoch: 0 });
      assert.equal(log.stats.flushes, 0);
      clock.advance(1000);
      await log.flush(); // queued behind the timer's flush
      assert.ok(log.stats.flushes >= 1);
      await log.close();
    }));

  it('rolls a segment when segment.ms has passed', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, { segmentMs: 60_000 }, { clock });
      await log.append(await batchOf(1), { leaderEpoch: 0 });
      clock.advance(30_000);
      await log.append(await batchOf(1), { leaderEpoch: 0 });
      assert.equal(log.segmentCount, 1);
      clock.advance(30_000);
      await log.append(await batchOf(1), { leaderEpoch: 0 });
      assert.deepEqual(log.segmentBaseOffsets, [0, 2]);
      await log.close();
    }));

  it('rolls when the offset index is full', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir, { segmentIndexBytes: 24, indexIntervalBytes: 0 });
      for (let i = 0; i < 10; i++) await log.append(await batchOf(1), { leaderEpoch: 0 });
      assert.ok(log.segmentCount >= 2);
      assert.equal(log.logEndOffset, 10);
      await log.close();
    }));

  it('offsetForTimestamp finds the first record at or after a time', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir, { segmentBytes: 600, indexIntervalBytes: 100 });
      // Records at t = 1000, 1010, 1020, ... one batch of 3 per append.
      for (let i = 0; i < 30; i++) {
        const base = 1000 + i * 30;
        await log.append(await makeBatch([{ timestamp: base }, { timestamp: base + 10 }, { timestamp: base + 20 }]), { leaderEpoch: 0 });
      }
      assert.ok(log.segmentCount > 3);
      assert.deepEqual(await log.offsetForTimestamp(0), { offset: 0, timestamp: 1000 });
      assert.deepEqual(await log.offsetForTimestamp(1000), { offset: 0, timestamp: 1000 });
      assert.deepEqual(await log.offsetForTimestamp(1001), { offset: 1, timestamp: 1010 });
      assert.deepEqual(await log.offsetForTimestamp(1455), { offset: 46, timestamp: 1460 });
      assert.deepEqual(await log.offsetForTimestamp(1890), { offset: 89, timestamp: 1890 });
      assert.equal(await log.offsetForTimestamp(1891), null);
      assert.deepEqual(await log.maxTimestampOffset(), { offset: 89, timestamp: 1890 });
      await log.close();
    }));

  it('offsetForTimestamp decodes a compressed batch to find the record', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      const records = Array.from({ length: 10 }, (_, i) => ({ value: Buffer.alloc(50, i), timestamp: 5000 + i * 100 }));
      await log.append(await makeBatch(records, { compression: Compression.Zstd }), { leaderEpoch: 0 });
      assert.deepEqual(await log.offsetForTimestamp(5250), { offset: 3, timestamp: 5300 });
      assert.deepEqual(await log.maxTimestampOffset(), { offset: 9, timestamp: 5900 });
      await log.close();
    }));

  it('a flush queued just as an append resolves still runs', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      for (let i = 0; i < 3; i++) {
        await log.append(await batchOf(1), { leaderEpoch: 0 });
        await log.flush();
      }
      assert.equal(log.stats.flushes, 3);
      await log.close();
    }));

  it('maxTimestampOffset answers the record with the largest timestamp, not its batch\'s last offset (KAFKA-16310)', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir, { segmentBytes: 400, indexIntervalBytes: 50 });
      for (const compression of [Compression.None, Compression.Gzip]) {
        // The newest record sits in the middle of its batch.
        await log.append(await makeBatch([{ timestamp: 100 }, { timestamp: 900 }, { timestamp: 300 }], { compression }), { leaderEpoch: 0 });
      }
      assert.deepEqual(await log.maxTimestampOffset(), { offset: 1, timestamp: 900 }, 'the first batch that reaches the max, its first such record');
      // Later segments, older timestamps, then a new max in a later batch of several records.
      for (let i = 0; i < 6; i++) await log.append(await batchOf(3, 40, 500 + i), { leaderEpoch: 0 });
      assert.ok(log.segmentCount > 1);
      assert.deepEqual(await log.maxTimestampOffset(), { offset: 1, timestamp: 900 });
      const at = log.logEndOffset;
      await log.append(await makeBatch([{ timestamp: 950 }, { timestamp: 2000 }, { timestamp: 2000 }, { timestamp: 1000 }], { compression: Compression.Lz4 }), { leaderEpoch: 0 });
      assert.deepEqual(await log.maxTimestampOffset(), { offset: at + 1, timestamp: 2000 });
      await log.close();
    }));

  it('maxTimestampOffset of a LogAppendTime batch is its first record, as in Kafka', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir, { messageTimestampType: 'LogAppendTime' });
      await log.append(await batchOf(2), { leaderEpoch: 0, appendTimeMs: 5000 });
      await log.append(await batchOf(4), { leaderEpoch: 0, appendTimeMs: 7000 });
      assert.deepEqual(await log.maxTimestampOffset(), { offset: 2, timestamp: 7000 });
      await log.close();
    }));

  it('maxTimestampOffset is (-1, -1) for an empty log', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      assert.deepEqual(await log.maxTimestampOffset(), { offset: -1, timestamp: -1 });
      await log.close();
    }));

  it('appends after close are refused with KAFKA_STORAGE_ERROR', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      await log.close();
      await assert.rejects(log.append(await batchOf(1), { leaderEpoch: 0 }), (e: unknown) => e instanceof StorageError && e.code === 56);
    }));
});
