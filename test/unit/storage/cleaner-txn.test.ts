import assert from 'node:assert/strict';
import { readFile, readdir, rm } from 'node:fs/promises';
import type { SwapStep } from '../../../src/storage/cleaner.js';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { CONTROL_BIT, DELETE_HORIZON_BIT, TRANSACTIONAL_BIT } from '../../../src/protocol/records/batch-header.js';
import { type RecordBatch, decodeRecordBatches } from '../../../src/protocol/records/record-batch.js';
import { ManualClock } from '../../../src/platform/clock.js';
import type { LogConfig } from '../../../src/storage/config.js';
import { StorageError } from '../../../src/storage/errors.js';
import type { PartitionLog } from '../../../src/storage/partition-log.js';
import { type AbortedTxn } from '../../../src/storage/producer-state.js';
import { decodeTxnIndex } from '../../../src/storage/producer-state-io.js';
import { type BatchOptions, makeBatch, openTestLog, withTempDir } from './helpers.js';

const HOUR = 3_600_000;
const CONFIG: Partial<LogConfig> = { cleanupPolicy: 'compact', segmentBytes: 1024, deleteRetentionMs: HOUR };

interface Producer {
  pid: number;
  seq: number;
}

async function put(log: PartitionLog, clock: ManualClock, records: Array<[string, string]>, opts: BatchOptions = {}): Promise<number> {
  const batch = await makeBatch(records.map(([k, v]) => ({ key: Buffer.from(k), value: Buffer.from(v), timestamp: clock.now() })), opts);
  return (await log.append(batch, { leaderEpoch: 0 })).baseOffset;
}

/** A transactional batch of `p`, moving its sequence on. */
async function txn(log: PartitionLog, clock: ManualClock, p: Producer, records: Array<[string, string]>): Promise<number> {
  const at = await put(log, clock, records, { producerId: p.pid, producerEpoch: 0, baseSequence: p.seq, attributes: TRANSACTIONAL_BIT });
  p.seq += records.length;
  return at;
}

async function end(log: PartitionLog, clock: ManualClock, p: Producer, commit: boolean): Promise<number> {
  return (await log.appendControl({ producerId: p.pid, producerEpoch: 0, commit, coordinatorEpoch: 0, timestampMs: clock.now() })).offset;
}

/** A record big enough that whatever comes next starts a new segment: all before it is closed. */
function pad(log: PartitionLog, clock: ManualClock): Promise<number> {
  return put(log, clock, [['pad', 'p'.repeat(900)]]);
}

async function batches(log: PartitionLog, isolation?: 'read_committed'): Promise<{ batches: RecordBatch[]; aborted: Array<{ producerId: number; firstOffset: number }>; lso: number }> {
  const out: RecordBatch[] = [];
  const aborted = new Map<string, { producerId: number; firstOffset: number }>();
  let next = log.logStartOffset;
  let lso = -1;
  for (;;) {
    const r = await log.read(next, 1 << 20, isolation === undefined ? {} : { isolation });
    lso = r.lastStableOffset;
    for (const a of r.abortedTransactions ?? []) aborted.set(`${a.producerId}@${a.firstOffset}`, a);
    const decoded = await decodeRecordBatches(r.records);
    if (decoded.length === 0) break;
    out.push(...decoded);
    const last = decoded[decoded.length - 1]!;
    next = last.baseOffset + last.lastOffsetDelta + 1;
  }
  return { batches: out, aborted: [...aborted.values()], lso };
}

/** What a read_committed consumer gets, as Kafka's consumer filters (skips aborted batches). */
async function committedRecords(log: PartitionLog): Promise<string[]> {
  const { batches: bs, aborted } = await batches(log, 'read_committed');
  const pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  const abortedPids = new Set<number>();
  const out: string[] = [];
  for (const b of bs) {
    while (pending.length > 0 && pending[0]!.firstOffset <= b.baseOffset + b.lastOffsetDelta) abortedPids.add(pending.shift()!.producerId);
    if ((b.attributes & CONTROL_BIT) !== 0) {
      if (b.records.length > 0 && b.records[0]!.key!.readInt16BE(2) === 0) abortedPids.delete(b.producerId);
      continue;
    }
    if ((b.attributes & TRANSACTIONAL_BIT) !== 0 && abortedPids.has(b.producerId)) continue;
    for (const r of b.records) out.push(`${b.baseOffset + r.offsetDelta}:${r.key}=${r.value}`);
  }
  return out;
}

function markers(bs: RecordBatch[]): Map<number, { horizon: boolean }> {
  const m = new Map<number, { horizon: boolean }>();
  for (const b of bs) if ((b.attributes & CONTROL_BIT) !== 0) m.set(b.baseOffset, { horizon: (b.attributes & DELETE_HORIZON_BIT) !== 0 });
  return m;
}

