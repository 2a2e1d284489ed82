/**
 * `samsa reassign-partitions`: Kafka's kafka-reassign-partitions.sh. Exactly one action:
 * --generate (a proposal for moving topics onto a broker list), --execute (start the
 * reassignments of a JSON file, optionally throttled), --verify (their status; clears the
 * throttles once all are done), --cancel (revert those in progress), --list. Output and JSON as
 * Kafka's tool prints them; --json prints one JSON document for scripts instead.
 */
import { readFile } from 'node:fs/promises';
import { KafkaError, type Admin, type AlterConfigOp, type PartitionReassignment } from '../client/index.js';
import { assignReplicas } from '../cluster/placement.js';
import { bool, helpText, int, parseFlags, reportError, str, UsageError, writeOut, type Io, type ParsedFlags, type ToolSpec } from './common.js';
import { adminFromFlags, COMMAND_CONFIG_FLAG } from './client-config.js';
import { parseReassignmentJson, parseTopicsToMove, reassignmentJson, type Assignment } from './reassignment-json.js';

const ACTIONS = ['verify', 'generate', 'execute', 'cancel', 'list'] as const;
type Action = (typeof ACTIONS)[number];

export const spec: ToolSpec = {
  name: 'reassign-partitions',
  summary: 'Move partition replicas between brokers (KIP-455): generate a plan, execute it (optionally throttled), verify, cancel, list.',
  usage: 'samsa reassign-partitions --bootstrap-server <host:port> (--generate | --execute | --verify | --cancel | --list) [options]',
  flags: {
    'bootstrap-server': { type: 'string', value: 'host:port', help: 'The broker(s) to connect to, comma-separated.' },
    ...COMMAND_CONFIG_FLAG,
    generate: { type: 'boolean', help: 'Propose an assignment of the topics in --topics-to-move-json-file over --broker-list (prints it; changes nothing).' },
    execute: { type: 'boolean', help: 'Start the reassignment in --reassignment-json-file.' },
    verify: { type: 'boolean', help: 'Say whether the reassignment in --reassignment-json-file is done; once every one is, remove the throttles.' },
    cancel: { type: 'boolean', help: 'Cancel the reassignments in --reassignment-json-file that are in progress.' },
    list: { type: 'boolean', help: 'List the reassignments in progress.' },
    'reassignment-json-file': { type: 'string', value: 'file', help: '{"version":1,"partitions":[{"topic":"foo","partition":0,"replicas":[1,2,3]}]}' },
    'topics-to-move-json-file': { type: 'string', value: 'file', help: '{"version":1,"topics":[{"topic":"foo"}]}' },
    'broker-list': { type: 'string', value: '1,2,3', help: 'The brokers --generate may place replicas on.' },
    'disable-rack-aware': { type: 'boolean', help: 'With --generate: ignore broker.rack.' },
    throttle: { type: 'string', value: 'bytes/s', help: 'With --execute: replication for the move is throttled to this rate (leader and follower side).' },
    'replica-alter-log-dirs-throttle': { type: 'string', value: 'bytes/s', help: 'Moving replicas between log dirs of one broker is not supported; refused.' },
    timeout: { type: 'string', value: 'ms', help: 'Accepted for Kafka compatibility (log dir moves only).' },
    additional: { type: 'boolean', help: 'With --execute: start this reassignment although others are in progress.' },
    'preserve-throttles': { type: 'boolean', help: 'With --verify or --cancel: leave the throttles as they are.' },
    json: { type: 'boolean', help: 'Print one JSON document instead of the text.' },
  },
};

const PERMITTED: Record<Action, string[]> = {
  verify: ['reassignment-json-file', 'preserve-throttles'],
  generate: ['topics-to-move-json-file', 'broker-list', 'disable-rack-aware'],
  execute: ['reassignment-json-file', 'additional', 'throttle', 'replica-alter-log-dirs-throttle', 'timeout'],
  cancel: ['reassignment-json-file', 'preserve-throttles', 'timeout'],
  list: [],
};
const REQUIRED: Record<Action, string[]> = {
  verify: ['reassignment-json-file'],
  generate: ['topics-to-move-json-file', 'broker-list'],
  execute: ['reassignment-json-file'],
  cancel: ['reassignment-json-file'],
  list: [],
};
const ALWAYS = ['bootstrap-server', 'command-config', 'json', 'help'];

