// FindCoordinator (key 10), versions 0–6.
// v0: a group key. v1+: key type (0 group, 1 transaction), throttle time and an error message.
// v3+: flexible. v4+: a batch of keys, one coordinator each. v5: same as v4 (KIP-890's
// TRANSACTION_ABORTABLE, which it never answers). v6 (KIP-932): key type 2, a share-partition
// `group:topicId:partition`, whose share coordinator leads its partition of __share_group_state;
// brokers ask it, so it needs ClusterAction, as in Kafka.
// Key type 1 finds the transaction coordinator (this broker, once __transaction_state exists).
import { ErrorCode, errorName } from '../../protocol/errors.js';
import { FindCoordinatorRequestSchema, FindCoordinatorResponseSchema, type FindCoordinatorRequest, type FindCoordinatorResponse } from '../../protocol/messages/10-find-coordinator.js';
import { Op, onCluster, onGroup, onTransactionalId } from '../access.js';
import { SHARE_STATE_TOPIC } from '../../coordinator/share/state-store.js';
import { groupPartition } from '../../coordinator/group/records.js';
import type { Handler, RequestContext } from '../handler.js';
import { OFFSETS_TOPIC } from '../../coordinator/group/offsets-topic.js';
import { TXN_STATE_TOPIC } from '../../coordinator/txn/state-topic.js';

const GROUP_KEY = 0;
const TRANSACTION_KEY = 1;
const SHARE_KEY = 2;

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
  } else if (keyType === SHARE_KEY) {
    return findShareCoordinator(ctx, key);
  } else {
    errorCode = ErrorCode.INVALID_REQUEST;
    errorMessage = `Unknown coordinator key type ${keyType}; 0 is a group, 1 a transactional id, 2 a share-partition.`;
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
  maxVersion: 6,
  request: FindCoordinatorRequestSchema,
  response: FindCoordinatorResponseSchema,
  async handle(ctx, req, version) {
    const keyType = version === 0 ? GROUP_KEY : req.keyType;
    if (keyType === SHARE_KEY && version < 6) {
      const no: Found = { errorCode: ErrorCode.UNSUPPORTED_VERSION, errorMessage: 'Share coordinator keys need FindCoordinator v6 or newer.', nodeId: -1, host: '', port: -1 };
      return { throttleTimeMs: 0, ...no, coordinators: version >= 4 ? req.coordinatorKeys.map((key) => ({ key, ...no })) : [] };
    }
    if (version >= 4) {
      const coordinators = req.coordinatorKeys.map((key) => ({ key, ...find(ctx, key, keyType) }));
      return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: -1, host: '', port: -1, coordinators };
    }
    return { throttleTimeMs: 0, ...find(ctx, req.key, keyType), coordinators: [] };
  },
};

/** Key type 2: the leader of the share-partition's partition of __share_group_state (Kafka's share coordinator). */
function findShareCoordinator(ctx: RequestContext, key: string): Found {
  const none = (errorCode: number, errorMessage: string): Found => ({ errorCode, errorMessage, nodeId: -1, host: '', port: -1 });
  if (!onCluster(ctx, Op.CLUSTER_ACTION)) return none(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
  const parts = key.split(':');
  if (parts.length !== 3 || parts[0] === '' || parts[1] === '' || !/^\d+$/.test(parts[2]!)) return none(ErrorCode.INVALID_REQUEST, `Invalid share coordinator key '${key}': expected group:topicId:partition.`);
  const topic = ctx.broker.topics.get(SHARE_STATE_TOPIC);
  if (topic === undefined) return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, `The share coordinator is not available: ${SHARE_STATE_TOPIC} does not exist yet; retry shortly.`);
  const p = groupPartition(key, topic.partitions);
  const leader = ctx.broker.replication === null ? ctx.broker.nodeId : (ctx.broker.view.partition(SHARE_STATE_TOPIC, p)?.leader ?? -1);
  if (leader === ctx.broker.nodeId) {
    const l = ctx.broker.advertised(ctx.listenerName);
    return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: ctx.broker.nodeId, host: l.host, port: l.port };
  }
  const b = ctx.broker.view.brokers(ctx.listenerName).find((x) => x.nodeId === leader);
  if (b === undefined) return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available: its partition has no leader right now; retry shortly.');
  return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: b.nodeId, host: b.host, port: b.port };
}
