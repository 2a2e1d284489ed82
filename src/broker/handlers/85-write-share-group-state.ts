// WriteShareGroupState (key 85), version 0: a broker-to-broker API of the share coordinator (KIP-932).
// WriteShareGroupState: a share-partition leader's whole state, answered once replicated in
// `__share_group_state` (Samsa replaces the stored state; Kafka's coordinator also merges deltas).
// ClusterAction on the cluster, as Kafka asks; else every partition gets CLUSTER_AUTHORIZATION_FAILED.
// Kafka's definition marks v0 unstable, so ApiVersions lists it only with unstable.api.versions.enable=true.
import { WriteShareGroupStateRequestSchema, WriteShareGroupStateResponseSchema, type WriteShareGroupStateRequest, type WriteShareGroupStateResponse } from '../../protocol/messages/85-write-share-group-state.js';
import { writeState } from '../../coordinator/share/state-apis.js';
import { shareStateHandler } from '../share-state-handler.js';

export const writeShareGroupStateHandler = shareStateHandler<WriteShareGroupStateRequest, WriteShareGroupStateResponse>({
  apiKey: 85,
  request: WriteShareGroupStateRequestSchema,
  response: WriteShareGroupStateResponseSchema,
  serve: writeState,
  refusedFields: {},
});
