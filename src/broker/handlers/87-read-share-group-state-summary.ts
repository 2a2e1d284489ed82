// ReadShareGroupStateSummary (key 87), version 0: a broker-to-broker API of the share coordinator (KIP-932).
// ReadShareGroupStateSummary: a share-partition's start offset and state epoch
// (DescribeShareGroupOffsets and the admin checks for which share-partitions have state).
// ClusterAction on the cluster, as Kafka asks; else every partition gets CLUSTER_AUTHORIZATION_FAILED.
// Kafka's definition marks v0 unstable, so ApiVersions lists it only with unstable.api.versions.enable=true.
import { ReadShareGroupStateSummaryRequestSchema, ReadShareGroupStateSummaryResponseSchema, type ReadShareGroupStateSummaryRequest, type ReadShareGroupStateSummaryResponse } from '../../protocol/messages/87-read-share-group-state-summary.js';
import { readStateSummary } from '../../coordinator/share/state-apis.js';
import { shareStateHandler } from '../share-state-handler.js';

export const readShareGroupStateSummaryHandler = shareStateHandler<ReadShareGroupStateSummaryRequest, ReadShareGroupStateSummaryResponse>({
  apiKey: 87,
  request: ReadShareGroupStateSummaryRequestSchema,
  response: ReadShareGroupStateSummaryResponseSchema,
  serve: readStateSummary,
  refusedFields: { stateEpoch: 0, startOffset: -1 },
});
