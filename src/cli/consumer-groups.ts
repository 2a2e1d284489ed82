/**
 * `samsa consumer-groups`: Kafka's kafka-consumer-groups.sh — list, describe (offsets and lag,
 * members, state), delete groups, and reset a group's offsets. Tables use Kafka's columns and
 * widths; `--json` prints the same facts for scripts.
 */
import { ErrorCode, type Admin, type OffsetResetSpec } from '../client/index.js';
import { bool, int, list, str, UsageError, writeOut, type Io, type ParsedFlags, type ToolSpec } from './common.js';
import { COMMAND_CONFIG_FLAG, runAdminTool } from './client-config.js';
import { describeMembers, describeOffsets, describeState, formatRow, NAME_WIDTH_MIN } from './consumer-groups-describe.js';

/** Groups that only hold committed offsets have protocol type ''; both count as consumer groups. */
const CONSUMER_PROTOCOL_TYPES = new Set(['consumer', '']);

export const spec: ToolSpec = {
  name: 'consumer-groups',
  summary: 'List, describe and delete consumer groups, and reset their offsets.',
  usage: 'samsa consumer-groups --bootstrap-server <host:port> (--list | --describe | --delete | --reset-offsets) [options]',
  flags: {
    'bootstrap-server': { type: 'string', value: 'host:port', help: 'The broker(s) to connect to, comma-separated.' },
    ...COMMAND_CONFIG_FLAG,
    list: { type: 'boolean', help: 'List consumer groups.' },
    describe: { type: 'boolean', help: 'Describe groups: offsets and lag per partition (or --members, --state).' },
    delete: { type: 'boolean', help: 'Delete groups that have no active members.' },
    'reset-offsets': { type: 'boolean', help: 'Reset the offsets of an inactive group (needs a scope, a scenario and --execute).' },
    group: { type: 'string', multiple: true, value: 'id', help: 'The group to describe, delete or reset.' },
    'all-groups': { type: 'boolean', help: 'With --describe, --delete or --reset-offsets: every group.' },
    members: { type: 'boolean', help: 'With --describe: one line per member.' },
    state: { type: 'boolean', help: "With --describe: the group's coordinator, assignor, state and size. With --list: show states." },
    offsets: { type: 'boolean', help: 'With --describe: offsets and lag (the default).' },
    verbose: { type: 'boolean', help: "With --describe: Kafka 4's extra columns (leader epochs; member epochs and target assignments; group epochs)." },
    topic: { type: 'string', multiple: true, value: 'topic[:p,...]', help: 'With --reset-offsets: a topic, optionally with partitions (orders:0,2).' },
    'all-topics': { type: 'boolean', help: 'With --reset-offsets: every topic the group has offsets for.' },
    'to-earliest': { type: 'boolean', help: 'Reset to the earliest offset.' },
    'to-latest': { type: 'boolean', help: 'Reset to the log end.' },
    'to-offset': { type: 'string', value: 'n', help: 'Reset to this offset (kept within the log).' },
    'to-datetime': { type: 'string', value: 'YYYY-MM-DDTHH:mm:SS.sss', help: 'Reset to the first offset at or after this time (local time unless it ends in Z or ±hh:mm).' },
    'shift-by': { type: 'string', value: 'n', help: 'Move the committed offsets by n (negative goes back).' },
    'dry-run': { type: 'boolean', help: 'Show the new offsets without changing anything (the default).' },
    execute: { type: 'boolean', help: 'Commit the new offsets.' },
    json: { type: 'boolean', help: 'Print JSON instead of tables.' },
  },
};

const ACTIONS = ['list', 'describe', 'delete', 'reset-offsets'] as const;
type Action = (typeof ACTIONS)[number];
const SCENARIOS = ['to-earliest', 'to-latest', 'to-offset', 'to-datetime', 'shift-by'] as const;

export async function run(argv: string[], io: Io): Promise<number> {
  return runAdminTool(spec, argv, io, async ({ values }, connect) => {
    const action = chooseAction(values);
    checkFlags(action, values);
    const admin = connect();
    const json = bool(values, 'json');
    if (action === 'list') return await listGroups(admin, io, { withState: bool(values, 'state'), json });
    const groups = bool(values, 'all-groups') ? (await consumerGroups(admin)).map((g) => g.groupId) : list(values, 'group');
    switch (action) {
      case 'describe': {
        const o = { json, verbose: bool(values, 'verbose') };
        if (bool(values, 'members')) return await describeMembers(admin, io, groups, o);
        if (bool(values, 'state')) return await describeState(admin, io, groups, o);
        return await describeOffsets(admin, io, groups, o);
      }
      case 'delete':
        return await deleteGroups(admin, io, groups, json);
      case 'reset-offsets':
        return await resetOffsets(admin, io, groups, values, json);
    }
    return 0;
  });
}

