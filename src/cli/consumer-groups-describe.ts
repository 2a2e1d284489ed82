/**
 * `samsa consumer-groups --describe`: the three views of Kafka 4's ConsumerGroupCommand — offsets
 * and lag per partition, members, state — with Kafka's columns and widths. `--verbose` adds Kafka
 * 4's columns: LEADER-EPOCH (offsets); CURRENT-EPOCH, CURRENT-ASSIGNMENT, TARGET-EPOCH,
 * TARGET-ASSIGNMENT (members); GROUP-EPOCH, TARGET-ASSIGNMENT-EPOCH (state). A classic group has
 * no epochs, so those cells are '-', as Kafka prints them. `--json` always carries every field.
 */
import type { Admin, GroupDescription, GroupOffset } from '../client/index.js';
import { writeOut, type Io } from './common.js';

/** Kafka's placeholder for a column with no value. */
export const MISSING = '-';
/** Kafka's minimum column width for names. */
export const NAME_WIDTH_MIN = 15;
/** Kafka's minimum width of the CURRENT-ASSIGNMENT and TARGET-ASSIGNMENT columns. */
const ASSIGNMENT_WIDTH_MIN = 20;
/** Kafka's minimum width of the GROUP-INSTANCE-ID column. */
const INSTANCE_ID_WIDTH_MIN = 17;
const REBALANCING_STATES = new Set(['PreparingRebalance', 'CompletingRebalance', 'Assigning', 'Reconciling']);

export interface DescribeOptions {
  json: boolean;
  verbose: boolean;
}

type TopicPartition = { topic: string; partition: number };

/** Java's "%-Ns %-Ns … %s": every column but the last padded to its width, one space between. */
export function formatRow(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i] ?? 0) : c)).join(' ');
}

/** "%-Ns" for every cell, the last one too. */
const padAll = (cells: string[], widths: number[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' ');

const orMissing = (n: number | null | undefined): string => (n === null || n === undefined ? MISSING : String(n));

const byTp = (a: TopicPartition, b: TopicPartition): number => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition);

/** Kafka 4's assignment cell: "orders:0,2;payments:1" (topics sorted, partitions ascending), '-' for none. */
export function assignmentText(tps: TopicPartition[]): string {
  if (tps.length === 0) return MISSING;
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of tps) {
    let list = byTopic.get(topic);
    if (list === undefined) byTopic.set(topic, (list = []));
    list.push(partition);
  }
  const parts = [...byTopic].map(([topic, ps]) => `${topic}:${[...ps].sort((a, b) => a - b).join(',')}`);
  return parts.sort().join(';');
}

/** A KIP-848 consumer-protocol group (described through ConsumerGroupDescribe) has epochs; a classic group has none. */
const isConsumerProtocol = (g: GroupDescription): boolean => g.groupEpoch !== undefined;

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
  /** The leader epoch committed with the offset (KIP-320), null when none was. */
  leaderEpoch: number | null;
  currentOffset: number | null;
  logEndOffset: number | null;
  lag: number | null;
  consumerId: string;
  host: string;
  clientId: string;
}

/** Kafka's rows: members with the most partitions first, then committed partitions no one holds. */
async function offsetRows(admin: Admin, g: GroupDescription, committed: GroupOffset[]): Promise<OffsetRow[]> {
  const committedBy = new Map(committed.map((o) => [`${o.topic}\u0000${o.partition}`, o]));
  const assigned = new Set<string>();
  const wanted: Array<TopicPartition & { consumerId: string; host: string; clientId: string }> = [];
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
      const c = committedBy.get(`${w.topic}\u0000${w.partition}`);
      const currentOffset = c?.offset ?? null;
      const logEndOffset = await admin.listOffsets(w.topic, w.partition, -1).then(
        (r) => r.offset,
        () => null,
      );
      const lag = currentOffset !== null && logEndOffset !== null ? logEndOffset - currentOffset : null;
      return { group: g.groupId, ...w, leaderEpoch: c?.leaderEpoch ?? null, currentOffset, logEndOffset, lag };
    }),
  );
}

