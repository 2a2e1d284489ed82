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
