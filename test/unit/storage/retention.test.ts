import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../src/platform/clock.js';
import { StorageError } from '../../../src/storage/errors.js';
import { openLogFile, readFully } from '../../../src/storage/file.js';
import { LogSegment } from '../../../src/storage/segment.js';
import { createLogger } from '../../../src/util/logger.js';
import { batchOf, batchesIn, makeBatch, openTestLog, withTempDir } from './helpers.js';

const HOUR = 3_600_000;

describe('retention', () => {
  it('deletes closed segments older than retention.ms and moves the log start', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, { segmentBytes: 500, retentionMs: HOUR }, { clock });
      const stamp = (): Promise<Buffer> => makeBatch([{ value: Buffer.alloc(100), timestamp: clock.now() }]);
      for (let i = 0; i < 10; i++) await log.append(await stamp(), { leaderEpoch: 0 });
      const oldSegments = log.segmentCount;
      assert.ok(oldSegments >= 3);
      clock.advance(HOUR / 2);
      for (let i = 0; i < 10; i++) await log.append(await stamp(), { leaderEpoch: 0 });
      assert.equal(await log.applyRetention(), 0, 'nothing is old enough yet');

      clock.advance(HOUR / 2 + 1);
      const deleted = await log.applyRetention();
      assert.ok(deleted >= oldSegments - 1, `deleted ${deleted} of ${oldSegments} old segments`);
      assert.equal(log.logStartOffset, log.segmentBaseOffsets[0]);
      assert.ok(log.logStartOffset > 0 && log.logStartOffset <= 10);
      await assert.rejects(log.read(0, 100), (e: unknown) => e instanceof StorageError && e.code === 1);
      const r = await log.read(log.logStartOffset, 1 << 20);
      assert.equal(batchesIn(r.records)[0]!.baseOffset, log.logStartOffset);
      assert.equal(r.logStartOffset, log.logStartOffset);

      clock.advance(HOUR * 10);
      await log.applyRetention();
      assert.equal(log.segmentCount, 1, 'the active segment is never deleted');
      assert.equal(log.logEndOffset, 20);
      const files = (await readdir(log.dir)).filter((f) => f.endsWith('.log'));
      assert.equal(files.length, 1);
      await log.close();
    }));

  it('retention.ms -1 keeps everything', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, { segmentBytes: 300, retentionMs: -1 }, { clock });
      for (let i = 0; i < 10; i++) await log.append(await batchOf(1, 100, clock.now()), { leaderEpoch: 0 });
      clock.advance(HOUR * 1000);
      assert.equal(await log.applyRetention(), 0);
      await log.close();
    }));

  it('deletes the oldest segments beyond retention.bytes', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, { segmentBytes: 1000, retentionBytes: 2500, retentionMs: -1 }, { clock });
      for (let i = 0; i < 30; i++) await log.append(await batchOf(1, 200, clock.now()), { leaderEpoch: 0 });
      const before = log.size;
      assert.ok(before > 5000);
      const deleted = await log.applyRetention();
      assert.ok(deleted > 0);
      assert.ok(log.size <= 2500 + 1000, `size ${log.size}`);
      assert.ok(log.size > 2500 - 1000, 'no more than needed is deleted');
      assert.equal(log.logStartOffset, log.segmentBaseOffsets[0]);
      await log.close();
    }));

  it('renames deleted segments and removes them after file.delete.delay.ms', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, { segmentBytes: 300, retentionMs: HOUR, fileDeleteDelayMs: 60_000 }, { clock });
      for (let i = 0; i < 6; i++) await log.append(await batchOf(1, 100, clock.now()), { leaderEpoch: 0 });
      clock.advance(2 * HOUR);
      const deleted = await log.applyRetention();
      assert.ok(deleted > 0);
      await new Promise((resolve) => setTimeout(resolve, 20));
      let names = await readdir(log.dir);
      assert.ok(names.some((n) => n.endsWith('.log.deleted')), names.join(','));
      clock.advance(60_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
      names = await readdir(log.dir);
      assert.ok(!names.some((n) => n.endsWith('.deleted')), names.join(','));
      await log.close();
    }));

  it('a segment renamed *.deleted before its file was first opened is read under that name', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      await log.append(await batchOf(2, 50), { leaderEpoch: 0 });
      await log.close();
      const seg = await LogSegment.open(join(dir, 'topic-0'), 0, { openFile: openLogFile, logger: createLogger('error') });
      const bytes = await readFile(seg.logPath);
      await seg.markDeleted();
      assert.deepEqual(await readFully(await seg.handle(), 0, seg.writtenBytes), bytes);
      await seg.destroy();
      assert.deepEqual(await readdir(join(dir, 'topic-0')).then((names) => names.filter((n) => n.includes('.log'))), []);
    }));

  it('deleteRecordsBefore moves the log start and drops whole segments below it', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir, { segmentBytes: 400 });
      for (let i = 0; i < 12; i++) await log.append(await batchOf(2, 50), { leaderEpoch: 0 });
      const bases = log.segmentBaseOffsets;
      const target = bases[2]! + 1;
      assert.equal(await log.deleteRecordsBefore(target), target);
      assert.equal(log.logStartOffset, target);
      assert.equal(log.segmentBaseOffsets[0], bases[2]);
      await assert.rejects(log.deleteRecordsBefore(log.logEndOffset + 1), (e: unknown) => e instanceof StorageError && e.code === 1);
      await log.close();
    }));
});

describe('truncateTo', () => {
  it('cuts at the batch holding the offset and removes later segments', () =>
    withTempDir(async (dir) => {
      let log = await openTestLog(dir, { segmentBytes: 500 });
      for (let i = 0; i < 20; i++) await log.append(await batchOf(3, 40), { leaderEpoch: 0 });
      assert.ok(log.segmentCount > 3);
      await log.truncateTo(31);
      assert.equal(log.logEndOffset, 30, 'the whole batch 30..32 goes');
      assert.ok(log.segmentBaseOffsets.every((b) => b <= 30));
      const r = await log.append(await batchOf(1), { leaderEpoch: 0 });
      assert.equal(r.baseOffset, 30);
      await log.close();
      log = await openTestLog(dir, { segmentBytes: 500 });
      assert.equal(log.logEndOffset, 31);
      await log.truncateTo(0);
      assert.equal(log.logEndOffset, 0);
      assert.equal(log.segmentCount, 1);
      assert.equal((await log.append(await batchOf(2), { leaderEpoch: 1 })).baseOffset, 0);
      await log.close();
    }));
});
