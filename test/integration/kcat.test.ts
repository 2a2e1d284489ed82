/**
 * kcat 1.7.1 (librdkafka 2.0.2) against an in-process broker: producing from stdin with keys,
 * headers and each compression codec, consuming with format strings and relative offsets, and
 * JSON metadata listing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installed, withBroker, run, type RunResult } from '../helpers/broker.js';
import { buildHandlers } from '../../src/broker/handlers/index.js';
import type { Broker } from '../../src/broker/broker.js';

const SKIP = (await installed('kcat', ['-V'])) ? false : 'kcat not installed (Debian package kcat)';

/** See confluent-kafka.test.ts: librdkafka's LZ4 feature depends on FindCoordinator v0 being advertised. */
const LZ4_TODO = buildHandlers().has(10)
  ? false
  : 'librdkafka only compresses lz4 once the broker advertises FindCoordinator v0 (API key 10), which is not implemented yet';

/** Runs kcat against the broker; asserts it exited 0 and returns its output. */
async function kcat(broker: Broker, args: string[], input?: string): Promise<RunResult> {
  const r = await run('kcat', ['-b', broker.bootstrap, ...args], { input, timeoutMs: 45_000 });
  assert.equal(r.code, 0, `kcat ${args.join(' ')} exited with ${r.code} (null = killed after 45 s)\n--- stderr:\n${r.stderr}\n--- stdout:\n${r.stdout}`);
  assert.doesNotMatch(r.stderr, /ERROR|Delivery failed|failed/i, `kcat ${args.join(' ')} reported an error`);
  return r;
}

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l !== '');
}

function createTopic(broker: Broker, name: string, numPartitions: number) {
  return broker.topics.create({ name, numPartitions, replicationFactor: -1, configs: {} });
}

/** Codec (attribute bits 0–2) and record count of every batch in a partition's first segment. */
function storedBatches(broker: Broker, topic: string, partition: number): { codec: number; records: number }[] {
  const buf = readFileSync(join(broker.dataDir, `${topic}-${partition}`, '00000000000000000000.log'));
  const out: { codec: number; records: number }[] = [];
  for (let pos = 0; pos + 61 <= buf.length; ) {
    const length = buf.readInt32BE(pos + 8);
    if (length <= 0 || buf[pos + 16] !== 2) break;
    out.push({ codec: buf.readInt16BE(pos + 21) & 0x7, records: buf.readInt32BE(pos + 57) });
    pos += 12 + length;
  }
  return out;
}

test('kcat produces stdin lines, keys (-K) and headers (-H) and consumes them back (-o beginning -e -f)', { skip: SKIP, timeout: 120_000 }, async () => {
  await withBroker(async (broker) => {
    await createTopic(broker, 'lines', 1);
    await kcat(broker, ['-P', '-t', 'lines'], 'one\ntwo\nthree\n');
    await kcat(broker, ['-P', '-t', 'lines', '-K:', '-H', 'h1=x', '-H', 'h2=y'], 'k1:v1\nk2:with:colons\n');

    const fmt = await kcat(broker, ['-C', '-t', 'lines', '-o', 'beginning', '-e', '-f', '%k|%s|%o|%p\n']);
    assert.deepEqual(lines(fmt.stdout), ['|one|0|0', '|two|1|0', '|three|2|0', 'k1|v1|3|0', 'k2|with:colons|4|0']);

    // The JSON envelope shows null keys and the headers.
    const json = await kcat(broker, ['-C', '-t', 'lines', '-o', 'beginning', '-e', '-J']);
    const msgs = lines(json.stdout).map((l) => JSON.parse(l));
    assert.deepEqual(
      msgs.map((m) => [m.offset, m.key, m.payload, m.headers ?? null]),
      [
        [0, null, 'one', null],
        [1, null, 'two', null],
        [2, null, 'three', null],
        [3, 'k1', 'v1', ['h1', 'x', 'h2', 'y']],
        [4, 'k2', 'with:colons', ['h1', 'x', 'h2', 'y']],
      ],
    );
    assert.ok(msgs.every((m) => m.topic === 'lines' && m.partition === 0 && m.ts > 0 && m.tstype === 'create'));

    // Keyed messages over three partitions: librdkafka's partitioner keeps a key on one partition,
    // and each partition reads back in produce order.
    await createTopic(broker, 'spread', 3);
    const input = Array.from({ length: 60 }, (_, i) => `key${i % 6}:msg${i}`).join('\n') + '\n';
    await kcat(broker, ['-P', '-t', 'spread', '-K:'], input);
    const spread = lines((await kcat(broker, ['-C', '-t', 'spread', '-o', 'beginning', '-e', '-f', '%k|%s|%o|%p\n'])).stdout).map((l) => {
      const [k, s, o, p] = l.split('|');
      return { k: k!, s: s!, o: Number(o), p: Number(p) };
    });
    assert.equal(spread.length, 60);
    const partitionOf = new Map<string, number>();
    for (const m of spread) {
      assert.equal(partitionOf.get(m.k) ?? m.p, m.p, `key ${m.k} stays on one partition`);
      partitionOf.set(m.k, m.p);
    }
    for (let p = 0; p < 3; p++) {
      const here = spread.filter((m) => m.p === p);
      assert.deepEqual(here.map((m) => m.o), here.map((_, i) => i), `offsets of partition ${p}`);
      const seq = here.map((m) => Number(m.s.slice(3)));
      assert.deepEqual(seq, [...seq].sort((a, b) => a - b), `partition ${p} in produce order`);
    }
  });
});

