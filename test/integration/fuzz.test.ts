/**
 * Random and mutated frames never crash the broker or touch what it acknowledged. Invariants:
 * after a few hundred hostile connections the broker still answers a fresh Metadata and a
 * produce-then-fetch round trip, every log reads back dense from offset 0 with valid batches, and
 * every record acknowledged before the fuzzing sits at its acknowledged offset. Replay a failure
 * with FUZZ_SEED=<seed> (the seed is printed as a diagnostic); FUZZ_ITERATIONS=<n> runs longer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { Broker } from '../../src/broker/broker.js';
import { createLogger } from '../../src/util/logger.js';
import { Writer } from '../../src/protocol/writer.js';
import { encodeRequestHeader } from '../../src/protocol/headers.js';
import { codecFor, isFlexible } from '../../src/protocol/schema.js';
import { API_SCHEMAS } from '../../src/protocol/apis.js';
import { encodeRecordBatch, decodeRecordBatches } from '../../src/protocol/records/record-batch.js';
import type { FetchResponse } from '../../src/protocol/messages/01-fetch.js';
import type { ProduceResponse } from '../../src/protocol/messages/00-produce.js';
import type { MetadataResponse } from '../../src/protocol/messages/03-metadata.js';
import type { ListOffsetsResponse } from '../../src/protocol/messages/02-list-offsets.js';
import type { CreateTopicsResponse } from '../../src/protocol/messages/19-create-topics.js';
import { WireClient, frame } from '../helpers/broker-process.js';
import { seededRandom, randomInt, randomBytes } from '../helpers/random.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5a45a);
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 600);
/** Hostile connections open at once; the broker must cope with many bad peers together. */
const CONCURRENCY = 16;
/** A hostile connection is dropped after this long even if the broker still waits for more bytes. */
const CONNECTION_WAIT_MS = 200;
const FRAMES_PER_CONNECTION_MAX = 3;
const TOPIC = 'fuzz';
const PARTITIONS = 2;
const ACKED_BATCHES = 20;
/** Reading back a log: bounded, so that a broker bug cannot spin the test forever. */
const FETCH_ROUNDS_MAX = 1000;
const FETCH_BYTES_MAX = 1 << 20;
/** Topics the fuzzing may have created are all read back, up to this many partitions each. */
const READ_BACK_PARTITIONS_MAX = 16;
/**
 * DeleteTopics is left out of the random api keys: a mutated body that happens to decode could
 * name the topic under test, and deleting it would be correct behaviour, not a bug.
 */
const EXCLUDED_API_KEYS = new Set([20]);

/** Api key, version, correlation id and the client id 'fuzz' (int16 length + 4 bytes). */
const FUZZ_HEADER_BYTES = 2 + 2 + 4 + 2 + 'fuzz'.length;

type Rand = () => number;

function pick<T>(rand: Rand, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)]!;
}

/** A request frame's body (header and message) without its size prefix. */
function requestBody(apiKey: number, version: number, body: object, correlationId: number): Buffer {
  const schemas = API_SCHEMAS.get(apiKey)!;
  const w = new Writer();
  encodeRequestHeader(w, { apiKey, apiVersion: version, correlationId, clientId: 'fuzz' }, isFlexible(schemas.request, version));
  codecFor<object>(schemas.request, version).encode(w, body);
  return w.toBuffer();
}

function produceBody(partition: number, records: Buffer, acks = -1): object {
  return { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: partition, records }] }] };
}

function fetchBody(partition: number, fetchOffset: number, topic = TOPIC): object {
  return {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: FETCH_BYTES_MAX, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, fetchOffset, partitionMaxBytes: FETCH_BYTES_MAX }] }], forgottenTopicsData: [],
  };
}

/** The valid requests that mutations start from: [apiKey, version, body]. */
async function templates(rand: Rand): Promise<Array<[number, number, object]>> {
  const batch = await encodeRecordBatch([{ key: 'k', value: 'template' }, { value: 'second', headers: { h: 'v' } }]);
  const out: Array<[number, number, object]> = [];
  for (const v of [0, 1, 2, 3, 4]) out.push([18, v, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' }]);
  for (const v of [1, 4, 9]) out.push([3, v, { topics: [{ name: TOPIC }], allowAutoTopicCreation: false }]);
  for (const v of [3, 7, 9, 11]) out.push([0, v, produceBody(randomInt(rand, 0, PARTITIONS - 1), batch)]);
  for (const v of [4, 11, 12]) out.push([1, v, fetchBody(randomInt(rand, 0, PARTITIONS - 1), 0)]);
  for (const v of [2, 5, 7]) {
    out.push([19, v, { topics: [{ name: `fz-${v}`, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '60000' }] }], timeoutMs: 1000, validateOnly: false }]);
  }
  for (const v of [1, 5, 7]) out.push([2, v, { replicaId: -1, isolationLevel: 0, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp: -1 }] }] }]);
  return out;
}