const BROKER_THROTTLES = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate'];
const TOPIC_THROTTLES = ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas'];

const CANNOT_EXECUTE =
  'Cannot execute because there is an existing partition assignment.  Use --additional to override this and create a new partition assignment in addition to the existing one. The --additional flag can also be used to change the throttle by resubmitting the current reassignment.';
const MUST_VERIFY = 'Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed.';

/** Kafka's checks of the command line: one action, its required options, nothing it does not take. */
function actionOf(values: ParsedFlags): Action {
  const chosen = ACTIONS.filter((a) => bool(values, a));
  if (chosen.length !== 1) throw new UsageError(`Command must include exactly one action: ${ACTIONS.map((a) => `--${a}`).join(', ')}`);
  const action = chosen[0]!;
  for (const r of REQUIRED[action]) if (values[r] === undefined) throw new UsageError(`Missing required argument "[${r}]" for --${action}.`);
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || v === false || k === action || ALWAYS.includes(k) || PERMITTED[action].includes(k)) continue;
    throw new UsageError(`Option "[${k}]" can't be used with action "[${action}]"`);
  }
  return action;
}

const tp = (a: { topic: string; partition: number }): string => `${a.topic}-${a.partition}`;
const byPartition = (a: { topic: string; partition: number }, b: { topic: string; partition: number }): number =>
  a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;

/** The current replicas of every partition of these topics; an unknown topic is an error. */
async function currentAssignment(admin: Admin, topics: string[]): Promise<Assignment[]> {
  const described = await admin.describeTopics(topics);
  return described.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition, replicas: [...p.replicas] }))).sort(byPartition);
}

async function knownBrokers(admin: Admin): Promise<Array<{ nodeId: number; rack: string | null }>> {
  return (await admin.describeCluster()).brokers.map((b) => ({ nodeId: b.nodeId, rack: b.rack }));
}

async function generate(admin: Admin, values: ParsedFlags, out: string[], doc: Record<string, unknown>): Promise<number> {
  const file = str(values, 'topics-to-move-json-file')!;
  const topics = parseTopicsToMove(await readFile(file, 'utf8'), file);
  const brokerText = str(values, 'broker-list')!;
  const ids = brokerText.split(',').map((s) => s.trim());
  if (ids.some((s) => !/^\d+$/.test(s))) throw new UsageError(`--broker-list must be broker ids separated by commas, as in '1,2,3', not '${brokerText}'.`);
  const brokerIds = ids.map(Number);
  const dups = brokerIds.filter((b, i) => brokerIds.indexOf(b) !== i);
  if (dups.length > 0) throw new UsageError(`Broker list contains duplicate entries: ${[...new Set(dups)].join(', ')}`);
  const live = await knownBrokers(admin);
  const chosen = brokerIds.map((id) => live.find((b) => b.nodeId === id) ?? { nodeId: id, rack: null });
  const rackAware = !bool(values, 'disable-rack-aware');
  const rackless = chosen.filter((b) => b.rack === null).length;
  if (rackAware && rackless !== 0 && rackless !== chosen.length)
    throw new UsageError('Not all brokers have rack information. Add --disable-rack-aware in command line to make replica assignment without rack information.');
  const current = await currentAssignment(admin, topics);
  const proposed: Assignment[] = [];
  for (const topic of topics) {
    const parts = current.filter((a) => a.topic === topic);
    const rf = parts[0]?.replicas.length ?? 1;
    if (rf > chosen.length) throw new UsageError(`Replication factor: ${rf} larger than available brokers: ${chosen.length}.`);
    const brokers = rackAware ? chosen : chosen.map((b) => ({ nodeId: b.nodeId, rack: null }));
    assignReplicas(brokers, parts.length, rf, Math.random).forEach((replicas, partition) => proposed.push({ topic, partition, replicas }));
  }
  doc['current'] = JSON.parse(reassignmentJson(current));
  doc['proposed'] = JSON.parse(reassignmentJson(proposed));
  out.push(`Current partition replica assignment\n${reassignmentJson(current)}\n\n`, `Proposed partition reassignment configuration\n${reassignmentJson(proposed)}\n`);
  return 0;
}

