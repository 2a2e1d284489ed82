/**
 * `samsa consumer-perf-test`: Kafka's kafka-consumer-perf-test.sh (ConsumerPerformance). Joins a
 * consumer group on --topic, reads until --messages have arrived or none came for --timeout ms, and
 * prints Kafka's CSV header and summary row (or a row per --reporting-interval with
 * --show-detailed-stats).
 */
import { randomInt } from 'node:crypto';
import { createClient, type Consumer } from '../client/index.js';
import { loadClientConfig } from './client-config.js';
import { bool, bootstrapServer, helpText, int, list, parseFlags, reportError, str, UsageError, type Io, type ToolSpec } from './common.js';
import { consumerHeader, consumerProgressRow, consumerSummary, consumerTotalRow, javaDateFormat } from './perf-report.js';

/** Kafka's ConsumerPerformance polls for 100 ms at a time. */
const POLL_MS = 100;
const FETCH_SIZE_DEFAULT = 1024 * 1024;
const TIMEOUT_MS_DEFAULT = 10_000;
const REPORTING_INTERVAL_MS_DEFAULT = 5000;
const DATE_FORMAT_DEFAULT = 'yyyy-MM-dd HH:mm:ss:SSS';

export const spec: ToolSpec = {
  name: 'consumer-perf-test',
  summary: "Measure how fast records can be consumed (Kafka's ConsumerPerformance).",
  usage: 'samsa consumer-perf-test --bootstrap-server <host:port> --topic <name> --messages <n> [options]',
  flags: {
    'bootstrap-server': { type: 'string', value: 'host:port', help: 'The broker(s) to connect to, comma-separated.' },
    topic: { type: 'string', value: 'topic', help: 'The topic to consume from.' },
    messages: { type: 'string', value: 'count', help: 'How many messages to consume.' },
    group: { type: 'string', value: 'gid', help: 'The consumer group (default perf-consumer-<random>).' },
    'fetch-size': { type: 'string', value: 'bytes', help: 'Bytes to fetch per partition in one request (default 1048576).' },
    'from-latest': { type: 'boolean', help: "Without a committed offset, start at the log's end instead of its start." },
    'socket-buffer-size': { type: 'string', value: 'bytes', help: "The TCP receive buffer Kafka's tool asks for; Node's socket sizes its own, so a warning says it is not applied." },
    'consumer.config': { type: 'string', value: 'file', help: 'A properties file of consumer settings (TLS and SASL settings are refused).' },
    'command-config': { type: 'string', value: 'file', help: "Kafka 4.2's name for --consumer.config." },
    'command-property': { type: 'string', multiple: true, value: 'k=v', help: 'A consumer setting; wins over the config file.' },
    'show-detailed-stats': { type: 'boolean', help: 'Print a row per reporting interval instead of one summary.' },
    timeout: { type: 'string', value: 'ms', help: 'Stop when no message arrived for this long (default 10000).' },
    'reporting-interval': { type: 'string', value: 'ms', help: 'Interval of --show-detailed-stats rows (default 5000).' },
    'date-format': { type: 'string', value: 'pattern', help: `A java.text.SimpleDateFormat pattern for the times (default ${DATE_FORMAT_DEFAULT}).` },
    'hide-header': { type: 'boolean', help: 'Do not print the header row.' },
    'print-metrics': { type: 'boolean', help: "Print the client's metrics (not supported yet: refused)." },
    json: { type: 'boolean', help: 'Print the summary as one JSON object instead of the header and row.' },
  },
};

