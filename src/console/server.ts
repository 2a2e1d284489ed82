/**
 * The console's HTTP server (node:http): routes by method and path, reads form posts (bounded),
 * refuses cross-site posts, answers every failure with a page that says what went wrong, and
 * carries the outcome of an action across its redirect as a flash line. Routes are in routes.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { KafkaError } from '../client/index.js';
import { httpUrl, type HttpAddress } from '../util/http-address.js';
import type { Logger } from '../util/logger.js';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.js';
import { ConsoleData } from './data.js';
import { LagHistory } from './lag-history.js';
import { errorPage, type Flash } from './layout.js';
import { HttpError, Redirect, type RouteResult } from './responses.js';
import { ROUTES, type RouteContext } from './routes.js';
import type { ClientOptions } from '../client/index.js';

/** A form post larger than this is refused: a produced message's value is the biggest field. */
export const FORM_BYTES_MAX = 1_048_576;
/** Flash lines waiting for the page a redirect leads to; the oldest go first. */
const FLASHES_MAX = 100;
/** The page's script tag and style sheet only, from this server; no frames, no sniffing. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

export interface ConsoleOptions {
  listen: HttpAddress;
  /** The client's settings: bootstrap servers plus TLS/SASL from client properties. */
  client: ClientOptions;
  logger?: Logger;
  /** How often pages poll lag and offsets. */
  pollIntervalMs?: number;
}

export class ConsoleServer {
  private readonly flashes = new Map<string, Flash>();
  private flashSeq = 0;
  readonly data: ConsoleData;
  readonly lag = new LagHistory();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    data: ConsoleData,
  ) {
    this.data = data;
  }

  static async start(opts: ConsoleOptions): Promise<ConsoleServer> {
    const data = new ConsoleData(opts.client);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.listen.port, opts.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch(async (err: NodeJS.ErrnoException) => {
      await data.close();
      throw new Error(`The console cannot listen on ${opts.listen.host}:${opts.listen.port}: ${err.code === 'EADDRINUSE' ? 'the port is in use; pick another' : err.message}`);
    });
    const addr = server.address();
    const port = addr !== null && typeof addr === 'object' ? addr.port : opts.listen.port;
    const console = new ConsoleServer(server, httpUrl(opts.listen.host, port), data);
    const ctxBase = { pollIntervalMs: opts.pollIntervalMs ?? 1000 };
    server.on('request', (req, res) => void console.handle(req, res, ctxBase, opts.logger));
    return console;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, base: { pollIntervalMs: number }, logger?: Logger): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const method = req.method ?? 'GET';
    try {
      if (method === 'GET' && url.pathname === '/assets/console.css') return send(res, 200, 'text/css; charset=utf-8', CONSOLE_CSS, true);
      if (method === 'GET' && url.pathname === '/assets/console.js') return send(res, 200, 'text/javascript; charset=utf-8', CONSOLE_JS, true);
      if (method === 'GET' && url.pathname === '/favicon.ico') return send(res, 204, 'text/plain', '');
      const match = route(method, url.pathname);
      if (match === null) throw new HttpError(method === 'GET' || method === 'POST' ? 404 : 405, `There is no page ${method} ${url.pathname}.`);
      if (method === 'POST') checkSameOrigin(req);
      const form = method === 'POST' ? await readForm(req) : new URLSearchParams();
      const flashId = url.searchParams.get('flash');
      const ctx: RouteContext = {
        params: match.params, query: url.searchParams, form, data: this.data, lag: this.lag, pollIntervalMs: base.pollIntervalMs,
        flash: flashId === null ? null : (this.flashes.get(flashId) ?? null),
      };
      const result = await match.handler(ctx);
      if (result instanceof Redirect) {
        let location = result.location;
        if (result.flash !== null) location += `${location.includes('?') ? '&' : '?'}flash=${this.keepFlash(result.flash)}`;
        res.writeHead(303, { location, ...SECURITY_HEADERS }).end();
      } else if ('json' in result) send(res, 200, 'application/json; charset=utf-8', JSON.stringify(result.json));
      else send(res, 200, 'text/html; charset=utf-8', result.text);
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 502;
      const message = err instanceof HttpError || err instanceof KafkaError ? err.message : `The cluster did not answer: ${(err as Error).message}`;
      if (!(err instanceof HttpError)) logger?.warn('console request failed', { path: url.pathname, err });
      if (url.pathname.startsWith('/api/')) send(res, status, 'application/json; charset=utf-8', JSON.stringify({ error: message }));
      else send(res, status, 'text/html; charset=utf-8', errorPage(status === 404 ? 'Not found' : 'Something went wrong', message).text);
    }
  }

  private keepFlash(f: Flash): string {
    const id = `${Date.now().toString(36)}${(this.flashSeq++).toString(36)}`;
    this.flashes.set(id, f);
    if (this.flashes.size > FLASHES_MAX) this.flashes.delete(this.flashes.keys().next().value!);
    return id;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
    await this.data.close();
  }
}

function route(method: string, path: string): { handler: (ctx: RouteContext) => Promise<RouteResult>; params: string[] } | null {
  for (const [m, pattern, handler] of ROUTES) {
    if (m !== method) continue;
    const found = pattern.exec(path);
    if (found === null) continue;
    try {
      return { handler, params: found.slice(1).map((p) => decodeURIComponent(p)) };
    } catch {
      throw new HttpError(400, `The path ${path} is not well encoded.`);
    }
  }
  return null;
}

/** A post from another site (a page that submits a form here) is refused: the browser says where it came from. */
function checkSameOrigin(req: IncomingMessage): void {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new HttpError(403, 'Changes are accepted only from the console\'s own pages.');
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null' && new URL(origin).host !== req.headers.host) throw new HttpError(403, 'Changes are accepted only from the console\'s own pages.');
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) throw new HttpError(415, 'Send the form as application/x-www-form-urlencoded.');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > FORM_BYTES_MAX) throw new HttpError(413, `A form may hold at most ${FORM_BYTES_MAX} bytes.`);
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res: ServerResponse, status: number, type: string, body: string, cacheable = false): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': cacheable ? 'max-age=300' : 'no-store', ...SECURITY_HEADERS });
  res.end(body);
}
