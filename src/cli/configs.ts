/** `samsa configs`: Kafka's kafka-configs.sh for topic and broker configs (describe, alter). */
import { ConfigSourceName, KafkaError, ErrorCode, type Admin, type ConfigDescription, type ConfigResource } from '../client/index.js';
import { bool, list, parseFlags, str, UsageError, writeOut, type Io, type ToolSpec } from './common.js';
import { COMMAND_CONFIG_FLAG, runAdminTool } from './client-config.js';

export const spec: ToolSpec = {
  name: 'configs',
  summary: 'Describe and change topic and broker configs.',
  usage: 'samsa configs --bootstrap-server <host:port> --entity-type topics|brokers (--entity-name <name> | --entity-default) (--describe [--all] | --alter [--add-config k=v,...] [--delete-config k,...])',
  flags: {
    'bootstrap-server': { type: 'string', value: 'host:port', help: 'The broker(s) to connect to, comma-separated.' },
    ...COMMAND_CONFIG_FLAG,
    'entity-type': { type: 'string', value: 'topics|brokers', help: 'The kind of entity.' },
    'entity-name': { type: 'string', value: 'name', help: 'A topic name or broker id (all of them with --describe when omitted).' },
    'entity-default': { type: 'boolean', help: 'With --entity-type brokers: the cluster-wide default for all brokers.' },
    topic: { type: 'string', value: 'name', help: 'Short for --entity-type topics --entity-name <name>.' },
    broker: { type: 'string', value: 'id', help: 'Short for --entity-type brokers --entity-name <id>.' },
    describe: { type: 'boolean', help: 'List the configs that are set (with --all: every config).' },
    all: { type: 'boolean', help: 'With --describe: every config, its value and where it comes from.' },
    alter: { type: 'boolean', help: 'Change configs with --add-config and --delete-config.' },
    'add-config': { type: 'string', multiple: true, value: 'k=v,k2=[a,b]', help: 'Configs to set, comma-separated; [] groups a list value.' },
    'delete-config': { type: 'string', multiple: true, value: 'k,k2', help: 'Configs to remove (back to their defaults), comma-separated.' },
  },
};

type EntityType = 'topics' | 'brokers';

export async function run(argv: string[], io: Io): Promise<number> {
  return runAdminTool(spec, argv, io, async ({ values }, connect) => {
    const describe = bool(values, 'describe');
    const alter = bool(values, 'alter');
    if (describe === alter) throw new UsageError(`Give exactly one of --describe or --alter. Run 'samsa configs --help' for details.`);
    const { type, name } = entity(values);
    const admin = connect();
    if (describe) {
      await describeEntities(admin, io, type, name, bool(values, 'all'));
    } else {
      if (name === undefined) throw new UsageError(`--alter needs --entity-name (or --entity-default for brokers).`);
      const adds = parseAddConfig(list(values, 'add-config').join(','));
      const deletes = list(values, 'delete-config').flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
      if (adds.size === 0 && deletes.length === 0) throw new UsageError(`--alter needs --add-config or --delete-config.`);
      await alterEntity(admin, io, type, name, adds, deletes);
    }
    return 0;
  });
}

function entity(values: ReturnType<typeof parseFlags>['values']): { type: EntityType; name: string | undefined } {
  const topic = str(values, 'topic');
  const broker = str(values, 'broker');
  if (topic !== undefined) return { type: 'topics', name: topic };
  if (broker !== undefined) return { type: 'brokers', name: broker };
  const type = str(values, 'entity-type');
  if (type === undefined) throw new UsageError(`--entity-type is required: topics or brokers.`);
  if (type !== 'topics' && type !== 'brokers') throw new UsageError(`--entity-type must be topics or brokers, not '${type}'.`);
  if (bool(values, 'entity-default')) {
    if (type !== 'brokers') throw new UsageError(`--entity-default works with --entity-type brokers only.`);
    return { type, name: '' };
  }
  return { type, name: str(values, 'entity-name') };
}

/** Kafka's --add-config syntax: k=v pairs separated by commas; a value in [] may hold commas. */
export function parseAddConfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let depth = 0;
  let current = '';
  const items: string[] = [];
  for (const ch of text) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      items.push(current);
      current = '';
    } else current += ch;
  }
  items.push(current);
  for (const item of items.map((s) => s.trim()).filter((s) => s !== '')) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--add-config expects key=value pairs separated by commas, not '${item}'.`);
    let value = item.slice(eq + 1).trim();
    if (value.startsWith('[') && value.endsWith(']')) value = value.slice(1, -1);
    out.set(item.slice(0, eq).trim(), value);
  }
  return out;
}

function resourceOf(type: EntityType, name: string): ConfigResource {
  return { type: type === 'topics' ? 'topic' : 'broker', name };
}

async function describeEntities(admin: Admin, io: Io, type: EntityType, name: string | undefined, all: boolean): Promise<void> {
  let names: string[];
  if (name !== undefined) names = [name];
  else if (type === 'topics') names = await admin.listTopics({ includeInternal: true });
  else names = (await admin.describeCluster()).brokers.map((b) => String(b.nodeId)).sort((a, b) => Number(a) - Number(b));
  let out = '';
  for (const n of names) {
    const resource = resourceOf(type, n);
    const described = await admin.describeConfigs([resource], { includeSynonyms: true });
    const entries = (described.get(resource) ?? []).filter((e) => all || shownWithoutAll(type, n, e));
    out += `${heading(type, n, all)}\n`;
    for (const e of entries) out += `  ${formatEntry(e)}\n`;
  }
  await writeOut(io.stdout, out);
}

/** Without --all Kafka shows only what was set dynamically on this very entity. */
function shownWithoutAll(type: EntityType, name: string, e: ConfigDescription): boolean {
  if (type === 'topics') return e.source === 1;
  return e.source === (name === '' ? 3 : 2);
}

function heading(type: EntityType, name: string, all: boolean): string {
  if (type === 'brokers' && name === '') return 'Default configs for brokers in the cluster are:';
  return `${all ? 'All' : 'Dynamic'} configs for ${type === 'topics' ? 'topic' : 'broker'} ${name} are:`;
}

/** Kafka's line: `name=value sensitive=false synonyms={SOURCE:key=value, ...}`. */
export function formatEntry(e: ConfigDescription): string {
  const synonyms = e.synonyms.map((s) => `${ConfigSourceName[s.source] ?? s.source}:${s.name}=${s.value}`).join(', ');
  return `${e.name}=${e.isSensitive ? null : e.value} sensitive=${e.isSensitive} synonyms={${synonyms}}`;
}

async function alterEntity(admin: Admin, io: Io, type: EntityType, name: string, adds: Map<string, string>, deletes: string[]): Promise<void> {
  const resource = resourceOf(type, name);
  if (deletes.length > 0) {
    // Kafka refuses to delete a key that is not set on the entity.
    const current = (await admin.describeConfigs([resource])).get(resource) ?? [];
    const set = new Set(current.filter((e) => shownWithoutAll(type, name, e)).map((e) => e.name));
    const missing = deletes.filter((k) => !set.has(k));
    if (missing.length > 0) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Invalid config(s): ${missing.join(',')}`);
  }
  await admin.incrementalAlterConfigs(resource, [
    ...[...adds].map(([k, v]) => ({ name: k, op: 'set' as const, value: v })),
    ...deletes.map((k) => ({ name: k, op: 'delete' as const })),
  ]);
  const what = type === 'brokers' && name === '' ? 'default config for brokers in the cluster' : `config for ${type === 'topics' ? 'topic' : 'broker'} ${name}`;
  io.stdout.write(`Completed updating ${what}.\n`);
}
