/** The log's side of replication: leader epochs, the follower's append, the high watermark under a replica manager. */
import assert from 'node:assert/strict';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../src/platform/clock.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { Compression, TRANSACTIONAL_BIT } from '../../../src/protocol/records/batch-header.js';
import { StorageError } from '../../../src/storage/errors.js';
import { UnexpectedAppendOffsetError } from '../../../src/storage/follower-append.js';
import { LEADER_EPOCH_CHECKPOINT } from '../../../src/storage/leader-epoch-cache.js';
import { PartitionLog } from '../../../src/storage/partition-log.js';
import { silentLogger } from '../../../src/util/logger.js';
import { batchOf, fixCrc, makeBatch, openTestLog, testConfig, withTempDir } from './helpers.js';

const SEGMENT = '00000000000000000000.log';

function openFollower(dir: string, name = 'follower-0', onHighWatermark?: () => void): Promise<PartitionLog> {
  return PartitionLog.open(join(dir, name), testConfig({ segmentBytes: 1500 }), { clock: new ManualClock(), logger: silentLogger, highWatermarkFollowsLogEnd: false, onHighWatermark });
}

/** Copies the leader's log to the follower as a replica fetcher would: whole batches from the follower's log end. */
async function replicate(leader: PartitionLog, follower: PartitionLog, fetchBytes = 200): Promise<void> {
  while (follower.logEndOffset < leader.logEndOffset) {
    const r = await leader.read(follower.logEndOffset, fetchBytes, { maxOffset: leader.logEndOffset });
    // A fetch may end in a partial batch; the fetcher appends the whole ones.
    let whole = 0;
    while (whole + 12 <= r.records.length && whole + 12 + r.records.readInt32BE(whole + 8) <= r.records.length) whole += 12 + r.records.readInt32BE(whole + 8);
    await follower.appendAsFollower(Buffer.from(r.records.subarray(0, whole)));
  }
}

function txnBatch(pid: number, seq: number, n = 2): Promise<Buffer> {
  return makeBatch(Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`t${pid}-${seq + i}`) })), {
    producerId: pid, producerEpoch: 0, baseSequence: seq, attributes: TRANSACTIONAL_BIT,
  });
}

/** A leader whose log has epochs 0 and 3, LogAppendTime stamps, a gzip batch, an idempotent producer, a committed and an aborted transaction. */
async function busyLeader(dir: string): Promise<PartitionLog> {
  const leader = await openTestLog(dir, { messageTimestampType: 'LogAppendTime', segmentBytes: 1500 }, { clock: new ManualClock() });
  await leader.append(await batchOf(3), { leaderEpoch: 0 }); // 0-2
  await leader.append(await makeBatch([{ value: Buffer.alloc(100, 1) }, { value: Buffer.alloc(100, 2) }], { compression: Compression.Gzip }), { leaderEpoch: 0 }); // 3-4
  await leader.append(await makeBatch([{ value: Buffer.from('i') }], { producerId: 5, producerEpoch: 0, baseSequence: 0 }), { leaderEpoch: 0 }); // 5
  await leader.append(await txnBatch(7, 0), { leaderEpoch: 3 }); // 6-7
  await leader.append(await txnBatch(8, 0), { leaderEpoch: 3 }); // 8-9
  await leader.appendControl({ producerId: 7, producerEpoch: 0, commit: true, coordinatorEpoch: 4, timestampMs: 1, leaderEpoch: 3 }); // 10
  await leader.appendControl({ producerId: 8, producerEpoch: 0, commit: false, coordinatorEpoch: 4, timestampMs: 1, leaderEpoch: 3 }); // 11
  for (let i = 0; i < 6; i++) await leader.append(await batchOf(2, 60), { leaderEpoch: 3 }); // 12-23, rolls segments
  return leader;
}