function flipBytes(rand: Rand, b: Buffer): Buffer {
  const out = Buffer.from(b);
  for (let i = randomInt(rand, 1, 4); i > 0 && out.length > 0; i--) out[randomInt(rand, 0, out.length - 1)]! ^= randomInt(rand, 1, 255);
  return out;
}

function insertBytes(rand: Rand, b: Buffer): Buffer {
  const at = randomInt(rand, 0, b.length);
  return Buffer.concat([b.subarray(0, at), randomBytes(rand, randomInt(rand, 1, 8)), b.subarray(at)]);
}

/** One hostile frame, size prefix included. */
function hostileFrame(rand: Rand, valid: Array<[number, number, object]>, correlationId: number): { bytes: Buffer; kind: string } {
  const roll = rand();
  if (roll < 0.15) {
    // (a) Random bytes: sometimes with a plausible size prefix, sometimes raw.
    const junk = randomBytes(rand, randomInt(rand, 0, 300));
    return rand() < 0.5 ? { bytes: frame(junk), kind: 'random body' } : { bytes: junk, kind: 'random bytes' };
  }
  if (roll < 0.75) {
    // (b) A valid request, then damaged.
    const [apiKey, version, body] = pick(rand, valid);
    const clean = requestBody(apiKey, version, body, correlationId);
    const how = pick(rand, ['flip', 'flip', 'truncate', 'truncate-lying-size', 'insert', 'flip+insert', 'size']);
    const name = `${API_SCHEMAS.get(apiKey)!.name} v${version} ${how}`;
    switch (how) {
      case 'flip':
        return { bytes: frame(flipBytes(rand, clean)), kind: name };
      case 'truncate':
        return { bytes: frame(clean.subarray(0, randomInt(rand, 0, clean.length - 1))), kind: name };
      case 'truncate-lying-size': {
        // The size promises the whole request; fewer bytes come and the connection then ends.
        const f = frame(clean);
        return { bytes: f.subarray(0, randomInt(rand, 0, f.length - 1)), kind: name };
      }
      case 'insert':
        return { bytes: frame(insertBytes(rand, clean)), kind: name };
      case 'flip+insert':
        return { bytes: frame(insertBytes(rand, flipBytes(rand, clean))), kind: name };
      default: {
        const f = frame(clean);
        f.writeInt32BE(f.readInt32BE(0) + randomInt(rand, -8, 8), 0);
        return { bytes: f, kind: name };
      }
    }
  }
  // (c) A well-formed header with a random api key and version, over a random or borrowed body.
  let apiKey = randomInt(rand, -3, 80);
  while (EXCLUDED_API_KEYS.has(apiKey)) apiKey = randomInt(rand, -3, 80);
  const version = randomInt(rand, -2, 20);
  const w = new Writer();
  const flexible = rand() < 0.5;
  encodeRequestHeader(w, { apiKey, apiVersion: version, correlationId, clientId: rand() < 0.2 ? null : 'fuzz' }, flexible);
  let body: Buffer;
  if (rand() < 0.5) {
    body = randomBytes(rand, randomInt(rand, 0, 200));
  } else {
    const [k, v, b] = pick(rand, valid);
    body = requestBody(k, v, b, correlationId).subarray(FUZZ_HEADER_BYTES);
  }
  return { bytes: frame(Buffer.concat([w.toBuffer(), body])), kind: `api ${apiKey} v${version}${flexible ? ' flexible' : ''}` };
}

type Outcome = 'all answered' | 'closed by the broker' | 'left waiting';

/** Writes the frames, then waits for the broker to close the connection, answer them all, or go quiet. */
function hostileConnection(port: number, frames: Buffer[]): Promise<Outcome> {
  return new Promise((resolve) => {
    const s: Socket = connect({ host: '127.0.0.1', port });
    let responses = 0;
    let buffered = Buffer.alloc(0);
    const finish = (outcome: Outcome) => {
      clearTimeout(timer);
      s.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish('left waiting'), CONNECTION_WAIT_MS);
    s.on('error', () => {});
    s.on('close', () => finish('closed by the broker'));
    s.on('data', (d: Buffer) => {
      buffered = Buffer.concat([buffered, d]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        buffered = buffered.subarray(4 + buffered.readInt32BE(0));
        if (++responses === frames.length) finish('all answered');
      }
    });
    s.on('connect', () => {
      for (const f of frames) s.write(f);
    });
  });
}

