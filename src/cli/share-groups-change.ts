/**
 * The actions of `samsa share-groups` that change a share group (Kafka 4.2's ShareGroupCommand):
 * `--reset-offsets` (AlterShareGroupOffsets, Kafka's scenarios --to-earliest, --to-latest,
 * --to-datetime; --dry-run or --execute; Kafka's GROUP TOPIC PARTITION NEW-OFFSET table),
 * `--delete` (DeleteGroups, after Kafka's checks on the listed state) and `--delete-offsets`
 * (DeleteShareGroupOffsets; Kafka's TOPIC STATUS table). The flag rules and sentences are
 * Kafka's ShareGroupCommandOptions.checkArgs, in its order and with joptsimple's [names].
 */
import { ErrorCode, KafkaError, type Admin } from '../client/index.js';
import { bool, list, str, UsageError, writeOut, type Io, type ParsedFlags } from './common.js';
import { parseDateTime, parseTopicScope } from './consumer-groups.js';
import { formatRow } from './consumer-groups-describe.js';
import { javaExceptionName } from './java-exceptions.js';

const WIDTH_MIN = 15;
const SCENARIOS = ['to-datetime', 'to-earliest', 'to-latest'] as const;
const RESET_ONLY = [...SCENARIOS, 'all-topics', 'dry-run', 'execute'] as const;
const EARLIEST_TIMESTAMP = -2;
const LATEST_TIMESTAMP = -1;

/** CommandLineUtils.checkInvalidArgs: `used` with any of `others` is refused. */
function refuseWith(values: ParsedFlags, used: string, others: readonly string[]): void {
  if (!bool(values, used) && list(values, used).length === 0 && str(values, used) === undefined) return;
  for (const o of others) {
    const given = bool(values, o) || list(values, o).length > 0 || str(values, o) !== undefined;
    if (given) throw new UsageError(`Option "[${used}]" can't be used with option "[${o}]"`);
  }
}

const has = (values: ParsedFlags, flag: string): boolean => bool(values, flag) || list(values, flag).length > 0 || str(values, flag) !== undefined;

/** Kafka's checks of --delete, --delete-offsets and --reset-offsets, and of --group and --topic with the actions. */
export function checkChangeFlags(values: ParsedFlags): void {
  const on = (f: string) => has(values, f);
  if (on('delete')) {
    if (!on('group') && !on('all-groups')) throw new UsageError('Option [delete] takes the options [group] or [all-groups]');
    if (on('group') && on('all-groups')) throw new UsageError('Option [delete] takes either [group] or [all-groups], not both.');
    if (on('topic')) throw new UsageError('Option [delete] does not take the option: [topic]');
  }
  if (on('delete-offsets') && (!on('group') || !on('topic'))) throw new UsageError('Option [delete-offsets] takes the following options: [group], [topic]');
  if (on('reset-offsets')) {
    if (on('dry-run') && on('execute')) throw new UsageError('Option [reset-offsets] only accepts one of [execute] and [dry-run]');
    if (!on('dry-run') && !on('execute')) throw new UsageError('Option [reset-offsets] takes the option: [execute] or [dry-run]');
    if (!on('group')) throw new UsageError('Option [reset-offsets] takes the option: [group]');
    if (!on('topic') && !on('all-topics')) throw new UsageError('Option [reset-offsets] takes one of these options: [all-topics], [topic]');
    if (!SCENARIOS.some(on)) throw new UsageError(`Option [reset-offsets] takes one of these options: ${SCENARIOS.map((s) => `[${s}]`).join(', ')}`);
    for (const s of SCENARIOS) refuseWith(values, s, SCENARIOS.filter((o) => o !== s));
    if (list(values, 'group').length > 1) throw new UsageError('Option [reset-offsets] works on one share group at a time; give one --group.');
  } else {
    const misplaced = RESET_ONLY.find(on);
    if (misplaced !== undefined) throw new UsageError(`--${misplaced} only works with --reset-offsets.`);
  }
  refuseWith(values, 'group', ['all-groups']);
  refuseWith(values, 'group', ['list']);
  refuseWith(values, 'topic', ['list', 'describe']);
}