describe('leader epochs in the log', () => {
  it('a leader append records each new epoch at its first offset, in leader-epoch-checkpoint, kept across a reopen', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      await log.append(await batchOf(2), { leaderEpoch: 0 });
      await log.append(await batchOf(2), { leaderEpoch: 0 });
      await log.append(await batchOf(3), { leaderEpoch: 4 });
      assert.deepEqual(log.leaderEpochEntries, [{ epoch: 0, startOffset: 0 }, { epoch: 4, startOffset: 4 }]);
      assert.equal(await readFile(join(log.dir, LEADER_EPOCH_CHECKPOINT), 'utf8'), '0\n2\n0 0\n4 4\n', 'on disk before the append is answered');
      assert.deepEqual(log.endOffsetForEpoch(0), { leaderEpoch: 0, endOffset: 4 });
      assert.deepEqual(log.endOffsetForEpoch(4), { leaderEpoch: 4, endOffset: 7 });
      assert.equal(log.endOffsetForEpoch(5), null);
      await log.close();
      const again = await openTestLog(dir);
      assert.deepEqual(again.leaderEpochEntries, [{ epoch: 0, startOffset: 0 }, { epoch: 4, startOffset: 4 }]);
      assert.equal(again.latestEpoch, 4);
      await again.close();
    }));

  it('a log without the file opens with an empty cache; a corrupt file is rebuilt from the batches', () =>
    withTempDir(async (dir) => {
      let log = await openTestLog(dir);
      await log.append(await batchOf(2), { leaderEpoch: 1 });
      await log.append(await batchOf(2), { leaderEpoch: 6 });
      await log.close();
      await rm(join(log.dir, LEADER_EPOCH_CHECKPOINT));
      log = await openTestLog(dir);
      assert.deepEqual(log.leaderEpochEntries, []);
      assert.equal(log.endOffsetForEpoch(1), null);
      await log.append(await batchOf(1), { leaderEpoch: 6 });
      assert.deepEqual(log.leaderEpochEntries, [{ epoch: 6, startOffset: 4 }], 'appends fill it');
      await log.close();
      await writeFile(join(log.dir, LEADER_EPOCH_CHECKPOINT), '0\n3\n1 0\n');
      log = await openTestLog(dir);
      assert.deepEqual(log.leaderEpochEntries, [{ epoch: 1, startOffset: 0 }, { epoch: 6, startOffset: 2 }]);
      await log.leaderEpochsFlushed();
      assert.equal(await readFile(join(log.dir, LEADER_EPOCH_CHECKPOINT), 'utf8'), '0\n2\n1 0\n6 2\n');
      await log.close();
    }));

  it('recovery after a crash adds the epochs the recovered batches carry', () =>
    withTempDir(async (dir) => {
      let log = await openTestLog(dir);
      await log.append(await batchOf(2), { leaderEpoch: 0 });
      await log.append(await batchOf(2), { leaderEpoch: 2 });
      await log.close();
      // As if the checkpoint write of epoch 2 never reached the disk, and the stop was unclean.
      await writeFile(join(log.dir, LEADER_EPOCH_CHECKPOINT), '0\n1\n0 0\n');
      await rm(join(log.dir, '.clean-shutdown'));
      log = await openTestLog(dir);
      assert.deepEqual(log.leaderEpochEntries, [{ epoch: 0, startOffset: 0 }, { epoch: 2, startOffset: 2 }]);
      await log.close();
    }));

  it('truncation and log start moves trim the cache, and the trimmed cache survives a reopen', () =>
    withTempDir(async (dir) => {
      let log = await openTestLog(dir, { segmentBytes: 400 });
      for (const epoch of [0, 0, 2, 2, 5, 5]) await log.append(await batchOf(2, 40), { leaderEpoch: epoch });
      assert.deepEqual(log.leaderEpochEntries.map((e) => [e.epoch, e.startOffset]), [[0, 0], [2, 4], [5, 8]]);
      await log.truncateTo(8);
      assert.deepEqual(log.leaderEpochEntries.map((e) => [e.epoch, e.startOffset]), [[0, 0], [2, 4]]);
      await log.deleteRecordsBefore(5);
      assert.deepEqual(log.leaderEpochEntries.map((e) => [e.epoch, e.startOffset]), [[2, 5]]);
      await log.close();
      log = await openTestLog(dir, { segmentBytes: 400 });
      assert.deepEqual(log.leaderEpochEntries.map((e) => [e.epoch, e.startOffset]), [[2, 5]]);
      assert.deepEqual(log.endOffsetForEpoch(2), { leaderEpoch: 2, endOffset: 8 });
      await log.truncateTo(2);
      assert.deepEqual(log.leaderEpochEntries, [], 'a truncation below the log start starts the cache afresh');
      await log.close();
    }));

  it('divergingEpoch answers as Kafka\'s fetch does', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      await log.append(await batchOf(5), { leaderEpoch: 0 }); // 0-4
      await log.append(await batchOf(3), { leaderEpoch: 3 }); // 5-7
      assert.equal(log.divergingEpoch(3, 8), null, 'the fetcher is a prefix');
      assert.equal(log.divergingEpoch(0, 5), null, 'epoch 0 ended where the fetcher is');
      assert.deepEqual(log.divergingEpoch(0, 7), { epoch: 0, endOffset: 5 }, 'the fetcher has epoch 0 past its end here');
      assert.deepEqual(log.divergingEpoch(1, 6), { epoch: 0, endOffset: 5 }, 'an epoch this log never had');
      assert.throws(() => log.divergingEpoch(9, 8), (e: unknown) => e instanceof StorageError && e.code === ErrorCode.OFFSET_OUT_OF_RANGE);
      await log.close();
    }));
});

