/** `samsa console-consumer`: Kafka's kafka-console-consumer.sh — prints messages, one per line. */
import { readPropertiesFile } from '../cluster/config.js';
import { createClient, type Client, type Consumer, type ConsumerMessage, type TopicPartitionOffset } from '../client/index.js';
import { loadClientConfig } from './client-config.js';
import { bool, bootstrapServer, helpText, int, keyValues, list, parseFlags, reportError, str, UsageError, writeOut, type Io, type ParsedFlags, type ToolSpec } from './common.js';
import { DEFAULT_FORMATTER, formatMessage, formatterKind, logLine, outputFormat, type OutputFormat } from './message-formatter.js';

/** Longest single poll, so that signals and --timeout-ms are noticed promptly. */
const POLL_MS_MAX = 1000;

export const spec: ToolSpec = {
  name: 'console-consumer',
  summary: 'Print messages from a topic to stdout, one per line.',
  usage: 'samsa console-consumer --bootstrap-server <host:port> (--topic <name> | --include <regex>) [options]',
  flags: {
    'bootstrap-server': { type: 'string', value: 'host:port', help: 'The broker(s) to connect to, comma-separated.' },
    topic: { type: 'string', value: 'name', help: 'The topic to read.' },
    include: { type: 'string', value: 'regex', help: 'Read every topic whose whole name matches this regular expression (instead of --topic).' },
    'from-beginning': { type: 'boolean', help: 'Start at the earliest message instead of the latest.' },
    partition: { type: 'string', value: 'n', help: 'Read only this partition (default: all partitions).' },
    offset: { type: 'string', value: 'offset', help: 'earliest, latest (default) or an offset; needs --partition.' },
    'max-messages': { type: 'string', value: 'n', help: 'Exit after this many messages.' },
    'timeout-ms': { type: 'string', value: 'ms', help: 'Exit when no message arrived for this long.' },
    formatter: { type: 'string', value: 'class', help: `${DEFAULT_FORMATTER} (default), ...LoggingMessageFormatter or ...NoOpMessageFormatter (also Kafka 3's kafka.tools.* names).` },
    'formatter-config': { type: 'string', value: 'file', help: 'A properties file of formatter settings; --property wins over it.' },
    property: {
      type: 'string',
      multiple: true,
      value: 'key=value',
      help: 'Formatter settings: print.key, print.offset, print.partition, print.timestamp, print.headers, print.value=true|false, key.separator, line.separator, headers.separator, null.literal, key.deserializer, value.deserializer.',
    },
    'key-deserializer': { type: 'string', value: 'class', help: 'How to show keys, e.g. org.apache.kafka.common.serialization.LongDeserializer.' },
    'value-deserializer': { type: 'string', value: 'class', help: 'How to show values, e.g. org.apache.kafka.common.serialization.StringDeserializer.' },
    'consumer-property': {
      type: 'string',
      multiple: true,
      value: 'key=value',
      help: 'Consumer settings: client.id, group.id, group.instance.id, auto.offset.reset, isolation.level, fetch.min.bytes, fetch.max.wait.ms, max.partition.fetch.bytes, partition.assignment.strategy, … (TLS and SASL settings are refused).',
    },
    'consumer.config': { type: 'string', value: 'file', help: 'A properties file of consumer settings; --consumer-property wins over it.' },
    'isolation-level': { type: 'string', value: 'level', help: 'read_uncommitted (default) or read_committed.' },
    group: { type: 'string', value: 'id', help: "Read as a member of this consumer group: share the topic's partitions with its other members, commit offsets, resume where the group left off." },
  },
};

