import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { ManualClock } from '../../../src/platform/clock.js';
import { StorageError } from '../../../src/storage/errors.js';
import { ProducerStateManager, nextSequence } from '../../../src/storage/producer-state.js';
import type { PartitionLog } from '../../../src/storage/partition-log.js';
import { FaultyDisk, makeBatch, openTestLog, withTempDir } from './helpers.js';
import { TRANSACTIONAL_BIT } from '../../../src/protocol/records/batch-header.js';

const PID = 4000;

/** `n` records from producer PID at `epoch`, starting at `seq` (a fresh buffer: appends patch it). */
function idem(seq: number, n = 3, epoch = 0, pid = PID): Promise<Buffer> {
  return makeBatch(Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`v${seq + i}`) })), { producerId: pid, producerEpoch: epoch, baseSequence: seq });
}

async function rejects(p: Promise<unknown>, code: number): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof StorageError && err.code === code);
}

/** A SIGKILL: nothing written at close survives (no clean marker, no close-time snapshot). */
async function crash(log: PartitionLog): Promise<void> {
  const end = log.logEndOffset;
  await log.close();
  await rm(join(log.dir, '.clean-shutdown'), { force: true });
  await rm(join(log.dir, `${String(end).padStart(20, '0')}.snapshot`), { force: true });
}

describe('producer state: idempotent appends', () => {
  it('answers a retried batch with its original offsets and stores it once', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      const a = await log.append(await idem(0), { leaderEpoch: 0 });
      const b = await log.append(await idem(3), { leaderEpoch: 0 });
      assert.equal(a.baseOffset, 0);
      assert.equal(b.baseOffset, 3);
      const retry = await log.append(await idem(0), { leaderEpoch: 0 });
      assert.equal(retry.baseOffset, 0);
      assert.equal(retry.lastOffset, 2);
      assert.equal(retry.duplicate, true);
      assert.equal(log.logEndOffset, 6);
      await log.close();
    }));

  it('a retry of each of the last five batches gets its original offsets; the sixth from last is out of order', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      // Ten batches of three records: sequence s sits at offset s.
      for (let s = 0; s < 30; s += 3) assert.equal((await log.append(await idem(s), { leaderEpoch: 0 })).baseOffset, s);
      for (const s of [27, 24, 21, 18, 15]) {
        const retry = await log.append(await idem(s), { leaderEpoch: 0 });
        assert.deepEqual({ baseOffset: retry.baseOffset, lastOffset: retry.lastOffset, duplicate: retry.duplicate }, { baseOffset: s, lastOffset: s + 2, duplicate: true }, `the batch at sequence ${s}`);
      }
      await rejects(log.append(await idem(12), { leaderEpoch: 0 }), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      assert.equal(log.logEndOffset, 30, 'no retry was stored again');
      await log.close();
    }));

  it('rejects a gap, an old epoch and a new epoch not starting at 0', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      await log.append(await idem(0, 2, 1), { leaderEpoch: 0 });
      await rejects(log.append(await idem(5, 2, 1), { leaderEpoch: 0 }), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      await rejects(log.append(await idem(2, 2, 0), { leaderEpoch: 0 }), ErrorCode.INVALID_PRODUCER_EPOCH);
      await rejects(log.append(await idem(7, 2, 2), { leaderEpoch: 0 }), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      assert.equal(log.logEndOffset, 2, 'nothing rejected was stored');
      await log.append(await idem(0, 2, 2), { leaderEpoch: 0 });
      await log.append(await idem(2, 2, 2), { leaderEpoch: 0 });
      assert.equal(log.producerState.entry(PID)?.producerEpoch, 2);
      await log.close();
    }));

  it('accepts any sequence from an unknown producer, and non-idempotent batches as they come', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      assert.equal((await log.append(await idem(17), { leaderEpoch: 0 })).baseOffset, 0);
      await log.append(await makeBatch([{ value: Buffer.from('x') }]), { leaderEpoch: 0 });
      await log.append(await makeBatch([{ value: Buffer.from('x') }]), { leaderEpoch: 0 });
      assert.equal(log.logEndOffset, 5);
      await log.close();
    }));

  it('a retry that arrives while the original is queued fails with it when its write fails', () =>
    withTempDir(async (dir) => {
      const disk = new FaultyDisk();
      const log = await openTestLog(dir, {}, { openFile: disk.open });
      await log.append(await idem(0), { leaderEpoch: 0 });
      disk.failWrites = 1;
      const original = log.append(await idem(3), { leaderEpoch: 0 });
      const retry = log.append(await idem(3), { leaderEpoch: 0 });
      await rejects(original, ErrorCode.KAFKA_STORAGE_ERROR);
      await rejects(retry, ErrorCode.KAFKA_STORAGE_ERROR);
      assert.equal(log.logEndOffset, 3);
      const again = await log.append(await idem(3), { leaderEpoch: 0 });
      assert.equal(again.baseOffset, 3);
      assert.equal(again.duplicate, undefined);
      await log.close();
    }));

  it('wraps sequences at 2^31-1', () => {
    assert.equal(nextSequence(2 ** 31 - 1, 1), 0);
    assert.equal(nextSequence(2 ** 31 - 2, 2), 0);
    assert.equal(nextSequence(2 ** 31 - 2, 3), 1);
    const ps = new ProducerStateManager();
    const b = { producerId: 1, producerEpoch: 0, isTransactional: false, isControl: false, maxTimestamp: 0 };
    const s1 = ps.stage([{ ...b, baseSequence: 2 ** 31 - 2, offsetDelta: 1 }]);
    assert.equal(s1.kind, 'append');
    if (s1.kind === 'append') ps.commit(s1, [0]);
    const s2 = ps.stage([{ ...b, baseSequence: 0, offsetDelta: 0 }]);
    assert.equal(s2.kind, 'append');
  });

  it('expires idle producers after producer.id.expiration.ms', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, {}, { clock, producerIdExpirationMs: 1000 });
      const now = clock.now();
      const batch = await makeBatch([{ value: Buffer.from('a'), timestamp: now }], { producerId: PID, producerEpoch: 0, baseSequence: 0 });
      await log.append(batch, { leaderEpoch: 0 });
      assert.equal(log.producerState.size, 1);
      clock.advance(120_000);
      await log.append(await makeBatch([{ value: Buffer.from('b') }]), { leaderEpoch: 0 });
      assert.equal(log.producerState.size, 0);
      await log.close();
    }));
});