/** Kafka's throttle lists: the sources (replicas before the move) lead-throttled, the destinations follower-throttled. */
function throttleLists(ongoing: PartitionReassignment[], proposed: Assignment[], current: Assignment[]): { leader: Map<string, string[]>; follower: Map<string, string[]>; brokers: Set<number> } {
  const moves = new Map<string, { topic: string; partition: number; sources: number[]; destinations: number[] }>();
  for (const r of ongoing) {
    const sources = r.replicas.filter((x) => !r.addingReplicas.includes(x));
    moves.set(tp(r), { topic: r.topic, partition: r.partition, sources, destinations: [...r.addingReplicas] });
  }
  for (const p of proposed) {
    const sources = moves.get(tp(p))?.sources ?? current.find((c) => c.topic === p.topic && c.partition === p.partition)?.replicas ?? [];
    moves.set(tp(p), { topic: p.topic, partition: p.partition, sources, destinations: p.replicas.filter((r) => !sources.includes(r)) });
  }
  const leader = new Map<string, string[]>();
  const follower = new Map<string, string[]>();
  const brokers = new Set<number>();
  for (const m of moves.values()) {
    const l = leader.get(m.topic) ?? [];
    const f = follower.get(m.topic) ?? [];
    for (const s of m.sources) l.push(`${m.partition}:${s}`);
    for (const d of m.destinations) f.push(`${m.partition}:${d}`);
    leader.set(m.topic, l);
    follower.set(m.topic, f);
    for (const b of [...m.sources, ...m.destinations]) brokers.add(b);
  }
  return { leader, follower, brokers };
}

async function execute(admin: Admin, values: ParsedFlags, out: string[], doc: Record<string, unknown>): Promise<number> {
  const file = str(values, 'reassignment-json-file')!;
  const proposed = parseReassignmentJson(await readFile(file, 'utf8'), file, { forExecute: true });
  if (str(values, 'replica-alter-log-dirs-throttle') !== undefined || proposed.some((p) => p.logDirs?.some((d) => d !== 'any')))
    throw new UsageError('Moving replicas between log directories of one broker is not supported: give "any" (or no "log_dirs") and no --replica-alter-log-dirs-throttle.');
  const throttle = int(values, 'throttle', { min: 0 });
  int(values, 'timeout', { min: 0 });
  const ongoing = await admin.listPartitionReassignments();
  if (!bool(values, 'additional') && ongoing.length > 0) throw new UsageError(CANNOT_EXECUTE);
  const live = new Set((await knownBrokers(admin)).map((b) => b.nodeId));
  const unknown = proposed.flatMap((p) => p.replicas).find((b) => !live.has(b));
  if (unknown !== undefined) throw new UsageError(`Unknown broker id ${unknown}`);
  const current = (await currentAssignment(admin, [...new Set(proposed.map((p) => p.topic))])).filter((c) => proposed.some((p) => p.topic === c.topic && p.partition === c.partition));
  doc['current'] = JSON.parse(reassignmentJson(current));
  out.push(`Current partition replica assignment\n\n${reassignmentJson(current)}\n\nSave this to use as the --reassignment-json-file option during rollback\n`);
  if (throttle !== undefined) {
    out.push(`${MUST_VERIFY}\n`);
    const lists = throttleLists(ongoing, proposed, current);
    for (const topic of new Set([...lists.leader.keys(), ...lists.follower.keys()])) {
      const ops: AlterConfigOp[] = [
        { name: TOPIC_THROTTLES[0]!, op: 'set', value: [...new Set(lists.leader.get(topic) ?? [])].sort().join(',') },
        { name: TOPIC_THROTTLES[1]!, op: 'set', value: [...new Set(lists.follower.get(topic) ?? [])].sort().join(',') },
      ];
      await admin.incrementalAlterConfigs({ type: 'topic', name: topic }, ops);
    }
    for (const b of [...lists.brokers].sort((a, c) => a - c))
      await admin.incrementalAlterConfigs({ type: 'broker', name: String(b) }, BROKER_THROTTLES.map((name) => ({ name, op: 'set', value: String(throttle) })));
    out.push(`The inter-broker throttle limit was set to ${throttle} B/s\n`);
    doc['throttle'] = throttle;
  }
  const outcomes = await admin.alterPartitionReassignments(proposed.map((p) => ({ topic: p.topic, partition: p.partition, replicas: p.replicas })));
  const failed = outcomes.filter((o) => o.error !== null).sort(byPartition);
  doc['errors'] = failed.map((f) => ({ partition: tp(f), error: f.error!.message }));
  if (failed.length > 0) {
    out.push(`Error reassigning partition(s):\n${failed.map((f) => `${tp(f)}: ${f.error!.message}`).join('\n')}\n`);
    return 1;
  }
  const started = [...proposed].sort(byPartition).map(tp);
  doc['started'] = started;
  out.push(`Successfully started partition reassignment${started.length === 1 ? '' : 's'} for ${started.join(',')}\n`);
  return 0;
}

