import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../src/platform/clock.js';
import { COMPRESSION_MASK, Compression, DELETE_HORIZON_BIT, TRANSACTIONAL_BIT } from '../../../src/protocol/records/batch-header.js';
import { type RecordBatch, decodeRecordBatches, encodeControlBatch } from '../../../src/protocol/records/record-batch.js';
import { silentLogger } from '../../../src/util/logger.js';
import type { SwapStep } from '../../../src/storage/cleaner.js';
import type { LogConfig } from '../../../src/storage/config.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import type { PartitionLog } from '../../../src/storage/partition-log.js';
import { validateProducedBatches } from '../../../src/storage/validate.js';
import { CHILD_CONFIG, CHILD_KEYS, expectedAt } from './cleaner-crash-child.js';
import { type BatchOptions, makeBatch, openTestLog, testConfig, withTempDir } from './helpers.js';
import { waitFor } from '../../helpers/wait.js';

const HOUR = 3_600_000;

interface Rec {
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
}

/** Appends one batch of `records` at `timestamp`; returns them with their offsets. */
async function produce(
  log: PartitionLog,
  records: Array<{ key: string | null; value: string | null }>,
  timestamp: number,
  opts: BatchOptions = {},
): Promise<Rec[]> {
  const batch = await makeBatch(
    records.map((r) => ({
      key: r.key === null ? null : Buffer.from(r.key),
      value: r.value === null ? null : Buffer.from(r.value),
      timestamp,
    })),
    opts,
  );
  const res = await log.append(batch, { leaderEpoch: 0 });
  return records.map((r, i) => ({ offset: res.baseOffset + i, key: r.key, value: r.value, timestamp }));
}

/** Every stored batch and record from the log start, as a consumer would read them. */
async function readAll(log: PartitionLog): Promise<{ records: Rec[]; batches: RecordBatch[] }> {
  const records: Rec[] = [];
  const batches: RecordBatch[] = [];
  let next = log.logStartOffset;
  while (next < log.logEndOffset) {
    const decoded = await decodeRecordBatches((await log.read(next, 1 << 30)).records);
    if (decoded.length === 0) break;
    for (const b of decoded) {
      batches.push(b);
      for (const r of b.records) {
        const offset = b.baseOffset + r.offsetDelta;
        if (offset < next) continue;
        records.push({ offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, timestamp: b.baseTimestamp + r.timestampDelta });
      }
    }
    const last = decoded[decoded.length - 1]!;
    next = last.baseOffset + last.lastOffsetDelta + 1;
  }
  return { records, batches };
}

/**
 * What a full clean of everything below `cleanedEnd` leaves: the latest record per key there
 * (tombstones too, unless `dropTombstones`), and every record from `cleanedEnd` on.
 */
function expectedAfterClean(written: Rec[], cleanedEnd: number, dropTombstones = false): Rec[] {
  const latest = new Map<string, number>();
  for (const r of written) if (r.offset < cleanedEnd && r.key !== null) latest.set(r.key, r.offset);
  return written.filter((r) => {
    if (r.offset >= cleanedEnd) return true;
    if (r.key === null || latest.get(r.key) !== r.offset) return false;
    return !(dropTombstones && r.value === null);
  });
}

/** The latest value per key among `records`. */
function latestValues(records: Rec[]): Map<string, string | null> {
  const m = new Map<string, string | null>();
  for (const r of records) if (r.key !== null) m.set(r.key, r.value);
  return m;
}

/** Base offset of the active (last) segment. */
function activeBase(log: PartitionLog): number {
  return log.segmentBaseOffsets[log.segmentBaseOffsets.length - 1]!;
}

