/**
 * Nothing acknowledged is ever lost: a broker process is killed while a producer writes with
 * acks=all, restarted on the same data directory, and every partition is read back from offset 0.
 * Every acknowledged message must sit at the offset it was acknowledged with; offsets must be
 * dense; messages the broker never acknowledged may or may not be there, but nothing else may.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startBrokerProcess, WireClient, type BrokerProcess } from '../helpers/broker-process.js';
import { seededRandom, randomInt } from '../helpers/random.js';
import { decodeRecordBatches } from '../../src/protocol/records/record-batch.js';
import type { FetchResponse } from '../../src/protocol/messages/01-fetch.js';
import type { CreateTopicsResponse } from '../../src/protocol/messages/19-create-topics.js';
import { CLEAN_SHUTDOWN_MARKER, LOG_DIR_CLEAN_SHUTDOWN_MARKER } from '../../src/storage/checkpoint.js';

const TOPIC = 'crash';
const PARTITIONS = 3;
/** Concurrent send loops: two per partition, so every partition has several requests in flight. */
const SENDERS = 6;
const BATCH_MESSAGES_MAX = 8;
/** The broker is signalled once a seeded number of messages in this range has been acknowledged. */
const ACKED_MIN = 3000;
const ACKED_MAX = 8000;
/** Bound on reaching that number. */
const WRITE_MS_MAX = 20_000;
/** After the signal, every send must have settled within this long. */
const SETTLE_MS = 10_000;
/** A broker asked to stop has this long to exit; a clean stop with clients connected must not hang. */
const EXIT_MS = 10_000;
const FETCH_PARTITION_BYTES_MAX = 1 << 20;
/** Fetch v4: plain strings, no sessions; enough to read a log back. */
const FETCH_VERSION = 4;

interface Acked {
  partition: number;
  offset: number;
  value: string;
}

interface WriteOutcome {
  acked: Acked[];
  sent: Set<string>;
  failedSends: number;
}

function kafkaFor(bootstrap: string): Kafka {
  // No retries: a retried send could land after the restart, and this test reasons about what
  // the first broker acknowledged.
  return new Kafka({ clientId: 'crash-test', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
}

async function createTopic(broker: BrokerProcess): Promise<void> {
  const wire = await WireClient.connect(broker.port);
  try {
    const resp = await wire.request<CreateTopicsResponse>(19, 4, {
      topics: [{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    assert.equal(resp.topics[0]!.errorCode, 0, `create topic: ${resp.topics[0]!.errorMessage}`);
  } finally {
    wire.close();
  }
}

/**
 * Runs SENDERS loops of acks=all sends until `stopWriting` resolves or a send fails, recording
 * what was acknowledged. Each send goes to one partition so its base offset places every message.
 */
async function writeUntil(producer: Producer, stopWriting: Promise<void>, rand: () => number, acked: Acked[]): Promise<WriteOutcome> {
  const sent = new Set<string>();
  let failedSends = 0;
  let stopped = false;
  void stopWriting.then(() => (stopped = true));
  let seq = 0;
  const loop = async (sender: number): Promise<void> => {
    const partition = sender % PARTITIONS;
    while (!stopped) {
      const values = Array.from({ length: randomInt(rand, 1, BATCH_MESSAGES_MAX) }, () => `m-${seq++}-p${partition}`);
      for (const v of values) sent.add(v);
      try {
        const res = await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value) => ({ value, partition })) });
        const r = res.find((x) => x.partition === partition);
        assert.ok(r !== undefined, 'a send reports its partition');
        assert.equal(r.errorCode, 0);
        const base = Number(r.baseOffset);
        values.forEach((value, i) => acked.push({ partition, offset: base + i, value }));
      } catch {
        // The broker went away mid-request: these messages are unacknowledged. Stop this loop.
        failedSends++;
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: SENDERS }, (_, i) => loop(i)));
  return { acked, sent, failedSends };
}

/** Every record of one partition from offset 0 to the high watermark, checking batch CRCs. */
async function readPartition(wire: WireClient, partition: number): Promise<{ highWatermark: number; records: Array<{ offset: number; value: string }> }> {
  const records: Array<{ offset: number; value: string }> = [];
  let fetchOffset = 0;
  for (;;) {
    const resp = await wire.request<FetchResponse>(1, FETCH_VERSION, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: FETCH_PARTITION_BYTES_MAX, isolationLevel: 0,
      topics: [{ topic: TOPIC, partitions: [{ partition, fetchOffset, partitionMaxBytes: FETCH_PARTITION_BYTES_MAX }] }],
    });
    const p = resp.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, 0, `fetch partition ${partition} at ${fetchOffset}`);
    const batches = await decodeRecordBatches(p.records ?? Buffer.alloc(0));
    for (const b of batches) {
      for (const r of b.records) {
        const offset = b.baseOffset + r.offsetDelta;
        if (offset >= fetchOffset) records.push({ offset, value: r.value?.toString() ?? '<null>' });
      }
    }
    const next = records.length > 0 ? records[records.length - 1]!.offset + 1 : fetchOffset;
    if (next >= p.highWatermark) return { highWatermark: p.highWatermark, records };
    assert.ok(next > fetchOffset, `partition ${partition}: fetch at ${fetchOffset} made no progress below the high watermark ${p.highWatermark}`);
    fetchOffset = next;
  }
}

