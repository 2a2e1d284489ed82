/**
 * The records of `__transaction_state`, byte for byte as Kafka writes them (TransactionLogKey and
 * TransactionLogValue), so that Kafka's tools read a Samsa data dir. Key and value each start with
 * an INT16 version. The key (v0) is the transactional id; the value is the whole state of that
 * transactional id after a change, so the last record of a key is its state; a null value is a
 * tombstone (the id expired). Values are written at v1 (KIP-890: flexible, with the tagged fields
 * PreviousProducerId, NextProducerId and ClientTransactionVersion), as Kafka 4 writes them once
 * transaction.version 1 or more is finalized, and read at v0 and v1.
 */
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';
import { codecFor, VERSION_MAX, type MessageSchema } from '../../protocol/schema.js';
import { javaStringHashCode } from '../group/records.js';

export const TXN_KEY_VERSION = 0;
export const TXN_VALUE_VERSION = 1;
const TXN_VALUE_VERSION_KNOWN_MAX = 1;

/** Kafka's TransactionState ids, as stored in TransactionStatus. */
export const TxnState = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;
export type TxnStateName = keyof typeof TxnState;
const STATE_NAMES = Object.keys(TxnState) as TxnStateName[];

export function txnStateName(id: number): TxnStateName {
  const name = STATE_NAMES.find((n) => TxnState[n] === id);
  if (name === undefined) throw new TxnRecordError(`unknown transaction state ${id}`);
  return name;
}

/** Kafka's state names as DescribeTransactions and ListTransactions report them. */
export const TXN_STATE_DISPLAY: Record<TxnStateName, string> = {
  Empty: 'Empty',
  Ongoing: 'Ongoing',
  PrepareCommit: 'PrepareCommit',
  PrepareAbort: 'PrepareAbort',
  CompleteCommit: 'CompleteCommit',
  CompleteAbort: 'CompleteAbort',
  Dead: 'Dead',
  PrepareEpochFence: 'PrepareEpochFence',
};

export interface TxnTopicPartitions {
  topic: string;
  partitionIds: number[];
}

export interface TxnLogValue {
  producerId: number;
  producerEpoch: number;
  transactionTimeoutMs: number;
  state: TxnStateName;
  /** Null only when read from a record that had none. */
  partitions: TxnTopicPartitions[];
  lastUpdateTimestampMs: number;
  startTimestampMs: number;
  /** v1 tags (KIP-890): the id of the last committed transaction when the epochs ran out (-1: none). */
  previousProducerId?: number;
  /** The id the producer moves to once this transaction completes, when its epochs ran out (-1: none). */
  nextProducerId?: number;
  /** The transaction version the producer uses: 2 bumps the epoch at every EndTxn. */
  clientTransactionVersion?: number;
}

export interface TxnLogRecord {
  transactionalId: string;
  value: TxnLogValue | null;
}

export class TxnRecordError extends Error {
  override name = 'TxnRecordError';
}

const KeySchema: MessageSchema = {
  name: 'TransactionLogKey',
  apiKey: 0,
  validVersions: [0, 0],
  flexible: null,
  fields: [{ name: 'transactionalId', type: 'string', versions: [0, VERSION_MAX] }],
};

const ValueSchema: MessageSchema = {
  name: 'TransactionLogValue',
  apiKey: 0,
  validVersions: [0, TXN_VALUE_VERSION_KNOWN_MAX],
  flexible: [1, VERSION_MAX],
  fields: [
    { name: 'producerId', type: 'int64', versions: [0, VERSION_MAX] },
    { name: 'previousProducerId', type: 'int64', versions: [1, VERSION_MAX], tagged: [1, VERSION_MAX], tag: 0, default: -1 },
    { name: 'nextProducerId', type: 'int64', versions: [1, VERSION_MAX], tagged: [1, VERSION_MAX], tag: 1, default: -1 },
    { name: 'producerEpoch', type: 'int16', versions: [0, VERSION_MAX] },
    { name: 'transactionTimeoutMs', type: 'int32', versions: [0, VERSION_MAX] },
    { name: 'transactionStatus', type: 'int8', versions: [0, VERSION_MAX] },
    { name: 'transactionPartitions', type: '[]struct', versions: [0, VERSION_MAX], nullable: [0, VERSION_MAX], fields: [
      { name: 'topic', type: 'string', versions: [0, VERSION_MAX] },
      { name: 'partitionIds', type: '[]int32', versions: [0, VERSION_MAX] },
    ] },
    { name: 'transactionLastUpdateTimestampMs', type: 'int64', versions: [0, VERSION_MAX] },
    { name: 'transactionStartTimestampMs', type: 'int64', versions: [0, VERSION_MAX] },
    { name: 'clientTransactionVersion', type: 'int16', versions: [1, VERSION_MAX], tagged: [1, VERSION_MAX], tag: 2, default: 0 },
  ],
};

