/** `samsa topics`: Kafka's kafka-topics.sh for create, list, describe, alter (partitions) and delete. */
import type { Admin, TopicInfo } from '../client/index.js';
import { ErrorCode, KafkaError } from '../client/index.js';
import { CONFIG_SOURCE_DEFAULT } from '../client/admin.js';
import { bool, int, keyValues, list, str, UsageError, writeOut, type Io, type ToolSpec } from './common.js';
import { COMMAND_CONFIG_FLAG, runAdminTool } from './client-config.js';

/** Kafka prints an all-zero topic id as no id at all. */
const ZERO_TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

export const spec: ToolSpec = {
  name: 'topics',
  summary: 'Create, list, describe and delete topics.',
  usage: 'samsa topics --bootstrap-server <host:port> (--create | --list | --describe | --alter | --delete) [options]',
  flags: {
    'bootstrap-server': { type: 'string', value: 'host:port', help: 'The broker(s) to connect to, comma-separated.' },
    ...COMMAND_CONFIG_FLAG,
    create: { type: 'boolean', help: 'Create a topic (needs --topic).' },
    list: { type: 'boolean', help: 'List topic names.' },
    describe: { type: 'boolean', help: 'Describe partitions, leaders, replicas and ISR (all topics without --topic).' },
    delete: { type: 'boolean', help: 'Delete a topic (needs --topic).' },
    alter: { type: 'boolean', help: 'Add partitions to a topic (needs --topic and --partitions).' },
    topic: { type: 'string', value: 'name', help: 'The topic to create, describe or delete.' },
    partitions: { type: 'string', value: 'n', help: "Partitions for --create (default: the broker's num.partitions), or the new count for --alter." },
    'replication-factor': { type: 'string', value: 'n', help: "Replicas per partition for --create (default: the broker's default)." },
    'replica-assignment': { type: 'string', value: 'b:b,b:b', help: 'With --create: the brokers of each partition, partitions separated by commas, replicas by colons (e.g. 1,1 or 1:2,2:3).' },
    config: { type: 'string', multiple: true, value: 'key=value', help: 'A topic config for --create, e.g. retention.ms=60000.' },
    'if-not-exists': { type: 'boolean', help: 'With --create: do nothing if the topic exists.' },
    'if-exists': { type: 'boolean', help: 'With --delete or --describe: do nothing if the topic does not exist.' },
    'exclude-internal': { type: 'boolean', help: 'With --list or --describe: leave out internal topics.' },
    json: { type: 'boolean', help: 'With --list or --describe: print JSON instead of text.' },
    'under-replicated-partitions': { type: 'boolean', help: 'With --describe: only partitions whose ISR is smaller than their replica set.' },
    'under-min-isr-partitions': { type: 'boolean', help: 'With --describe: only partitions whose ISR is below min.insync.replicas.' },
    'at-min-isr-partitions': { type: 'boolean', help: 'With --describe: only partitions whose ISR is exactly min.insync.replicas.' },
    'unavailable-partitions': { type: 'boolean', help: 'With --describe: only partitions without a live leader.' },
  },
};

/** kafka-topics.sh --describe's partition filters: with one, only matching partition lines are printed. */
const PARTITION_FILTERS = ['under-replicated-partitions', 'under-min-isr-partitions', 'at-min-isr-partitions', 'unavailable-partitions'] as const;
type PartitionFilter = (typeof PARTITION_FILTERS)[number];

const ACTIONS = ['create', 'list', 'describe', 'alter', 'delete'] as const;
type Action = (typeof ACTIONS)[number];

