// PushTelemetry (key 72), version 0 (flexible). KIP-714: a client's OTLP MetricsData, checked as
// Kafka's ClientMetricsManager checks it — an unknown instance or a stale subscription id is
// UNKNOWN_SUBSCRIPTION_ID, a push before half the interval THROTTLING_QUOTA_EXCEEDED, more than
// telemetry.max.bytes TELEMETRY_TOO_LARGE, a codec not offered UNSUPPORTED_COMPRESSION_TYPE, bytes
// that do not decode INVALID_RECORD, a push after the terminating one INVALID_REQUEST — and kept
// as the instance's latest (client-telemetry.ts).
import { PushTelemetryRequestSchema, PushTelemetryResponseSchema, type PushTelemetryRequest, type PushTelemetryResponse } from '../../protocol/messages/72-push-telemetry.js';
import type { Handler } from '../handler.js';

export const pushTelemetryHandler: Handler<PushTelemetryRequest, PushTelemetryResponse> = {
  apiKey: 72,
  minVersion: 0,
  maxVersion: 0,
  request: PushTelemetryRequestSchema,
  response: PushTelemetryResponseSchema,
  async handle(ctx, req) {
    return { throttleTimeMs: 0, errorCode: await ctx.broker.telemetry.push(req, ctx.broker.clock.now()) };
  },
};
