/**
 * Client telemetry (KIP-714), as Kafka's ClientMetricsManager serves it: a client asks which
 * metrics to push (GetTelemetrySubscriptions) and is given an instance id, the metric prefixes of
 * the client-metrics subscriptions it matches, the shortest of their intervals and a subscription
 * id that changes whenever they do; it then pushes OTLP MetricsData (PushTelemetry), compressed
 * with one of the codecs offered. The broker keeps each instance's latest push (decompressed, with
 * the metric names read from it) for the metrics endpoint; listeners hear every push.
 */
import { randomBytes } from 'node:crypto';
import { crc32c } from '../util/crc32c.js';
import { ErrorCode } from '../protocol/errors.js';
import { decompress } from '../protocol/records/compression.js';
import { Compression } from '../protocol/records/batch-header.js';
import { ZERO_UUID_STRING, uuidToString } from '../protocol/writer.js';
import { DEFAULT_INTERVAL_MS, type ClientAttributes, type ClientMetricsResources } from '../cluster/client-metrics.js';

/** Kafka's offer, most preferred first (ClientTelemetryUtils): zstd, lz4, gzip, snappy. */
export const ACCEPTED_COMPRESSION = [Compression.Zstd, Compression.Lz4, Compression.Gzip, Compression.Snappy];
/** An instance forgotten after this long without a request (Kafka: 3 × the push interval, at least). */
const INSTANCE_EXPIRY_FACTOR = 3;

export interface TelemetryPush {
  clientInstanceId: string;
  clientId: string;
  receivedAtMs: number;
  terminating: boolean;
  /** The OTLP MetricsData bytes, decompressed. */
  metrics: Buffer;
  /** The names of the metrics in the push, in order. */
  metricNames: string[];
}

interface Instance {
  subscriptionId: number;
  intervalMs: number;
  lastPushMs: number;
  lastSeenMs: number;
  terminated: boolean;
  clientId: string;
}

export interface SubscriptionAnswer {
  errorCode: number;
  clientInstanceId: string;
  subscriptionId: number;
  pushIntervalMs: number;
  requestedMetrics: string[];
}

function varint(b: Buffer, at: number): [number, number] {
  let v = 0;
  let shift = 0;
  for (;;) {
    if (at >= b.length) throw new Error('truncated varint');
    const byte = b[at++]!;
    v += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [v, at];
    shift += 7;
  }
}

/** The length-delimited fields `field` of a protobuf message (nothing else is decoded). */
function submessages(b: Buffer, field: number): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < b.length) {
    const [key, next] = varint(b, at);
    at = next;
    const wire = key % 8;
    if (wire === 0) [, at] = varint(b, at);
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const [len, start] = varint(b, at);
      if (Math.floor(key / 8) === field) out.push(b.subarray(start, start + len));
      at = start + len;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return out;
}

/** Metric names of OTLP MetricsData: resource_metrics(1) → scope_metrics(2) → metrics(2) → name(1). */
export function otlpMetricNames(data: Buffer): string[] {
  const names: string[] = [];
  for (const rm of submessages(data, 1)) for (const sm of submessages(rm, 2)) for (const m of submessages(sm, 2)) for (const n of submessages(m, 1)) names.push(n.toString('utf8'));
  return names;
}

export class ClientTelemetry {
  private readonly instances = new Map<string, Instance>();
  readonly latest = new Map<string, TelemetryPush>();
  private readonly listeners = new Set<(p: TelemetryPush) => void>();

  constructor(
    /** The client-metrics subscriptions (config resources of type 16), for the config APIs too. */
    readonly resources: ClientMetricsResources,
    readonly maxBytes: number,
  ) {}

  onPush(listener: (p: TelemetryPush) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private sweep(nowMs: number): void {
    for (const [id, i] of this.instances) if (nowMs - i.lastSeenMs > INSTANCE_EXPIRY_FACTOR * Math.max(i.intervalMs, DEFAULT_INTERVAL_MS)) this.instances.delete(id);
  }

  /** GetTelemetrySubscriptions: the subscription in force for this client (a new instance id for a zero one). */
  subscribe(requestedId: string, client: Omit<ClientAttributes, 'client_instance_id'>, nowMs: number): SubscriptionAnswer {
    this.sweep(nowMs);
    const clientInstanceId = requestedId === ZERO_UUID_STRING ? uuidToString(randomBytes(16)) : requestedId;
    const matched = this.resources.matching({ ...client, client_instance_id: clientInstanceId });
    const prefixes = [...new Set(matched.flatMap((s) => s.metrics))];
    const requestedMetrics = prefixes.includes('*') ? [''] : prefixes.sort();
    const intervalMs = matched.length === 0 ? DEFAULT_INTERVAL_MS : Math.min(...matched.map((s) => s.intervalMs));
    const subscriptionId = crc32c(Buffer.from(JSON.stringify([clientInstanceId, requestedMetrics, intervalMs]))) | 0;
    const old = this.instances.get(clientInstanceId);
    this.instances.set(clientInstanceId, {
      subscriptionId, intervalMs, lastPushMs: old?.lastPushMs ?? 0, lastSeenMs: nowMs, terminated: false, clientId: client.client_id,
    });
    return { errorCode: ErrorCode.NONE, clientInstanceId, subscriptionId, pushIntervalMs: intervalMs, requestedMetrics };
  }

  /** PushTelemetry: the error code Kafka answers with; a good push is kept and heard. */
  async push(req: { clientInstanceId: string; subscriptionId: number; terminating: boolean; compressionType: number; metrics: Buffer }, nowMs: number): Promise<number> {
    const instance = this.instances.get(req.clientInstanceId);
    if (req.clientInstanceId === ZERO_UUID_STRING) return ErrorCode.INVALID_REQUEST;
    if (instance === undefined || instance.subscriptionId !== req.subscriptionId) return ErrorCode.UNKNOWN_SUBSCRIPTION_ID;
    if (instance.terminated) return ErrorCode.INVALID_REQUEST;
    // Half an interval of slack, so a client's timer running a little early is not refused.
    if (!req.terminating && instance.lastPushMs > 0 && nowMs - instance.lastPushMs < instance.intervalMs / 2) return ErrorCode.THROTTLING_QUOTA_EXCEEDED;
    if (req.metrics.length > this.maxBytes) return ErrorCode.TELEMETRY_TOO_LARGE;
    if (req.compressionType !== Compression.None && !ACCEPTED_COMPRESSION.includes(req.compressionType)) return ErrorCode.UNSUPPORTED_COMPRESSION_TYPE;
    let metrics: Buffer;
    let metricNames: string[];
    try {
      metrics = await decompress(req.compressionType, req.metrics, this.maxBytes * 64);
      metricNames = otlpMetricNames(metrics);
    } catch {
      return ErrorCode.INVALID_RECORD;
    }
    instance.lastPushMs = nowMs;
    instance.lastSeenMs = nowMs;
    instance.terminated = req.terminating;
    const push: TelemetryPush = { clientInstanceId: req.clientInstanceId, clientId: instance.clientId, receivedAtMs: nowMs, terminating: req.terminating, metrics, metricNames };
    this.latest.set(req.clientInstanceId, push);
    for (const l of this.listeners) l(push);
    return ErrorCode.NONE;
  }
}
