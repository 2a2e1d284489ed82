// InitProducerId (key 22), versions 0–5.
// Without a transactional id (idempotent producers): a new producer id with epoch 0, from blocks
// reserved durably in the metadata store, so ids are never reused across restarts; as in Kafka,
// the producer id and epoch a v3+ request carries are ignored then.
// With a transactional id: delegated to the transaction coordinator (`broker.txn`) when this
// broker has one, else COORDINATOR_NOT_AVAILABLE.
// v2+: flexible. v3+: producer id and epoch in the request (KIP-360). v4+: PRODUCER_FENCED
// (older versions get INVALID_PRODUCER_EPOCH instead). v5: same as v4.
import { ErrorCode } from '../../protocol/errors.js';
import { InitProducerIdRequestSchema, InitProducerIdResponseSchema, type InitProducerIdRequest, type InitProducerIdResponse } from '../../protocol/messages/22-init-producer-id.js';
import { Op, ResourceType, onCluster, onSomeResource, onTransactionalId } from '../access.js';
import type { Handler } from '../handler.js';

/** What this handler needs of the transaction coordinator, when the broker has one. */
interface TxnInitProducerId {
  initProducerId(a: { transactionalId: string; transactionTimeoutMs: number; producerId: number; producerEpoch: number }): Promise<{ errorCode: number; producerId: number; producerEpoch: number }>;
}

export const initProducerIdHandler: Handler<InitProducerIdRequest, InitProducerIdResponse> = {
  apiKey: 22,
  minVersion: 0,
  maxVersion: 5,
  request: InitProducerIdRequestSchema,
  response: InitProducerIdResponseSchema,
  async handle(ctx, req, version) {
    const fail = (errorCode: number): InitProducerIdResponse => ({ throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 });
    // As Kafka: Write on the transactional id; an idempotent producer needs IdempotentWrite on the cluster or Write on some topic.
    if (req.transactionalId !== null && !onTransactionalId(ctx, Op.WRITE, req.transactionalId)) return fail(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (req.transactionalId === null && !onCluster(ctx, Op.IDEMPOTENT_WRITE) && !onSomeResource(ctx, Op.WRITE, ResourceType.TOPIC)) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    if (req.transactionalId !== null) {
      const txn = (ctx.broker as unknown as { txn?: TxnInitProducerId }).txn;
      if (txn === undefined) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      const r = await txn.initProducerId({
        transactionalId: req.transactionalId, transactionTimeoutMs: req.transactionTimeoutMs,
        producerId: req.producerId, producerEpoch: req.producerEpoch,
      });
      const errorCode = r.errorCode === ErrorCode.PRODUCER_FENCED && version < 4 ? ErrorCode.INVALID_PRODUCER_EPOCH : r.errorCode;
      return { throttleTimeMs: 0, errorCode, producerId: errorCode === 0 ? r.producerId : -1, producerEpoch: errorCode === 0 ? r.producerEpoch : -1 };
    }
    try {
      const producerId = await ctx.broker.producerIds.allocate();
      return { throttleTimeMs: 0, errorCode: 0, producerId, producerEpoch: 0 };
    } catch (err) {
      ctx.broker.logger.warn('allocating a producer id failed', { err });
      return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
  },
};
