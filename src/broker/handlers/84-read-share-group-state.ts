// ReadShareGroupState (key 84), version 0: a broker-to-broker API of the share coordinator (KIP-932).
// ReadShareGroupState: a share-partition leader loads the state it starts from (start offset
// −1: none stored); a leader epoch older than the stored one is FENCED_LEADER_EPOCH.
// ClusterAction on the cluster, as Kafka asks; else every partition gets CLUSTER_AUTHORIZATION_FAILED.
// Kafka's definition marks v0 unstable, so ApiVersions lists it only with unstable.api.versions.enable=true.
import { ReadShareGroupStateRequestSchema, ReadShareGroupStateResponseSchema, type ReadShareGroupStateRequest, type ReadShareGroupStateResponse } from '../../protocol/messages/84-read-share-group-state.js';
import { readState } from '../../coordinator/share/state-apis.js';
import { shareStateHandler } from '../share-state-handler.js';

export const readShareGroupStateHandler = shareStateHandler<ReadShareGroupStateRequest, ReadShareGroupStateResponse>({
  apiKey: 84,
  request: ReadShareGroupStateRequestSchema,
  response: ReadShareGroupStateResponseSchema,
  serve: readState,
  refusedFields: { stateEpoch: 0, startOffset: -1, stateBatches: [] },
});
