import assert from 'node:assert/strict';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { TRANSACTIONAL_BIT } from '../../../src/protocol/records/batch-header.js';
import { StorageError } from '../../../src/storage/errors.js';
import { decodeTxnIndex } from '../../../src/storage/producer-state-io.js';
import type { PartitionLog } from '../../../src/storage/partition-log.js';
import { batchOf, batchesIn, makeBatch, openTestLog, withTempDir } from './helpers.js';

/** `n` transactional records from `pid` at sequence `seq`. */
function txnBatch(pid: number, seq: number, n = 2, epoch = 0): Promise<Buffer> {
  return makeBatch(Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`t${pid}-${seq + i}`) })), {
    producerId: pid, producerEpoch: epoch, baseSequence: seq, attributes: TRANSACTIONAL_BIT,
  });
}

function marker(pid: number, commit: boolean, epoch = 0, coordinatorEpoch = 0) {
  return { producerId: pid, producerEpoch: epoch, commit, coordinatorEpoch, timestampMs: 1_700_000_000_000 };
}

/** Aborted transactions reported by read_committed reads from 0 to the LSO, deduplicated. */
async function allAborted(log: PartitionLog): Promise<Array<{ producerId: number; firstOffset: number }>> {
  const seen = new Map<string, { producerId: number; firstOffset: number }>();
  let next = 0;
  for (;;) {
    const c = await committedOffsets(log, next);
    for (const a of c.aborted) seen.set(`${a.producerId}@${a.firstOffset}`, a);
    if (c.end === next) return [...seen.values()];
    next = c.end;
  }
}

async function committedOffsets(log: PartitionLog, from = 0): Promise<{ end: number; aborted: Array<{ producerId: number; firstOffset: number }>; lso: number }> {
  const r = await log.read(from, 1 << 20, { isolation: 'read_committed' });
  const batches = batchesIn(r.records);
  return { end: batches.length === 0 ? from : batches[batches.length - 1]!.lastOffset + 1, aborted: r.abortedTransactions ?? [], lso: r.lastStableOffset };
}

