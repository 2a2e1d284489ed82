/**
 * `samsa leader-election`: Kafka's kafka-leader-election.sh (LeaderElectionCommand). Runs
 * preferred or unclean elections for one partition, the partitions of a JSON file, or every
 * partition, with Kafka's flags, checks, output lines and exit codes; `--json` for scripts.
 */
import { readFile } from 'node:fs/promises';
import { ErrorCode, KafkaError, RequestTimeoutError, type ElectionType, type PartitionElection } from '../client/index.js';
import { bool, int, str, UsageError, writeOut, type Io, type ParsedFlags, type ToolSpec } from './common.js';
import { COMMAND_CONFIG_FLAG, runAdminTool } from './client-config.js';
import { javaExceptionName } from './java-exceptions.js';

const JSON_EXAMPLE = '{"partitions":[{"topic":"foo","partition":1},{"topic":"foobar","partition":2}]}';

export const spec: ToolSpec = {
  name: 'leader-election',
  summary: 'Elect new leaders for partitions: the preferred replica (preferred), or any live replica where none is live in the ISR (unclean).',
  usage: 'samsa leader-election --bootstrap-server <host:port> --election-type preferred|unclean (--topic <topic> --partition <n> | --all-topic-partitions | --path-to-json-file <file>)',
  flags: {
    'bootstrap-server': { type: 'string', value: 'host:port', help: 'The broker(s) to connect to, comma-separated. Required.' },
    ...COMMAND_CONFIG_FLAG,
    'admin.config': { type: 'string', value: 'file', help: 'The same as --command-config, under its older name in Kafka.' },
    'election-type': {
      type: 'string',
      value: 'preferred|unclean',
      help: 'preferred: elect the first replica where it is not the leader; unclean: elect a replica out of the ISR where no leader is live. Required.',
    },
    topic: { type: 'string', value: 'topic', help: 'The topic of the one partition to elect; needs --partition.' },
    partition: { type: 'string', value: 'n', help: 'With --topic: the partition.' },
    'all-topic-partitions': { type: 'boolean', help: 'Elect every partition that needs it.' },
    'path-to-json-file': { type: 'string', value: 'file', help: `The partitions to elect, as in ${JSON_EXAMPLE}.` },
    json: { type: 'boolean', help: 'Print the outcome as one JSON object instead of Kafka’s lines.' },
  },
};

const SELECTORS = ['topic', 'all-topic-partitions', 'path-to-json-file'] as const;
const EXAMPLE = `as in 'samsa leader-election --bootstrap-server localhost:9092 --election-type preferred --all-topic-partitions'`;

type Target = { topic: string; partition: number };

function electionType(values: ParsedFlags): ElectionType | undefined {
  const text = str(values, 'election-type');
  if (text === undefined) return undefined;
  const upper = text.toUpperCase();
  if (upper !== 'PREFERRED' && upper !== 'UNCLEAN') throw new UsageError(`--election-type must be preferred or unclean (in any case), not '${text}'.`);
  return upper;
}

/** Kafka's checks, in Kafka's order and with its sentences, each followed by what to do. */
function validate(values: ParsedFlags): void {
  const missing = ['bootstrap-server', 'election-type'].filter((f) => str(values, f) === undefined);
  if (missing.length > 0) throw new UsageError(`Missing required option(s): ${missing.join(', ')}. Give --${missing.join(' and --')}, ${EXAMPLE}.`);
  if (SELECTORS.filter((f) => values[f] !== undefined).length !== 1)
    throw new UsageError(`One and only one of the following options is required: ${SELECTORS.join(', ')}. Give --topic with --partition for one partition, --all-topic-partitions for all, or --path-to-json-file for a list.`);
  if (str(values, 'topic') !== undefined && str(values, 'partition') === undefined)
    throw new UsageError(`Missing required option(s): partition. --topic needs --partition, as in '--topic ${str(values, 'topic')} --partition 0'.`);
  if (str(values, 'topic') === undefined && str(values, 'partition') !== undefined)
    throw new UsageError('Option partition is only allowed if topic is used. Give --topic with --partition.');
  if (str(values, 'command-config') !== undefined && str(values, 'admin.config') !== undefined)
    throw new UsageError('Give --command-config or --admin.config (its old name), not both.');
}

