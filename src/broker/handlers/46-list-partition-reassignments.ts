// ListPartitionReassignments (key 46), version 0 (flexible). One broker holds every replica, so
// no reassignment is ever in progress: the answer lists no topics, whichever were asked for.
import { ListPartitionReassignmentsRequestSchema, ListPartitionReassignmentsResponseSchema, type ListPartitionReassignmentsRequest, type ListPartitionReassignmentsResponse } from '../../protocol/messages/46-list-partition-reassignments.js';
import type { Handler } from '../handler.js';

export const listPartitionReassignmentsHandler: Handler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse> = {
  apiKey: 46,
  minVersion: 0,
  maxVersion: 0,
  request: ListPartitionReassignmentsRequestSchema,
  response: ListPartitionReassignmentsResponseSchema,
  async handle() {
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, topics: [] };
  },
};
