/**
 * Client quotas and connection limits as a Kafka user meets them: kafka-configs (`samsa configs`)
 * describes and alters users, clients, users+clients, ips and their defaults with Kafka's lines
 * and refusals, the quotas survive a restart; librdkafka (confluent-kafka) producing and consuming
 * under a client-id quota is held to the quota (at most 20 % over it) and hears throttle_time_ms through
 * its throttle callback; a SASL/PLAIN user's quota throttles that user only; max.connections.per.ip
 * and its overrides refuse the extra connection.
 *
 * The rate tests set `quota.window.num=2` (Kafka's key; default 11): Kafka lets a first burst of
 * N−1 windows through unthrottled, which would take ten seconds to see past with the default.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/broker/broker.js';
import { createClient, KafkaError } from '../../src/client/index.js';
import { closedWithin, run, SYSTEM_PYTHON, type RunResult } from '../helpers/broker.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function samsa(args: string[]): Promise<RunResult> {
  return run(process.execPath, [MAIN, ...args], { timeoutMs: 30_000 });
}

function ok(r: RunResult): string {
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}

function refused(r: RunResult, message: string | RegExp): void {
  assert.notEqual(r.code, 0, `expected a refusal, got: ${r.stdout}`);
  if (typeof message === 'string') assert.equal(r.stderr.trim(), message);
  else assert.match(r.stderr, message);
}

test('kafka-configs describes and alters quotas of users, clients, users+clients, ips and defaults with Kafka\'s lines; they survive a restart', { timeout: 90_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-quota-cli-'));
  let broker = await Broker.start({ port: 0, dataDir: dir });
  try {
    const bs = ['--bootstrap-server', broker.bootstrap];
    const configs = (...args: string[]) => samsa(['configs', ...bs, ...args]);
    assert.equal(ok(await configs('--alter', '--entity-type', 'users', '--entity-name', 'alice', '--add-config', 'producer_byte_rate=1024,consumer_byte_rate=2048')), 'Completed updating config for user alice.\n');
    assert.equal(ok(await configs('--describe', '--entity-type', 'users', '--entity-name', 'alice')), "Quota configs for user-principal 'alice' are consumer_byte_rate=2048.0, producer_byte_rate=1024.0\n");
    ok(await configs('--alter', '--entity-type', 'users', '--entity-name', 'alice', '--entity-type', 'clients', '--entity-name', 'app', '--add-config', 'request_percentage=12.5'));
    ok(await configs('--alter', '--entity-type', 'clients', '--entity-default', '--add-config', 'producer_byte_rate=10485760'));
    assert.equal(ok(await configs('--alter', '--entity-type', 'users', '--entity-default', '--add-config', 'consumer_byte_rate=4096')), 'Completed updating default config for users in the cluster.\n');
    ok(await configs('--alter', '--user', 'CN=bob,O=org', '--add-config', 'producer_byte_rate=1'));
    ok(await configs('--alter', '--entity-type', 'ips', '--entity-name', '127.0.0.1', '--add-config', 'connection_creation_rate=100'));

    assert.equal(ok(await configs('--describe', '--entity-type', 'users', '--entity-name', 'alice', '--entity-type', 'clients', '--entity-name', 'app')),
      "Quota configs for user-principal 'alice', client-id 'app' are request_percentage=12.5\n");
    assert.equal(ok(await configs('--describe', '--entity-type', 'clients', '--entity-default')), 'Quota configs for the default client-id are producer_byte_rate=1.048576E7\n');
    const users = ok(await configs('--describe', '--entity-type', 'users')).split('\n').filter((l) => l !== '').sort();
    assert.deepEqual(users, [
      "Quota configs for the default user-principal are consumer_byte_rate=4096.0",
      "Quota configs for user-principal 'CN=bob,O=org' are producer_byte_rate=1.0",
      "Quota configs for user-principal 'alice' are consumer_byte_rate=2048.0, producer_byte_rate=1024.0",
    ].sort(), 'users alone: not the (user, client) entity');
    assert.deepEqual(JSON.parse(ok(await configs('--describe', '--entity-type', 'ips', '--json'))), [{ entity: { ip: '127.0.0.1' }, quotas: { connection_creation_rate: 100 } }]);

    ok(await configs('--alter', '--entity-type', 'users', '--entity-name', 'alice', '--delete-config', 'consumer_byte_rate'));
    refused(await configs('--alter', '--entity-type', 'users', '--entity-name', 'alice', '--delete-config', 'consumer_byte_rate'), 'Error: Invalid config(s): consumer_byte_rate');
    refused(await configs('--alter', '--entity-type', 'users', '--entity-name', 'alice', '--add-config', 'producer_byte_rate=1.5'), 'Error: producer_byte_rate cannot be a fractional value.');
    refused(await configs('--alter', '--entity-type', 'users', '--entity-name', 'alice', '--add-config', 'producer_byte_rate=fast'), 'Cannot parse quota configuration value for producer_byte_rate: fast');
    refused(await configs('--alter', '--entity-type', 'users', '--entity-name', 'alice', '--add-config', 'retention.ms=1'), "Only quota and SCRAM credential configs can be added for 'users' using --bootstrap-server. Unexpected config names: retention.ms");
    refused(await configs('--alter', '--entity-type', 'clients', '--entity-name', 'app', '--add-config', 'SCRAM-SHA-256=[password=x]'), "Only quota configs can be added for 'clients' using --bootstrap-server. Unexpected config names: SCRAM-SHA-256");
    refused(await configs('--alter', '--entity-type', 'users', '--entity-name', 'alice', '--add-config', 'SCRAM-SHA-256=[password=x],producer_byte_rate=1'), "Cannot alter both quota and SCRAM credential configs simultaneously for 'users' using --bootstrap-server.");
    assert.equal(ok(await configs('--alter', '--entity-type', 'users', '--entity-name', 'alice', '--add-config', 'SCRAM-SHA-256=[password=x]')), 'Completed updating config for user alice.\n');
    assert.match(ok(await configs('--describe', '--entity-type', 'users', '--entity-name', 'alice')), /^SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=4096$/m);
    refused(await configs('--alter', '--entity-type', 'users', '--entity-type', 'clients', '--entity-name', 'alice', '--add-config', 'producer_byte_rate=1'), '--entity-name or --entity-default must be specified with each --entity-type for --alter');
    refused(await configs('--alter', '--entity-type', 'users', '--entity-type', 'topics', '--entity-name', 'a', '--entity-name', 'b', '--add-config', 'producer_byte_rate=1'), "Only 'users' and 'clients' entity types may be specified together");
    refused(await configs('--alter', '--entity-type', 'users', '--entity-type', 'users', '--entity-name', 'a', '--entity-name', 'b', '--add-config', 'producer_byte_rate=1'), 'Duplicate entity type(s) specified: users');
    refused(await configs('--alter', '--entity-type', 'ips', '--entity-name', '127.0.0.1', '--add-config', 'producer_byte_rate=1'), "Only connection quota configs can be added for 'ips' using --bootstrap-server. Unexpected config names: producer_byte_rate");
    refused(await configs('--describe', '--entity-type', 'ips', '--entity-name', 'no.such.host.invalid'), 'The entity name for ips must be a valid IP or resolvable host, but it is: no.such.host.invalid');
    refused(await configs('--alter', '--entity-type', 'users', '--add-config', 'producer_byte_rate=1'), 'An entity-name or default entity must be specified with --alter of users, clients, brokers or ips');
    refused(await configs('--alter', '--entity-type', 'queues', '--entity-name', 'g', '--add-config', 'a=1'), /^Invalid entity type queues/);

    // The admin client gets Kafka's errors for what the CLI would not send.
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    await assert.rejects(kafka.admin().alterClientQuotas([{ entity: { user: 'a' }, ops: { producer_byte_rate: -1 } }]), (e: unknown) => e instanceof KafkaError && e.code === 42 && e.message === 'Quota producer_byte_rate must be greater than 0');
    await assert.rejects(kafka.admin().describeClientQuotas([{ entityType: 'user', match: 'specified' }, { entityType: 'ip', match: 'specified' }]), /IP filter component should not be used/);
    await kafka.admin().alterClientQuotas([{ entity: { user: 'dry' }, ops: { producer_byte_rate: 5 } }], { validateOnly: true });
    assert.deepEqual(await kafka.admin().describeClientQuotas([{ entityType: 'user', match: 'exact', name: 'dry' }]), [], 'validateOnly stores nothing');
    await kafka.close();

    await broker.stop();
    broker = await Broker.start({ port: 0, dataDir: dir });
    assert.equal(ok(await samsa(['configs', '--bootstrap-server', broker.bootstrap, '--describe', '--entity-type', 'users', '--entity-name', 'alice'])), "Quota configs for user-principal 'alice' are producer_byte_rate=1024.0\nSCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=4096\n", 'after a restart');
    assert.equal(broker.clientQuotas.quota('produce', 'User:alice', 'x'), 1024, 'and enforced');
  } finally {
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

test('max.connections.per.ip refuses the extra connection at once; an override raises it for one address; a closed connection frees its slot', { timeout: 30_000 }, async () => {
  for (const [config, allowed] of [[{ 'max.connections.per.ip': '2' }, 2], [{ 'max.connections.per.ip': '1', 'max.connections.per.ip.overrides': '127.0.0.1:3' }, 3], [{ 'max.connections': '1' }, 1]] as const) {
    const broker = await Broker.start({ port: 0, config });
    try {
      const sockets: Socket[] = [];
      for (let i = 0; i < allowed; i++) sockets.push(await openSocket(broker.port));
      const extra = await openSocket(broker.port);
      assert.equal(await closedWithin(extra, 2000), true, `connection ${allowed + 1} refused with ${JSON.stringify(config)}`);
      for (const s of sockets) assert.equal(await closedWithin(s, 50), false, 'the first ones stay open');
      sockets[0]!.destroy();
      await new Promise((r) => setTimeout(r, 100));
      const again = await openSocket(broker.port);
      assert.equal(await closedWithin(again, 300), false, 'a freed slot is taken');
      for (const s of [...sockets, again]) s.destroy();
    } finally {
      await broker.stop();
    }
  }
});

async function python(script: string, args: string[], timeoutMs = 60_000): Promise<any> {
  const r = await run(SYSTEM_PYTHON, ['-c', script, ...args], { timeoutMs });
  assert.equal(r.code, 0, `python exited with ${r.code}\n--- stderr:\n${r.stderr}\n--- stdout:\n${r.stdout}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

const HAVE_CONFLUENT = (await run(SYSTEM_PYTHON, ['-c', 'import confluent_kafka'], { timeoutMs: 30_000 }).catch(() => ({ code: 1 }))).code === 0;
const NEEDS_CONFLUENT = `confluent-kafka is required (Debian package python3-confluent-kafka for ${SYSTEM_PYTHON})`;

/**
 * Produces 1000-byte values as fast as librdkafka lets it for `seconds`, five requests in flight;
 * the rate from half a second after the first throttle (past the first burst and what was in
 * flight then), and the throttle times heard.
 */
