/**
 * The producer's side of Kafka transactions: the transaction coordinator's requests and the
 * state machine of Kafka's Java TransactionManager, reduced to what Samsa's producer needs.
 *
 *   uninitialized → initTransactions → ready → beginTransaction → inTransaction
 *   inTransaction → commitTransaction | abortTransaction → ready
 *   inTransaction → (a send or offset commit failed) → abortableError → abortTransaction → ready
 *   anything → (fenced by a newer instance, or an unrecoverable answer) → fatalError
 *
 * Partitions join the transaction (AddPartitionsToTxn) before their first batch; offsets join it
 * with AddOffsetsToTxn, then go to the group coordinator with TxnOffsetCommit.
 *
 * Transactions v2 (KIP-890), when the coordinator's broker finalizes transaction.version 2 and
 * serves EndTxn v5: no AddPartitionsToTxn or AddOffsetsToTxn — partitions join the transaction
 * with their first Produce v12, the offsets' partition with TxnOffsetCommit v5 — and every EndTxn
 * answers a new epoch (or, once the epochs ran out, a new producer id), so that a send of the
 * finished transaction arriving late is fenced. Decided at initTransactions and after each
 * EndTxn, for the transactions that follow.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, KafkaError, errorName } from '../protocol/errors.js';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../protocol/messages/10-find-coordinator.js';
import type { InitProducerIdRequest, InitProducerIdResponse } from '../protocol/messages/22-init-producer-id.js';
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from '../protocol/messages/24-add-partitions-to-txn.js';
import type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from '../protocol/messages/25-add-offsets-to-txn.js';
import type { EndTxnRequest, EndTxnResponse } from '../protocol/messages/26-end-txn.js';
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../protocol/messages/28-txn-offset-commit.js';
import type { Cluster } from './cluster.js';
import type { Connection } from './connection.js';
import { ClientError, ConnectionError, UnsupportedVersionError } from './errors.js';
import type { ProducerIdAndEpoch } from './producer-state.js';

const FIND_COORDINATOR_KEY = 10;
const FIND_COORDINATOR_VERSION_MAX = 4;
const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;
export const INIT_PRODUCER_ID_KEY = 22;
/** v3 can bump the epoch of the current id (KIP-360); v5 belongs to KIP-890, which this producer does not follow yet. */
const INIT_PRODUCER_ID_VERSION_MAX = 4;
const INIT_PRODUCER_ID_BUMP_VERSION_MIN = 3;
const ADD_PARTITIONS_KEY = 24;
/** v4+ batches many transactional ids and is for brokers only. */
const ADD_PARTITIONS_VERSION_MAX = 3;
const ADD_OFFSETS_KEY = 25;
const ADD_OFFSETS_VERSION_MAX = 3;
const END_TXN_KEY = 26;
/** v5 returns a new epoch per transaction (KIP-890 transactions v2). */
const END_TXN_VERSION_MAX = 5;
const END_TXN_V2_VERSION = 5;
const TXN_OFFSET_COMMIT_KEY = 28;
/** v3 adds the group generation and member id; v4 TRANSACTION_ABORTABLE, which this producer does not handle; v5 is transactions v2. */
const TXN_OFFSET_COMMIT_VERSION_MAX = 3;
const TXN_OFFSET_COMMIT_V2_VERSION = 5;
const TRANSACTION_VERSION_FEATURE = 'transaction.version';
/** Kafka's transaction.timeout.ms default. */
export const TRANSACTION_TIMEOUT_MS_DEFAULT = 60_000;
/** Coordinator answers worth waiting out (a transaction still finishing, a coordinator loading or moved). */
const TXN_RETRY_ATTEMPTS_MAX = 50;
const TXN_RETRY_BACKOFF_MS = 50;

