// AddPartitionsToTxn (key 24), versions 0–5.
// v0–v3: one transactional id per request (the client's form). v1: same as v0. v2+:
// PRODUCER_FENCED (before it, INVALID_PRODUCER_EPOCH). v3+: flexible.
// Unknown partitions get UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED, as
// in Kafka. v4+ (KIP-890): the brokers' form — from a partition leader, several transactions per
// request, each either verified (VerifyOnly: per partition NONE or TRANSACTION_ABORTABLE) or
// added (a transactions-v2 producer's partition); it needs ClusterAction on the cluster, as in
// Kafka (CLUSTER_AUTHORIZATION_FAILED for the whole request without it). v5: same as v4.
import { ErrorCode } from '../../protocol/errors.js';
import { AddPartitionsToTxnRequestSchema, AddPartitionsToTxnResponseSchema, type AddPartitionsToTxnRequest, type AddPartitionsToTxnResponse } from '../../protocol/messages/24-add-partitions-to-txn.js';
import { Op, deniedTopics, onTransactionalId } from '../access.js';
import { onCluster } from '../access.js';
import type { Handler, RequestContext } from '../handler.js';

export const addPartitionsToTxnHandler: Handler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> = {
  apiKey: 24,
  minVersion: 0,
  maxVersion: 5,
  request: AddPartitionsToTxnRequestSchema,
  response: AddPartitionsToTxnResponseSchema,
  async handle(ctx, req, version) {
    if (version >= 4) return brokerForm(ctx, req);
    const exists = (topic: string, p: number) => {
      const t = ctx.broker.topics.get(topic);
      return t !== undefined && p >= 0 && p < t.partitions;
    };
    // As Kafka: Write on the transactional id (else every partition fails), then Write on each topic.
    const txnDenied = !onTransactionalId(ctx, Op.WRITE, req.v3AndBelowTransactionalId);
    const denied = deniedTopics(ctx, Op.WRITE, req.v3AndBelowTopics.map((t) => t.name));
    const refusal = (topic: string, p: number): number | null =>
      txnDenied ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED : denied?.has(topic) === true ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : exists(topic, p) ? null : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    const unknown = req.v3AndBelowTopics.some((t) => t.partitions.some((p) => refusal(t.name, p) !== null));
    let code: number = ErrorCode.NONE;
    if (!unknown) {
      const txn = ctx.broker.txn;
      code =
        txn === undefined
          ? ErrorCode.COORDINATOR_NOT_AVAILABLE
          : await txn.addPartitionsToTxn({
              transactionalId: req.v3AndBelowTransactionalId,
              producerId: req.v3AndBelowProducerId,
              producerEpoch: req.v3AndBelowProducerEpoch,
              partitions: req.v3AndBelowTopics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition }))),
            });
      if (code === ErrorCode.PRODUCER_FENCED && version < 2) code = ErrorCode.INVALID_PRODUCER_EPOCH;
    }
    const partitionCode = (topic: string, p: number) => (!unknown ? code : (refusal(topic, p) ?? ErrorCode.OPERATION_NOT_ATTEMPTED));
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      resultsByTransaction: [],
      resultsByTopicV3AndBelow: req.v3AndBelowTopics.map((t) => ({
        name: t.name,
        resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: partitionCode(t.name, p) })),
      })),
    };
  },
};

/** v4+: each transaction of the request verified or added with the coordinator here. */
async function brokerForm(ctx: RequestContext, req: AddPartitionsToTxnRequest): Promise<AddPartitionsToTxnResponse> {
  const base = { throttleTimeMs: 0, resultsByTopicV3AndBelow: [] };
  if (!onCluster(ctx, Op.CLUSTER_ACTION)) return { ...base, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, resultsByTransaction: [] };
  const txn = ctx.broker.txn;
  const resultsByTransaction = await Promise.all(
    req.transactions.map(async (t) => {
      const partitions = t.topics.flatMap((tp) => tp.partitions.map((partition) => ({ topic: tp.name, partition })));
      let codes: number[];
      if (txn === undefined) codes = partitions.map(() => ErrorCode.COORDINATOR_NOT_AVAILABLE);
      else if (t.verifyOnly) {
        const byPartition = txn.verifyPartitions({ ...t, partitions });
        codes = partitions.map((p) => byPartition.get(p)!);
      } else {
        const code = await txn.addPartitionsToTxn({ ...t, partitions, clientTransactionVersion: 2 });
        codes = partitions.map(() => code);
      }
      let i = 0;
      return {
        transactionalId: t.transactionalId,
        topicResults: t.topics.map((tp) => ({ name: tp.name, resultsByPartition: tp.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: codes[i++]! })) })),
      };
    }),
  );
  return { ...base, errorCode: ErrorCode.NONE, resultsByTransaction };
}
