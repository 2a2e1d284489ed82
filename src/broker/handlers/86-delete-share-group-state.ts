// DeleteShareGroupState (key 86), version 0: a broker-to-broker API of the share coordinator (KIP-932).
// DeleteShareGroupState: a tombstone for the share-partition (DeleteShareGroupOffsets, DeleteGroups).
// ClusterAction on the cluster, as Kafka asks; else every partition gets CLUSTER_AUTHORIZATION_FAILED.
// Kafka's definition marks v0 unstable, so ApiVersions lists it only with unstable.api.versions.enable=true.
import { DeleteShareGroupStateRequestSchema, DeleteShareGroupStateResponseSchema, type DeleteShareGroupStateRequest, type DeleteShareGroupStateResponse } from '../../protocol/messages/86-delete-share-group-state.js';
import { deleteState } from '../../coordinator/share/state-apis.js';
import { shareStateHandler } from '../share-state-handler.js';

export const deleteShareGroupStateHandler = shareStateHandler<DeleteShareGroupStateRequest, DeleteShareGroupStateResponse>({
  apiKey: 86,
  request: DeleteShareGroupStateRequestSchema,
  response: DeleteShareGroupStateResponseSchema,
  serve: deleteState,
  refusedFields: {},
});
