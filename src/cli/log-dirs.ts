/**
 * `samsa log-dirs`: Kafka's kafka-log-dirs.sh (LogDirsCommand). Asks each broker (all of them,
 * or those of --broker-list) for its log dirs and the replicas in them, and prints Kafka's two
 * lines and its JSON document, with the keys in the order Kafka's tool writes them.
 */
import type { LogDirDescription } from '../client/index.js';
import { str, UsageError, writeOut, type Io, type ParsedFlags, type ToolSpec } from './common.js';
import { COMMAND_CONFIG_FLAG, runAdminTool } from './client-config.js';
import { javaExceptionName } from './java-exceptions.js';

export const spec: ToolSpec = {
  name: 'log-dirs',
  summary: 'Print the log dirs of brokers and the size of each replica in them, as JSON.',
  usage: 'samsa log-dirs --bootstrap-server <host:port> --describe [--broker-list 1,2] [--topic-list a,b]',
  flags: {
    'bootstrap-server': { type: 'string', value: 'host:port', help: 'The broker(s) to connect to, comma-separated. Required.' },
    ...COMMAND_CONFIG_FLAG,
    describe: { type: 'boolean', help: 'Describe the log dirs of the brokers. Required.' },
    'broker-list': { type: 'string', value: '1,2,3', help: 'The brokers to ask, comma-separated; all brokers of the cluster if left out.' },
    'topic-list': { type: 'string', value: 'a,b,c', help: 'Only the replicas of these topics, comma-separated; all topics if left out.' },
  },
};

/** Kafka's splitAtCommasAndFilterOutEmpty. */
function items(values: ParsedFlags, flag: string): string[] {
  return (str(values, flag) ?? '').split(',').filter((x) => x !== '');
}

function brokerList(values: ParsedFlags): number[] {
  return items(values, 'broker-list').map((x) => {
    const id = Number(x);
    if (!Number.isSafeInteger(id) || x.trim() !== x) throw new UsageError(`--broker-list takes broker ids separated by commas, as in '--broker-list 1,2'; '${x}' is not a broker id.`);
    return id;
  });
}

/** Kafka writes Java HashMaps, so its keys come in hash order: this is that order. */
function printable(byBroker: Map<number, LogDirDescription[]>, topics: Set<string>): string {
  const brokers = [...byBroker].map(([broker, dirs]) => ({
    broker,
    logDirs: dirs.map((d) => ({
      partitions: d.replicas
        .filter((r) => topics.size === 0 || topics.has(r.topic))
        .map((r) => ({ partition: `${r.topic}-${r.partition}`, size: r.size, offsetLag: r.offsetLag, isFuture: r.isFuture })),
      error: d.error === null ? null : javaExceptionName(d.error.code),
      logDir: d.logDir,
    })),
  }));
  return JSON.stringify({ brokers, version: 1 });
}

const ascending = (ids: Iterable<number>): number[] => [...new Set(ids)].sort((a, b) => a - b);

export async function run(argv: string[], io: Io): Promise<number> {
  return runAdminTool(spec, argv, io, async ({ values }, connect) => {
    // Kafka's checkRequiredArgs: the first one missing, in this order.
    for (const flag of ['bootstrap-server', 'describe']) {
      if (values[flag] === undefined)
        throw new UsageError(`Missing required argument "[${flag}]". Give --${flag}, as in 'samsa log-dirs --bootstrap-server localhost:9092 --describe'.`);
    }
    const wanted = brokerList(values);
    const topics = new Set(items(values, 'topic-list'));
    const admin = connect();
    const inCluster = new Set((await admin.describeCluster()).brokers.map((b) => b.nodeId));
    const missing = ascending(wanted.filter((id) => !inCluster.has(id)));
    if (missing.length > 0) {
      io.stderr.write(`ERROR: The given brokers do not exist from --broker-list: ${missing.join(',')}. Current existent brokers: ${ascending(inCluster).join(',')}\n`);
      return 1;
    }
    const brokers = ascending(wanted.length > 0 ? wanted : inCluster);
    await writeOut(io.stdout, 'Querying brokers for log directories information\n');
    const byBroker = await admin.describeLogDirs(brokers);
    await writeOut(io.stdout, `Received log directory information from brokers ${brokers.join(',')}\n${printable(byBroker, topics)}\n`);
    return 0;
  });
}
