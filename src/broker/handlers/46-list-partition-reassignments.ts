// ListPartitionReassignments (key 46), version 0 (flexible). In a cluster: the reassignments in
// progress in the metadata store, of every topic (topics null) or of the named partitions, each
// with its replicas and the ones being added and removed (KIP-455). One broker holds every
// replica, so no reassignment is ever in progress there: the answer lists no topics.
import { ListPartitionReassignmentsRequestSchema, ListPartitionReassignmentsResponseSchema, type ListPartitionReassignmentsRequest, type ListPartitionReassignmentsResponse } from '../../protocol/messages/46-list-partition-reassignments.js';
import { listPartitionReassignments } from '../../cluster/reassignment.js';
import type { Handler } from '../handler.js';

export const listPartitionReassignmentsHandler: Handler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse> = {
  apiKey: 46,
  minVersion: 0,
  maxVersion: 0,
  request: ListPartitionReassignmentsRequestSchema,
  response: ListPartitionReassignmentsResponseSchema,
  async handle(ctx, req) {
    const store = ctx.broker.metadataStore;
    if (store === null) return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, topics: [] };
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, topics: listPartitionReassignments(store, req.topics) };
  },
};