/** Kafka's election JSON: {"partitions":[{"topic":..,"partition":..}]}, with Kafka's sentences where it has them. */
export function parseElectionJson(text: string, file: string): Target[] {
  if (text.trim() === '') throw new UsageError(`Replica election data is empty: ${file} holds nothing; write the partitions as in ${JSON_EXAMPLE}.`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON (${(err as Error).message}); write the partitions as in ${JSON_EXAMPLE}.`);
  }
  const partitions = (doc as { partitions?: unknown } | null)?.partitions;
  if (partitions === undefined) throw new UsageError(`Replica election data is missing "partitions" field; write ${file} as in ${JSON_EXAMPLE}.`);
  if (!Array.isArray(partitions)) throw new UsageError(`"partitions" in ${file} must be an array, as in ${JSON_EXAMPLE}.`);
  const targets = partitions.map((p: { topic?: unknown; partition?: unknown } | null, i) => {
    if (typeof p?.topic !== 'string' || !Number.isInteger(p.partition) || (p.partition as number) < 0)
      throw new UsageError(`Entry ${i} of "partitions" in ${file} needs "topic" (a string) and "partition" (a whole number), as in {"topic":"foo","partition":1}.`);
    return { topic: p.topic, partition: p.partition as number };
  });
  const names = targets.map((t) => `${t.topic}-${t.partition}`);
  const duplicates = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
  if (duplicates.length > 0) throw new UsageError(`Replica election data contains duplicate partitions: [${duplicates.join(', ')}]. Name each partition once.`);
  return targets;
}

async function targetsFrom(values: ParsedFlags): Promise<Target[] | null> {
  const file = str(values, 'path-to-json-file');
  if (file !== undefined) return parseElectionJson(await readFile(file, 'utf8'), file);
  const topic = str(values, 'topic');
  if (topic !== undefined) return [{ topic, partition: int(values, 'partition', { min: 0 })! }];
  return null; // --all-topic-partitions
}

const name = (r: PartitionElection): string => `${r.topic}-${r.partition}`;

/** Kafka's three kinds of line; the exit code is 1 when any partition failed. */
async function report(results: PartitionElection[], type: ElectionType, json: boolean, io: Io): Promise<number> {
  const succeeded = results.filter((r) => r.error === null);
  const notNeeded = results.filter((r) => r.error?.code === ErrorCode.ELECTION_NOT_NEEDED);
  const failed = results.filter((r) => r.error !== null && r.error.code !== ErrorCode.ELECTION_NOT_NEEDED);
  if (json) {
    const tp = (r: PartitionElection): Target => ({ topic: r.topic, partition: r.partition });
    const doc = {
      electionType: type,
      succeeded: succeeded.map(tp),
      notNeeded: notNeeded.map(tp),
      failed: failed.map((r) => ({ ...tp(r), error: r.error!.codeName, message: r.error!.message })),
    };
    await writeOut(io.stdout, `${JSON.stringify(doc)}\n`);
  } else {
    const lines: string[] = [];
    if (succeeded.length > 0) lines.push(`Successfully completed leader election (${type}) for partitions ${succeeded.map(name).join(', ')}`);
    if (notNeeded.length > 0) lines.push(`Valid replica already elected for partitions ${notNeeded.map(name).join(', ')}`);
    for (const r of failed) lines.push(`Error completing leader election (${type}) for partition: ${name(r)}: ${javaExceptionName(r.error!.code)}: ${r.error!.message}`);
    if (lines.length > 0) await writeOut(io.stdout, `${lines.join('\n')}\n`);
  }
  if (failed.length === 0) return 0;
  io.stderr.write(`${failed.length} replica(s) could not be elected\n`);
  return 1;
}

/** Kafka prints these two failures of the whole call on stdout, and again as the error. */
function wholeCallFailure(err: unknown): string | null {
  if (err instanceof RequestTimeoutError || (err instanceof KafkaError && err.code === ErrorCode.REQUEST_TIMED_OUT)) return 'Timeout waiting for election results';
  if (err instanceof KafkaError && err.code === ErrorCode.CLUSTER_AUTHORIZATION_FAILED) return 'Not authorized to perform leader election';
  return null;
}

export async function run(argv: string[], io: Io): Promise<number> {
  return runAdminTool(spec, argv, io, async ({ values }, connect) => {
    const type = electionType(values);
    validate(values);
    const targets = await targetsFrom(values);
    if (values['admin.config'] !== undefined) values['command-config'] = values['admin.config'];
    let results: PartitionElection[];
    try {
      results = await connect().electLeaders(type!, targets);
    } catch (err) {
      const line = wholeCallFailure(err);
      if (line === null) throw err;
      io.stdout.write(`${line}\n`);
      io.stderr.write(`${line}\n`);
      return 1;
    }
    return report(results, type!, bool(values, 'json'), io);
  });
}
