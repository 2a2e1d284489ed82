// AlterPartitionReassignments (key 45), version 0 (flexible). One broker holds every replica:
// reassigning a partition to [this broker] is a success that changes nothing; another broker id,
// an empty list or a repeated id → INVALID_REPLICA_ASSIGNMENT; cancelling (null replicas) →
// NO_REASSIGNMENT_IN_PROGRESS; an unknown topic or partition → UNKNOWN_TOPIC_OR_PARTITION.
import { AlterPartitionReassignmentsRequestSchema, AlterPartitionReassignmentsResponseSchema, type AlterPartitionReassignmentsRequest, type AlterPartitionReassignmentsResponse } from '../../protocol/messages/45-alter-partition-reassignments.js';
import { reassignPartition } from '../../cluster/replica-placement.js';
import type { Handler } from '../handler.js';

export const alterPartitionReassignmentsHandler: Handler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse> = {
  apiKey: 45,
  minVersion: 0,
  maxVersion: 0,
  request: AlterPartitionReassignmentsRequestSchema,
  response: AlterPartitionReassignmentsResponseSchema,
  async handle(ctx, req) {
    const { topics, nodeId } = ctx.broker;
    const responses = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, ...reassignPartition(topics, nodeId, t.name, p.partitionIndex, p.replicas) })),
    }));
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, responses };
  },
};