/** The invariant: each partition is dense from 0 and holds every acknowledged message where it was acknowledged. */
async function assertNothingAckedLost(broker: BrokerProcess, outcome: WriteOutcome): Promise<{ present: number }> {
  const wire = await WireClient.connect(broker.port);
  let present = 0;
  try {
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const { highWatermark, records } = await readPartition(wire, partition);
      present += records.length;
      records.forEach((r, i) => assert.equal(r.offset, i, `partition ${partition}: offsets are dense from 0 (found ${r.offset} at position ${i})`));
      assert.equal(records.length, highWatermark, `partition ${partition}: the high watermark matches what can be read`);
      const byOffset = new Map(records.map((r) => [r.offset, r.value]));
      const seen = new Set<string>();
      for (const r of records) {
        assert.ok(outcome.sent.has(r.value), `partition ${partition} offset ${r.offset}: '${r.value}' was never sent`);
        assert.ok(r.value.endsWith(`-p${partition}`), `partition ${partition} offset ${r.offset}: '${r.value}' belongs to another partition`);
        assert.ok(!seen.has(r.value), `partition ${partition}: '${r.value}' appears twice`);
        seen.add(r.value);
      }
      const mine = outcome.acked.filter((a) => a.partition === partition).sort((a, b) => a.offset - b.offset);
      for (const a of mine) {
        assert.equal(byOffset.get(a.offset), a.value, `partition ${partition}: acknowledged '${a.value}' at offset ${a.offset} is missing (high watermark ${highWatermark})`);
      }
    }
  } finally {
    wire.close();
  }
  return { present };
}

/** The restarted broker still takes writes after the recovered tail. */
async function assertWritable(broker: BrokerProcess): Promise<void> {
  const producer = kafkaFor(broker.bootstrap).producer();
  await producer.connect();
  try {
    const wire = await WireClient.connect(broker.port);
    try {
      for (let partition = 0; partition < PARTITIONS; partition++) {
        const { highWatermark } = await readPartition(wire, partition);
        const res = await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: `after-restart-p${partition}`, partition }] });
        assert.equal(Number(res[0]!.baseOffset), highWatermark, `partition ${partition}: the first write after the restart follows the recovered log`);
      }
    } finally {
      wire.close();
    }
  } finally {
    await producer.disconnect();
  }
}

/** `p`, or a rejection with `message` once `ms` have passed. */
async function within<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

