/**
 * Admin calls for transactions, as Kafka's Admin offers them: ListTransactions (every broker),
 * DescribeTransactions (the transactional id's coordinator, found with FindCoordinator key type
 * 1), DescribeProducers (the partition's leader) and abortTransaction (WriteTxnMarkers with an
 * ABORT marker to the partition's leader). The Admin class exposes them.
 */
import { ErrorCode, KafkaError, errorName } from '../protocol/errors.js';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../protocol/messages/10-find-coordinator.js';
import type { ListTransactionsRequest, ListTransactionsResponse } from '../protocol/messages/66-list-transactions.js';
import type { DescribeTransactionsRequest, DescribeTransactionsResponse } from '../protocol/messages/65-describe-transactions.js';
import type { DescribeProducersRequest, DescribeProducersResponse } from '../protocol/messages/61-describe-producers.js';
import type { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from '../protocol/messages/27-write-txn-markers.js';
import type { Cluster } from './cluster.js';

const FIND_COORDINATOR_KEY = 10;
const FIND_COORDINATOR_VERSION = { min: 1, max: 3 };
const KEY_TYPE_TRANSACTION = 1;
const LIST_TRANSACTIONS_KEY = 66;
const DESCRIBE_TRANSACTIONS_KEY = 65;
const DESCRIBE_PRODUCERS_KEY = 61;
const WRITE_TXN_MARKERS_KEY = 27;

export interface TransactionListing {
  transactionalId: string;
  producerId: number;
  state: string;
  coordinatorId: number;
}

export interface TransactionDescription {
  transactionalId: string;
  coordinatorId: number;
  state: string;
  producerId: number;
  producerEpoch: number;
  transactionTimeoutMs: number;
  /** -1 when no transaction is open. */
  transactionStartTimeMs: number;
  topicPartitions: Array<{ topic: string; partition: number }>;
}

export interface ProducerState {
  producerId: number;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: number;
  coordinatorEpoch: number;
  /** -1 when the producer has no open transaction on the partition. */
  currentTransactionStartOffset: number;
}

export interface AbortSpec {
  topic: string;
  partition: number;
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
}

function fail(code: number, what: string, message?: string | null): never {
  throw new KafkaError(code, `${what} failed: ${message ?? errorName(code)}`);
}

/** Transactions known to every broker's coordinator, sorted by transactional id. */
export async function listTransactions(cluster: Cluster, filter: { states?: string[]; producerIds?: number[] } = {}): Promise<TransactionListing[]> {
  const snapshot = await cluster.withRetry(() => cluster.refresh([]));
  const perBroker = await Promise.all(
    snapshot.brokers.map((b) =>
      cluster.withRetry(async () => {
        const conn = await cluster.connectionTo(b.nodeId);
        const resp = await conn.request<ListTransactionsRequest, ListTransactionsResponse>(LIST_TRANSACTIONS_KEY, conn.versionFor(LIST_TRANSACTIONS_KEY, 0), {
          stateFilters: filter.states ?? [],
          producerIdFilters: filter.producerIds ?? [],
          durationFilter: -1,
        });
        if (resp.errorCode !== ErrorCode.NONE) fail(resp.errorCode, `Listing transactions on broker ${b.nodeId}`);
        return resp.transactionStates.map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, state: t.transactionState, coordinatorId: b.nodeId }));
      }),
    ),
  );
  return perBroker.flat().sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0));
}

export async function describeTransaction(cluster: Cluster, transactionalId: string): Promise<TransactionDescription> {
  return cluster.withRetry(async () => {
    const any = await cluster.anyConnection();
    const version = any.versionFor(FIND_COORDINATOR_KEY, FIND_COORDINATOR_VERSION.max, FIND_COORDINATOR_VERSION.min);
    const found = await any.request<FindCoordinatorRequest, FindCoordinatorResponse>(FIND_COORDINATOR_KEY, version, { key: transactionalId, keyType: KEY_TYPE_TRANSACTION, coordinatorKeys: [] });
    if (found.errorCode !== ErrorCode.NONE) fail(found.errorCode, `Finding the coordinator of transactional id '${transactionalId}'`, found.errorMessage);
    const conn = await cluster.connectionTo(found.nodeId);
    const resp = await conn.request<DescribeTransactionsRequest, DescribeTransactionsResponse>(DESCRIBE_TRANSACTIONS_KEY, 0, { transactionalIds: [transactionalId] });
    const t = resp.transactionStates[0];
    if (t === undefined) fail(ErrorCode.UNKNOWN_SERVER_ERROR, `Describing transactional id '${transactionalId}'`, 'the broker sent no state');
    if (t.errorCode !== ErrorCode.NONE) fail(t.errorCode, `Describing transactional id '${transactionalId}'`);
    return {
      transactionalId,
      coordinatorId: found.nodeId,
      state: t.transactionState,
      producerId: t.producerId,
      producerEpoch: t.producerEpoch,
      transactionTimeoutMs: t.transactionTimeoutMs,
      transactionStartTimeMs: t.transactionStartTimeMs,
      topicPartitions: t.topics.flatMap((x) => x.partitions.map((partition) => ({ topic: x.topic, partition }))),
    };
  });
}

export async function describeProducers(cluster: Cluster, topic: string, partition: number): Promise<ProducerState[]> {
  return cluster.withRetry(async () => {
    const conn = await cluster.leaderConnection(topic, partition);
    const resp = await conn.request<DescribeProducersRequest, DescribeProducersResponse>(DESCRIBE_PRODUCERS_KEY, 0, { topics: [{ name: topic, partitionIndexes: [partition] }] });
    const p = resp.topics[0]?.partitions[0];
    if (p === undefined) fail(ErrorCode.UNKNOWN_SERVER_ERROR, `Describing producers of ${topic}-${partition}`, 'the broker sent no partition');
    if (p.errorCode !== ErrorCode.NONE) fail(p.errorCode, `Describing producers of ${topic}-${partition}`, p.errorMessage);
    return p.activeProducers.map((a) => ({
      producerId: a.producerId,
      producerEpoch: a.producerEpoch,
      lastSequence: a.lastSequence,
      lastTimestamp: a.lastTimestamp,
      coordinatorEpoch: a.coordinatorEpoch,
      currentTransactionStartOffset: a.currentTxnStartOffset,
    }));
  }, { topics: [topic] });
}

/** Writes an ABORT marker for a producer's hanging transaction on one partition. */
export async function abortTransaction(cluster: Cluster, spec: AbortSpec): Promise<void> {
  await cluster.withRetry(async () => {
    const conn = await cluster.leaderConnection(spec.topic, spec.partition);
    const resp = await conn.request<WriteTxnMarkersRequest, WriteTxnMarkersResponse>(WRITE_TXN_MARKERS_KEY, conn.versionFor(WRITE_TXN_MARKERS_KEY, 1), {
      markers: [
        {
          producerId: spec.producerId,
          producerEpoch: spec.producerEpoch,
          transactionResult: false,
          coordinatorEpoch: spec.coordinatorEpoch,
          topics: [{ name: spec.topic, partitionIndexes: [spec.partition] }],
        },
      ],
    });
    const code = resp.markers[0]?.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    if (code !== ErrorCode.NONE) fail(code, `Aborting the transaction of producer ${spec.producerId} on ${spec.topic}-${spec.partition}`);
  }, { topics: [spec.topic] });
}