const COORDINATOR_MOVED = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE]);
const WAIT_AND_RETRY = new Set<number>([ErrorCode.CONCURRENT_TRANSACTIONS, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);
/** This producer was replaced by a newer one with the same transactional id. */
export const FENCED = new Set<number>([ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH]);

export type TransactionState = 'uninitialized' | 'ready' | 'inTransaction' | 'committing' | 'aborting' | 'abortableError' | 'fatalError';

/** A transactional call made in a state that does not allow it (send outside a transaction, …). */
export class TransactionStateError extends ClientError {
  override name = 'TransactionStateError';
  override readonly code = 'SAMSA_TRANSACTION_STATE';
}

/** The consumer group whose offsets a transaction commits; a bare group id commits outside any generation. */
export interface GroupMetadata {
  groupId: string;
  generationId?: number;
  memberId?: string;
  groupInstanceId?: string | null;
}

export interface TransactionOffset {
  topic: string;
  partition: number;
  /** The next offset to read, as Kafka commits it. */
  offset: number;
  metadata?: string | null;
}

/** Whether the transaction coordinator's broker has transactions v2 (KIP-890) on: transaction.version 2 finalized and EndTxn v5. */
function speaksV2(conn: Connection): boolean {
  return conn.featureLevel(TRANSACTION_VERSION_FEATURE) >= 2 && conn.versionFor(END_TXN_KEY, END_TXN_V2_VERSION) >= END_TXN_V2_VERSION;
}

function errorFor(code: number, what: string, message?: string | null): KafkaError {
  return new KafkaError(code, `${what} failed with ${errorName(code)}${message ? `: ${message}` : ''}`);
}

/** Looks up the coordinator of a group (keyType 0) or transactional id (keyType 1). */
async function findCoordinator(conn: Connection, key: string, keyType: number): Promise<number> {
  const version = conn.versionFor(FIND_COORDINATOR_KEY, FIND_COORDINATOR_VERSION_MAX, keyType === KEY_TYPE_TRANSACTION ? 1 : 0);
  const resp = await conn.request<FindCoordinatorRequest, FindCoordinatorResponse>(FIND_COORDINATOR_KEY, version, { key, keyType, coordinatorKeys: [key] });
  const c = version >= 4 ? resp.coordinators.find((x) => x.key === key) : { ...resp, key };
  if (c === undefined) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `FindCoordinator did not answer for '${key}'.`);
  if (c.errorCode !== ErrorCode.NONE) throw errorFor(c.errorCode, `FindCoordinator for '${key}'`, c.errorMessage);
  return c.nodeId;
}

/**
 * Sends InitProducerId to `conn`: any broker for an idempotent producer, the transaction
 * coordinator for a transactional one. With `current`, the coordinator bumps that id's epoch (v3+).
 */
export async function initProducerId(
  conn: Connection,
  req: { transactionalId: string | null; transactionTimeoutMs: number; current?: ProducerIdAndEpoch },
): Promise<ProducerIdAndEpoch> {
  if (conn.apiVersionRange(INIT_PRODUCER_ID_KEY) === undefined) {
    throw new UnsupportedVersionError(
      `The broker at ${conn.address} does not serve InitProducerId (api key 22), which idempotent and transactional producers need; ` +
        'create the producer with idempotent: false to write without it.',
    );
  }
  const version = conn.versionFor(INIT_PRODUCER_ID_KEY, INIT_PRODUCER_ID_VERSION_MAX, req.current === undefined ? 0 : INIT_PRODUCER_ID_BUMP_VERSION_MIN);
  const resp = await conn.request<InitProducerIdRequest, InitProducerIdResponse>(INIT_PRODUCER_ID_KEY, version, {
    transactionalId: req.transactionalId,
    transactionTimeoutMs: req.transactionTimeoutMs,
    producerId: req.current?.producerId ?? -1,
    producerEpoch: req.current?.producerEpoch ?? -1,
  });
  if (resp.errorCode !== ErrorCode.NONE) throw errorFor(resp.errorCode, 'InitProducerId');
  return { producerId: resp.producerId, producerEpoch: resp.producerEpoch };
}

/** The transactional half of a producer: coordinator, state and the partitions in the open transaction. */
export class TransactionManager {
  state: TransactionState = 'uninitialized';
  identity: ProducerIdAndEpoch = { producerId: -1, producerEpoch: -1 };
  /** Why the producer is in abortableError or fatalError. */
  private cause: Error | null = null;
  private coordinatorId: number | null = null;
  /** A send failed with an unknown outcome or a sequence error: after the abort, a new epoch restarts the sequences. */
  private epochBumpRequired = false;
  private readonly partitionsInTxn = new Set<string>();
  private offsetsAdded = false;
  /** Transactions v2 for the transaction now open (or the next one). */
  private v2 = false;