function chooseAction(values: ParsedFlags): Action {
  const chosen = ACTIONS.filter((a) => bool(values, a));
  if (chosen.length !== 1) throw new UsageError('Command must include exactly one action: --list, --describe, --delete, --reset-offsets.');
  return chosen[0]!;
}

/** Flag combinations Kafka's tool refuses, each with one sentence. */
function checkFlags(action: Action, values: ParsedFlags): void {
  const has = (name: string): boolean => values[name] !== undefined && values[name] !== false;
  const groups = list(values, 'group');
  if (action !== 'list' && groups.length === 0 && !has('all-groups')) {
    throw new UsageError(`--${action} needs --group (or --all-groups), as in 'samsa consumer-groups --${action} --group my-group --bootstrap-server localhost:9092'.`);
  }
  if (groups.length > 0 && has('all-groups')) throw new UsageError('--group and --all-groups cannot be given together; use one of them.');
  if (action === 'list' && groups.length > 0) throw new UsageError('--list lists every group and takes no --group; use --describe --group to look at one.');
  const describeOnly = ['members', 'offsets', 'verbose'].filter(has);
  if (action !== 'describe' && describeOnly.length > 0) throw new UsageError(`--${describeOnly[0]} only works with --describe.`);
  if (has('state') && action !== 'describe' && action !== 'list') throw new UsageError('--state only works with --describe or --list.');
  if (action === 'describe' && ['members', 'state', 'offsets'].filter(has).length > 1) {
    throw new UsageError('--members, --state and --offsets each pick what --describe shows; give at most one of them.');
  }
  const resetOnly = [...SCENARIOS, 'all-topics', 'topic', 'dry-run', 'execute'].filter(has);
  if (action !== 'reset-offsets') {
    if (resetOnly.length > 0) throw new UsageError(`--${resetOnly[0]} only works with --reset-offsets.`);
    return;
  }
  const scenarios = SCENARIOS.filter(has);
  if (scenarios.length === 0) throw new UsageError(`--reset-offsets needs one of ${SCENARIOS.map((s) => `--${s}`).join(', ')}.`);
  if (scenarios.length > 1) throw new UsageError(`Give only one of ${scenarios.map((s) => `--${s}`).join(', ')}: each says where to reset to.`);
  if (!has('topic') && !has('all-topics')) throw new UsageError('One of the reset scopes should be defined: --all-topics, --topic.');
  if (has('topic') && has('all-topics')) throw new UsageError('--topic and --all-topics cannot be given together; use one of them.');
  if (has('dry-run') && has('execute')) throw new UsageError('--dry-run and --execute cannot be given together: one shows the new offsets, the other commits them.');
}

async function consumerGroups(admin: Admin): Promise<Array<{ groupId: string; state: string }>> {
  return (await admin.listGroups()).filter((g) => CONSUMER_PROTOCOL_TYPES.has(g.protocolType));
}

async function listGroups(admin: Admin, io: Io, o: { withState: boolean; json: boolean }): Promise<number> {
  const groups = await consumerGroups(admin);
  if (o.json) {
    await writeOut(io.stdout, `${JSON.stringify(o.withState ? groups.map((g) => ({ group: g.groupId, state: g.state })) : groups.map((g) => g.groupId))}\n`);
  } else if (o.withState) {
    const width = Math.max(NAME_WIDTH_MIN, ...groups.map((g) => g.groupId.length)) + 10;
    const rows = [['GROUP', 'STATE'], ...groups.map((g) => [g.groupId, g.state])];
    await writeOut(io.stdout, rows.map(([g, s]) => `${g!.padEnd(width)} ${s!.padEnd(20)}\n`).join(''));
  } else {
    await writeOut(io.stdout, groups.map((g) => `${g.groupId}\n`).join(''));
  }
  return 0;
}

/** Kafka's exception names and messages for the errors DeleteGroups gives, as its tool prints them. */
const JAVA_EXCEPTIONS = new Map<number, string>([
  [ErrorCode.NON_EMPTY_GROUP, 'org.apache.kafka.common.errors.GroupNotEmptyException: The group is not empty.'],
  [ErrorCode.GROUP_ID_NOT_FOUND, 'org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist.'],
  [ErrorCode.GROUP_AUTHORIZATION_FAILED, 'org.apache.kafka.common.errors.GroupAuthorizationException: Group authorization failed.'],
  [ErrorCode.INVALID_GROUP_ID, 'org.apache.kafka.common.errors.InvalidGroupIdException: The configured groupId is invalid.'],
]);

