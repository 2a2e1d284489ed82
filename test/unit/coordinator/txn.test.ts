/** The transaction coordinator as a state machine over an in-memory __transaction_state, on a ManualClock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/platform/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { decodeRecordBatches } from '../../../src/protocol/records/record-batch.js';
import { TxnCoordinator } from '../../../src/coordinator/txn/coordinator.js';
import { txnCoordinatorConfig } from '../../../src/coordinator/txn/config.js';
import { decodeTxnRecord, encodeTxnRecord, txnPartition, type TxnLogRecord } from '../../../src/coordinator/txn/records.js';
import type { MarkerWriter, TxnMarker } from '../../../src/coordinator/txn/state-topic.js';
import { MemoryOffsetsTopic } from './helpers.js';

/** EndTxn as a transactions-v1 client sends it (v0–v4): just the error. */
async function endV1(c: TxnCoordinator, a: Omit<Parameters<TxnCoordinator['endTxn']>[0], 'clientTransactionVersion'>): Promise<number> {
  return (await c.endTxn({ ...a, clientTransactionVersion: 0 })).errorCode;
}

class FakeMarkers implements MarkerWriter {
  written: Array<{ topic: string; partition: number } & TxnMarker> = [];
  failing = false;
  missing = new Set<string>();
  async write(topic: string, partition: number, marker: TxnMarker): Promise<void> {
    if (this.missing.has(topic)) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'gone');
    if (this.failing) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'failing in this test');
    this.written.push({ topic, partition, ...marker });
  }
}

interface H {
  c: TxnCoordinator;
  log: MemoryOffsetsTopic;
  markers: FakeMarkers;
  clock: ManualClock;
}

let nextPid = 1000;

async function harness(o: { log?: MemoryOffsetsTopic; clock?: ManualClock; config?: Record<string, string> } = {}): Promise<H> {
  const log = o.log ?? new MemoryOffsetsTopic(null);
  const clock = o.clock ?? new ManualClock();
  const markers = new FakeMarkers();
  const c = new TxnCoordinator({
    config: txnCoordinatorConfig({ 'transaction.state.log.num.partitions': '5', ...o.config }),
    clock,
    logger: silentLogger,
    log,
    markers,
    producerIds: { allocate: async () => nextPid++ },
    offsetsPartitionFor: () => 7,
  });
  c.start();
  await c.loaded();
  // The first request creates the topic.
  if (log.partitionCount() === null) {
    assert.equal(c.idError('x'), ErrorCode.COORDINATOR_NOT_AVAILABLE);
    await new Promise((r) => setImmediate(r));
  }
  return { c, log, markers, clock };
}

async function stateRecords(log: MemoryOffsetsTopic): Promise<TxnLogRecord[]> {
  const out: TxnLogRecord[] = [];
  for (let p = 0; p < (log.batches?.length ?? 0); p++)
    for (const b of await decodeRecordBatches(Buffer.concat(log.batches![p]!))) for (const r of b.records) out.push(decodeTxnRecord(r.key, r.value)!);
  return out;
}

const TIMEOUT = 60_000;

async function init(h: H, id: string, over: { producerId?: number; producerEpoch?: number; timeout?: number } = {}) {
  return h.c.initProducerId({ transactionalId: id, transactionTimeoutMs: over.timeout ?? TIMEOUT, producerId: over.producerId ?? -1, producerEpoch: over.producerEpoch ?? -1 });
}

