/**
 * SASL/OAUTHBEARER with JWT validation against a JWKS, as Kafka's OAuthBearerValidatorCallbackHandler
 * does it. The test runs a small identity provider on loopback (a JWKS and a client-credentials
 * token endpoint, RS256 keys made here); kcat (librdkafka's OIDC login), confluent-kafka (a token
 * callback), KafkaJS and Samsa's client log in; an expired token, a token signed by another key
 * and one for another audience are refused with Kafka's invalid_token answer. Kafka's unsecured
 * default (alg "none") works with kcat's unsecured JWT, and a JWKS file works as the URL does.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/broker/broker.js';
import { clientProperties, createClient, KafkaError } from '../../src/client/index.js';
import { installed, run, SYSTEM_PYTHON } from '../helpers/broker.js';

const SKIP = (await installed('kcat', ['-V'])) ? false : 'kcat is not installed (Debian package kcat)';
const VALIDATOR = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler';

let idp: Server;
let issuer = '';
let signing: CryptoKey;
let stranger: CryptoKey;
let jwks = '';
let dir = '';

async function token(o: { sub?: string; aud?: string; expSeconds?: number; key?: CryptoKey } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: 'kafka' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setSubject(o.sub ?? 'alice')
    .setIssuer(issuer)
    .setAudience(o.aud ?? 'samsa')
    .setIssuedAt(now - 5)
    .setExpirationTime(now + (o.expSeconds ?? 300))
    .sign(o.key ?? signing);
}

before(async () => {
  ({ privateKey: signing } = await generateKeyPair('RS256'));
  const pair = await generateKeyPair('RS256', { extractable: true });
  ({ privateKey: stranger } = await generateKeyPair('RS256'));
  signing = pair.privateKey;
  jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] });
  dir = await mkdtemp(join(tmpdir(), 'samsa-oauth-'));
  await writeFile(join(dir, 'jwks.json'), jwks);
  idp = createServer((req, res) => {
    if (req.url === '/jwks') {
      res.setHeader('content-type', 'application/json');
      res.end(jwks);
      return;
    }
    if (req.url === '/token' && req.method === 'POST') {
      const ok = req.headers.authorization === `Basic ${Buffer.from('app:app-secret').toString('base64')}`;
      req.resume();
      req.on('end', async () => {
        if (!ok) {
          res.statusCode = 401;
          res.end('{"error":"invalid_client"}');
          return;
        }
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ access_token: await token({ sub: 'app-service' }), token_type: 'Bearer', expires_in: 300 }));
      });
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((r) => idp.close(r));
  await rm(dir, { recursive: true, force: true });
});

async function withOAuthBroker(config: Record<string, string>, fn: (bs: string) => Promise<void>): Promise<void> {
  const b = await Broker.start({
    config: {
      'log.dirs': join(dir, `logs-${Math.random().toString(36).slice(2)}`), listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'OAUTHBEARER',
      'connection.failed.authentication.delay.ms': '10', ...config,
    },
  });
  try {
    await fn(`127.0.0.1:${b.port}`);
  } finally {
    await b.stop();
  }
}

const secured = (): Record<string, string> => ({
  'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class': VALIDATOR,
  'sasl.oauthbearer.jwks.endpoint.url': `${issuer}/jwks`,
  'sasl.oauthbearer.expected.audience': 'samsa',
  'sasl.oauthbearer.expected.issuer': issuer,
});

// Debian's librdkafka is built without OIDC (libcurl), so kcat cannot fetch tokens itself: librdkafka
// is driven through confluent-kafka's token callback instead.
test('OAUTHBEARER with a JWKS URL: confluent-kafka (librdkafka), kafka-python and KafkaJS log in with signed tokens, produce and consume; expired, foreign-key and wrong-audience tokens get invalid_token', { timeout: 180_000 }, async () => {
  await withOAuthBroker(secured(), async (bs) => {
    assert.equal((await run(SYSTEM_PYTHON, ['-c', 'import confluent_kafka'], { timeoutMs: 30_000 })).code, 0, `${SYSTEM_PYTHON} cannot import confluent_kafka: install Debian's python3-confluent-kafka`);
    const script = `
import sys, time
from confluent_kafka import Producer
errors = []
p = Producer({'bootstrap.servers': sys.argv[1], 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'OAUTHBEARER',
  'oauth_cb': lambda _: (sys.argv[2], time.time() + 300), 'error_cb': lambda e: errors.append(e.str())})
try:
    p.poll(1)  # serves the token callback
    p.list_topics(timeout=float(sys.argv[3]))
    p.produce('tokens', b'one')
    p.produce('tokens', b'two')
    print('OK', p.flush(10))
except Exception as e:
    print('REFUSED', errors[:1])
`;
    const good = await run(SYSTEM_PYTHON, ['-c', script, bs, await token(), '8'], { timeoutMs: 60_000 });
    assert.equal(good.code, 0, good.stderr);
    assert.equal(good.stdout.trim(), 'OK 0');
    for (const bad of [await token({ expSeconds: -120 }), await token({ key: stranger }), await token({ aud: 'someone-else' })]) {
      const r = await run(SYSTEM_PYTHON, ['-c', script, bs, bad, '3'], { timeoutMs: 60_000 });
      assert.match(r.stdout, /^REFUSED/, r.stdout + r.stderr);
      assert.match(r.stderr, /SASL authentication error: \{"status":"invalid_token"\}/);
    }

    // kafka-python, with its token provider: a signed token writes; a foreign-key one is refused.
    const kafkaPython = `
import sys
from kafka import KafkaProducer
from kafka.oauth.abstract import AbstractTokenProvider
class Tokens(AbstractTokenProvider):
    def token(self): return sys.argv[2]
try:
    p = KafkaProducer(bootstrap_servers=sys.argv[1], security_protocol='SASL_PLAINTEXT', sasl_mechanism='OAUTHBEARER', sasl_oauth_token_provider=Tokens(), request_timeout_ms=5000, max_block_ms=5000)
    p.send('tokens', b'three').get(timeout=10)
    print('OK')
except Exception as e:
    print('REFUSED', type(e).__name__)
`;
    const kpGood = await run(SYSTEM_PYTHON, ['-c', kafkaPython, bs, await token({ sub: 'carol' })], { timeoutMs: 60_000 });
    assert.equal(kpGood.stdout.trim(), 'OK', kpGood.stderr);
    const kpBad = await run(SYSTEM_PYTHON, ['-c', kafkaPython, bs, await token({ key: stranger })], { timeoutMs: 60_000 });
    assert.match(kpBad.stdout, /^REFUSED/, kpBad.stderr);

    const kjs = (value: string, retries?: number) =>
      new Kafka({ brokers: [bs], sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value }) }, logLevel: logLevel.NOTHING, ...(retries !== undefined ? { retry: { retries } } : {}) });
    const consumer = kjs(await token({ sub: 'bob' })).consumer({ groupId: 'readers' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'tokens', fromBeginning: true });
    const got: string[] = [];
    const crashed = new Promise<never>((_, reject) => consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error)));
    const done = new Promise<void>((resolve) => void consumer.run({ eachMessage: async ({ message }) => { got.push(message.value!.toString()); if (got.length === 3) resolve(); } }));
    await Promise.race([done, crashed]);
    await consumer.disconnect();
    assert.deepEqual(got, ['one', 'two', 'three']);
    // KafkaJS takes the broker's invalid_token challenge for success (it never sends the %x01), as it
    // does against Kafka; the broker then closes the connection at its first request.
    const refused = kjs(await token({ aud: 'nope' }), 0).admin();
    await assert.rejects(async () => {
      await refused.connect();
      await refused.listTopics();
    });
    await refused.disconnect();
  });
});

test("Samsa's client logs in with OAUTHBEARER from the token endpoint (Kafka's OAuthBearerLoginCallbackHandler keys); a JWKS file validates as the URL does; wrong client credentials are a clear error", { timeout: 60_000 }, async () => {
  const config = { ...secured(), 'sasl.oauthbearer.jwks.endpoint.url': pathToFileURL(join(dir, 'jwks.json')).href };
  await withOAuthBroker(config, async (bs) => {
    const props = (secret: string) => ({
      'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'OAUTHBEARER',
      'sasl.login.callback.handler.class': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler',
      'sasl.oauthbearer.token.endpoint.url': `${issuer}/token`,
      'sasl.jaas.config': `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="app" clientSecret="${secret}";`,
    });
    const kafka = createClient({ bootstrapServers: bs, ...clientProperties(props('app-secret'), 'admin').client });
    try {
      await kafka.admin().createTopics([{ topic: 'by-token', numPartitions: 1 }]);
      assert.ok((await kafka.admin().listTopics()).includes('by-token'));
    } finally {
      await kafka.close();
    }
    const wrong = createClient({ bootstrapServers: bs, ...clientProperties(props('guess'), 'admin').client });
    try {
      await assert.rejects(wrong.admin().listTopics(), (err: Error) => err instanceof KafkaError && /refused the client credentials: HTTP 401/.test(err.message));
    } finally {
      await wrong.close();
    }
  });
});

test("Kafka's unsecured OAUTHBEARER default (no validator configured): kcat's unsecured JWT logs in; Samsa's client builds one from unsecuredLoginStringClaim_sub; an expired one is refused", { skip: SKIP, timeout: 60_000 }, async () => {
  await withOAuthBroker({}, async (bs) => {
    const r = await run('kcat', ['-b', bs, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=OAUTHBEARER', '-X', 'enable.sasl.oauthbearer.unsecure.jwt=true', '-X', 'sasl.oauthbearer.config=principal=alice', '-L', '-J'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    const jaas = (extra: string) => `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="carol" ${extra};`;
    const ok = createClient({ bootstrapServers: bs, ...clientProperties({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'OAUTHBEARER', 'sasl.jaas.config': jaas('') }, 'admin').client });
    try {
      await ok.admin().listTopics();
    } finally {
      await ok.close();
    }
    assert.throws(() => clientProperties({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'OAUTHBEARER', 'sasl.jaas.config': jaas('unsecuredLoginNumberClaim_exp="1000"') }, 'admin'), /the exp claim is set by the client/);
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const stale = `${b64({ alg: 'none' })}.${b64({ sub: 'carol', iat: 1000, exp: 2000 })}.`;
    const expired = createClient({ bootstrapServers: bs, sasl: { mechanism: 'OAUTHBEARER', token: async () => stale } });
    try {
      await assert.rejects(expired.admin().listTopics(), (err: Error) => err instanceof KafkaError && err.code === 58 && /invalid_token/.test(err.message));
    } finally {
      await expired.close();
    }
  });
});
