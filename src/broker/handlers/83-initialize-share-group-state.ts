// InitializeShareGroupState (key 83), version 0: a broker-to-broker API of the share coordinator (KIP-932).
// InitializeShareGroupState: a share-partition starts again at a start offset under a new state epoch
// (AlterShareGroupOffsets from the group coordinator).
// ClusterAction on the cluster, as Kafka asks; else every partition gets CLUSTER_AUTHORIZATION_FAILED.
// Kafka's definition marks v0 unstable, so ApiVersions lists it only with unstable.api.versions.enable=true.
import { InitializeShareGroupStateRequestSchema, InitializeShareGroupStateResponseSchema, type InitializeShareGroupStateRequest, type InitializeShareGroupStateResponse } from '../../protocol/messages/83-initialize-share-group-state.js';
import { initializeState } from '../../coordinator/share/state-apis.js';
import { shareStateHandler } from '../share-state-handler.js';

export const initializeShareGroupStateHandler = shareStateHandler<InitializeShareGroupStateRequest, InitializeShareGroupStateResponse>({
  apiKey: 83,
  request: InitializeShareGroupStateRequestSchema,
  response: InitializeShareGroupStateResponseSchema,
  serve: initializeState,
  refusedFields: {},
});
