/** `samsa console-consumer`: Kafka's kafka-console-consumer.sh — prints messages, one per line. */
import { createClient, type AssignorName, type Consumer, type ConsumerMessage, type TopicPartitionOffset } from '../client/index.js';
import { bool, bootstrapServer, helpText, int, keyValues, list, parseFlags, reportError, str, UsageError, writeOut, type Io, type ToolSpec } from './common.js';

/** --consumer-property keys this tool understands. */
const CONSUMER_PROPERTIES = new Set(['client.id', 'group.id', 'group.instance.id', 'fetch.max.wait.ms', 'fetch.min.bytes', 'partition.assignment.strategy']);
/** Longest single poll, so that signals and --timeout-ms are noticed promptly. */
const POLL_MS_MAX = 1000;
/** Properties of Kafka's DefaultMessageFormatter that this tool understands. */
const FORMATTER_PROPERTIES = new Set([
  'print.timestamp', 'print.key', 'print.offset', 'print.partition', 'print.headers', 'print.value',
  'key.separator', 'line.separator', 'headers.separator', 'headers.key.separator', 'null.literal',
]);

export const spec: ToolSpec = {
  name: 'console-consumer',
  summary: 'Print messages from a topic to stdout, one per line.',
  usage: 'samsa console-consumer --bootstrap-server <host:port> --topic <name> [options]',
  flags: {
    'bootstrap-server': { type: 'string', value: 'host:port', help: 'The broker(s) to connect to, comma-separated.' },
    topic: { type: 'string', value: 'name', help: 'The topic to read.' },
    'from-beginning': { type: 'boolean', help: 'Start at the earliest message instead of the latest.' },
    partition: { type: 'string', value: 'n', help: 'Read only this partition (default: all partitions).' },
    offset: { type: 'string', value: 'offset', help: 'earliest, latest (default) or an offset; needs --partition.' },
    'max-messages': { type: 'string', value: 'n', help: 'Exit after this many messages.' },
    'timeout-ms': { type: 'string', value: 'ms', help: 'Exit when no message arrived for this long.' },
    property: {
      type: 'string',
      multiple: true,
      value: 'key=value',
      help: 'Output format: print.key, print.offset, print.partition, print.timestamp, print.headers, print.value=true|false, key.separator, line.separator, null.literal.',
    },
    'consumer-property': {
      type: 'string',
      multiple: true,
      value: 'key=value',
      help: 'Consumer settings: client.id, group.id, group.instance.id, fetch.max.wait.ms, fetch.min.bytes, partition.assignment.strategy (range|cooperative-sticky).',
    },
    group: { type: 'string', value: 'id', help: "Read as a member of this consumer group: share the topic's partitions with its other members, commit offsets, resume where the group left off." },
  },
};

export interface OutputFormat {
  printTimestamp: boolean;
  printKey: boolean;
  printOffset: boolean;
  printPartition: boolean;
  printHeaders: boolean;
  printValue: boolean;
  keySeparator: string;
  lineSeparator: string;
  headersSeparator: string;
  headersKeySeparator: string;
  nullLiteral: string;
}

