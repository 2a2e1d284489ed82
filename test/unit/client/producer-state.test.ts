import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRODUCER_EPOCH_MAX, ProducerState, SEQUENCE_MAX, sequenceAfter } from '../../../src/client/producer-state.js';
import { committedBatches } from '../../../src/client/read-committed.js';
import { decodeRecordBatches, encodeControlBatch, encodeRecordBatch } from '../../../src/protocol/records/record-batch.js';

test('sequences count records per partition, independently, from 0', () => {
  const s = new ProducerState();
  s.setIdentity({ producerId: 7, producerEpoch: 0 });
  assert.equal(s.takeSequence('t', 0, 3), 0);
  assert.equal(s.takeSequence('t', 0, 2), 3);
  assert.equal(s.takeSequence('t', 1, 4), 0);
  assert.equal(s.takeSequence('u', 0, 1), 0);
  assert.equal(s.takeSequence('t', 0, 1), 5);
  assert.equal(s.peekSequence('t', 1), 4);
});

test('a new epoch or a reset starts every partition at sequence 0 again', () => {
  const s = new ProducerState();
  s.setIdentity({ producerId: 7, producerEpoch: 0 });
  s.takeSequence('t', 0, 10);
  s.setIdentity({ producerId: 7, producerEpoch: 1 });
  assert.deepEqual([s.producerId, s.producerEpoch], [7, 1]);
  assert.equal(s.takeSequence('t', 0, 1), 0);
  s.reset();
  assert.equal(s.hasProducerId, false);
  assert.equal(s.peekSequence('t', 0), 0);
});

test('bumpEpoch keeps the id, adds one to the epoch and restarts sequences; at the highest epoch it refuses', () => {
  const s = new ProducerState();
  s.setIdentity({ producerId: 9, producerEpoch: 4 });
  s.takeSequence('t', 0, 3);
  assert.equal(s.bumpEpoch(), true);
  assert.deepEqual([s.producerId, s.producerEpoch, s.peekSequence('t', 0)], [9, 5, 0]);
  s.setIdentity({ producerId: 9, producerEpoch: PRODUCER_EPOCH_MAX });
  assert.equal(s.bumpEpoch(), false);
  assert.equal(s.producerEpoch, PRODUCER_EPOCH_MAX);
});

test('sequences wrap to 0 after int32 max, as in Kafka', () => {
  assert.equal(sequenceAfter(SEQUENCE_MAX, 1), 0);
  assert.equal(sequenceAfter(SEQUENCE_MAX - 1, 3), 1);
  assert.equal(sequenceAfter(5, 0), 5);
  assert.throws(() => sequenceAfter(-1, 1));
});

test('setIdentity refuses a missing producer id; takeSequence refuses an empty batch', () => {
  const s = new ProducerState();
  assert.throws(() => s.setIdentity({ producerId: -1, producerEpoch: 0 }));
  s.setIdentity({ producerId: 1, producerEpoch: 0 });
  assert.throws(() => s.takeSequence('t', 0, 0));
});

/** A log: producer 1 commits at 0–1, producer 2 aborts at 2 and 4, a plain batch at 3, markers at 5 and 6. */
async function log(): Promise<Buffer> {
  const t = 1_700_000_000_000;
  return Buffer.concat([
    await encodeRecordBatch([{ value: 'p1-a' }, { value: 'p1-b' }], { baseOffset: 0, producerId: 1, producerEpoch: 0, baseSequence: 0, transactional: true }),
    await encodeRecordBatch([{ value: 'p2-a' }], { baseOffset: 2, producerId: 2, producerEpoch: 0, baseSequence: 0, transactional: true }),
    await encodeRecordBatch([{ value: 'plain' }], { baseOffset: 3 }),
    await encodeRecordBatch([{ value: 'p2-b' }], { baseOffset: 4, producerId: 2, producerEpoch: 0, baseSequence: 1, transactional: true }),
    encodeControlBatch({ baseOffset: 5, producerId: 2, producerEpoch: 0, commit: false, coordinatorEpoch: 0, timestamp: t }),
    encodeControlBatch({ baseOffset: 6, producerId: 1, producerEpoch: 0, commit: true, coordinatorEpoch: 0, timestamp: t }),
    await encodeRecordBatch([{ value: 'p2-next' }], { baseOffset: 7, producerId: 2, producerEpoch: 0, baseSequence: 2, transactional: true }),
  ]);
}

test('read_committed drops an aborted producer\'s batches until its ABORT marker, and every control batch', async () => {
  const batches = await decodeRecordBatches(await log());
  assert.deepEqual(committedBatches(batches, [{ producerId: 2, firstOffset: 2 }]), [true, false, true, false, false, false, true]);
  // No aborted transactions: every data batch shows, markers never do.
  assert.deepEqual(committedBatches(batches, null), [true, true, true, true, false, false, true]);
});

test('a fetch that starts at the ABORT marker does not carry the abort over to the producer\'s next transaction', async () => {
  const batches = (await decodeRecordBatches(await log())).filter((b) => b.baseOffset >= 5);
  assert.deepEqual(committedBatches(batches, [{ producerId: 2, firstOffset: 2 }]), [false, false, true]);
});
