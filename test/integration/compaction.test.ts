import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '../../src/client/index.js';
import { withBroker } from '../helpers/broker.js';

interface Rec {
  offset: number;
  key: string;
  value: string;
}

/**
 * What a compacted log reads back as once the cleaner point is at `point`: below it, each key's
 * latest record among those below it; from it on, every record as produced.
 */
function compactedView(produced: readonly Rec[], point: number): Rec[] {
  const latest = new Map<string, number>();
  for (const r of produced) if (r.offset < point) latest.set(r.key, r.offset);
  return produced.filter((r) => r.offset >= point || latest.get(r.key) === r.offset);
}

/** The cleaner point at which `seen` is exactly the compacted view of `produced`, if any. */
function cleanerPointOf(produced: readonly Rec[], seen: readonly Rec[]): number | null {
  const candidates = new Set([...seen.map((r) => r.offset), produced.length]);
  for (const point of candidates) {
    const view = compactedView(produced, point);
    if (view.length === seen.length && view.every((r, i) => r.offset === seen[i]!.offset && r.key === seen[i]!.key && r.value === seen[i]!.value)) return point;
  }
  return null;
}

test('a compacted topic reads back as exactly the latest record per key below the cleaner point and everything after it; keyless records are refused', async () => {
  await withBroker(
    async (broker) => {
      const kafka = createClient({ bootstrapServers: broker.bootstrap });
      try {
        await kafka.admin().createTopics([
          { topic: 'table', numPartitions: 1, configs: { 'cleanup.policy': 'compact', 'segment.bytes': '2048', 'min.cleanable.dirty.ratio': '0.01' } },
        ]);
        const producer = kafka.producer();
        const produced: Rec[] = [];
        const send = async (messages: Array<{ key: string; value: string }>): Promise<void> => {
          await producer.send({ topic: 'table', messages });
          for (const m of messages) produced.push({ offset: produced.length, ...m });
        };
        // Keys written once, at the start, and keys whose last write is half way: their latest
        // records sit in segments the cleaner rewrites, and must survive it.
        await send(Array.from({ length: 5 }, (_, k) => ({ key: `once${k}`, value: `only-${k}` })));
        for (let round = 0; round < 200; round++) {
          const keys = round < 100 ? 10 : 6;
          await send(Array.from({ length: keys }, (_, k) => ({ key: `k${k}`, value: `v${round}` })));
        }
        await assert.rejects(producer.send({ topic: 'table', messages: [{ value: 'no key' }] }), (err: any) => err.code === 87);

        const readAll = async (): Promise<Rec[]> => {
          const consumer = kafka.consumer({ autoOffsetReset: 'earliest' });
          consumer.assign([{ topic: 'table', partition: 0, offset: 'earliest' }]);
          const seen: Rec[] = [];
          for (;;) {
            const batch = await consumer.poll({ timeoutMs: 500 });
            if (batch.length === 0) break;
            for (const m of batch) seen.push({ offset: m.offset, key: m.key!.toString(), value: m.value!.toString() });
          }
          await consumer.close();
          return seen;
        };
        // The background cleaner runs every log.cleaner.backoff.ms (200 ms here). A read that
        // straddles a swap may mix two passes: read until one pass's view is seen whole.
        const deadline = Date.now() + 20_000;
        let seen = await readAll();
        let point = cleanerPointOf(produced, seen);
        while (point === null || point < produced.length / 2) {
          if (Date.now() > deadline) {
            assert.fail(`the read-back (${seen.length} records) never became the compacted view of what was produced (cleaner point ${point})`);
          }
          await new Promise((r) => setTimeout(r, 100));
          seen = await readAll();
          point = cleanerPointOf(produced, seen);
        }
        assert.ok(seen.length < produced.length, `compaction removed superseded records (${seen.length} left)`);
        // The keys written once and those last written half way keep their values.
        const latest = new Map(seen.map((r) => [r.key, r.value]));
        for (let k = 0; k < 5; k++) assert.equal(latest.get(`once${k}`), `only-${k}`);
        for (let k = 0; k < 10; k++) assert.equal(latest.get(`k${k}`), k < 6 ? 'v199' : 'v99');
        assert.equal(seen.at(-1)!.offset, produced.length - 1, 'the last offset is unchanged');
      } finally {
        await kafka.close();
      }
    },
    { config: { 'log.cleaner.backoff.ms': '200' } },
  );
});