async function clearThrottles(admin: Admin, targets: Assignment[], out: string[]): Promise<void> {
  const brokers = new Set((await knownBrokers(admin)).map((b) => b.nodeId));
  for (const t of targets) for (const r of t.replicas) brokers.add(r);
  const ids = [...brokers].sort((a, b) => a - b);
  out.push(`Clearing broker-level throttles on broker${ids.length === 1 ? '' : 's'} ${ids.join(',')}\n`);
  for (const b of ids) await admin.incrementalAlterConfigs({ type: 'broker', name: String(b) }, BROKER_THROTTLES.map((name) => ({ name, op: 'delete' })));
  const topics = [...new Set(targets.map((t) => t.topic))];
  out.push(`Clearing topic-level throttles on topic${topics.length === 1 ? '' : 's'} ${topics.join(',')}\n`);
  for (const t of topics) await admin.incrementalAlterConfigs({ type: 'topic', name: t }, TOPIC_THROTTLES.map((name) => ({ name, op: 'delete' })));
}

async function verify(admin: Admin, values: ParsedFlags, out: string[], doc: Record<string, unknown>): Promise<number> {
  const file = str(values, 'reassignment-json-file')!;
  const targets = parseReassignmentJson(await readFile(file, 'utf8'), file, { forExecute: false });
  const ongoing = await admin.listPartitionReassignments();
  const lines = ['Status of partition reassignment:'];
  const states: Array<{ partition: string; state: string; replicas: number[]; target: number[] }> = [];
  const described = new Map<string, number[]>();
  const topics = [...new Set(targets.map((t) => t.topic))];
  for (const t of topics) {
    try {
      for (const a of await currentAssignment(admin, [t])) described.set(tp(a), a.replicas);
    } catch (err) {
      if (!(err instanceof KafkaError)) throw err;
    }
  }
  for (const t of [...targets].sort(byPartition)) {
    const running = ongoing.find((o) => o.topic === t.topic && o.partition === t.partition);
    const replicas = running?.replicas ?? described.get(tp(t)) ?? [];
    let state: string;
    if (running !== undefined) {
      state = 'in-progress';
      lines.push(`Reassignment of partition ${tp(t)} is still in progress.`);
    } else if (replicas.join(',') === t.replicas.join(',')) {
      state = 'completed';
      lines.push(`Reassignment of partition ${tp(t)} is completed.`);
    } else {
      state = 'not-active';
      lines.push(`There is no active reassignment of partition ${tp(t)}, but replica set is ${replicas.join(',')} rather than ${t.replicas.join(',')}.`);
    }
    states.push({ partition: tp(t), state, replicas, target: t.replicas });
  }
  out.push(lines.join('\n') + '\n');
  doc['partitions'] = states;
  if (ongoing.length === 0 && !bool(values, 'preserve-throttles')) await clearThrottles(admin, targets, out);
  doc['inProgress'] = ongoing.length > 0;
  return 0;
}

