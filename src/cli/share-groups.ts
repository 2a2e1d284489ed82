/**
 * `samsa share-groups`: Kafka's kafka-share-groups.sh (ShareGroupCommand, KIP-932). `--list` the
 * share groups; `--describe --group G` their share-partitions' start offsets and lag (Kafka's
 * columns), with `--members` the members and their assignments, with `--state` the coordinator,
 * state and member count; `--reset-offsets`, `--delete` and `--delete-offsets` of an empty share
 * group (share-groups-change.ts); `--json` for scripts.
 */
import type { Admin } from '../client/index.js';
import { bool, list, UsageError, writeOut, type Io, type ToolSpec } from './common.js';
import { COMMAND_CONFIG_FLAG, runAdminTool } from './client-config.js';
import { formatRow } from './consumer-groups-describe.js';
import { checkChangeFlags, deleteGroups, deleteOffsets, resetOffsets } from './share-groups-change.js';

export const spec: ToolSpec = {
  name: 'share-groups',
  summary: 'List, describe, reset and delete share groups (queues, KIP-932).',
  usage:
    'samsa share-groups --bootstrap-server <host:port> (--list | --describe --group G [--members | --state] | --reset-offsets --group G (--topic T[:p,…] | --all-topics) (--to-earliest | --to-latest | --to-datetime D) (--dry-run | --execute) | --delete (--group G | --all-groups) | --delete-offsets --group G --topic T) [--json]',
  flags: {
    'bootstrap-server': { type: 'string', value: 'host:port', help: 'The broker(s) to connect to, comma-separated. Required.' },
    ...COMMAND_CONFIG_FLAG,
    list: { type: 'boolean', help: 'List the share groups.' },
    describe: { type: 'boolean', help: 'Describe share groups: their offsets, or --members, or --state.' },
    group: { type: 'string', multiple: true, value: 'group', help: 'The share group to act on (repeatable for --describe and --delete).' },
    'all-groups': { type: 'boolean', help: 'Describe or delete every share group.' },
    members: { type: 'boolean', help: 'With --describe: the members and what each is assigned.' },
    state: { type: 'boolean', help: 'With --describe: the coordinator, state and number of members.' },
    verbose: { type: 'boolean', help: 'With --members: each member\'s assignment too.' },
    'reset-offsets': { type: 'boolean', help: 'Reset the start offsets of an empty share group (one group; a scope, a scenario and --dry-run or --execute).' },
    delete: { type: 'boolean', help: 'Delete empty share groups and their share-partition state.' },
    'delete-offsets': { type: 'boolean', help: 'Delete the share-partition state of an empty share group for the --topic(s); it starts there again from share.auto.offset.reset.' },
    topic: { type: 'string', multiple: true, value: 'topic[:p,...]', help: 'With --reset-offsets: a topic, optionally with partitions (orders:0,2); with --delete-offsets: a topic.' },
    'all-topics': { type: 'boolean', help: 'With --reset-offsets: every topic the group has share-partition state for.' },
    'to-earliest': { type: 'boolean', help: 'With --reset-offsets: the earliest offset.' },
    'to-latest': { type: 'boolean', help: 'With --reset-offsets: the log end.' },
    'to-datetime': { type: 'string', value: 'YYYY-MM-DDTHH:mm:SS.sss', help: 'With --reset-offsets: the first offset at or after this time (local time unless it ends in Z or ±hh:mm).' },
    'dry-run': { type: 'boolean', help: 'With --reset-offsets: show the new offsets only.' },
    execute: { type: 'boolean', help: 'With --reset-offsets: set the new offsets.' },
    json: { type: 'boolean', help: 'Print JSON instead of Kafka\'s table.' },
  },
};

const ACTIONS = ['list', 'describe', 'delete', 'reset-offsets', 'delete-offsets'] as const;
const WIDTH_MIN = 15;

