// AlterPartitionReassignments (key 45), version 0 (flexible). In a cluster (KIP-455) each
// partition's target goes to the metadata store (cluster/reassignment.ts): new replicas copy the
// log by replication, the old ones go once the new are in sync; null replicas cancel a
// reassignment in progress (NO_REASSIGNMENT_IN_PROGRESS when none is). Kafka's checks: an empty
// list, an unregistered broker or one named twice → INVALID_REPLICA_ASSIGNMENT; an unknown topic
// or partition → UNKNOWN_TOPIC_OR_PARTITION; the store unreachable → REQUEST_TIMED_OUT. One broker
// holds every replica: reassigning a partition to [this broker] is a success that changes nothing.
import { ErrorCode } from '../../protocol/errors.js';
import { AlterPartitionReassignmentsRequestSchema, AlterPartitionReassignmentsResponseSchema, type AlterPartitionReassignmentsRequest, type AlterPartitionReassignmentsResponse } from '../../protocol/messages/45-alter-partition-reassignments.js';
import { reassignPartition } from '../../cluster/replica-placement.js';
import { alterPartitionReassignments } from '../../cluster/reassignment.js';
import { MetadataUnavailableError } from '../../cluster/store/types.js';
import { Op, onCluster } from '../access.js';
import { CLUSTER_AUTHORIZATION_MESSAGE } from '../acl-apis.js';
import type { Handler } from '../handler.js';

export const alterPartitionReassignmentsHandler: Handler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse> = {
  apiKey: 45,
  minVersion: 0,
  maxVersion: 0,
  request: AlterPartitionReassignmentsRequestSchema,
  response: AlterPartitionReassignmentsResponseSchema,
  async handle(ctx, req) {
    if (!onCluster(ctx, Op.ALTER)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: CLUSTER_AUTHORIZATION_MESSAGE, responses: [] };
    const { topics, nodeId, metadataStore: store } = ctx.broker;
    if (store !== null) {
      try {
        const targets = req.topics.map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, replicas: p.replicas })) }));
        return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, responses: await alterPartitionReassignments(store, targets) };
      } catch (err) {
        if (!(err instanceof MetadataUnavailableError)) throw err;
        return { throttleTimeMs: 0, errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: 'The cluster metadata store cannot be reached; try again.', responses: [] };
      }
    }
    const responses = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, ...reassignPartition(topics, nodeId, t.name, p.partitionIndex, p.replicas) })),
    }));
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, responses };
  },
};