describe('follower append', () => {
  it('keeps the leader\'s bytes, offsets, epochs and timestamps, and replays producers and transactions', () =>
    withTempDir(async (dir) => {
      const leader = await busyLeader(dir);
      const follower = await openFollower(dir);
      await replicate(leader, follower);
      assert.equal(follower.logEndOffset, leader.logEndOffset);
      assert.deepEqual(follower.segmentBaseOffsets, leader.segmentBaseOffsets);
      for (const base of leader.segmentBaseOffsets) {
        const name = `${String(base).padStart(20, '0')}.log`;
        assert.ok((await readFile(join(leader.dir, name))).equals(await readFile(join(follower.dir, name))), `segment ${name} is byte for byte the leader's`);
      }
      assert.deepEqual(follower.leaderEpochEntries, leader.leaderEpochEntries);
      assert.deepEqual(follower.leaderEpochEntries.map((e) => [e.epoch, e.startOffset]), [[0, 0], [3, 6]]);
      assert.equal(follower.highWatermark, 0, 'a follower append does not move the high watermark');

      assert.equal(follower.producerState.entry(5)?.batches.at(-1)?.lastSeq, 0);
      assert.equal(follower.producerState.entry(7)?.coordinatorEpoch, 4, 'the marker\'s coordinator epoch');
      assert.deepEqual(follower.producerState.openTransactions(), []);
      assert.deepEqual(follower.producerState.allAborted().map((a) => [a.producerId, a.firstOffset, a.lastOffset]), [[8, 8, 11]]);
      follower.updateHighWatermark(follower.logEndOffset);
      const read = await follower.read(0, 1 << 20, { isolation: 'read_committed' });
      assert.deepEqual(read.abortedTransactions, [{ producerId: 8, firstOffset: 8 }]);
      const txnIndexes = (await readdir(leader.dir)).filter((f) => f.endsWith('.txnindex'));
      assert.ok(txnIndexes.length > 0);
      for (const f of txnIndexes) assert.ok((await readFile(join(leader.dir, f))).equals(await readFile(join(follower.dir, f))), `${f} as the leader's`);

      // A sequence that a leader would refuse (a gap) is the leader's decision: the follower keeps it.
      const gap = await makeBatch([{ value: Buffer.from('late') }], { producerId: 5, producerEpoch: 0, baseSequence: 9 });
      gap.writeBigInt64BE(BigInt(follower.logEndOffset), 0);
      await follower.appendAsFollower(gap);
      assert.equal(follower.producerState.entry(5)?.batches.at(-1)?.lastSeq, 9);
      await leader.close();
      await follower.close();
    }));

  it('refuses batches below its log end (naming both offsets), corrupt ones, and accepts a compaction gap', () =>
    withTempDir(async (dir) => {
      const follower = await openFollower(dir);
      const b = await batchOf(3);
      await follower.appendAsFollower(Buffer.from(b));
      await assert.rejects(follower.appendAsFollower(Buffer.from(b)), (e: unknown) => e instanceof UnexpectedAppendOffsetError && e.firstOffset === 0 && e.logEndOffset === 3 && /offset 0.*log end offset 3/.test(e.message));
      const corrupt = Buffer.from(b);
      corrupt.writeBigInt64BE(3n, 0);
      corrupt[corrupt.length - 1]! ^= 0xff;
      await assert.rejects(follower.appendAsFollower(corrupt), (e: unknown) => e instanceof StorageError && e.code === ErrorCode.CORRUPT_MESSAGE && /CRC/.test(e.message));
      assert.equal(follower.logEndOffset, 3, 'nothing of a refused append is kept');
      const later = Buffer.from(b);
      later.writeBigInt64BE(10n, 0);
      later.writeInt32BE(2, 12);
      fixCrc(later);
      assert.deepEqual(await follower.appendAsFollower(later), { firstOffset: 10, lastOffset: 12 });
      assert.equal(follower.logEndOffset, 13);
      assert.deepEqual(follower.leaderEpochEntries.map((e) => [e.epoch, e.startOffset]), [[2, 10]]);
      const r = await follower.read(10, 1000, { maxOffset: 13 });
      assert.equal(r.records.readBigInt64BE(0), 10n);
      await follower.close();
    }));
});

