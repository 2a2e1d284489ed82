/**
 * Isolation at the wire: while a transaction is open on a partition, Fetch read_committed stops
 * at its first offset and reports it as LastStableOffset, read_uncommitted reads on to the high
 * watermark, and ListOffsets READ_COMMITTED answers "latest" with the last stable offset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { WireClient } from '../helpers/broker-process.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import type { CreateTopicsResponse } from '../../src/protocol/messages/19-create-topics.js';
import type { FetchResponse } from '../../src/protocol/messages/01-fetch.js';
import type { ListOffsetsResponse } from '../../src/protocol/messages/02-list-offsets.js';
import type { ProduceResponse } from '../../src/protocol/messages/00-produce.js';

const TOPIC = 'isolation';

async function produce(wire: WireClient, batch: Buffer): Promise<number> {
  const resp = await wire.request<ProduceResponse>(0, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: batch }] }] });
  const p = resp.responses[0]!.partitionResponses[0]!;
  assert.equal(p.errorCode, 0);
  return Number(p.baseOffset);
}

async function fetch(wire: WireClient, isolationLevel: number) {
  const resp = await wire.request<FetchResponse>(1, 4, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel,
    topics: [{ topic: TOPIC, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
  });
  const p = resp.responses[0]!.partitions[0]!;
  const batches = await decodeRecordBatches(p.records ?? Buffer.alloc(0));
  const offsets = batches.flatMap((b) => b.records.map((r) => b.baseOffset + r.offsetDelta));
  return { errorCode: p.errorCode, highWatermark: Number(p.highWatermark), lastStableOffset: Number(p.lastStableOffset), offsets, aborted: p.abortedTransactions };
}

async function latest(wire: WireClient, isolationLevel: number): Promise<number> {
  const resp = await wire.request<ListOffsetsResponse>(2, 2, { replicaId: -1, isolationLevel, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp: -1 }] }] });
  return Number(resp.topics[0]!.partitions[0]!.offset);
}

test('an open transaction holds read_committed Fetch and ListOffsets at the last stable offset', async () => {
  await withBroker(async (broker) => {
    const wire = await WireClient.connect(broker.port);
    try {
      const created = await wire.request<CreateTopicsResponse>(19, 4, { topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      assert.equal(created.topics[0]!.errorCode, 0);
      assert.equal(await produce(wire, await encodeRecordBatch([{ value: Buffer.from('a') }, { value: Buffer.from('b') }])), 0);
      assert.equal(await produce(wire, await encodeRecordBatch([{ value: Buffer.from('t') }], { producerId: 900, producerEpoch: 0, baseSequence: 0, transactional: true })), 2);
      assert.equal(await produce(wire, await encodeRecordBatch([{ value: Buffer.from('c') }])), 3);

      const committed = await fetch(wire, 1);
      assert.equal(committed.errorCode, 0);
      assert.equal(committed.highWatermark, 4);
      assert.equal(committed.lastStableOffset, 2);
      assert.deepEqual(committed.offsets, [0, 1]);
      assert.deepEqual(committed.aborted, []);

      const uncommitted = await fetch(wire, 0);
      assert.deepEqual(uncommitted.offsets, [0, 1, 2, 3]);
      assert.equal(uncommitted.aborted, null);

      assert.equal(await latest(wire, 1), 2);
      assert.equal(await latest(wire, 0), 4);
    } finally {
      wire.close();
    }
  });
});
