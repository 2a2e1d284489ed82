import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { StorageError } from '../../../src/storage/errors.js';
import { FaultyDisk, batchOf, batchesIn, openTestLog, withTempDir } from './helpers.js';

const isStorageError = (e: unknown): boolean => e instanceof StorageError && e.code === 56;

describe('disk failures', () => {
  it('a failed write rejects with KAFKA_STORAGE_ERROR and leaves no partial batch', () =>
    withTempDir(async (dir) => {
      const disk = new FaultyDisk();
      const log = await openTestLog(dir, {}, { openFile: disk.open });
      await log.append(await batchOf(2), { leaderEpoch: 0 });
      const good = (await stat(join(log.dir, '00000000000000000000.log'))).size;

      disk.failWrites = 1;
      disk.partialBytes = 30;
      const failing = log.append(await batchOf(3), { leaderEpoch: 0 });
      const queuedBehind = log.append(await batchOf(1), { leaderEpoch: 0 });
      await assert.rejects(failing, isStorageError);
      await assert.rejects(queuedBehind, isStorageError, 'appends queued behind a failed one fail too');
      assert.equal(log.logEndOffset, 2);
      assert.equal(log.highWatermark, 2);

      const r = await log.append(await batchOf(1), { leaderEpoch: 0 });
      assert.equal(r.baseOffset, 2, 'the failed offsets are reused');
      const all = batchesIn((await log.read(0, 1 << 20)).records);
      assert.deepEqual(all.map((b) => [b.baseOffset, b.lastOffset]), [[0, 1], [2, 2]]);
      const size = (await stat(join(log.dir, '00000000000000000000.log'))).size;
      assert.equal(size, good + all[1]!.size, 'the torn bytes were cut off');
      assert.equal(log.stats.writeErrors, 1);
      await log.close();
    }));

  it('a failed write into a freshly rolled segment undoes the roll cleanly', () =>
    withTempDir(async (dir) => {
      const disk = new FaultyDisk();
      const log = await openTestLog(dir, { segmentBytes: 200 }, { openFile: disk.open });
      await log.append(await batchOf(1, 120), { leaderEpoch: 0 });
      disk.failWrites = 1;
      await assert.rejects(log.append(await batchOf(1, 120), { leaderEpoch: 0 }), isStorageError);
      assert.equal(log.logEndOffset, 1);
      await log.append(await batchOf(1, 120), { leaderEpoch: 0 });
      await log.append(await batchOf(1, 120), { leaderEpoch: 0 });
      assert.equal(log.logEndOffset, 3);
      await log.close();
      const reopened = await openTestLog(dir, { segmentBytes: 200 });
      assert.equal(reopened.logEndOffset, 3);
      await reopened.close();
    }));

  it('a failed fdatasync takes the log offline; reopening recovers it', () =>
    withTempDir(async (dir) => {
      const disk = new FaultyDisk();
      const log = await openTestLog(dir, { flushIntervalMessages: 1 }, { openFile: disk.open });
      await log.append(await batchOf(2), { leaderEpoch: 0 });
      disk.failSyncs = 1;
      await assert.rejects(log.append(await batchOf(2), { leaderEpoch: 0 }), isStorageError);
      assert.ok(log.isOffline);
      await assert.rejects(log.append(await batchOf(1), { leaderEpoch: 0 }), isStorageError);
      await log.close();
      const reopened = await openTestLog(dir);
      assert.equal(reopened.logEndOffset, 2, 'the unacknowledged append is gone');
      await reopened.append(await batchOf(1), { leaderEpoch: 0 });
      assert.equal(reopened.logEndOffset, 3);
      await reopened.close();
    }));
});
