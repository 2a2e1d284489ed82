// EndTxn (key 26), versions 0–4.
// Commits or aborts: the PrepareCommit/PrepareAbort record, markers to every partition of the
// transaction, then the Complete record; answered once the markers are written (or, if they
// fail, once the decision is durable; they are retried). v1: same as v0. v2+: PRODUCER_FENCED
// (before it, INVALID_PRODUCER_EPOCH). v3+: flexible. v4: same as v3.
// Not served: v5 (KIP-890 epoch bump on every transaction).
import { ErrorCode } from '../../protocol/errors.js';
import { EndTxnRequestSchema, EndTxnResponseSchema, type EndTxnRequest, type EndTxnResponse } from '../../protocol/messages/26-end-txn.js';
import { Op, onTransactionalId } from '../access.js';
import type { Handler } from '../handler.js';

export const endTxnHandler: Handler<EndTxnRequest, EndTxnResponse> = {
  apiKey: 26,
  minVersion: 0,
  maxVersion: 4,
  request: EndTxnRequestSchema,
  response: EndTxnResponseSchema,
  async handle(ctx, req, version) {
    if (!onTransactionalId(ctx, Op.WRITE, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
    const txn = ctx.broker.txn;
    let errorCode =
      txn === undefined
        ? ErrorCode.COORDINATOR_NOT_AVAILABLE
        : await txn.endTxn({ transactionalId: req.transactionalId, producerId: req.producerId, producerEpoch: req.producerEpoch, commit: req.committed });
    if (errorCode === ErrorCode.PRODUCER_FENCED && version < 2) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
    return { throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 };
  },
};
