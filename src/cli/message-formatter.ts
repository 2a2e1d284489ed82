/**
 * The console consumer's --formatter and its --property settings: Kafka's DefaultMessageFormatter
 * layout (`CreateTime:1700000000000\tPartition:0\tOffset:3\th1:v1,h2:v2\tkey\tvalue`), the
 * LoggingMessageFormatter (the same, plus a log line per message on stderr) and the
 * NoOpMessageFormatter (nothing), under Kafka's class names.
 */
import type { ConsumerMessage } from '../client/index.js';
import { UsageError, type Io } from './common.js';

export type FormatterKind = 'default' | 'logging' | 'noop';

/** Kafka 3.x's names (kafka.tools.*) and 4.x's (org.apache.kafka.tools.consumer.*). */
const FORMATTER_CLASSES: Record<string, FormatterKind> = {
  'org.apache.kafka.tools.consumer.DefaultMessageFormatter': 'default',
  'kafka.tools.DefaultMessageFormatter': 'default',
  'org.apache.kafka.tools.consumer.LoggingMessageFormatter': 'logging',
  'kafka.tools.LoggingMessageFormatter': 'logging',
  'org.apache.kafka.tools.consumer.NoOpMessageFormatter': 'noop',
  'kafka.tools.NoOpMessageFormatter': 'noop',
};
export const DEFAULT_FORMATTER = 'org.apache.kafka.tools.consumer.DefaultMessageFormatter';

/** Properties of Kafka's DefaultMessageFormatter that this tool understands. */
const FORMATTER_PROPERTIES = new Set([
  'print.timestamp', 'print.key', 'print.offset', 'print.partition', 'print.headers', 'print.value', 'print.delivery',
  'key.separator', 'line.separator', 'headers.separator', 'headers.key.separator', 'null.literal',
  'key.deserializer', 'value.deserializer', 'headers.deserializer',
]);

/** Kafka's deserializers whose output this tool can render, by the bytes they read. */
type Deserializer = (bytes: Buffer) => string;
const SERDE = 'org.apache.kafka.common.serialization.';
const DESERIALIZERS: Record<string, Deserializer> = {
  [`${SERDE}StringDeserializer`]: (b) => b.toString('utf8'),
  [`${SERDE}UUIDDeserializer`]: (b) => b.toString('utf8'),
  [`${SERDE}LongDeserializer`]: (b) => sized(b, 8, 'Long').readBigInt64BE().toString(),
  [`${SERDE}IntegerDeserializer`]: (b) => String(sized(b, 4, 'Integer').readInt32BE()),
  [`${SERDE}ShortDeserializer`]: (b) => String(sized(b, 2, 'Short').readInt16BE()),
  [`${SERDE}DoubleDeserializer`]: (b) => javaDouble(sized(b, 8, 'Double').readDoubleBE()),
  [`${SERDE}FloatDeserializer`]: (b) => javaDouble(sized(b, 4, 'Float').readFloatBE()),
};

/** A record's bytes do not fit the deserializer asked for (Kafka's SerializationException). */
export class DeserializationError extends Error {
  override name = 'DeserializationError';
}

function sized(b: Buffer, size: number, name: string): Buffer {
  if (b.length !== size) throw new DeserializationError(`Size of data received by ${name}Deserializer is not ${size} but ${b.length}.`);
  return b;
}

