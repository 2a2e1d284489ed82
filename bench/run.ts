/**
 * `npm run bench [-- --quick] [-- --json]`: measures a broker running as its own process on a
 * temporary data directory and prints figures. It never asserts: a benchmark is not a test.
 *
 *  - start-up: from spawning `samsa server start` to the first acknowledged produce, and
 *    `Broker.start()` embedded in this process;
 *  - memory: the broker's resident set when idle, and its peak over the whole run;
 *  - kcat (librdkafka) produce and consume against Samsa and against librdkafka's mock cluster
 *    (bench/mock/mock-cluster.c, built here with cc), alternating A B A B, with their ratios;
 *  - produce→consume latency at 1,000 msg/s (bench/latency.py, confluent_kafka), Samsa and mock;
 *  - produce with log.flush.interval.messages=1 against fio's fdatasync'd sequential writes;
 *  - 10,000 partitions: Metadata latency, RSS, restart;
 *  - throughput with Samsa's own client and with KafkaJS as a reference;
 *  - a cluster (etcd + 3 broker processes): acks=all throughput with replication factor 3 against 1,
 *    and failover times (bench/cluster.ts);
 *  - TLS: kcat produce and consume over a PLAINTEXT and an SSL listener of one broker, as a ratio (bench/tls.ts).
 * The first table printed has each figure against the target of issue 6.
 *
 * MB means 10^6 bytes of message payload (keys, headers and batch framing not counted).
 * Progress goes to stderr; the table (and with --json, one JSON line after it) to stdout.
 * Flags: --quick (smaller counts), --json, --only=startup,embedded,compare,latency,fsync,many,samsa,kafkajs,cluster,tls(,kcat), --cpu-prof, --metrics.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { mkdtemp, rm, open, stat, readFile } from 'node:fs/promises';
import { readFileSync, statfsSync, existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startBrokerProcess, WireClient, CLI_PATH, type BrokerProcess } from '../test/helpers/broker-process.js';
import { encodeRecordBatch } from '../src/protocol/records/record-batch.js';
import type { CreateTopicsResponse } from '../src/protocol/messages/19-create-topics.js';
import type { DeleteTopicsResponse } from '../src/protocol/messages/20-delete-topics.js';
import type { ListOffsetsResponse } from '../src/protocol/messages/02-list-offsets.js';
import type { ProduceResponse } from '../src/protocol/messages/00-produce.js';
import { MB, fmtRate, median, round, throughput } from './stats.js';
import { benchCluster } from './cluster.js';
import { benchTransactions } from './transactions.js';
import { benchTls } from './tls.js';

const require = createRequire(import.meta.url);

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const JSON_OUT = args.has('--json');
/** `--cpu-prof` has the throughput broker write a V8 CPU profile (open it in Chrome DevTools). */
const CPU_PROF = args.has('--cpu-prof');
/** `--metrics` runs the throughput broker with its Prometheus endpoint on (metrics.listener), to see what counting costs. */
const METRICS = args.has('--metrics');
/** `--only=startup,embedded,compare,latency,fsync,many,kcat,samsa,kafkajs,cluster,tls` runs a subset (kcat, the older kcat-only rows, only when named). */
const ONLY = new Set([...args].find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',') ?? ['startup', 'embedded', 'compare', 'latency', 'fsync', 'many', 'samsa', 'kafkajs', 'cluster', 'tls', 'txn']);

/** Message counts per run: full figures, or --quick ones that finish in well under a minute. */
const KCAT_RUNS: ReadonlyArray<{ messages: number; bytes: number }> = QUICK
  ? [{ messages: 200_000, bytes: 100 }, { messages: 40_000, bytes: 1000 }]
  : [{ messages: 1_000_000, bytes: 100 }, { messages: 200_000, bytes: 1000 }];
/** Each kcat figure is the median of this many runs: single runs under a second vary a lot. */
const KCAT_REPEATS = QUICK ? 1 : 3;
/** A million: at 200,000 a Samsa consume took ~0.1 s, mostly connecting and JIT warm-up. */
const CLIENT_MESSAGES = QUICK ? 200_000 : 1_000_000;
const CLIENT_MESSAGE_BYTES = 100;
/** Each Node client consume figure is the median of this many reads of the whole topic. */
const CLIENT_CONSUME_RUNS = QUICK ? 3 : 5;
/** Messages per send() call for the Node clients, and how many sends are kept in flight. */
const CLIENT_BATCH_MESSAGES = 1000;
const CLIENT_SENDS_IN_FLIGHT = 8;
const STARTUP_RUNS = QUICK ? 3 : 5;
/** The broker is left alone this long before its idle resident set is read. */
const IDLE_SETTLE_MS = 2000;
/** How often the start-up probe retries connecting to a broker that is not listening yet. */
const CONNECT_RETRY_MS = 2;
/** One kcat run longer than this is stuck, not slow. */
const KCAT_TIMEOUT_MS = 300_000;
const PARTITION_COUNTS = [1, 8];
/** KafkaJS's default (1 s) has been seen to expire on this 2-core machine right after heavy runs. */
const KAFKAJS_CONNECTION_TIMEOUT_MS = 10_000;
const ACKS = ['1', 'all'] as const;
/** The parts that run against the one broker process main starts (the others start their own). */
const SINGLE_BROKER_PARTS = ['compare', 'latency', 'kcat', 'samsa', 'kafkajs'];

export interface Figure {
  section: 'startup' | 'memory' | 'produce' | 'consume' | 'cluster';
  client: string;
  what: string;
  messages?: number;
  messageBytes?: number;
  partitions?: number;
  acks?: string;
  seconds?: number;
  msgPerSec?: number;
  mbPerSec?: number;
  /** CPU seconds the broker process used during the run (user + system). */
  brokerCpuSeconds?: number;
  /** CPU seconds the client process (kcat) used for the run, when GNU time is installed. */
  clientCpuSeconds?: number;
  value?: number;
  unit?: string;
  note?: string;
}

const figures: Figure[] = [];
/** Sentences printed after the tables (the TLS ratios). */
const summaries: string[] = [];

function progress(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

function record(f: Figure): void {
  figures.push(f);
  const rate = f.msgPerSec !== undefined ? ` ${Math.round(f.msgPerSec)} msg/s, ${f.mbPerSec!.toFixed(1)} MB/s` : '';
  const value = f.value !== undefined ? ` ${f.value} ${f.unit}` : '';
  progress(`${f.section} ${f.client} ${f.what}:${rate}${value}${f.note ? ` (${f.note})` : ''}`);
}


// ---- the broker process ------------------------------------------------------------------------

/** user + system CPU seconds of a process, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    const ticksPerSecond = 100; // USER_HZ, 100 on every Linux this runs on
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return NaN;
  }
}

/** A field of /proc/<pid>/status in MB (VmRSS, VmHWM). */
function procStatusMb(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? NaN : round(Number(m[1]) / 1024, 1);
  } catch {
    return NaN;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function createTopic(port: number, name: string, numPartitions: number): Promise<void> {
  const wire = await WireClient.connect(port);
  try {
    const resp = await wire.request<CreateTopicsResponse>(19, 5, {
      topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false,
    });
    const t = resp.topics[0]!;
    if (t.errorCode !== 0) throw new Error(`creating ${name}: error ${t.errorCode} ${t.errorMessage}`);
  } finally {
    wire.close();
  }
}

async function deleteTopic(port: number, name: string): Promise<void> {
  const wire = await WireClient.connect(port);
  try {
    const resp = await wire.request<DeleteTopicsResponse>(20, 5, { topics: [], topicNames: [name], timeoutMs: 30_000 });
    const t = resp.responses[0]!;
    if (t.errorCode !== 0) throw new Error(`deleting ${name}: error ${t.errorCode} ${t.errorMessage}`);
  } finally {
    wire.close();
  }
}

/** Sum of the high watermarks of a topic's partitions. */
async function messagesIn(port: number, topic: string, partitions: number): Promise<number> {
  const wire = await WireClient.connect(port);
  try {
    const resp = await wire.request<ListOffsetsResponse>(2, 5, {
      replicaId: -1, isolationLevel: 0,
      topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, i) => ({ partitionIndex: i, timestamp: -1 })) }],
    });
    return resp.topics[0]!.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
  } finally {
    wire.close();
  }
}

