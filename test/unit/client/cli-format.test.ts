import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { formatMessage, outputFormat } from '../../../src/cli/message-formatter.js';
import { parseLine } from '../../../src/cli/console-producer.js';
import { parseBootstrapServers } from '../../../src/client/cluster.js';
import type { ConsumerMessage } from '../../../src/client/index.js';
import type { Io } from '../../../src/cli/common.js';

const io = (): Io & { err: () => string } => {
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (d: Buffer) => (text += d.toString()));
  return { stdin: new PassThrough(), stdout: new PassThrough(), stderr, err: () => text };
};

const message: ConsumerMessage = {
  topic: 't',
  partition: 2,
  offset: 41,
  key: Buffer.from('k'),
  value: Buffer.from('v'),
  headers: [{ key: 'h1', value: Buffer.from('x') }, { key: 'h2', value: null }],
  timestamp: 1_700_000_000_000,
  timestampType: 'CreateTime',
};

test("formatMessage follows Kafka's DefaultMessageFormatter layout", () => {
  const fmt = (props: Record<string, string>): string => formatMessage(message, outputFormat(new Map(Object.entries(props)), io())).toString();
  assert.equal(fmt({}), 'v\n');
  assert.equal(fmt({ 'print.key': 'true', 'print.timestamp': 'true' }), 'CreateTime:1700000000000\tk\tv\n');
  assert.equal(fmt({ 'print.partition': 'true', 'print.offset': 'true', 'key.separator': ' | ' }), 'Partition:2 | Offset:41 | v\n');
  assert.equal(fmt({ 'print.headers': 'true' }), 'h1:x,h2:null\tv\n');
  assert.equal(fmt({ 'print.key': 'true', 'print.value': 'false' }), 'k\n');
  assert.equal(fmt({ 'print.key': 'true', 'null.literal': '<nil>', 'key.separator': '\\t' }), 'k\tv\n');
  const nulls = { ...message, key: null, value: null, headers: [] };
  const f = outputFormat(new Map([['print.key', 'true'], ['print.headers', 'true']]), io());
  assert.equal(formatMessage(nulls, f).toString(), 'NO_HEADERS\tnull\tnull\n');
});

test('outputFormat warns about properties it does not know instead of failing', () => {
  const streams = io();
  outputFormat(new Map([['print.epoch', 'true']]), streams);
  assert.match(streams.err(), /Ignoring --property print.epoch/);
});

test('console-producer line parsing: keys, separators, null marker, missing separator', () => {
  const f = { parseKey: true, ignoreError: false, keySeparator: '::', nullMarker: 'NULL' };
  assert.deepEqual(parseLine('k::v::w', 1, f), { key: 'k', value: 'v::w' });
  assert.deepEqual(parseLine('NULL::v', 1, f), { key: null, value: 'v' });
  assert.deepEqual(parseLine('k::NULL', 1, f), { key: 'k', value: null });
  assert.throws(() => parseLine('plain', 7, f), /No key separator "::" found on line number 7: 'plain'/);
  assert.deepEqual(parseLine('plain', 7, { ...f, ignoreError: true }), { value: 'plain' });
  assert.deepEqual(parseLine('a:b', 1, { ...f, parseKey: false }), { value: 'a:b' });
});

test('bootstrap servers: lists, IPv6 brackets, schemes and the default port', () => {
  assert.deepEqual(parseBootstrapServers('a:1, b:2'), [{ host: 'a', port: 1 }, { host: 'b', port: 2 }]);
  assert.deepEqual(parseBootstrapServers(['[::1]:9093', 'PLAINTEXT://h:7', 'bare']), [
    { host: '::1', port: 9093 },
    { host: 'h', port: 7 },
    { host: 'bare', port: 9092 },
  ]);
  assert.throws(() => parseBootstrapServers(''), /No bootstrap servers/);
  assert.throws(() => parseBootstrapServers('h:99999'), /not a valid broker address/);
  assert.throws(() => parseBootstrapServers('h:x'), /not a valid broker address/);
});

test("--formatter takes Kafka's class names; NoOp prints nothing, Logging adds Kafka's log line; deserializers render values", async () => {
  const { formatterKind, logLine } = await import('../../../src/cli/message-formatter.js');
  assert.equal(formatterKind('org.apache.kafka.tools.consumer.DefaultMessageFormatter'), 'default');
  assert.equal(formatterKind('kafka.tools.DefaultMessageFormatter'), 'default');
  assert.equal(formatterKind('org.apache.kafka.tools.consumer.NoOpMessageFormatter'), 'noop');
  assert.throws(() => formatterKind('org.apache.kafka.tools.consumer.OffsetsMessageFormatter'), /is not a formatter samsa has/);
  assert.equal(formatMessage(message, outputFormat(new Map(), io(), 'noop')).length, 0);
  assert.match(logLine(message), /INFO CreateTime:1700000000000, key:k, value:v \(org\.apache\.kafka\.tools\.consumer\.LoggingMessageFormatter\)\n$/);
  assert.match(logLine({ ...message, key: null }), / key:null value:v /);

  const long = Buffer.alloc(8);
  long.writeBigInt64BE(-42n);
  const numbers = { ...message, key: long, value: Buffer.from([0, 0, 1, 0]) };
  const serde = 'org.apache.kafka.common.serialization.';
  const f = outputFormat(new Map([['print.key', 'true'], ['key.deserializer', `${serde}LongDeserializer`], ['value.deserializer', `${serde}IntegerDeserializer`], ['print.delivery', 'true']]), io());
  assert.equal(formatMessage(numbers, f).toString(), 'Delivery:NOT_PRESENT\t-42\t256\n');
  assert.throws(() => formatMessage({ ...numbers, key: Buffer.from('x') }, f), /Size of data received by LongDeserializer is not 8 but 1/);
  assert.throws(() => outputFormat(new Map([['value.deserializer', 'com.example.Avro']]), io()), /value.deserializer com.example.Avro is not one samsa can render/);
});
