import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { FrameDecoder } from '../../../src/protocol/framing.js';
import { Connection } from '../../../src/client/connection.js';
import { ConnectionError, RequestTimeoutError, UnsupportedVersionError } from '../../../src/client/errors.js';
import { API_SCHEMAS } from '../../../src/protocol/apis.js';
import { decodeRequestHeader, encodeResponseHeader, type RequestHeader } from '../../../src/protocol/headers.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';
import { encodeMessage, isFlexible } from '../../../src/protocol/schema.js';
import type { MetadataRequest, MetadataResponse } from '../../../src/protocol/messages/03-metadata.js';
import type { ApiVersionsResponse } from '../../../src/protocol/messages/18-api-versions.js';
import { waitFor } from '../../helpers/wait.js';

function frame(payload: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

test('FrameDecoder reassembles frames split at every byte', () => {
  const payloads = [Buffer.from('hello'), Buffer.alloc(0), Buffer.from('a longer payload of bytes'), Buffer.from([0, 1, 2])];
  const stream = Buffer.concat(payloads.map(frame));
  const dec = new FrameDecoder();
  const got: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) got.push(...dec.push(stream.subarray(i, i + 1)));
  assert.deepEqual(got, payloads);
  assert.equal(dec.pendingBytes, 0);
});

test('FrameDecoder returns every frame of a coalesced chunk, and at every split point', () => {
  const payloads = Array.from({ length: 5 }, (_, i) => Buffer.alloc(i * 3 + 1, i));
  const stream = Buffer.concat(payloads.map(frame));
  assert.deepEqual(new FrameDecoder().push(stream), payloads);
  for (let cut = 0; cut <= stream.length; cut++) {
    const dec = new FrameDecoder();
    const got = [...dec.push(stream.subarray(0, cut)), ...dec.push(stream.subarray(cut))];
    assert.deepEqual(got, payloads, `split at ${cut}`);
  }
});

test('FrameDecoder rejects a negative or oversized frame size', () => {
  const bad = Buffer.alloc(4);
  bad.writeInt32BE(-5);
  assert.throws(() => new FrameDecoder().push(bad), /declared -5 bytes/);
  bad.writeInt32BE(1000);
  assert.throws(() => new FrameDecoder(100).push(bad), /declared 1000 bytes/);
});

// ---- a fake broker over a real socket --------------------------------------------------------

type WriteMode = 'whole' | 'bytewise' | 'coalesce3';

interface FakeBrokerOptions {
  /** Answer ApiVersions v3+ with UNSUPPORTED_VERSION in a v0 body, as a v0-only broker would. */
  apiVersionsV0Only?: boolean;
  writeMode?: WriteMode;
  /** Do not answer this api key at all. */
  silentApiKey?: number;
  /** After the ApiVersions exchange, stop reading until `resumeReads()`. */
  holdReads?: boolean;
}

const BROKER_APIS = [
  { apiKey: 0, minVersion: 0, maxVersion: 11 },
  { apiKey: 3, minVersion: 0, maxVersion: 12 },
  { apiKey: 18, minVersion: 0, maxVersion: 4 },
];

function encodeResponse(h: RequestHeader, body: unknown): Buffer {
  const schemas = API_SCHEMAS.get(h.apiKey)!;
  const w = new Writer();
  encodeResponseHeader(w, h.correlationId, h.apiKey, isFlexible(schemas.response, h.apiVersion));
  encodeMessage(schemas.response, h.apiVersion, body, w);
  return frame(w.toBuffer());
}

function answer(h: RequestHeader, opts: FakeBrokerOptions): Buffer | null {
  if (h.apiKey === opts.silentApiKey) return null;
  if (h.apiKey === 18) {
    if (opts.apiVersionsV0Only && h.apiVersion > 0) {
      const body: Partial<ApiVersionsResponse> = { errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 0 }] };
      return encodeResponse({ ...h, apiVersion: 0 }, body);
    }
    const body: Partial<ApiVersionsResponse> = { errorCode: 0, apiKeys: BROKER_APIS, throttleTimeMs: 0 };
    return encodeResponse(h, body);
  }
  if (h.apiKey === 3) {
    const body: Partial<MetadataResponse> = {
      brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
      clusterId: 'fake',
      controllerId: 1,
      topics: [],
    };
    return encodeResponse(h, body);
  }
  if (h.apiKey === 0) return encodeResponse(h, { responses: [] });
  throw new Error(`fake broker cannot answer api key ${h.apiKey}`);
}