export async function run(argv: string[], io: Io): Promise<number> {
  let consumer: Consumer | undefined;
  try {
    const { values } = parseFlags(spec, argv);
    if (bool(values, 'help')) {
      io.stdout.write(helpText(spec));
      return 0;
    }
    if (bool(values, 'print-metrics')) throw new UsageError("--print-metrics is not supported: samsa's client keeps no metrics yet.");
    const topic = str(values, 'topic');
    if (topic === undefined) throw new UsageError("--topic is required, as in '--topic my-topic'.");
    const numMessages = int(values, 'messages', { min: 0 });
    if (numMessages === undefined) throw new UsageError("--messages is required, as in '--messages 1000'.");
    const servers = bootstrapServer(values);
    const fetchSize = int(values, 'fetch-size', { min: 1 }) ?? FETCH_SIZE_DEFAULT;
    if (int(values, 'socket-buffer-size', { min: 1 }) !== undefined) io.stderr.write("Ignoring --socket-buffer-size: Node sizes the socket's receive buffer itself.\n");
    const timeoutMs = int(values, 'timeout', { min: 0 }) ?? TIMEOUT_MS_DEFAULT;
    const reportingText = str(values, 'reporting-interval');
    if (reportingText !== undefined && !/^\d+$/.test(reportingText)) throw new UsageError(`--reporting-interval must be a whole number of milliseconds, not '${reportingText}'.`);
    const reportingIntervalMs = reportingText === undefined ? REPORTING_INTERVAL_MS_DEFAULT : Number(reportingText);
    if (reportingIntervalMs <= 0) throw new UsageError('Reporting interval must be greater than 0.');
    const date = javaDateFormat(str(values, 'date-format') ?? DATE_FORMAT_DEFAULT);
    const detailed = bool(values, 'show-detailed-stats');
    const json = bool(values, 'json');
    if (json && detailed) throw new UsageError('--json prints one summary; it cannot be combined with --show-detailed-stats.');

    // As in Kafka, the tool's own flags win over the config file: the group, fetch size and reset.
    const config = loadClientConfig(
      {
        role: 'consumer',
        file: str(values, 'command-config') ?? str(values, 'consumer.config'),
        items: { flag: 'command-property', values: list(values, 'command-property') },
        overrides: {
          'bootstrap.servers': servers,
          'group.id': str(values, 'group') ?? `perf-consumer-${randomInt(100_000)}`,
          'max.partition.fetch.bytes': String(fetchSize),
          'auto.offset.reset': bool(values, 'from-latest') ? 'latest' : 'earliest',
        },
      },
      io,
    );
    if (!bool(values, 'hide-header') && !json) io.stdout.write(consumerHeader(detailed));
    consumer = createClient({ clientId: 'perf-consumer-client', ...config.client, bootstrapServers: servers }).consumer(config.consumer);

    const startMs = Date.now();
    const totals = await consume(consumer, { topic, numMessages, timeoutMs, reportingIntervalMs, detailed, json, date, io, startMs });
    const endMs = Date.now();
    await consumer.close();
    consumer = undefined;
    if (json) io.stdout.write(`${JSON.stringify(consumerSummary({ startMs, endMs, ...totals }))}\n`);
    else if (!detailed) io.stdout.write(consumerTotalRow({ startMs, endMs, ...totals }, date));
    return 0;
  } catch (err) {
    return reportError(err, io);
  } finally {
    await consumer?.close();
  }
}

interface ConsumeOptions {
  topic: string;
  numMessages: number;
  timeoutMs: number;
  reportingIntervalMs: number;
  detailed: boolean;
  /** With --json, stdout holds only the summary, so the warning goes to stderr. */
  json: boolean;
  date: (ms: number) => string;
  io: Io;
  startMs: number;
}

/** Kafka's loop: every record of the last poll counts, so the total may pass --messages. */
async function consume(consumer: Consumer, o: ConsumeOptions): Promise<{ bytes: number; messages: number; joinTimeMs: number }> {
  let joinStartMs = o.startMs;
  let joinTimeMs = 0;
  let joinTimeMsInRound = 0;
  consumer.subscribe([o.topic], {
    onPartitionsRevoked: () => {
      joinStartMs = Date.now();
    },
    onPartitionsAssigned: () => {
      const elapsed = Date.now() - joinStartMs;
      joinTimeMs += elapsed;
      joinTimeMsInRound += elapsed;
    },
  });
  let bytes = 0;
  let messages = 0;
  let lastBytes = 0;
  let lastMessages = 0;
  let now = Date.now();
  let lastReportMs = now;
  let lastConsumedMs = now;
  while (messages < o.numMessages && now - lastConsumedMs <= o.timeoutMs) {
    const records = await consumer.poll({ timeoutMs: POLL_MS });
    now = Date.now();
    if (records.length > 0) lastConsumedMs = now;
    for (const r of records) {
      messages += 1;
      bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0);
      if (now - lastReportMs >= o.reportingIntervalMs) {
        if (o.detailed) {
          const row = { bytes, lastBytes, messages, lastMessages, startMs: lastReportMs, endMs: now, joinTimeMs: joinTimeMsInRound };
          o.io.stdout.write(consumerProgressRow(row, o.date));
        }
        joinTimeMsInRound = 0;
        lastReportMs = now;
        lastMessages = messages;
        lastBytes = bytes;
      }
    }
  }
  if (messages < o.numMessages) {
    (o.json ? o.io.stderr : o.io.stdout).write(
      `WARNING: Exiting before consuming the expected number of messages: timeout (${o.timeoutMs} ms) exceeded. You can use the --timeout option to increase the timeout.\n`,
    );
  }
  return { bytes, messages, joinTimeMs };
}