const PRODUCE = String.raw`
import json, sys, time
from confluent_kafka import Producer
bs, topic, seconds, extra = sys.argv[1], sys.argv[2], float(sys.argv[3]), json.loads(sys.argv[4])
throttles = []
def on_throttle(ev):
    if ev.throttle_time > 0: throttles.append((time.time(), ev.throttle_time))
conf = {'bootstrap.servers': bs, 'throttle_cb': on_throttle, 'linger.ms': 5, 'batch.num.messages': 20, 'queue.buffering.max.messages': 100, 'acks': 1,
        'max.in.flight.requests.per.connection': 5}
conf.update(extra)
p = Producer(conf)
delivered = []
def dr(err, msg):
    if err is None: delivered.append(time.time())
value = b'x' * 1000
start = time.time()
while time.time() - start < seconds:
    try:
        p.produce(topic, value, callback=dr)
    except BufferError:
        p.poll(0.005)
        continue
    p.poll(0)
p.flush(20)
# The rate from half a second after the first throttle to the last delivery: the backlog flushed
# after the loop is delivered at the throttled rate too, so it counts (cutting it off at the end of
# the loop would undercount a loaded machine's late delivery reports).
first = throttles[0][0] + 0.5 if throttles else start
after = [t for t in delivered if t >= first]
end = after[-1] if after else first
print(json.dumps({'rate': len(after) * 1000 / (end - first) if end > first else 0, 'throttles': [t for _, t in throttles], 'delivered': len(delivered)}))
`;

