// ListTransactions (key 66), versions 0–1 (flexible).
// v0: filters by state and producer id (unknown state names are echoed back). v1: a duration
// filter, only transactions open at least that long.
import { ErrorCode } from '../../protocol/errors.js';
import { ListTransactionsRequestSchema, ListTransactionsResponseSchema, type ListTransactionsRequest, type ListTransactionsResponse } from '../../protocol/messages/66-list-transactions.js';
import { Op, onTransactionalId } from '../access.js';
import type { Handler } from '../handler.js';

export const listTransactionsHandler: Handler<ListTransactionsRequest, ListTransactionsResponse> = {
  apiKey: 66,
  minVersion: 0,
  maxVersion: 1,
  request: ListTransactionsRequestSchema,
  response: ListTransactionsResponseSchema,
  async handle(ctx, req, version) {
    const txn = ctx.broker.txn;
    if (txn === undefined) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, unknownStateFilters: [], transactionStates: [] };
    const r = txn.listTransactions({ states: req.stateFilters, producerIds: req.producerIdFilters, durationFilterMs: version >= 1 ? req.durationFilter : -1 });
    return { throttleTimeMs: 0, ...r, transactionStates: r.transactionStates.filter((s) => onTransactionalId(ctx, Op.DESCRIBE, s.transactionalId)) };
  },
};
