import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consumerHeader, consumerProgressRow, consumerTotalRow, javaDateFormat, ProducerStats, Throttler } from '../../../src/cli/perf-report.js';
import { parseFlags, spreadMultiValueFlags, type ToolSpec } from '../../../src/cli/common.js';

test("ProducerStats prints Kafka's window line when an interval has passed and its total line with percentiles", () => {
  let now = 1000;
  const lines: string[] = [];
  const stats = new ProducerStats(4, 5000, (l) => lines.push(l), () => now);
  now = 2000;
  stats.record(10, 1024 * 1024, now);
  stats.record(30, 1024 * 1024, now);
  assert.deepEqual(lines, []);
  now = 6000;
  stats.record(20, 1024 * 1024, now);
  assert.deepEqual(lines, ['3 records sent, 0.6 records/sec (0.60 MB/sec), 20.0 ms avg latency, 30.0 ms max latency.\n']);
  now = 11_000;
  stats.record(40, 1024 * 1024, now);
  assert.equal(lines.length, 2);
  stats.printTotal();
  assert.equal(lines[2], '4 records sent, 0.4 records/sec (0.40 MB/sec), 25.00 ms avg latency, 40.00 ms max latency, 30 ms 50th, 40 ms 95th, 40 ms 99th, 40 ms 99.9th.\n');
});

test('ProducerStats with nothing acknowledged prints NaN as Java does', () => {
  const lines: string[] = [];
  const stats = new ProducerStats(10, 5000, (l) => lines.push(l), () => 0);
  stats.printTotal();
  assert.equal(lines[0], '0 records sent, NaN records/sec (NaN MB/sec), NaN ms avg latency, 0.00 ms max latency, 0 ms 50th, 0 ms 95th, 0 ms 99th, 0 ms 99.9th.\n');
});

test('Throttler: a negative target never throttles; otherwise throttles above the rate', () => {
  assert.equal(new Throttler(-1, 0).shouldThrottle(1_000_000, 1), false);
  const t = new Throttler(100, 0);
  assert.equal(t.shouldThrottle(50, 1000), false);
  assert.equal(t.shouldThrottle(150, 1000), true);
  assert.equal(t.shouldThrottle(5, 0), false, 'no time has passed yet');
});

test("consumer-perf-test's header and rows in Kafka's CSV layout", () => {
  assert.equal(consumerHeader(false), 'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n');
  assert.equal(consumerHeader(true), 'time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n');
  const date = (ms: number): string => `t${ms}`;
  assert.equal(
    consumerTotalRow({ startMs: 0, endMs: 2000, bytes: 2 * 1024 * 1024, messages: 2000, joinTimeMs: 1000 }, date),
    't0, t2000, 2.0000, 1.0000, 2000, 1000.0000, 1000, 1000, 2.0000, 2000.0000\n',
  );
  assert.equal(
    consumerProgressRow({ bytes: 3 * 1024 * 1024, lastBytes: 1024 * 1024, messages: 30, lastMessages: 10, startMs: 0, endMs: 1000, joinTimeMs: 0 }, date),
    't1000, 0, 3.0000, 2.0000, 30, 20.0000, 0, 1000, 2.0000, 20.0000\n',
  );
});

test('javaDateFormat follows SimpleDateFormat patterns and refuses unknown letters', () => {
  const ms = new Date(2024, 0, 5, 7, 8, 9, 12).getTime();
  assert.equal(javaDateFormat('yyyy-MM-dd HH:mm:ss:SSS')(ms), '2024-01-05 07:08:09:012');
  assert.equal(javaDateFormat("EEE, d MMM yy 'at' h a")(ms), "Fri, 5 Jan 24 at 7 AM");
  assert.equal(javaDateFormat("''HH''")(ms), "'07'");
  assert.throws(() => javaDateFormat('yyyy-qq'), /illegal pattern character 'q'/);
});

test('flags: several values after one flag, and negative numbers as values', () => {
  assert.deepEqual(spreadMultiValueFlags(['--producer-props', 'a=1', 'b=2', '--topic', 't'], ['producer-props']), ['--producer-props', 'a=1', '--producer-props', 'b=2', '--topic', 't']);
  const spec: ToolSpec = { name: 't', usage: '', summary: '', flags: { throughput: { type: 'string', help: '' }, p: { type: 'string', multiple: true, help: '' } } };
  assert.deepEqual(parseFlags(spec, ['--throughput', '-1']).values.throughput, '-1');
  assert.deepEqual(parseFlags(spec, ['--throughput', '-0.5']).values.throughput, '-0.5');
  assert.throws(() => parseFlags(spec, ['--throughput', '-x']), /needs a value/);
});