describe('producer state: snapshots and recovery', () => {
  it('round-trips a snapshot in Kafka format', () => {
    const ps = new ProducerStateManager();
    const b = { producerId: 77, producerEpoch: 3, isTransactional: true, isControl: false, maxTimestamp: 1234 };
    const s = ps.stage([{ ...b, baseSequence: 10, offsetDelta: 4 }]);
    assert.ok(s.kind === 'append');
    ps.commit(s, [100]);
    const buf = ps.encodeSnapshot();
    assert.equal(buf.readInt16BE(0), 1, 'version 1');
    assert.equal(buf.length, 10 + 46);
    const back = new ProducerStateManager();
    back.loadSnapshot(buf);
    const e = back.entry(77)!;
    assert.equal(e.producerEpoch, 3);
    assert.deepEqual(e.batches, [{ firstSeq: 10, lastSeq: 14, firstOffset: 100, lastOffset: 104, timestampMs: 1234 }]);
    assert.equal(e.currentTxnFirstOffset, 100);
    const bad = Buffer.from(buf);
    bad[bad.length - 1]! ^= 1;
    assert.throws(() => back.loadSnapshot(bad), /CRC/);
  });

  it('writes a snapshot at roll and at clean close; reopening keeps de-duplication', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir, { segmentBytes: 400 });
      for (let s = 0; s < 30; s += 3) await log.append(await idem(s), { leaderEpoch: 0 });
      await log.close();
      const snaps = (await readdir(join(dir, 'topic-0'))).filter((f) => f.endsWith('.snapshot'));
      assert.ok(snaps.includes('00000000000000000030.snapshot'), `snapshots: ${snaps}`);
      const again = await openTestLog(dir, { segmentBytes: 400 });
      assert.equal((await again.append(await idem(27), { leaderEpoch: 0 })).baseOffset, 27);
      assert.equal(again.logEndOffset, 30);
      assert.equal((await again.append(await idem(30), { leaderEpoch: 0 })).baseOffset, 30);
      await again.close();
    }));

  it('after a crash replays the batches past the last snapshot: a retry is still a duplicate', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir, { segmentBytes: 400 });
      for (let s = 0; s < 30; s += 3) await log.append(await idem(s), { leaderEpoch: 0 });
      await log.flush();
      await crash(log);
      const again = await openTestLog(dir, { segmentBytes: 400 });
      assert.equal(again.logEndOffset, 30);
      // The snapshot of the last roll (offset 24) holds the batch before it, as Kafka's does; the
      // batches after it are replayed from the log.
      for (const s of [21, 24, 27]) {
        const r = await again.append(await idem(s), { leaderEpoch: 0 });
        assert.equal(r.baseOffset, s);
        assert.equal(r.duplicate, true);
      }
      await rejects(again.append(await idem(33), { leaderEpoch: 0 }), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      await again.close();
    }));

  it('recovers without any snapshot by replaying the whole log, and ignores a corrupt one', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      for (let s = 0; s < 12; s += 3) await log.append(await idem(s), { leaderEpoch: 0 });
      await log.close();
      const p = join(dir, 'topic-0', '00000000000000000012.snapshot');
      const bytes = await readFile(p);
      bytes[bytes.length - 1]! ^= 0xff;
      const { writeFile } = await import('node:fs/promises');
      await writeFile(p, bytes);
      await rm(join(dir, 'topic-0', '.clean-shutdown'), { force: true });
      const again = await openTestLog(dir);
      const r = await again.append(await idem(9), { leaderEpoch: 0 });
      assert.equal(r.duplicate, true);
      assert.equal(r.baseOffset, 9);
      await again.close();
    }));
});

