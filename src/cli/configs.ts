/**
 * `samsa configs`: Kafka's kafka-configs.sh for topic and broker configs and for the quotas of
 * users, client ids and ips (configs-quotas.ts), describe and alter.
 */
import { ConfigSourceName, KafkaError, ErrorCode, type Admin, type ConfigDescription, type ConfigResource } from '../client/index.js';
import { bool, list, str, UsageError, writeOut, type Io, type ParsedFlags, type ToolSpec } from './common.js';
import { COMMAND_CONFIG_FLAG, runAdminTool } from './client-config.js';
import { alterQuotaEntity, checkQuotaEntities, describeQuotaEntities, QUOTA_ENTITY_TYPES } from './configs-quotas.js';

export const spec: ToolSpec = {
  name: 'configs',
  summary: 'Describe and change topic and broker configs, and quotas of users, clients and ips.',
  usage: 'samsa configs --bootstrap-server <host:port> --entity-type topics|brokers|users|clients|ips|groups|client-metrics (--entity-name <name> | --entity-default) [--entity-type clients ...] (--describe [--all] [--json] | --alter [--add-config k=v,...] [--delete-config k,...])',
  flags: {
    'bootstrap-server': { type: 'string', value: 'host:port', help: 'The broker(s) to connect to, comma-separated.' },
    ...COMMAND_CONFIG_FLAG,
    'entity-type': { type: 'string', multiple: true, value: 'topics|brokers|users|clients|ips|groups|client-metrics', help: 'The kind of entity; users and clients may be given together (a user\'s client ids).' },
    'entity-name': { type: 'string', multiple: true, value: 'name', help: 'A topic, broker id, user, client id or ip, for the --entity-type before it (all of them with --describe when omitted).' },
    'entity-default': { type: 'boolean', multiple: true, help: 'The default entity of the --entity-type before it: all brokers, users, client ids or ips.' },
    topic: { type: 'string', value: 'name', help: 'Short for --entity-type topics --entity-name <name>.' },
    broker: { type: 'string', value: 'id', help: 'Short for --entity-type brokers --entity-name <id>.' },
    user: { type: 'string', value: 'principal', help: 'Short for --entity-type users --entity-name <principal>.' },
    client: { type: 'string', value: 'client-id', help: 'Short for --entity-type clients --entity-name <client-id>.' },
    ip: { type: 'string', value: 'address', help: 'Short for --entity-type ips --entity-name <address>.' },
    group: { type: 'string', value: 'group-id', help: 'Short for --entity-type groups --entity-name <group-id>.' },
    json: { type: 'boolean', help: 'With --describe of users, clients or ips: print the quotas as JSON.' },
    describe: { type: 'boolean', help: 'List the configs that are set (with --all: every config).' },
    all: { type: 'boolean', help: 'With --describe: every config, its value and where it comes from.' },
    alter: { type: 'boolean', help: 'Change configs with --add-config and --delete-config.' },
    'add-config': { type: 'string', multiple: true, value: 'k=v,k2=[a,b]', help: 'Configs to set, comma-separated; [] groups a list value.' },
    'delete-config': { type: 'string', multiple: true, value: 'k,k2', help: 'Configs to remove (back to their defaults), comma-separated.' },
  },
};

type EntityType = 'topics' | 'brokers' | 'groups' | 'client-metrics';

export async function run(argv: string[], io: Io): Promise<number> {
  return runAdminTool(spec, argv, io, async ({ values }, connect) => {
    const describe = bool(values, 'describe');
    const alter = bool(values, 'alter');
    if (describe === alter) throw new UsageError(`Give exactly one of --describe or --alter. Run 'samsa configs --help' for details.`);
    const { types, names } = entities(values, argv);
    const adds = parseAddConfig(list(values, 'add-config').join(','));
    const deletes = list(values, 'delete-config').flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
    if (alter && adds.size === 0 && deletes.length === 0) throw new UsageError('At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter');
    if (QUOTA_ENTITY_TYPES.includes(types[0]!)) {
      if (alter && names.length === 0) throw new UsageError('An entity-name or default entity must be specified with --alter of users, clients, brokers or ips');
      await checkQuotaEntities(types, names, alter);
      if (describe) await describeQuotaEntities(connect(), io, types, names, bool(values, 'json'));
      else await alterQuotaEntity(connect(), io, types, names, adds, deletes);
      return 0;
    }
    const { type, name } = topicOrBroker(types, names, describe);
    const admin = connect();
    if (describe) {
      await describeEntities(admin, io, type, name, bool(values, 'all'));
    } else {
      if (name === undefined) throw new UsageError(type === 'brokers' ? 'An entity-name or default entity must be specified with --alter of users, clients, brokers or ips' : `An entity name must be specified with --alter of ${type}`);
      await alterEntity(admin, io, type, name, adds, deletes);
    }
    return 0;
  });
}