interface WireValue {
  producerId: number;
  producerEpoch: number;
  transactionTimeoutMs: number;
  transactionStatus: number;
  transactionPartitions: TxnTopicPartitions[] | null;
  transactionLastUpdateTimestampMs: number;
  transactionStartTimestampMs: number;
  previousProducerId: number;
  nextProducerId: number;
  clientTransactionVersion: number;
}

function encode(schema: MessageSchema, version: number, value: object): Buffer {
  const w = new Writer(64);
  w.int16(version);
  codecFor<object>(schema, version).encode(w, value);
  return w.toBuffer();
}

export function encodeTxnKey(transactionalId: string): Buffer {
  return encode(KeySchema, TXN_KEY_VERSION, { transactionalId });
}

export function encodeTxnValue(v: TxnLogValue): Buffer {
  const wire: WireValue = {
    producerId: v.producerId,
    producerEpoch: v.producerEpoch,
    transactionTimeoutMs: v.transactionTimeoutMs,
    transactionStatus: TxnState[v.state],
    transactionPartitions: v.partitions,
    transactionLastUpdateTimestampMs: v.lastUpdateTimestampMs,
    transactionStartTimestampMs: v.startTimestampMs,
    previousProducerId: v.previousProducerId ?? -1,
    nextProducerId: v.nextProducerId ?? -1,
    clientTransactionVersion: v.clientTransactionVersion ?? 0,
  };
  return encode(ValueSchema, TXN_VALUE_VERSION, wire);
}

export function encodeTxnRecord(r: TxnLogRecord): { key: Buffer; value: Buffer | null } {
  return { key: encodeTxnKey(r.transactionalId), value: r.value === null ? null : encodeTxnValue(r.value) };
}

/** Decodes a record; null for a key version this broker does not know (skipped, as Kafka does). */
export function decodeTxnRecord(key: Buffer | null, value: Buffer | null): TxnLogRecord | null {
  if (key === null || key.length < 2) throw new TxnRecordError('a __transaction_state record needs a key');
  const r = new Reader(key);
  const keyVersion = r.int16();
  if (keyVersion !== TXN_KEY_VERSION) return null;
  const k = codecFor<{ transactionalId: string }>(KeySchema, keyVersion).decode(r);
  if (r.error !== null) throw new TxnRecordError(`TransactionLogKey does not decode: ${r.error}`);
  return { transactionalId: k.transactionalId, value: value === null ? null : decodeTxnValue(value) };
}

export function decodeTxnValue(buf: Buffer): TxnLogValue {
  const r = new Reader(buf);
  const version = r.int16();
  if (version < 0) throw new TxnRecordError(`TransactionLogValue version ${version} is not valid`);
  const v = codecFor<WireValue>(ValueSchema, Math.min(version, TXN_VALUE_VERSION_KNOWN_MAX)).decode(r);
  if (r.error !== null) throw new TxnRecordError(`TransactionLogValue v${version} does not decode: ${r.error}`);
  return {
    producerId: v.producerId,
    producerEpoch: v.producerEpoch,
    transactionTimeoutMs: v.transactionTimeoutMs,
    state: txnStateName(v.transactionStatus),
    partitions: v.transactionPartitions ?? [],
    lastUpdateTimestampMs: v.transactionLastUpdateTimestampMs,
    startTimestampMs: v.transactionStartTimestampMs,
    previousProducerId: v.previousProducerId,
    nextProducerId: v.nextProducerId,
    clientTransactionVersion: v.clientTransactionVersion,
  };
}

/** The `__transaction_state` partition of a transactional id: Kafka's `Utils.abs(id.hashCode) % n`. */
export function txnPartition(transactionalId: string, partitions: number): number {
  const h = javaStringHashCode(transactionalId);
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions;
}
