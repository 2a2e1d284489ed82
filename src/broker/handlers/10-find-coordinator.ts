// FindCoordinator (key 10), versions 0–4.
// v0: a group key. v1+: key type (0 group, 1 transaction), throttle time and an error message.
// v3+: flexible. v4+: a batch of keys, one coordinator each.
// Key type 1 finds the transaction coordinator (this broker, once __transaction_state exists).
// Not done: v5+ (transaction-version errors) and v6 (share groups).
import { ErrorCode, errorName } from '../../protocol/errors.js';
import { FindCoordinatorRequestSchema, FindCoordinatorResponseSchema, type FindCoordinatorRequest, type FindCoordinatorResponse } from '../../protocol/messages/10-find-coordinator.js';
import { Op, onGroup, onTransactionalId } from '../access.js';
import type { Handler, RequestContext } from '../handler.js';
import { OFFSETS_TOPIC } from '../../coordinator/group/offsets-topic.js';
import { TXN_STATE_TOPIC } from '../../coordinator/txn/state-topic.js';

const GROUP_KEY = 0;
const TRANSACTION_KEY = 1;

interface Found {
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

/** A key the principal may not describe: Kafka's error and its default sentence, no node. */
function refused(errorCode: number): Found {
  return { errorCode, errorMessage: errorCode === ErrorCode.GROUP_AUTHORIZATION_FAILED ? 'Group authorization failed.' : 'Transactional Id authorization failed.', nodeId: -1, host: '', port: -1 };
}

function find(ctx: RequestContext, key: string, keyType: number): Found {
  let errorCode: number = ErrorCode.NONE;
  let errorMessage: string | null = null;
  if (keyType === GROUP_KEY && !onGroup(ctx, Op.DESCRIBE, key)) return refused(ErrorCode.GROUP_AUTHORIZATION_FAILED);
  if (keyType === TRANSACTION_KEY && !onTransactionalId(ctx, Op.DESCRIBE, key)) return refused(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  if (keyType === GROUP_KEY) {
    errorCode = ctx.broker.groups.findCoordinatorError(key) ?? ErrorCode.NONE;
    if (errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE) errorMessage = 'The coordinator is not available: __consumer_offsets is being created; retry shortly.';
    else if (errorCode !== ErrorCode.NONE) errorMessage = errorName(errorCode);
  } else if (keyType === TRANSACTION_KEY) {
    const txn = ctx.broker.txn;
    errorCode = txn === undefined ? ErrorCode.COORDINATOR_NOT_AVAILABLE : (txn.findCoordinatorError(key) ?? ErrorCode.NONE);
    if (errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE) errorMessage = 'The transaction coordinator is not available: __transaction_state is being created; retry shortly.';
    else if (errorCode !== ErrorCode.NONE) errorMessage = errorName(errorCode);
  } else {
    errorCode = ErrorCode.INVALID_REQUEST;
    errorMessage = `Unknown coordinator key type ${keyType}; 0 is a group, 1 a transactional id.`;
  }
  if (errorCode !== ErrorCode.NONE) return { errorCode, errorMessage, nodeId: -1, host: '', port: -1 };
  // In a cluster the coordinator is the leader of the key's partition of the internal topic.
  if (ctx.broker.replication !== null) {
    const topic = keyType === GROUP_KEY ? OFFSETS_TOPIC : TXN_STATE_TOPIC;
    const p = keyType === GROUP_KEY ? ctx.broker.groups.partitionFor(key) : (ctx.broker.txn?.partitionFor(key) ?? null);
    const leader = p === null ? -1 : (ctx.broker.view.partition(topic, p)?.leader ?? -1);
    const b = ctx.broker.view.brokers(ctx.listenerName).find((x) => x.nodeId === leader);
    if (b === undefined) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The coordinator is not available: its partition has no leader right now; retry shortly.', nodeId: -1, host: '', port: -1 };
    return { errorCode, errorMessage, nodeId: b.nodeId, host: b.host, port: b.port };
  }
  const l = ctx.broker.advertised(ctx.listenerName);
  return { errorCode, errorMessage, nodeId: ctx.broker.nodeId, host: l.host, port: l.port };
}

export const findCoordinatorHandler: Handler<FindCoordinatorRequest, FindCoordinatorResponse> = {
  apiKey: 10,
  minVersion: 0,
  maxVersion: 4,
  request: FindCoordinatorRequestSchema,
  response: FindCoordinatorResponseSchema,
  async handle(ctx, req, version) {
    const keyType = version === 0 ? GROUP_KEY : req.keyType;
    if (version >= 4) {
      const coordinators = req.coordinatorKeys.map((key) => ({ key, ...find(ctx, key, keyType) }));
      return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: -1, host: '', port: -1, coordinators };
    }
    return { throttleTimeMs: 0, ...find(ctx, req.key, keyType), coordinators: [] };
  },
};
