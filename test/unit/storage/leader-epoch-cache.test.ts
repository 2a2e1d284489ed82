import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  LEADER_EPOCH_CHECKPOINT,
  LeaderEpochCache,
  decodeLeaderEpochCheckpoint,
  encodeLeaderEpochCheckpoint,
  readLeaderEpochCheckpoint,
} from '../../../src/storage/leader-epoch-cache.js';
import { withTempDir } from './helpers.js';

const UNDEFINED = { leaderEpoch: -1, endOffset: -1 };

function cacheOf(...pairs: Array<[number, number]>): LeaderEpochCache {
  const c = new LeaderEpochCache(null);
  for (const [epoch, offset] of pairs) c.assign(epoch, offset);
  return c;
}

describe('leader epoch cache (Kafka LeaderEpochFileCache rules)', () => {
  it('the file is Kafka\'s text format, byte for byte', () => {
    const text = encodeLeaderEpochCheckpoint([{ epoch: 2, startOffset: 6 }, { epoch: 3, startOffset: 8 }]);
    assert.equal(text, '0\n2\n2 6\n3 8\n');
    assert.equal(encodeLeaderEpochCheckpoint([]), '0\n0\n');
    assert.deepEqual(decodeLeaderEpochCheckpoint('0\n2\n2 6\n3 8\n'), [{ epoch: 2, startOffset: 6 }, { epoch: 3, startOffset: 8 }]);
    assert.throws(() => decodeLeaderEpochCheckpoint('1\n0\n'), /version/);
    assert.throws(() => decodeLeaderEpochCheckpoint('0\n3\n2 6\n'), /expected 3 entries/);
    assert.throws(() => decodeLeaderEpochCheckpoint('0\n1\n2 x\n'), /malformed/);
  });

  it('every change is written to leader-epoch-checkpoint and read back by a new cache', () =>
    withTempDir(async (dir) => {
      const c = new LeaderEpochCache(dir);
      c.assign(2, 6);
      c.assign(4, 11);
      await c.flushed();
      assert.equal(await readFile(join(dir, LEADER_EPOCH_CHECKPOINT), 'utf8'), '0\n2\n2 6\n4 11\n');
      c.truncateFromEnd(11);
      await c.flushed();
      assert.equal(await readFile(join(dir, LEADER_EPOCH_CHECKPOINT), 'utf8'), '0\n1\n2 6\n');
      const again = new LeaderEpochCache(dir, (await readLeaderEpochCheckpoint(dir)) ?? []);
      assert.deepEqual(again.all, [{ epoch: 2, startOffset: 6 }]);
      await writeFile(join(dir, LEADER_EPOCH_CHECKPOINT), '0\n5\n');
      await assert.rejects(readLeaderEpochCheckpoint(dir), /expected 5/);
    }));

  it('no file: null', () => withTempDir(async (dir) => assert.equal(await readLeaderEpochCheckpoint(dir), null)));

  it('assign keeps an epoch\'s first offset and keeps both columns ascending', () => {
    assert.deepEqual(cacheOf([2, 9], [2, 10]).all, [{ epoch: 2, startOffset: 9 }]);
    assert.deepEqual(cacheOf([2, 9], [3, 9]).all, [{ epoch: 3, startOffset: 9 }], 'same offset, newer epoch replaces');
    assert.deepEqual(cacheOf([2, 6], [3, 5]).all, [{ epoch: 3, startOffset: 5 }], 'an offset going back removes the conflicting entry');
    const c = cacheOf([1, 5], [2, 6], [1, 7]);
    assert.deepEqual(c.all, [{ epoch: 1, startOffset: 7 }], 'an older epoch later in the log truncates newer ones');
    assert.deepEqual(c.endOffsetFor(1, 8), { leaderEpoch: 1, endOffset: 8 });
    assert.deepEqual(c.endOffsetFor(2, 8), UNDEFINED);
    assert.deepEqual(cacheOf([5, 11], [6, 12], [7, 13], [7, 12]).all, [{ epoch: 5, startOffset: 11 }, { epoch: 7, startOffset: 12 }]);
  });

  it('endOffsetFor answers as Kafka does', () => {
    assert.deepEqual(new LeaderEpochCache(null).endOffsetFor(0, 0), UNDEFINED, 'empty cache');
    assert.deepEqual(cacheOf([2, 11], [3, 12]).endOffsetFor(-1, 0), UNDEFINED, 'undefined epoch');
    assert.deepEqual(cacheOf([2, 11], [2, 12]).endOffsetFor(2, 14), { leaderEpoch: 2, endOffset: 14 }, 'latest epoch: the log end');
    assert.deepEqual(cacheOf([2, 100]).endOffsetFor(3, 100), UNDEFINED, 'above the latest epoch');
    assert.deepEqual(cacheOf([5, 11], [6, 12], [7, 13]).endOffsetFor(4, 0), { leaderEpoch: 4, endOffset: 11 }, 'below the earliest: the first start');
    const c = cacheOf([0, 10], [2, 13], [4, 17]);
    assert.deepEqual(c.endOffsetFor(1, 20), { leaderEpoch: 0, endOffset: 13 }, 'a gap: the largest epoch below, the next start');
    assert.deepEqual(c.endOffsetFor(2, 20), { leaderEpoch: 2, endOffset: 17 });
    assert.deepEqual(c.endOffsetFor(3, 20), { leaderEpoch: 2, endOffset: 17 });
    assert.deepEqual(c.endOffsetFor(4, 20), { leaderEpoch: 4, endOffset: 20 });
    assert.deepEqual(cacheOf([5, 11], [6, 12], [7, 13], [7, 12]).endOffsetFor(6, 0), { leaderEpoch: 5, endOffset: 12 });
  });

  it('epochForOffset finds the epoch whose range holds an offset', () => {
    const c = cacheOf([2, 6], [3, 8], [4, 11]);
    assert.equal(c.epochForOffset(5), null);
    assert.equal(c.epochForOffset(6), 2);
    assert.equal(c.epochForOffset(10), 3);
    assert.equal(c.epochForOffset(11), 4);
    assert.equal(c.epochForOffset(99), 4);
  });

  it('truncateFromEnd removes entries starting at or after the offset', () => {
    const c = cacheOf([2, 6], [3, 8], [4, 11]);
    assert.equal(c.truncateFromEnd(12), false);
    assert.equal(c.truncateFromEnd(8), true);
    assert.deepEqual(c.all, [{ epoch: 2, startOffset: 6 }]);
    assert.equal(c.truncateFromEnd(0), true);
    assert.deepEqual(c.all, []);
  });

  it('truncateFromStart moves the last entry at or before the offset up to it', () => {
    const c = cacheOf([2, 6], [3, 8], [4, 11]);
    assert.equal(c.truncateFromStart(5), false);
    c.truncateFromStart(8);
    assert.deepEqual(c.all, [{ epoch: 3, startOffset: 8 }, { epoch: 4, startOffset: 11 }], 'on a boundary');
    c.truncateFromStart(9);
    assert.deepEqual(c.all, [{ epoch: 3, startOffset: 9 }, { epoch: 4, startOffset: 11 }], 'inside an epoch');
    c.truncateFromStart(15);
    assert.deepEqual(c.all, [{ epoch: 4, startOffset: 15 }], 'past every start');
  });
});
