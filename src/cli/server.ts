/** `samsa server start [server.properties] [--override key=value]...`: runs a broker in this process. */
import { relative, isAbsolute } from 'node:path';
import { startServer } from '../broker/broker.js';
import { helpText, keyValues, list, parseFlags, reportError, UsageError, type Io, type ToolSpec } from './common.js';

export const spec: ToolSpec = {
  name: 'server',
  summary: 'Run a Samsa broker until SIGINT or SIGTERM.',
  usage: 'samsa server start [server.properties] [--override key=value]...',
  allowPositionals: true,
  flags: {
    override: { type: 'string', multiple: true, value: 'key=value', help: 'A server.properties setting that wins over the file, e.g. log.dirs=/tmp/data.' },
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
    if (command !== 'start') {
      const got = command === undefined ? 'nothing' : `'${command}'`;
      throw new UsageError(`samsa server expects 'start', got ${got}: run 'samsa server start [server.properties]'.`);
    }
    if (extra.length > 0) {
      throw new UsageError(`samsa server start takes one properties file, but also got '${extra[0]}'. Use --override key=value for single settings.`);
    }
    const overrides = Object.fromEntries(keyValues(list(values, 'override'), 'override'));
    const broker = await startServer(configFile, overrides).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        throw new UsageError(`The port is already in use (${err.message}); stop the other process or pick a free port with --override listeners=PLAINTEXT://:9093.`);
      }
      throw err;
    });
    io.stdout.write(`Samsa broker ${broker.config.nodeId} listening on ${broker.bootstrap} (data in ${displayPath(broker.dataDir)})\n`);
    return null;
  } catch (err) {
    return reportError(err, io);
  }
}

/** A data directory under the working directory reads better as ./data than as an absolute path. */
function displayPath(dir: string): string {
  const rel = relative(process.cwd(), dir);
  if (rel === '') return '.';
  return rel.startsWith('..') || isAbsolute(rel) ? dir : `./${rel}`;
}