describe('transactions in the log', () => {
  it('the last stable offset stops at the first open transaction; markers move it', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      await log.append(await batchOf(2), { leaderEpoch: 0 }); // 0-1
      await log.append(await txnBatch(7, 0), { leaderEpoch: 0 }); // 2-3
      await log.append(await batchOf(1), { leaderEpoch: 0 }); // 4
      await log.append(await txnBatch(8, 0), { leaderEpoch: 0 }); // 5-6
      assert.equal(log.highWatermark, 7);
      assert.equal(log.lastStableOffset, 2);
      let c = await committedOffsets(log);
      assert.equal(c.end, 2, 'read_committed stops at the LSO');
      const all = batchesIn((await log.read(0, 1 << 20)).records);
      assert.equal(all[all.length - 1]!.lastOffset, 6, 'read_uncommitted reads everything');

      assert.deepEqual(await log.appendControl(marker(7, true)), { offset: 7 });
      assert.equal(log.lastStableOffset, 5);
      assert.deepEqual(await log.appendControl(marker(8, false)), { offset: 8 });
      assert.equal(log.lastStableOffset, 9);
      c = await committedOffsets(log);
      assert.equal(c.end, 9);
      assert.deepEqual(c.aborted, [{ producerId: 8, firstOffset: 5 }]);
      // A fetch from after the abort marker needs no aborted transactions.
      assert.deepEqual((await committedOffsets(log, 9)).aborted, []);
      await log.close();
    }));

  it('fences markers from an older producer epoch or coordinator epoch', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      await log.append(await txnBatch(7, 0, 2, 3), { leaderEpoch: 0 });
      await assert.rejects(log.appendControl(marker(7, true, 2)), (e: unknown) => e instanceof StorageError && e.code === ErrorCode.INVALID_PRODUCER_EPOCH);
      await log.appendControl(marker(7, true, 3, 5));
      await log.append(await txnBatch(7, 2, 2, 3), { leaderEpoch: 0 });
      await assert.rejects(log.appendControl(marker(7, false, 3, 4)), (e: unknown) => e instanceof StorageError && e.code === ErrorCode.TRANSACTION_COORDINATOR_FENCED);
      // A non-transactional batch inside an open transaction is refused.
      const plain = await makeBatch([{ value: Buffer.from('x') }], { producerId: 7, producerEpoch: 3, baseSequence: 4 });
      await assert.rejects(log.append(plain, { leaderEpoch: 0 }), (e: unknown) => e instanceof StorageError && e.code === ErrorCode.INVALID_TXN_STATE);
      await log.close();
    }));

  it('records aborts in the segment .txnindex (Kafka layout) and rebuilds them after a crash', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir, { segmentBytes: 500 });
      let seq = 0;
      for (let i = 0; i < 6; i++) {
        await log.append(await txnBatch(11, seq), { leaderEpoch: 0 });
        seq += 2;
        await log.appendControl(marker(11, i % 2 === 0));
      }
      await log.append(await txnBatch(12, 0), { leaderEpoch: 0 }); // left open
      const abortedBefore = await allAborted(log);
      assert.equal(abortedBefore.length, 3);
      const lsoBefore = log.lastStableOffset;
      const files = (await readdir(log.dir)).filter((f) => f.endsWith('.txnindex'));
      assert.ok(files.length >= 1);
      const entries = (await Promise.all(files.map(async (f) => decodeTxnIndex(await readFile(join(log.dir, f)))))).flat();
      assert.equal(entries.length, 3);
      assert.equal((await readFile(join(log.dir, files[0]!))).length % 34, 0, '34-byte entries');
      await log.flush();
      // A SIGKILL: no clean marker, no close-time snapshot, the active segment's .txnindex lost.
      const end = log.logEndOffset;
      await log.close();
      await rm(join(log.dir, '.clean-shutdown'));
      await rm(join(log.dir, `${String(end).padStart(20, '0')}.snapshot`));
      const activeBase = log.segmentBaseOffsets[log.segmentBaseOffsets.length - 1]!;
      await rm(join(log.dir, `${String(activeBase).padStart(20, '0')}.txnindex`), { force: true });
      const again = await openTestLog(dir, { segmentBytes: 500 });
      assert.equal(again.lastStableOffset, lsoBefore, 'the open transaction is open again');
      assert.deepEqual(await allAborted(again), abortedBefore);
      const rebuilt = (await readdir(again.dir)).filter((f) => f.endsWith('.txnindex'));
      assert.ok(rebuilt.length >= 1, 'the .txnindex files are rewritten');
      await again.appendControl(marker(12, false));
      assert.equal(again.lastStableOffset, again.highWatermark);
      await again.close();
      const third = await openTestLog(dir, { segmentBytes: 500 });
      assert.equal((await allAborted(third)).length, 4);
      await third.close();
    }));

  it('a truncation below a marker reopens its transaction and forgets the abort', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      await log.append(await batchOf(1), { leaderEpoch: 0 }); // 0
      await log.append(await txnBatch(5, 0), { leaderEpoch: 0 }); // 1-2
      await log.appendControl(marker(5, false)); // 3
      await log.append(await batchOf(1), { leaderEpoch: 0 }); // 4
      assert.equal(log.lastStableOffset, 5);
      assert.equal((await allAborted(log)).length, 1);
      await log.truncateTo(3);
      assert.equal(log.logEndOffset, 3);
      assert.equal(log.lastStableOffset, 1, 'the transaction is open again');
      assert.deepEqual(log.producerState.allAborted(), []);
      await log.appendControl(marker(5, true));
      assert.equal(log.lastStableOffset, 4);
      await log.close();
      const again = await openTestLog(dir);
      assert.deepEqual(again.producerState.allAborted(), [], 'no stale .txnindex entry');
      assert.equal(again.lastStableOffset, 4);
      await again.close();
    }));
});