async function txnIndexesOnDisk(dir: string): Promise<AbortedTxn[]> {
  const out: AbortedTxn[] = [];
  for (const n of (await readdir(dir)).filter((n) => n.endsWith('.txnindex')).sort()) out.push(...decodeTxnIndex(await readFile(join(dir, n))));
  return out;
}

const byOffset = (a: AbortedTxn, b: AbortedTxn): number => a.lastOffset - b.lastOffset;

async function compact(log: PartitionLog): Promise<void> {
  const r = await log.compactNow(undefined, { force: true });
  assert.equal(r.cleaned, true, r.skipped);
}

/** A crash and a reopen with no producer snapshot left: the producer state is replayed from the log. */
async function reopenFromScratch(log: PartitionLog, clock: ManualClock): Promise<PartitionLog> {
  await log.close();
  for (const n of await readdir(log.dir)) if (n.endsWith('.snapshot') || n === '.clean-shutdown') await rm(join(log.dir, n));
  return openTestLog(join(log.dir, '..'), CONFIG, { clock });
}

/**
 * The first test's log up to its last pass: offsets 6 and 7 are markers (of t1 committed and t2
 * aborted) whose data is gone and whose delete horizon has passed; t3 (aborted, 8-10) keeps its
 * producer's last batch as a header.
 */
async function markersDue(dir: string, clock: ManualClock): Promise<PartitionLog> {
  const log = await openTestLog(dir, CONFIG, { clock });
  const p1 = { pid: 1, seq: 0 };
  const p2 = { pid: 2, seq: 0 };
  await put(log, clock, [['a', 'p1']]);
  await txn(log, clock, p1, [['a', 'c1'], ['b', 'c1']]);
  await txn(log, clock, p2, [['a', 'x'], ['c', 'x']]);
  await put(log, clock, [['b', 'p2']]);
  await end(log, clock, p1, true);
  await end(log, clock, p2, false);
  await txn(log, clock, p2, [['d', 'x']]);
  await put(log, clock, [['c', 'p3']]);
  await end(log, clock, p2, false);
  await txn(log, clock, p1, [['e', 'c2']]);
  await end(log, clock, p1, true);
  await pad(log, clock);
  // As in the first test: t2's marker gets its horizon in the second pass, t1's in the third.
  for (const [k, v, advanceMs] of [['a', 'p4', 0], ['b', 'p5', HOUR / 2], ['x', '1', HOUR]] as const) {
    await compact(log);
    clock.advance(advanceMs);
    await put(log, clock, [[k, v]]);
    await pad(log, clock);
  }
  return log;
}