export async function run(argv: string[], io: Io): Promise<number> {
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
    if (topic === undefined) throw new UsageError(`--topic is required, as in '--topic my-topic'.`);
    const partition = int(values, 'partition', { min: 0 });
    const offsetText = str(values, 'offset');
    const fromBeginning = bool(values, 'from-beginning');
    if (offsetText !== undefined && partition === undefined) {
      throw new UsageError('--offset needs --partition: the partition is required when an offset is given.');
    }
    if (offsetText !== undefined && fromBeginning) {
      throw new UsageError('--from-beginning and --offset cannot be given together; use --offset earliest instead.');
    }
    const start = parseOffset(offsetText, fromBeginning);
    const maxMessages = int(values, 'max-messages', { min: 1 });
    const timeoutMs = int(values, 'timeout-ms', { min: 0 });
    const format = outputFormat(keyValues(list(values, 'property'), 'property'), io);
    const consumerProps = keyValues(list(values, 'consumer-property'), 'consumer-property');
    for (const key of consumerProps.keys()) {
      if (!CONSUMER_PROPERTIES.has(key)) io.stderr.write(`Ignoring --consumer-property ${key}: samsa does not support it yet.\n`);
    }
    const flagGroup = str(values, 'group');
    const propGroup = consumerProps.get('group.id');
    if (flagGroup !== undefined && propGroup !== undefined && flagGroup !== propGroup) {
      throw new UsageError(`--group '${flagGroup}' and --consumer-property group.id=${propGroup} disagree; give the group once.`);
    }
    const groupId = flagGroup ?? propGroup;
    if (groupId !== undefined && partition !== undefined) {
      throw new UsageError('--partition cannot be used with --group: the group decides which partitions each member reads; drop one of them.');
    }

    consumer = createClient({ bootstrapServers: servers, clientId: consumerProps.get('client.id') ?? 'samsa-console-consumer' }).consumer({
      autoOffsetReset: fromBeginning || start === 'earliest' ? 'earliest' : 'latest',
      maxWaitMs: positiveNumber(consumerProps.get('fetch.max.wait.ms'), 'fetch.max.wait.ms'),
      minBytes: positiveNumber(consumerProps.get('fetch.min.bytes'), 'fetch.min.bytes'),
      groupId,
      groupInstanceId: consumerProps.get('group.instance.id'),
      partitionAssignors: assignors(consumerProps.get('partition.assignment.strategy')),
    });
    if (groupId !== undefined) {
      // The group's committed offsets win; --from-beginning only says where a new group starts.
      consumer.subscribe([topic]);
    } else {
      const partitions = partition === undefined ? await consumer.partitionsFor(topic) : [partition];
      consumer.assign(partitions.map((p): TopicPartitionOffset => ({ topic, partition: p, offset: start })));
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
    await consumer?.close();
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

/** Kafka's assignor class names or Samsa's short names, comma-separated. */
function assignors(text: string | undefined): AssignorName[] | undefined {
  if (text === undefined) return undefined;
  return text.split(',').map((name) => {
    const short = name.trim().replace(/^org\.apache\.kafka\.clients\.consumer\./, '');
    if (short === 'range' || short === 'RangeAssignor') return 'range';
    if (short === 'cooperative-sticky' || short === 'CooperativeStickyAssignor') return 'cooperative-sticky';
    throw new UsageError(`partition.assignment.strategy '${name.trim()}' is not one samsa has; use range or cooperative-sticky.`);
  });
}

function positiveNumber(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} must be a non-negative whole number, not '${text}'.`);
  return n;
}

export function outputFormat(props: Map<string, string>, io: Io): OutputFormat {
  for (const key of props.keys()) {
    if (!FORMATTER_PROPERTIES.has(key)) io.stderr.write(`Ignoring --property ${key}: samsa console-consumer does not support it yet.\n`);
  }
  const flag = (name: string, dflt: boolean): boolean => {
    const v = props.get(name);
    return v === undefined ? dflt : v.trim().toLowerCase() === 'true';
  };
  return {
    printTimestamp: flag('print.timestamp', false),
    printKey: flag('print.key', false),
    printOffset: flag('print.offset', false),
    printPartition: flag('print.partition', false),
    printHeaders: flag('print.headers', false),
    printValue: flag('print.value', true),
    keySeparator: unescape(props.get('key.separator') ?? '\t'),
    lineSeparator: unescape(props.get('line.separator') ?? '\n'),
    headersSeparator: unescape(props.get('headers.separator') ?? ','),
    headersKeySeparator: unescape(props.get('headers.key.separator') ?? ':'),
    nullLiteral: props.get('null.literal') ?? 'null',
  };
}

/** Shells make a literal tab hard to pass, so "\t" and "\n" in separators mean tab and newline. */
function unescape(s: string): string {
  return s.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

/** One message in Kafka's DefaultMessageFormatter layout, e.g. `CreateTime:1700000000000\tkey\tvalue\n`. */
export function formatMessage(m: ConsumerMessage, f: OutputFormat): Buffer {
  const fields: Buffer[] = [];
  const text = (s: string): Buffer => Buffer.from(s, 'utf8');
  const bytes = (b: Buffer | null): Buffer => (b === null ? text(f.nullLiteral) : b);
  if (f.printTimestamp) fields.push(text(`${m.timestampType}:${m.timestamp}`));
  if (f.printPartition) fields.push(text(`Partition:${m.partition}`));
  if (f.printOffset) fields.push(text(`Offset:${m.offset}`));
  if (f.printHeaders) {
    const parts = m.headers.map((h) => Buffer.concat([text(h.key), text(f.headersKeySeparator), bytes(h.value)]));
    fields.push(parts.length === 0 ? text('NO_HEADERS') : Buffer.concat(parts.flatMap((p, i) => (i === 0 ? [p] : [text(f.headersSeparator), p]))));
  }
  if (f.printKey) fields.push(bytes(m.key));
  if (f.printValue) fields.push(bytes(m.value));
  const sep = text(f.keySeparator);
  const joined = fields.flatMap((b, i) => (i === 0 ? [b] : [sep, b]));
  if (fields.length > 0) joined.push(text(f.lineSeparator));
  return Buffer.concat(joined);
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
      count += 1;
      if (o.maxMessages !== undefined && count >= o.maxMessages) {
        rewindUnprinted(o.consumer, messages.slice(i + 1));
        return count;
      }
    }
  }
  return count;
}
