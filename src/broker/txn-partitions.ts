/**
 * KIP-890 where records enter the log: before this broker appends a producer's first
 * transactional batch of a transaction to a partition (Produce, or offsets through
 * TxnOffsetCommit), it asks the producer's transaction coordinator — this broker's, or another's
 * over AddPartitionsToTxn v5 — whether the partition is in that transaction (part 1, with
 * `transaction.partition.verification.enable`), or, for a transactions-v2 producer (Produce v12,
 * TxnOffsetCommit v5), adds it. A batch the coordinator does not vouch for is refused, so a late
 * or stray write cannot open a transaction that nobody will end (a hanging transaction).
 */
import { ErrorCode, errorName } from '../protocol/errors.js';
import type { TxnCoordinator } from '../coordinator/txn/coordinator.js';
import { TXN_STATE_TOPIC } from '../coordinator/txn/state-topic.js';
import type { TxnCoordinatorChannels, TxnPartitionsRequest } from '../cluster/txn-coordinator-channel.js';

export interface RemoteTxnCoordinators {
  nodeId: number;
  channels: TxnCoordinatorChannels;
  /** The partition's leader as the cluster's metadata says (-1: none), or null when there is no such partition. */
  leaderOf(topic: string, partition: number): number | null;
}

export class TxnPartitions {
  constructor(
    private readonly txn: TxnCoordinator,
    private readonly remote: RemoteTxnCoordinators | null,
    /** transaction.partition.verification.enable, read at each use (Kafka's is dynamic). */
    private readonly verificationEnabled: () => boolean,
  ) {}

  /** Whether a v1 producer's batches are verified (v2 producers' partitions are always added). */
  get verifying(): boolean {
    return this.verificationEnabled();
  }

  /** The coordinator's error for each partition of `r`, in order (NONE: the batch may be appended). */
  async check(r: TxnPartitionsRequest): Promise<number[]> {
    const all = (code: number) => r.partitions.map(() => code);
    const local = this.txn.idError(r.transactionalId);
    if (local === null) {
      if (r.verifyOnly) {
        const codes = this.txn.verifyPartitions(r);
        return r.partitions.map((p) => codes.get(p) ?? ErrorCode.UNKNOWN_SERVER_ERROR);
      }
      return all(await this.txn.addPartitionsToTxn({ ...r, clientTransactionVersion: 2 }));
    }
    if (local !== ErrorCode.NOT_COORDINATOR || this.remote === null) return all(local);
    const p = this.txn.partitionFor(r.transactionalId);
    const leader = p === null ? null : this.remote.leaderOf(TXN_STATE_TOPIC, p);
    if (leader === null || leader < 0) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (leader === this.remote.nodeId) return all(ErrorCode.NOT_COORDINATOR);
    return this.remote.channels.send(leader, r);
  }
}

/** A coordinator's answer as the producer is told it (Kafka's ReplicaManager and AddPartitionsToTxnManager). */
export function produceVerificationError(code: number, produceVersion: number): { code: number; message: string | null } {
  switch (code) {
    case ErrorCode.NONE:
      return { code, message: null };
    case ErrorCode.PRODUCER_FENCED:
      return { code: ErrorCode.INVALID_PRODUCER_EPOCH, message: null };
    case ErrorCode.CLUSTER_AUTHORIZATION_FAILED:
    case ErrorCode.INVALID_TXN_STATE:
      return { code: ErrorCode.INVALID_TXN_STATE, message: 'Partition was not added to the transaction' };
    case ErrorCode.TRANSACTION_ABORTABLE:
      // Produce v11 brought TRANSACTION_ABORTABLE; older clients know the partition was not added.
      return produceVersion >= 11 ? { code, message: 'Partition was not added to the transaction' } : { code: ErrorCode.INVALID_TXN_STATE, message: 'Partition was not added to the transaction' };
    case ErrorCode.CONCURRENT_TRANSACTIONS:
    case ErrorCode.NETWORK_EXCEPTION:
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
    case ErrorCode.NOT_COORDINATOR:
      // Retriable, and retried by every client as NOT_ENOUGH_REPLICAS (no metadata refresh).
      return { code: ErrorCode.NOT_ENOUGH_REPLICAS, message: `Unable to verify the partition has been added to the transaction. Underlying error: ${errorName(code)}` };
    default:
      return { code, message: null };
  }
}