describe('log compaction with transactions', () => {
  it('drops aborted transactions, compacts committed ones by key, and removes markers once their data is gone and the horizon passed', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      let log = await openTestLog(dir, CONFIG, { clock });
      const p1 = { pid: 1, seq: 0 };
      const p2 = { pid: 2, seq: 0 };
      assert.equal(await put(log, clock, [['a', 'p1']]), 0);
      assert.equal(await txn(log, clock, p1, [['a', 'c1'], ['b', 'c1']]), 1); // committed
      assert.equal(await txn(log, clock, p2, [['a', 'x'], ['c', 'x']]), 3); // aborted
      assert.equal(await put(log, clock, [['b', 'p2']]), 5);
      assert.equal(await end(log, clock, p1, true), 6);
      assert.equal(await end(log, clock, p2, false), 7);
      assert.equal(await txn(log, clock, p2, [['d', 'x']]), 8); // aborted, p2's last batch
      assert.equal(await put(log, clock, [['c', 'p3']]), 9);
      assert.equal(await end(log, clock, p2, false), 10);
      assert.equal(await txn(log, clock, p1, [['e', 'c2']]), 11); // committed, p1's last batch
      assert.equal(await end(log, clock, p1, true), 12);
      await pad(log, clock);
      const t2 = { producerId: 2, firstOffset: 3, lastOffset: 7 };
      const t3 = { producerId: 2, firstOffset: 8, lastOffset: 10 };
      assert.deepEqual(log.producerState.allAborted().map((a) => ({ ...a, lastStableOffset: 0 })), [t2, t3].map((a) => ({ ...a, lastStableOffset: 0 })));

      // Pass 1: aborted data goes, committed data is compacted, every marker stays.
      await compact(log);
      let all = await batches(log);
      const records = (bs: RecordBatch[]): string[] => bs.flatMap((b) => ((b.attributes & CONTROL_BIT) !== 0 ? [] : b.records.map((r) => `${b.baseOffset + r.offsetDelta}:${r.key}=${r.value}`)));
      assert.deepEqual(records(all.batches), ['1:a=c1', '5:b=p2', '9:c=p3', '11:e=c2', `13:pad=${'p'.repeat(900)}`]);
      const t3Batch = all.batches.find((b) => b.baseOffset === 8);
      assert.ok(t3Batch !== undefined && t3Batch.records.length === 0 && t3Batch.producerId === 2 && t3Batch.baseSequence === 2, "the aborted producer's last batch stays as a header");
      assert.deepEqual([...markers(all.batches)], [[6, { horizon: false }], [7, { horizon: false }], [10, { horizon: false }], [12, { horizon: false }]]);
      assert.deepEqual(await committedRecords(log), records(all.batches));
      assert.equal(all.lso, log.highWatermark);
      assert.equal((await batches(log, 'read_committed')).lso, log.highWatermark);

      // Pass 2: t1's data is superseded and goes; its marker stays this pass (Kafka: a marker
      // whose data the pass met stays); t2's marker has no data left and gets a delete horizon.
      await put(log, clock, [['a', 'p4']]);
      await pad(log, clock);
      await compact(log);
      all = await batches(log);
      assert.ok(!all.batches.some((b) => b.baseOffset === 1), "t1's emptied batch is gone");
      assert.deepEqual([...markers(all.batches)], [[6, { horizon: false }], [7, { horizon: true }], [10, { horizon: false }], [12, { horizon: false }]]);

      // Pass 3 before t2's horizon: the markers stay; t1's now gets its horizon.
      clock.advance(HOUR / 2);
      await put(log, clock, [['b', 'p5']]);
      await pad(log, clock);
      await compact(log);
      assert.deepEqual([...markers((await batches(log)).batches)], [[6, { horizon: true }], [7, { horizon: true }], [10, { horizon: false }], [12, { horizon: false }]]);

      // Pass 4 after it: markers 6 and 7 go, and so does t2's .txnindex entry.
      clock.advance(HOUR);
      await put(log, clock, [['c', 'p6']]);
      await pad(log, clock);
      await compact(log);
      all = await batches(log);
      assert.deepEqual([...markers(all.batches)], [[10, { horizon: false }], [12, { horizon: false }]]);
      const live = ['11:e=c2', '14:a=p4', '16:b=p5', '18:c=p6'];
      const check = async (l: PartitionLog): Promise<void> => {
        const got = await committedRecords(l);
        assert.deepEqual(got.filter((r) => !r.includes(':pad=')), live);
        assert.ok(!got.some((r) => r.includes('=x')), 'no aborted record is read');
        assert.deepEqual(l.producerState.allAborted().map((a) => ({ ...a, lastStableOffset: 0 })), [{ ...t3, lastStableOffset: 0 }]);
        assert.deepEqual((await txnIndexesOnDisk(l.dir)).sort(byOffset).map((a) => ({ ...a, lastStableOffset: 0 })), [{ ...t3, lastStableOffset: 0 }]);
        const committed = await batches(l, 'read_committed');
        assert.equal(committed.lso, l.highWatermark);
        assert.equal(l.lastStableOffset, l.logEndOffset);
      };
      await check(log);
      const before = (await batches(log)).batches;

      // A clean reopen and a reopen that replays the producer state from the log show the same.
      await log.close();
      log = await openTestLog(dir, CONFIG, { clock });
      assert.deepEqual((await batches(log)).batches, before);
      await check(log);
      log = await reopenFromScratch(log, clock);
      assert.deepEqual((await batches(log)).batches, before);
      await check(log);
      assert.equal(log.producerState.entry(2)?.batches.at(-1)?.lastSeq, 2, "p2's sequence survives in its retained header");
      assert.equal(log.producerState.entry(1)?.batches.at(-1)?.lastSeq, 2);
      // Both producers go on in sequence.
      await txn(log, clock, { pid: 1, seq: 3 }, [['f', 'c3']]);
      await end(log, clock, p1, true);
      await log.close();
    }));

  it('never cleans past the last stable offset', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, CONFIG, { clock });
      const p3 = { pid: 3, seq: 0 };
      await put(log, clock, [['k', 'v0']]); // 0
      await put(log, clock, [['k', 'v1']]); // 1
      await pad(log, clock); // 2
      await txn(log, clock, p3, [['k', 'open']]); // 3, open
      await put(log, clock, [['k', 'v2']]); // 4
      await pad(log, clock); // 5
      assert.equal(log.lastStableOffset, 3);
      await compact(log);
      const values = async (): Promise<string[]> =>
        (await batches(log)).batches.flatMap((b) => b.records.filter((r) => r.key!.toString() === 'k').map((r) => `${b.baseOffset + r.offsetDelta}:${r.value}`));
      assert.deepEqual(await values(), ['1:v1', '3:open', '4:v2'], 'the segment with the open transaction is not cleaned');
      assert.equal((await log.compactionStatus()).firstDirtyOffset, 3);

      await end(log, clock, p3, false); // 6: the transaction is aborted
      await pad(log, clock); // 7
      await compact(log);
      assert.deepEqual(await values(), ['4:v2'], 'the aborted record is gone and v1 superseded');
      await log.close();
    }));

  it("keeps an idempotent producer's last batch, so a retry after cleaning and after a replay is still a duplicate", () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      let log = await openTestLog(dir, CONFIG, { clock });
      const idem = (seq: number): BatchOptions => ({ producerId: 7, producerEpoch: 0, baseSequence: seq });
      for (let seq = 0; seq < 3; seq++) await put(log, clock, [['k', `v${seq}`]], idem(seq)); // 0-2
      await put(log, clock, [['k', 'final']]); // 3
      await pad(log, clock); // 4
      await compact(log);
      const all = (await batches(log)).batches;
      assert.deepEqual(
        all.filter((b) => b.producerId === 7).map((b) => [b.baseOffset, b.baseSequence, b.records.length]),
        [[2, 2, 0]],
        'only the last batch of the producer stays, emptied',
      );
      assert.deepEqual(all.flatMap((b) => b.records.map((r) => `${r.key}=${r.value}`.slice(0, 7))), ['k=final', 'pad=ppp']);

      // A retry of the last batch is answered with its original offsets.
      const retry = async (seq: number, offset: number): Promise<void> => {
        const batch = await makeBatch([{ key: Buffer.from('k'), value: Buffer.from(`v${seq}`), timestamp: clock.now() }], idem(seq));
        const r = await log.append(batch, { leaderEpoch: 0 });
        assert.equal(r.duplicate, true);
        assert.equal(r.baseOffset, offset);
      };
      await retry(2, 2);
      assert.equal(await put(log, clock, [['k', 'v3']], idem(3)), 5);
      await assert.rejects(put(log, clock, [['k', 'v5']], idem(5)), (e: unknown) => e instanceof StorageError && e.code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);

      // The producer state replayed from the cleaned log alone knows the producer's sequence.
      log = await reopenFromScratch(log, clock);
      assert.equal(log.producerState.entry(7)?.batches.at(-1)?.lastSeq, 3);
      await retry(3, 5);
      await retry(2, 2);
      assert.equal(await put(log, clock, [['k', 'v4']], idem(4)), 6);
      await log.close();
    }));

  for (const step of ['cleaned', 'swap', 'first-old-deleted', 'old-deleted', 'renamed'] as SwapStep[]) {
    it(`a crash after the ${step} step of a swap that removes markers leaves .txnindex and markers consistent`, () =>
      withTempDir(async (dir) => {
        const clock = new ManualClock();
        let log = await markersDue(dir, clock);
        assert.deepEqual([...markers((await batches(log)).batches)].map(([o]) => o), [6, 7, 10, 12]);
        const r = await log.compactNow(undefined, { force: true, crashAfter: step });
        assert.equal(r.crashedAt, step);
        await log.close();
        await rm(join(log.dir, '.clean-shutdown'), { force: true });
        log = await openTestLog(dir, CONFIG, { clock });
        assert.ok(!(await readdir(log.dir)).some((n) => /\.(cleaned|swap)$/.test(n)));
        const all = (await batches(log)).batches;
        const markerOffsets = [...markers(all)].map(([o]) => o);
        assert.deepEqual(markerOffsets, step === 'cleaned' ? [6, 7, 10, 12] : [10, 12]);
        // Every aborted transaction known, in memory and on disk, still has its marker.
        const known = log.producerState.allAborted().map((a) => `${a.producerId}:${a.firstOffset}-${a.lastOffset}`);
        assert.deepEqual(known, step === 'cleaned' ? ['2:3-7', '2:8-10'] : ['2:8-10']);
        assert.deepEqual((await txnIndexesOnDisk(log.dir)).sort(byOffset).map((a) => `${a.producerId}:${a.firstOffset}-${a.lastOffset}`), known);
        const got = await committedRecords(log);
        assert.ok(!got.some((x) => x.includes('=x')), 'no aborted record is read');
        assert.deepEqual(got.filter((x) => !x.includes(':pad=')).map((x) => x.split(':')[1]).sort(), ['a=p4', 'b=p5', 'c=p3', 'e=c2', 'x=1']);
        // The reopened log compacts on to the same end.
        await compact(log);
        assert.deepEqual([...markers((await batches(log)).batches)].map(([o]) => o), [10, 12]);
        assert.deepEqual((await txnIndexesOnDisk(log.dir)).map((a) => `${a.producerId}:${a.firstOffset}-${a.lastOffset}`), ['2:8-10']);
        await log.close();
      }));
  }
});