export async function describeOffsets(admin: Admin, io: Io, groups: string[], o: DescribeOptions): Promise<number> {
  const out: Array<{ group: string; state: string; partitions: OffsetRow[] }> = [];
  let code = 0;
  for (const g of await admin.describeGroups(groups)) {
    if (g.state === 'Dead') code = 1;
    const rows = g.state === 'Dead' ? [] : await offsetRows(admin, g, await admin.fetchOffsets(g.groupId));
    if (o.json) {
      out.push({ group: g.groupId, state: g.state, partitions: rows });
      continue;
    }
    if (!(await announce(io, g, rows.length > 0))) continue;
    const extra = o.verbose ? 1 : 0;
    const widths = [
      Math.max(NAME_WIDTH_MIN, ...rows.map((r) => r.group.length)),
      Math.max(NAME_WIDTH_MIN, ...rows.map((r) => r.topic.length)),
      10,
      ...Array<number>(3 + extra).fill(15),
      Math.max(NAME_WIDTH_MIN, ...rows.map((r) => r.consumerId.length)),
      Math.max(NAME_WIDTH_MIN, ...rows.map((r) => r.host.length)),
    ];
    const header = ['GROUP', 'TOPIC', 'PARTITION', ...(o.verbose ? ['LEADER-EPOCH'] : []), 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'];
    const cells = rows.map((r) => [
      r.group, r.topic, String(r.partition), ...(o.verbose ? [orMissing(r.leaderEpoch)] : []),
      orMissing(r.currentOffset), orMissing(r.logEndOffset), orMissing(r.lag), r.consumerId, r.host, r.clientId,
    ]);
    await writeOut(io.stdout, `\n${[header, ...cells].map((c) => formatRow(c, widths)).join('\n')}\n`);
  }
  if (o.json) await writeOut(io.stdout, `${JSON.stringify(out, null, 2)}\n`);
  return code;
}

export async function describeMembers(admin: Admin, io: Io, groups: string[], o: DescribeOptions): Promise<number> {
  let code = 0;
  const out: unknown[] = [];
  for (const g of await admin.describeGroups(groups)) {
    if (g.state === 'Dead') code = 1;
    const consumerProtocol = isConsumerProtocol(g);
    const members = g.members.map((m) => ({
      group: g.groupId,
      consumerId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      host: m.host,
      clientId: m.clientId,
      partitions: m.assignment.length,
      assignment: m.assignment,
      // Kafka 4's epoch columns; null for a classic group, which has none.
      memberEpoch: m.memberEpoch ?? null,
      targetEpoch: consumerProtocol ? (g.assignmentEpoch ?? null) : null,
      targetAssignment: consumerProtocol ? (m.targetAssignment ?? []) : null,
    }));
    if (o.json) {
      out.push({ group: g.groupId, state: g.state, members });
      continue;
    }
    if (!(await announce(io, g, true))) continue;
    const withInstance = members.some((m) => m.groupInstanceId !== null);
    const widths = [
      Math.max(NAME_WIDTH_MIN, g.groupId.length),
      Math.max(NAME_WIDTH_MIN, ...members.map((m) => m.consumerId.length)),
      ...(withInstance ? [Math.max(INSTANCE_ID_WIDTH_MIN, ...members.map((m) => (m.groupInstanceId ?? '').length))] : []),
      Math.max(NAME_WIDTH_MIN, ...members.map((m) => m.host.length)),
      Math.max(NAME_WIDTH_MIN, ...members.map((m) => m.clientId.length)),
      15,
    ];
    const header = ['GROUP', 'CONSUMER-ID', ...(withInstance ? ['GROUP-INSTANCE-ID'] : []), 'HOST', 'CLIENT-ID', '#PARTITIONS'];
    const cells = members.map((m) => [m.group, m.consumerId, ...(withInstance ? [m.groupInstanceId ?? ''] : []), m.host, m.clientId, String(m.partitions)]);
    const epochHeader = ['CURRENT-EPOCH', 'CURRENT-ASSIGNMENT', 'TARGET-EPOCH', 'TARGET-ASSIGNMENT'];
    const epochCells = members.map((m) => [orMissing(m.memberEpoch), assignmentText(m.assignment), orMissing(m.targetEpoch), assignmentText(m.targetAssignment ?? [])]);
    const epochWidths = [
      15,
      Math.max(ASSIGNMENT_WIDTH_MIN, ...epochCells.map((c) => c[1]!.length)),
      15,
      Math.max(ASSIGNMENT_WIDTH_MIN, ...epochCells.map((c) => c[3]!.length)),
    ];
    // Kafka pads every column here, the last one too (and ends the classic part with a space).
    const lines = [header, ...cells].map((c, i) => formatRow([...c, ''], widths) + (o.verbose ? padAll(i === 0 ? epochHeader : epochCells[i - 1]!, epochWidths) : ''));
    await writeOut(io.stdout, `\n${lines.join('\n')}\n`);
  }
  if (o.json) await writeOut(io.stdout, `${JSON.stringify(out, null, 2)}\n`);
  return code;
}

export async function describeState(admin: Admin, io: Io, groups: string[], o: DescribeOptions): Promise<number> {
  let code = 0;
  const out: unknown[] = [];
  for (const g of await admin.describeGroups(groups)) {
    if (g.state === 'Dead') code = 1;
    const coordinator = `${g.coordinator.host}:${g.coordinator.port}  (${g.coordinator.nodeId})`;
    const groupEpoch = g.groupEpoch ?? null;
    const targetAssignmentEpoch = isConsumerProtocol(g) ? (g.assignmentEpoch ?? null) : null;
    const row = { group: g.groupId, coordinator: g.coordinator, assignmentStrategy: g.assignor, state: g.state, groupEpoch, targetAssignmentEpoch, members: g.members.length };
    if (o.json) {
      out.push(row);
      continue;
    }
    if (!(await announce(io, g, true))) continue;
    const widths = [Math.max(NAME_WIDTH_MIN, g.groupId.length), Math.max(25, coordinator.length), 20, 20, ...(o.verbose ? [15, 25] : [])];
    const lines = [
      ['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', ...(o.verbose ? ['GROUP-EPOCH', 'TARGET-ASSIGNMENT-EPOCH'] : []), '#MEMBERS'],
      [g.groupId, coordinator, g.assignor === '' ? MISSING : g.assignor, g.state, ...(o.verbose ? [orMissing(groupEpoch), orMissing(targetAssignmentEpoch)] : []), String(g.members.length)],
    ];
    await writeOut(io.stdout, `\n${lines.map((c) => formatRow(c, widths)).join('\n')}\n`);
  }
  if (o.json) await writeOut(io.stdout, `${JSON.stringify(out, null, 2)}\n`);
  return code;
}
