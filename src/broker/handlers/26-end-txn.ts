// EndTxn (key 26), versions 0–5.
// Commits or aborts: the PrepareCommit/PrepareAbort record, markers to every partition of the
// transaction, then the Complete record; answered once the markers are written (or, if they
// fail, once the decision is durable; they are retried). v1: same as v0. v2+: PRODUCER_FENCED
// (before it, INVALID_PRODUCER_EPOCH). v3+: flexible. v4: same as v3.
// v5 (KIP-890 transactions v2): the producer's epoch is bumped at every commit or abort and the
// answer carries the id and epoch it goes on with (a new id when the epochs ran out); a retry
// comes with the epoch before the bump and gets the same answer.
import { ErrorCode } from '../../protocol/errors.js';
import { EndTxnRequestSchema, EndTxnResponseSchema, type EndTxnRequest, type EndTxnResponse } from '../../protocol/messages/26-end-txn.js';
import { Op, onTransactionalId } from '../access.js';
import type { Handler } from '../handler.js';

export const endTxnHandler: Handler<EndTxnRequest, EndTxnResponse> = {
  apiKey: 26,
  minVersion: 0,
  maxVersion: 5,
  request: EndTxnRequestSchema,
  response: EndTxnResponseSchema,
  async handle(ctx, req, version) {
    if (!onTransactionalId(ctx, Op.WRITE, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
    const txn = ctx.broker.txn;
    const r =
      txn === undefined
        ? { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1, producerEpoch: -1 }
        : await txn.endTxn({ transactionalId: req.transactionalId, producerId: req.producerId, producerEpoch: req.producerEpoch, commit: req.committed, clientTransactionVersion: version >= 5 ? 2 : 0 });
    const errorCode = r.errorCode === ErrorCode.PRODUCER_FENCED && version < 2 ? ErrorCode.INVALID_PRODUCER_EPOCH : r.errorCode;
    return { throttleTimeMs: 0, errorCode, producerId: r.producerId, producerEpoch: r.producerEpoch };
  },
};
