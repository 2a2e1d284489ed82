/**
 * The `metrics.listener` broker key: where the Prometheus endpoint listens, as
 * `http://host:port` (e.g. `http://127.0.0.1:9644`; port 0 picks a free one). Unset or empty,
 * no endpoint is opened: an embedded broker or one of several on a machine opens no extra port
 * unless asked.
 */
import { ConfigError } from '../../cluster/config.js';

export const METRICS_LISTENER_KEY = 'metrics.listener';

export interface MetricsAddress {
  host: string;
  port: number;
}

/** The metrics listener's address, null when the key is unset or empty; a ConfigError sentence naming the key when its value is unusable. */
export function metricsListener(raw: Readonly<Record<string, string>>): MetricsAddress | null {
  const value = (raw[METRICS_LISTENER_KEY] ?? '').trim();
  if (value === '') return null;
  const m = /^http:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/?$/.exec(value);
  const example = 'e.g. metrics.listener=http://127.0.0.1:9644';
  if (m === null) throw new ConfigError(`${METRICS_LISTENER_KEY}: '${value}' is not http://host:port (${example}); leave it unset to serve no metrics.`);
  const port = Number(m[2]);
  if (port > 65535) throw new ConfigError(`${METRICS_LISTENER_KEY}: port ${port} is out of range 0-65535 (${example}).`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}
