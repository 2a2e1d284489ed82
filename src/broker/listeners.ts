/**
 * The broker's listening sockets: a plain or SSL server per listener, bound before the broker
 * says it is up; an SSL listener reloads its certificates when their files change and logs a
 * failed handshake at most once a minute; a connection over a limit is closed at once or, for a
 * connection-creation rate, after its throttle time without being read.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import type { Listener } from '../cluster/config.js';
import type { Logger } from '../util/logger.js';
import { watchTlsFiles } from './tls.js';

export interface ListenerSetup {
  raw: Readonly<Record<string, string>>;
  logger: Logger;
  /** TLS options per SSL listener. */
  tlsOf(listenerName: string): TlsOptions | undefined;
  accept(socket: Socket, listenerName: string): void;
  /** Each SSL listener's certificate watcher, to stop at shutdown. */
  unwatchers: Array<() => void>;
}

/** Opens every listener; resolves with the servers and the ports they got once all are bound. */
export async function openListeners(listeners: readonly Listener[], s: ListenerSetup): Promise<{ servers: Server[]; ports: Map<string, number> }> {
  const servers: Server[] = [];
  const ports = new Map<string, number>();
  for (const l of listeners) {
    const tls = s.tlsOf(l.name);
    const server = tls !== undefined ? tlsServer(l.name, tls, s) : createServer((socket) => s.accept(socket, l.name));
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen({ port: l.port, host: l.host === '' ? undefined : l.host }, () => {
        server.off('error', reject);
        resolveListen();
      });
    });
    server.on('error', (err) => s.logger.error('listener error', { listener: l.name, err }));
    const addr = server.address();
    if (addr !== null && typeof addr === 'object') ports.set(l.name, addr.port);
    servers.push(server);
  }
  return { servers, ports };
}

/** An SSL listener: the handshake first; a failed one closes that connection and is logged at most once a minute per listener. */
function tlsServer(listenerName: string, options: TlsOptions, s: ListenerSetup): Server {
  const server = createTlsServer(options, (socket) => s.accept(socket, listenerName));
  s.unwatchers.push(
    watchTlsFiles(
      s.raw,
      listenerName,
      (o) => {
        server.setSecureContext(o);
        s.logger.info('TLS certificates reloaded', { listener: listenerName });
      },
      (err) => s.logger.warn('TLS certificate files changed but do not load; the previous ones stay in force', { listener: listenerName, error: err.message }),
    ),
  );
  let lastLogged = -Infinity;
  server.on('tlsClientError', (err, socket) => {
    socket.destroy();
    const now = Date.now();
    if (now - lastLogged < 60_000) return;
    lastLogged = now;
    s.logger.warn('TLS handshake failed; connection closed', { listener: listenerName, remote: socket.remoteAddress, error: err.message });
  });
  return server;
}

export type DelayedCloses = Set<{ socket: Socket; timer: NodeJS.Timeout }>;

/** A connection over a limit: closed at once, or after `closeAfterMs` without being read (connection_creation_rate). */
export function refuseConnection(socket: Socket, listenerName: string, reason: string, closeAfterMs: number, logger: Logger, delayed: DelayedCloses): void {
  logger.info('connection refused', { listener: listenerName, remote: socket.remoteAddress, reason, ...(closeAfterMs > 0 ? { closeAfterMs } : {}) });
  if (closeAfterMs <= 0) {
    socket.destroy();
    return;
  }
  socket.pause();
  socket.on('error', () => undefined);
  const entry = { socket, timer: setTimeout(() => {
    delayed.delete(entry);
    socket.destroy();
  }, closeAfterMs) };
  delayed.add(entry);
}
