// TxnOffsetCommit (key 28), versions 0–5.
// Offsets written to __consumer_offsets in a transactional batch and held pending until the
// transaction's marker: visible on COMMIT, dropped on ABORT. v1: same as v0. v2+: leader epochs.
// v3+: flexible, and generation, member id and group.instance.id, checked as OffsetCommit does
// (KIP-447). v4: same as v3. v5 (KIP-890 transactions v2): the group's partition of
// __consumer_offsets joins the transaction here (no AddOffsetsToTxn from the client). Before v5,
// with transaction.partition.verification.enable, the offsets are taken only if AddOffsetsToTxn
// put that partition in the producer's ongoing transaction (else INVALID_TXN_STATE, or
// TRANSACTION_ABORTABLE from v4).
import { ErrorCode } from '../../protocol/errors.js';
import { TxnOffsetCommitRequestSchema, TxnOffsetCommitResponseSchema, type TxnOffsetCommitRequest, type TxnOffsetCommitResponse } from '../../protocol/messages/28-txn-offset-commit.js';
import type { OffsetToCommit } from '../../coordinator/group/offsets.js';
import { Op, deniedTopics, onGroup, onTransactionalId } from '../access.js';
import type { Handler, RequestContext } from '../handler.js';

const OFFSETS_TOPIC = '__consumer_offsets';

export const txnOffsetCommitHandler: Handler<TxnOffsetCommitRequest, TxnOffsetCommitResponse> = {
  apiKey: 28,
  minVersion: 0,
  maxVersion: 5,
  request: TxnOffsetCommitRequestSchema,
  response: TxnOffsetCommitResponseSchema,
  async handle(ctx, req, version) {
    const exists = (topic: string, p: number) => {
      const t = ctx.broker.topics.get(topic);
      return t !== undefined && p >= 0 && p < t.partitions;
    };
    // As Kafka: Write on the transactional id, Read on the group (either refused fails every partition), Read on each topic.
    const whole = !onTransactionalId(ctx, Op.WRITE, req.transactionalId) ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED : !onGroup(ctx, Op.READ, req.groupId) ? ErrorCode.GROUP_AUTHORIZATION_FAILED : null;
    const denied = whole === null ? deniedTopics(ctx, Op.READ, req.topics.map((t) => t.name)) : null;
    const errors: number[][] = req.topics.map((t) => t.partitions.map((p) =>
      whole ?? (denied?.has(t.name) === true ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : exists(t.name, p.partitionIndex) ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)));
    const offsets: OffsetToCommit[] = [];
    const at: Array<[number, number]> = [];
    req.topics.forEach((t, ti) =>
      t.partitions.forEach((p, pi) => {
        if (errors[ti]![pi] !== ErrorCode.NONE) return;
        offsets.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: version >= 2 ? p.committedLeaderEpoch : -1, metadata: p.committedMetadata });
        at.push([ti, pi]);
      }),
    );
    const txnError = offsets.length === 0 ? ErrorCode.NONE : await offsetsPartitionInTxn(ctx, req, version);
    if (txnError !== ErrorCode.NONE) for (const [ti, pi] of at) errors[ti]![pi] = txnError;
    else if (offsets.length > 0) {
      const codes = await ctx.broker.groups.commitTxnOffsets({
        groupId: req.groupId,
        producerId: req.producerId,
        producerEpoch: req.producerEpoch,
        generationId: version >= 3 ? req.generationId : -1,
        memberId: version >= 3 ? req.memberId : '',
        groupInstanceId: version >= 3 ? req.groupInstanceId : null,
        offsets,
      });
      codes.forEach((code, i) => (errors[at[i]![0]]![at[i]![1]] = code));
    }
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t, ti) => ({ name: t.name, partitions: t.partitions.map((p, pi) => ({ partitionIndex: p.partitionIndex, errorCode: errors[ti]![pi]! })) })),
    };
  },
};

/** KIP-890: the group's __consumer_offsets partition verified in (v0–4) or added to (v5) the transaction; NONE, or the error for every partition. */
async function offsetsPartitionInTxn(ctx: RequestContext, req: TxnOffsetCommitRequest, version: number): Promise<number> {
  const gateway = ctx.broker.txnPartitions;
  const add = version >= 5;
  if (gateway === undefined || (!add && !gateway.verifying)) return ErrorCode.NONE;
  const partition = ctx.broker.groups.partitionFor(req.groupId);
  if (partition === null) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  const [code] = await gateway.check({ transactionalId: req.transactionalId, producerId: req.producerId, producerEpoch: req.producerEpoch, verifyOnly: !add, partitions: [{ topic: OFFSETS_TOPIC, partition }] });
  switch (code) {
    case ErrorCode.NONE:
      return ErrorCode.NONE;
    case ErrorCode.PRODUCER_FENCED:
      return ErrorCode.INVALID_PRODUCER_EPOCH;
    case ErrorCode.TRANSACTION_ABORTABLE:
      return version >= 4 ? code : ErrorCode.INVALID_TXN_STATE;
    case ErrorCode.CONCURRENT_TRANSACTIONS:
    case ErrorCode.NETWORK_EXCEPTION:
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
    case ErrorCode.NOT_COORDINATOR:
      // Retriable for the client: it finds the group coordinator again and retries.
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    default:
      return code!;
  }
}