test('kcat -L -J lists the broker and the topics with their partitions', { skip: SKIP, timeout: 60_000 }, async () => {
  await withBroker(async (broker) => {
    await createTopic(broker, 'meta', 3);
    await createTopic(broker, 'other', 1);
    const node = broker.config.nodeId;
    const all = JSON.parse((await kcat(broker, ['-L', '-J'])).stdout);
    assert.equal(all.controllerid, node);
    assert.deepEqual(all.brokers, [{ id: node, name: `127.0.0.1:${broker.port}` }]);
    assert.equal(all.originating_broker.id, node);
    const byName = new Map<string, any>(all.topics.map((t: any) => [t.topic, t]));
    assert.deepEqual([...byName.keys()].sort(), ['meta', 'other']);
    const meta = byName.get('meta');
    assert.equal(meta.error, undefined);
    assert.deepEqual(
      meta.partitions,
      [0, 1, 2].map((p) => ({ partition: p, leader: node, replicas: [{ id: node }], isrs: [{ id: node }] })),
    );
    assert.equal(byName.get('other').partitions.length, 1);

    const one = JSON.parse((await kcat(broker, ['-L', '-J', '-t', 'meta'])).stdout);
    assert.deepEqual(one.topics.map((t: any) => t.topic), ['meta']);
    assert.equal(one.topics[0].partitions.length, 3);
  });
});

test('kcat consumes from relative (-o -N), absolute and end offsets (ListOffsets)', { skip: SKIP, timeout: 90_000 }, async () => {
  await withBroker(async (broker) => {
    await createTopic(broker, 'rel', 1);
    await kcat(broker, ['-P', '-t', 'rel'], 'm0\nm1\nm2\nm3\nm4\n');
    const consume = async (offset: string) =>
      lines((await kcat(broker, ['-C', '-t', 'rel', '-o', offset, '-e', '-f', '%o:%s\n'])).stdout);
    assert.deepEqual(await consume('-1'), ['4:m4']);
    assert.deepEqual(await consume('-2'), ['3:m3', '4:m4']);
    assert.deepEqual(await consume('3'), ['3:m3', '4:m4']);
    assert.deepEqual(await consume('beginning'), ['0:m0', '1:m1', '2:m2', '3:m3', '4:m4']);
    assert.deepEqual(await consume('end'), []);

    // Relative offsets are per partition.
    await createTopic(broker, 'rel3', 3);
    for (let p = 0; p < 3; p++) await kcat(broker, ['-P', '-t', 'rel3', '-p', String(p)], `p${p}a\np${p}b\np${p}c\n`);
    const last = lines((await kcat(broker, ['-C', '-t', 'rel3', '-o', '-1', '-e', '-f', '%p:%o:%s\n'])).stdout).sort();
    assert.deepEqual(last, ['0:2:p0c', '1:2:p1c', '2:2:p2c']);
  });
});

const CODECS = [
  { name: 'gzip', id: 1 },
  { name: 'snappy', id: 2 },
  { name: 'lz4', id: 3 },
  { name: 'zstd', id: 4 },
];

test('kcat -z gzip|snappy|lz4|zstd: compressed batches stored and read back', { skip: SKIP, timeout: 120_000 }, async (t) => {
  await withBroker(async (broker) => {
    // Compressible lines (librdkafka sends a batch uncompressed when compressing does not shrink it).
    const sent = Array.from({ length: 50 }, (_, i) => `line ${i} `.repeat(10 + (i % 7)).trimEnd());
    for (const { name, id } of CODECS) {
      const topic = `z-${name}`;
      await createTopic(broker, topic, 1);
      await t.test(`${name}: produced and read back`, async () => {
        await kcat(broker, ['-P', '-t', topic, '-z', name], sent.join('\n') + '\n');
        const got = await kcat(broker, ['-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%o|%s\n']);
        assert.deepEqual(lines(got.stdout), sent.map((s, i) => `${i}|${s}`));
      });
      await t.test(`${name}: stored batches carry codec ${id}`, { todo: name === 'lz4' ? LZ4_TODO : false }, () => {
        const batches = storedBatches(broker, topic, 0);
        assert.equal(batches.reduce((n, b) => n + b.records, 0), sent.length);
        assert.deepEqual(new Set(batches.map((b) => b.codec)), new Set([id]), `codec bits of ${topic}-0's batches: ${JSON.stringify(batches)}`);
      });
    }
  });
});