// ---- start-up and memory -----------------------------------------------------------------------

/** Connects as soon as the port accepts, then creates a topic and produces one acks=1 batch. */
async function firstAckedProduce(port: number, deadlineMs: number): Promise<void> {
  let wire: WireClient | null = null;
  while (wire === null) {
    try {
      wire = await WireClient.connect(port);
    } catch {
      if (Date.now() > deadlineMs) throw new Error('the broker never accepted a connection');
      await new Promise((r) => setTimeout(r, CONNECT_RETRY_MS));
    }
  }
  try {
    const created = await wire.request<CreateTopicsResponse>(19, 5, {
      topics: [{ name: 'first', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false,
    });
    if (created.topics[0]!.errorCode !== 0) throw new Error(`create: ${created.topics[0]!.errorMessage}`);
    const records = await encodeRecordBatch([{ value: 'hello' }]);
    const resp = await wire.request<ProduceResponse>(0, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'first', partitionData: [{ index: 0, records }] }] });
    const p = resp.responses[0]!.partitionResponses[0]!;
    if (p.errorCode !== 0) throw new Error(`produce: error ${p.errorCode}`);
  } finally {
    wire.close();
  }
}

async function benchStartup(): Promise<void> {
  const times: number[] = [];
  const idleRss: number[] = [];
  for (let i = 0; i < STARTUP_RUNS; i++) {
    const dataDir = await mkdtemp(join(tmpdir(), 'samsa-bench-start-'));
    const port = await freePort();
    const started = performance.now();
    const child = spawn(process.execPath, [CLI_PATH, 'server', 'start', '--override', `log.dirs=${dataDir}`, '--override', `listeners=PLAINTEXT://127.0.0.1:${port}`], { stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await firstAckedProduce(port, Date.now() + 30_000);
      times.push(performance.now() - started);
      if (i === 0) {
        await new Promise((r) => setTimeout(r, IDLE_SETTLE_MS));
        idleRss.push(procStatusMb(child.pid!, 'VmRSS'));
      }
    } finally {
      child.kill('SIGTERM');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  record({ section: 'startup', client: 'wire', what: 'spawn to first acknowledged produce (median)', value: Math.round(median), unit: 'ms', note: `${STARTUP_RUNS} runs, ${Math.round(times[0]!)}–${Math.round(times[times.length - 1]!)} ms; includes Node start-up and CreateTopics` });
  record({ section: 'memory', client: '-', what: `idle RSS (${IDLE_SETTLE_MS / 1000} s after start-up, one topic)`, value: idleRss[0]!, unit: 'MB' });
  targetRow({ measure: 'spawn to first acknowledged produce', samsa: `${Math.round(median)} ms`, reference: '', ratio: '', target: '≤ 150 ms', met: met(median <= 150) });
  targetRow({ measure: 'idle RSS', samsa: `${idleRss[0]} MB`, reference: '', ratio: '', target: '≤ 80 MB', met: met(idleRss[0]! <= 80) });
}

// ---- kcat ----------------------------------------------------------------------------------------

function hasKcat(): boolean {
  return spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;
}

/** A file of `messages` lines of `bytes` printable bytes each (plus the newline kcat splits on). */
async function messageFile(dir: string, messages: number, bytes: number): Promise<string> {
  const path = join(dir, `messages-${messages}x${bytes}.txt`);
  const f = await open(path, 'w');
  const linesPerChunk = Math.max(1, Math.floor((4 << 20) / (bytes + 1)));
  const filler = 'x'.repeat(bytes);
  try {
    for (let i = 0; i < messages; i += linesPerChunk) {
      const n = Math.min(linesPerChunk, messages - i);
      const chunk = Buffer.allocUnsafe(n * (bytes + 1));
      for (let j = 0; j < n; j++) {
        const line = (String(i + j).padStart(12, '0') + filler).slice(0, bytes) + '\n';
        chunk.write(line, j * (bytes + 1), 'latin1');
      }
      await f.write(chunk);
    }
  } finally {
    await f.close();
  }
  return path;
}

export interface Timed {
  seconds: number;
  code: number | null;
  stderr: string;
  /** User + system CPU seconds of the command itself, when GNU time (/usr/bin/time) is installed. */
  cpu?: number;
}

const GNU_TIME = '/usr/bin/time';
const CPU_MARK = 'samsa-bench-cpu';

/** Runs a command to completion; stdout goes to `stdoutPath` (a regular file: a pipe would slow kcat down). */
async function timedRun(cmd: string, argv: string[], stdoutPath = '/dev/null'): Promise<Timed> {
  const out = await open(stdoutPath, 'w');
  // GNU time reports the command's own CPU use (the client's share of these 2 cores).
  const timed = existsSync(GNU_TIME);
  try {
    return await new Promise((resolve, reject) => {
      const started = performance.now();
      const child = timed
        ? spawn(GNU_TIME, ['-f', `${CPU_MARK} %U %S`, cmd, ...argv], { stdio: ['ignore', out.fd, 'pipe'] })
        : spawn(cmd, argv, { stdio: ['ignore', out.fd, 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), KCAT_TIMEOUT_MS);
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(timer);
        const seconds = (performance.now() - started) / 1000;
        const mark = new RegExp(`^${CPU_MARK} ([0-9.]+) ([0-9.]+)$`, 'm').exec(stderr);
        if (mark === null) return resolve({ seconds, code, stderr });
        resolve({ seconds, code, stderr: stderr.replace(mark[0], '').trim(), cpu: Number(mark[1]) + Number(mark[2]) });
      });
    });
  } finally {
    await out.close();
  }
}

interface Sample {
  seconds: number;
  cpu: number;
  problem?: string;
}

/** The median run by time, with the spread and any problem of any run in the note. */
function summarize(samples: Sample[]): { seconds: number; cpu: number; note: string | undefined } {
  const sorted = [...samples].sort((a, b) => a.seconds - b.seconds);
  const mid = sorted[Math.floor(sorted.length / 2)]!;
  const problems = samples.flatMap((x) => (x.problem === undefined ? [] : [x.problem]));
  const spread = samples.length > 1 ? `median of ${samples.length}, ${sorted[0]!.seconds.toFixed(2)}–${sorted[sorted.length - 1]!.seconds.toFixed(2)} s` : undefined;
  const note = [spread, ...problems].filter((x) => x !== undefined).join('; ');
  return { seconds: mid.seconds, cpu: mid.cpu, note: note === '' ? undefined : note };
}

function kcatProduceArgs(broker: BrokerProcess, topic: string, acks: string, file: string): string[] {
  return ['-P', '-b', broker.bootstrap, '-t', topic, '-X', `acks=${acks}`, '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', '-l', file];
}

function kcatConsumeArgs(broker: BrokerProcess, topic: string): string[] {
  return ['-C', '-b', broker.bootstrap, '-t', topic, '-e', '-o', 'beginning', '-q'];
}

/** What one kcat invocation costs with almost nothing to move: start-up, metadata, end-of-partition detection. */
async function kcatFixedCost(broker: BrokerProcess, workDir: string): Promise<void> {
  const topic = 'kcat-fixed-cost';
  await createTopic(broker.port, topic, 1);
  const file = await messageFile(workDir, 1, 100);
  const produced = await timedRun('kcat', kcatProduceArgs(broker, topic, '1', file));
  const consumed = await timedRun('kcat', kcatConsumeArgs(broker, topic));
  await rm(file, { force: true });
  record({ section: 'startup', client: 'kcat', what: 'kcat produce of 1 message (fixed cost in every kcat row)', value: Math.round(produced.seconds * 1000), unit: 'ms' });
  record({ section: 'startup', client: 'kcat', what: 'kcat consume of 1 message with -e (fixed cost in every kcat row)', value: Math.round(consumed.seconds * 1000), unit: 'ms', note: 'mostly one fetch.wait.max.ms (500 ms) to learn it reached the end' });
}

async function benchKcat(broker: BrokerProcess, workDir: string): Promise<void> {
  await kcatFixedCost(broker, workDir);
  for (const { messages, bytes } of KCAT_RUNS) {
    const file = await messageFile(workDir, messages, bytes);
    for (const partitions of PARTITION_COUNTS) {
      const consumeTopics: string[] = [];
      for (const acks of ACKS) {
        const samples: Sample[] = [];
        for (let rep = 0; rep < KCAT_REPEATS; rep++) {
          const topic = `kcat-${bytes}b-${partitions}p-acks-${acks}-${rep}`;
          await createTopic(broker.port, topic, partitions);
          const cpuBefore = cpuSeconds(broker.pid);
          const r = await timedRun('kcat', kcatProduceArgs(broker, topic, acks, file));
          const cpu = cpuSeconds(broker.pid) - cpuBefore;
          const stored = await messagesIn(broker.port, topic, partitions);
          const problem = r.code !== 0 ? `kcat exited ${r.code}: ${r.stderr.trim().slice(0, 200)}` : stored !== messages ? `broker holds ${stored} of ${messages}` : undefined;
          samples.push({ seconds: r.seconds, cpu, problem });
          if (acks === ACKS[0]) consumeTopics.push(topic);
        }
        const m = summarize(samples);
        record({ section: 'produce', client: 'kcat', what: `${messages} × ${bytes} B`, messages, messageBytes: bytes, partitions, acks, ...throughput(m.seconds, messages, bytes), brokerCpuSeconds: round(m.cpu, 2), note: m.note });
      }
      const samples: Sample[] = [];
      for (const topic of consumeTopics) {
        const consumed = join(workDir, 'consumed.txt');
        const cpuBefore = cpuSeconds(broker.pid);
        const r = await timedRun('kcat', kcatConsumeArgs(broker, topic), consumed);
        const cpu = cpuSeconds(broker.pid) - cpuBefore;
        const expectedBytes = messages * (bytes + 1); // kcat ends every message with a newline
        const gotBytes = (await stat(consumed)).size;
        await rm(consumed, { force: true });
        const problem = r.code !== 0 ? `kcat exited ${r.code}: ${r.stderr.trim().slice(0, 200)}` : gotBytes !== expectedBytes ? `read ${gotBytes} of ${expectedBytes} bytes` : undefined;
        samples.push({ seconds: r.seconds, cpu, problem });
      }
      const m = summarize(samples);
      record({ section: 'consume', client: 'kcat', what: `${messages} × ${bytes} B`, messages, messageBytes: bytes, partitions, ...throughput(m.seconds, messages, bytes), brokerCpuSeconds: round(m.cpu, 2), note: m.note });
    }
    await rm(file, { force: true });
  }
}

// ---- Node clients --------------------------------------------------------------------------------

function clientValues(messages: number, bytes: number): Buffer[] {
  const filler = 'y'.repeat(bytes);
  return Array.from({ length: messages }, (_, i) => Buffer.from((String(i).padStart(12, '0') + filler).slice(0, bytes)));
}

/** Runs `send(from, to)` over [0, total) in batches, keeping `CLIENT_SENDS_IN_FLIGHT` at once. */
async function windowed(total: number, send: (from: number, to: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < total) {
      const from = next;
      next = Math.min(total, next + CLIENT_BATCH_MESSAGES);
      await send(from, next);
    }
  };
  await Promise.all(Array.from({ length: CLIENT_SENDS_IN_FLIGHT }, lane));
}

async function benchSamsaClient(broker: BrokerProcess): Promise<void> {
  let clientModule: typeof import('../src/client/index.js');
  try {
    clientModule = await import('../src/client/index.js');
  } catch (err) {
    record({ section: 'produce', client: 'samsa', what: 'skipped', note: `src/client could not be loaded: ${(err as Error).message}` });
    return;
  }
  const topic = 'samsa-client';
  await createTopic(broker.port, topic, 1);
  const values = clientValues(CLIENT_MESSAGES, CLIENT_MESSAGE_BYTES);
  const client = clientModule.createClient({ bootstrapServers: broker.bootstrap, clientId: 'bench' });
  try {
    const producer = client.producer({ acks: 1 });
    const cpuBefore = cpuSeconds(broker.pid);
    const started = performance.now();
    await windowed(values.length, async (from, to) => {
      await producer.send({ topic, messages: values.slice(from, to).map((value) => ({ value, partition: 0 })) });
    });
    const seconds = (performance.now() - started) / 1000;
    const stored = await messagesIn(broker.port, topic, 1);
    record({
      section: 'produce', client: 'samsa', what: `${CLIENT_MESSAGES} × ${CLIENT_MESSAGE_BYTES} B`, messages: CLIENT_MESSAGES, messageBytes: CLIENT_MESSAGE_BYTES,
      partitions: 1, acks: '1', ...throughput(seconds, CLIENT_MESSAGES, CLIENT_MESSAGE_BYTES), brokerCpuSeconds: round(cpuSeconds(broker.pid) - cpuBefore, 2),
      note: `${CLIENT_BATCH_MESSAGES} per send, ${CLIENT_SENDS_IN_FLIGHT} in flight${stored !== CLIENT_MESSAGES ? `; broker holds ${stored}` : ''}`,
    });

    const samples: Sample[] = [];
    for (let run = 0; run < CLIENT_CONSUME_RUNS; run++) {
      const consumer = client.consumer();
      consumer.assign([{ topic, partition: 0, offset: 0 }]);
      const cpuBefore2 = cpuSeconds(broker.pid);
      const started2 = performance.now();
      let got = 0;
      const deadline = Date.now() + 120_000;
      while (got < CLIENT_MESSAGES && Date.now() < deadline) got += (await consumer.poll({ timeoutMs: 500 })).length;
      samples.push({ seconds: (performance.now() - started2) / 1000, cpu: cpuSeconds(broker.pid) - cpuBefore2, problem: got !== CLIENT_MESSAGES ? `received ${got}` : undefined });
      await consumer.close();
    }
    const m = summarize(samples);
    record({
      section: 'consume', client: 'samsa', what: `${CLIENT_MESSAGES} × ${CLIENT_MESSAGE_BYTES} B`, messages: CLIENT_MESSAGES, messageBytes: CLIENT_MESSAGE_BYTES,
      partitions: 1, ...throughput(m.seconds, CLIENT_MESSAGES, CLIENT_MESSAGE_BYTES), brokerCpuSeconds: round(m.cpu, 2),
      note: ['assign + poll', m.note].filter((x) => x !== undefined).join('; '),
    });
  } finally {
    await client.close();
  }
}

async function benchKafkaJs(broker: BrokerProcess): Promise<void> {
  const topic = 'kafkajs';
  await createTopic(broker.port, topic, 1);
  const values = clientValues(CLIENT_MESSAGES, CLIENT_MESSAGE_BYTES);
  const kafka = new Kafka({ clientId: 'bench', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, connectionTimeout: KAFKAJS_CONNECTION_TIMEOUT_MS });
  const producer = kafka.producer();
  await producer.connect();
  const cpuBefore = cpuSeconds(broker.pid);
  const started = performance.now();
  try {
    await windowed(values.length, async (from, to) => {
      await producer.send({ topic, acks: 1, messages: values.slice(from, to).map((value) => ({ value, partition: 0 })) });
    });
  } finally {
    await producer.disconnect();
  }
  const seconds = (performance.now() - started) / 1000;
  const stored = await messagesIn(broker.port, topic, 1);
  record({
    section: 'produce', client: 'kafkajs', what: `${CLIENT_MESSAGES} × ${CLIENT_MESSAGE_BYTES} B`, messages: CLIENT_MESSAGES, messageBytes: CLIENT_MESSAGE_BYTES,
    partitions: 1, acks: '1', ...throughput(seconds, CLIENT_MESSAGES, CLIENT_MESSAGE_BYTES), brokerCpuSeconds: round(cpuSeconds(broker.pid) - cpuBefore, 2),
    note: `${CLIENT_BATCH_MESSAGES} per send, ${CLIENT_SENDS_IN_FLIGHT} in flight${stored !== CLIENT_MESSAGES ? `; broker holds ${stored}` : ''}`,
  });

  // KafkaJS's consumer needs consumer groups; its lower-level broker API performs plain fetches.
  const Cluster = require('kafkajs/src/cluster');
  const { createLogger, LEVELS } = require('kafkajs/src/loggers');
  const socketFactory = require('kafkajs/src/network/socketFactory')();
  const logger = createLogger({ level: LEVELS.NOTHING, logCreator: () => () => {} });
  const cluster = new Cluster({ logger, socketFactory, brokers: [broker.bootstrap], clientId: 'bench-raw', retry: { retries: 2 }, connectionTimeout: KAFKAJS_CONNECTION_TIMEOUT_MS });
  const connectStarted = performance.now();
  await cluster.connect();
  const connectMs = performance.now() - connectStarted;
  if (connectMs > 100) progress(`KafkaJS took ${Math.round(connectMs)} ms to connect`);
  try {
    await cluster.addTargetTopic(topic);
    const leader = await cluster.findBroker({ nodeId: '1' });
    const samples: Sample[] = [];
    for (let run = 0; run < CLIENT_CONSUME_RUNS; run++) {
      const cpuBefore2 = cpuSeconds(broker.pid);
      const started2 = performance.now();
      let offset = 0;
      while (offset < CLIENT_MESSAGES) {
        const resp = await leader.fetch({
          replicaId: -1, isolationLevel: 1, maxWaitTime: 100, minBytes: 1, maxBytes: 1 << 20,
          topics: [{ topic, partitions: [{ partition: 0, fetchOffset: String(offset), maxBytes: 1 << 20 }] }],
        });
        const msgs = resp.responses[0].partitions[0].messages as Array<{ offset: string }>;
        if (msgs.length === 0) break;
        offset = Number(msgs[msgs.length - 1]!.offset) + 1;
      }
      samples.push({ seconds: (performance.now() - started2) / 1000, cpu: cpuSeconds(broker.pid) - cpuBefore2, problem: offset !== CLIENT_MESSAGES ? `read to offset ${offset}` : undefined });
    }
    const m = summarize(samples);
    record({
      section: 'consume', client: 'kafkajs', what: `${CLIENT_MESSAGES} × ${CLIENT_MESSAGE_BYTES} B`, messages: CLIENT_MESSAGES, messageBytes: CLIENT_MESSAGE_BYTES,
      partitions: 1, ...throughput(m.seconds, CLIENT_MESSAGES, CLIENT_MESSAGE_BYTES), brokerCpuSeconds: round(m.cpu, 2),
      note: ['raw Fetch, 1 MiB per request (an upper bound for its consumer)', m.note].filter((x) => x !== undefined).join('; '),
    });
  } finally {
    await cluster.disconnect();
  }
}

// ---- the reference: librdkafka's mock cluster, side by side -------------------------------------

const MOCK_HEADER = '/usr/include/librdkafka/rdkafka_mock.h';
const BENCH_SOURCE_DIR = fileURLToPath(new URL('../../bench/', import.meta.url));
/** Rounds of A B (Samsa, mock) per comparison figure; each figure is the median of its rounds. */
const COMPARE_ROUNDS = 3;
/** Consume runs per side: short reads (a few MB per partition), so more of them. */
const CONSUME_ROUNDS = 5;
const COMPARE_RUNS: ReadonlyArray<{ messages: number; bytes: number }> = QUICK
  ? [{ messages: 200_000, bytes: 100 }, { messages: 40_000, bytes: 1000 }]
  : [{ messages: 1_000_000, bytes: 100 }, { messages: 200_000, bytes: 1000 }];
const LATENCY_RATE = 1000;
const LATENCY_SECONDS = QUICK ? 2 : 5;
const FIO_SIZE = QUICK ? '256M' : '512M';
const FSYNC_RUN = QUICK ? { messages: 20_000, bytes: 1000 } : { messages: 100_000, bytes: 1000 };
const EMBEDDED_RUNS = 10;
const MANY_TOPICS = QUICK ? 20 : 100;
const MANY_PARTITIONS_EACH = 100;
/** Clean restarts of the many-partitions broker; the figure is their median (single runs vary by ±20% here). */
const MANY_RESTARTS = 3;

/** One row of the targets table: a figure of Samsa's, its reference, their ratio and the issue's target. */
export interface TargetRow {
  measure: string;
  samsa: string;
  reference: string;
  ratio: string;
  target: string;
  met: string;
}
const targets: TargetRow[] = [];

function targetRow(r: TargetRow): void {
  targets.push(r);
  progress(`target ${r.measure}: samsa ${r.samsa}, reference ${r.reference}, ratio ${r.ratio}, target ${r.target}: ${r.met}`);
}


/** Compiles bench/mock/mock-cluster.c with the system C compiler; null (and why) when it cannot. */
function buildMock(): { path: string | null; why?: string } {
  if (!existsSync(MOCK_HEADER)) return { path: null, why: `${MOCK_HEADER} is missing (install librdkafka-dev)` };
  const outDir = join(tmpdir(), 'samsa-bench-build');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, 'mock-cluster');
  const r = spawnSync('cc', ['-O2', '-o', out, join(BENCH_SOURCE_DIR, 'mock', 'mock-cluster.c'), '-lrdkafka'], { encoding: 'utf8' });
  if (r.status !== 0) return { path: null, why: `cc failed: ${(r.stderr ?? String(r.error)).trim().slice(0, 300)}` };
  return { path: out };
}