/** 10 keys updated 200 times each, in batches of 1 to 5 records. */
async function fillKeys(log: PartitionLog, clock: ManualClock, keys = 10, updates = 200, opts: BatchOptions = {}): Promise<Rec[]> {
  const written: Rec[] = [];
  let n = 0;
  for (let u = 0; u < updates * keys; ) {
    const size = 1 + (n++ % 5);
    const records = [];
    // An idempotent producer's sequence moves on with every record (the log checks it).
    const batchOpts = opts.baseSequence === undefined ? opts : { ...opts, baseSequence: opts.baseSequence + u };
    for (let i = 0; i < size && u < updates * keys; i++, u++) records.push({ key: `key-${u % keys}`, value: `value-${u % keys}-${Math.floor(u / keys)}` });
    written.push(...(await produce(log, records, clock.now(), batchOpts)));
  }
  return written;
}

function compactedConfig(overrides: Partial<LogConfig> = {}): Partial<LogConfig> {
  return { cleanupPolicy: 'compact', segmentBytes: 1024, ...overrides };
}

/** Closes cleanly, then removes the marker: the reopened log treats the stop as a crash. */
async function closeAsCrash(log: PartitionLog): Promise<void> {
  await log.close();
  await rm(join(log.dir, '.clean-shutdown'), { force: true });
}