async function deleteGroups(admin: Admin, io: Io, groups: string[], json: boolean): Promise<number> {
  const results = await admin.deleteGroups(groups);
  const failed = results.filter((r) => r.error !== null);
  const deleted = results.filter((r) => r.error === null).map((r) => `'${r.groupId}'`);
  if (json) {
    const rows = results.map((r) => ({ group: r.groupId, deleted: r.error === null, error: r.error === null ? null : r.error.message }));
    await writeOut(io.stdout, `${JSON.stringify(rows, null, 2)}\n`);
  } else if (failed.length === 0) {
    await writeOut(io.stdout, `Deletion of requested consumer groups (${deleted.join(', ')}) was successful.\n`);
  } else {
    const lines = ['Error: Deletion of some consumer groups failed:'];
    for (const r of failed) lines.push(`* Group '${r.groupId}' could not be deleted due to: ${JAVA_EXCEPTIONS.get(r.error!.code) ?? r.error!.message}`);
    if (deleted.length > 0) lines.push('', `These consumer groups were deleted successfully: ${deleted.join(', ')}`);
    await writeOut(io.stderr, `${lines.join('\n')}\n`);
  }
  return failed.length === 0 ? 0 : 1;
}

async function resetOffsets(admin: Admin, io: Io, groups: string[], values: ParsedFlags, json: boolean): Promise<number> {
  const resetSpec = scenario(values);
  const topicScope = list(values, 'topic').map(parseTopicScope);
  const execute = bool(values, 'execute');
  if (!execute && !bool(values, 'dry-run')) {
    await writeOut(io.stderr, 'WARN: No action will be performed as the --execute option is missing; add --dry-run to say that this is what you want.\n');
  }
  const result: Array<{ group: string; topic: string; partition: number; newOffset: number }> = [];
  for (const group of groups) {
    const topics = bool(values, 'all-topics') ? [...new Set((await admin.fetchOffsets(group)).map((o) => o.topic))].map((topic) => ({ topic })) : topicScope;
    const offsets = await admin.resetOffsets(group, { topics, spec: resetSpec, dryRun: !execute });
    for (const o of offsets) result.push({ group, topic: o.topic, partition: o.partition, newOffset: o.offset });
  }
  if (json) {
    await writeOut(io.stdout, `${JSON.stringify(result, null, 2)}\n`);
    return 0;
  }
  if (result.length === 0) return 0;
  const widths = [Math.max(NAME_WIDTH_MIN, ...result.map((r) => r.group.length)), Math.max(NAME_WIDTH_MIN, ...result.map((r) => r.topic.length)), 10];
  const cells = [['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], ...result.map((r) => [r.group, r.topic, String(r.partition), String(r.newOffset)])];
  await writeOut(io.stdout, `\n${cells.map((c) => formatRow(c, widths)).join('\n')}\n`);
  return 0;
}

function scenario(values: ParsedFlags): OffsetResetSpec {
  if (bool(values, 'to-earliest')) return { to: 'earliest' };
  if (bool(values, 'to-latest')) return { to: 'latest' };
  const offset = int(values, 'to-offset', { min: 0 });
  if (offset !== undefined) return { to: 'offset', offset };
  const by = int(values, 'shift-by');
  if (by !== undefined) return { to: 'shift', by };
  return { to: 'datetime', timestamp: parseDateTime(str(values, 'to-datetime')!) };
}

/** Kafka's --to-datetime format: local time unless a zone (Z, +hh:mm, -hhmm) is given. */
export function parseDateTime(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (m === null) {
    throw new UsageError(`--to-datetime must look like 2024-01-31T13:45:00.000 (optionally ending in Z or +01:00), not '${text}'.`);
  }
  const [, y, mo, d, h, mi, s, ms = '0', zone] = m;
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms.padEnd(3, '0'))] as const;
  let time: number;
  if (zone === undefined) time = new Date(...fields).getTime();
  else {
    time = Date.UTC(...fields);
    if (zone !== 'Z') {
      const sign = zone.startsWith('-') ? -1 : 1;
      const digits = zone.slice(1).replace(':', '');
      time -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
    }
  }
  const check = new Date(time);
  if (Number.isNaN(time) || (zone === undefined && check.getDate() !== fields[2])) {
    throw new UsageError(`--to-datetime '${text}' is not a real date and time.`);
  }
  return time;
}

/** "orders" (every partition) or "orders:0,2". */
export function parseTopicScope(text: string): { topic: string; partitions?: number[] } {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { topic: text };
  const topic = text.slice(0, colon);
  const partitions = text
    .slice(colon + 1)
    .split(',')
    .map((p) => {
      const n = Number(p);
      if (p.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`Invalid partition '${p}' in --topic '${text}'; use topic:0,1,2.`);
      return n;
    });
  if (topic === '') throw new UsageError(`--topic '${text}' has no topic name before the ':'.`);
  return { topic, partitions };
}