/** Reads a partition from 0 to its high watermark; offsets must be dense and batches valid. */
async function readBack(wire: WireClient, topic: string, partition: number): Promise<{ highWatermark: number; values: Map<number, string | null> }> {
  const values = new Map<number, string | null>();
  let fetchOffset = 0;
  for (let round = 0; round < FETCH_ROUNDS_MAX; round++) {
    const resp = await wire.request<FetchResponse>(1, 4, fetchBody(partition, fetchOffset, topic));
    const p = resp.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, 0, `${topic}-${partition}: fetch at ${fetchOffset}`);
    for (const b of await decodeRecordBatches(p.records ?? Buffer.alloc(0))) {
      for (const r of b.records) {
        const offset = b.baseOffset + r.offsetDelta;
        if (offset < fetchOffset) continue;
        assert.equal(offset, fetchOffset, `${topic}-${partition}: offsets are dense (expected ${fetchOffset}, got ${offset})`);
        values.set(offset, r.value?.toString() ?? null);
        fetchOffset++;
      }
    }
    if (fetchOffset >= p.highWatermark) {
      assert.equal(fetchOffset, p.highWatermark, `${topic}-${partition}: nothing past the high watermark`);
      return { highWatermark: p.highWatermark, values };
    }
  }
  assert.fail(`${topic}-${partition}: could not read to the high watermark in ${FETCH_ROUNDS_MAX} fetches (stuck at ${fetchOffset})`);
}

async function createTopic(wire: WireClient, name: string, numPartitions: number): Promise<void> {
  const resp = await wire.request<CreateTopicsResponse>(19, 5, { topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  assert.equal(resp.topics[0]!.errorCode, 0, `create ${name}: ${resp.topics[0]!.errorMessage}`);
}

async function produce(wire: WireClient, partition: number, records: Buffer): Promise<{ errorCode: number; baseOffset: number }> {
  const resp = await wire.request<ProduceResponse>(0, 9, produceBody(partition, records));
  const p = resp.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, baseOffset: p.baseOffset };
}

async function highWatermark(wire: WireClient, partition: number): Promise<number> {
  const resp = await wire.request<ListOffsetsResponse>(2, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: TOPIC, partitions: [{ partitionIndex: partition, timestamp: -1 }] }] });
  const p = resp.topics[0]!.partitions[0]!;
  assert.equal(p.errorCode, 0);
  return p.offset;
}

/** A broker whose log lines are kept, so a failure can show what the broker said. */
async function startBroker(): Promise<{ broker: Broker; logLines: string[] }> {
  const logLines: string[] = [];
  const logger = createLogger('warn', {}, (line) => logLines.push(line));
  const broker = await Broker.start({ port: 0, logger });
  return { broker, logLines };
}