/** Consumes a topic for `seconds` with small fetches; the byte rate after the first throttle, and the throttle times heard. */
const CONSUME = String.raw`
import json, sys, time
from confluent_kafka import Consumer
bs, topic, seconds, extra = sys.argv[1], sys.argv[2], float(sys.argv[3]), json.loads(sys.argv[4])
throttles = []
def on_throttle(ev):
    if ev.throttle_time > 0: throttles.append((time.time(), ev.throttle_time))
conf = {'bootstrap.servers': bs, 'group.id': 'quota-readers', 'auto.offset.reset': 'earliest', 'throttle_cb': on_throttle,
        'fetch.max.bytes': 20000, 'max.partition.fetch.bytes': 20000, 'message.max.bytes': 20000, 'receive.message.max.bytes': 30000, 'enable.auto.commit': False}
conf.update(extra)
c = Consumer(conf)
c.subscribe([topic])
got = []
start = time.time()
while time.time() - start < seconds:
    m = c.poll(0.05)
    if m is not None and m.error() is None: got.append((time.time(), len(m.value())))
end = time.time()
c.close()
first = throttles[0][0] if throttles else start
b = sum(n for t, n in got if first <= t <= end)
print(json.dumps({'rate': b / (end - first) if end > first else 0, 'throttles': [t for _, t in throttles], 'consumed': len(got)}))
`;

