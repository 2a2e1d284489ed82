/**
 * `samsa consumer-groups`: Kafka's kafka-consumer-groups.sh — list, describe (offsets and lag,
 * members, state), delete groups, and reset a group's offsets. Tables use Kafka's columns and
 * widths; `--json` prints the same facts for scripts.
 */
import { ErrorCode, type Admin, type GroupDescription, type GroupOffset, type OffsetResetSpec } from '../client/index.js';
import { bool, int, list, str, UsageError, writeOut, type Io, type ParsedFlags, type ToolSpec } from './common.js';
import { COMMAND_CONFIG_FLAG, runAdminTool } from './client-config.js';

/** Kafka's placeholder for a column with no value. */
const MISSING = '-';
/** Kafka's minimum column width for names. */
const NAME_WIDTH_MIN = 15;
/** Groups that only hold committed offsets have protocol type ''; both count as consumer groups. */
const CONSUMER_PROTOCOL_TYPES = new Set(['consumer', '']);
const REBALANCING_STATES = new Set(['PreparingRebalance', 'CompletingRebalance', 'Assigning', 'Reconciling']);

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
      case 'describe':
        if (bool(values, 'members')) return await describeMembers(admin, io, groups, json);
        if (bool(values, 'state')) return await describeState(admin, io, groups, json);
        return await describeOffsets(admin, io, groups, json);
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
  const describeOnly = ['members', 'offsets'].filter(has);
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

/**
 * Kafka's checks before printing a group: a missing group is an error, an empty or rebalancing
 * one gets a note on stderr. Returns false when there is nothing to print.
 */
async function announce(io: Io, g: GroupDescription, hasRows: boolean): Promise<boolean> {
  if (g.state === 'Dead') {
    await writeOut(io.stderr, `Error: Consumer group '${g.groupId}' does not exist.\n`);
    return false;
  }
  if (g.state === 'Empty') await writeOut(io.stderr, `\nConsumer group '${g.groupId}' has no active members.\n`);
  if (REBALANCING_STATES.has(g.state)) await writeOut(io.stderr, `\nWarning: Consumer group '${g.groupId}' is rebalancing.\n`);
  return hasRows;
}

interface OffsetRow {
  group: string;
  topic: string;
  partition: number;
  currentOffset: number | null;
  logEndOffset: number | null;
  lag: number | null;
  consumerId: string;
  host: string;
  clientId: string;
}

/** Kafka's rows: members with the most partitions first, then committed partitions no one holds. */
async function offsetRows(admin: Admin, g: GroupDescription, committed: GroupOffset[]): Promise<OffsetRow[]> {
  const committedBy = new Map(committed.map((o) => [`${o.topic}\u0000${o.partition}`, o.offset]));
  const assigned = new Set<string>();
  const wanted: Array<{ topic: string; partition: number; consumerId: string; host: string; clientId: string }> = [];
  const byTp = (a: { topic: string; partition: number }, b: { topic: string; partition: number }): number =>
    a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
  const members = g.members.filter((m) => m.assignment.length > 0).sort((a, b) => b.assignment.length - a.assignment.length);
  for (const m of members) {
    for (const tp of [...m.assignment].sort(byTp)) {
      assigned.add(`${tp.topic}\u0000${tp.partition}`);
      wanted.push({ ...tp, consumerId: m.memberId, host: m.host, clientId: m.clientId });
    }
  }
  const unassigned = committed.filter((o) => !assigned.has(`${o.topic}\u0000${o.partition}`)).sort(byTp);
  for (const o of unassigned) wanted.push({ topic: o.topic, partition: o.partition, consumerId: MISSING, host: MISSING, clientId: MISSING });
  return Promise.all(
    wanted.map(async (w) => {
      const currentOffset = committedBy.get(`${w.topic}\u0000${w.partition}`) ?? null;
      const logEndOffset = await admin.listOffsets(w.topic, w.partition, -1).then(
        (r) => r.offset,
        () => null,
      );
      const lag = currentOffset !== null && logEndOffset !== null ? logEndOffset - currentOffset : null;
      return { group: g.groupId, ...w, currentOffset, logEndOffset, lag };
    }),
  );
}