export async function run(argv: string[], io: Io): Promise<number> {
  return runAdminTool(spec, argv, io, async ({ values }, connect) => {
    const chosen = ACTIONS.filter((a) => bool(values, a));
    if (chosen.length !== 1) {
      throw new UsageError(`Give exactly one of --create, --list, --describe, --alter or --delete. Run 'samsa topics --help' for details.`);
    }
    const action: Action = chosen[0]!;
    const topic = str(values, 'topic');
    if ((action === 'create' || action === 'delete' || action === 'alter') && topic === undefined) {
      throw new UsageError(`--${action} needs --topic, as in 'samsa topics --${action} --topic my-topic --bootstrap-server localhost:9092'.`);
    }
    const partitions = int(values, 'partitions', { min: 1 });
    const replicationFactor = int(values, 'replication-factor', { min: 1 });
    const configs = keyValues(list(values, 'config'), 'config');
    const replicaAssignment = parseReplicaAssignment(str(values, 'replica-assignment'));
    if (replicaAssignment !== undefined && (partitions !== undefined || replicationFactor !== undefined))
      throw new UsageError('--replica-assignment gives the partitions and their replicas: leave out --partitions and --replication-factor.');
    const filter = PARTITION_FILTERS.find((f) => bool(values, f));
    if (filter !== undefined && action !== 'describe') throw new UsageError(`--${filter} works only with --describe.`);
    const admin = connect();
    switch (action) {
      case 'create':
        await create(admin, io, { topic: topic!, partitions, replicationFactor, replicaAssignment, configs, ifNotExists: bool(values, 'if-not-exists') });
        break;
      case 'list': {
        const names = await admin.listTopics({ includeInternal: !bool(values, 'exclude-internal') });
        await writeOut(io.stdout, bool(values, 'json') ? `${JSON.stringify(names)}\n` : names.map((n) => `${n}\n`).join(''));
        break;
      }
      case 'describe':
        await describe(admin, io, {
          topic, json: bool(values, 'json'), ifExists: bool(values, 'if-exists'), excludeInternal: bool(values, 'exclude-internal'),
          filters: PARTITION_FILTERS.filter((f) => bool(values, f)),
        });
        break;
      case 'delete':
        await remove(admin, { topic: topic!, ifExists: bool(values, 'if-exists') });
        break;
      case 'alter':
        if (partitions === undefined) throw new UsageError(`--alter needs --partitions, the new partition count, as in '--alter --topic ${topic} --partitions 6'.`);
        await admin.createPartitions(topic!, partitions);
        break;
    }
    return 0;
  });
}

async function create(
  admin: Admin,
  io: Io,
  o: { topic: string; partitions?: number; replicationFactor?: number; replicaAssignment?: number[][]; configs: Map<string, string>; ifNotExists: boolean },
): Promise<void> {
  try {
    await admin.createTopics([
      { topic: o.topic, numPartitions: o.partitions, replicationFactor: o.replicationFactor, replicaAssignment: o.replicaAssignment, configs: Object.fromEntries(o.configs) },
    ]);
  } catch (err) {
    if (o.ifNotExists && err instanceof KafkaError && err.code === ErrorCode.TOPIC_ALREADY_EXISTS) return;
    throw err;
  }
  io.stdout.write(`Created topic ${o.topic}.\n`);
}

/** Kafka's --replica-assignment: `1:2,2:3` is partition 0 on brokers 1 and 2, partition 1 on 2 and 3. */
export function parseReplicaAssignment(text: string | undefined): number[][] | undefined {
  if (text === undefined) return undefined;
  return text.split(',').map((part) => {
    const ids = part.split(':').map((s) => s.trim());
    if (ids.some((id) => !/^\d+$/.test(id)))
      throw new UsageError(`--replica-assignment: '${part}' is not a list of broker ids separated by colons, as in --replica-assignment 1:2,2:3.`);
    return ids.map(Number);
  });
}

async function remove(admin: Admin, o: { topic: string; ifExists: boolean }): Promise<void> {
  try {
    await admin.deleteTopics([o.topic]);
  } catch (err) {
    if (err instanceof KafkaError && err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
      if (o.ifExists) return;
      throw new KafkaError(err.code, `Topic '${o.topic}' does not exist as expected.`);
    }
    throw err;
  }
}

