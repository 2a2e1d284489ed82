import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../src/platform/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { LogManager, ensureMetaProperties } from '../../../src/storage/log-manager.js';
import { batchOf, testConfig, withTempDir } from './helpers.js';
import { waitFor } from '../../helpers/wait.js';

describe('LogManager', () => {
  it('creates, finds, reopens and deletes partitions across log dirs', () =>
    withTempDir(async (root) => {
      const logDirs = [join(root, 'a'), join(root, 'b')];
      const clock = new ManualClock();
      let mgr = await LogManager.open({ logDirs, clock, logger: silentLogger, defaultConfig: testConfig() });
      const [l0, l0again] = await Promise.all([mgr.getOrCreate('orders-v1', 0, testConfig()), mgr.getOrCreate('orders-v1', 0, testConfig())]);
      assert.equal(l0, l0again, 'concurrent creation yields one log');
      const l1 = await mgr.getOrCreate('orders-v1', 1, testConfig());
      await l0.append(await batchOf(3), { leaderEpoch: 0 });
      await l1.append(await batchOf(5), { leaderEpoch: 0 });
      assert.equal(mgr.get('orders-v1', 1), l1);
      assert.equal(mgr.get('orders-v1', 2), undefined);
      assert.deepEqual((await readdir(logDirs[0]!)).filter((n) => n.startsWith('orders')).length, 1, 'spread over the dirs');
      await mgr.close();

      mgr = await LogManager.open({ logDirs, clock, logger: silentLogger, defaultConfig: testConfig() });
      assert.equal(mgr.get('orders-v1', 0)?.logEndOffset, 3);
      assert.equal(mgr.get('orders-v1', 1)?.logEndOffset, 5);
      assert.deepEqual(mgr.all().map((p) => `${p.topic}/${p.partition}`).sort(), ['orders-v1/0', 'orders-v1/1']);
      assert.equal(await mgr.deletePartition('orders-v1', 0), true);
      assert.equal(mgr.get('orders-v1', 0), undefined);
      assert.equal(await mgr.deletePartition('orders-v1', 0), false);
      const fresh = await mgr.getOrCreate('orders-v1', 0, testConfig());
      assert.equal(fresh.logEndOffset, 0);
      await mgr.close();
    }));

  it('ignores what is not a partition and finishes interrupted deletions', () =>
    withTempDir(async (root) => {
      await mkdir(join(root, 'not a partition'), { recursive: true });
      await mkdir(join(root, 'old-0.abc-delete'), { recursive: true });
      await writeFile(join(root, 'stray-file-1'), 'x');
      const mgr = await LogManager.open({ logDirs: [root], clock: new ManualClock(), logger: silentLogger, defaultConfig: testConfig() });
      assert.equal(mgr.all().length, 0);
      assert.ok(!(await readdir(root)).includes('old-0.abc-delete'));
      await mgr.close();
    }));

  it('runs retention on the clock', () =>
    withTempDir(async (root) => {
      const clock = new ManualClock();
      const config = testConfig({ segmentBytes: 300, retentionMs: 1000 });
      const mgr = await LogManager.open({ logDirs: [root], clock, logger: silentLogger, defaultConfig: config });
      const log = await mgr.getOrCreate('t', 0, config);
      for (let i = 0; i < 6; i++) await log.append(await batchOf(1, 100, clock.now()), { leaderEpoch: 0 });
      const before = log.segmentCount;
      assert.ok(before > 2);
      mgr.startBackgroundTasks({ retentionCheckIntervalMs: 60_000 });
      clock.advance(60_000);
      await waitFor('the retention pass', () => log.segmentCount === 1);
      assert.ok(log.logStartOffset > 0);
      await mgr.close();
    }));
});

describe('meta.properties', () => {
  it('writes a Kafka-format file once and checks it afterwards', () =>
    withTempDir(async (root) => {
      const id = await ensureMetaProperties(root, 3);
      assert.match(id, /^[A-Za-z0-9_-]{22}$/);
      const text = await readFile(join(root, 'meta.properties'), 'utf8');
      assert.match(text, /^version=1$/m);
      assert.match(text, /^node\.id=3$/m);
      assert.match(text, new RegExp(`^cluster\\.id=${id}$`, 'm'));
      assert.match(text, /^directory\.id=[A-Za-z0-9_-]{22}$/m);
      assert.equal(await ensureMetaProperties(root, 3), id);
      assert.equal(await ensureMetaProperties(root, 3, id), id);
      await assert.rejects(ensureMetaProperties(root, 4), /node\.id/);
      await assert.rejects(ensureMetaProperties(root, 3, 'AAAAAAAAAAAAAAAAAAAAAB'), /cluster/);
      const other = join(root, 'second');
      assert.equal(await ensureMetaProperties(other, 3, id), id, 'a second dir joins the given cluster');
    }));
});

describe('LogManager high watermarks (replication-offset-checkpoint)', () => {
  it('writes every log dir\'s high watermarks in Kafka\'s format on the interval and at close, and restores them at open', () =>
    withTempDir(async (root) => {
      const logDir = join(root, 'a');
      const clock = new ManualClock();
      const opts = { logDirs: [logDir], clock, logger: silentLogger, defaultConfig: testConfig(), highWatermarkFollowsLogEnd: false };
      let mgr = await LogManager.open(opts);
      const rises: string[] = [];
      mgr.onHighWatermark((topic, partition, log) => rises.push(`${topic}-${partition}@${log.highWatermark}`));
      const a = await mgr.getOrCreate('orders', 0, testConfig());
      const b = await mgr.getOrCreate('orders', 1, testConfig());
      await a.appendAsFollower(await batchOf(5));
      await b.append(await batchOf(4), { leaderEpoch: 0 });
      assert.equal(a.highWatermark, 0);
      assert.equal(b.highWatermark, 0, 'a replica manager moves it, not the append');
      a.updateHighWatermark(3);
      b.updateHighWatermark(4);
      assert.deepEqual(rises, ['orders-0@3', 'orders-1@4']);
      mgr.startHighWatermarkCheckpoints(5000);
      const file = join(logDir, 'replication-offset-checkpoint');
      clock.advance(5000);
      await waitFor('the checkpoint', async () => (await readFile(file, 'utf8').catch(() => '')) === '0\n2\norders 0 3\norders 1 4\n');
      a.updateHighWatermark(5);
      await mgr.close();
      assert.equal(await readFile(file, 'utf8'), '0\n2\norders 0 5\norders 1 4\n', 'written at close');

      mgr = await LogManager.open(opts);
      assert.equal(mgr.get('orders', 0)?.highWatermark, 5);
      assert.equal(mgr.get('orders', 1)?.highWatermark, 4);
      await mgr.close();
      await writeFile(file, '0\n1\norders 0 99\n');
      mgr = await LogManager.open(opts);
      assert.equal(mgr.get('orders', 0)?.highWatermark, 5, 'clamped to the log end');
      assert.equal(mgr.get('orders', 1)?.highWatermark, 0, 'no entry: the log start');
      await mgr.close();
    }));
});
