// AddOffsetsToTxn (key 25), versions 0–4.
// Adds the group's partition of __consumer_offsets to the transaction, so that TxnOffsetCommit
// may follow. v1: same as v0. v2+: PRODUCER_FENCED (before it, INVALID_PRODUCER_EPOCH).
// v3+: flexible. v4: same as v3 (KIP-890 clients).
import { ErrorCode } from '../../protocol/errors.js';
import { AddOffsetsToTxnRequestSchema, AddOffsetsToTxnResponseSchema, type AddOffsetsToTxnRequest, type AddOffsetsToTxnResponse } from '../../protocol/messages/25-add-offsets-to-txn.js';
import { Op, onGroup, onTransactionalId } from '../access.js';
import type { Handler } from '../handler.js';

export const addOffsetsToTxnHandler: Handler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse> = {
  apiKey: 25,
  minVersion: 0,
  maxVersion: 4,
  request: AddOffsetsToTxnRequestSchema,
  response: AddOffsetsToTxnResponseSchema,
  async handle(ctx, req, version) {
    if (!onTransactionalId(ctx, Op.WRITE, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    if (!onGroup(ctx, Op.READ, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const txn = ctx.broker.txn;
    let errorCode = txn === undefined ? ErrorCode.COORDINATOR_NOT_AVAILABLE : await txn.addOffsetsToTxn(req);
    if (errorCode === ErrorCode.PRODUCER_FENCED && version < 2) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
    return { throttleTimeMs: 0, errorCode };
  },
};
