import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writer } from '../../src/protocol/writer.js';
import { encodeRequestHeader } from '../../src/protocol/headers.js';
import { createClient } from '../../src/client/index.js';
import { Reader } from '../../src/protocol/reader.js';
import { codecFor } from '../../src/protocol/schema.js';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import { ProduceRequestSchema, ProduceResponseSchema, type ProduceRequest, type ProduceResponse } from '../../src/protocol/messages/00-produce.js';
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

/** Reads partition 0 of `topic` from the start until `count` values arrived (or 15 s passed). */
async function readValues(client: ReturnType<typeof createClient>, topic: string, count: number): Promise<string[]> {
  const consumer = client.consumer();
  consumer.assign([{ topic, partition: 0, offset: 0 }]);
  const got: string[] = [];
  const deadline = Date.now() + 15_000;
  while (got.length < count && Date.now() < deadline) {
    for (const m of await consumer.poll({ timeoutMs: 500 })) got.push(m.value!.toString());
  }
  await consumer.close();
  return got;
}

/** The size-prefixed frame of what `w` holds. */
function framed(w: Writer): Buffer {
  const body = w.toBuffer();
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

function apiVersionsRequest(correlationId: number): Buffer {
  const w = new Writer();
  encodeRequestHeader(w, { apiKey: 18, apiVersion: 2, correlationId, clientId: 'framing' }, false);
  return framed(w);
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
    // The first request's answer shows the broker has read that chunk before the rest is sent.
    await r.until(7);
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
      const got = await readValues(client, 'big-frames', expected.length);
      assert.equal(got.length, expected.length);
      assert.deepEqual(new Set(got), new Set(expected));
      // One connection sends in order, so each send's records stay together and in order.
      assert.deepEqual(got.filter((v) => v.startsWith('5-')), expected.filter((v) => v.startsWith('5-')));
    } finally {
      await client.close();
    }
  });
});

/** A Produce v8 request frame (non-flexible) for one partition with one batch of `values`. */
async function produceFrame(correlationId: number, topic: string, values: string[]): Promise<Buffer> {
  const records = await encodeRecordBatch(values.map((v) => ({ value: Buffer.from(v) })));
  const w = new Writer();
  encodeRequestHeader(w, { apiKey: 0, apiVersion: 8, correlationId, clientId: 'framing' }, false);
  codecFor<ProduceRequest>(ProduceRequestSchema, 8).encode(w, {
    transactionalId: null, acks: 1, timeoutMs: 30_000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
  return framed(w);
}

test('pipelined Produce requests on one connection append in the order sent, with other requests answered in between', async () => {
  await withBroker(async (broker) => {
    const client = createClient({ bootstrapServers: broker.bootstrap, clientId: 'framing' });
    try {
      // compression.type=gzip makes each append re-encode its batch asynchronously, so later
      // (smaller) requests finish their checks before earlier (larger) ones.
      await client.admin().createTopics([{ topic: 'pipelined', numPartitions: 1, configs: { 'compression.type': 'gzip' } }]);
      const frames: Buffer[] = [];
      const expected: string[] = [];
      for (let c = 1; c <= 40; c++) {
        if (c % 10 === 0) {
          frames.push(apiVersionsRequest(c));
          continue;
        }
        const count = c % 2 === 1 ? 2000 : 1;
        const values = Array.from({ length: count }, (_, i) => `${c}-${i}`);
        expected.push(...values);
        frames.push(await produceFrame(c, 'pipelined', values));
      }
      const s = await rawSocket(broker);
      const frameBytes: Buffer[] = [];
      let buf = Buffer.alloc(0);
      s.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
          frameBytes.push(buf.subarray(4, 4 + buf.readInt32BE(0)));
          buf = buf.subarray(4 + buf.readInt32BE(0));
        }
      });
      s.write(Buffer.concat(frames));
      const deadline = Date.now() + 15_000;
      while (frameBytes.length < frames.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      s.destroy();
      assert.deepEqual(frameBytes.map((f) => f.readInt32BE(0)), Array.from({ length: 40 }, (_, i) => i + 1));
      // Each Produce response's base offset follows the previous request's records.
      let next = 0;
      for (const f of frameBytes) {
        const correlationId = f.readInt32BE(0);
        if (correlationId % 10 === 0) continue;
        const r = new Reader(f.subarray(4));
        const resp = codecFor<ProduceResponse>(ProduceResponseSchema, 8).decode(r);
        const p = resp.responses[0]!.partitionResponses[0]!;
        assert.equal(p.errorCode, 0);
        assert.equal(p.baseOffset, next, `request ${correlationId}`);
        next += correlationId % 2 === 1 ? 2000 : 1;
      }
      assert.deepEqual(await readValues(client, 'pipelined', expected.length), expected);
    } finally {
      await client.close();
    }
  });
});
