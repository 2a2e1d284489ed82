/**
 * A histogram over fixed bucket bounds, cheap enough for hot paths: `observe` is a short scan
 * and three additions, with no allocation. Metrics read the counts at scrape time.
 */
import { assert } from './assert.js';

/** Bounds in milliseconds for request and flush times: 0.5 ms to 30 s, as Kafka's dashboards care about. */
export const TIME_MS_BUCKETS: readonly number[] = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000];

export class BucketHistogram {
  /** counts[i]: observations ≤ bounds[i] and > bounds[i-1]; the last slot counts those above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[] = TIME_MS_BUCKETS) {
    assert(bounds.length > 0 && bounds.every((b, i) => i === 0 || b > bounds[i - 1]!), 'bucket bounds must rise');
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  /** Cumulative counts per bound (Prometheus' `le` buckets), the last being +Inf. */
  cumulative(): number[] {
    const out: number[] = [];
    let n = 0;
    for (const c of this.counts) out.push((n += c));
    return out;
  }
}
