/**
 * `samsa cluster start --brokers 3 [--dir D] [--base-port 9092] [--etcd-port 2379]`: a cluster to
 * try on a laptop. It starts etcd from PATH and the brokers (each a `samsa server start` process
 * with its own node.id, port and log dir), prints the bootstrap list, and on Ctrl-C (or SIGTERM)
 * stops the brokers one by one (controlled shutdowns), then etcd. Started again on the same
 * `--dir`, the cluster comes back with its topics and data.
 */
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { bool, helpText, int, keyValues, list, parseFlags, reportError, str, UsageError, type Io, type ToolSpec } from './common.js';
import { EtcdMissingError, LocalCluster } from './local-cluster.js';

export const spec: ToolSpec = {
  name: 'cluster',
  summary: 'Run a local Samsa cluster (etcd and N brokers) until Ctrl-C.',
  usage: 'samsa cluster start [--brokers 3] [--dir ./cluster-data] [--base-port 9092] [--etcd-port 2379] [--override key=value]...',
  allowPositionals: true,
  flags: {
    brokers: { type: 'string', value: 'n', help: 'How many brokers (node ids 1..n). Default 3.' },
    dir: { type: 'string', value: 'path', help: 'Where etcd and the brokers keep their data. Default ./cluster-data.' },
    'base-port': { type: 'string', value: 'port', help: 'Broker i listens on base-port + i - 1. Default 9092.' },
    'etcd-port': { type: 'string', value: 'port', help: "etcd's client port; its peer port is the next one. Default 2379." },
    host: { type: 'string', value: 'host', help: 'The host brokers listen on and advertise. Default localhost.' },
    override: { type: 'string', multiple: true, value: 'key=value', help: 'A server.properties setting for every broker, e.g. default.replication.factor=3.' },
    json: { type: 'boolean', help: 'Print the bootstrap list and endpoints as one JSON line.' },
  },
};

const MAX_BROKERS = 32;

export async function run(argv: string[], io: Io): Promise<number | null> {
  let cluster: LocalCluster | null = null;
  try {
    const { values, positionals } = parseFlags(spec, argv);
    if (values.help === true) {
      io.stdout.write(helpText(spec));
      return 0;
    }
    const [command, ...extra] = positionals;
    if (command !== 'start' || extra.length > 0) {
      const got = command === undefined ? 'nothing' : `'${positionals.join(' ')}'`;
      throw new UsageError(`samsa cluster expects 'start', got ${got}: run 'samsa cluster start --brokers 3'.`);
    }
    const brokers = int(values, 'brokers', { min: 1 }) ?? 3;
    if (brokers > MAX_BROKERS) throw new UsageError(`--brokers must be at most ${MAX_BROKERS} on one machine, not ${brokers}.`);
    const basePort = port(values, 'base-port', 9092);
    const etcdPort = port(values, 'etcd-port', 2379);
    const host = str(values, 'host') ?? 'localhost';
    const dir = resolve(str(values, 'dir') ?? 'cluster-data');
    const overrides = Object.fromEntries(keyValues(list(values, 'override'), 'override'));
    for (const key of ['node.id', 'broker.id', 'listeners', 'log.dirs', 'log.dir', 'metadata.etcd.endpoints']) {
      if (key in overrides) throw new UsageError(`--override ${key} is set per broker by samsa cluster start; use --base-port, --dir or --host instead.`);
    }
    for (let i = 0; i < brokers; i++) await ensureFree(host, basePort + i, `broker ${i + 1}'s port`, '--base-port');
    await ensureFree('127.0.0.1', etcdPort, "etcd's client port", '--etcd-port');
    await ensureFree('127.0.0.1', etcdPort + 1, "etcd's peer port", '--etcd-port');
    // Kafka's internal topics want 3 replicas; a smaller local cluster gets as many as it has
    // brokers (as Kafka's single-node quick starts set them), unless given.
    if (brokers < 3) {
      for (const key of ['offsets.topic.replication.factor', 'transaction.state.log.replication.factor', 'share.coordinator.state.topic.replication.factor']) overrides[key] ??= String(brokers);
      for (const key of ['transaction.state.log.min.isr', 'share.coordinator.state.topic.min.isr']) overrides[key] ??= String(Math.min(2, brokers));
    }
    const json = bool(values, 'json');
    const started = await LocalCluster.start({
      brokers,
      dir,
      basePort,
      etcdPort,
      host,
      overrides,
      // Three brokers' info lines would bury what matters: warnings and errors, unless asked.
      env: { SAMSA_LOG_LEVEL: process.env['SAMSA_LOG_LEVEL'] ?? 'warn' },
      onOutput: (source, line) => {
        if (!json && source !== 'etcd') io.stderr.write(`[${source}] ${line}\n`);
      },
    });
    cluster = started;
    if (json) {
      io.stdout.write(JSON.stringify({ bootstrap: started.bootstrap, etcd: started.etcd.endpoint, dir, brokers: started.brokerIds.map((id) => ({ id, port: started.port(id), pid: started.pid(id) })) }) + '\n');
    } else {
      io.stdout.write(`etcd at ${started.etcd.endpoint}; ${brokers} broker${brokers === 1 ? '' : 's'}; data in ${dir}\n`);
      io.stdout.write(`Bootstrap servers: ${started.bootstrap}\n`);
      io.stdout.write('Press Ctrl-C to stop the cluster.\n');
    }
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (!json) io.stdout.write('Stopping the brokers (controlled shutdowns), then etcd...\n');
      void started.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          io.stderr.write(`Error: stopping the cluster failed: ${(err as Error).message}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    return null;
  } catch (err) {
    await cluster?.stop().catch(() => undefined);
    if (err instanceof EtcdMissingError) {
      io.stderr.write(`Error: ${err.message}\n`);
      return 1;
    }
    if (err instanceof Error && !(err instanceof UsageError) && err.name === 'Error') {
      io.stderr.write(`Error: ${err.message}\n`);
      return 1;
    }
    return reportError(err, io);
  }
}

function port(values: Parameters<typeof int>[0], name: string, fallback: number): number {
  const p = int(values, name, { min: 1 }) ?? fallback;
  if (p > 65534) throw new UsageError(`--${name} must be a port between 1 and 65534, not ${p}.`);
  return p;
}

function ensureFree(host: string, p: number, what: string, flag: string): Promise<void> {
  return new Promise((resolveFree, reject) => {
    const s = createServer();
    s.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new UsageError(`${what}, ${host}:${p}, is already in use (is a broker or etcd running there?): stop it or choose another with ${flag}.`));
      else reject(err);
    });
    s.listen(p, host, () => s.close(() => resolveFree()));
  });
}