  constructor(
    private readonly cluster: Cluster,
    readonly transactionalId: string,
    private readonly transactionTimeoutMs: number,
  ) {}

  /** Registers the producer id with the coordinator, fencing older instances and finishing their transaction. */
  async initTransactions(): Promise<ProducerIdAndEpoch> {
    this.require(['uninitialized'], 'initTransactions()');
    this.identity = await this.withCoordinator('InitProducerId', (conn) => {
      this.v2 = speaksV2(conn);
      return initProducerId(conn, { transactionalId: this.transactionalId, transactionTimeoutMs: this.transactionTimeoutMs });
    });
    this.state = 'ready';
    return this.identity;
  }

  beginTransaction(): void {
    this.require(['ready'], 'beginTransaction()');
    this.partitionsInTxn.clear();
    this.offsetsAdded = false;
    this.state = 'inTransaction';
  }

  /** Checks that a send may go out now: in a transaction, with no error pending. */
  assertCanSend(): void {
    this.require(['inTransaction'], 'send()');
  }

  /** Whether the open transaction is a v2 one: its sends go as Produce v12 (and only then). */
  get usesV2(): boolean {
    return this.v2;
  }

  /** Adds the partitions not yet in the transaction, before their first batch (with v2, their Produce does). */
  async addPartitions(topic: string, partitions: number[]): Promise<void> {
    const fresh = partitions.filter((p) => !this.partitionsInTxn.has(`${topic}\u0000${p}`));
    if (fresh.length === 0) return;
    if (!this.v2) await this.guard(() =>
      this.withCoordinator('AddPartitionsToTxn', async (conn) => {
        const version = conn.versionFor(ADD_PARTITIONS_KEY, ADD_PARTITIONS_VERSION_MAX);
        const resp = await conn.request<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>(ADD_PARTITIONS_KEY, version, {
          transactions: [],
          v3AndBelowTransactionalId: this.transactionalId,
          v3AndBelowProducerId: this.identity.producerId,
          v3AndBelowProducerEpoch: this.identity.producerEpoch,
          v3AndBelowTopics: [{ name: topic, partitions: fresh }],
        });
        if (resp.errorCode !== ErrorCode.NONE) throw errorFor(resp.errorCode, 'AddPartitionsToTxn');
        // The first real error wins over OPERATION_NOT_ATTEMPTED, which only says "not tried because of another".
        let worst = ErrorCode.NONE as number;
        for (const t of resp.resultsByTopicV3AndBelow) {
          for (const p of t.resultsByPartition) {
            if (p.partitionErrorCode !== ErrorCode.NONE && (worst === ErrorCode.NONE || worst === ErrorCode.OPERATION_NOT_ATTEMPTED)) worst = p.partitionErrorCode;
          }
        }
        if (worst !== ErrorCode.NONE) throw errorFor(worst, `AddPartitionsToTxn for ${topic} [${fresh.join(', ')}]`);
      }),
    );
    for (const p of fresh) this.partitionsInTxn.add(`${topic}\u0000${p}`);
  }