test('records round-trip and the partition is Kafka’s hash', () => {
  const rec: TxnLogRecord = {
    transactionalId: 'tx-1',
    value: { producerId: 42, producerEpoch: 3, transactionTimeoutMs: 60000, state: 'Ongoing', partitions: [{ topic: 'a', partitionIds: [0, 2] }], lastUpdateTimestampMs: 5, startTimestampMs: 4 },
  };
  const e = encodeTxnRecord(rec);
  // Written at v1 (KIP-890): the tagged fields read back at their defaults.
  assert.deepEqual(decodeTxnRecord(e.key, e.value), { ...rec, value: { ...rec.value!, previousProducerId: -1, nextProducerId: -1, clientTransactionVersion: 0 } });
  assert.deepEqual(decodeTxnRecord(e.key, null), { transactionalId: 'tx-1', value: null });
  // Key v0: int16 version, then the string.
  assert.deepEqual([...e.key], [0, 0, 0, 4, ...Buffer.from('tx-1')]);
  // Value v1 starts with version 1, producer id 42, epoch 3, timeout 60000, status 1 (Ongoing);
  // with every tag at its default, it ends with an empty tag buffer.
  assert.equal(e.value!.readInt16BE(0), 1);
  assert.equal(e.value![e.value!.length - 1], 0);
  assert.equal(Number(e.value!.readBigInt64BE(2)), 42);
  assert.equal(e.value!.readInt16BE(10), 3);
  assert.equal(e.value!.readInt32BE(12), 60000);
  assert.equal(e.value!.readInt8(16), 1);
  // Transactions v2's tags: NextProducerId (tag 1) and ClientTransactionVersion (tag 2) written, in tag order.
  const v2: TxnLogRecord = { transactionalId: 'tx-2', value: { ...rec.value!, previousProducerId: -1, nextProducerId: 77, clientTransactionVersion: 2 } };
  const e2 = encodeTxnRecord(v2);
  assert.deepEqual(decodeTxnRecord(e2.key, e2.value), v2);
  const tail = e2.value!.subarray(e2.value!.length - 15);
  assert.deepEqual([...tail], [2, 1, 8, 0, 0, 0, 0, 0, 0, 0, 77, 2, 2, 0, 2]);
  // "a".hashCode() = 97; Integer.MIN_VALUE maps to 0.
  assert.equal(txnPartition('a', 50), 97 % 50);
});

