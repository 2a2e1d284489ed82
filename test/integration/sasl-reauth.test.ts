/**
 * KIP-368 re-authentication (`connections.max.reauth.ms`): the broker tells the session lifetime
 * in SaslAuthenticate v1+, closes a connection that goes on past it without logging in again,
 * and serves one that logs in again on the same connection (same principal, same mechanism) — as
 * Samsa's client does by itself. A re-login as someone else is refused with Kafka's sentence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../../src/broker/broker.js';
import { clientProperties, createClient } from '../../src/client/index.js';
import { FrameDecoder, decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/framing.js';
import { createLogger } from '../../src/util/logger.js';

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret" user_bob="bob-secret";';

/** A bare connection that speaks one request at a time, so the test controls every frame. */
class Raw {
  private readonly decoder = new FrameDecoder();
  private waiting: ((f: Buffer) => void) | null = null;
  private correlationId = 0;
  closed: Promise<void>;
  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => {
      for (const f of this.decoder.push(chunk)) this.waiting?.(f);
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static open(port: number): Promise<Raw> {
    return new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => resolve(new Raw(s)));
    });
  }

  request<T>(apiKey: number, version: number, body: unknown): Promise<T | 'closed'> {
    const answer = new Promise<Buffer>((resolve) => (this.waiting = resolve));
    for (const c of encodeRequestFrame({ apiKey, version, correlationId: this.correlationId++, clientId: 'raw', body })) this.socket.write(c);
    return Promise.race([answer.then((f) => decodeResponseFrame(apiKey, version, f) as T), this.closed.then(() => 'closed' as const)]);
  }

  async login(user: string, password: string): Promise<{ errorCode: number; errorMessage: string | null; sessionLifetimeMs: number } | 'closed'> {
    const hs = await this.request<{ errorCode: number }>(17, 1, { mechanism: 'PLAIN' });
    if (hs === 'closed') return hs;
    assert.equal(hs.errorCode, 0);
    return this.request(36, 2, { authBytes: Buffer.from(`\u0000${user}\u0000${password}`) });
  }

  end(): void {
    this.socket.destroy();
  }
}

const METADATA_V1 = { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };

test('connections.max.reauth.ms: the lifetime is told, an expired session is closed at its next request, a re-login on the same connection keeps it; another principal is refused', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-reauth-'));
  const expiredClosed: string[] = [];
  const logger = createLogger('info', {}, (line) => {
    if (line.includes('SASL session expired')) expiredClosed.push((JSON.parse(line) as { principal: string }).principal);
  });
  const b = await Broker.start({
    logger,
    config: {
      'log.dirs': dir, listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'PLAIN', 'sasl.jaas.config': JAAS,
      'connections.max.reauth.ms': '800', 'connection.failed.authentication.delay.ms': '10',
    },
  });
  try {
    const lazy = await Raw.open(b.port);
    const first = await lazy.login('alice', 'alice-secret');
    assert.deepEqual(first, { errorCode: 0, errorMessage: null, authBytes: Buffer.alloc(0), sessionLifetimeMs: 800 });
    assert.notEqual(await lazy.request(3, 1, METADATA_V1), 'closed', 'served within its lifetime');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await lazy.request(3, 1, METADATA_V1), 'closed', 'closed once the session expired');
    assert.deepEqual(expiredClosed, ['User:alice']);

    const diligent = await Raw.open(b.port);
    await diligent.login('alice', 'alice-secret');
    await new Promise((r) => setTimeout(r, 1000));
    const again = await diligent.login('alice', 'alice-secret');
    assert.notEqual(again, 'closed');
    assert.equal(again !== 'closed' && again.errorCode, 0);
    assert.notEqual(await diligent.request(3, 1, METADATA_V1), 'closed', 'served after re-authenticating');
    diligent.end();

    const switcher = await Raw.open(b.port);
    await switcher.login('alice', 'alice-secret');
    const bob = await switcher.login('bob', 'bob-secret');
    assert.ok(bob !== 'closed' && bob.errorCode === 58 && bob.errorMessage === 'Cannot change principals during re-authentication from User.alice: User.bob', JSON.stringify(bob));
    await switcher.closed;

    // Samsa's client renews its session by itself: a producer keeps producing across several lifetimes.
    const kafka = createClient({
      bootstrapServers: `127.0.0.1:${b.port}`,
      ...clientProperties({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required username="bob" password="bob-secret";' }, 'producer').client,
    });
    try {
      const producer = kafka.producer();
      const started = Date.now();
      let sent = 0;
      while (Date.now() - started < 3000) {
        await producer.send({ topic: 'renewed', messages: [{ value: String(sent++) }] });
        await new Promise((r) => setTimeout(r, 100));
      }
      const consumer = kafka.consumer();
      consumer.assign([{ topic: 'renewed', partition: 0, offset: 'earliest' }]);
      const got: string[] = [];
      while (got.length < sent) got.push(...(await consumer.poll({ timeoutMs: 5000 })).map((m) => m.value!.toString()));
      assert.deepEqual(got, Array.from({ length: sent }, (_, i) => String(i)));
      assert.deepEqual(expiredClosed, ['User:alice'], 'bob renewed his session on the same connections: none was closed as expired');
    } finally {
      await kafka.close();
    }
  } finally {
    await b.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