/** Something kcat can be pointed at: a Samsa broker or the mock. */
interface Target {
  name: string;
  bootstrap: string;
  pid: number;
  createTopic(topic: string, partitions: number): Promise<void>;
  /**
   * Drops a topic once the bench is done with it. On Samsa its files are deleted, so the page
   * cache reuses that memory for the next run, as on a broker in steady state (retention frees
   * what new data fills): on these VMs, memory the guest touches for the first time costs about
   * ten times as much to write (dd into a new file: ~0.6 GB/s cold, ~5 GB/s once touched), and
   * the bench would otherwise keep allocating fresh page cache. The mock keeps only a few MB.
   */
  dropTopic(topic: string): Promise<void>;
}

function samsaTarget(broker: BrokerProcess): Target {
  return {
    name: 'samsa', bootstrap: broker.bootstrap, pid: broker.pid,
    createTopic: (t, p) => createTopic(broker.port, t, p),
    dropTopic: (t) => deleteTopic(broker.port, t),
  };
}

interface MockCluster extends Target {
  stop(): Promise<void>;
}

/** Starts the mock launcher; topics are created through its stdin. */
async function startMock(path: string): Promise<MockCluster> {
  const child = spawn(path, ['1'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let waiting: ((line: string) => void) | null = null;
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (waiting !== null) {
        const w = waiting;
        waiting = null;
        w(line);
      } else lines.push(line);
    }
  });
  child.stderr!.resume();
  const exited = new Promise((r) => child.once('exit', r));
  const nextLine = (): Promise<string> =>
    lines.length > 0 ? Promise.resolve(lines.shift()!) : new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the mock cluster did not answer')), 10_000);
      waiting = (l) => { clearTimeout(t); resolve(l); };
    });
  const bootstrap = await nextLine();
  return {
    name: 'mock',
    bootstrap,
    pid: child.pid!,
    async createTopic(topic, partitions) {
      child.stdin!.write(`topic ${topic} ${partitions}\n`);
      const answer = await nextLine();
      if (answer !== 'ok') throw new Error(`mock: creating ${topic}: ${answer}`);
    },
    async dropTopic() {
      // In memory, and the mock keeps only the newest few MB of each partition.
    },
    async stop() {
      child.stdin!.end();
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function kcatProduce(t: Target, topic: string, acks: string, file: string): string[] {
  return ['-P', '-b', t.bootstrap, '-t', topic, '-X', `acks=${acks}`, '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', '-l', file];
}

/**
 * Reads from the beginning to the end (`-e`). The mock keeps only the last few MB of each
 * partition (librdkafka 2.0.2 drops its oldest message sets), so consume rates are computed from
 * the bytes kcat actually wrote out, not from the count produced.
 */
function kcatConsume(t: Target, topic: string): string[] {
  return ['-C', '-b', t.bootstrap, '-t', topic, '-e', '-o', 'beginning', '-q'];
}


function met(ok: boolean): string {
  return ok ? 'met' : 'NOT met';
}

/** Produce and consume with kcat, Samsa and the mock alternating A B A B. */
async function benchCompare(samsa: Target, mock: Target, workDir: string): Promise<void> {
  // kcat's fixed cost per consume run (process start-up, metadata, first fetch), per target.
  const fixed = new Map<string, number>();
  const one = await messageFile(workDir, 1, 100);
  for (const t of [samsa, mock]) {
    const samples: number[] = [];
    for (let round = 0; round < COMPARE_ROUNDS; round++) {
      const topic = `fixed-${round}`;
      await t.createTopic(topic, 1);
      await timedRun('kcat', kcatProduce(t, topic, '1', one));
      samples.push((await timedRun('kcat', kcatConsume(t, topic))).seconds);
    }
    fixed.set(t.name, median(samples));
    record({ section: 'startup', client: 'kcat', what: `kcat consume of 1 message with -e from ${t.name} (subtracted in the consume ratios)`, value: Math.round(median(samples) * 1000), unit: 'ms' });
  }
  await rm(one, { force: true });

  for (const { messages, bytes } of COMPARE_RUNS) {
    const file = await messageFile(workDir, messages, bytes);
    for (const partitions of PARTITION_COUNTS) {
      const consumeTopics = new Map<string, string[]>([['samsa', []], ['mock', []]]);
      for (const acks of ACKS) {
        const secs = new Map<string, number[]>([['samsa', []], ['mock', []]]);
        const cpu = new Map<string, number[]>([['samsa', []], ['mock', []]]);
        const clientCpu = new Map<string, number[]>([['samsa', []], ['mock', []]]);
        const problems: string[] = [];
        for (let round = 0; round < COMPARE_ROUNDS; round++) {
          for (const t of [samsa, mock]) {
            const topic = `cmp-${bytes}b-${partitions}p-${acks}-${round}`;
            await t.createTopic(topic, partitions);
            const cpuBefore = cpuSeconds(t.pid);
            const r = await timedRun('kcat', kcatProduce(t, topic, acks, file));
            cpu.get(t.name)!.push(cpuSeconds(t.pid) - cpuBefore);
            if (r.cpu !== undefined) clientCpu.get(t.name)!.push(r.cpu);
            if (r.code !== 0) problems.push(`${t.name}: kcat exited ${r.code}: ${r.stderr.trim().slice(0, 120)}`);
            secs.get(t.name)!.push(r.seconds);
            // The first acks=1 topic is read back below; the others are done with.
            if (acks === '1' && round === 0) consumeTopics.get(t.name)!.push(topic);
            else await t.dropTopic(topic);
          }
        }
        const s = median(secs.get('samsa')!);
        const m = median(secs.get('mock')!);
        for (const t of [samsa, mock]) {
          const x = median(secs.get(t.name)!);
          record({ section: 'produce', client: `kcat→${t.name}`, what: `${messages} × ${bytes} B`, messages, messageBytes: bytes, partitions, acks, ...throughput(x, messages, bytes), brokerCpuSeconds: round(median(cpu.get(t.name)!), 2), clientCpuSeconds: clientCpu.get(t.name)!.length > 0 ? round(median(clientCpu.get(t.name)!), 2) : undefined, note: `median of ${COMPARE_ROUNDS}, alternating; ${secs.get(t.name)!.map((v) => v.toFixed(2)).join(', ')} s${problems.length > 0 ? `; ${problems.join('; ')}` : ''}` });
        }
        targetRow({
          measure: `produce ${bytes} B, ${partitions} partition${partitions > 1 ? 's' : ''}, acks=${acks}`,
          samsa: fmtRate(messages / s, (messages * bytes) / MB / s), reference: `mock ${fmtRate(messages / m, (messages * bytes) / MB / m)}`,
          ratio: (m / s).toFixed(2), target: '≥ 1.0', met: met(m / s >= 1.0),
        });
      }
      await benchCompareConsume(samsa, mock, workDir, consumeTopics, { messages, bytes, partitions, fixed });
      for (const t of [samsa, mock]) for (const topic of consumeTopics.get(t.name)!) await t.dropTopic(topic);
    }
    await rm(file, { force: true });
  }
}

/** Messages per partition of `topic` on `t`, read with `kcat -e` (the mock keeps only the newest few MB of each). */
async function retainedPerPartition(t: Target, topic: string, partitions: number, workDir: string): Promise<number[]> {
  const out = join(workDir, 'partitions.txt');
  await timedRun('kcat', ['-C', '-b', t.bootstrap, '-t', topic, '-e', '-o', 'beginning', '-q', '-f', '%p\\n'], out);
  const counts = new Array<number>(partitions).fill(0);
  for (const line of (await readFile(out, 'utf8')).split('\n')) if (line !== '') counts[Number(line)]!++;
  await rm(out, { force: true });
  return counts;
}

/**
 * Consume, like for like: both sides serve the same newest K messages of every partition (K is
 * what the mock still holds of its smallest partition), read with `kcat -o -K -c N`, which stops
 * at the Nth message instead of waiting to learn it is at the end. Alternating, median of
 * CONSUME_ROUNDS. Samsa's full read from the beginning (`-e`, its fixed cost subtracted) is
 * recorded as a figure too.
 */
async function benchCompareConsume(
  samsa: Target,
  mock: Target,
  workDir: string,
  topics: Map<string, string[]>,
  run: { messages: number; bytes: number; partitions: number; fixed: Map<string, number> },
): Promise<void> {
  const { messages, bytes, partitions, fixed } = run;
  const consumed = join(workDir, 'consumed.txt');
  // Samsa's full read of everything produced with acks=1.
  const full = await timedRun('kcat', kcatConsume(samsa, topics.get('samsa')![0]!), consumed);
  const fullBytes = (await stat(consumed)).size;
  const fullNet = Math.max(0.001, full.seconds - fixed.get('samsa')!);
  record({
    section: 'consume', client: 'kcat→samsa', what: `${messages} × ${bytes} B from the beginning with -e`, messages, messageBytes: bytes, partitions,
    ...throughput(fullNet, messages, bytes),
    note: `kcat's fixed cost (${Math.round(fixed.get('samsa')! * 1000)} ms) subtracted from ${full.seconds.toFixed(3)} s${fullBytes !== messages * (bytes + 1) ? `; read ${fullBytes} of ${messages * (bytes + 1)} bytes` : ''}`,
  });
  // Counted twice, keeping each partition's larger count: a read that lost librdkafka's start-up
  // race for one partition once reported it nearly empty.
  const counts = await retainedPerPartition(mock, topics.get('mock')![0]!, partitions, workDir);
  const again = await retainedPerPartition(mock, topics.get('mock')![0]!, partitions, workDir);
  const retained = counts.map((n, i) => Math.max(n, again[i]!));
  const perPartition = Math.min(...retained);
  const n = perPartition * partitions;
  const typical = median(retained);
  const measure = `consume ${bytes} B, ${partitions} partition${partitions > 1 ? 's' : ''}: the newest ${perPartition} of each (what the mock retains), kcat -c`;
  if (perPartition < typical / 4) {
    // Seen with 1 KB × 8 partitions: the mock kept a few messages of one partition and thousands
    // of the others; a read of that few per partition measures kcat's start-up, not the broker.
    targetRow({ measure, samsa: '', reference: `mock retained ${retained.join(', ')} per partition`, ratio: '', target: '≥ 1.5', met: 'not comparable this run' });
    return;
  }
  const secs = new Map<string, number[]>([['samsa', []], ['mock', []]]);
  const cpu = new Map<string, number[]>([['samsa', []], ['mock', []]]);
  const problems: string[] = [];
  for (let round = 0; round < CONSUME_ROUNDS; round++) {
    for (const t of [samsa, mock]) {
      const cpuBefore = cpuSeconds(t.pid);
      const argv = ['-C', '-b', t.bootstrap, '-t', topics.get(t.name)![0]!, '-o', `-${perPartition}`, '-c', String(n), '-q'];
      const r = await timedRun('kcat', argv, consumed);
      cpu.get(t.name)!.push(cpuSeconds(t.pid) - cpuBefore);
      const gotBytes = (await stat(consumed)).size;
      if (r.code !== 0) problems.push(`${t.name}: kcat exited ${r.code}`);
      if (gotBytes !== n * (bytes + 1)) problems.push(`${t.name}: read ${gotBytes} of ${n * (bytes + 1)} bytes`);
      secs.get(t.name)!.push(r.seconds);
    }
  }
  await rm(consumed, { force: true });
  for (const t of [samsa, mock]) {
    record({
      section: 'consume', client: `kcat→${t.name}`, what: `newest ${perPartition} × ${bytes} B of each partition (-o -${perPartition} -c ${n})`, messages: n, messageBytes: bytes, partitions,
      ...throughput(median(secs.get(t.name)!), n, bytes), brokerCpuSeconds: round(median(cpu.get(t.name)!), 3),
      note: `median of ${CONSUME_ROUNDS}, alternating; ${secs.get(t.name)!.map((v) => v.toFixed(3)).join(', ')} s${problems.length > 0 ? `; ${[...new Set(problems)].join('; ')}` : ''}`,
    });
  }
  const s = median(secs.get('samsa')!);
  const m = median(secs.get('mock')!);
  targetRow({
    measure,
    samsa: fmtRate(n / s, (n * bytes) / MB / s), reference: `mock ${fmtRate(n / m, (n * bytes) / MB / m)}`,
    ratio: (m / s).toFixed(2), target: '≥ 1.5', met: met(m / s >= 1.5),
  });
}

interface Latency {
  sent: number;
  received: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  error?: string;
}

/** Produce→consume latency with librdkafka through Python's confluent_kafka (bench/latency.py). */
async function runLatency(t: Target, topic: string, fetchWaitMs: number): Promise<Latency | null> {
  await t.createTopic(topic, 1);
  const r = spawnSync('/usr/bin/python3', [join(BENCH_SOURCE_DIR, 'latency.py'), t.bootstrap, topic, String(LATENCY_RATE), String(LATENCY_SECONDS), String(fetchWaitMs)], { encoding: 'utf8', timeout: 120_000 });
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Latency;
  } catch {
    progress(`latency run against ${t.name} failed: ${r.stderr?.slice(-500)}`);
    return null;
  }
}

async function benchLatency(samsa: Target, mock: Target | null): Promise<void> {
  if (spawnSync('/usr/bin/python3', ['-c', 'import confluent_kafka'], { stdio: 'ignore' }).status !== 0) {
    targetRow({ measure: 'produce→consume latency', samsa: 'skipped', reference: '', ratio: '', target: 'p99 ≤ 3 ms', met: 'skipped: /usr/bin/python3 has no confluent_kafka' });
    return;
  }
  // librdkafka's default fetch.wait.max.ms (500), and a short one under which a broker that does not wake waiting fetches on produce still looks reasonable.
  for (const fetchWaitMs of [500, 10]) {
    const got = new Map<string, Latency | null>();
    for (const t of mock === null ? [samsa] : [samsa, mock]) got.set(t.name, await runLatency(t, `latency-${fetchWaitMs}`, fetchWaitMs));
    const s = got.get('samsa');
    const m = got.get('mock');
    const show = (l: Latency | null | undefined) => (l == null || l.p50Ms == null ? 'failed' : `p50 ${l.p50Ms} / p99 ${l.p99Ms} / max ${l.maxMs} ms (${l.received}/${l.sent})`);
    const ok = s != null && s.p99Ms != null && s.p99Ms <= 3 && (m == null || m.p99Ms == null || s.p99Ms <= m.p99Ms);
    targetRow({
      measure: `produce→consume latency, ${LATENCY_RATE} msg/s × ${LATENCY_SECONDS} s, linger.ms=0, fetch.wait.max.ms=${fetchWaitMs}`,
      samsa: show(s), reference: mock === null ? 'mock skipped' : `mock ${show(m)}`,
      ratio: s?.p99Ms != null && m?.p99Ms != null ? `p99 ${(s.p99Ms / m.p99Ms).toFixed(2)}` : '',
      target: 'p99 ≤ 3 ms and ≤ mock', met: met(ok),
    });
  }
}

/** fio's sequential 1 MiB writes with an fdatasync after each, in MB/s; null when fio is missing. */
function fioMbPerSec(dir: string): number | null {
  const r = spawnSync('fio', ['--name=samsa-bench', `--directory=${dir}`, '--rw=write', '--bs=1M', `--size=${FIO_SIZE}`, '--fdatasync=1', '--output-format=json'], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) return null;
  const j = JSON.parse(r.stdout) as { jobs: Array<{ write: { bw_bytes: number } }> };
  return j.jobs[0]!.write.bw_bytes / MB;
}

async function benchFsync(workDir: string): Promise<void> {
  if (spawnSync('fio', ['--version'], { stdio: 'ignore' }).status !== 0) {
    targetRow({ measure: 'log.flush.interval.messages=1 produce vs fio', samsa: 'skipped', reference: '', ratio: '', target: '≥ 0.70', met: 'skipped: fio is not installed (apt-get install fio)' });
    return;
  }
  const fioDir = join(workDir, 'fio');
  mkdirSync(fioDir, { recursive: true });
  const broker = await startBrokerProcess({ dataDir: join(workDir, 'data-fsync'), env: { SAMSA_LOG_LEVEL: 'warn' }, overrides: { 'log.flush.interval.messages': '1' } });
  const t = samsaTarget(broker);
  const { messages, bytes } = FSYNC_RUN;
  const file = await messageFile(workDir, messages, bytes);
  const fio: number[] = [];
  const samsa: number[] = [];
  try {
    for (let round = 0; round < COMPARE_ROUNDS; round++) {
      const topic = `fsync-${round}`;
      await t.createTopic(topic, 1);
      const r = await timedRun('kcat', kcatProduce(t, topic, 'all', file));
      samsa.push((messages * bytes) / MB / r.seconds);
      const f = fioMbPerSec(fioDir);
      if (f !== null) fio.push(f);
      await rm(fioDir, { recursive: true, force: true });
      mkdirSync(fioDir, { recursive: true });
    }
  } finally {
    await broker.kill('SIGTERM');
    await rm(file, { force: true });
  }
  const s = median(samsa);
  const f = fio.length > 0 ? median(fio) : NaN;
  record({ section: 'produce', client: 'kcat→samsa', what: `${messages} × ${bytes} B, log.flush.interval.messages=1`, messages, messageBytes: bytes, partitions: 1, acks: 'all', seconds: round((messages * bytes) / MB / s, 3), msgPerSec: Math.round((s * MB) / bytes), mbPerSec: round(s, 1), note: `median of ${COMPARE_ROUNDS}, alternating with fio` });
  targetRow({
    measure: `produce 1 KB, 1 partition, acks=all, log.flush.interval.messages=1`,
    samsa: `${s.toFixed(0)} MB/s`, reference: `fio --rw=write --bs=1M --fdatasync=1 ${Number.isNaN(f) ? 'failed' : `${f.toFixed(0)} MB/s`}`,
    ratio: (s / f).toFixed(2), target: '≥ 0.70', met: met(s / f >= 0.7),
  });
}

/** `Broker.start()` in this process on a fresh directory, to `stop()`; median of EMBEDDED_RUNS. */
async function benchEmbedded(): Promise<void> {
  const { Broker } = await import('../src/broker/broker.js');
  const times: number[] = [];
  for (let i = 0; i < EMBEDDED_RUNS; i++) {
    const dataDir = await mkdtemp(join(tmpdir(), 'samsa-bench-embedded-'));
    const started = performance.now();
    const b = await Broker.start({ dataDir, port: 0 });
    times.push(performance.now() - started);
    await b.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  const m = median(times);
  record({ section: 'startup', client: 'embedded', what: `Broker.start() in process (median of ${EMBEDDED_RUNS})`, value: round(m, 1), unit: 'ms', note: `${Math.round(Math.min(...times))}–${Math.round(Math.max(...times))} ms` });
  targetRow({ measure: 'Broker.start() embedded', samsa: `${m.toFixed(1)} ms`, reference: '', ratio: '', target: '≤ 50 ms', met: met(m <= 50) });
}

/** 100 topics × 100 partitions on one broker: create, Metadata for all topics, RSS, restart. */
async function benchManyPartitions(workDir: string): Promise<void> {
  const dataDir = join(workDir, 'data-many');
  const total = MANY_TOPICS * MANY_PARTITIONS_EACH;
  let broker = await startBrokerProcess({ dataDir, env: { SAMSA_LOG_LEVEL: 'warn' } });
  try {
    const wire = await WireClient.connect(broker.port);
    const createStarted = performance.now();
    try {
      for (let i = 0; i < MANY_TOPICS; i += 10) {
        const resp = await wire.request<CreateTopicsResponse>(19, 5, {
          topics: Array.from({ length: Math.min(10, MANY_TOPICS - i) }, (_, j) => ({ name: `many-${i + j}`, numPartitions: MANY_PARTITIONS_EACH, replicationFactor: 1, assignments: [], configs: [] })),
          timeoutMs: 120_000, validateOnly: false,
        }, 180_000);
        const bad = resp.topics.find((t) => t.errorCode !== 0);
        if (bad !== undefined) throw new Error(`creating ${bad.name}: ${bad.errorCode} ${bad.errorMessage}`);
      }
    } finally {
      wire.close();
    }
    const createMs = performance.now() - createStarted;
    record({ section: 'startup', client: 'wire', what: `create ${MANY_TOPICS} topics × ${MANY_PARTITIONS_EACH} partitions`, value: Math.round(createMs), unit: 'ms' });
    const produceMs = await produceToEveryPartition(broker.port);
    record({ section: 'startup', client: 'wire', what: `one batch to each of ${total} partitions`, value: Math.round(produceMs), unit: 'ms' });
    const metadataMs = await metadataAllMs(broker.port, MANY_TOPICS);
    const rss = procStatusMb(broker.pid, 'VmRSS');
    const restarts: number[] = [];
    for (let i = 0; i < MANY_RESTARTS; i++) {
      await broker.kill('SIGTERM');
      const restartStarted = performance.now();
      broker = await startBrokerProcess({ dataDir, env: { SAMSA_LOG_LEVEL: 'warn' }, readyTimeoutMs: 120_000 });
      await metadataAllMs(broker.port, MANY_TOPICS, 1);
      restarts.push(performance.now() - restartStarted);
    }
    const restartMs = median(restarts);
    record({ section: 'startup', client: 'wire', what: `restart of ${total} partitions holding data (median of ${MANY_RESTARTS})`, value: Math.round(restartMs), unit: 'ms', note: restarts.map((t) => Math.round(t)).join(', ') });
    targetRow({ measure: `${total} partitions: Metadata (all topics), median of 5`, samsa: `${metadataMs.toFixed(1)} ms`, reference: '', ratio: '', target: '< 100 ms', met: met(metadataMs < 100) });
    targetRow({ measure: `${total} partitions: broker RSS`, samsa: `${rss} MB`, reference: '', ratio: '', target: '< 500 MB', met: met(rss < 500) });
    targetRow({ measure: `${total} partitions, each holding data: restart after a clean stop (spawn to a full Metadata answer), median of ${MANY_RESTARTS}`, samsa: `${Math.round(restartMs)} ms`, reference: '', ratio: '', target: '< 2 s', met: met(restartMs < 2000) });
  } finally {
    await broker.kill('SIGTERM');
  }
}

/**
 * One small batch (one 100-byte record) to every partition of the `many-*` topics, one Produce
 * request (acks=1) per topic carrying all its partitions, so the restart opens logs holding data.
 */
async function produceToEveryPartition(port: number): Promise<number> {
  const records = await encodeRecordBatch([{ value: Buffer.alloc(100, 'x') }]);
  const wire = await WireClient.connect(port);
  const started = performance.now();
  try {
    for (let i = 0; i < MANY_TOPICS; i++) {
      const name = `many-${i}`;
      const partitionData = Array.from({ length: MANY_PARTITIONS_EACH }, (_, index) => ({ index, records }));
      const resp = await wire.request<ProduceResponse>(0, 9, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name, partitionData }] }, 60_000);
      for (const t of resp.responses) {
        const bad = t.partitionResponses.find((p) => p.errorCode !== 0);
        if (bad !== undefined) throw new Error(`producing to ${t.name}-${bad.index}: error ${bad.errorCode}`);
      }
    }
    return performance.now() - started;
  } finally {
    wire.close();
  }
}