describe('producer state: KIP-890 verification guards', () => {
  const txnBatch = (seq: number, epoch = 0) =>
    makeBatch([{ value: Buffer.from(`t${seq}`) }], { producerId: PID, producerEpoch: epoch, baseSequence: seq, attributes: TRANSACTIONAL_BIT });

  it('takes a verified batch; a marker between the verification and the append drops the guard, so the batch is refused', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      const state = log.producerState;
      assert.equal(state.inTransaction(PID, 0), false);
      const guard = state.verificationGuard(PID);
      assert.equal(state.verificationGuard(PID), guard, 'one guard per producer until its next marker');
      await log.append(await txnBatch(0), { leaderEpoch: 0, verificationGuards: new Map([[PID, guard]]) });
      assert.equal(state.inTransaction(PID, 0), true, 'the partition is in the open transaction: no more verification');
      await log.appendControl({ producerId: PID, producerEpoch: 0, commit: true, coordinatorEpoch: 0, timestampMs: 1 });
      assert.equal(state.inTransaction(PID, 0), false);
      // Verified for the next transaction, which then ends before the batch is placed.
      const stale = state.verificationGuard(PID);
      assert.notEqual(stale, guard);
      await log.appendControl({ producerId: PID, producerEpoch: 0, commit: false, coordinatorEpoch: 0, timestampMs: 2 });
      await rejects(log.append(await txnBatch(1), { leaderEpoch: 0, verificationGuards: new Map([[PID, stale]]) }), ErrorCode.INVALID_TXN_STATE);
      assert.equal(state.inTransaction(PID, 0), false, 'no transaction was opened');
      await log.close();
    }));

  it('a producer epoch moved on by a marker (transactions v2) starts at sequence 0, as in Kafka', () =>
    withTempDir(async (dir) => {
      const log = await openTestLog(dir);
      await log.append(await txnBatch(0), { leaderEpoch: 0 });
      await log.appendControl({ producerId: PID, producerEpoch: 1, commit: true, coordinatorEpoch: 0, timestampMs: 1 });
      await rejects(log.append(await txnBatch(5, 1), { leaderEpoch: 0 }), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      await rejects(log.append(await txnBatch(1, 0), { leaderEpoch: 0 }), ErrorCode.INVALID_PRODUCER_EPOCH);
      assert.equal((await log.append(await txnBatch(0, 1), { leaderEpoch: 0 })).baseOffset, 2);
      await log.close();
    }));
});