describe('log compaction', () => {
  it('keeps exactly the latest value per key at its original offset, plus the active segment', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      let log = await openTestLog(dir, compactedConfig(), { clock });
      const written = await fillKeys(log, clock);
      const segmentsBefore = log.segmentCount;
      assert.ok(segmentsBefore > 40, `${segmentsBefore} segments`);
      const end = log.logEndOffset;
      const cleanedEnd = activeBase(log);

      const result = await log.compactNow();
      assert.equal(result.cleaned, true, result.skipped);
      assert.equal(result.cleanerPoint, cleanedEnd);
      assert.ok(log.segmentCount < segmentsBefore / 4, `segments ${segmentsBefore} -> ${log.segmentCount}`);
      const { records } = await readAll(log);
      assert.deepEqual(records, expectedAfterClean(written, cleanedEnd));
      assert.deepEqual(latestValues(records), latestValues(written));
      const clean = records.filter((r) => r.offset < cleanedEnd);
      assert.equal(new Set(clean.map((r) => r.key)).size, clean.length, 'one record per key below the cleaner point');
      assert.equal(log.logEndOffset, end);
      assert.equal(log.logStartOffset, 0);

      // The checkpoint holds across a restart: nothing is cleaned again, the data reads the same.
      await log.close();
      log = await openTestLog(dir, compactedConfig(), { clock });
      assert.deepEqual((await readAll(log)).records, expectedAfterClean(written, cleanedEnd));
      const again = await log.compactNow(clock.now(), { force: true });
      assert.equal(again.cleaned, false);
      assert.equal(again.skipped, 'nothing is cleanable');

      // More updates: the second pass also cleans the earlier clean part and merges segments.
      written.push(...(await fillKeys(log, clock, 10, 50)));
      const cleanedEnd2 = activeBase(log);
      assert.equal((await log.compactNow()).cleaned, true);
      const after = (await readAll(log)).records;
      assert.deepEqual(after, expectedAfterClean(written, cleanedEnd2));
      const empty = (await readAll(log)).batches.filter((b) => b.records.length === 0).length;
      assert.ok(empty <= 2, `${empty} empty batches: at most the head group's last and the one ending the cleaned range`);
      assert.ok(!(await readdir(log.dir)).some((n) => n.endsWith('.cleaned') || n.endsWith('.swap')));
      await log.close();
    }));

  it('a consumer at any offset, even one cleaned away, reads on from the next surviving record', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      let log = await openTestLog(dir, compactedConfig({ segmentBytes: 600 }), { clock });
      const written = await fillKeys(log, clock, 4, 30);
      await log.compactNow();
      const survivors = (await readAll(log)).records;
      // Also after a restart: the log start stays where it was.
      await log.close();
      log = await openTestLog(dir, compactedConfig({ segmentBytes: 600 }), { clock });
      assert.equal(log.logStartOffset, 0);
      assert.equal(log.segmentBaseOffsets[0], 0);
      for (let from = 0; from < log.logEndOffset; from++) {
        // A consumer: fetch from its position, take records at or after it, move past the batch.
        let position = from;
        let first: Rec | undefined;
        while (first === undefined && position < log.logEndOffset) {
          const batches = await decodeRecordBatches((await log.read(position, 200)).records);
          assert.ok(batches.length > 0, `a fetch at ${position} returns a batch`);
          for (const b of batches) {
            for (const r of b.records) {
              const offset = b.baseOffset + r.offsetDelta;
              if (offset >= position && first === undefined) first = survivors.find((s) => s.offset === offset);
            }
          }
          const last = batches[batches.length - 1]!;
          position = last.baseOffset + last.lastOffsetDelta + 1;
        }
        assert.deepEqual(first, survivors.find((s) => s.offset >= from), `from ${from}`);
      }
      assert.equal(written.length, log.logEndOffset);
      await log.close();
    }));

  it('keeps tombstones until delete.retention.ms after the cleaner first passed them', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, compactedConfig({ deleteRetentionMs: HOUR, segmentBytes: 300 }), { clock });
      for (let i = 0; i < 5; i++) await produce(log, [{ key: 'gone', value: `v${i}` }, { key: 'kept', value: `v${i}` }], clock.now());
      const [tombstone] = await produce(log, [{ key: 'gone', value: null }], clock.now());
      await produce(log, [{ key: 'kept', value: 'last' }], clock.now());
      await produce(log, [{ key: 'other', value: 'x'.repeat(200) }], clock.now()); // rolls: the rest is closed

      // Explicit times: the manual clock also moves with real time.
      const cleanedAt = clock.now();
      assert.equal((await log.compactNow(cleanedAt)).cleaned, true);
      let records = (await readAll(log)).records;
      assert.deepEqual(
        records.filter((r) => r.key === 'gone'),
        [tombstone],
        'older values go at once; the tombstone stays, its timestamp unchanged',
      );
      const marked = (await readAll(log)).batches.find((b) => b.records.some((r) => r.value === null))!;
      assert.ok((marked.attributes & DELETE_HORIZON_BIT) !== 0, 'the batch carries its delete horizon');
      assert.equal(marked.baseTimestamp, cleanedAt + HOUR);

      clock.advance(HOUR - 1);
      await produce(log, [{ key: 'other', value: 'y'.repeat(200) }], clock.now());
      assert.equal((await log.compactNow(cleanedAt + HOUR - 1, { force: true })).cleaned, true);
      records = (await readAll(log)).records;
      assert.ok(records.some((r) => r.key === 'gone' && r.value === null), 'still there just before the horizon');

      clock.advance(1);
      await produce(log, [{ key: 'other', value: 'z'.repeat(200) }], clock.now());
      assert.equal((await log.compactNow(cleanedAt + HOUR, { force: true })).cleaned, true);
      records = (await readAll(log)).records;
      assert.ok(!records.some((r) => r.key === 'gone'), 'gone at the horizon');
      assert.deepEqual(latestValues(records).get('kept'), 'last');
      await log.close();
    }));

  it('min.compaction.lag.ms keeps segments with recent records as they are', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, compactedConfig({ minCompactionLagMs: HOUR }), { clock });
      const old = await fillKeys(log, clock, 5, 40);
      clock.advance(2 * HOUR);
      const recent = await fillKeys(log, clock, 5, 40);
      assert.ok(log.segmentBaseOffsets.filter((b) => b >= recent[0]!.offset).length > 3, 'the recent records fill closed segments too');
      // The first segment holding a recent record bounds the cleaning.
      const bound = [...log.segmentBaseOffsets].reverse().find((b) => b <= recent[0]!.offset)!;
      const result = await log.compactNow();
      assert.equal(result.cleaned, true);
      assert.equal(result.cleanerPoint, bound);
      const records = (await readAll(log)).records;
      assert.deepEqual(records, expectedAfterClean([...old, ...recent], bound));
      for (const r of recent) assert.ok(records.some((s) => s.offset === r.offset), `recent record ${r.offset} kept`);

      clock.advance(HOUR);
      await produce(log, [{ key: 'roll', value: 'x'.repeat(900) }], clock.now());
      await produce(log, [{ key: 'roll', value: 'y' }], clock.now());
      assert.equal((await log.compactNow()).cleaned, true, 'once old enough, the recent segments are cleaned');
      assert.equal((await readAll(log)).records.filter((r) => r.key === 'key-0').length, 1);
      await log.close();
    }));

  it('cleans only when the dirty ratio passes min.cleanable.dirty.ratio, or max.compaction.lag.ms is overdue', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, compactedConfig({ segmentBytes: 400, maxCompactionLagMs: 10 * HOUR }), { clock });
      // Distinct keys: cleaning keeps them all, so the clean part stays large.
      for (let i = 0; i < 60; i++) await produce(log, [{ key: `k${i}`, value: 'v'.repeat(40) }], clock.now());
      let status = await log.compactionStatus();
      assert.equal(status.dirtyRatio, 1);
      assert.equal(status.due, true);
      assert.equal((await log.compactNow()).cleaned, true);
      status = await log.compactionStatus();
      assert.equal(status.cleanableBytes, 0);
      assert.equal(status.due, false);

      for (let i = 0; i < 12; i++) await produce(log, [{ key: `k${i}`, value: 'w'.repeat(40) }], clock.now());
      status = await log.compactionStatus();
      assert.ok(status.dirtyRatio > 0 && status.dirtyRatio < 0.5, `ratio ${status.dirtyRatio}`);
      const skipped = await log.compactNow();
      assert.equal(skipped.cleaned, false);
      assert.match(skipped.skipped ?? '', /dirty ratio/);

      // The oldest dirty record passes max.compaction.lag.ms: cleaned whatever the ratio.
      clock.advance(10 * HOUR + 1);
      status = await log.compactionStatus();
      assert.equal(status.overdue, true);
      assert.equal(status.due, true);
      assert.equal((await log.compactNow()).cleaned, true);

      // Enough new data passes the ratio.
      for (let i = 0; i < 80; i++) await produce(log, [{ key: `k${i % 60}`, value: 'x'.repeat(40) }], clock.now());
      status = await log.compactionStatus();
      assert.ok(status.dirtyRatio > 0.5, `ratio ${status.dirtyRatio}`);
      assert.equal((await log.compactNow()).cleaned, true);
      await log.close();
    }));

  for (const [name, codec] of [
    ['gzip', Compression.Gzip],
    ['zstd', Compression.Zstd],
    ['snappy', Compression.Snappy],
    ['lz4', Compression.Lz4],
  ] as const) {
    it(`cleans ${name} batches, keeping codec and producer fields`, () =>
      withTempDir(async (dir) => {
        const clock = new ManualClock();
        const log = await openTestLog(dir, compactedConfig(), { clock });
        const producer = { compression: codec, producerId: 42, producerEpoch: 3, baseSequence: 0 };
        const before = (await readAll(log)).batches;
        assert.equal(before.length, 0);
        const written = await fillKeys(log, clock, 6, 60, producer);
        const original = new Map((await readAll(log)).batches.map((b) => [b.baseOffset, b]));
        const cleanedEnd = activeBase(log);
        assert.equal((await log.compactNow()).cleaned, true);
        const { records, batches } = await readAll(log);
        assert.deepEqual(records, expectedAfterClean(written, cleanedEnd));
        for (const b of batches) {
          const o = original.get(b.baseOffset)!;
          assert.ok(o !== undefined, 'batches keep their base offsets');
          assert.equal(b.lastOffsetDelta, o.lastOffsetDelta);
          assert.equal(b.producerId, 42);
          assert.equal(b.producerEpoch, 3);
          assert.equal(b.baseSequence, o.baseSequence);
          if (b.records.length > 0) assert.equal(b.attributes & COMPRESSION_MASK, codec);
        }
        await log.close();
      }));
  }

  it('merges adjacent segments that cleaning has shrunk, up to segment.bytes', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, compactedConfig({ segmentBytes: 1000 }), { clock });
      // Every key twice in a row: cleaning halves each segment.
      const written: Rec[] = [];
      for (let i = 0; i < 120; i++) {
        written.push(...(await produce(log, [{ key: `k${i}`, value: 'a'.repeat(20) }], clock.now())));
        written.push(...(await produce(log, [{ key: `k${i}`, value: 'b'.repeat(20) }], clock.now())));
      }
      const cleanedEnd = activeBase(log);
      const before = log.segmentBaseOffsets.filter((b) => b < cleanedEnd).length;
      assert.equal((await log.compactNow()).cleaned, true);
      assert.equal(log.segmentBaseOffsets.filter((b) => b < cleanedEnd).length, before, 'full segments are cleaned one by one');
      await produce(log, [{ key: 'x', value: 'x'.repeat(900) }], clock.now());
      await produce(log, [{ key: 'y', value: 'y' }], clock.now());
      assert.equal((await log.compactNow(clock.now(), { force: true })).cleaned, true);
      const after = log.segmentBaseOffsets.filter((b) => b < cleanedEnd).length;
      assert.ok(after <= Math.ceil(before / 2) + 1, `${before} -> ${after} segments`);
      assert.deepEqual(
        (await readAll(log)).records.filter((r) => r.offset < cleanedEnd),
        expectedAfterClean(written, cleanedEnd).filter((r) => r.offset < cleanedEnd),
      );
      await log.close();
    }));

  it('compacts a committed transaction by key like plain records and keeps its marker while its data stays', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, compactedConfig({ segmentBytes: 300 }), { clock });
      await produce(log, [{ key: 'a', value: 'plain-1' }], clock.now());
      const txn = { producerId: 9, producerEpoch: 0, baseSequence: 0, attributes: TRANSACTIONAL_BIT };
      await produce(log, [{ key: 'a', value: 'txn' }, { key: 'b', value: 'txn' }], clock.now(), txn);
      await log.append(encodeControlBatch({ producerId: 9, producerEpoch: 0, commit: true, coordinatorEpoch: 0, timestamp: clock.now() }), { leaderEpoch: 0 });
      await produce(log, [{ key: 'b', value: 'plain-2' }], clock.now());
      await produce(log, [{ key: 'b', value: 'plain-3' }], clock.now());
      await produce(log, [{ key: 'pad', value: 'x'.repeat(200) }], clock.now());
      await produce(log, [{ key: 'pad', value: 'y' }], clock.now());
      const before = (await readAll(log)).batches;
      assert.equal((await log.compactNow()).cleaned, true);
      const after = (await readAll(log)).batches;
      const same = (offset: number): void =>
        assert.deepEqual(
          after.find((b) => b.baseOffset === offset),
          before.find((b) => b.baseOffset === offset),
        );
      same(3); // the commit marker: its transaction still has data in the log
      const values = (await readAll(log)).records.map((r) => `${r.key}=${r.value}`);
      assert.ok(!values.includes('a=plain-1'), 'a committed transactional record supersedes an earlier one');
      assert.ok(values.includes('a=txn'));
      assert.ok(!values.includes('b=txn'), 'a committed transactional record is superseded by a later one');
      assert.ok(!values.includes('b=plain-2'));
      assert.ok(values.includes('b=plain-3'));
      await log.close();
    }));

  it('a truncation below the cleaner point moves it back, so new data there is cleaned', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, compactedConfig({ segmentBytes: 500 }), { clock });
      const first = await fillKeys(log, clock, 3, 30);
      const point = (await log.compactNow()).cleanerPoint;
      assert.ok(point > 20);
      // Whole batches go: after compaction the batch holding 20 may start well before it.
      await log.truncateTo(20);
      const end = log.logEndOffset;
      assert.ok(end <= 20);
      const status = await log.compactionStatus();
      assert.ok(status.firstDirtyOffset <= end, `cleaner point ${status.firstDirtyOffset}`);
      const second: Rec[] = [];
      for (let i = 0; i < 60; i++) second.push(...(await produce(log, [{ key: `key-${i % 3}`, value: `again-${i}` }], clock.now())));
      assert.equal((await log.compactNow(clock.now(), { force: true })).cleaned, true);
      const cleanedEnd = activeBase(log);
      const kept = (await readAll(log)).records.filter((r) => r.offset < cleanedEnd);
      assert.equal(new Set(kept.map((r) => r.key)).size, kept.length, 'new data below the end is compacted');
      assert.deepEqual(latestValues((await readAll(log)).records), latestValues([...first.filter((r) => r.offset < end), ...second]));
      await log.close();
    }));

  it('drops records without a key, as Kafka does', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, compactedConfig({ segmentBytes: 300 }), { clock });
      await produce(log, [{ key: null, value: 'keyless' }, { key: 'a', value: '1' }], clock.now());
      for (let i = 0; i < 6; i++) await produce(log, [{ key: 'b', value: `v${i}`.repeat(20) }], clock.now());
      assert.equal((await log.compactNow()).keylessDropped, 1);
      const records = (await readAll(log)).records;
      assert.ok(!records.some((r) => r.key === null));
      assert.ok(records.some((r) => r.key === 'a'));
      await log.close();
    }));

  it('compact,delete also applies retention', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, compactedConfig({ cleanupPolicy: 'compact,delete', retentionMs: HOUR }), { clock });
      const old = await fillKeys(log, clock, 5, 30);
      clock.advance(2 * HOUR);
      const recent = await fillKeys(log, clock, 5, 30);
      assert.ok((await log.applyRetention()) > 0);
      assert.ok(log.logStartOffset > 0 && log.logStartOffset <= recent[0]!.offset);
      assert.ok(log.logStartOffset > old[old.length - 1]!.offset - 1024);
      assert.equal((await log.compactNow()).cleaned, true);
      const records = (await readAll(log)).records;
      assert.ok(records.every((r) => r.offset >= log.logStartOffset));
      assert.deepEqual(latestValues(records), latestValues(recent));
      const cleanedEnd = activeBase(log);
      const keyOnce = records.filter((r) => r.offset < cleanedEnd);
      assert.equal(new Set(keyOnce.map((r) => r.key)).size, keyOnce.length);
      await log.close();
    }));

  it('leaves delete-only logs alone', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, { segmentBytes: 500 }, { clock });
      await fillKeys(log, clock, 3, 30);
      const result = await log.compactNow(clock.now(), { force: true });
      assert.equal(result.cleaned, false);
      assert.match(result.skipped ?? '', /cleanup.policy is delete/);
      await log.close();
    }));

  it('reads in flight keep working across a swap; old files go after file.delete.delay.ms', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, compactedConfig({ fileDeleteDelayMs: 60_000 }), { clock });
      const written = await fillKeys(log, clock, 5, 100);
      const reads: Array<Promise<unknown>> = [];
      const cleaning = log.compactNow();
      for (let i = 0; i < 40; i++) {
        reads.push(log.read(written[(i * 37) % written.length]!.offset, 4096).then((r) => decodeRecordBatches(r.records)));
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.equal((await cleaning).cleaned, true);
      for (const r of await Promise.all(reads)) assert.ok((r as RecordBatch[]).length > 0);
      await waitFor('the old segments renamed *.deleted', async () => (await readdir(log.dir)).some((n) => n.endsWith('.log.deleted')));
      clock.advance(60_000);
      await waitFor('the old files removed after file.delete.delay.ms', async () => !(await readdir(log.dir)).some((n) => n.endsWith('.deleted')));
      await log.close();
    }));

  const steps: SwapStep[] = ['cleaned', 'swap', 'first-old-deleted', 'old-deleted', 'renamed'];
  for (const step of steps) {
    it(`a crash after the swap step '${step}' reopens as a correct, readable log`, () =>
      withTempDir(async (dir) => {
        const clock = new ManualClock();
        const config = compactedConfig({ segmentBytes: 400 });
        let log = await openTestLog(dir, config, { clock });
        const written = await fillKeys(log, clock, 5, 40);
        const end = log.logEndOffset;
        const cleanedEnd = activeBase(log);
        const result = await log.compactNow(clock.now(), { crashAfter: step });
        assert.equal(result.crashedAt, step);
        // The log as this process sees it: the group being swapped is still the old one.
        const beforeCrash = (await readAll(log)).records;
        const names = await readdir(log.dir);
        if (step === 'cleaned') assert.ok(names.some((n) => n.endsWith('.log.cleaned')), names.join());
        if (step !== 'cleaned' && step !== 'renamed') assert.ok(names.some((n) => n.endsWith('.log.swap')), names.join());
        await closeAsCrash(log);

        log = await openTestLog(dir, config, { clock });
        assert.equal(log.logEndOffset, end);
        const { records } = await readAll(log);
        // Only the first group was swapped; whatever the step, every record read is one that was
        // written at that offset, and the latest value of every key is there.
        const byOffset = new Map(written.map((r) => [r.offset, r]));
        for (const r of records) assert.deepEqual(r, byOffset.get(r.offset));
        assert.deepEqual(latestValues(records), latestValues(written));
        if (step === 'cleaned') assert.deepEqual(records, beforeCrash, 'rolled back');
        else assert.ok(records.length < beforeCrash.length, 'rolled forward: the group is compacted');
        assert.ok(!(await readdir(log.dir)).some((n) => /\.(cleaned|swap|deleted)$/.test(n)));

        // The reopened log compacts normally.
        assert.equal((await log.compactNow(clock.now(), { force: true })).cleaned, true);
        assert.deepEqual((await readAll(log)).records, expectedAfterClean(written, cleanedEnd));
        await log.close();
      }));
  }

  it('removes a torn .cleaned file and ignores a swap file with no whole batch', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const config = compactedConfig();
      let log = await openTestLog(dir, config, { clock });
      const written = await fillKeys(log, clock, 3, 20);
      await closeAsCrash(log);
      await writeFile(join(dir, 'topic-0', '00000000000000000000.log.cleaned'), Buffer.alloc(100, 7));
      await writeFile(join(dir, 'topic-0', '00000000000000000000.log.swap'), Buffer.alloc(30, 0));
      log = await openTestLog(dir, config, { clock });
      assert.deepEqual((await readAll(log)).records, written);
      assert.ok(!(await readdir(log.dir)).some((n) => /\.(cleaned|swap)$/.test(n)));
      await log.close();
    }));

  it('rolls the active segment of a compacted log at max.compaction.lag.ms', () =>
    withTempDir(async (dir) => {
      const clock = new ManualClock();
      const log = await openTestLog(dir, compactedConfig({ segmentBytes: 1 << 20, maxCompactionLagMs: HOUR }), { clock });
      await produce(log, [{ key: 'a', value: '1' }], clock.now());
      clock.advance(HOUR);
      await produce(log, [{ key: 'a', value: '2' }], clock.now());
      assert.equal(log.segmentCount, 2);
      await log.close();
    }));
});

