import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writer } from '../../src/protocol/writer.js';
import { encodeRequestHeader } from '../../src/protocol/headers.js';
import { createClient } from '../../src/client/index.js';
import type { Socket } from 'node:net';
import { withBroker, rawSocket } from '../helpers/broker.js';

/** Collects the correlation ids of response frames as they arrive (several may share a chunk). */
function responses(s: Socket): { ids: number[]; until(n: number): Promise<void> } {
  let buf = Buffer.alloc(0);
  const ids: number[] = [];
  s.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      ids.push(buf.readInt32BE(4));
      buf = buf.subarray(4 + buf.readInt32BE(0));
    }
  });
  return {
    ids,
    async until(n) {
      const deadline = Date.now() + 5000;
      while (ids.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    },
  };
}

function apiVersionsRequest(correlationId: number): Buffer {
  const w = new Writer();
  encodeRequestHeader(w, { apiKey: 18, apiVersion: 2, correlationId, clientId: 'framing' }, false);
  const body = w.toBuffer();
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

test('requests split at every byte, and several in one chunk, are each answered in order', async () => {
  await withBroker(async (broker) => {
    const s = await rawSocket(broker);
    const bytes = Buffer.concat([1, 2, 3].map(apiVersionsRequest));
    const r = responses(s);
    // Byte by byte (size prefixes and bodies straddle chunks).
    for (let i = 0; i < bytes.length; i++) {
      s.write(bytes.subarray(i, i + 1));
      await new Promise((r) => setImmediate(r));
    }
    await r.until(3);
    // All three in one chunk, then a chunk that ends inside the second size prefix.
    s.write(bytes);
    await r.until(6);
    const cut = bytes.length / 3 + 2;
    s.write(bytes.subarray(0, cut));
    await new Promise((r) => setTimeout(r, 20));
    s.write(bytes.subarray(cut));
    await r.until(9);
    assert.deepEqual(r.ids, [1, 2, 3, 1, 2, 3, 1, 2, 3]);
    s.destroy();
  });
});

test('large produce requests arriving in many chunks, pipelined, keep every byte (reused frame buffers)', async () => {
  await withBroker(async (broker) => {
    const client = createClient({ bootstrapServers: broker.bootstrap, clientId: 'framing' });
    try {
      await client.admin().createTopics([{ topic: 'big-frames', numPartitions: 1, replicationFactor: 1 }]);
      const producer = client.producer();
      const sends: Array<Promise<unknown>> = [];
      const expected: string[] = [];
      for (let s = 0; s < 24; s++) {
        const messages = [];
        for (let i = 0; i < 200; i++) {
          const value = `${s}-${i}-`.padEnd(1000, String.fromCharCode(97 + ((s * 7 + i) % 26)));
          expected.push(value);
          messages.push({ value });
        }
        sends.push(producer.send({ topic: 'big-frames', messages }));
      }
      await Promise.all(sends);
      const consumer = client.consumer();
      consumer.assign([{ topic: 'big-frames', partition: 0, offset: 0 }]);
      const got: string[] = [];
      const deadline = Date.now() + 15_000;
      while (got.length < expected.length && Date.now() < deadline) {
        for (const m of await consumer.poll({ timeoutMs: 500 })) got.push(m.value!.toString());
      }
      await consumer.close();
      assert.equal(got.length, expected.length);
      assert.deepEqual(new Set(got), new Set(expected));
      // One connection sends in order, so each send's records stay together and in order.
      assert.deepEqual(got.filter((v) => v.startsWith('5-')), expected.filter((v) => v.startsWith('5-')));
    } finally {
      await client.close();
    }
  });
});