/** Java prints whole doubles with ".0" (1.0, not 1). */
function javaDouble(n: number): string {
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

export interface OutputFormat {
  kind: FormatterKind;
  printTimestamp: boolean;
  printKey: boolean;
  printOffset: boolean;
  printPartition: boolean;
  printDelivery: boolean;
  printHeaders: boolean;
  printValue: boolean;
  keySeparator: string;
  lineSeparator: string;
  headersSeparator: string;
  headersKeySeparator: string;
  nullLiteral: string;
  key?: Deserializer;
  value?: Deserializer;
  headers?: Deserializer;
}

export function formatterKind(className: string): FormatterKind {
  const kind = FORMATTER_CLASSES[className.trim()];
  if (kind !== undefined) return kind;
  throw new UsageError(
    `--formatter ${className} is not a formatter samsa has; use ${DEFAULT_FORMATTER}, org.apache.kafka.tools.consumer.LoggingMessageFormatter or org.apache.kafka.tools.consumer.NoOpMessageFormatter.`,
  );
}

export function outputFormat(props: Map<string, string>, io: Io, kind: FormatterKind = 'default'): OutputFormat {
  for (const key of props.keys()) {
    if (!FORMATTER_PROPERTIES.has(key)) io.stderr.write(`Ignoring --property ${key}: samsa console-consumer does not support it yet.\n`);
  }
  const flag = (name: string, dflt: boolean): boolean => {
    const v = props.get(name);
    return v === undefined ? dflt : v.trim().toLowerCase() === 'true';
  };
  return {
    kind,
    printTimestamp: flag('print.timestamp', false),
    printKey: flag('print.key', false),
    printOffset: flag('print.offset', false),
    printPartition: flag('print.partition', false),
    printDelivery: flag('print.delivery', false),
    printHeaders: flag('print.headers', false),
    printValue: flag('print.value', true),
    keySeparator: unescape(props.get('key.separator') ?? '\t'),
    lineSeparator: unescape(props.get('line.separator') ?? '\n'),
    headersSeparator: unescape(props.get('headers.separator') ?? ','),
    headersKeySeparator: unescape(props.get('headers.key.separator') ?? ':'),
    nullLiteral: props.get('null.literal') ?? 'null',
    key: deserializer(props, 'key.deserializer'),
    value: deserializer(props, 'value.deserializer'),
    headers: deserializer(props, 'headers.deserializer'),
  };
}

function deserializer(props: Map<string, string>, name: string): Deserializer | undefined {
  const className = props.get(name)?.trim();
  if (className === undefined || className === `${SERDE}ByteArrayDeserializer`) return undefined;
  const d = DESERIALIZERS[className];
  if (d === undefined) {
    const known = Object.keys(DESERIALIZERS).map((k) => k.slice(SERDE.length)).join(', ');
    throw new UsageError(`${name} ${className} is not one samsa can render; use one of ${SERDE}{${known}}.`);
  }
  return d;
}

/** Shells make a literal tab hard to pass, so "\t" and "\n" in separators mean tab and newline. */
function unescape(s: string): string {
  return s.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

/** One message as the formatter prints it to stdout; the NoOp formatter prints nothing. */
export function formatMessage(m: ConsumerMessage, f: OutputFormat): Buffer {
  if (f.kind === 'noop') return Buffer.alloc(0);
  const fields: Buffer[] = [];
  const text = (s: string): Buffer => Buffer.from(s, 'utf8');
  const bytes = (b: Buffer | null, d: Deserializer | undefined): Buffer => (b === null ? text(f.nullLiteral) : d === undefined ? b : text(d(b)));
  if (f.printTimestamp) fields.push(text(`${m.timestampType}:${m.timestamp}`));
  if (f.printPartition) fields.push(text(`Partition:${m.partition}`));
  if (f.printOffset) fields.push(text(`Offset:${m.offset}`));
  // Delivery counts exist only for share groups; Kafka prints this for an ordinary consumer.
  if (f.printDelivery) fields.push(text('Delivery:NOT_PRESENT'));
  if (f.printHeaders) {
    const parts = m.headers.map((h) => Buffer.concat([text(h.key), text(f.headersKeySeparator), bytes(h.value, f.headers)]));
    fields.push(parts.length === 0 ? text('NO_HEADERS') : Buffer.concat(parts.flatMap((p, i) => (i === 0 ? [p] : [text(f.headersSeparator), p]))));
  }
  if (f.printKey) fields.push(bytes(m.key, f.key));
  if (f.printValue) fields.push(bytes(m.value, f.value));
  const sep = text(f.keySeparator);
  const joined = fields.flatMap((b, i) => (i === 0 ? [b] : [sep, b]));
  if (fields.length > 0) joined.push(text(f.lineSeparator));
  return Buffer.concat(joined);
}

/** The LoggingMessageFormatter's log line (its own odd spacing: "key:null " has no comma). */
export function logLine(m: ConsumerMessage): string {
  const timestamp = `${m.timestampType}:${m.timestamp}, `;
  const key = `key:${m.key === null ? 'null ' : `${m.key.toString('utf8')}, `}`;
  const value = `value:${m.value === null ? 'null' : m.value.toString('utf8')}`;
  return `[${new Date().toISOString()}] INFO ${timestamp}${key}${value} (org.apache.kafka.tools.consumer.LoggingMessageFormatter)\n`;
}
