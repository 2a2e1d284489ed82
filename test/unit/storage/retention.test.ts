import assert from 'node:assert/strict';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../src/platform/clock.js';
import { StorageError } from '../../../src/storage/errors.js';
import { openLogFile, readFully } from '../../../src/storage/file.js';
import { LogSegment } from '../../../src/storage/segment.js';
import { createLogger } from '../../../src/util/logger.js';
import { waitFor } from '../../helpers/wait.js';
import { batchOf, batchesIn, makeBatch, openTestLog, withTempDir } from './helpers.js';

const HOUR = 3_600_000;

describe('retention', () => {
  it('deletes closed segments older than retention.ms and moves the log start', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, { segmentBytes: 500, retentionMs: HOUR }, { clock });
      // Batch timestamps fixed, and the retention passes given their time: the boundary is exact.
      const t0 = clock.now();
      const stamp = (timestamp: number): Promise<Buffer> => makeBatch([{ value: Buffer.alloc(100), timestamp }]);
      for (let i = 0; i < 10; i++) await log.append(await stamp(t0), { leaderEpoch: 0 });
      for (let i = 0; i < 10; i++) await log.append(await stamp(t0 + HOUR / 2), { leaderEpoch: 0 });
      const bases = log.segmentBaseOffsets;
      // The segments wholly made of the first ten batches have t0 as their newest timestamp.
      const old = bases.filter((b, i) => i + 1 < bases.length && bases[i + 1]! <= 10).length;
      assert.ok(old >= 3, `${old} segments hold only the first batches (${bases.join(' ')})`);

      // Kafka deletes a segment when now - its largest timestamp > retention.ms: not at equality.
      assert.equal(await log.applyRetention(t0 + HOUR / 2), 0, 'nothing is old enough yet');
      assert.equal(await log.applyRetention(t0 + HOUR), 0, 'a segment exactly retention.ms old is kept');
      assert.equal(log.logStartOffset, 0);
      assert.equal(await log.applyRetention(t0 + HOUR + 1), old, 'one millisecond later every segment of the first batches goes');
      assert.deepEqual(log.segmentBaseOffsets, bases.slice(old));
      assert.equal(log.logStartOffset, bases[old]);
      await assert.rejects(log.read(0, 100), (e: unknown) => e instanceof StorageError && e.code === 1);
      const r = await log.read(log.logStartOffset, 1 << 20);
      assert.equal(batchesIn(r.records)[0]!.baseOffset, log.logStartOffset);
      assert.equal(r.logStartOffset, log.logStartOffset);

      assert.equal(await log.applyRetention(t0 + HOUR / 2 + HOUR), 0, 'the segments holding later batches are exactly retention.ms old');
      // As Kafka: once every segment has expired, the active one too, a new one starts at the log end.
      assert.equal(await log.applyRetention(t0 + HOUR * 10), bases.length - old);
      assert.deepEqual(log.segmentBaseOffsets, [20]);
      assert.equal(log.logStartOffset, 20);
      assert.equal(log.logEndOffset, 20);
      assert.equal(await log.applyRetention(t0 + HOUR * 20), 0, 'an empty active segment is never deleted');
      // The new segment's file appears with its first write; the old ones go.
      await waitFor('the old segment files to go', async () => (await readdir(log.dir)).filter((f) => f.includes('.log')).length === 0);
      assert.equal((await log.append(await stamp(t0 + HOUR * 20), { leaderEpoch: 0 })).baseOffset, 20);
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

  it('retention.bytes deletes the oldest segments while the log stays at least retention.bytes without them', async () => {
    // Kafka: segments go oldest first while (size - segment size) >= retention.bytes.
    const sizedLog = async (dir: string, retentionBytes: number) =>
      openTestLog(dir, { segmentBytes: 1000, retentionBytes, retentionMs: -1 }, { clock: new ManualClock() });
    const fill = async (log: Awaited<ReturnType<typeof sizedLog>>) => {
      for (let i = 0; i < 30; i++) await log.append(await batchOf(1, 200, 1_700_000_000_000), { leaderEpoch: 0 });
    };
    // The layout every such log gets: the same batches roll at the same places.
    const layout = await withTempDir(async (dir) => {
      const log = await sizedLog(dir, -1);
      await fill(log);
      const sizes = await Promise.all(log.segmentBaseOffsets.map((b) => stat(join(log.dir, `${String(b).padStart(20, '0')}.log`)).then((s) => s.size)));
      const out = { total: log.size, sizes, bases: log.segmentBaseOffsets };
      await log.close();
      return out;
    });
    assert.ok(layout.sizes.length >= 6, `segments ${layout.sizes.join(' ')}`);
    assert.equal(layout.sizes.reduce((a, b) => a + b, 0), layout.total);
    const firstTwo = layout.sizes[0]! + layout.sizes[1]!;
    const cases = [
      { retentionBytes: layout.total - firstTwo, deleted: 2, why: 'exactly the first two segments over: both go, leaving retention.bytes' },
      { retentionBytes: layout.total - firstTwo + 1, deleted: 1, why: 'a byte less over: the second segment stays' },
      { retentionBytes: layout.total - firstTwo - 1, deleted: 2, why: 'a byte more over: the third segment stays, or the log would drop below retention.bytes' },
      { retentionBytes: layout.total, deleted: 0, why: 'at retention.bytes nothing goes' },
      { retentionBytes: layout.sizes.at(-1)!, deleted: layout.sizes.length - 1, why: 'the size of the active segment: every closed segment' },
      { retentionBytes: 0, deleted: layout.sizes.length, why: 'retention.bytes 0: every segment, the active one too (a new one is rolled)' },
    ];
    for (const c of cases) {
      await withTempDir(async (dir) => {
        const log = await sizedLog(dir, c.retentionBytes);
        await fill(log);
        assert.equal(await log.applyRetention(), c.deleted, c.why);
        assert.equal(log.size, layout.total - layout.sizes.slice(0, c.deleted).reduce((a, b) => a + b, 0), c.why);
        const left = c.deleted === layout.bases.length ? [30] : layout.bases.slice(c.deleted);
        assert.deepEqual(log.segmentBaseOffsets, left, c.why);
        assert.equal(log.logStartOffset, left[0], c.why);
        assert.equal(await log.applyRetention(), 0, `${c.why}: a second pass deletes nothing more`);
        await log.close();
      });
    }
  });

  it('renames deleted segments and removes them after file.delete.delay.ms', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, { segmentBytes: 300, retentionMs: HOUR, fileDeleteDelayMs: 60_000 }, { clock });
      for (let i = 0; i < 6; i++) await log.append(await batchOf(1, 100, clock.now()), { leaderEpoch: 0 });
      clock.advance(2 * HOUR);
      const deleted = await log.applyRetention();
      assert.ok(deleted > 0);
      const names = (): Promise<string[]> => readdir(log.dir);
      await waitFor('the deleted segments to be renamed', async () => (await names()).some((n) => n.endsWith('.log.deleted')));
      assert.ok(!(await names()).some((n) => /^\d{20}\.log$/.test(n) && Number(n.slice(0, 20)) < log.logStartOffset), 'no deleted segment keeps its name');
      clock.advance(60_000);
      await waitFor('the renamed files to be removed after file.delete.delay.ms', async () => !(await names()).some((n) => n.endsWith('.deleted')));
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