  /** Commits consumed offsets as part of the transaction: AddOffsetsToTxn, then TxnOffsetCommit to the group. */
  async sendOffsets(offsets: TransactionOffset[], group: GroupMetadata): Promise<void> {
    this.require(['inTransaction'], 'sendOffsetsToTransaction()');
    if (offsets.length === 0) return;
    await this.guard(async () => {
      if (!this.v2) await this.withCoordinator('AddOffsetsToTxn', async (conn) => {
        const version = conn.versionFor(ADD_OFFSETS_KEY, ADD_OFFSETS_VERSION_MAX);
        const resp = await conn.request<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>(ADD_OFFSETS_KEY, version, {
          transactionalId: this.transactionalId,
          producerId: this.identity.producerId,
          producerEpoch: this.identity.producerEpoch,
          groupId: group.groupId,
        });
        if (resp.errorCode !== ErrorCode.NONE) throw errorFor(resp.errorCode, `AddOffsetsToTxn for group '${group.groupId}'`);
      });
      this.offsetsAdded = true;
      await this.retrying('TxnOffsetCommit', async () => {
        const nodeId = await findCoordinator(await this.cluster.anyConnection(), group.groupId, KEY_TYPE_GROUP);
        const conn = await this.connectionTo(nodeId);
        const version = this.v2 ? conn.versionFor(TXN_OFFSET_COMMIT_KEY, TXN_OFFSET_COMMIT_V2_VERSION, TXN_OFFSET_COMMIT_V2_VERSION) : conn.versionFor(TXN_OFFSET_COMMIT_KEY, TXN_OFFSET_COMMIT_VERSION_MAX);
        const byTopic = new Map<string, TransactionOffset[]>();
        for (const o of offsets) {
          let list = byTopic.get(o.topic);
          if (list === undefined) byTopic.set(o.topic, (list = []));
          list.push(o);
        }
        const resp = await conn.request<TxnOffsetCommitRequest, TxnOffsetCommitResponse>(TXN_OFFSET_COMMIT_KEY, version, {
          transactionalId: this.transactionalId,
          groupId: group.groupId,
          producerId: this.identity.producerId,
          producerEpoch: this.identity.producerEpoch,
          generationId: group.generationId ?? -1,
          memberId: group.memberId ?? '',
          groupInstanceId: group.groupInstanceId ?? null,
          topics: [...byTopic].map(([name, list]) => ({
            name,
            partitions: list.map((o) => ({ partitionIndex: o.partition, committedOffset: BigInt(o.offset), committedLeaderEpoch: -1, committedMetadata: o.metadata ?? '' })),
          })),
        });
        for (const t of resp.topics) {
          for (const p of t.partitions) {
            if (p.errorCode !== ErrorCode.NONE) throw errorFor(p.errorCode, `TxnOffsetCommit for ${t.name}-${p.partitionIndex} in group '${group.groupId}'`);
          }
        }
      });
    });
  }

  async commitTransaction(): Promise<void> {
    if (this.state === 'abortableError') {
      throw new TransactionStateError(`The transaction cannot commit because an earlier step failed (${this.cause?.message}); call abortTransaction().`);
    }
    this.require(['inTransaction'], 'commitTransaction()');
    await this.endTxn(true);
  }

  /** Aborts; after a failed send, also bumps the epoch (KIP-360) so the next transaction's sequences start at 0. */
  async abortTransaction(): Promise<void> {
    this.require(['inTransaction', 'abortableError'], 'abortTransaction()');
    const bumped = await this.endTxn(false);
    // Transactions v2: EndTxn itself moved the producer to a new epoch.
    if (bumped) this.epochBumpRequired = false;
    if (!this.epochBumpRequired) return;
    try {
      this.identity = await this.withCoordinator('InitProducerId (epoch bump)', (conn) =>
        initProducerId(conn, { transactionalId: this.transactionalId, transactionTimeoutMs: this.transactionTimeoutMs, current: this.identity }),
      );
      this.epochBumpRequired = false;
    } catch (err) {
      this.state = 'fatalError';
      this.cause = err as Error;
      throw err;
    }
  }

  /** A send of the open transaction failed: it can only abort, and its sequences need a new epoch. */
  failSend(err: Error): void {
    this.fail(err);
    if (this.state === 'abortableError') this.epochBumpRequired = true;
  }

  /** Marks the transaction as one that can only abort (a step inside it failed). */
  fail(err: Error): void {
    if (this.state === 'fatalError') return;
    if (err instanceof KafkaError && FENCED.has(err.code)) {
      this.state = 'fatalError';
      this.cause = err;
    } else if (this.state === 'inTransaction') {
      this.state = 'abortableError';
      this.cause = err;
    }
  }