/** Median time of `runs` Metadata v9 requests for all topics; checks the topic count. */
async function metadataAllMs(port: number, topicsExpected: number, runs = 5): Promise<number> {
  const wire = await WireClient.connect(port);
  try {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const resp = await wire.request<{ topics: Array<{ name: string }> }>(3, 9, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, 60_000);
      times.push(performance.now() - started);
      const n = resp.topics.filter((t) => t.name.startsWith('many-')).length;
      if (n !== topicsExpected) progress(`Metadata listed ${n} of ${topicsExpected} topics`);
    }
    return median(times);
  } finally {
    wire.close();
  }
}

function targetsTable(): string {
  const lines = ['| measure | Samsa | reference | ratio | target | met? |', '|---|---|---|---:|---|---|'];
  for (const r of targets) lines.push(`| ${r.measure} | ${r.samsa} | ${r.reference} | ${r.ratio} | ${r.target} | ${r.met} |`);
  return lines.join('\n');
}

/** Samsa's client against KafkaJS, from the rows both wrote. */
function clientRatios(): void {
  for (const section of ['produce', 'consume'] as const) {
    const s = figures.find((f) => f.section === section && f.client === 'samsa' && f.msgPerSec !== undefined);
    const k = figures.find((f) => f.section === section && f.client === 'kafkajs' && f.msgPerSec !== undefined);
    if (s === undefined || k === undefined) continue;
    const r = s.msgPerSec! / k.msgPerSec!;
    targetRow({ measure: `${section} with Samsa's client vs KafkaJS (${s.what}, same broker)`, samsa: fmtRate(s.msgPerSec!, s.mbPerSec!), reference: `KafkaJS ${fmtRate(k.msgPerSec!, k.mbPerSec!)}`, ratio: r.toFixed(2), target: '≥ 3.0', met: met(r >= 3) });
  }
}

