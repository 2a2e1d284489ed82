/**
 * `samsa server start [server.properties] [--override key=value]...`: runs a broker in this
 * process. `samsa server stop [--node-id=N | --process-role=R]` stops running ones (server-stop.ts).
 */
import { JAAS_FILE_KEY } from '../broker/sasl.js';
import { relative, isAbsolute } from 'node:path';
import { startServer } from '../broker/broker.js';
import { registerConsoleService } from './console-service.js';
import { createServer } from 'node:net';
import { ConfigError, readPropertiesFile } from '../cluster/config.js';
import { LogDirInUseError } from '../storage/dir-lock.js';
import { MetaPropertiesError } from '../storage/meta-properties.js';
import { LogSettingsError } from '../util/logger.js';
import { helpText, keyValues, list, parseFlags, reportError, str, UsageError, type Io, type ToolSpec } from './common.js';

/** What --quickstart serves when the properties do not say otherwise. */
const QUICKSTART = { console: 'http://127.0.0.1:8080', metrics: 'http://127.0.0.1:9644' } as const;

export const spec: ToolSpec = {
  name: 'server',
  summary: 'Run a Samsa broker until SIGINT or SIGTERM; or stop the running ones.',
  usage: 'samsa server start [server.properties] [--override key=value]... [--quickstart] | samsa server stop [--node-id=N | --process-role=R]',
  allowPositionals: true,
  flags: {
    override: { type: 'string', multiple: true, value: 'key=value', help: 'A server.properties setting that wins over the file, e.g. log.dirs=/tmp/data.' },
    quickstart: { type: 'boolean', help: `With start (npm start uses it): also serve the web console at ${QUICKSTART.console} and metrics at ${QUICKSTART.metrics}, unless console.listener or metrics.listener is set; a default port already in use is skipped with a warning.` },
    'node-id': { type: 'string', value: 'id', help: 'With stop: only the broker with this node.id.' },
    'process-role': { type: 'string', value: 'roles', help: 'With stop: only brokers whose process.roles is this, e.g. broker,controller.' },
  },
};

/** Resolves with an exit code on failure, or null once the broker is up (it then runs until a signal). */
export async function run(argv: string[], io: Io): Promise<number | null> {
  try {
    const { values, positionals } = parseFlags(spec, argv);
    if (values.help === true) {
      io.stdout.write(helpText(spec));
      return 0;
    }
    const [command, configFile, ...extra] = positionals;
    if (command === 'stop') {
      if (configFile !== undefined || list(values, 'override').length > 0) throw new UsageError('samsa server stop takes no properties file or --override; it finds the running brokers itself.');
      const { stopServers } = await import('./server-stop.js');
      return stopServers({ nodeId: str(values, 'node-id'), processRole: str(values, 'process-role') }, io.stdout);
    }
    if (command !== 'start') {
      const got = command === undefined ? 'nothing' : `'${command}'`;
      throw new UsageError(`samsa server expects 'start' or 'stop', got ${got}: run 'samsa server start [server.properties]'.`);
    }
    if (str(values, 'node-id') !== undefined || str(values, 'process-role') !== undefined) {
      throw new UsageError("--node-id and --process-role choose brokers to stop: use them with 'samsa server stop'; set node.id in server.properties or with --override.");
    }
    if (extra.length > 0) {
      throw new UsageError(`samsa server start takes one properties file, but also got '${extra[0]}'. Use --override key=value for single settings.`);
    }
    const overrides = Object.fromEntries(keyValues(list(values, 'override'), 'override'));
    // Kafka's JAAS file comes in KAFKA_OPTS (-Djava.security.auth.login.config=…), as kafka-server-start.sh passes it.
    const jaasFile = /-Djava\.security\.auth\.login\.config=(\S+)/.exec(process.env['KAFKA_OPTS'] ?? '')?.[1];
    if (jaasFile !== undefined && overrides[JAAS_FILE_KEY] === undefined) overrides[JAAS_FILE_KEY] = jaasFile;
    registerConsoleService();
    if (values.quickstart === true) await quickstartDefaults(configFile, overrides, io);
    const broker = await startServer(configFile, overrides);
    io.stdout.write(`Samsa broker ${broker.config.nodeId} listening on ${broker.bootstrap} (data in ${displayPath(broker.dataDir)})\n`);
    const consoleUrl = broker.serviceUrl('console.listener');
    if (consoleUrl !== null) io.stdout.write(`Web console at ${consoleUrl}\n`);
    const metricsUrl = broker.metricsUrl;
    if (metricsUrl !== null) io.stdout.write(`Prometheus metrics at ${metricsUrl}\n`);
    return null;
  } catch (err) {
    const sentence = startupFailure(err);
    if (sentence === null) return reportError(err, io);
    io.stderr.write(`Error: ${sentence}\n`);
    return 1;
  }
}

/** Errors of operation a start can meet, as the sentence to print; null for anything else (a bug). */
export function startupFailure(err: unknown): string | null {
  if (err instanceof LogDirInUseError || err instanceof MetaPropertiesError || err instanceof ConfigError || err instanceof LogSettingsError) return err.message;
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (!(err instanceof Error) || typeof e.code !== 'string') return null;
  if (e.syscall === 'listen') {
    const where = e.port === undefined ? 'the listener' : `${e.address ?? ''}:${e.port}`;
    if (e.code === 'EADDRINUSE') return `Port ${where} is already in use; stop the other process or set another port with --override listeners=PLAINTEXT://localhost:9093.`;
    return `Cannot listen on ${where} (${e.code}); check the host and port in listeners.`;
  }
  if (e.path !== undefined) {
    const why = e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied' : e.code === 'ENOTDIR' ? 'a part of the path is not a directory' : e.code;
    return `Cannot use ${e.path} (${e.syscall ?? 'access'}: ${why}); give the broker's user access to its log.dirs or choose others.`;
  }
  return null;
}

/** A data directory under the working directory reads better as ./data than as an absolute path. */
function displayPath(dir: string): string {
  const rel = relative(process.cwd(), dir);
  if (rel === '') return '.';
  return rel.startsWith('..') || isAbsolute(rel) ? dir : `./${rel}`;
}

/**
 * --quickstart: the console and metrics listeners at their default addresses, for the keys the
 * properties file and overrides leave unset, and only where the port is free (else a warning:
 * a first start must not fail over a port the user did not ask for).
 */
async function quickstartDefaults(configFile: string | undefined, overrides: Record<string, string>, io: Io): Promise<void> {
  const fromFile = configFile !== undefined ? readPropertiesFile(configFile) : {};
  for (const [key, url] of [['console.listener', QUICKSTART.console], ['metrics.listener', QUICKSTART.metrics]] as const) {
    if (overrides[key] !== undefined || fromFile[key] !== undefined) continue;
    const { hostname, port } = new URL(url);
    if (await portFree(hostname, Number(port))) overrides[key] = url;
    else io.stderr.write(`Warning: ${hostname}:${port} is in use, so ${key} is left off; set it with --override ${key}=http://127.0.0.1:<port>.\n`);
  }
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}