  /** Ends the open transaction; true when the coordinator answered a new epoch or id (v2). */
  private async endTxn(committed: boolean): Promise<boolean> {
    let bumped = false;
    const what = committed ? 'commitTransaction()' : 'abortTransaction()';
    this.state = committed ? 'committing' : 'aborting';
    // A transaction with nothing in it has nothing at the coordinator to end.
    if (this.partitionsInTxn.size > 0 || this.offsetsAdded) {
      try {
        await this.withCoordinator(`EndTxn (${what})`, async (conn) => {
          const version = this.v2 ? END_TXN_V2_VERSION : Math.min(conn.versionFor(END_TXN_KEY, END_TXN_VERSION_MAX), END_TXN_V2_VERSION - 1);
          const resp = await conn.request<EndTxnRequest, EndTxnResponse>(END_TXN_KEY, version, {
            transactionalId: this.transactionalId,
            producerId: this.identity.producerId,
            producerEpoch: this.identity.producerEpoch,
            committed,
          });
          if (resp.errorCode !== ErrorCode.NONE) throw errorFor(resp.errorCode, `EndTxn (${what})`);
          // v2: the producer goes on with the epoch (or id) the coordinator moved it to.
          if (version >= END_TXN_V2_VERSION && resp.producerId >= 0) {
            this.identity = { producerId: resp.producerId, producerEpoch: resp.producerEpoch };
            bumped = true;
          }
          this.v2 = speaksV2(conn);
        });
      } catch (err) {
        this.state = 'fatalError';
        this.cause = err as Error;
        throw err;
      }
    }
    this.partitionsInTxn.clear();
    this.offsetsAdded = false;
    this.state = 'ready';
    return bumped;
  }

  /** Runs a step of the open transaction; its failure leaves the transaction only abortable (or the producer fenced). */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      this.fail(err as Error);
      throw err;
    }
  }

  private require(allowed: TransactionState[], call: string): void {
    if (allowed.includes(this.state)) return;
    if (this.state === 'fatalError') {
      throw new TransactionStateError(`${call} is not possible: this producer hit a fatal error (${this.cause?.message}); close it and create a new one.`);
    }
    const hint: Record<TransactionState, string> = {
      uninitialized: 'call initTransactions() first',
      ready: 'no transaction is open; call beginTransaction() first',
      inTransaction: 'a transaction is already open; commit or abort it first',
      committing: 'the transaction is committing',
      aborting: 'the transaction is aborting',
      abortableError: `the transaction failed (${this.cause?.message}) and must be aborted with abortTransaction()`,
      fatalError: '',
    };
    throw new TransactionStateError(`${call} is not possible now: ${hint[this.state]}.`);
  }

  /** Sends to the transaction coordinator, finding it again when it moved. */
  private withCoordinator<T>(what: string, fn: (conn: Connection) => Promise<T>): Promise<T> {
    return this.retrying(what, async () => {
      if (this.coordinatorId === null) {
        this.coordinatorId = await findCoordinator(await this.cluster.anyConnection(), this.transactionalId, KEY_TYPE_TRANSACTION);
      }
      try {
        return await fn(await this.connectionTo(this.coordinatorId));
      } catch (err) {
        if (err instanceof ConnectionError || (err instanceof KafkaError && COORDINATOR_MOVED.has(err.code))) this.coordinatorId = null;
        throw err;
      }
    });
  }

  /** Retries the coordinator answers that mean "wait" or "ask elsewhere", and lost connections. */
  private async retrying<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const retriable =
          err instanceof ConnectionError || (err instanceof KafkaError && (COORDINATOR_MOVED.has(err.code) || WAIT_AND_RETRY.has(err.code)));
        if (!retriable || attempt >= TXN_RETRY_ATTEMPTS_MAX) {
          if (err instanceof KafkaError && FENCED.has(err.code)) {
            throw new KafkaError(err.code, `${what}: this producer was fenced by a newer instance with transactional id '${this.transactionalId}' (${err.codeName}).`);
          }
          throw err;
        }
        await sleep(TXN_RETRY_BACKOFF_MS);
      }
    }
  }

  private async connectionTo(nodeId: number): Promise<Connection> {
    try {
      return await this.cluster.connectionTo(nodeId);
    } catch (err) {
      if (!(err instanceof KafkaError && err.code === ErrorCode.BROKER_NOT_AVAILABLE)) throw err;
      // The coordinator may be a broker this producer has not seen in metadata yet.
      await this.cluster.refresh([]);
      return this.cluster.connectionTo(nodeId);
    }
  }
}