// ---- output --------------------------------------------------------------------------------------

function machine(): Record<string, string | number> {
  const df = spawnSync('df', ['-h', tmpdir()], { encoding: 'utf8' }).stdout.trim().split('\n').pop() ?? '';
  const fs = statfsSync(tmpdir());
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    tmpdir: tmpdir(),
    disk: df.replace(/\s+/g, ' '),
    diskFreeGb: round((fs.bavail * fs.bsize) / 2 ** 30, 1),
    kcat: hasKcat() ? (spawnSync('kcat', ['-V'], { encoding: 'utf8' }).stdout.match(/Version (\S+).*?librdkafka (\S+)/)?.slice(1).join(', librdkafka ') ?? 'yes') : 'not on PATH',
    mode: QUICK ? 'quick' : 'full',
  };
}

function table(): string {
  const lines: string[] = [];
  lines.push('| measure | value | note |', '|---|---:|---|');
  for (const f of figures.filter((x) => x.section === 'startup' || x.section === 'memory' || x.section === 'cluster')) {
    lines.push(`| ${f.what} | ${f.value} ${f.unit} | ${f.note ?? ''} |`);
  }
  lines.push('');
  lines.push('| op | client | messages | partitions | acks | seconds | msg/s | MB/s | broker CPU s | client CPU s | note |', '|---|---|---|---:|---|---:|---:|---:|---:|---:|---|');
  for (const f of figures.filter((x) => x.section === 'produce' || x.section === 'consume')) {
    if (f.msgPerSec === undefined) {
      lines.push(`| ${f.section} | ${f.client} | ${f.what} | | | | | | | | ${f.note ?? ''} |`);
      continue;
    }
    lines.push(`| ${f.section} | ${f.client} | ${f.what} | ${f.partitions} | ${f.acks ?? ''} | ${f.seconds} | ${f.msgPerSec.toLocaleString('en-US')} | ${f.mbPerSec} | ${f.brokerCpuSeconds ?? ''} | ${f.clientCpuSeconds ?? ''} | ${f.note ?? ''} |`);
  }
  return lines.join('\n');
}

