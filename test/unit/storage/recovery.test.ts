import assert from 'node:assert/strict';
import { open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { PartitionLog } from '../../../src/storage/partition-log.js';
import { batchOf, batchesIn, openTestLog, withTempDir } from './helpers.js';

/** A small seeded PRNG so a failing case can be replayed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every stored batch from the log start, one read per segment. */
async function readAll(log: PartitionLog): Promise<Buffer> {
  const parts: Buffer[] = [];
  let next = log.logStartOffset;
  while (next < log.logEndOffset) {
    const { records } = await log.read(next, 1 << 30);
    const batches = batchesIn(records);
    if (batches.length === 0) break;
    parts.push(records);
    next = batches[batches.length - 1]!.lastOffset + 1;
  }
  return Buffer.concat(parts);
}

/** Closes cleanly, then removes the marker: on reopen the log must treat the stop as a crash. */
async function closeAsCrash(log: PartitionLog): Promise<void> {
  await log.close();
  await rm(join(log.dir, '.clean-shutdown'));
}

function segmentPath(dir: string, base: number, suffix = '.log'): string {
  return join(dir, 'topic-0', String(base).padStart(20, '0') + suffix);
}

describe('recovery after an unclean stop', () => {
  it('cut anywhere: the log holds exactly a prefix of whole valid batches', () =>
    withTempDir(async (dir) => {
      const random = mulberry32(42);
      for (let round = 0; round < 12; round++) {
        await rm(join(dir, 'topic-0'), { recursive: true, force: true });
        let log = await openTestLog(dir, { indexIntervalBytes: 128 });
        const count = 3 + Math.floor(random() * 10);
        for (let i = 0; i < count; i++) await log.append(await batchOf(1 + Math.floor(random() * 5), 10 + Math.floor(random() * 200)), { leaderEpoch: 0 });
        const original = await readAll(log);
        const batches = batchesIn(original);
        await closeAsCrash(log);

        // Cut inside the last batch half the time, anywhere the other half.
        const lastStart = original.length - batches[batches.length - 1]!.size;
        const cut = random() < 0.5 ? lastStart + Math.floor(random() * (original.length - lastStart)) : Math.floor(random() * original.length);
        await truncate(segmentPath(dir, 0), cut);

        log = await openTestLog(dir, { indexIntervalBytes: 128 });
        let keptBytes = 0;
        let keptEnd = 0;
        for (const b of batches) {
          if (keptBytes + b.size > cut) break;
          keptBytes += b.size;
          keptEnd = b.lastOffset + 1;
        }
        assert.equal(log.logEndOffset, keptEnd, `round ${round}: cut at ${cut}`);
        assert.deepEqual(await readAll(log), original.subarray(0, keptBytes));
        assert.equal((await stat(segmentPath(dir, 0))).size, keptBytes, 'the torn tail is cut from the file');
        assert.equal(log.stats.recoveredTruncatedBytes, cut - keptBytes);
        const r = await log.append(await batchOf(2), { leaderEpoch: 0 });
        assert.equal(r.baseOffset, keptEnd);
        assert.equal(batchesIn(await readAll(log)).length, batchesIn(original.subarray(0, keptBytes)).length + 1);
        await log.close();
      }
    }));

  it('a corrupt byte cuts the log at the batch holding it', () =>
    withTempDir(async (dir) => {
      const random = mulberry32(7);
      for (let round = 0; round < 10; round++) {
        await rm(join(dir, 'topic-0'), { recursive: true, force: true });
        let log = await openTestLog(dir);
        for (let i = 0; i < 8; i++) await log.append(await batchOf(3, 40), { leaderEpoch: 0 });
        const original = await readAll(log);
        const batches = batchesIn(original);
        await closeAsCrash(log);
        // Any byte the CRC covers, or the magic, or the length.
        const victim = Math.floor(random() * batches.length);
        const start = batches.slice(0, victim).reduce((n, b) => n + b.size, 0);
        const choices = [8, 11, 16, 17, 21 + Math.floor(random() * (batches[victim]!.size - 21))];
        const at = start + choices[Math.floor(random() * choices.length)]!;
        const file = await open(segmentPath(dir, 0), 'r+');
        const one = Buffer.alloc(1);
        await file.read(one, 0, 1, at);
        one[0] = one[0]! ^ (1 + Math.floor(random() * 255));
        await file.write(one, 0, 1, at);
        await file.close();

        log = await openTestLog(dir);
        assert.equal(log.logEndOffset, batches[victim]!.baseOffset, `round ${round}: byte ${at}`);
        assert.deepEqual(await readAll(log), original.subarray(0, start));
        await log.append(await batchOf(1), { leaderEpoch: 0 });
        assert.equal(log.logEndOffset, batches[victim]!.baseOffset + 1);
        await log.close();
      }
    }));

  it('offsets going backwards end the valid prefix', () =>
    withTempDir(async (dir) => {
      let log = await openTestLog(dir);
      for (let i = 0; i < 4; i++) await log.append(await batchOf(2), { leaderEpoch: 0 });
      const original = await readAll(log);
      const batches = batchesIn(original);
      await closeAsCrash(log);
      // The CRC does not cover the base offset, so only the offset check catches this.
      const lastStart = original.length - batches[3]!.size;
      const file = await open(segmentPath(dir, 0), 'r+');
      const zero = Buffer.alloc(8);
      await file.write(zero, 0, 8, lastStart);
      await file.close();
      log = await openTestLog(dir);
      assert.equal(log.logEndOffset, 6);
      await log.close();
    }));

  it('an unclean stop without damage keeps everything', () =>
    withTempDir(async (dir) => {
      let log = await openTestLog(dir, { segmentBytes: 1000 });
      for (let i = 0; i < 20; i++) await log.append(await batchOf(2, 30), { leaderEpoch: 0 });
      const original = await readAll(log);
      await closeAsCrash(log);
      log = await openTestLog(dir, { segmentBytes: 1000 });
      assert.equal(log.logEndOffset, 40);
      assert.equal(log.stats.recoveredTruncatedBytes, 0);
      assert.deepEqual(await readAll(log), original);
      await log.close();
    }));

  it('a damaged earlier segment without indexes is cut and the later ones removed', () =>
    withTempDir(async (dir) => {
      let log = await openTestLog(dir, { segmentBytes: 1000 });
      for (let i = 0; i < 20; i++) await log.append(await batchOf(2, 30), { leaderEpoch: 0 });
      const bases = log.segmentBaseOffsets;
      assert.ok(bases.length >= 3);
      await closeAsCrash(log);
      // The second segment lost its tail and never got its index files (a crash right after roll).
      const second = segmentPath(dir, bases[1]!);
      await truncate(second, (await stat(second)).size - 5);
      await rm(segmentPath(dir, bases[1]!, '.index'));
      await rm(segmentPath(dir, bases[1]!, '.timeindex'));
      log = await openTestLog(dir, { segmentBytes: 1000 });
      assert.deepEqual(log.segmentBaseOffsets, bases.slice(0, 2));
      const all = batchesIn(await readAll(log));
      assert.equal(all[all.length - 1]!.lastOffset + 1, log.logEndOffset);
      assert.ok(log.logEndOffset < bases[2]!);
      const files = await readdir(join(dir, 'topic-0'));
      assert.ok(!files.some((f) => f.startsWith(String(bases[2]!).padStart(20, '0'))));
      await log.close();
    }));

  it('rebuilds deleted or malformed index files', () =>
    withTempDir(async (dir) => {
      const cfg = { segmentBytes: 2000, indexIntervalBytes: 100 };
      let log = await openTestLog(dir, cfg);
      for (let i = 0; i < 30; i++) await log.append(await batchOf(2, 40), { leaderEpoch: 0 });
      const original = await readAll(log);
      const bases = log.segmentBaseOffsets;
      await log.close();
      const indexBefore = await readFile(segmentPath(dir, bases[0]!, '.index'));
      const timeBefore = await readFile(segmentPath(dir, bases[0]!, '.timeindex'));
      for (const base of bases) await rm(segmentPath(dir, base, '.index'));
      await writeFile(segmentPath(dir, bases[1]!, '.timeindex'), Buffer.alloc(13));

      log = await openTestLog(dir, cfg);
      assert.equal(log.logEndOffset, 60);
      assert.deepEqual(await readAll(log), original);
      for (const target of [1, 17, 33, 59]) {
        const [b] = batchesIn((await log.read(target, 1)).records);
        assert.ok(b!.baseOffset <= target && target <= b!.lastOffset);
      }
      await log.close();
      assert.deepEqual(await readFile(segmentPath(dir, bases[0]!, '.index')), indexBefore, 'rebuilt index equals the original');
      assert.deepEqual(await readFile(segmentPath(dir, bases[0]!, '.timeindex')), timeBefore);
      assert.equal((await stat(segmentPath(dir, bases[1]!, '.timeindex'))).size % 12, 0);
    }));

  it('keeps the log start offset across a restart', () =>
    withTempDir(async (dir) => {
      let log = await openTestLog(dir);
      for (let i = 0; i < 5; i++) await log.append(await batchOf(2), { leaderEpoch: 0 });
      await log.deleteRecordsBefore(5);
      await closeAsCrash(log);
      log = await openTestLog(dir);
      assert.equal(log.logStartOffset, 5);
      assert.equal(log.logEndOffset, 10);
      await log.close();
    }));
});
