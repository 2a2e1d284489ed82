import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildBrokerConfig, parseProperties, ConfigError } from '../../../src/cluster/config.js';
import { topicNameError, collisionKey } from '../../../src/cluster/topic-names.js';
import { topicConfigError, logConfigFor } from '../../../src/cluster/topic-config.js';

test('server.properties parsing: comments, separators, continuations', () => {
  const p = parseProperties('# comment\n! also\nnode.id=3\nlisteners : PLAINTEXT://localhost:9093\nlog.dirs=/a,\\\n  /b\n\nempty=\n');
  assert.deepEqual(p, { 'node.id': '3', listeners: 'PLAINTEXT://localhost:9093', 'log.dirs': '/a,/b', empty: '' });
});

test("Kafka's defaults, and the ms/minutes/hours precedence for retention", () => {
  const c = buildBrokerConfig({});
  assert.equal(c.nodeId, 1);
  assert.equal(c.numPartitions, 1);
  assert.equal(c.retentionMs, 168 * 3_600_000);
  assert.equal(c.messageMaxBytes, 1048588);
  assert.equal(c.segmentBytes, 1073741824);
  assert.equal(c.autoCreateTopicsEnable, true);
  assert.deepEqual(c.listeners, [{ name: 'PLAINTEXT', host: 'localhost', port: 9092 }]);
  assert.equal(buildBrokerConfig({ 'log.retention.minutes': '5', 'log.retention.hours': '1' }).retentionMs, 300_000);
  assert.equal(buildBrokerConfig({ 'log.retention.ms': '10', 'log.retention.minutes': '5' }).retentionMs, 10);
  assert.equal(buildBrokerConfig({ 'broker.id': '7' }).nodeId, 7);
});

test('bad values get a sentence naming the key', () => {
  assert.throws(() => buildBrokerConfig({ 'num.partitions': 'many' }), (e: unknown) => e instanceof ConfigError && /num.partitions: 'many' is not an integer/.test(e.message));
  assert.throws(() => buildBrokerConfig({ listeners: 'localhost:9092' }), /listeners: 'localhost:9092' is not NAME:\/\/host:port/);
  assert.throws(() => buildBrokerConfig({ 'auto.create.topics.enable': 'yes' }), /not true or false/);
  assert.throws(() => buildBrokerConfig({ 'log.message.timestamp.type': 'Now' }), /CreateTime or LogAppendTime/);
});

test("topic names follow Kafka's rules", () => {
  assert.equal(topicNameError('orders.v1_x-2'), null);
  assert.match(topicNameError('') ?? '', /empty/);
  assert.match(topicNameError('..') ?? '', /"\." or "\.\."/);
  assert.match(topicNameError('a b') ?? '', /illegal/);
  assert.match(topicNameError('x'.repeat(250)) ?? '', /249/);
  assert.equal(collisionKey('a.b'), collisionKey('a_b'));
});

test('topic configs are validated and map onto the log settings', () => {
  assert.equal(topicConfigError('retention.ms', '1000'), null);
  assert.match(topicConfigError('retention.ms', 'soon') ?? '', /retention.ms/);
  assert.match(topicConfigError('cleanup.policy', 'forever') ?? '', /delete, compact/);
  assert.match(topicConfigError('no.such.key', '1') ?? '', /Unknown topic config/);
  const broker = buildBrokerConfig({ 'log.segment.bytes': '1000000' });
  const lc = logConfigFor(broker, { 'retention.ms': '5000' });
  assert.equal(lc.retentionMs, 5000);
  assert.equal(lc.segmentBytes, 1000000);
  // compression.type and the timestamp bounds: topic value, else the broker's, else no conversion and no bound.
  assert.equal(lc.compressionType, 'producer');
  assert.equal(lc.messageTimestampAfterMaxMs, Number.MAX_SAFE_INTEGER);
  const zstd = logConfigFor(buildBrokerConfig({ 'compression.type': 'zstd', 'log.message.timestamp.after.max.ms': '9223372036854775807' }), { 'message.timestamp.before.max.ms': '60000' });
  assert.equal(zstd.compressionType, 'zstd');
  assert.equal(zstd.messageTimestampBeforeMaxMs, 60000);
  assert.equal(zstd.messageTimestampAfterMaxMs, Number.MAX_SAFE_INTEGER);
  assert.equal(logConfigFor(buildBrokerConfig({ 'compression.type': 'zstd' }), { 'compression.type': 'uncompressed' }).compressionType, 'uncompressed');
});
