// ListClientMetricsResources (key 74), version 0 (flexible). The names of the client-metrics
// config resources (KIP-714, KIP-1000), as kafka-configs --describe --entity-type client-metrics
// lists them; DescribeConfigs on the cluster when an authorizer is set.
import { ErrorCode } from '../../protocol/errors.js';
import { ListClientMetricsResourcesRequestSchema, ListClientMetricsResourcesResponseSchema, type ListClientMetricsResourcesRequest, type ListClientMetricsResourcesResponse } from '../../protocol/messages/74-list-client-metrics-resources.js';
import { Op, onCluster } from '../access.js';
import type { Handler } from '../handler.js';

export const listClientMetricsResourcesHandler: Handler<ListClientMetricsResourcesRequest, ListClientMetricsResourcesResponse> = {
  apiKey: 74,
  minVersion: 0,
  maxVersion: 0,
  request: ListClientMetricsResourcesRequestSchema,
  response: ListClientMetricsResourcesResponseSchema,
  async handle(ctx) {
    if (!onCluster(ctx, Op.DESCRIBE_CONFIGS)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, clientMetricsResources: [] };
    const names = ctx.broker.telemetry.resources.names();
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, clientMetricsResources: names.map((name) => ({ name })) };
  },
};
