#!/usr/bin/env node
/**
 * The `samsa` command: `samsa <tool> [flags]`. Each tool lives in its own file and is loaded only
 * when asked for, so `samsa topics` never loads the broker.
 */
import { readFileSync } from 'node:fs';
// Type only: the server loads no module of the CLI's but the bundle's loader.
import type { Io } from './common.js';

type ToolModule = { run: (argv: string[], io: Io) => Promise<number | null> };

/** From the bundle when there is an up-to-date one (server-bundle.ts), else from the modules. */
async function loadServer(): Promise<ToolModule> {
  const { loadServerBundle } = await import('./server-bundle.js');
  return (loadServerBundle() as ToolModule | null) ?? import('./server.js');
}

const TOOLS: Record<string, { summary: string; load: () => Promise<ToolModule> }> = {
  server: { summary: 'Run a broker: samsa server start [server.properties] [--override key=value]', load: loadServer },
  cluster: { summary: 'Run a local cluster, etcd and N brokers: samsa cluster start --brokers 3', load: () => import('./cluster.js') },
  topics: { summary: 'Create, list, describe and delete topics', load: () => import('./topics.js') },
  'console-producer': { summary: 'Send lines from stdin as messages', load: () => import('./console-producer.js') },
  'console-consumer': { summary: 'Print messages from a topic to stdout', load: () => import('./console-consumer.js') },
  console: { summary: 'Serve the web console for a cluster (--bootstrap-server, --listen 127.0.0.1:8080)', load: () => import('./console.js') },
  'consumer-groups': { summary: 'List, describe and delete consumer groups; reset their offsets', load: () => import('./consumer-groups.js') },
  configs: { summary: 'Describe and change topic and broker configs', load: () => import('./configs.js') },
  acls: { summary: 'Add, remove and list ACLs', load: () => import('./acls.js') },
  'delete-records': { summary: 'Delete records before given offsets (--offset-json-file)', load: () => import('./delete-records.js') },
  'get-offsets': { summary: 'Print topic:partition:offset for a time (latest, earliest, ms)', load: () => import('./get-offsets.js') },
  'reassign-partitions': { summary: 'Move partition replicas between brokers: --generate, --execute, --verify, --cancel, --list', load: () => import('./reassign-partitions.js') },
  transactions: { summary: 'List, describe and abort transactions; describe producers', load: () => import('./transactions.js') },
  'leader-election': { summary: 'Elect preferred or unclean leaders (--election-type, --all-topic-partitions)', load: () => import('./leader-election.js') },
  'log-dirs': { summary: 'Describe the log dirs of brokers and the replicas in them (--describe)', load: () => import('./log-dirs.js') },
  'share-groups': { summary: 'List and describe share groups (--list, --describe [--members | --state])', load: () => import('./share-groups.js') },
  features: { summary: "Describe the cluster's feature levels (describe)", load: () => import('./features.js') },
  'producer-perf-test': { summary: 'Measure produce throughput and latency (--num-records, --throughput)', load: () => import('./producer-perf-test.js') },
  'consumer-perf-test': { summary: 'Measure consume throughput (--topic, --messages)', load: () => import('./consumer-perf-test.js') },
  'dump-log': { summary: 'Print the batches and records of segment files, offline', load: () => import('./dump-log.js') },
  storage: { summary: 'Print a new cluster id (random-uuid) or format log.dirs for one (format -t ID -c FILE)', load: () => import('./storage.js') },
};

/** The package's version and the commit it was published from (npm records it as gitHead), for --version. */
const PACKAGE = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string; gitHead?: string };
const VERSION = PACKAGE.version;
/** Kafka's tools print `<version> (Commit:<id>)`, with "unknown" when the build does not know it. */
const VERSION_LINE = `${VERSION} (Commit:${PACKAGE.gitHead?.slice(0, 16) ?? 'unknown'})\n`;
/** After a client tool finishes, anything still holding the event loop gets this long before exit. */
const EXIT_GRACE_MS = 2000;

function usage(): string {
  const width = Math.max(...Object.keys(TOOLS).map((n) => n.length)) + 2;
  const rows = Object.entries(TOOLS).map(([name, t]) => `  ${name.padEnd(width)}${t.summary}`);
  return `Samsa ${VERSION}, a Kafka-compatible broker and tools.\n\nUsage: samsa <tool> [options]\n\nTools:\n${rows.join('\n')}\n\nRun 'samsa <tool> --help' for a tool's options.\n`;
}

async function main(argv: string[]): Promise<void> {
  // stdin is opened only by a tool that reads it: opening it costs a server's start-up a few ms.
  const io: Io = {
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    stderr: process.stderr,
  };
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    process.exitCode = name === undefined ? 1 : 0;
    return;
  }
  // Every tool answers --version as Kafka's do, before looking at its other flags.
  if (name === '--version' || (TOOLS[name] !== undefined && rest.includes('--version'))) {
    io.stdout.write(VERSION_LINE);
    return;
  }
  const tool = TOOLS[name];
  if (tool === undefined) {
    io.stderr.write(`samsa: there is no tool called '${name}'. Run 'samsa --help' to see the tools.\n`);
    process.exitCode = 1;
    return;
  }
  const code = await (await tool.load()).run(rest, io);
  if (code === null) return; // a server: it runs until a signal
  process.exitCode = code;
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
}

await main(process.argv.slice(2));