/** The parts measured on one broker process started here; returns it, stopped, for the finally of main. */
async function benchSingleBroker(workDir: string): Promise<BrokerProcess> {
  const profileDir = CPU_PROF ? await mkdtemp(join(tmpdir(), 'samsa-bench-profile-')) : null;
  const broker = await startBrokerProcess({
    dataDir: join(workDir, 'data'),
    env: { SAMSA_LOG_LEVEL: 'warn' },
    ...(METRICS ? { overrides: { 'metrics.listener': 'http://127.0.0.1:0' } } : {}),
    nodeArgs: profileDir === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
  });
  if (profileDir !== null) progress(`the broker's CPU profile will be written to ${profileDir} when it stops`);
  progress(`broker pid ${broker.pid} on ${broker.bootstrap}, data in ${broker.dataDir}`);
  try {
    const samsa = samsaTarget(broker);
    const hasMock = ONLY.has('compare') || ONLY.has('latency');
    const built = hasMock ? buildMock() : { path: null };
    if (hasMock && built.path === null) targetRow({ measure: 'mock cluster rows', samsa: 'skipped', reference: '', ratio: '', target: '', met: `skipped: ${built.why}` });
    const mock = built.path !== null ? await startMock(built.path) : null;
    try {
      if (ONLY.has('compare') && mock !== null) {
        if (hasKcat()) await benchCompare(samsa, mock, workDir);
        else targetRow({ measure: 'produce/consume vs mock', samsa: 'skipped', reference: '', ratio: '', target: '', met: 'skipped: kcat is not on PATH' });
      }
      if (ONLY.has('latency')) await benchLatency(samsa, mock);
    } finally {
      await mock?.stop();
    }
    if (ONLY.has('kcat')) {
      if (hasKcat()) await benchKcat(broker, workDir);
      else record({ section: 'produce', client: 'kcat', what: 'skipped', note: 'kcat is not on PATH' });
    }
    if (ONLY.has('samsa')) await benchSamsaClient(broker);
    if (ONLY.has('kafkajs')) await benchKafkaJs(broker);
    clientRatios();
    record({ section: 'memory', client: '-', what: 'peak RSS over the throughput runs', value: procStatusMb(broker.pid, 'VmHWM'), unit: 'MB' });
    const exit = await broker.kill('SIGTERM');
    if (exit.code !== 0) progress(`broker exited with ${JSON.stringify(exit)}; stderr:\n${broker.stderr().slice(-2000)}`);
  } catch (err) {
    await broker.kill('SIGKILL');
    throw err;
  }
  return broker;
}

