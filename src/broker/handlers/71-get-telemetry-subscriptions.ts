// GetTelemetrySubscriptions (key 71), version 0 (flexible). KIP-714: a zero client instance id
// gets a new one; the answer carries the metric prefixes of the client-metrics subscriptions the
// client matches (client_id from the header, software name and version from its ApiVersions, its
// address and port), the shortest of their intervals (300000 when none matches, with no metrics
// requested), the codecs the broker accepts and telemetry.max.bytes. Deltas for counters.
import { GetTelemetrySubscriptionsRequestSchema, GetTelemetrySubscriptionsResponseSchema, type GetTelemetrySubscriptionsRequest, type GetTelemetrySubscriptionsResponse } from '../../protocol/messages/71-get-telemetry-subscriptions.js';
import { ACCEPTED_COMPRESSION } from '../client-telemetry.js';
import type { Handler } from '../handler.js';

export const getTelemetrySubscriptionsHandler: Handler<GetTelemetrySubscriptionsRequest, GetTelemetrySubscriptionsResponse> = {
  apiKey: 71,
  minVersion: 0,
  maxVersion: 0,
  request: GetTelemetrySubscriptionsRequestSchema,
  response: GetTelemetrySubscriptionsResponseSchema,
  async handle(ctx, req) {
    const { telemetry, clock } = ctx.broker;
    const a = telemetry.subscribe(
      req.clientInstanceId,
      {
        client_id: ctx.header.clientId ?? '', client_software_name: ctx.client?.softwareName ?? '', client_software_version: ctx.client?.softwareVersion ?? '',
        client_source_address: ctx.clientHost, client_source_port: String(ctx.clientPort ?? ''),
      },
      clock.now(),
    );
    return {
      throttleTimeMs: 0, errorCode: a.errorCode, clientInstanceId: a.clientInstanceId, subscriptionId: a.subscriptionId,
      acceptedCompressionTypes: [...ACCEPTED_COMPRESSION], pushIntervalMs: a.pushIntervalMs, telemetryMaxBytes: telemetry.maxBytes,
      deltaTemporality: true, requestedMetrics: a.requestedMetrics,
    };
  },
};