interface TopicDescription {
  name: string;
  topicId: string | null;
  partitionCount: number;
  replicationFactor: number;
  configs: Record<string, string | null>;
  partitions: Array<{ partition: number; leader: number; replicas: number[]; isr: number[] }>;
}

/** Kafka's TopicCommand rules for the partition filters. */
function partitionMatches(f: PartitionFilter, p: { leader: number; replicas: number[]; isr: number[] }, minIsr: number, live: ReadonlySet<number>): boolean {
  switch (f) {
    case 'under-replicated-partitions':
      return p.isr.length < p.replicas.length;
    case 'under-min-isr-partitions':
      return p.isr.length < minIsr;
    case 'at-min-isr-partitions':
      return p.isr.length === minIsr;
    case 'unavailable-partitions':
      return p.leader < 0 || !live.has(p.leader);
  }
}

async function describe(admin: Admin, io: Io, o: { topic?: string; json: boolean; ifExists: boolean; excludeInternal: boolean; filters: PartitionFilter[] }): Promise<void> {
  let topics: TopicInfo[];
  try {
    topics = await admin.describeTopics(o.topic === undefined ? undefined : [o.topic]);
  } catch (err) {
    if (o.topic !== undefined && err instanceof KafkaError && err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
      if (o.ifExists) return;
      throw new KafkaError(err.code, `Topic '${o.topic}' does not exist as expected.`);
    }
    throw err;
  }
  if (o.excludeInternal) topics = topics.filter((t) => !t.isInternal);
  const configs = await admin.describeTopicConfigs(topics.map((t) => t.name));
  const described: TopicDescription[] = topics.map((t) => ({
    name: t.name,
    topicId: t.topicId === ZERO_TOPIC_ID ? null : t.topicId,
    partitionCount: t.partitions.length,
    // Kafka reports the replica count of the first partition.
    replicationFactor: t.partitions[0]?.replicas.length ?? 0,
    // Only what differs from Kafka's defaults, as kafka-topics.sh shows it.
    configs: Object.fromEntries((configs.get(t.name) ?? []).filter((c) => c.source !== CONFIG_SOURCE_DEFAULT).map((c) => [c.name, c.value])),
    partitions: t.partitions.map((p) => ({ partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr })),
  }));
  if (o.filters.length > 0) {
    const live = new Set((await admin.describeCluster()).brokers.map((b) => b.nodeId));
    for (const t of described) {
      const minIsr = Number((configs.get(t.name) ?? []).find((c) => c.name === 'min.insync.replicas')?.value ?? 1);
      t.partitions = t.partitions.filter((p) => o.filters.some((f) => partitionMatches(f, p, minIsr, live)));
    }
    const matching = described.filter((t) => t.partitions.length > 0);
    await writeOut(io.stdout, o.json ? `${JSON.stringify(matching, null, 2)}\n` : matching.map((t) => formatDescription(t).split('\n').slice(1).join('\n')).join(''));
    return;
  }
  await writeOut(io.stdout, o.json ? `${JSON.stringify(described, null, 2)}\n` : described.map(formatDescription).join(''));
}

/** Kafka's layout: a tab-separated topic line, then one indented line per partition. */
export function formatDescription(t: TopicDescription): string {
  const configText = Object.entries(t.configs)
    .map(([k, v]) => `${k}=${v ?? ''}`)
    .join(',');
  const idText = t.topicId === null ? '' : `\tTopicId: ${t.topicId}`;
  let out = `Topic: ${t.name}${idText}\tPartitionCount: ${t.partitionCount}\tReplicationFactor: ${t.replicationFactor}\tConfigs: ${configText}\n`;
  for (const p of t.partitions) {
    const leader = p.leader < 0 ? 'none' : String(p.leader);
    out += `\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}\n`;
  }
  return out;
}
