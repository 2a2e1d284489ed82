/** `samsa get-offsets`: Kafka's kafka-get-offsets.sh — one `topic:partition:offset` line per partition. */
import { bool, str, UsageError, writeOut, type Io, type ToolSpec } from './common.js';
import { COMMAND_CONFIG_FLAG, runAdminTool } from './client-config.js';

export const spec: ToolSpec = {
  name: 'get-offsets',
  summary: 'Print the offsets of partitions at a time: latest, earliest, max timestamp, or the first at a time in ms.',
  usage: 'samsa get-offsets --bootstrap-server <host:port> [--topic <regex>] [--partitions 0,1] [--time -1|-2|-3|<ms>]',
  flags: {
    'bootstrap-server': { type: 'string', value: 'host:port', help: 'The broker(s) to connect to, comma-separated.' },
    ...COMMAND_CONFIG_FLAG,
    topic: { type: 'string', value: 'regex', help: 'Topics whose name matches this regular expression (all topics when omitted).' },
    partitions: { type: 'string', value: '0,1', help: 'Only these partitions (comma-separated ids).' },
    time: {
      type: 'string',
      value: 'time',
      help: '-1 or latest (default), -2 or earliest, -3 or max-timestamp, or a time in ms since the epoch.',
    },
    'exclude-internal-topics': { type: 'boolean', help: 'Leave out internal topics such as __consumer_offsets.' },
  },
};

const TIMES: Record<string, number> = { latest: -1, earliest: -2, 'max-timestamp': -3 };

function parseTime(text: string | undefined): number {
  if (text === undefined) return -1;
  const named = TIMES[text];
  if (named !== undefined) return named;
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < -3)
    throw new UsageError(`--time must be -1 (latest), -2 (earliest), -3 (max timestamp) or a time in ms since the epoch, not '${text}'.`);
  return n;
}

function parsePartitions(text: string | undefined): Set<number> | null {
  if (text === undefined) return null;
  const ids = text.split(',').map((s) => s.trim());
  if (ids.some((s) => !/^\d+$/.test(s))) throw new UsageError(`--partitions must be comma-separated partition ids, as in '--partitions 0,1', not '${text}'.`);
  return new Set(ids.map(Number));
}

export async function run(argv: string[], io: Io): Promise<number> {
  return runAdminTool(spec, argv, io, async ({ values }, connect) => {
    const time = parseTime(str(values, 'time'));
    const partitionIds = parsePartitions(str(values, 'partitions'));
    const topicText = str(values, 'topic');
    let pattern: RegExp | null = null;
    try {
      pattern = topicText === undefined ? null : new RegExp(`^(?:${topicText})$`);
    } catch {
      throw new UsageError(`--topic must be a topic name or a regular expression, not '${topicText}'.`);
    }
    const admin = connect();
    const topics = (await admin.describeTopics())
      .filter((t) => pattern === null || pattern.test(t.name))
      .filter((t) => !(bool(values, 'exclude-internal-topics') && t.isInternal));
    const wanted = topics.flatMap((t) => t.partitions.filter((p) => partitionIds === null || partitionIds.has(p.partition)).map((p) => ({ topic: t.name, partition: p.partition })));
    wanted.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    const lines = await Promise.all(
      wanted.map(async ({ topic, partition }) => {
        const { offset } = await admin.listOffsets(topic, partition, time);
        // Kafka leaves the offset empty when no record is at or after the time.
        return `${topic}:${partition}:${offset < 0 ? '' : offset}\n`;
      }),
    );
    await writeOut(io.stdout, lines.join(''));
    return 0;
  });
}
