/**
 * The log manager's clean-shutdown marker: one per log dir (`.kafka_cleanshutdown`), written
 * once every log of the dir closed cleanly, taken before any log of the dir opens. A clean
 * restart neither recovers nor rewrites anything; a crash (no marker) recovers the last segment
 * of every partition.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { appendFile, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../src/platform/clock.js';
import { CLEAN_SHUTDOWN_MARKER, LOG_DIR_CLEAN_SHUTDOWN_MARKER } from '../../../src/storage/checkpoint.js';
import { SCAN_BLOCK_BYTES } from '../../../src/storage/limits.js';
import { LogManager, type LogManagerOptions } from '../../../src/storage/log-manager.js';
import { type Logger, createLogger } from '../../../src/util/logger.js';
import { FaultyDisk, batchOf, batchesIn, testConfig, withTempDir } from './helpers.js';

interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  return { logger: createLogger('info', {}, (line) => lines.push(JSON.parse(line) as LogLine)), lines };
}

function managerOptions(logDirs: string[], logger: Logger, extra: Partial<LogManagerOptions> = {}): LogManagerOptions {
  return { logDirs, clock: new ManualClock(), logger, defaultConfig: testConfig({ indexIntervalBytes: 100 }), ...extra };
}

/** A batch stamped now: segment.ms counts from a restarted segment's first timestamp, so old ones would roll it. */
function fresh(n: number, size = 10): Promise<Buffer> {
  return batchOf(n, size, Date.now());
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** Inode of each file in a partition directory: a file rewritten through a rename gets a new one. */
async function inodes(dir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const name of await readdir(dir)) out.set(name, (await stat(join(dir, name))).ino);
  return out;
}

/** Files under `dir` this process holds open (Linux; none where /proc is missing). */
function openFilesUnder(dir: string): string[] {
  if (!existsSync('/proc/self/fd')) return [];
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) out.push(target);
    } catch {
      // Closed since the listing.
    }
  }
  return out;
}

function recoveredLogDirs(lines: LogLine[]): unknown {
  const loaded = lines.filter((l) => l.msg === 'logs loaded');
  assert.equal(loaded.length, 1);
  return loaded[0]!.recoveredLogDirs;
}

