// DescribeTransactions (key 65), version 0 (flexible).
// The state of each transactional id this coordinator holds: TRANSACTIONAL_ID_NOT_FOUND for one
// it does not, COORDINATOR_LOAD_IN_PROGRESS while its partition loads.
import { ErrorCode } from '../../protocol/errors.js';
import { DescribeTransactionsRequestSchema, DescribeTransactionsResponseSchema, type DescribeTransactionsRequest, type DescribeTransactionsResponse } from '../../protocol/messages/65-describe-transactions.js';
import { Op, deniedTopics, onTransactionalId } from '../access.js';
import type { RequestContext } from '../handler.js';
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
        !onTransactionalId(ctx, Op.DESCRIBE, id)
          ? { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, transactionalId: id, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] }
          : txn !== undefined
          ? describableTopics(ctx, txn.describeTransaction(id))
          : { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, transactionalId: id, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] },
      ),
    };
  },
};

/** As Kafka: only the partitions of topics the principal may describe are listed. */
function describableTopics<T extends { topics: Array<{ topic: string }> }>(ctx: RequestContext, state: T): T {
  const denied = deniedTopics(ctx, Op.DESCRIBE, state.topics.map((t) => t.topic));
  return denied === null || denied.size === 0 ? state : { ...state, topics: state.topics.filter((t) => !denied.has(t.topic)) };
}
