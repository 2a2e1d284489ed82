// DescribeTransactions (key 65), version 0 (flexible).
// The state of each transactional id this coordinator holds: TRANSACTIONAL_ID_NOT_FOUND for one
// it does not, COORDINATOR_LOAD_IN_PROGRESS while its partition loads.
import { ErrorCode } from '../../protocol/errors.js';
import { DescribeTransactionsRequestSchema, DescribeTransactionsResponseSchema, type DescribeTransactionsRequest, type DescribeTransactionsResponse } from '../../protocol/messages/65-describe-transactions.js';
import type { Handler } from '../handler.js';

export const describeTransactionsHandler: Handler<DescribeTransactionsRequest, DescribeTransactionsResponse> = {
  apiKey: 65,
  minVersion: 0,
  maxVersion: 0,
  request: DescribeTransactionsRequestSchema,
  response: DescribeTransactionsResponseSchema,
  async handle(ctx, req) {
    const txn = ctx.broker.txn;
    return {
      throttleTimeMs: 0,
      transactionStates: req.transactionalIds.map((id) =>
        txn !== undefined
          ? txn.describeTransaction(id)
          : { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, transactionalId: id, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] },
      ),
    };
  },
};
