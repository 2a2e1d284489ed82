// DescribeCluster (key 60), versions 0–1 (flexible from v0).
// The cluster id, the controller (this broker) and the brokers with their advertised endpoint
// for the listener the request came on. Authorized operations when asked (KIP-430): without an
// authorizer, every operation on the cluster.
// v1: endpoint type; asking for controller endpoints (2) → UNSUPPORTED_ENDPOINT_TYPE, as a
// Kafka broker answers (controllers are reached through brokers here).
import { DescribeClusterRequestSchema, DescribeClusterResponseSchema, type DescribeClusterRequest, type DescribeClusterResponse } from '../../protocol/messages/60-describe-cluster.js';
import { authorizedOperations, clusterOperations } from '../authorized-operations.js';
import type { Handler } from '../handler.js';

const ENDPOINT_TYPE_BROKERS = 1;
/** Kafka's UNSUPPORTED_ENDPOINT_TYPE error code. */
const UNSUPPORTED_ENDPOINT_TYPE = 119;

export const describeClusterHandler: Handler<DescribeClusterRequest, DescribeClusterResponse> = {
  apiKey: 60,
  minVersion: 0,
  maxVersion: 1,
  request: DescribeClusterRequestSchema,
  response: DescribeClusterResponseSchema,
  async handle(ctx, req, version) {
    const { broker } = ctx;
    const base = { throttleTimeMs: 0, endpointType: ENDPOINT_TYPE_BROKERS, clusterId: broker.clusterId, controllerId: broker.view.controllerId(), clusterAuthorizedOperations: authorizedOperations(req.includeClusterAuthorizedOperations, clusterOperations(ctx)) };
    if (version >= 1 && req.endpointType !== ENDPOINT_TYPE_BROKERS)
      return { ...base, endpointType: req.endpointType, errorCode: UNSUPPORTED_ENDPOINT_TYPE, errorMessage: 'The request was sent to a broker, which only describes broker endpoints (endpoint type 1).', controllerId: -1, brokers: [] };
    const brokers = broker.view.brokers(ctx.listenerName).map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack }));
    return { ...base, errorCode: 0, errorMessage: null, brokers };
  },
};