export async function run(argv: string[], io: Io): Promise<number> {
  let client: Client | undefined;
  let consumer: Consumer | undefined;
  const stopSignals = new AbortController();
  const onSignal = (): void => stopSignals.abort();
  try {
    const { values } = parseFlags(spec, argv);
    if (bool(values, 'help')) {
      io.stdout.write(helpText(spec));
      return 0;
    }
    const servers = bootstrapServer(values);
    const topic = str(values, 'topic');
    const include = str(values, 'include');
    if ((topic === undefined) === (include === undefined)) throw new UsageError(`Exactly one of --include/--topic is required, as in '--topic my-topic'.`);
    const partition = int(values, 'partition', { min: 0 });
    const offsetText = str(values, 'offset');
    const fromBeginning = bool(values, 'from-beginning');
    if (partition !== undefined && topic === undefined) throw new UsageError('--partition needs --topic: the topic is required when a partition is given.');
    if (offsetText !== undefined && partition === undefined) {
      throw new UsageError('--offset needs --partition: the partition is required when an offset is given.');
    }
    if (offsetText !== undefined && fromBeginning) {
      throw new UsageError('--from-beginning and --offset cannot be given together; use --offset earliest instead.');
    }
    const start = parseOffset(offsetText, fromBeginning);
    const maxMessages = int(values, 'max-messages', { min: 1 });
    const timeoutMs = int(values, 'timeout-ms', { min: 0 });
    const format = outputFormat(formatterProperties(values), io, formatterKind(str(values, 'formatter') ?? DEFAULT_FORMATTER));
    const pattern = include === undefined ? undefined : topicPattern(include);

    const consumerConfig = str(values, 'consumer.config');
    const propertyItems = list(values, 'consumer-property');
    const groupId = agreedGroup(str(values, 'group'), consumerConfig === undefined ? undefined : readPropertiesFile(consumerConfig)['group.id'], keyValues(propertyItems, 'consumer-property').get('group.id'));
    if (groupId !== undefined && partition !== undefined) {
      throw new UsageError('--partition cannot be used with --group: the group decides which partitions each member reads; drop one of them.');
    }
    const config = loadClientConfig(
      {
        role: 'consumer',
        file: consumerConfig,
        items: { flag: 'consumer-property', values: propertyItems },
        overrides: { 'bootstrap.servers': servers, 'isolation.level': str(values, 'isolation-level') },
      },
      io,
    );
    const reset = config.consumer.autoOffsetReset;
    if (fromBeginning && reset !== undefined && reset !== 'earliest') {
      throw new UsageError(`Can't simultaneously specify --from-beginning and 'auto.offset.reset=${reset}', please remove one option.`);
    }

    client = createClient({ clientId: 'samsa-console-consumer', ...config.client, bootstrapServers: servers });
    const topics = pattern === undefined ? [topic!] : await matchingTopics(client, pattern, include!);
    consumer = client.consumer({
      ...config.consumer,
      autoOffsetReset: reset ?? (fromBeginning ? 'earliest' : 'latest'),
      groupId,
    });
    if (groupId !== undefined) {
      // The group's committed offsets win; --from-beginning only says where a new group starts.
      consumer.subscribe(topics);
    } else {
      // As in Kafka: --partition starts at --offset (latest unless --from-beginning); whole topics start where auto.offset.reset says.
      const assignment: TopicPartitionOffset[] = [];
      for (const t of topics) {
        const partitions = partition === undefined ? await consumer.partitionsFor(t) : [partition];
        for (const p of partitions) assignment.push({ topic: t, partition: p, offset: partition === undefined ? undefined : start });
      }
      consumer.assign(assignment);
    }

    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let count = 0;
    try {
      count = await consume({ consumer, io, format, maxMessages, timeoutMs, stop: stopSignals.signal });
    } finally {
      io.stderr.write(`Processed a total of ${count} messages\n`);
    }
    return 0;
  } catch (err) {
    return reportError(err, io);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await client?.close();
  }
}

function parseOffset(text: string | undefined, fromBeginning: boolean): TopicPartitionOffset['offset'] {
  if (text === undefined) return fromBeginning ? 'earliest' : 'latest';
  if (text === 'earliest' || text === 'latest') return text;
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < 0) {
    throw new UsageError(`--offset must be earliest, latest or a non-negative offset, not '${text}'.`);
  }
  return n;
}

