/**
 * `samsa console --bootstrap-server H:P [--listen 127.0.0.1:8080] [--command-config FILE]`: the
 * web console (src/console/) against any Kafka-compatible cluster, until SIGINT or SIGTERM. TLS
 * and SASL to the cluster come from the --command-config file, as for the admin tools.
 */
import { ConsoleServer } from '../console/server.js';
import { parseHttpAddress } from '../util/http-address.js';
import { bootstrapServer, helpText, parseFlags, reportError, str, UsageError, type Io, type ToolSpec } from './common.js';
import { COMMAND_CONFIG_FLAG, loadClientConfig } from './client-config.js';

export const LISTEN_DEFAULT = '127.0.0.1:8080';

export const spec: ToolSpec = {
  name: 'console',
  summary: 'Serve the web console for a Kafka-compatible cluster: brokers, topics, messages, groups and their lag.',
  usage: 'samsa console --bootstrap-server <host:port> [--listen 127.0.0.1:8080] [--command-config <file>]',
  flags: {
    'bootstrap-server': { type: 'string', value: 'host:port', help: 'The broker(s) to connect to, comma-separated. Required.' },
    listen: { type: 'string', value: 'host:port', help: `Where to serve the console (http://host:port or host:port; port 0 picks a free one). Default ${LISTEN_DEFAULT}.` },
    ...COMMAND_CONFIG_FLAG,
  },
};

/** Resolves with an exit code on failure, or null once the console is serving (it then runs until a signal). */
export async function run(argv: string[], io: Io): Promise<number | null> {
  try {
    const { values } = parseFlags(spec, argv);
    if (values.help === true) {
      io.stdout.write(helpText(spec));
      return 0;
    }
    const servers = bootstrapServer(values);
    const listenText = str(values, 'listen') ?? LISTEN_DEFAULT;
    const listen = parseHttpAddress(listenText, { schemeOptional: true });
    if (typeof listen === 'string') throw new UsageError(`--listen: ${listen}.`);
    const config = loadClientConfig({ role: 'admin', file: str(values, 'command-config'), overrides: { 'bootstrap.servers': servers } }, io);
    let server: ConsoleServer;
    try {
      server = await ConsoleServer.start({ listen, client: { ...config.client, bootstrapServers: servers } });
    } catch (err) {
      io.stderr.write(`Error: ${(err as Error).message}\n`);
      return 1;
    }
    io.stdout.write(`Samsa console for ${servers} at ${server.url}\n`);
    const stop = (): void => {
      server.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return null;
  } catch (err) {
    return reportError(err, io);
  }
}