test('random and mutated frames never crash the broker nor touch acknowledged data', { timeout: 40_000 }, async (t) => {
  t.diagnostic(`FUZZ_SEED=${SEED}`);
  const rand = seededRandom(SEED);
  const { broker, logLines } = await startBroker();
  const wire = await WireClient.connect(broker.port);
  try {
    await createTopic(wire, TOPIC, PARTITIONS);
    const acked: Array<{ partition: number; offset: number; value: string }> = [];
    for (let i = 0; i < ACKED_BATCHES; i++) {
      const partition = i % PARTITIONS;
      const values = Array.from({ length: randomInt(rand, 1, 5) }, (_, j) => `acked-${i}-${j}`);
      const r = await produce(wire, partition, await encodeRecordBatch(values.map((value) => ({ value }))));
      assert.equal(r.errorCode, 0);
      values.forEach((value, j) => acked.push({ partition, offset: r.baseOffset + j, value }));
    }

    const valid = await templates(rand);
    const kinds = new Map<string, number>();
    let correlationId = 1;
    const plans = Array.from({ length: ITERATIONS }, () =>
      Array.from({ length: randomInt(rand, 1, FRAMES_PER_CONNECTION_MAX) }, () => {
        const f = hostileFrame(rand, valid, correlationId++);
        const kind = f.kind.replace(/ v-?\d+/, '').replace(/^api -?\d+.*/, 'random api key/version');
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        return f.bytes;
      }),
    );
    const started = Date.now();
    const outcomes = new Map<Outcome, number>();
    for (let i = 0; i < plans.length; i += CONCURRENCY) {
      const batch = await Promise.all(plans.slice(i, i + CONCURRENCY).map((frames) => hostileConnection(broker.port, frames)));
      for (const o of batch) outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
    }
    const list = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${n}`).join(', ');
    t.diagnostic(`${ITERATIONS} hostile connections in ${Date.now() - started} ms; ${list(outcomes)}`);
    t.diagnostic(`frames: ${list(kinds)}`);

    // The broker still serves a fresh connection correctly.
    const fresh = await WireClient.connect(broker.port);
    try {
      const meta = await fresh.request<MetadataResponse>(3, 9, { topics: null, allowAutoTopicCreation: false });
      assert.equal(meta.brokers.length, 1);
      assert.equal(meta.brokers[0]!.port, broker.port);
      const fuzzTopic = meta.topics.find((x) => x.name === TOPIC);
      assert.ok(fuzzTopic !== undefined && fuzzTopic.errorCode === 0 && fuzzTopic.partitions.length === PARTITIONS, 'the topic under test is intact');

      // Every log reads back dense with valid batches; the acknowledged records are where they were.
      for (const topic of meta.topics) {
        assert.ok(topic.name !== null, 'Metadata names every topic');
        for (const p of topic.partitions.slice(0, READ_BACK_PARTITIONS_MAX)) await readBack(fresh, topic.name, p.partitionIndex);
      }
      for (let partition = 0; partition < PARTITIONS; partition++) {
        const { values } = await readBack(fresh, TOPIC, partition);
        for (const a of acked.filter((x) => x.partition === partition)) {
          assert.equal(values.get(a.offset), a.value, `${TOPIC}-${partition}: acknowledged '${a.value}' at offset ${a.offset}`);
        }
      }

      // A produce-then-fetch round trip.
      const hw = await highWatermark(fresh, 1);
      const r = await produce(fresh, 1, await encodeRecordBatch([{ key: 'after', value: 'the storm' }]));
      assert.deepEqual(r, { errorCode: 0, baseOffset: hw });
      const { values } = await readBack(fresh, TOPIC, 1);
      assert.equal(values.get(hw), 'the storm');
    } finally {
      fresh.close();
    }
    const errors = logLines.filter((l) => JSON.parse(l).level === 'error');
    t.diagnostic(`${logLines.length} broker log lines at warn or above, ${errors.length} at error${errors.length > 0 ? `:\n${errors.slice(0, 10).join('\n')}` : ''}`);
  } finally {
    wire.close();
    await broker.stop();
  }
});

test('a produce with a corrupt batch gets CORRUPT_MESSAGE and appends nothing', { timeout: 20_000 }, async () => {
  const { broker } = await startBroker();
  const wire = await WireClient.connect(broker.port);
  try {
    await createTopic(wire, TOPIC, 1);
    const good = await encodeRecordBatch([{ value: 'one' }, { value: 'two' }]);
    assert.deepEqual(await produce(wire, 0, good), { errorCode: 0, baseOffset: 0 });
    const before = await highWatermark(wire, 0);

    const badCrc = Buffer.from(good);
    badCrc[badCrc.length - 1]! ^= 0x01; // a value byte: covered by the CRC, not by any length
    const truncated = good.subarray(0, good.length - 3);
    const cases: Array<[string, Buffer]> = [
      ['bad CRC', badCrc],
      ['batch cut short', truncated],
      ['good batch followed by a bad CRC', Buffer.concat([good, badCrc])],
    ];
    for (const [name, records] of cases) {
      const r = await produce(wire, 0, records);
      assert.equal(r.errorCode, 2, `${name}: CORRUPT_MESSAGE`);
      assert.equal(await highWatermark(wire, 0), before, `${name}: high watermark unchanged`);
    }
    // The log still holds exactly the good batch and takes the next one at the next offset.
    assert.deepEqual(await produce(wire, 0, good), { errorCode: 0, baseOffset: before });
    const { values } = await readBack(wire, TOPIC, 0);
    assert.deepEqual([...values], [[0, 'one'], [1, 'two'], [2, 'one'], [3, 'two']]);
  } finally {
    wire.close();
    await broker.stop();
  }
});

// Found by the fuzzing above (FUZZ_SEED=1 FUZZ_ITERATIONS=1500): a partition index below 0 or an
// empty topic name reaches the assertion in LogManager's dirName through ReplicaManager.log(), so
// the broker logs an error and closes the connection where Kafka answers UNKNOWN_TOPIC_OR_PARTITION.
test('a partition that cannot exist gets UNKNOWN_TOPIC_OR_PARTITION on Produce, Fetch and ListOffsets', { timeout: 20_000 }, async () => {
  const { broker } = await startBroker();
  const wire = await WireClient.connect(broker.port);
  try {
    await createTopic(wire, TOPIC, 1);
    const records = await encodeRecordBatch([{ value: 'x' }]);
    for (const [topic, partition] of [[TOPIC, -1], ['', 0]] as const) {
      const produced = await wire.request<ProduceResponse>(0, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
      assert.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, 3, `Produce to '${topic}' partition ${partition}`);
      const fetched = await wire.request<FetchResponse>(1, 4, fetchBody(partition, 0, topic));
      assert.equal(fetched.responses[0]!.partitions[0]!.errorCode, 3, `Fetch from '${topic}' partition ${partition}`);
      const listed = await wire.request<ListOffsetsResponse>(2, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp: -1 }] }] });
      assert.equal(listed.topics[0]!.partitions[0]!.errorCode, 3, `ListOffsets on '${topic}' partition ${partition}`);
    }
  } finally {
    wire.close();
    await broker.stop();
  }
});