/** Kafka's --formatter-config file, then --key-deserializer/--value-deserializer, then --property. */
function formatterProperties(values: ParsedFlags): Map<string, string> {
  const file = str(values, 'formatter-config');
  const props = new Map(file === undefined ? [] : Object.entries(readPropertiesFile(file)));
  const key = str(values, 'key-deserializer');
  const value = str(values, 'value-deserializer');
  if (key !== undefined && key !== '') props.set('key.deserializer', key);
  if (value !== undefined && value !== '') props.set('value.deserializer', value);
  for (const [k, v] of keyValues(list(values, 'property'), 'property')) props.set(k, v);
  return props;
}

/** As Kafka's pattern subscription: the whole topic name must match. */
function topicPattern(regex: string): RegExp {
  try {
    return new RegExp(`^(?:${regex})$`);
  } catch {
    throw new UsageError(`--include must be a regular expression, not '${regex}'.`);
  }
}

/** The topics --include names now (internal topics excluded, as Kafka's exclude.internal.topics does). */
async function matchingTopics(client: Client, pattern: RegExp, include: string): Promise<string[]> {
  const admin = client.admin();
  try {
    const names = (await admin.listTopics()).filter((t) => pattern.test(t)).sort();
    if (names.length === 0) throw new UsageError(`No topic matches --include '${include}'.`);
    return names;
  } finally {
    await admin.close();
  }
}

/** --group, group.id in --consumer.config and in --consumer-property must agree, as in Kafka. */
function agreedGroup(...given: Array<string | undefined>): string | undefined {
  const ids = [...new Set(given.filter((g): g is string => g !== undefined))];
  if (ids.length > 1) {
    throw new UsageError(
      `The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: ${ids.map((g) => `'${g}'`).join(', ')}`,
    );
  }
  return ids[0];
}

/**
 * Moves each partition back to its first message that was fetched but not printed, so that a
 * group commits exactly what was shown and the next run prints the rest.
 */
function rewindUnprinted(consumer: Consumer, unprinted: ConsumerMessage[]): void {
  const first = new Map<string, ConsumerMessage>();
  for (const m of unprinted) if (!first.has(`${m.topic}\u0000${m.partition}`)) first.set(`${m.topic}\u0000${m.partition}`, m);
  for (const m of first.values()) consumer.seek({ topic: m.topic, partition: m.partition, offset: m.offset });
}

/** Polls and prints until --max-messages, --timeout-ms of silence, or a signal; returns the count. */
async function consume(o: {
  consumer: Consumer;
  io: Io;
  format: OutputFormat;
  maxMessages?: number;
  timeoutMs?: number;
  stop: AbortSignal;
}): Promise<number> {
  let count = 0;
  let lastMessageAt = Date.now();
  let outputClosed = false;
  o.io.stdout.on('error', () => (outputClosed = true)); // e.g. EPIPE from `| head`
  while (!o.stop.aborted && !outputClosed) {
    let pollMs = POLL_MS_MAX;
    if (o.timeoutMs !== undefined) {
      const left = lastMessageAt + o.timeoutMs - Date.now();
      if (left <= 0) break;
      pollMs = Math.min(pollMs, left);
    }
    const messages = await o.consumer.poll({ timeoutMs: pollMs });
    if (messages.length > 0) lastMessageAt = Date.now();
    for (let i = 0; i < messages.length; i++) {
      await writeOut(o.io.stdout, formatMessage(messages[i]!, o.format));
      if (o.format.kind === 'logging') o.io.stderr.write(logLine(messages[i]!));
      count += 1;
      if (o.maxMessages !== undefined && count >= o.maxMessages) {
        rewindUnprinted(o.consumer, messages.slice(i + 1));
        return count;
      }
    }
  }
  return count;
}