async function cancel(admin: Admin, values: ParsedFlags, out: string[], doc: Record<string, unknown>): Promise<number> {
  const file = str(values, 'reassignment-json-file')!;
  const targets = parseReassignmentJson(await readFile(file, 'utf8'), file, { forExecute: false });
  const active = (await admin.listPartitionReassignments(targets.map((t) => ({ topic: t.topic, partition: t.partition })))).sort(byPartition);
  let code = 0;
  if (active.length > 0) {
    const outcomes = await admin.alterPartitionReassignments(active.map((a) => ({ topic: a.topic, partition: a.partition, replicas: null })));
    const failed = outcomes.filter((o) => o.error !== null).sort(byPartition);
    if (failed.length > 0) {
      out.push(`Error cancelling partition reassignment${failed.length === 1 ? '' : 's'} for:\n${failed.map((f) => `${tp(f)}: ${f.error!.message}`).join('\n')}\n`);
      doc['errors'] = failed.map((f) => ({ partition: tp(f), error: f.error!.message }));
      code = 1;
    } else out.push(`Successfully cancelled partition reassignment${active.length === 1 ? '' : 's'} for: ${active.map(tp).join(',')}\n`);
  } else out.push('None of the specified partition reassignments are active.\n');
  doc['cancelled'] = code === 0 ? active.map(tp) : [];
  out.push('None of the specified partition moves are active.\n');
  if (code === 0 && !bool(values, 'preserve-throttles')) await clearThrottles(admin, targets, out);
  return code;
}

async function listAll(admin: Admin, out: string[], doc: Record<string, unknown>): Promise<number> {
  const ongoing = (await admin.listPartitionReassignments()).sort(byPartition);
  doc['reassignments'] = ongoing.map((r) => ({ partition: tp(r), replicas: r.replicas, adding: r.addingReplicas, removing: r.removingReplicas }));
  if (ongoing.length === 0) out.push('No partition reassignments found.\n');
  else {
    const rows = ongoing.map(
      (r) =>
        `${tp(r)}: replicas: ${r.replicas.join(',')}.${r.addingReplicas.length > 0 ? ` adding: ${r.addingReplicas.join(',')}.` : ''}${r.removingReplicas.length > 0 ? ` removing: ${r.removingReplicas.join(',')}.` : ''}`,
    );
    out.push(`Current partition reassignments:\n${rows.join('\n')}\n`);
  }
  return 0;
}

export async function run(argv: string[], io: Io): Promise<number> {
  let admin: Admin | undefined;
  const out: string[] = [];
  const doc: Record<string, unknown> = {};
  let json = false;
  try {
    const { values } = parseFlags(spec, argv);
    if (bool(values, 'help')) {
      io.stdout.write(helpText(spec));
      return 0;
    }
    json = bool(values, 'json');
    const action = actionOf(values);
    doc['action'] = action;
    admin = adminFromFlags(values, io, 'samsa-reassign-partitions');
    const code =
      action === 'generate'
        ? await generate(admin, values, out, doc)
        : action === 'execute'
          ? await execute(admin, values, out, doc)
          : action === 'verify'
            ? await verify(admin, values, out, doc)
            : action === 'cancel'
              ? await cancel(admin, values, out, doc)
              : await listAll(admin, out, doc);
    await writeOut(io.stdout, json ? JSON.stringify(doc) + '\n' : out.join(''));
    return code;
  } catch (err) {
    // What was done before the failure (the rollback JSON above all) is still shown.
    if (!json && out.length > 0) await writeOut(io.stdout, out.join(''));
    return reportError(err, io);
  } finally {
    await admin?.close();
  }
}
