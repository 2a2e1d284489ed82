/**
 * `samsa storage` (bin/kafka-storage.sh): `random-uuid` prints a new cluster id; `format -t <id>
 * -c server.properties` writes meta.properties into each of the config's log.dirs, with Kafka's
 * lines and refusals. A broker then serves that cluster id and refuses a dir of another one. A
 * dir never formatted still works: the broker formats it on its first start.
 */
import { resolve } from 'node:path';
import { buildBrokerConfig, readPropertiesFile } from '../cluster/config.js';
import { randomKafkaUuid, readMetaProperties, writeMetaProperties } from '../storage/meta-properties.js';
import { bool, helpText, parseFlags, reportError, str, UsageError, type Io, type ToolSpec } from './common.js';

export const spec: ToolSpec = {
  name: 'storage',
  summary: 'Print a cluster id, or format log directories for one (Kafka\'s kafka-storage.sh).',
  usage: 'samsa storage random-uuid | samsa storage format -t <cluster-id> -c <server.properties> [--standalone] [--ignore-formatted]',
  allowPositionals: true,
  flags: {
    'cluster-id': { type: 'string', value: 'id', help: 'The cluster id to format with (-t), e.g. from random-uuid.' },
    config: { type: 'string', value: 'file', help: 'The server.properties whose log.dirs and node.id are used (-c).' },
    'ignore-formatted': { type: 'boolean', help: 'Skip directories already formatted instead of failing (-g).' },
    standalone: { type: 'boolean', help: "Accepted as Kafka's for a single-node quorum; Samsa needs no quorum (-s)." },
    'no-initial-controllers': { type: 'boolean', help: "Accepted as Kafka's; Samsa needs no quorum (-N)." },
  },
};

/** Kafka's short options, spelled out for the flag parser. */
const SHORT_FLAGS: Record<string, string> = { '-t': '--cluster-id', '-c': '--config', '-g': '--ignore-formatted', '-s': '--standalone', '-N': '--no-initial-controllers' };
/**
 * What the format lines name as the metadata.version. Samsa keeps no feature levels; it writes
 * meta.properties as Kafka 4.0 does, so it names that release's.
 */
const RELEASE_VERSION = '4.0-IV3';
const UUID_BYTES = 16;

export async function run(argv: string[], io: Io): Promise<number> {
  try {
    const { values, positionals } = parseFlags(spec, argv.map((a) => SHORT_FLAGS[a] ?? a));
    if (bool(values, 'help')) {
      io.stdout.write(helpText(spec));
      return 0;
    }
    const [command, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`samsa storage takes one command, but also got '${extra[0]}'. Run 'samsa storage --help'.`);
    if (command === 'random-uuid') {
      io.stdout.write(`${randomKafkaUuid()}\n`);
      return 0;
    }
    if (command === 'format') return await format(io, str(values, 'cluster-id'), str(values, 'config'), bool(values, 'ignore-formatted'), bool(values, 'standalone'));
    const got = command === undefined ? 'no command' : `'${command}'`;
    throw new UsageError(`samsa storage expects 'random-uuid' or 'format', got ${got}. Run 'samsa storage --help'.`);
  } catch (err) {
    return reportError(err, io);
  }
}

async function format(io: Io, clusterId: string | undefined, configFile: string | undefined, ignoreFormatted: boolean, standalone: boolean): Promise<number> {
  if (clusterId === undefined) throw new UsageError("format needs the cluster id: -t <id>, e.g. -t $(bin/kafka-storage.sh random-uuid).");
  if (configFile === undefined) throw new UsageError('format needs the server configuration: -c <server.properties>.');
  if (!isKafkaUuid(clusterId)) {
    throw new UsageError(`Cluster ID string ${clusterId} does not appear to be a valid UUID: it must be 22 base64url characters, as 'kafka-storage.sh random-uuid' prints.`);
  }
  const config = buildBrokerConfig(readPropertiesFile(configFile));
  const dirs = config.logDirs.map((d) => resolve(d));
  const empty: string[] = [];
  for (const dir of dirs) {
    if ((await readMetaProperties(dir)) === null) empty.push(dir);
    else if (!ignoreFormatted) {
      io.stderr.write(`Log directory ${dir} is already formatted. Use --ignore-formatted to ignore this directory and format the others.\n`);
      return 1;
    }
  }
  if (empty.length === 0) {
    io.stdout.write('All of the log directories are already formatted.\n');
    return 0;
  }
  for (const dir of empty) {
    // The first log dir holds the metadata log, as Kafka's does without metadata.log.dir.
    const kind = dir !== dirs[0] ? 'data directory' : standalone ? 'dynamic metadata voter directory' : 'metadata directory';
    io.stdout.write(`Formatting ${kind} ${dir} with metadata.version ${RELEASE_VERSION}.\n`);
    await writeMetaProperties(dir, clusterId, config.nodeId);
  }
  return 0;
}

/** Kafka's Uuid text: 16 bytes in base64url without padding, not the reserved all-zero id. */
function isKafkaUuid(text: string): boolean {
  return /^[A-Za-z0-9_-]{22}$/.test(text) && Buffer.from(text, 'base64url').length === UUID_BYTES && text !== 'AAAAAAAAAAAAAAAAAAAAAA';
}