const ENTITY_TYPES = ['topics', 'brokers', ...QUOTA_ENTITY_TYPES, 'groups', 'client-metrics'];

/**
 * The entity types and names in the order given (Kafka's ConfigCommandOptions): every
 * --entity-type, then the short flags; each --entity-name or --entity-default (a name '') in
 * command-line order, then the short flags' names. Kafka's checks of the types.
 */
export function entities(values: ParsedFlags, argv: string[]): { types: string[]; names: string[] } {
  const shortFlags = [['topic', 'topics'], ['client', 'clients'], ['user', 'users'], ['broker', 'brokers'], ['ip', 'ips'], ['group', 'groups']] as const;
  const given = shortFlags.filter(([flag]) => str(values, flag) !== undefined);
  const types = [...list(values, 'entity-type'), ...given.map(([, type]) => type)];
  const names: string[] = [];
  const typed = list(values, 'entity-name');
  for (const arg of argv) {
    if (arg === '--entity-default') names.push('');
    else if (arg === '--entity-name' || arg.startsWith('--entity-name=')) names.push(typed[names.filter((n) => n !== '').length] ?? '');
  }
  names.push(...given.map(([flag]) => str(values, flag)!));
  const duplicates = types.filter((t, i) => types.indexOf(t) !== i);
  if (duplicates.length > 0) throw new UsageError(`Duplicate entity type(s) specified: ${[...new Set(duplicates)].join(',')}`);
  for (const t of types) if (!ENTITY_TYPES.includes(t)) throw new UsageError(`Invalid entity type ${t}, the entity type must be one of ${ENTITY_TYPES.join(', ')} with a --bootstrap-server argument`);
  if (types.length === 0) throw new UsageError('At least one entity type must be specified');
  return { types, names };
}

function topicOrBroker(types: string[], names: string[], describe: boolean): { type: EntityType; name: string | undefined } {
  if (types.length > 1) throw new UsageError(`Only 'users' and 'clients' entity types may be specified together`);
  const type = types[0] as EntityType;
  const name = names[0];
  if (name === '' && type !== 'brokers') throw new UsageError(describe ? `--entity-default must not be specified with --describe of ${type}` : `--entity-default works with --entity-type brokers, users, clients or ips, not ${type}.`);
  return { type, name };
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

const RESOURCE_OF: Record<EntityType, ConfigResource['type']> = { topics: 'topic', brokers: 'broker', groups: 'group', 'client-metrics': 'client-metrics' };
/** Kafka's ConfigCommand names an entity in its lines by the singular of its type. */
const SINGULAR: Record<EntityType, string> = { topics: 'topic', brokers: 'broker', groups: 'group', 'client-metrics': 'client-metric' };

function resourceOf(type: EntityType, name: string): ConfigResource {
  return { type: RESOURCE_OF[type], name };
}

async function describeEntities(admin: Admin, io: Io, type: EntityType, name: string | undefined, all: boolean): Promise<void> {
  let names: string[];
  if (name !== undefined) names = [name];
  else if (type === 'topics') names = await admin.listTopics({ includeInternal: true });
  else if (type === 'groups') names = (await admin.listGroups()).map((g) => g.groupId).sort();
  else if (type === 'client-metrics') names = await admin.listClientMetricsResources();
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
  if (type === 'groups') return e.source === 8;
  if (type === 'client-metrics') return e.source === 7;
  return e.source === (name === '' ? 3 : 2);
}

function heading(type: EntityType, name: string, all: boolean): string {
  if (type === 'brokers' && name === '') return 'Default configs for brokers in the cluster are:';
  return `${all ? 'All' : 'Dynamic'} configs for ${SINGULAR[type]} ${name} are:`;
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
  const what = type === 'brokers' && name === '' ? 'default config for brokers in the cluster' : `config for ${SINGULAR[type]} ${name}`;
  io.stdout.write(`Completed updating ${what}.\n`);
}
