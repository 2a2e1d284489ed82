/**
 * The metrics listener (`metrics.listener=http://host:port`): `GET /metrics` in Prometheus' text
 * format (prom-client), `/healthz` (200 while the process serves HTTP) and `/readyz` (200 once
 * the logs are loaded and, in a cluster, the broker is registered; 503 before and while
 * stopping). It opens before the logs load, so a long recovery shows as alive but not ready.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Registry } from 'prom-client';
import { ConfigError } from '../../cluster/config.js';
import type { Logger } from '../../util/logger.js';
import { BrokerCounters } from './broker-counters.js';
import { registerBrokerMetrics, type MetricsSource } from './collectors.js';
import { RemoteHighWatermarks } from './remote-high-watermarks.js';
import type { PeerAddressing } from '../../cluster/peer-connection.js';
import { METRICS_LISTENER_KEY, metricsListener, type MetricsAddress } from './metrics-listener.js';

export class MetricsService {
  /** What the hot path counts; handed to the broker's context. */
  readonly counters = new BrokerCounters();
  readonly registry = new Registry();
  private source: MetricsSource | null = null;
  private stopping = false;

  private constructor(
    private readonly server: Server,
    readonly address: MetricsAddress,
  ) {
    registerBrokerMetrics(this.registry, this.counters, () => this.source);
  }

  /** Opens the listener `metrics.listener` names, or returns null when it is unset; a bad value or a busy port is a ConfigError naming the key. */
  static async open(raw: Readonly<Record<string, string>>, logger: Logger): Promise<MetricsService | null> {
    const address = metricsListener(raw);
    if (address === null) return null;
    let service: MetricsService | null = null;
    const server = createServer((req, res) => void service!.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new ConfigError(`${METRICS_LISTENER_KEY}: cannot listen on ${address.host}:${address.port} (${err.code ?? err.message}); choose a free port or leave ${METRICS_LISTENER_KEY} unset.`)));
      server.listen({ host: address.host, port: address.port }, resolve);
    });
    server.on('error', (err) => logger.error('metrics listener error', { err }));
    const bound = server.address();
    const port = bound !== null && typeof bound === 'object' ? bound.port : address.port;
    service = new MetricsService(server, { host: address.host, port });
    logger.info('serving Prometheus metrics', { url: service.url });
    return service;
  }

  /** `http://host:port/metrics`, with the port actually bound. */
  get url(): string {
    const host = this.address.host.includes(':') ? `[${this.address.host}]` : this.address.host;
    return `http://${host}:${this.address.port}/metrics`;
  }

  /**
   * The broker serves: its state is what the metrics read from now on, and /readyz answers 200.
   * In a cluster (`peers`), consumer lag asks other brokers for the partitions they lead.
   */
  attach(attached: Omit<MetricsSource, 'highWatermarks'> & { peers: (PeerAddressing & { nodeId: number }) | null }): void {
    const { peers, ...rest } = attached;
    const highWatermarks = peers === null ? null : new RemoteHighWatermarks({ ...peers, logger: rest.context.logger.child({ component: 'metrics' }) });
    const source: MetricsSource = { ...rest, highWatermarks };
    this.source = source;
    source.context.topics.onDeleted((name) => this.counters.forgetTopic(name));
    this.counters.topicExists = (name) => source.context.topics.get(name) !== undefined;
  }

  get ready(): boolean {
    return this.source !== null && !this.stopping;
  }

  async close(): Promise<void> {
    this.stopping = true;
    this.source?.highWatermarks?.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /** Marks the broker as going away (/readyz 503) while the listener still answers. */
  beginStop(): void {
    this.stopping = true;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'only GET and HEAD are served\n');
    try {
      switch (path) {
        case '/metrics':
          return reply(res, 200, await this.registry.metrics(), this.registry.contentType);
        case '/healthz':
          return reply(res, 200, 'ok\n');
        case '/readyz':
          return this.ready ? reply(res, 200, 'ready\n') : reply(res, 503, this.stopping ? 'stopping\n' : 'not ready: loading logs or registering\n');
        default:
          return reply(res, 404, 'not found: try /metrics, /healthz or /readyz\n');
      }
    } catch (err) {
      reply(res, 500, `metrics failed: ${(err as Error).message}\n`);
    }
  }
}

function reply(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
