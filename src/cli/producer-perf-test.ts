/**
 * `samsa producer-perf-test`: Kafka's kafka-producer-perf-test.sh (ProducerPerformance). Sends
 * --num-records records of --record-size random letters (or payloads from a file) at most
 * --throughput records per second, printing a line every reporting interval and a total with
 * latency percentiles. Records are gathered into sends of batch.size bytes or linger.ms, with a
 * bounded number of sends in flight, as Kafka's producer does.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createClient, type Producer, type ProducerMessage } from '../client/index.js';
import { loadClientConfig } from './client-config.js';
import { bool, helpText, int, list, parseFlags, reportError, spreadMultiValueFlags, str, UsageError, type Io, type ParsedFlags, type ToolSpec } from './common.js';
import { ProducerStats, Throttler } from './perf-report.js';

/** Kafka's defaults: batch.size 16384, linger.ms 5 (Kafka 4), 5 requests in flight per connection. */
const BATCH_BYTES_DEFAULT = 16_384;
const LINGER_MS_DEFAULT = 5;
const SENDS_IN_FLIGHT_MAX = 5;
const REPORTING_INTERVAL_MS_DEFAULT = 5000;
const TRANSACTION_DURATION_MS_DEFAULT = 3000;
const TRANSACTIONAL_ID_PREFIX = 'performance-producer-';

export const spec: ToolSpec = {
  name: 'producer-perf-test',
  summary: "Measure how fast records can be produced (Kafka's ProducerPerformance).",
  usage: 'samsa producer-perf-test --topic <name> --num-records <n> (--record-size <bytes> | --payload-file <file> | --payload-monotonic) --throughput <n|-1> --producer-props bootstrap.servers=<host:port> [k=v ...]',
  flags: {
    topic: { type: 'string', value: 'topic', help: 'Produce records to this topic.' },
    'num-records': { type: 'string', value: 'n', help: 'How many records to produce.' },
    'record-size': { type: 'string', value: 'bytes', help: 'Size of each record, in bytes of random letters.' },
    'payload-file': { type: 'string', value: 'file', help: 'UTF-8 text file of payloads, one picked at random per record.' },
    'payload-delimiter': { type: 'string', value: 'text', help: 'What separates payloads in --payload-file (default: a newline).' },
    'payload-monotonic': { type: 'boolean', help: 'Each payload is the record number: 0, 1, 2, …' },
    throughput: { type: 'string', value: 'n', help: 'At most about this many records per second; -1 for no limit.' },
    'producer-props': { type: 'string', multiple: true, value: 'k=v', help: 'Producer settings (bootstrap.servers, acks, linger.ms, batch.size, compression.type, …); several may follow one flag.' },
    'command-property': { type: 'string', multiple: true, value: 'k=v', help: "Kafka 4.2's name for --producer-props." },
    'producer.config': { type: 'string', value: 'file', help: 'A properties file of producer settings; --producer-props win over it.' },
    'command-config': { type: 'string', value: 'file', help: "Kafka 4.2's name for --producer.config." },
    'bootstrap-server': { type: 'string', value: 'host:port', help: 'The broker(s) to connect to; wins over bootstrap.servers.' },
    'reporting-interval': { type: 'string', value: 'ms', help: 'How often to print progress (default 5000).' },
    'transactional-id': { type: 'string', value: 'id', help: 'Produce in transactions with this id (wins over transactional.id).' },
    'transaction-duration-ms': { type: 'string', value: 'ms', help: 'Commit each transaction after this long (default 3000 when transactional).' },
    'print-metrics': { type: 'boolean', help: "Print the client's metrics at the end (not supported yet: refused)." },
    json: { type: 'boolean', help: 'Print the totals as one JSON object on stdout (progress lines go to stderr).' },
  },
};

interface PerfConfig {
  topic: string;
  numRecords: number;
  throughput: number;
  reportingIntervalMs: number;
  payload: (i: number) => Buffer;
  transactionDurationMs: number | undefined;
  json: boolean;
  lingerMs: number;
  batchBytes: number;
}

