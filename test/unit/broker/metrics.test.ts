// The metrics' pure parts: the metrics.listener value and the fixed-bucket histogram.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricsListener } from '../../../src/broker/metrics/metrics-listener.js';
import { BucketHistogram } from '../../../src/util/histogram.js';
import { BrokerCounters, replicaIdOf } from '../../../src/broker/metrics/broker-counters.js';
import { ErrorCode } from '../../../src/protocol/errors.js';

test('metrics.listener: unset or empty is off; http://host:port is read; anything else is a sentence naming the key', () => {
  assert.equal(metricsListener({}), null);
  assert.equal(metricsListener({ 'metrics.listener': ' ' }), null);
  assert.deepEqual(metricsListener({ 'metrics.listener': 'http://127.0.0.1:9644' }), { host: '127.0.0.1', port: 9644 });
  assert.deepEqual(metricsListener({ 'metrics.listener': 'http://[::1]:0/' }), { host: '::1', port: 0 });
  assert.deepEqual(metricsListener({ 'metrics.listener': 'http://localhost:9644' }), { host: 'localhost', port: 9644 });
  for (const bad of ['9644', 'localhost:9644', 'https://localhost:9644', 'http://localhost', 'http://localhost:70000', 'http://a b:1'])
    assert.throws(() => metricsListener({ 'metrics.listener': bad }), (e: Error) => e.name === 'ConfigError' && e.message.startsWith('metrics.listener: '), bad);
});

test('a bucket histogram counts each observation once, in the first bucket whose bound holds it', () => {
  const h = new BucketHistogram([1, 10, 100]);
  for (const v of [0, 1, 1.5, 10, 99, 100, 101, 5000]) h.observe(v);
  assert.deepEqual([...h.counts], [2, 2, 2, 2]);
  assert.deepEqual(h.cumulative(), [2, 4, 6, 8]);
  assert.equal(h.count, 8);
  assert.equal(h.sum, 0 + 1 + 1.5 + 10 + 99 + 100 + 101 + 5000);
  assert.throws(() => new BucketHistogram([5, 1]));
});

test('broker counters: per topic and in total; a request counted once its response is sent; Fetch named by who fetched', () => {
  const c = new BrokerCounters();
  c.produced('a', 3, 300);
  c.produced('b', 1, 50);
  c.fetched('a', 120);
  const none = { produceRequests: 0, failedProduceRequests: 0, fetchRequests: 0, failedFetchRequests: 0 };
  assert.deepEqual(c.total, { messagesIn: 4, bytesIn: 350, bytesOut: 120, ...none });
  assert.deepEqual(c.topics.get('a'), { messagesIn: 3, bytesIn: 300, bytesOut: 120, ...none });
  c.forgetTopic('a');
  assert.equal(c.topics.has('a'), false);
  const t = c.timing(100);
  c.started(t, 1, replicaIdOf({ replicaId: -1, replicaState: { replicaId: 2 } }), 101);
  t.respondedMs = 105;
  c.sent(t, 106);
  const r = c.requests.get('FetchFollower')!;
  assert.equal(r.requests, 1);
  assert.equal(r.totalTimeMs.sum, 6);
  assert.equal(r.requestQueueTimeMs.sum, 1);
  assert.equal(r.responseQueueTimeMs.sum, 1);
  c.sent(c.timing(0), 1); // a frame whose header was never read: not counted
  assert.equal(c.requests.size, 1);
  assert.equal(replicaIdOf({ replicaId: -1 }), -1);
});

test('request counters as Kafka keeps them: refusals before the log count nowhere, expected errors count in the total only, others as failed; a topic that does not exist counts in the total only', () => {
  const c = new BrokerCounters();
  c.topicExists = (name) => name === 'orders';
  const answered = (...codes: number[]) => codes.map((errorCode) => ({ errorCode }));
  // Two written, one unknown partition (refused before the log), one not-leader (expected), one out-of-order sequence (failed).
  c.produceRequests('orders', answered(0, 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
  c.produceRequests('orders', answered(ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.INVALID_TOPIC_EXCEPTION));
  c.produceRequests('nope', answered(0, ErrorCode.INVALID_RECORD));
  c.fetchRequests('orders', answered(0, ErrorCode.OFFSET_OUT_OF_RANGE, ErrorCode.UNKNOWN_TOPIC_ID));
  c.fetchRequests(null, answered(ErrorCode.UNKNOWN_SERVER_ERROR));
  assert.deepEqual([c.total.produceRequests, c.total.failedProduceRequests, c.total.fetchRequests, c.total.failedFetchRequests], [7, 2, 3, 1]);
  const o = c.topics.get('orders')!;
  assert.deepEqual([o.produceRequests, o.failedProduceRequests, o.fetchRequests, o.failedFetchRequests], [5, 1, 2, 0]);
  assert.equal(c.topics.has('nope'), false, 'no series for a topic that does not exist');
});