async function startFakeBroker(opts: FakeBrokerOptions = {}): Promise<{ port: number; requests: RequestHeader[]; close: () => Promise<void>; sockets: net.Socket[]; resumeReads: () => void }> {
  const requests: RequestHeader[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.setNoDelay(true);
    const dec = new FrameDecoder();
    let held: Buffer[] = [];
    let queue = Promise.resolve();
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      for (const f of dec.push(chunk)) {
        const h = decodeRequestHeader(new Reader(f), (k, v) => isFlexible(API_SCHEMAS.get(k)!.request, v));
        requests.push(h);
        const out = answer(h, opts);
        if (out === null) continue;
        if (h.apiKey === 18 && opts.holdReads === true) socket.pause();
        const mode = h.apiKey === 18 ? 'whole' : (opts.writeMode ?? 'whole');
        if (mode === 'whole') socket.write(out);
        else if (mode === 'coalesce3') {
          held.push(out);
          if (held.length === 3) {
            socket.write(Buffer.concat(held));
            held = [];
          }
        } else {
          // One byte per write, each after a pause, so the client sees many tiny chunks.
          queue = queue.then(async () => {
            for (let i = 0; i < out.length; i++) {
              socket.write(out.subarray(i, i + 1));
              await sleep(0);
            }
          });
        }
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    requests,
    sockets,
    resumeReads: () => {
      for (const s of sockets) s.resume();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

const metadataRequest: MetadataRequest = {
  topics: [],
  allowAutoTopicCreation: false,
  includeClusterAuthorizedOperations: false,
  includeTopicAuthorizedOperations: false,
};

test('Connection negotiates ApiVersions v3 and picks the highest common version', async () => {
  const broker = await startFakeBroker();
  const conn = await Connection.connect({ host: '127.0.0.1', port: broker.port });
  try {
    assert.deepEqual(broker.requests.map((r) => [r.apiKey, r.apiVersion]), [[18, 3]]);
    assert.equal(conn.versionFor(3, 9), 9);
    assert.equal(conn.versionFor(0, 9, 3), 9);
    assert.throws(() => conn.versionFor(1, 12), UnsupportedVersionError);
    assert.throws(() => conn.versionFor(3, 20, 13), /supports Metadata versions 0–12/);
  } finally {
    await conn.close();
    await broker.close();
  }
});

test('Connection falls back to ApiVersions v0 when the broker answers UNSUPPORTED_VERSION', async () => {
  const broker = await startFakeBroker({ apiVersionsV0Only: true });
  const conn = await Connection.connect({ host: '127.0.0.1', port: broker.port });
  try {
    assert.deepEqual(broker.requests.map((r) => [r.apiKey, r.apiVersion]), [[18, 3], [18, 0]]);
    // The versions come from the v0 reply.
    assert.equal(conn.versionFor(3, 9), 9);
  } finally {
    await conn.close();
    await broker.close();
  }
});

test('Connection reassembles responses that arrive one byte at a time', async () => {
  const broker = await startFakeBroker({ writeMode: 'bytewise' });
  const conn = await Connection.connect({ host: '127.0.0.1', port: broker.port });
  try {
    const replies = await Promise.all([9, 1, 0].map((v) => conn.request<MetadataRequest, MetadataResponse>(3, v, metadataRequest)));
    assert.equal(replies[0]!.clusterId, 'fake');
    assert.equal(replies[1]!.controllerId, 1);
    assert.deepEqual(replies[2]!.brokers.map((b) => b.host), ['localhost']);
  } finally {
    await conn.close();
    await broker.close();
  }
});

test('Connection handles many responses coalesced in one chunk', async () => {
  const broker = await startFakeBroker({ writeMode: 'coalesce3' });
  const conn = await Connection.connect({ host: '127.0.0.1', port: broker.port });
  try {
    const replies = await Promise.all([9, 5, 9].map((v) => conn.request<MetadataRequest, MetadataResponse>(3, v, metadataRequest)));
    assert.deepEqual(replies.map((r) => r.controllerId), [1, 1, 1]);
  } finally {
    await conn.close();
    await broker.close();
  }
});

test('Correlation ids wrap at 2^31 and stay non-negative', async () => {
  const broker = await startFakeBroker();
  const conn = await Connection.connect({ host: '127.0.0.1', port: broker.port });
  try {
    (conn as unknown as { nextCorrelationId: number }).nextCorrelationId = 0x7fffffff;
    await conn.request(3, 9, metadataRequest);
    await conn.request(3, 9, metadataRequest);
    assert.deepEqual(broker.requests.slice(-2).map((r) => r.correlationId), [0x7fffffff, 0]);
  } finally {
    await conn.close();
    await broker.close();
  }
});

test('A request with no response times out with RequestTimeoutError; the connection stays usable', async () => {
  const broker = await startFakeBroker({ silentApiKey: 0 });
  const conn = await Connection.connect({ host: '127.0.0.1', port: broker.port, requestTimeoutMs: 100 });
  try {
    const produce = { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [] };
    await assert.rejects(conn.request(0, 9, produce), RequestTimeoutError);
    const reply = await conn.request<MetadataRequest, MetadataResponse>(3, 9, metadataRequest);
    assert.equal(reply.clusterId, 'fake');
  } finally {
    await conn.close();
    await broker.close();
  }
});

test('acks=0 produce is sent without waiting for a response', async () => {
  const broker = await startFakeBroker({ silentApiKey: 0 });
  const conn = await Connection.connect({ host: '127.0.0.1', port: broker.port });
  try {
    await conn.send(0, 9, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [] });
    await conn.request(3, 9, metadataRequest);
    assert.deepEqual(broker.requests.map((r) => r.apiKey), [18, 0, 3]);
  } finally {
    await conn.close();
    await broker.close();
  }
});

test('Writes are parked while the socket is full and all complete once the broker reads again', async () => {
  const broker = await startFakeBroker({ holdReads: true });
  const conn = await Connection.connect({ host: '127.0.0.1', port: broker.port });
  try {
    const big = Buffer.alloc(1 << 20, 7);
    const produce = { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records: big }] }] };
    const pending = Array.from({ length: 40 }, () => conn.request(0, 9, produce));
    const parked = (): number => (conn as unknown as { parked: unknown[] }).parked.length;
    await waitFor('frames parked until the socket drains, while the peer is not reading', () => parked() > 0);
    broker.resumeReads();
    await Promise.all(pending);
    assert.equal((conn as unknown as { parked: unknown[] }).parked.length, 0);
    assert.equal(broker.requests.filter((r) => r.apiKey === 0).length, 40);
  } finally {
    await conn.close();
    await broker.close();
  }
});

test('A connection the broker drops rejects in-flight requests with ConnectionError', async () => {
  const broker = await startFakeBroker({ silentApiKey: 0 });
  const conn = await Connection.connect({ host: '127.0.0.1', port: broker.port });
  try {
    const pending = conn.request(0, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [] });
    await waitFor('the produce request to reach the broker', () => broker.requests.some((r) => r.apiKey === 0));
    for (const s of broker.sockets) s.destroy();
    await assert.rejects(pending, ConnectionError);
    assert.equal(conn.isClosed, true);
  } finally {
    await conn.close();
    await broker.close();
  }
});

test('Connecting to a closed port fails with ConnectionError', async () => {
  const broker = await startFakeBroker();
  const port = broker.port;
  await broker.close();
  await assert.rejects(Connection.connect({ host: '127.0.0.1', port }), ConnectionError);
});