export async function run(argv: string[], io: Io): Promise<number> {
  let producer: Producer | undefined;
  try {
    const { values } = parseFlags(spec, spreadMultiValueFlags(argv, ['producer-props', 'command-property']));
    if (argv.length === 0 || bool(values, 'help')) {
      io.stdout.write(helpText(spec));
      return 0;
    }
    const { config, create } = configure(values, io);
    producer = create();
    const failed = await produceAll(producer, config, io);
    await producer.close();
    producer = undefined;
    return failed > 0 ? 1 : 0;
  } catch (err) {
    return reportError(err, io);
  } finally {
    await producer?.close();
  }
}

function required(values: ParsedFlags, name: string): string {
  const v = str(values, name);
  if (v === undefined) throw new UsageError(`--${name} is required. Run 'samsa producer-perf-test --help' to see the options.`);
  return v;
}

function configure(values: ParsedFlags, io: Io): { config: PerfConfig; create: () => Producer } {
  if (bool(values, 'print-metrics')) throw new UsageError("--print-metrics is not supported: samsa's client keeps no metrics yet.");
  const topic = required(values, 'topic');
  required(values, 'num-records');
  const numRecords = int(values, 'num-records')!;
  if (numRecords <= 0) throw new UsageError('--num-records should be greater than zero.');
  const throughputText = required(values, 'throughput');
  const throughput = Number(throughputText);
  if (throughputText.trim() === '' || !Number.isFinite(throughput)) throw new UsageError(`--throughput must be a number of records per second, or -1 for no limit, not '${throughputText}'.`);
  if (throughput === 0) throw new UsageError('--throughput 0 would never send a record; give records per second, or -1 for no limit.');
  const reportingIntervalMs = int(values, 'reporting-interval', { min: 1 }) ?? REPORTING_INTERVAL_MS_DEFAULT;
  const payload = payloadSource(values, io);

  const items = [...list(values, 'producer-props'), ...list(values, 'command-property')];
  const file = str(values, 'command-config') ?? str(values, 'producer.config');
  if (items.length === 0 && file === undefined) throw new UsageError('Either --producer-props or --producer.config must be specified.');
  const client = loadClientConfig({ role: 'producer', file, items: { flag: 'producer-props', values: items }, overrides: { 'bootstrap.servers': str(values, 'bootstrap-server') } }, io);
  const servers = client.client.bootstrapServers;
  if (servers === undefined) throw new UsageError("bootstrap.servers is required, as in '--producer-props bootstrap.servers=localhost:9092'.");

  let transactionDurationMs = int(values, 'transaction-duration-ms');
  if (transactionDurationMs !== undefined && transactionDurationMs <= 0) throw new UsageError('--transaction-duration-ms should be greater than zero.');
  const transactionalIdFlag = str(values, 'transactional-id');
  const transactional = transactionDurationMs !== undefined || transactionalIdFlag !== undefined || client.producer.transactionalId !== undefined;
  const producerOptions = { ...client.producer };
  if (transactional) {
    producerOptions.transactionalId = transactionalIdFlag ?? client.producer.transactionalId ?? `${TRANSACTIONAL_ID_PREFIX}${randomUUID()}`;
    transactionDurationMs ??= TRANSACTION_DURATION_MS_DEFAULT;
  }
  const config: PerfConfig = {
    topic,
    numRecords,
    throughput,
    reportingIntervalMs,
    payload,
    transactionDurationMs,
    json: bool(values, 'json'),
    lingerMs: client.lingerMs ?? LINGER_MS_DEFAULT,
    batchBytes: Math.max(1, client.batchBytes ?? BATCH_BYTES_DEFAULT),
  };
  const create = (): Producer => createClient({ clientId: 'perf-producer-client', ...client.client, bootstrapServers: servers }).producer(producerOptions);
  return { config, create };
}

/** Exactly one of --record-size, --payload-file and --payload-monotonic, as Kafka requires. */
function payloadSource(values: ParsedFlags, io: Io): (i: number) => Buffer {
  const recordSize = int(values, 'record-size');
  const file = str(values, 'payload-file');
  const monotonic = bool(values, 'payload-monotonic');
  const given = [recordSize !== undefined && '--record-size', file !== undefined && '--payload-file', monotonic && '--payload-monotonic'].filter(Boolean);
  if (given.length !== 1) {
    throw new UsageError(
      given.length === 0
        ? 'One of --record-size, --payload-file or --payload-monotonic is required.'
        : `Give only one of --record-size, --payload-file and --payload-monotonic, not ${given.join(' and ')}.`,
    );
  }
  if (recordSize !== undefined) {
    if (recordSize <= 0) throw new UsageError('--record-size should be greater than zero.');
    const random = letters(0);
    return () => random(recordSize);
  }
  if (file !== undefined) {
    const payloads = readPayloads(file, str(values, 'payload-delimiter') ?? '\\n', io);
    let seed = 1;
    // A fixed-seed LCG: the same file gives the same sequence of picks every run, as Kafka's seeded random does.
    return () => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return payloads[seed % payloads.length]!;
    };
  }
  return (i) => Buffer.from(String(i), 'utf8');
}

