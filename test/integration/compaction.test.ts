import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '../../src/client/index.js';
import { withBroker } from '../helpers/broker.js';

test('a compacted topic reads back as the latest value per key once cleaned; keyless records are refused', async () => {
  await withBroker(
    async (broker) => {
      const kafka = createClient({ bootstrapServers: broker.bootstrap });
      try {
        await kafka.admin().createTopics([
          { topic: 'table', numPartitions: 1, configs: { 'cleanup.policy': 'compact', 'segment.bytes': '2048', 'min.cleanable.dirty.ratio': '0.01' } },
        ]);
        const producer = kafka.producer();
        for (let round = 0; round < 200; round++)
          await producer.send({ topic: 'table', messages: Array.from({ length: 10 }, (_, k) => ({ key: `k${k}`, value: `v${round}` })) });
        await assert.rejects(producer.send({ topic: 'table', messages: [{ value: 'no key' }] }), (err: any) => err.code === 87);

        const readAll = async () => {
          const consumer = kafka.consumer({ autoOffsetReset: 'earliest' });
          consumer.assign([{ topic: 'table', partition: 0, offset: 'earliest' }]);
          const seen: Array<{ offset: number; key: string; value: string }> = [];
          for (;;) {
            const batch = await consumer.poll({ timeoutMs: 500 });
            if (batch.length === 0) break;
            for (const m of batch) seen.push({ offset: m.offset, key: m.key!.toString(), value: m.value!.toString() });
          }
          await consumer.close();
          return seen;
        };
        // The background cleaner runs every log.cleaner.backoff.ms (200 ms here).
        let records = await readAll();
        for (let i = 0; i < 50 && records.length >= 2000; i++) {
          await new Promise((r) => setTimeout(r, 200));
          records = await readAll();
        }
        assert.ok(records.length < 2000, `compaction removed superseded records (${records.length} left)`);
        const latest = new Map<string, string>();
        for (const r of records) latest.set(r.key, r.value);
        assert.equal(latest.size, 10);
        for (const v of latest.values()) assert.equal(v, 'v199');
        // Offsets are kept: strictly increasing, the last one unchanged.
        for (let i = 1; i < records.length; i++) assert.ok(records[i]!.offset > records[i - 1]!.offset);
        assert.equal(records[records.length - 1]!.offset, 1999);
      } finally {
        await kafka.close();
      }
    },
    { config: { 'log.cleaner.backoff.ms': '200' } },
  );
});
