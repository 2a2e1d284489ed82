// AddPartitionsToTxn (key 24), versions 0–3.
// v0–v3: one transactional id per request (the client's form). v1: same as v0. v2+:
// PRODUCER_FENCED (before it, INVALID_PRODUCER_EPOCH). v3+: flexible.
// Unknown partitions get UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED, as
// in Kafka. Not served: v4+ (broker-to-broker verification, KIP-890).
import { ErrorCode } from '../../protocol/errors.js';
import { AddPartitionsToTxnRequestSchema, AddPartitionsToTxnResponseSchema, type AddPartitionsToTxnRequest, type AddPartitionsToTxnResponse } from '../../protocol/messages/24-add-partitions-to-txn.js';
import { Op, deniedTopics, onTransactionalId } from '../access.js';
import type { Handler } from '../handler.js';

export const addPartitionsToTxnHandler: Handler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> = {
  apiKey: 24,
  minVersion: 0,
  maxVersion: 3,
  request: AddPartitionsToTxnRequestSchema,
  response: AddPartitionsToTxnResponseSchema,
  async handle(ctx, req, version) {
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