function readPayloads(path: string, delimiterText: string, io: Io): Buffer[] {
  const absolute = resolve(path);
  io.stdout.write(`Reading payloads from: ${absolute}\n`);
  let size = 0;
  try {
    size = statSync(absolute).size;
  } catch {
    size = 0;
  }
  if (size === 0) throw new UsageError('File does not exist or empty file provided.');
  const delimiter = delimiterText === '\\n' ? '\n' : delimiterText;
  const parts = readFileSync(absolute, 'utf8').split(delimiter);
  while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop(); // as Java's String.split drops trailing empties
  io.stdout.write(`Number of messages read: ${parts.length}\n`);
  return parts.map((p) => Buffer.from(p, 'utf8'));
}

/** Random upper-case letters from a seeded xorshift, a fresh buffer per record. */
function letters(seed: number): (size: number) => Buffer {
  let x = seed ^ 0x9e3779b9;
  return (size) => {
    const b = Buffer.allocUnsafe(size);
    for (let j = 0; j < size; j++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      b[j] = 65 + ((x >>> 0) % 26);
    }
    return b;
  };
}

/** Sends every record; returns how many failed (each failure is reported once per send on stderr). */
async function produceAll(producer: Producer, c: PerfConfig, io: Io): Promise<number> {
  const transactional = c.transactionDurationMs !== undefined;
  if (transactional) await producer.initTransactions();
  const stats = new ProducerStats(c.numRecords, c.reportingIntervalMs, (line) => (c.json ? io.stderr : io.stdout).write(line));
  const startMs = Date.now();
  const throttler = new Throttler(c.throughput, startMs);
  const inFlight = new Set<Promise<void>>();
  let batch: ProducerMessage[] = [];
  let batchStarts: number[] = [];
  let batchBytes = 0;
  let linger: NodeJS.Timeout | undefined;
  let failed = 0;

  const flush = (): void => {
    if (linger !== undefined) clearTimeout(linger);
    linger = undefined;
    if (batch.length === 0) return;
    const messages = batch;
    const starts = batchStarts;
    batch = [];
    batchStarts = [];
    batchBytes = 0;
    const send = producer.send({ topic: c.topic, messages }).then(
      () => {
        const now = Date.now();
        for (let i = 0; i < messages.length; i++) stats.record(now - starts[i]!, (messages[i]!.value as Buffer).length, now);
      },
      (err: unknown) => {
        failed += messages.length;
        io.stderr.write(`Error: ${messages.length} records were not sent: ${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
    const tracked = send.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };
  const drain = async (): Promise<void> => {
    flush();
    await Promise.all(inFlight);
  };

  let transactionStartMs = 0;
  let transactionSize = 0;
  for (let i = 0; i < c.numRecords; i++) {
    const value = c.payload(i);
    if (transactional && transactionSize === 0) {
      producer.beginTransaction();
      transactionStartMs = Date.now();
    }
    const sendStartMs = Date.now();
    batch.push({ value });
    batchStarts.push(sendStartMs);
    batchBytes += value.length;
    if (batchBytes >= c.batchBytes) flush();
    else linger ??= setTimeout(flush, c.lingerMs);
    while (inFlight.size >= SENDS_IN_FLIGHT_MAX) await Promise.race(inFlight);

    transactionSize++;
    if (transactional && c.transactionDurationMs! <= sendStartMs - transactionStartMs) {
      await drain();
      await producer.commitTransaction();
      transactionSize = 0;
    }
    if (throttler.shouldThrottle(i, sendStartMs)) await throttler.throttle();
  }
  await drain();
  if (transactional && transactionSize !== 0) await producer.commitTransaction();
  if (c.json) io.stdout.write(`${JSON.stringify(stats.summary())}\n`);
  else stats.printTotal();
  return failed;
}