interface PlannedOffset {
  group: string;
  topic: string;
  partition: number;
  newOffset: number;
}

export async function resetOffsets(admin: Admin, io: Io, values: ParsedFlags, json: boolean): Promise<number> {
  const group = list(values, 'group')[0]!;
  const state = await groupState(admin, group);
  if (state !== 'Empty' && state !== 'Dead') {
    await writeOut(io.stderr, `Share group '${group}' is not empty.\n`);
    return 1;
  }
  const timestamp = has(values, 'to-datetime') ? parseDateTime(str(values, 'to-datetime')!) : undefined;
  const partitions = await partitionsToReset(admin, group, values);
  const plan: PlannedOffset[] = [];
  for (const { topic, partition } of partitions) {
    const at = (ts: number) => admin.listOffsets(topic, partition, ts).then((o) => o.offset);
    let newOffset: number;
    if (bool(values, 'to-earliest')) newOffset = await at(EARLIEST_TIMESTAMP);
    else if (bool(values, 'to-latest')) newOffset = await at(LATEST_TIMESTAMP);
    else {
      // No record at or after that time: Kafka's OffsetsUtils falls back to the log end.
      const found = await at(timestamp!);
      newOffset = found < 0 ? await at(LATEST_TIMESTAMP) : found;
    }
    plan.push({ group, topic, partition, newOffset });
  }
  if (bool(values, 'execute') && plan.length > 0) {
    const results = await admin.alterShareGroupOffsets(group, plan.map((p) => ({ topic: p.topic, partition: p.partition, startOffset: p.newOffset })));
    const failed = results.find((r) => r.error !== null);
    if (failed !== undefined) {
      await writeOut(io.stderr, `${failed.error!.message}\n`);
      return 1;
    }
  }
  if (json) {
    await writeOut(io.stdout, `${JSON.stringify(plan, null, 2)}\n`);
    return 0;
  }
  if (plan.length === 0) return 0;
  const widths = [Math.max(WIDTH_MIN, group.length), Math.max(WIDTH_MIN, ...plan.map((p) => p.topic.length)), 10];
  const cells = [['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], ...plan.map((p) => [p.group, p.topic, String(p.partition), String(p.newOffset)])];
  await writeOut(io.stdout, `\n${cells.map((c) => formatRow(c, widths)).join('\n')}\n`);
  return 0;
}

/** The group's state as ShareGroupDescribe says; Dead for a group it does not know. */
async function groupState(admin: Admin, group: string): Promise<string> {
  try {
    return (await admin.describeShareGroups([group]))[0]?.state ?? 'Dead';
  } catch (err) {
    if (err instanceof KafkaError && err.code === ErrorCode.GROUP_ID_NOT_FOUND) return 'Dead';
    throw err;
  }
}

/** --topic T (every partition) or T:0,1, else --all-topics: the share-partitions the group has; each checked to exist. */
async function partitionsToReset(admin: Admin, group: string, values: ParsedFlags): Promise<Array<{ topic: string; partition: number }>> {
  const counts = new Map<string, number>();
  const count = async (topic: string): Promise<number> => {
    if (!counts.has(topic)) counts.set(topic, await admin.describeTopics([topic]).then((ts) => ts[0]?.partitions.length ?? 0, () => 0));
    return counts.get(topic)!;
  };
  const wanted: Array<{ topic: string; partition: number }> = [];
  if (has(values, 'topic')) {
    for (const s of list(values, 'topic').map(parseTopicScope)) {
      const ps = s.partitions ?? Array.from({ length: Math.max(1, await count(s.topic)) }, (_, i) => i);
      for (const partition of ps) wanted.push({ topic: s.topic, partition });
    }
  } else {
    for (const o of await admin.listShareGroupOffsets(group)) wanted.push({ topic: o.topic, partition: o.partition });
  }
  const missing: string[] = [];
  for (const w of wanted) if (w.partition >= (await count(w.topic))) missing.push(`${w.topic}-${w.partition}`);
  if (missing.length > 0) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Executing share group command failed due to The partitions "${missing.join(',')}" do not exist`);
  return wanted.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

/** Kafka's deleteShareGroups: each group checked against the share groups listed, the rest deleted. */
export async function deleteGroups(admin: Admin, io: Io, values: ParsedFlags, json: boolean): Promise<number> {
  const listed = new Map((await admin.listShareGroups()).map((g) => [g.groupId, g.state]));
  const groups = bool(values, 'all-groups') ? [...listed.keys()] : [...new Set(list(values, 'group'))];
  const failed: Array<{ group: string; error: string }> = [];
  const toDelete: string[] = [];
  for (const g of groups) {
    const state = listed.get(g);
    if (state === undefined) failed.push({ group: g, error: `java.lang.IllegalArgumentException: Group '${g}' is not a share group.` });
    else if (state === 'Dead') failed.push({ group: g, error: `java.lang.IllegalStateException: Share group '${g}' group state is DEAD.` });
    else if (state !== 'Empty') failed.push({ group: g, error: `${javaExceptionName(ErrorCode.NON_EMPTY_GROUP)}: Share group '${g}' is not EMPTY.` });
    else toDelete.push(g);
  }
  const deleted: string[] = [];
  for (const r of toDelete.length === 0 ? [] : await admin.deleteGroups(toDelete)) {
    if (r.error === null) deleted.push(r.groupId);
    else failed.push({ group: r.groupId, error: `${javaExceptionName(r.error.code)}: ${r.error.message}` });
  }
  if (json) {
    await writeOut(io.stdout, `${JSON.stringify({ deleted, failed }, null, 2)}\n`);
    return failed.length === 0 ? 0 : 1;
  }
  const quoted = (gs: string[]) => gs.map((g) => `'${g}'`).join(', ');
  if (failed.length === 0) {
    await writeOut(io.stdout, `Deletion of requested share groups (${quoted(deleted)}) was successful.\n`);
    return 0;
  }
  const lines = ['', 'Error: Deletion of some share groups failed:', ...failed.map((f) => `* Group '${f.group}' could not be deleted due to: ${f.error}`)];
  if (deleted.length > 0) lines.push('', `These share groups were deleted successfully: ${quoted(deleted)}`);
  await writeOut(io.stderr, `${lines.join('\n')}\n`);
  return 1;
}

/** Kafka's deleteOffsets: a refusal of the group printed as Error: …, then each topic's outcome. */
export async function deleteOffsets(admin: Admin, io: Io, values: ParsedFlags, json: boolean): Promise<number> {
  const group = list(values, 'group')[0]!;
  const topics = [...new Set(list(values, 'topic'))];
  let refusal: KafkaError | null = null;
  let rows: Array<{ topic: string; error: string | null }>;
  try {
    const results = await admin.deleteShareGroupOffsets(group, topics);
    const byTopic = new Map(results.map((r) => [r.topic, r.error?.message ?? null]));
    // A group without any share-partition state answers no rows (as Kafka's does): nothing was deleted.
    rows = topics.map((topic) => ({ topic, error: byTopic.has(topic) ? byTopic.get(topic)! : 'There is no offset information to delete.' }));
  } catch (err) {
    if (!(err instanceof KafkaError)) throw err;
    refusal = err;
    rows = topics.map((topic) => ({ topic, error: err.message }));
  }
  rows.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
  const ok = refusal === null && rows.every((r) => r.error === null);
  if (json) {
    await writeOut(io.stdout, `${JSON.stringify({ group, error: refusal?.message ?? null, topics: rows }, null, 2)}\n`);
    return ok ? 0 : 1;
  }
  if (refusal !== null) await writeOut(io.stderr, `\nError: ${refusal.message}\n`);
  const width = Math.max(WIDTH_MIN, ...rows.map((r) => r.topic.length));
  const table = [['TOPIC', 'STATUS'], ...rows.map((r) => [r.topic, r.error === null ? 'Successful' : `Error: ${r.error}`])];
  await writeOut(io.stdout, `${table.map((c) => `\n${formatRow(c, [width])}`).join('')}\n`);
  return ok ? 0 : 1;
}