export async function run(argv: string[], io: Io): Promise<number> {
  return runAdminTool(spec, argv, io, async ({ values }, connect) => {
    checkChangeFlags(values);
    const actions = ACTIONS.filter((a) => bool(values, a));
    if (actions.length !== 1) throw new UsageError('Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets.');
    const admin = connect();
    const json = bool(values, 'json');
    if (actions[0] === 'reset-offsets') return resetOffsets(admin, io, values, json);
    if (actions[0] === 'delete') return deleteGroups(admin, io, values, json);
    if (actions[0] === 'delete-offsets') return deleteOffsets(admin, io, values, json);
    if (actions[0] === 'list') {
      const groups = await admin.listShareGroups();
      await writeOut(io.stdout, json ? `${JSON.stringify(groups, null, 2)}\n` : groups.map((g) => `${g.groupId}\n`).join(''));
      return 0;
    }
    const groups = bool(values, 'all-groups') ? (await admin.listShareGroups()).map((g) => g.groupId) : list(values, 'group');
    if (groups.length === 0) throw new UsageError('--describe needs --group G (or --all-groups).');
    if (bool(values, 'members')) return describeMembers(admin, io, groups, json, bool(values, 'verbose'));
    if (bool(values, 'state')) return describeState(admin, io, groups, json);
    return describeOffsets(admin, io, groups, json);
  });
}

async function describeOffsets(admin: Admin, io: Io, groups: string[], json: boolean): Promise<number> {
  const out: unknown[] = [];
  let text = '';
  for (const group of groups) {
    const rows = await admin.listShareGroupOffsets(group);
    if (json) {
      out.push({ group, partitions: rows });
      continue;
    }
    const widths = [Math.max(WIDTH_MIN, group.length), Math.max(WIDTH_MIN, ...rows.map((r) => r.topic.length)), 10, 13];
    const cells = rows.map((r) => [group, r.topic, String(r.partition), r.startOffset < 0 ? '-' : String(r.startOffset), r.lag < 0 ? '-' : String(r.lag)]);
    text += `\n${[['GROUP', 'TOPIC', 'PARTITION', 'START-OFFSET', 'LAG'], ...cells].map((c) => formatRow(c, widths)).join('\n')}\n`;
  }
  await writeOut(io.stdout, json ? `${JSON.stringify(out, null, 2)}\n` : text);
  return 0;
}

async function describeMembers(admin: Admin, io: Io, groups: string[], json: boolean, verbose: boolean): Promise<number> {
  const described = await admin.describeShareGroups(groups);
  if (json) {
    await writeOut(io.stdout, `${JSON.stringify(described.map((g) => ({ group: g.groupId, state: g.state, members: g.members })), null, 2)}\n`);
    return 0;
  }
  let text = '';
  for (const g of described) {
    const assignment = (m: (typeof g.members)[number]) => m.assignment.map((a) => `${a.topic}:${a.partition}`).join(',') || '-';
    const widths = [Math.max(WIDTH_MIN, g.groupId.length), Math.max(WIDTH_MIN, ...g.members.map((m) => m.memberId.length)), Math.max(WIDTH_MIN, ...g.members.map((m) => m.clientHost.length)), Math.max(WIDTH_MIN, ...g.members.map((m) => m.clientId.length)), 12];
    const header = ['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', ...(verbose ? ['ASSIGNMENT'] : [])];
    const cells = g.members.map((m) => [g.groupId, m.memberId, m.clientHost, m.clientId, String(m.assignment.length), ...(verbose ? [assignment(m)] : [])]);
    text += g.members.length === 0 ? `\nShare group '${g.groupId}' has no active members.\n` : `\n${[header, ...cells].map((c) => formatRow(c, widths)).join('\n')}\n`;
  }
  await writeOut(io.stdout, text);
  return 0;
}

async function describeState(admin: Admin, io: Io, groups: string[], json: boolean): Promise<number> {
  const described = await admin.describeShareGroups(groups);
  if (json) {
    await writeOut(io.stdout, `${JSON.stringify(described.map((g) => ({ group: g.groupId, coordinator: g.coordinator, state: g.state, members: g.members.length })), null, 2)}\n`);
    return 0;
  }
  let text = '';
  for (const g of described) {
    const coordinator = `${g.coordinator.host}:${g.coordinator.port}  (${g.coordinator.nodeId})`;
    const widths = [Math.max(WIDTH_MIN, g.groupId.length), Math.max(25, coordinator.length), 20];
    text += `\n${[['GROUP', 'COORDINATOR (ID)', 'STATE', '#MEMBERS'], [g.groupId, coordinator, g.state, String(g.members.length)]].map((c) => formatRow(c, widths)).join('\n')}\n`;
  }
  await writeOut(io.stdout, text);
  return 0;
}