async function describeOffsets(admin: Admin, io: Io, groups: string[], json: boolean): Promise<number> {
  const out: Array<{ group: string; state: string; partitions: OffsetRow[] }> = [];
  let code = 0;
  for (const g of await admin.describeGroups(groups)) {
    const rows = g.state === 'Dead' ? [] : await offsetRows(admin, g, await admin.fetchOffsets(g.groupId));
    if (json) {
      if (g.state === 'Dead') code = 1;
      out.push({ group: g.groupId, state: g.state, partitions: rows });
      continue;
    }
    if (g.state === 'Dead') code = 1;
    if (!(await announce(io, g, rows.length > 0))) continue;
    const widths = [
      Math.max(NAME_WIDTH_MIN, ...rows.map((r) => r.group.length)),
      Math.max(NAME_WIDTH_MIN, ...rows.map((r) => r.topic.length)),
      10,
      15,
      15,
      15,
      Math.max(NAME_WIDTH_MIN, ...rows.map((r) => r.consumerId.length)),
      Math.max(NAME_WIDTH_MIN, ...rows.map((r) => r.host.length)),
    ];
    const header = ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'];
    const cells = rows.map((r) => [r.group, r.topic, String(r.partition), orMissing(r.currentOffset), orMissing(r.logEndOffset), orMissing(r.lag), r.consumerId, r.host, r.clientId]);
    await writeOut(io.stdout, `\n${[header, ...cells].map((c) => formatRow(c, widths)).join('\n')}\n`);
  }
  if (json) await writeOut(io.stdout, `${JSON.stringify(out, null, 2)}\n`);
  return code;
}

async function describeMembers(admin: Admin, io: Io, groups: string[], json: boolean): Promise<number> {
  let code = 0;
  const out: unknown[] = [];
  for (const g of await admin.describeGroups(groups)) {
    if (g.state === 'Dead') code = 1;
    const members = g.members.map((m) => ({
      group: g.groupId,
      consumerId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      host: m.host,
      clientId: m.clientId,
      partitions: m.assignment.length,
      assignment: m.assignment,
    }));
    if (json) {
      out.push({ group: g.groupId, state: g.state, members });
      continue;
    }
    if (!(await announce(io, g, true))) continue;
    const withInstance = members.some((m) => m.groupInstanceId !== null);
    const widths = [
      Math.max(NAME_WIDTH_MIN, g.groupId.length),
      Math.max(NAME_WIDTH_MIN, ...members.map((m) => m.consumerId.length)),
      ...(withInstance ? [Math.max(17, ...members.map((m) => (m.groupInstanceId ?? '').length))] : []),
      Math.max(NAME_WIDTH_MIN, ...members.map((m) => m.host.length)),
      Math.max(NAME_WIDTH_MIN, ...members.map((m) => m.clientId.length)),
      15,
    ];
    const header = ['GROUP', 'CONSUMER-ID', ...(withInstance ? ['GROUP-INSTANCE-ID'] : []), 'HOST', 'CLIENT-ID', '#PARTITIONS'];
    const cells = members.map((m) => [m.group, m.consumerId, ...(withInstance ? [m.groupInstanceId ?? ''] : []), m.host, m.clientId, String(m.partitions)]);
    // Kafka pads every column here, the last one too.
    await writeOut(io.stdout, `\n${[header, ...cells].map((c) => `${formatRow([...c, ''], [...widths])}`).join('\n')}\n`);
  }
  if (json) await writeOut(io.stdout, `${JSON.stringify(out, null, 2)}\n`);
  return code;
}

async function describeState(admin: Admin, io: Io, groups: string[], json: boolean): Promise<number> {
  let code = 0;
  const out: unknown[] = [];
  for (const g of await admin.describeGroups(groups)) {
    if (g.state === 'Dead') code = 1;
    const coordinator = `${g.coordinator.host}:${g.coordinator.port}  (${g.coordinator.nodeId})`;
    const row = { group: g.groupId, coordinator: g.coordinator, assignmentStrategy: g.assignor, state: g.state, members: g.members.length };
    if (json) {
      out.push(row);
      continue;
    }
    if (!(await announce(io, g, true))) continue;
    const widths = [Math.max(NAME_WIDTH_MIN, g.groupId.length), Math.max(25, coordinator.length), 20, 20];
    const lines = [
      ['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS'],
      [g.groupId, coordinator, g.assignor === '' ? MISSING : g.assignor, g.state, String(g.members.length)],
    ];
    await writeOut(io.stdout, `\n${lines.map((c) => formatRow(c, widths)).join('\n')}\n`);
  }
  if (json) await writeOut(io.stdout, `${JSON.stringify(out, null, 2)}\n`);
  return code;
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

function orMissing(n: number | null): string {
  return n === null ? MISSING : String(n);
}

/** Java's "%-Ns %-Ns … %s": every column but the last padded to its width, one space between. */
export function formatRow(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i] ?? 0) : c)).join(' ');
}
