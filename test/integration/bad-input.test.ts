import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writer } from '../../src/protocol/writer.js';
import { Reader } from '../../src/protocol/reader.js';
import { encodeRequestHeader } from '../../src/protocol/headers.js';
import { codecFor } from '../../src/protocol/schema.js';
import { ApiVersionsResponseSchema, type ApiVersionsResponse } from '../../src/protocol/messages/18-api-versions.js';
import { withBroker, rawSocket, closedWithin, readFrame } from '../helpers/broker.js';
import type { Socket } from 'node:net';

function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

function apiVersionsRequest(version: number, correlationId: number): Buffer {
  const w = new Writer();
  encodeRequestHeader(w, { apiKey: 18, apiVersion: version, correlationId, clientId: 'bad-input' }, version >= 3);
  if (version >= 3) w.compactString('test').compactString('1').uvarint(0);
  return frame(w.toBuffer());
}

async function assertStillServes(s: Socket, correlationId: number): Promise<void> {
  s.write(apiVersionsRequest(2, correlationId));
  const resp = await readFrame(s);
  assert.equal(resp.readInt32BE(0), correlationId);
}

test('garbage, bad sizes, truncated and unknown requests close only their own connection', async () => {
  await withBroker(async (broker) => {
    const healthy = await rawSocket(broker);
    const cases: Array<[string, Buffer]> = [
      ['negative frame size', Buffer.from([0xff, 0xff, 0xff, 0xf0, 1, 2, 3])],
      ['gigantic frame size', Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3])],
      ['frame too small for a header', frame(Buffer.from([0, 1, 2]))],
      ['unknown api key', (() => { const w = new Writer(); encodeRequestHeader(w, { apiKey: 9999, apiVersion: 0, correlationId: 1, clientId: null }, false); return frame(w.toBuffer()); })()],
      ['unsupported produce version', (() => { const w = new Writer(); encodeRequestHeader(w, { apiKey: 0, apiVersion: 99, correlationId: 1, clientId: null }, false); return frame(w.toBuffer()); })()],
      ['truncated metadata body', (() => { const w = new Writer(); encodeRequestHeader(w, { apiKey: 3, apiVersion: 1, correlationId: 1, clientId: null }, false); w.int32(5); return frame(w.toBuffer()); })()],
      ['random bytes', frame(Buffer.from('this is not kafka at all, just some text'))],
    ];
    for (const [name, bytes] of cases) {
      const s = await rawSocket(broker);
      s.on('error', () => {});
      s.write(bytes);
      assert.equal(await closedWithin(s, 3000), true, `${name}: connection closed`);
    }
    await assertStillServes(healthy, 77);
    healthy.destroy();
  });
});

test('ApiVersions at an unknown version gets UNSUPPORTED_VERSION in a v0 body and the connection stays open', async () => {
  await withBroker(async (broker) => {
    const s = await rawSocket(broker);
    s.write(apiVersionsRequest(99, 5));
    const resp = await readFrame(s);
    const r = new Reader(resp);
    assert.equal(r.int32(), 5);
    const body = codecFor<ApiVersionsResponse>(ApiVersionsResponseSchema, 0).decode(r);
    assert.equal(body.errorCode, 35);
    assert.deepEqual(body.apiKeys, [{ apiKey: 18, minVersion: 0, maxVersion: 4 }]);
    await assertStillServes(s, 6);
    // And the flexible v3 request is answered with header v0 and the full list.
    s.write(apiVersionsRequest(3, 7));
    const v3 = new Reader(await readFrame(s));
    assert.equal(v3.int32(), 7);
    const full = codecFor<ApiVersionsResponse>(ApiVersionsResponseSchema, 3).decode(v3);
    assert.equal(full.errorCode, 0);
    const produce = full.apiKeys.find((k) => k.apiKey === 0)!;
    assert.deepEqual([produce.minVersion, produce.maxVersion], [0, 12]);
    s.destroy();
  });
});

test('pipelined requests are answered in order', async () => {
  await withBroker(async (broker) => {
    const s = await rawSocket(broker);
    const frames = Buffer.concat(Array.from({ length: 20 }, (_, i) => apiVersionsRequest(i % 4, 1000 + i)));
    let got = Buffer.alloc(0);
    const ids: number[] = [];
    await new Promise<void>((resolve) => {
      s.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        while (got.length >= 4 && got.length >= 4 + got.readInt32BE(0)) {
          ids.push(got.readInt32BE(4));
          got = got.subarray(4 + got.readInt32BE(0));
        }
        if (ids.length === 20) resolve();
      });
      // Byte by byte for the first frames, to exercise reassembly.
      for (let i = 0; i < 50; i++) s.write(frames.subarray(i, i + 1));
      s.write(frames.subarray(50));
    });
    assert.deepEqual(ids, Array.from({ length: 20 }, (_, i) => 1000 + i));
    s.destroy();
  });
});