test('InitProducerId: new id, epoch bump on the next instance, timeout validated', async () => {
  const h = await harness();
  assert.equal((await init(h, 't1', { timeout: 900_001 })).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  assert.equal((await init(h, 't1', { timeout: 0 })).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  const a = await init(h, 't1');
  assert.equal(a.errorCode, ErrorCode.NONE);
  assert.equal(a.producerEpoch, 0);
  const b = await init(h, 't1');
  assert.deepEqual(b, { errorCode: ErrorCode.NONE, producerId: a.producerId, producerEpoch: 1 });
  // The old instance is fenced.
  const add = await h.c.addPartitionsToTxn({ transactionalId: 't1', producerId: a.producerId, producerEpoch: 0, partitions: [{ topic: 'x', partition: 0 }] });
  assert.equal(add, ErrorCode.PRODUCER_FENCED);
  // KIP-360: naming the epoch before the last bump is a retry of it (same answer); the current
  // epoch is bumped; anything older is fenced.
  assert.deepEqual(await init(h, 't1', { producerId: a.producerId, producerEpoch: 0 }), b);
  assert.equal((await init(h, 't1', { producerId: a.producerId, producerEpoch: 1 })).producerEpoch, 2);
  assert.equal((await init(h, 't1', { producerId: a.producerId, producerEpoch: 1 })).producerEpoch, 2);
  assert.equal((await init(h, 't1', { producerId: a.producerId, producerEpoch: 0 })).errorCode, ErrorCode.PRODUCER_FENCED);
  await h.c.stop();
});

test('unknown ids and mismatched producer ids', async () => {
  const h = await harness();
  assert.equal(await h.c.addPartitionsToTxn({ transactionalId: 'nope', producerId: 1, producerEpoch: 0, partitions: [] }), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  assert.equal(await endV1(h.c, { transactionalId: 'nope', producerId: 1, producerEpoch: 0, commit: true }), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  const a = await init(h, 't');
  assert.equal(await endV1(h.c, { transactionalId: 't', producerId: a.producerId + 1, producerEpoch: 0, commit: true }), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  assert.equal(await endV1(h.c, { transactionalId: 't', producerId: a.producerId, producerEpoch: 0, commit: true }), ErrorCode.INVALID_TXN_STATE);
  assert.equal(h.c.describeTransaction('nope').errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  await h.c.stop();
});

test('commit: partitions and offsets added, PrepareCommit, markers everywhere, CompleteCommit', async () => {
  const h = await harness();
  const { producerId, producerEpoch } = await init(h, 'tc');
  const who = { transactionalId: 'tc', producerId, producerEpoch };
  assert.equal(await h.c.addPartitionsToTxn({ ...who, partitions: [{ topic: 'a', partition: 0 }, { topic: 'a', partition: 1 }] }), ErrorCode.NONE);
  assert.equal(await h.c.addPartitionsToTxn({ ...who, partitions: [{ topic: 'b', partition: 0 }] }), ErrorCode.NONE);
  assert.equal(await h.c.addOffsetsToTxn({ ...who, groupId: 'g' }), ErrorCode.NONE);
  const d = h.c.describeTransaction('tc');
  assert.equal(d.transactionState, 'Ongoing');
  assert.deepEqual(d.topics, [{ topic: 'a', partitions: [0, 1] }, { topic: 'b', partitions: [0] }, { topic: '__consumer_offsets', partitions: [7] }]);
  assert.deepEqual(h.c.listTransactions({ states: ['Ongoing'], producerIds: [], durationFilterMs: -1 }).transactionStates, [{ transactionalId: 'tc', producerId, transactionState: 'Ongoing' }]);
  assert.deepEqual(h.c.listTransactions({ states: [], producerIds: [], durationFilterMs: 5_000 }).transactionStates, []);
  h.clock.advance(5_001);
  assert.deepEqual(h.c.listTransactions({ states: [], producerIds: [producerId], durationFilterMs: 5_000 }).transactionStates.map((t) => t.transactionalId), ['tc']);
  assert.deepEqual(h.c.listTransactions({ states: ['Bogus'], producerIds: [], durationFilterMs: -1 }), { errorCode: 0, unknownStateFilters: ['Bogus'], transactionStates: [] });
  assert.equal(await endV1(h.c, { ...who, commit: true }), ErrorCode.NONE);
  assert.deepEqual(
    h.markers.written.map((m) => `${m.topic}-${m.partition}:${m.commit}:${m.producerEpoch}`).sort(),
    ['__consumer_offsets-7:true:0', 'a-0:true:0', 'a-1:true:0', 'b-0:true:0'],
  );
  assert.equal(h.c.describeTransaction('tc').transactionState, 'CompleteCommit');
  // A retried EndTxn is answered NONE; the opposite one INVALID_TXN_STATE.
  assert.equal(await endV1(h.c, { ...who, commit: true }), ErrorCode.NONE);
  assert.equal(await endV1(h.c, { ...who, commit: false }), ErrorCode.INVALID_TXN_STATE);
  const states = (await stateRecords(h.log)).map((r) => r.value?.state);
  assert.deepEqual(states, ['Empty', 'Ongoing', 'Ongoing', 'Ongoing', 'PrepareCommit', 'CompleteCommit']);
  await h.c.stop();
});

test('abort writes abort markers; a marker for a deleted topic is dropped', async () => {
  const h = await harness();
  const { producerId, producerEpoch } = await init(h, 'ta');
  const who = { transactionalId: 'ta', producerId, producerEpoch };
  await h.c.addPartitionsToTxn({ ...who, partitions: [{ topic: 'a', partition: 0 }, { topic: 'gone', partition: 0 }] });
  h.markers.missing.add('gone');
  assert.equal(await endV1(h.c, { ...who, commit: false }), ErrorCode.NONE);
  assert.deepEqual(h.markers.written.map((m) => [m.topic, m.commit]), [['a', false]]);
  assert.equal(h.c.describeTransaction('ta').transactionState, 'CompleteAbort');
  await h.c.stop();
});

test('CONCURRENT_TRANSACTIONS while markers are pending; completed once they can be written', async () => {
  const h = await harness();
  const { producerId, producerEpoch } = await init(h, 'tp');
  const who = { transactionalId: 'tp', producerId, producerEpoch };
  await h.c.addPartitionsToTxn({ ...who, partitions: [{ topic: 'a', partition: 0 }] });
  h.markers.failing = true;
  assert.equal(await endV1(h.c, { ...who, commit: true }), ErrorCode.NONE);
  assert.equal(h.c.describeTransaction('tp').transactionState, 'PrepareCommit');
  assert.equal(await h.c.addPartitionsToTxn({ ...who, partitions: [{ topic: 'a', partition: 1 }] }), ErrorCode.CONCURRENT_TRANSACTIONS);
  assert.equal((await init(h, 'tp')).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
  h.markers.failing = false;
  for (let i = 0; i < 10 && h.c.describeTransaction('tp').transactionState !== 'CompleteCommit'; i++) {
    h.clock.advance(5_000);
    await new Promise((r) => setImmediate(r));
  }
  await h.c.whenIdle();
  assert.equal(h.c.describeTransaction('tp').transactionState, 'CompleteCommit');
  assert.equal((await init(h, 'tp')).errorCode, ErrorCode.NONE);
  await h.c.stop();
});

test('a new instance aborts the open transaction of the old one and fences it', async () => {
  const h = await harness();
  const old = await init(h, 'tf');
  const who = { transactionalId: 'tf', producerId: old.producerId, producerEpoch: old.producerEpoch };
  await h.c.addPartitionsToTxn({ ...who, partitions: [{ topic: 'a', partition: 0 }] });
  const next = await init(h, 'tf');
  assert.equal(next.errorCode, ErrorCode.NONE);
  assert.equal(next.producerEpoch, 2);
  assert.deepEqual(h.markers.written.map((m) => [m.topic, m.commit, m.producerEpoch]), [['a', false, 1]]);
  assert.equal(await endV1(h.c, { ...who, commit: true }), ErrorCode.PRODUCER_FENCED);
  await h.c.stop();
});

test('a transaction past its timeout is aborted with a fencing epoch; idle ids expire', async () => {
  const h = await harness({ config: { 'transactional.id.expiration.ms': '3600000', 'transaction.remove.expired.transaction.cleanup.interval.ms': '600000' } });
  const { producerId, producerEpoch } = await init(h, 'tt', { timeout: 15_000 });
  const who = { transactionalId: 'tt', producerId, producerEpoch };
  await h.c.addPartitionsToTxn({ ...who, partitions: [{ topic: 'a', partition: 3 }] });
  h.clock.advance(10_000);
  await h.c.whenIdle();
  assert.equal(h.c.describeTransaction('tt').transactionState, 'Ongoing');
  h.clock.advance(10_000);
  await h.c.whenIdle();
  const d = h.c.describeTransaction('tt');
  assert.equal(d.transactionState, 'CompleteAbort');
  assert.equal(d.producerEpoch, producerEpoch + 1);
  assert.deepEqual(h.markers.written.map((m) => [m.topic, m.partition, m.commit, m.producerEpoch]), [['a', 3, false, 1]]);
  assert.equal(await endV1(h.c, { ...who, commit: true }), ErrorCode.PRODUCER_FENCED);
  // Idle for transactional.id.expiration.ms: forgotten, with a tombstone.
  for (let i = 0; i < 7; i++) {
    h.clock.advance(600_000);
    await h.c.whenIdle();
  }
  assert.equal(h.c.describeTransaction('tt').errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  const recs = await stateRecords(h.log);
  assert.equal(recs.at(-1)!.value, null);
  await h.c.stop();
});

test('replay after a restart: state comes back, a half-ended transaction is completed, loading answers 14', async () => {
  const h = await harness();
  const a = await init(h, 'r1');
  await h.c.addPartitionsToTxn({ transactionalId: 'r1', producerId: a.producerId, producerEpoch: 0, partitions: [{ topic: 'a', partition: 0 }] });
  const b = await init(h, 'r2');
  await h.c.addPartitionsToTxn({ transactionalId: 'r2', producerId: b.producerId, producerEpoch: 0, partitions: [{ topic: 'b', partition: 1 }] });
  h.markers.failing = true;
  await endV1(h.c, { transactionalId: 'r2', producerId: b.producerId, producerEpoch: 0, commit: true });
  await h.c.stop();

  let open!: () => void;
  h.log.readGate = new Promise((r) => (open = r));
  const markers = new FakeMarkers();
  const c2 = new TxnCoordinator({
    config: txnCoordinatorConfig({ 'transaction.state.log.num.partitions': '5' }),
    clock: h.clock,
    logger: silentLogger,
    log: h.log,
    markers,
    producerIds: { allocate: async () => nextPid++ },
    offsetsPartitionFor: () => 0,
  });
  c2.start();
  assert.equal(c2.idError('r1'), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal((await c2.initProducerId({ transactionalId: 'r1', transactionTimeoutMs: TIMEOUT, producerId: -1, producerEpoch: -1 })).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  h.log.readGate = null;
  open();
  await c2.loaded();
  await c2.whenIdle();
  const d1 = c2.describeTransaction('r1');
  assert.equal(d1.transactionState, 'Ongoing');
  assert.deepEqual(d1.topics, [{ topic: 'a', partitions: [0] }]);
  assert.equal(c2.describeTransaction('r2').transactionState, 'CompleteCommit');
  assert.deepEqual(markers.written.map((m) => [m.topic, m.partition, m.commit]), [['b', 1, true]]);
  // The open transaction still ends as its producer asks.
  assert.equal(await endV1(c2, { transactionalId: 'r1', producerId: a.producerId, producerEpoch: 0, commit: false }), ErrorCode.NONE);
  await c2.stop();
});

test('transactional offsets: pending until the commit marker, dropped by abort, UNSTABLE_OFFSET_COMMIT with require_stable, kept across a reload', async () => {
  const { harness: groupHarness } = await import('./helpers.js');
  const { encodeControlBatch } = await import('../../../src/protocol/records/record-batch.js');
  const { groupPartition } = await import('../../../src/coordinator/group/records.js');
  const h = await groupHarness();
  const commit = (producerId: number, offset: number) =>
    h.c.commitTxnOffsets({ groupId: 'g', producerId, producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null, offsets: [{ topic: 't', partition: 0, offset: BigInt(offset), leaderEpoch: -1, metadata: null }] });
  const fetch = (requireStable: boolean) => h.c.fetchOffsets('g', [{ name: 't', partitions: [0] }], requireStable).topics[0]!.partitions[0]!;
  assert.deepEqual(await commit(5, 10), [ErrorCode.NONE]);
  assert.equal(fetch(false).offset, -1n);
  assert.equal(fetch(true).errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT);
  const p = groupPartition('g', 4);
  // The marker as the transaction coordinator writes it, then the notification.
  await h.topic.append(p, encodeControlBatch({ producerId: 5, producerEpoch: 0, commit: true, coordinatorEpoch: 0, timestamp: 0 }));
  h.c.completeTxn(p, 5, true);
  assert.equal(fetch(true).offset, 10n);
  assert.equal(fetch(true).errorCode, ErrorCode.NONE);
  // An aborted one leaves the committed offset alone.
  await commit(6, 20);
  await h.topic.append(p, encodeControlBatch({ producerId: 6, producerEpoch: 0, commit: false, coordinatorEpoch: 0, timestamp: 0 }));
  h.c.completeTxn(p, 6, false);
  assert.equal(fetch(true).offset, 10n);
  // One left open: after a reload it is still pending, and commits with its marker.
  await commit(7, 30);
  await h.c.stop();
  const h2 = await groupHarness({ topic: h.topic, clock: h.clock });
  const fetch2 = (requireStable: boolean) => h2.c.fetchOffsets('g', [{ name: 't', partitions: [0] }], requireStable).topics[0]!.partitions[0]!;
  assert.equal(fetch2(false).offset, 10n);
  assert.equal(fetch2(true).errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT);
  h2.c.completeTxn(p, 7, true);
  assert.equal(fetch2(true).offset, 30n);
  await h2.c.stop();
});