describe('clean shutdown of a log manager', () => {
  it('writes one marker per log dir; a clean restart recovers nothing and rewrites nothing', () =>
    withTempDir(async (root) => {
      const logDirs = [join(root, 'a'), join(root, 'b')];
      let run = capturingLogger();
      let mgr = await LogManager.open(managerOptions(logDirs, run.logger));
      for (let p = 0; p < 4; p++) {
        const log = await mgr.getOrCreate('t', p);
        for (let i = 0; i < 5; i++) await log.append(await fresh(3, 60), { leaderEpoch: 0 });
      }
      await mgr.getOrCreate('empty', 0);
      await mgr.close();
      for (const d of logDirs) assert.ok(await exists(join(d, LOG_DIR_CLEAN_SHUTDOWN_MARKER)), `${d} has the marker`);
      const partitionDirs: string[] = [];
      for (const d of logDirs) {
        for (const name of await readdir(d)) if (name.startsWith('t-') || name.startsWith('empty-')) partitionDirs.push(join(d, name));
      }
      assert.equal(partitionDirs.length, 5);
      const emptyDir = partitionDirs.find((d) => d.endsWith('empty-0'))!;
      assert.deepEqual(await readdir(emptyDir), [], 'a log still empty from offset 0 writes nothing');
      for (const d of partitionDirs) assert.equal(await exists(join(d, CLEAN_SHUTDOWN_MARKER)), false, `${d} keeps no marker of its own`);
      const before = new Map(await Promise.all(partitionDirs.map(async (d) => [d, await inodes(d)] as const)));

      run = capturingLogger();
      mgr = await LogManager.open(managerOptions(logDirs, run.logger));
      assert.deepEqual(recoveredLogDirs(run.lines), []);
      // Taken at open: a crash from here on must not pass for a clean stop.
      for (const d of logDirs) assert.equal(await exists(join(d, LOG_DIR_CLEAN_SHUTDOWN_MARKER)), false);
      for (let p = 0; p < 4; p++) {
        const log = mgr.get('t', p)!;
        assert.equal(log.logEndOffset, 15);
        assert.equal(log.stats.recoveredTruncatedBytes, 0);
        assert.equal(batchesIn((await log.read(0, 1 << 20)).records).length, 5);
      }
      await mgr.close();
      assert.deepEqual(run.lines.filter((l) => l.level !== 'info'), [], 'no warnings');
      // Nothing changed, so the close rewrote no index, checkpoint or snapshot file.
      for (const d of partitionDirs) assert.deepEqual(await inodes(d), before.get(d), `${d} is untouched`);
      for (const d of logDirs) assert.ok(await exists(join(d, LOG_DIR_CLEAN_SHUTDOWN_MARKER)));
    }));

  it('after a clean restart segment.ms counts from the first batch, and no segment file is left open', () =>
    withTempDir(async (root) => {
      const logDir = join(root, 'data');
      const clock = new ManualClock();
      const options = (): LogManagerOptions =>
        managerOptions([logDir], capturingLogger().logger, { clock, defaultConfig: testConfig({ indexIntervalBytes: 100, segmentMs: 60_000 }) });
      let mgr = await LogManager.open(options());
      const t0 = clock.now();
      // t-0 holds one batch: small, so read whole. t-1 is larger than a scan block and has
      // offset index entries: the first batch's header is read besides the tail.
      await (await mgr.getOrCreate('t', 0)).append(await batchOf(1, 10, t0), { leaderEpoch: 0 });
      const many = await mgr.getOrCreate('t', 1);
      await many.append(await batchOf(3, 60, t0), { leaderEpoch: 0 });
      for (let i = 0; i < 12; i++) await many.append(await batchOf(3, 400, t0 + 50_000), { leaderEpoch: 0 });
      await mgr.close();
      assert.ok((await stat(join(logDir, 't-1', '00000000000000000000.index'))).size > 0);
      assert.ok((await stat(join(logDir, 't-1', '00000000000000000000.log'))).size > SCAN_BLOCK_BYTES);

      clock.advance(55_000);
      mgr = await LogManager.open(options());
      assert.deepEqual(openFilesUnder(logDir), [], 'the segments open their files on first use');
      for (const p of [0, 1]) {
        const log = mgr.get('t', p)!;
        await log.append(await batchOf(1, 10, clock.now()), { leaderEpoch: 0 });
        assert.equal(log.segmentCount, 1, `t-${p}: 55 s after the first batch`);
      }
      clock.advance(6_000);
      for (const p of [0, 1]) {
        const log = mgr.get('t', p)!;
        await log.append(await batchOf(1, 10, clock.now()), { leaderEpoch: 0 });
        assert.equal(log.segmentCount, 2, `t-${p}: 61 s after the first batch`);
      }
      await mgr.close();
    }));

  it('a small last segment is read whole: its index files are not needed, and rewritten at close when missing', () =>
    withTempDir(async (root) => {
      const logDir = join(root, 'data');
      let mgr = await LogManager.open(managerOptions([logDir], capturingLogger().logger));
      for (const p of [0, 1]) {
        const log = await mgr.getOrCreate('t', p);
        for (let i = 0; i < 6; i++) await log.append(await fresh(2, 60), { leaderEpoch: 0 });
      }
      await mgr.close();
      const index = (p: number, suffix: string): string => join(logDir, `t-${p}`, `00000000000000000000${suffix}`);
      assert.ok((await stat(index(0, '.log'))).size <= SCAN_BLOCK_BYTES);
      assert.ok((await stat(index(0, '.index'))).size > 0, 'there are index entries to lose');
      const kept = await readFile(index(1, '.index'));
      await rm(index(0, '.index'));
      await rm(index(0, '.timeindex'));

      const run = capturingLogger();
      mgr = await LogManager.open(managerOptions([logDir], run.logger));
      assert.deepEqual(recoveredLogDirs(run.lines), []);
      for (const p of [0, 1]) {
        const log = mgr.get('t', p)!;
        assert.equal(log.logEndOffset, 12);
        for (const target of [0, 5, 11]) {
          const [first] = batchesIn((await log.read(target, 1)).records);
          assert.ok(first !== undefined && first.baseOffset <= target && target <= first.lastOffset);
        }
      }
      await mgr.close();
      assert.deepEqual(run.lines.filter((l) => l.level !== 'info'), [], 'no warnings');
      assert.deepEqual(await readFile(index(0, '.index')), kept, 'the missing index files are written again');
      assert.ok((await stat(index(0, '.timeindex'))).size > 0);
    }));

  it('a clean small last segment with a bad CRC is opened as before the small path: trusted, not cut', () =>
    withTempDir(async (root) => {
      const logDir = join(root, 'data');
      let mgr = await LogManager.open(managerOptions([logDir], capturingLogger().logger));
      const log = await mgr.getOrCreate('t', 0);
      for (let i = 0; i < 3; i++) await log.append(await fresh(2, 60), { leaderEpoch: 0 });
      await mgr.close();
      const path = join(logDir, 't-0', '00000000000000000000.log');
      const bytes = await readFile(path);
      bytes[bytes.length - 1] ^= 0xff; // a record byte of the last batch: its CRC no longer matches
      await writeFile(path, bytes);

      const run = capturingLogger();
      mgr = await LogManager.open(managerOptions([logDir], run.logger));
      assert.deepEqual(recoveredLogDirs(run.lines), []);
      assert.equal(mgr.get('t', 0)!.logEndOffset, 6);
      assert.equal(mgr.get('t', 0)!.stats.recoveredTruncatedBytes, 0);
      await mgr.close();
      assert.equal((await stat(path)).size, bytes.length);
    }));

  it('without the marker (a crash) every partition recovers its torn last segment', () =>
    withTempDir(async (root) => {
      const logDir = join(root, 'data');
      const first = await LogManager.open(managerOptions([logDir], capturingLogger().logger));
      const torn = await fresh(4, 80);
      for (let p = 0; p < 3; p++) {
        const log = await first.getOrCreate('t', p);
        for (let i = 0; i < 4; i++) await log.append(await fresh(2, 50), { leaderEpoch: 0 });
      }
      // The process dies: no close, and a write was torn in two partitions' last segments.
      for (const p of [0, 2]) await appendFile(join(logDir, `t-${p}`, '00000000000000000000.log'), torn.subarray(0, 70));

      const run = capturingLogger();
      const second = await LogManager.open(managerOptions([logDir], run.logger));
      assert.deepEqual(recoveredLogDirs(run.lines), [logDir]);
      const segmentBytes = async (p: number): Promise<number> => (await stat(join(logDir, `t-${p}`, '00000000000000000000.log'))).size;
      for (const p of [0, 2]) assert.equal(await segmentBytes(p), await segmentBytes(1), `t-${p}: the torn bytes are cut from the file`);
      for (let p = 0; p < 3; p++) {
        const log = second.get('t', p)!;
        assert.equal(log.logEndOffset, 8, `t-${p} keeps its whole batches`);
        assert.equal(log.stats.recoveredTruncatedBytes, p === 1 ? 0 : 70);
        const appended = await log.append(await fresh(1), { leaderEpoch: 0 });
        assert.equal(appended.baseOffset, 8);
        assert.deepEqual(batchesIn((await log.read(0, 1 << 20)).records).map((b) => b.lastOffset), [1, 3, 5, 7, 8]);
      }
      assert.equal(run.lines.filter((l) => l.msg === 'recovery truncated the log at a torn or corrupt batch').length, 2);
      await second.close();
    }));

  it('a crash after a clean restart is recovered: the marker was taken at open', () =>
    withTempDir(async (root) => {
      const logDir = join(root, 'data');
      let mgr = await LogManager.open(managerOptions([logDir], capturingLogger().logger));
      await (await mgr.getOrCreate('t', 0)).append(await fresh(2), { leaderEpoch: 0 });
      await mgr.close();
      mgr = await LogManager.open(managerOptions([logDir], capturingLogger().logger));
      await mgr.get('t', 0)!.append(await fresh(2), { leaderEpoch: 0 });
      // Dies here, with half a batch written after the last whole one.
      await appendFile(join(logDir, 't-0', '00000000000000000000.log'), (await fresh(3)).subarray(0, 30));
      const run = capturingLogger();
      mgr = await LogManager.open(managerOptions([logDir], run.logger));
      assert.deepEqual(recoveredLogDirs(run.lines), [logDir]);
      assert.equal(mgr.get('t', 0)!.logEndOffset, 4);
      assert.equal(mgr.get('t', 0)!.stats.recoveredTruncatedBytes, 30);
      await mgr.close();
    }));

  it('writes no marker for a log dir where a log could not close cleanly', () =>
    withTempDir(async (root) => {
      const logDirs = [join(root, 'a'), join(root, 'b')];
      const disk = new FaultyDisk();
      const run = capturingLogger();
      const mgr = await LogManager.open(managerOptions(logDirs, run.logger, { openFile: disk.open }));
      const bad = await mgr.getOrCreate('t', 0);
      const good = await mgr.getOrCreate('t', 1);
      await good.append(await fresh(2), { leaderEpoch: 0 });
      await bad.append(await fresh(2), { leaderEpoch: 0 });
      const badDir = logDirs.find((d) => bad.dir.startsWith(d))!;
      const goodDir = logDirs.find((d) => good.dir.startsWith(d))!;
      assert.notEqual(badDir, goodDir);
      await good.flush();
      disk.failSyncs = 1;
      await assert.rejects(bad.flush());
      assert.equal(bad.isOffline, true);
      await mgr.close();
      assert.equal(await exists(join(badDir, LOG_DIR_CLEAN_SHUTDOWN_MARKER)), false);
      assert.ok(await exists(join(goodDir, LOG_DIR_CLEAN_SHUTDOWN_MARKER)));

      const again = capturingLogger();
      const reopened = await LogManager.open(managerOptions(logDirs, again.logger));
      assert.deepEqual(recoveredLogDirs(again.lines), [badDir]);
      await reopened.close();
    }));

  it('honours and removes a marker a partition kept itself (an older version, a log opened on its own)', () =>
    withTempDir(async (root) => {
      const logDir = join(root, 'data');
      let mgr = await LogManager.open(managerOptions([logDir], capturingLogger().logger));
      await (await mgr.getOrCreate('t', 0)).append(await fresh(2), { leaderEpoch: 0 });
      await mgr.close();
      // As an older version left it: the partition's own marker, none for the log dir.
      await writeFile(join(logDir, 't-0', CLEAN_SHUTDOWN_MARKER), '');
      await rm(join(logDir, LOG_DIR_CLEAN_SHUTDOWN_MARKER));
      const before = await inodes(join(logDir, 't-0'));
      const run = capturingLogger();
      mgr = await LogManager.open(managerOptions([logDir], run.logger));
      assert.equal(await exists(join(logDir, 't-0', CLEAN_SHUTDOWN_MARKER)), false, 'taken at open');
      assert.equal(mgr.get('t', 0)!.logEndOffset, 2);
      assert.deepEqual(run.lines.filter((l) => l.level !== 'info'), []);
      await mgr.close();
      assert.equal(await exists(join(logDir, 't-0', CLEAN_SHUTDOWN_MARKER)), false, 'not written again');
      // Opened clean (its index files trusted), so its close rewrote nothing.
      before.delete(CLEAN_SHUTDOWN_MARKER);
      assert.deepEqual(await inodes(join(logDir, 't-0')), before);
    }));
});