/**
 * A quota is a bound: the rate may not go more than 20 % over it. Kafka's arithmetic (its windowed
 * Rate and QuotaUtils.throttleTime, which quota-rate.ts follows) throttles a client that sends in
 * bursts to somewhat under its quota — a throttle is worked out as if no sample expired while it
 * runs — so a run lands under it (CI runs saw the producer at 77 % to 85 % of it); the
 * lower bound only shows the throttling is not overdone.
 */
function assertHeldTo(rate: number, quota: number, what: string): void {
  assert.ok(rate <= quota * 1.2 && rate >= quota * 0.6, `${what} rate ${Math.round(rate)} B/s against a quota of ${quota}`);
}

test('librdkafka under client-id quotas: produce and fetch rates held to producer_byte_rate and consumer_byte_rate (at most 20 % over, not under 60 %), throttle_time_ms reaching its throttle callback', { timeout: 120_000 }, async (t) => {
  assert.ok(HAVE_CONFLUENT, NEEDS_CONFLUENT);
  const broker = await Broker.start({ port: 0, config: { 'quota.window.num': '3', 'num.partitions': '1' } });
  try {
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    const admin = kafka.admin();
    const produceQuota = 100_000;
    const fetchQuota = 200_000;
    await admin.alterClientQuotas([
      { entity: { 'client-id': 'slow-producer' }, ops: { producer_byte_rate: produceQuota } },
      { entity: { 'client-id': 'slow-consumer' }, ops: { consumer_byte_rate: fetchQuota } },
    ]);
    await admin.createTopics([{ topic: 'quota-in', numPartitions: 1 }, { topic: 'quota-out', numPartitions: 1 }]);
    // 3 MB to read, written by a client without a quota in small batches (a fetch returns whole batches).
    const fill = await python(PRODUCE, [broker.bootstrap, 'quota-out', '1.5', JSON.stringify({ 'client.id': 'filler', 'queue.buffering.max.messages': 100000 })]);
    assert.deepEqual(fill.throttles, [], 'no quota for the filler');
    assert.ok(fill.delivered >= 3000, `filled ${fill.delivered} records`);

    const produced = await python(PRODUCE, [broker.bootstrap, 'quota-in', '7', JSON.stringify({ 'client.id': 'slow-producer' })]);
    assert.ok(produced.throttles.length > 0 && produced.throttles.every((t: number) => t > 0), `throttle callbacks: ${produced.throttles}`);
    assertHeldTo(produced.rate, produceQuota, 'produce');

    t.diagnostic(`produce: ${Math.round(produced.rate)} B/s against ${produceQuota}, ${produced.throttles.length} throttles`);
    const consumed = await python(CONSUME, [broker.bootstrap, 'quota-out', '5', JSON.stringify({ 'client.id': 'slow-consumer' })]);
    t.diagnostic(`fetch: ${Math.round(consumed.rate)} B/s against ${fetchQuota}, ${consumed.throttles.length} throttles`);
    assert.ok(consumed.throttles.length > 0, `throttle callbacks: ${consumed.throttles}`);
    assertHeldTo(consumed.rate, fetchQuota, 'fetch');
    await kafka.close();
  } finally {
    await broker.stop();
  }
});

test('a SASL/PLAIN user\'s quota throttles that user, not another one on the same client id', { timeout: 60_000 }, async () => {
  assert.ok(HAVE_CONFLUENT, NEEDS_CONFLUENT);
  const broker = await Broker.start({
    config: {
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'PLAIN', 'quota.window.num': '2',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="a" user_bob="b";',
    },
  });
  try {
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    await kafka.admin().alterClientQuotas([{ entity: { user: 'alice' }, ops: { producer_byte_rate: 50_000 } }]);
    await kafka.close();
    const sasl = `127.0.0.1:${broker.listenerPort('SASL_PLAINTEXT')}`;
    const as = (user: string, password: string) => JSON.stringify({ 'client.id': 'shared', 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'PLAIN', 'sasl.username': user, 'sasl.password': password });
    const alice = await python(PRODUCE, [sasl, 'per-user', '2', as('alice', 'a')]);
    const bob = await python(PRODUCE, [sasl, 'per-user', '2', as('bob', 'b')]);
    assert.ok(alice.throttles.length > 0, 'alice is throttled');
    assert.deepEqual(bob.throttles, [], 'bob has no quota');
    assert.ok(bob.delivered > alice.delivered * 2, `bob ${bob.delivered} records, alice ${alice.delivered}`);
  } finally {
    await broker.stop();
  }
});