/** Runs cleaner-crash-child.js on `dir` and kills it with SIGKILL `afterReadyMs` after it first compacted. */
async function runAndKill(dir: string, afterReadyMs: number): Promise<void> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./cleaner-crash-child.js', import.meta.url))], {
    env: { ...process.env, SAMSA_CLEANER_CHILD_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`the child exited (${code}) before compacting: ${stderr}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, afterReadyMs));
  child.kill('SIGKILL');
  await exited;
}

describe('log compaction under SIGKILL', () => {
  it('a process killed while appending and compacting leaves a readable log with every latest value', () =>
    withTempDir(async (root) => {
      const dir = join(root, 'topic-0');
      // Seeded delays, so a failure can be replayed: spread over a compaction pass or two.
      const delaysMs = [0, 35, 80, 150, 260, 20, 110, 5, 190, 60];
      for (const [round, delayMs] of delaysMs.entries()) {
        await runAndKill(dir, delayMs);
        const log = await openTestLog(root, CHILD_CONFIG);
        const end = log.logEndOffset;
        assert.ok(end > 0);
        const check = async (when: string): Promise<void> => {
          const { records } = await readAll(log);
          for (const r of records) assert.deepEqual({ key: r.key, value: r.value }, expectedAt(r.offset), `round ${round} ${when}: offset ${r.offset}`);
          const present = new Set(records.map((r) => r.offset));
          for (let k = 0; k < CHILD_KEYS && k < end; k++) {
            const latest = end - 1 - ((end - 1 - k) % CHILD_KEYS + CHILD_KEYS) % CHILD_KEYS;
            assert.ok(present.has(latest), `round ${round} ${when}: the latest record of key-${k} (offset ${latest}) is there`);
          }
          assert.ok(!(await readdir(dir)).some((n) => /\.(cleaned|swap)$/.test(n)), `round ${round} ${when}: no swap files left`);
        };
        await check('after the crash');
        await log.compactNow(Date.now(), { force: true });
        await check('after compacting again');
        assert.equal(log.logEndOffset, end);
        await log.close();
      }
    }));
});

describe('the log cleaner in the LogManager', () => {
  it('runCleaner compacts the compacted logs that are due, and the background cleaner runs on the clock', () =>
    withTempDir(async (root) => {
      const clock = new ManualClock();
      const mgr = await LogManager.open({ logDirs: [root], clock, logger: silentLogger, defaultConfig: testConfig() });
      const compacted = await mgr.getOrCreate('c', 0, testConfig(compactedConfig()));
      const plain = await mgr.getOrCreate('p', 0, testConfig({ segmentBytes: 1024 }));
      await fillKeys(compacted, clock, 5, 50);
      await fillKeys(plain, clock, 5, 50);
      const plainSegments = plain.segmentCount;
      const results = await mgr.runCleaner();
      assert.equal(results.length, 1);
      assert.equal(results[0]!.cleaned, true);
      assert.equal(plain.segmentCount, plainSegments);
      assert.equal((await readAll(plain)).records.length, 250);

      await fillKeys(compacted, clock, 5, 50);
      const dirty = (await compacted.compactionStatus()).cleanableBytes;
      assert.ok(dirty > 0);
      mgr.startBackgroundTasks({ logCleanerBackoffMs: 15_000 });
      clock.advance(15_000);
      await waitFor('the background cleaner to clean the log', async () => (await compacted.compactionStatus()).cleanableBytes === 0);
      await mgr.close();
    }));
});

describe('produce validation for compacted topics', () => {
  it('requireKeys rejects a record without a key with INVALID_RECORD, compressed or not', async () => {
    const recordRules = { topicPartition: 'table-0', requireKeys: true, timestampBounds: null, timestampType: 'CreateTime' as const };
    for (const compression of [Compression.None, Compression.Gzip]) {
      const keyed = await makeBatch([{ key: Buffer.from('k'), value: Buffer.from('v') }], { compression });
      assert.equal((await validateProducedBatches(keyed, 1 << 20, { recordRules })).error, undefined);
      const keyless = await makeBatch([{ key: Buffer.from('k') }, { key: null, value: Buffer.from('v') }], { compression });
      assert.equal((await validateProducedBatches(keyless, 1 << 20)).error, undefined, 'allowed when not compacted');
      const res = await validateProducedBatches(Buffer.concat([keyed, keyless]), 1 << 20, { recordRules });
      assert.equal(res.error?.code, 87);
      assert.deepEqual(res.error!.recordErrors, [{ batchIndex: 1, message: 'Compacted topic cannot accept message without key in topic partition table-0' }]);
    }
  });
});