describe('high watermark under a replica manager', () => {
  it('moves only by updateHighWatermark, clamped and never back; the listener hears each rise; restored only from the checkpoint', () =>
    withTempDir(async (dir) => {
      let rises = 0;
      const log = await openFollower(dir, 'hw-0', () => rises++);
      await log.appendAsFollower(await batchOf(5));
      assert.equal(log.highWatermark, 0);
      assert.equal(log.updateHighWatermark(3), 3);
      assert.equal(log.updateHighWatermark(2), 3, 'never backwards');
      assert.equal(log.updateHighWatermark(99), 5, 'at most the log end');
      assert.equal(rises, 2);
      const read = await log.read(0, 1 << 20);
      assert.equal(read.highWatermark, 5);
      await log.truncateTo(0);
      assert.equal(log.highWatermark, 0, 'a truncation lowers it');
      await log.appendAsFollower(await batchOf(4));
      log.setHighWatermarkFollowsLogEnd(true);
      assert.equal(log.highWatermark, 4, 'switched to follow the log end: at once at what is written');
      await log.append(await batchOf(2), { leaderEpoch: 1 });
      assert.equal(log.highWatermark, 6);
      log.setHighWatermarkFollowsLogEnd(false);
      await log.append(await batchOf(2), { leaderEpoch: 1 });
      assert.equal(log.highWatermark, 6);
      await log.close();
      const again = await PartitionLog.open(log.dir, testConfig(), { clock: new ManualClock(), logger: silentLogger, highWatermarkFollowsLogEnd: false }, { highWatermark: 5 });
      assert.equal(again.highWatermark, 5);
      await again.close();
      const none = await PartitionLog.open(log.dir, testConfig(), { clock: new ManualClock(), logger: silentLogger, highWatermarkFollowsLogEnd: false });
      assert.equal(none.highWatermark, 0, 'Kafka starts at the log start without a checkpoint');
      await none.close();
    }));
});
