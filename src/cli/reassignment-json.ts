/**
 * The JSON files of kafka-reassign-partitions.sh, read and written as Kafka's tool does:
 *   reassignment: {"version":1,"partitions":[{"topic":"foo","partition":0,"replicas":[1,2],"log_dirs":["any","any"]}]}
 *   topics to move: {"version":1,"topics":[{"topic":"foo"}]}
 * Every way a file can be wrong gets a sentence naming the file and what to write instead.
 */
import { UsageError } from './common.js';

export interface Assignment {
  topic: string;
  partition: number;
  replicas: number[];
  /** "any" or a directory per replica, when the file gives them. */
  logDirs?: string[];
}

const PARTITIONS_EXAMPLE = '{"version":1,"partitions":[{"topic":"foo","partition":0,"replicas":[1,2,3]}]}';
const TOPICS_EXAMPLE = '{"version":1,"topics":[{"topic":"foo"}]}';

function parse(text: string, file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new UsageError(`${file} must hold a JSON object.`);
  const version = (doc as { version?: unknown }).version;
  if (version !== undefined && version !== 1) throw new UsageError(`Not supported version field value ${JSON.stringify(version)} in ${file}: only version 1 exists.`);
  return doc as Record<string, unknown>;
}

/** The partitions of a reassignment file; --execute also refuses empty and repeated entries, as Kafka's does. */
export function parseReassignmentJson(text: string, file: string, opts: { forExecute: boolean }): Assignment[] {
  const doc = parse(text, file);
  const partitions = doc['partitions'];
  if (!Array.isArray(partitions)) throw new UsageError(`${file} needs a "partitions" array, as in ${PARTITIONS_EXAMPLE}.`);
  const result = partitions.map((p: Record<string, unknown> | null, i): Assignment => {
    const replicas = p?.['replicas'];
    if (typeof p?.['topic'] !== 'string' || !Number.isInteger(p['partition']) || (p['partition'] as number) < 0 || !Array.isArray(replicas) || !replicas.every((r) => Number.isInteger(r) && r >= 0))
      throw new UsageError(`Entry ${i} of "partitions" in ${file} needs "topic" (a string), "partition" (a whole number) and "replicas" (broker ids), as in ${PARTITIONS_EXAMPLE}.`);
    const a: Assignment = { topic: p['topic'], partition: p['partition'] as number, replicas: replicas as number[] };
    const dirs = p['log_dirs'];
    if (dirs !== undefined) {
      if (!Array.isArray(dirs) || !dirs.every((d) => typeof d === 'string')) throw new UsageError(`"log_dirs" of entry ${i} in ${file} must be a list of strings ("any" or a directory).`);
      if (dirs.length !== replicas.length)
        throw new UsageError(`Size of replicas list [${replicas.join(', ')}] is different from size of log dirs list [${dirs.join(', ')}] for partition ${a.topic}-${a.partition}`);
      a.logDirs = dirs as string[];
    }
    return a;
  });
  if (!opts.forExecute) return result;
  if (result.length === 0) throw new UsageError('Partition reassignment list cannot be empty');
  if (result.some((a) => a.replicas.length === 0)) throw new UsageError('Partition replica list cannot be empty');
  const keys = result.map((a) => `${a.topic}-${a.partition}`);
  const dupParts = [...new Set(keys.filter((k, i) => keys.indexOf(k) !== i))];
  if (dupParts.length > 0) throw new UsageError(`Partition reassignment contains duplicate topic partitions: ${dupParts.join(',')}`);
  const dupReplicas = result
    .map((a) => ({ a, dups: [...new Set(a.replicas.filter((r, i) => a.replicas.indexOf(r) !== i))] }))
    .filter((x) => x.dups.length > 0)
    .map((x) => `${x.a.topic}-${x.a.partition} contains multiple entries for ${x.dups.join(',')}`);
  if (dupReplicas.length > 0) throw new UsageError(`Partition replica lists may not contain duplicate entries: ${dupReplicas.join('. ')}`);
  return result;
}

/** The topic names of a topics-to-move file, each once. */
export function parseTopicsToMove(text: string, file: string): string[] {
  const doc = parse(text, file);
  const topics = doc['topics'];
  if (!Array.isArray(topics) || topics.length === 0) throw new UsageError(`${file} needs a "topics" array, as in ${TOPICS_EXAMPLE}.`);
  const names = topics.map((t: Record<string, unknown> | null, i) => {
    if (typeof t?.['topic'] !== 'string') throw new UsageError(`Entry ${i} of "topics" in ${file} needs "topic" (a string), as in ${TOPICS_EXAMPLE}.`);
    return t['topic'];
  });
  const dups = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
  if (dups.length > 0) throw new UsageError(`List of topics to reassign contains duplicate entries: ${dups.join(', ')}`);
  return names;
}

/** Kafka's reassignment JSON for these assignments, sorted by topic and partition, log dirs "any". */
export function reassignmentJson(assignments: readonly Assignment[]): string {
  const sorted = [...assignments].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  return JSON.stringify({
    version: 1,
    partitions: sorted.map((a) => ({ topic: a.topic, partition: a.partition, replicas: a.replicas, log_dirs: a.replicas.map(() => 'any') })),
  });
}
