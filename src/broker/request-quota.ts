/**
 * What the request_percentage quota counts (Kafka's ClientRequestQuotaManager): each request's
 * handler time, as a percentage of one second, except the requests Kafka exempts — a replica's
 * fetch, the brokers' own WriteTxnMarkers, and the SASL exchange that precedes any principal.
 */
const FETCH_KEY = 1;
const SASL_HANDSHAKE_KEY = 17;
const WRITE_TXN_MARKERS_KEY = 27;
const SASL_AUTHENTICATE_KEY = 36;

/** Kafka's NanosToPercentagePerSecond, from milliseconds: 1000 ms of handler time is 100 %. */
const PERCENT_PER_MS = 100 / 1000;

export function requestTimePercent(handlerMs: number): number {
  return handlerMs * PERCENT_PER_MS;
}

export function requestQuotaExempt(apiKey: number, body: unknown): boolean {
  if (apiKey === SASL_HANDSHAKE_KEY || apiKey === SASL_AUTHENTICATE_KEY || apiKey === WRITE_TXN_MARKERS_KEY) return true;
  return apiKey === FETCH_KEY && isReplicaFetch(body);
}

/** A follower's fetch: replica id ≥ 0, in the body (v4–v14) or the replica_state tag (v15+). */
export function isReplicaFetch(body: unknown): boolean {
  const f = body as { replicaId?: number; replicaState?: { replicaId?: number } };
  return (f.replicaId ?? -1) >= 0 || (f.replicaState?.replicaId ?? -1) >= 0;
}
