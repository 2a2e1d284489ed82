/**
 * The three shapes every broker metric takes, all read at scrape time from totals kept elsewhere:
 * a gauge, a counter, and a histogram of fixed buckets.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { BucketHistogram } from '../../util/histogram.js';

export type Labels = Record<string, string | number>;
type Value = { value: number; labels: Labels; metricName?: string };

/** A histogram prom-client formats from bucket counts kept elsewhere (prom-client's own Histogram can only be fed one observation at a time). */
export function bucketHistogram(registry: Registry, name: string, help: string, read: () => Array<{ labels: Labels; h: BucketHistogram }>): void {
  const get = (): { name: string; help: string; type: 'histogram'; values: Value[]; aggregator: 'sum' } => {
    const values: Value[] = [];
    for (const { labels, h } of read()) {
      const cumulative = h.cumulative();
      h.bounds.forEach((le, i) => values.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative[i]! }));
      values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count });
      values.push({ metricName: `${name}_sum`, labels, value: h.sum });
      values.push({ metricName: `${name}_count`, labels, value: h.count });
    }
    return { name, help, type: 'histogram', values, aggregator: 'sum' };
  };
  registry.registerMetric({ name, help, get } as unknown as Parameters<Registry['registerMetric']>[0]);
}

/** A gauge whose values are all computed at scrape time (perhaps asynchronously: consumer lag asks other brokers). */
export function gauge(registry: Registry, name: string, help: string, labelNames: string[], values: () => Iterable<[Labels, number]> | Promise<Iterable<[Labels, number]>>): void {
  new Gauge({
    name, help, labelNames, registers: [registry],
    async collect() {
      const vs = await values();
      this.reset();
      for (const [labels, v] of vs) this.set(labels, v);
    },
  });
}

/** A counter read from a running total kept elsewhere (reset and set at each scrape). */
export function counter(registry: Registry, name: string, help: string, labelNames: string[], values: () => Iterable<[Labels, number]>): void {
  new Counter({
    name, help, labelNames, registers: [registry],
    collect() {
      this.reset();
      for (const [labels, v] of values()) this.inc(labels, v);
    },
  });
}

