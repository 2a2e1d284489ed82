/**
 * Tagged fields at their defaults are left out of a response, as Kafka leaves them out: checked on
 * the bytes of Produce v10 and Fetch v12 responses, read field by field from Kafka's definitions.
 * librdkafka 2.x reads a present current-leader tag as a leader change (and refreshes metadata on
 * every produce); @platformatic/kafka 1.x cannot parse a tagged section that is not empty.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { withBroker, rawSocket, readFrame } from '../helpers/broker.js';
import { frame } from '../helpers/broker-process.js';
import { Writer } from '../../src/protocol/writer.js';
import { Reader } from '../../src/protocol/reader.js';
import { encodeRequestHeader } from '../../src/protocol/headers.js';
import { codecFor } from '../../src/protocol/schema.js';
import { API_SCHEMAS } from '../../src/protocol/apis.js';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.js';

const TOPIC = 'tags';

/** Sends one request encoded from the schemas and returns the raw response frame. */
async function rawExchange(s: Socket, apiKey: number, version: number, body: object): Promise<Reader> {
  const schemas = API_SCHEMAS.get(apiKey)!;
  const w = new Writer();
  encodeRequestHeader(w, { apiKey, apiVersion: version, correlationId: 7, clientId: 'raw' }, true);
  codecFor<object>(schemas.request, version).encode(w, body);
  s.write(frame(w.toBuffer()));
  const r = new Reader(await readFrame(s));
  assert.equal(r.int32(), 7, 'correlation id');
  assert.equal(r.uvarint(), 0, 'response header tags');
  return r;
}

test('Produce v10 and Fetch v12 responses carry no tagged fields left at their defaults', async () => {
  await withBroker(async (broker) => {
    await broker.topics.create({ name: TOPIC, numPartitions: 2, replicationFactor: -1, configs: {} });
    const s = await rawSocket(broker);
    try {
      const records = await encodeRecordBatch([{ key: 'k', value: 'v' }]);
      const produce = await rawExchange(s, 0, 10, {
        transactionalId: null, acks: -1, timeoutMs: 5000,
        topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }, { index: 1, records }] }],
      });
      assert.equal(produce.uvarint(), 2, 'one topic');
      assert.equal(produce.compactString(), TOPIC);
      assert.equal(produce.uvarint(), 3, 'two partitions');
      for (const index of [0, 1]) {
        assert.equal(produce.int32(), index);
        assert.equal(produce.int16(), 0, 'error code');
        assert.equal(produce.int64(), 0, 'base offset');
        produce.int64(); // log append time
        assert.equal(produce.int64(), 0, 'log start offset');
        assert.equal(produce.uvarint(), 1, 'no record errors');
        assert.equal(produce.compactNullableString(), null, 'error message');
        assert.equal(produce.uvarint(), 0, `partition ${index}: no current-leader tag`);
      }
      assert.equal(produce.uvarint(), 0, 'topic tags');
      assert.equal(produce.int32(), 0, 'throttle time');
      assert.equal(produce.uvarint(), 0, 'no node-endpoints tag');
      assert.equal(produce.remaining, 0);
      assert.equal(produce.error, null);

      const fetch = await rawExchange(s, 1, 12, {
        clusterId: null, replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 1, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [], rackId: '',
      });
      assert.equal(fetch.int32(), 0, 'throttle time');
      assert.equal(fetch.int16(), 0, 'error code');
      assert.equal(fetch.int32(), 0, 'session id');
      assert.equal(fetch.uvarint(), 2, 'one topic');
      assert.equal(fetch.compactString(), TOPIC);
      assert.equal(fetch.uvarint(), 2, 'one partition');
      assert.equal(fetch.int32(), 0);
      assert.equal(fetch.int16(), 0, 'error code');
      assert.equal(fetch.int64(), 1, 'high watermark');
      assert.equal(fetch.int64(), 1, 'last stable offset');
      assert.equal(fetch.int64(), 0, 'log start offset');
      assert.equal(fetch.uvarint(), 1, 'no aborted transactions');
      assert.equal(fetch.int32(), -1, 'preferred read replica');
      assert.equal(fetch.compactBytes().length, records.length, 'the batch');
      assert.equal(fetch.uvarint(), 0, 'no diverging-epoch, current-leader or snapshot-id tag');
      assert.equal(fetch.uvarint(), 0, 'topic tags');
      assert.equal(fetch.uvarint(), 0, 'no node-endpoints tag');
      assert.equal(fetch.remaining, 0);
      assert.equal(fetch.error, null);
    } finally {
      s.destroy();
    }
  });
});