async function main(): Promise<void> {
  // KafkaJS can leave a connect timer running past disconnect(); its rejection must not end the run.
  process.on('unhandledRejection', (err) => {
    if (err instanceof Error && err.name.startsWith('KafkaJS')) progress(`ignored a stray KafkaJS rejection: ${err.message}`);
    else throw err;
  });
  const info = machine();
  progress(`machine: ${JSON.stringify(info)}`);
  if (ONLY.has('startup')) await benchStartup();
  if (ONLY.has('embedded')) await benchEmbedded();

  const workDir = await mkdtemp(join(tmpdir(), 'samsa-bench-'));
  let broker: BrokerProcess | null = null;
  try {
    if (SINGLE_BROKER_PARTS.some((p) => ONLY.has(p))) broker = await benchSingleBroker(workDir);
    if (ONLY.has('fsync')) await benchFsync(workDir);
    if (ONLY.has('many')) await benchManyPartitions(workDir);
    if (ONLY.has('cluster')) await benchCluster({ quick: QUICK, progress, record, targetRow, messageFile, timedRun, cpuSeconds, hasKcat }, workDir);
    if (ONLY.has('tls')) {
      await benchTls({
        quick: QUICK, progress, record, targetRow, summary: (line) => summaries.push(line), messageFile, timedRun, cpuSeconds, hasKcat, freePort,
        startBroker: (dataDir, overrides) => startBrokerProcess({ dataDir, env: { SAMSA_LOG_LEVEL: 'warn' }, overrides }),
        createTopic, deleteTopic, messagesIn,
      }, workDir);
    }
    if (ONLY.has('txn')) await benchTransactions({ quick: QUICK, progress, summary: (line) => summaries.push(line) });
  } finally {
    await broker?.kill('SIGKILL');
    await rm(workDir, { recursive: true, force: true });
  }

  process.stdout.write(`${targetsTable()}\n\n${table()}\n`);
  if (summaries.length > 0) process.stdout.write(`\n${summaries.join('\n')}\n`);
  if (JSON_OUT) process.stdout.write(`${JSON.stringify({ machine: info, targets, figures, summaries })}\n`);
}

await main();