async function partitionDirs(dataDir: string): Promise<string[]> {
  const names = await readdir(dataDir);
  return names.filter((n) => n.startsWith(`${TOPIC}-`)).map((n) => join(dataDir, n));
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

interface CrashRun {
  signal: 'SIGKILL' | 'SIGTERM';
  overrides?: Record<string, string>;
  seed: number;
}

async function crashAndRecover(run: CrashRun, t: { diagnostic(msg: string): void }): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'samsa-crash-'));
  const env = { SAMSA_LOG_LEVEL: 'info' };
  let first: BrokerProcess | null = null;
  let second: BrokerProcess | null = null;
  let producer: Producer | null = null;
  try {
    first = await startBrokerProcess({ dataDir, overrides: run.overrides, env });
    await createTopic(first);
    const rand = seededRandom(run.seed);
    producer = kafkaFor(first.bootstrap).producer({ allowAutoTopicCreation: false });
    await producer.connect();

    const ackedTarget = randomInt(rand, ACKED_MIN, ACKED_MAX);
    let signalled!: () => void;
    const stopWriting = new Promise<void>((r) => (signalled = r));
    const acked: Acked[] = [];
    const writing = writeUntil(producer, stopWriting, rand, acked);
    const deadline = Date.now() + WRITE_MS_MAX;
    while (acked.length < ackedTarget) {
      if (Date.now() > deadline) assert.fail(`only ${acked.length} of ${ackedTarget} messages acknowledged within ${WRITE_MS_MAX} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const broker = first;
    const exit = await within(broker.kill(run.signal), EXIT_MS, `the broker did not exit within ${EXIT_MS} ms of ${run.signal}`);
    signalled();
    const outcome = await within(writing, SETTLE_MS, `sends did not settle within ${SETTLE_MS} ms of ${run.signal}`);
    t.diagnostic(`${run.signal} after ${ackedTarget} acknowledged: ${outcome.acked.length} acknowledged, ${outcome.sent.size} sent, ${outcome.failedSends} sends failed`);
    assert.ok(outcome.acked.length > 0, 'the producer had messages acknowledged before the signal');

    // The log dir's clean-shutdown marker decides whether the restart scans and truncates the
    // last segment of each partition; partitions keep no marker of their own.
    const dirs = await partitionDirs(dataDir);
    assert.equal(dirs.length, PARTITIONS);
    for (const d of dirs) assert.equal(await exists(join(d, CLEAN_SHUTDOWN_MARKER)), false, `${d} has a marker of its own`);
    if (run.signal === 'SIGKILL') {
      assert.equal(exit.signal, 'SIGKILL');
      assert.equal(await exists(join(dataDir, LOG_DIR_CLEAN_SHUTDOWN_MARKER)), false, 'no clean-shutdown marker after SIGKILL');
    } else {
      assert.deepEqual(exit, { code: 0, signal: null }, `a clean stop exits 0; stderr:\n${broker.stderr()}`);
      assert.ok(await exists(join(dataDir, LOG_DIR_CLEAN_SHUTDOWN_MARKER)), 'the log dir has the clean-shutdown marker');
    }

    const restartStarted = Date.now();
    second = await startBrokerProcess({ dataDir, overrides: run.overrides, env });
    t.diagnostic(`restarted in ${Date.now() - restartStarted} ms`);
    const { present } = await assertNothingAckedLost(second, outcome);
    t.diagnostic(`${present} messages in the log after the restart (${present - outcome.acked.length} unacknowledged ones kept)`);
    const truncations = second.stderr().split('\n').filter((line) => line.includes('recovery truncated'));
    if (truncations.length > 0) t.diagnostic(`recovery: ${truncations.join('; ')}`);
    if (run.signal === 'SIGTERM') assert.deepEqual(truncations, [], 'a clean stop leaves nothing to truncate');
    // Only a crash makes the restart recover the log dir.
    const loaded = second.stderr().split('\n').find((line) => line.includes('"logs loaded"'));
    assert.ok(loaded !== undefined, 'the restart logs how it loaded the logs');
    assert.deepEqual((JSON.parse(loaded) as { recoveredLogDirs: string[] }).recoveredLogDirs, run.signal === 'SIGKILL' ? [dataDir] : []);
    await assertWritable(second);
  } finally {
    await first?.kill('SIGKILL');
    await producer?.disconnect().catch(() => {});
    await second?.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
}

test('SIGKILL mid-write with the default flush policy (page cache) loses nothing acknowledged', { timeout: 45_000 }, async (t) => {
  await crashAndRecover({ signal: 'SIGKILL', seed: 1 }, t);
});

// A SIGKILL leaves the page cache to the kernel, so this shows the sync path survives a process
// kill, not power loss; flush-policy.test.ts counts the fdatasyncs before each acknowledgement.
test('SIGKILL mid-write with log.flush.interval.messages=1 (syncing before each acknowledgement) loses nothing acknowledged', { timeout: 45_000 }, async (t) => {
  await crashAndRecover({ signal: 'SIGKILL', seed: 2, overrides: { 'log.flush.interval.messages': '1' } }, t);
});

test('SIGTERM mid-write stops cleanly: exit 0, clean-shutdown markers, no recovery, nothing acknowledged lost', { timeout: 45_000 }, async (t) => {
  await crashAndRecover({ signal: 'SIGTERM', seed: 3 }, t);
});
