/** `samsa console-producer`: Kafka's kafka-console-producer.sh — one message per line of stdin. */
import { createInterface } from 'node:readline';
import { createClient, type CompressionType, type Producer, type ProducerMessage } from '../client/index.js';
import { loadClientConfig } from './client-config.js';
import { bootstrapServer, helpText, keyValues, list, parseFlags, reportError, str, UsageError, type Io, type ToolSpec } from './common.js';

/** Lines sent per Produce request at most; more lines wait for the previous send (backpressure). */
const BATCH_MESSAGES_MAX = 1000;
/** How long a partial batch waits for more lines, so interactive typing is sent promptly (linger.ms overrides it). */
const LINGER_MS = 5;
/** Bytes of keys and values per send at most, Kafka's batch.size default (batch.size overrides it). */
const BATCH_BYTES_MAX = 16_384;
const COMPRESSIONS: readonly CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
/** Reader properties this tool understands (Kafka's LineMessageReader names). */
const READER_PROPERTIES = new Set(['parse.key', 'key.separator', 'null.marker', 'ignore.error']);

export const spec: ToolSpec = {
  name: 'console-producer',
  summary: 'Read lines from stdin and send each as a message.',
  usage: 'samsa console-producer --bootstrap-server <host:port> --topic <name> [options] < lines.txt',
  flags: {
    'bootstrap-server': { type: 'string', value: 'host:port', help: 'The broker(s) to connect to, comma-separated.' },
    'broker-list': { type: 'string', value: 'host:port', help: 'Old name for --bootstrap-server.' },
    topic: { type: 'string', value: 'name', help: 'The topic to send to.' },
    property: { type: 'string', multiple: true, value: 'key=value', help: 'Line parsing: parse.key=true, key.separator=<sep> (default tab), null.marker=<text>.' },
    'producer-property': {
      type: 'string',
      multiple: true,
      value: 'key=value',
      help: 'Producer settings: acks, compression.type, client.id, request.timeout.ms, enable.idempotence, linger.ms, batch.size, retries, … (TLS and SASL settings are refused).',
    },
    'producer.config': { type: 'string', value: 'file', help: 'A properties file of producer settings; --producer-property wins over it.' },
    'compression-codec': { type: 'string', value: 'codec', help: `Compression: ${COMPRESSIONS.join(', ')} (default none).` },
    'request-required-acks': { type: 'string', value: 'acks', help: 'all, -1, 1 or 0 (default all).' },
  },
};

interface LineFormat {
  parseKey: boolean;
  /** With parse.key: a line without the separator becomes a value with no key instead of an error. */
  ignoreError: boolean;
  keySeparator: string;
  nullMarker: string | undefined;
}

export async function run(argv: string[], io: Io): Promise<number> {
  let producer: Producer | undefined;
  try {
    const { values } = parseFlags(spec, argv);
    if (values.help === true) {
      io.stdout.write(helpText(spec));
      return 0;
    }
    const servers = bootstrapServer(values, 'broker-list');
    const topic = str(values, 'topic');
    if (topic === undefined) throw new UsageError(`--topic is required, as in '--topic my-topic'.`);
    const format = lineFormat(keyValues(list(values, 'property'), 'property'), io);
    const compression = str(values, 'compression-codec');
    if (compression !== undefined && !COMPRESSIONS.includes(compression as CompressionType)) {
      throw new UsageError(`--compression-codec must be one of ${COMPRESSIONS.join(', ')}, not '${compression}'.`);
    }
    // As in Kafka, the dedicated flags win over --producer-property, which wins over --producer.config.
    const config = loadClientConfig(
      {
        role: 'producer',
        file: str(values, 'producer.config'),
        items: { flag: 'producer-property', values: list(values, 'producer-property') },
        overrides: { 'bootstrap.servers': servers, acks: str(values, 'request-required-acks'), 'compression.type': compression },
      },
      io,
    );
    producer = createClient({ clientId: 'samsa-console-producer', ...config.client, bootstrapServers: servers }).producer(config.producer);
    const limits = { lingerMs: config.lingerMs ?? LINGER_MS, batchBytes: Math.max(1, config.batchBytes ?? BATCH_BYTES_MAX) };
    await pump({ io, producer, topic, format, ...limits });
    return 0;
  } catch (err) {
    return reportError(err, io);
  } finally {
    await producer?.close();
  }
}

function lineFormat(props: Map<string, string>, io: Io): LineFormat {
  for (const key of props.keys()) {
    if (!READER_PROPERTIES.has(key)) io.stderr.write(`Ignoring --property ${key}: samsa console-producer does not support it yet.\n`);
  }
  const keySeparator = props.get('key.separator') ?? '\t';
  if (keySeparator === '') throw new UsageError('key.separator cannot be empty.');
  return {
    parseKey: props.get('parse.key')?.toLowerCase() === 'true',
    ignoreError: props.get('ignore.error')?.toLowerCase() === 'true',
    keySeparator,
    nullMarker: props.get('null.marker'),
  };
}

export function parseLine(line: string, lineNumber: number, f: LineFormat): ProducerMessage {
  const orNull = (s: string): string | null => (f.nullMarker !== undefined && s === f.nullMarker ? null : s);
  if (!f.parseKey) return { value: orNull(line) };
  const at = line.indexOf(f.keySeparator);
  if (at < 0) {
    if (f.ignoreError) return { value: orNull(line) };
    throw new UsageError(`No key separator ${JSON.stringify(f.keySeparator)} found on line number ${lineNumber}: '${line}'.`);
  }
  return { key: orNull(line.slice(0, at)), value: orNull(line.slice(at + f.keySeparator.length)) };
}

/** Reads stdin to EOF, sending lines in order in batches; rejects on the first failed send. */
async function pump(o: { io: Io; producer: Producer; topic: string; format: LineFormat; lingerMs: number; batchBytes: number }): Promise<void> {
  const lines = createInterface({ input: o.io.stdin, crlfDelay: Infinity });
  let batch: ProducerMessage[] = [];
  let bytes = 0;
  let sending: Promise<unknown> = Promise.resolve();
  let linger: NodeJS.Timeout | undefined;
  const flush = (): void => {
    if (linger !== undefined) clearTimeout(linger);
    linger = undefined;
    if (batch.length === 0) return;
    const messages = batch;
    batch = [];
    bytes = 0;
    // Chained so that lines keep their order; a failure skips every later send.
    sending = sending.then(() => o.producer.send({ topic: o.topic, messages }));
    sending.catch(() => undefined);
  };
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber += 1;
      const message = parseLine(line, lineNumber, o.format);
      batch.push(message);
      bytes += byteLength(message.key) + byteLength(message.value);
      if (batch.length >= BATCH_MESSAGES_MAX || bytes >= o.batchBytes) {
        flush();
        await sending;
      } else if (linger === undefined) {
        linger = setTimeout(flush, o.lingerMs);
      }
    }
  } catch (err) {
    // Lines read before a bad one are still sent, as Kafka's tool does.
    flush();
    await sending.catch(() => undefined);
    throw err;
  } finally {
    lines.close();
  }
  flush();
  await sending;
}

function byteLength(b: ProducerMessage['value'] | undefined): number {
  return b === null || b === undefined ? 0 : typeof b === 'string' ? Buffer.byteLength(b) : b.length;
}
