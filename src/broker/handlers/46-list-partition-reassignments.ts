// ListPartitionReassignments (key 46), version 0 (flexible). In a cluster: the reassignments in
// progress in the metadata store, of every topic (topics null) or of the named partitions, each
// with its replicas and the ones being added and removed (KIP-455). One broker holds every
// replica, so no reassignment is ever in progress there: the answer lists no topics.
import { ListPartitionReassignmentsRequestSchema, ListPartitionReassignmentsResponseSchema, type ListPartitionReassignmentsRequest, type ListPartitionReassignmentsResponse } from '../../protocol/messages/46-list-partition-reassignments.js';
import { listPartitionReassignments } from '../../cluster/reassignment.js';
import { Op, onCluster } from '../access.js';
import { CLUSTER_AUTHORIZATION_MESSAGE } from '../acl-apis.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { Handler } from '../handler.js';

export const listPartitionReassignmentsHandler: Handler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse> = {
  apiKey: 46,
  minVersion: 0,
  maxVersion: 0,
  request: ListPartitionReassignmentsRequestSchema,
  response: ListPartitionReassignmentsResponseSchema,
  async handle(ctx, req) {
    if (!onCluster(ctx, Op.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: CLUSTER_AUTHORIZATION_MESSAGE, topics: [] };
    const store = ctx.broker.metadataStore;
    if (store === null) return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, topics: [] };
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, topics: listPartitionReassignments(store, req.topics) };
  },
};
