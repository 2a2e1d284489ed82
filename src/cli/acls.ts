/**
 * `samsa acls`: Kafka's kafka-acls.sh — add, remove and list ACLs with Kafka's flags, option
 * rules, sentences and output lines (`Current ACLs for resource `ResourcePattern(...)`:` and one
 * `(principal=..., host=..., operation=..., permissionType=...)` line per ACL); `--json` for a
 * machine. `--producer` and `--consumer` add the ACLs those roles need, as Kafka's tool does.
 */
import { createInterface } from 'node:readline';
import { acl, type AclBinding, type AclBindingFilter, type Admin } from '../client/index.js';
import { bool, list, str, UsageError, writeOut, type Io, type ParsedFlags, type ToolSpec } from './common.js';
import { COMMAND_CONFIG_FLAG, runAdminTool } from './client-config.js';

const { AclOperationCode: Op, PatternType, PermissionType, ResourceType } = acl;

export const spec: ToolSpec = {
  name: 'acls',
  summary: 'Add, remove and list ACLs.',
  usage: 'samsa acls --bootstrap-server <host:port> (--add | --remove [--force] | --list) [--allow-principal User:x] [--operation Read] (--topic t | --group g | --cluster | --transactional-id id) [--resource-pattern-type literal|prefixed|any|match] [--producer [--idempotent]] [--consumer]',
  flags: {
    'bootstrap-server': { type: 'string', value: 'host:port', help: 'The broker(s) to connect to, comma-separated.' },
    ...COMMAND_CONFIG_FLAG,
    add: { type: 'boolean', help: 'Add ACLs.' },
    remove: { type: 'boolean', help: 'Remove ACLs.' },
    list: { type: 'boolean', help: 'List ACLs (of the resources given, else all).' },
    force: { type: 'boolean', help: 'Remove without asking.' },
    'allow-principal': { type: 'string', multiple: true, value: 'Type:name', help: 'A principal to allow, e.g. User:alice (User:* for everyone).' },
    'deny-principal': { type: 'string', multiple: true, value: 'Type:name', help: 'A principal to deny.' },
    'allow-host': { type: 'string', multiple: true, value: 'ip', help: 'Hosts the allowed principals may connect from (default *).' },
    'deny-host': { type: 'string', multiple: true, value: 'ip', help: 'Hosts the denied principals are refused from (default *).' },
    principal: { type: 'string', multiple: true, value: 'Type:name', help: 'With --list: only the ACLs of this principal.' },
    operation: { type: 'string', multiple: true, value: 'op', help: 'Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, All (default All).' },
    topic: { type: 'string', multiple: true, value: 'name', help: 'A topic (* for all; a prefix with --resource-pattern-type prefixed).' },
    group: { type: 'string', multiple: true, value: 'name', help: 'A consumer group.' },
    cluster: { type: 'boolean', help: 'The cluster.' },
    'transactional-id': { type: 'string', multiple: true, value: 'id', help: 'A transactional id.' },
    'delegation-token': { type: 'string', multiple: true, value: 'id', help: 'A delegation token.' },
    'resource-pattern-type': { type: 'string', value: 'type', help: 'literal (default), prefixed; for --list and --remove also any or match.' },
    producer: { type: 'boolean', help: 'The ACLs a producer needs: Write, Describe, Create on topics (Write, Describe on transactional ids).' },
    consumer: { type: 'boolean', help: 'The ACLs a consumer needs: Read, Describe on topics, Read on the group.' },
    idempotent: { type: 'boolean', help: 'With --producer: IdempotentWrite on the cluster too.' },
    json: { type: 'boolean', help: 'Print the ACLs as JSON.' },
  },
};

type Entry = Pick<AclBinding, 'principal' | 'host' | 'operation' | 'permissionType'>;
type Pattern = Pick<AclBindingFilter, 'resourceType' | 'resourceName' | 'patternType'>;

const CLUSTER_PATTERN: Pattern = { resourceType: ResourceType.CLUSTER, resourceName: acl.CLUSTER_NAME, patternType: PatternType.LITERAL };

export async function run(argv: string[], io: Io): Promise<number> {
  return runAdminTool(spec, argv, io, async ({ values }, connect) => {
    const actions = ['add', 'remove', 'list'].filter((a) => bool(values, a));
    if (actions.length !== 1) throw new UsageError('Command must include exactly one action: --list, --add, --remove.');
    checkOptions(values);
    const patternType = patternTypeOf(values);
    if (bool(values, 'list')) return listAcls(connect(), io, values, patterns(values, patternType, false));
    const toAcls = resourceAcls(values, patternType);
    if (bool(values, 'add')) {
      if (patternType !== PatternType.LITERAL && patternType !== PatternType.PREFIXED)
        throw new UsageError(`A '--resource-pattern-type' value of '${acl.patternTypeName(patternType)}' is not valid when adding acls.`);
      if ([...toAcls.values()].some((a) => a.entries.length === 0)) throw new UsageError('You must specify one of: --allow-principal, --deny-principal when trying to add ACLs.');
      const admin = connect();
      for (const { pattern, entries } of toAcls.values()) {
        await writeOut(io.stdout, `Adding ACLs for resource \`${acl.patternText(pattern)}\`: \n ${entries.map((e) => `\t${acl.entryText(e)}`).join('\n')} \n\n`);
        await admin.createAcls(entries.map((e) => ({ ...pattern, resourceName: pattern.resourceName!, ...e })));
      }
      return 0;
    }
    const admin = connect();
    for (const { pattern, entries } of toAcls.values()) {
      const question = entries.length === 0
        ? `Are you sure you want to delete all ACLs for resource filter \`${acl.patternText(pattern)}\`? (y/n)`
        : `Are you sure you want to remove ACLs: \n ${entries.map((e) => `\t${acl.entryText(e)}`).join('\n')} \n from resource filter \`${acl.patternText(pattern)}\`? (y/n)`;
      if (!(await confirm(values, io, question))) continue;
      const any = { principal: null, host: null, operation: Op.ANY, permissionType: PermissionType.ANY };
      await admin.deleteAcls(entries.length === 0 ? [{ ...pattern, ...any }] : entries.map((e) => ({ ...pattern, ...e })));
    }
    return 0;
  });
}

/** Kafka's AclCommandOptions.checkArgs. */
function checkOptions(values: ParsedFlags): void {
  const has = (f: string) => values[f] !== undefined && values[f] !== false;
  const incompatible = (main: string, others: string[]) => {
    for (const o of others) if (has(main) && has(o)) throw new UsageError(`Option "[${main}]" can't be used with option "[${o}]".`);
  };
  incompatible('list', ['producer', 'consumer', 'allow-host', 'allow-principal', 'deny-host', 'deny-principal']);
  incompatible('producer', ['operation', 'deny-principal', 'deny-host']);
  incompatible('consumer', ['operation', 'deny-principal', 'deny-host']);
  if (has('principal') && !has('list')) throw new UsageError('The --principal option is only available if --list is set.');
  if (has('producer') && !has('topic')) throw new UsageError('With --producer you must specify a --topic.');
  if (has('idempotent') && !has('producer')) throw new UsageError('The --idempotent option is only available if --producer is set.');
  if (has('consumer') && (!has('topic') || !has('group') || (!has('producer') && (has('cluster') || has('transactional-id')))))
    throw new UsageError('With --consumer you must specify a --topic and a --group and no --cluster or --transactional-id option should be specified.');
  if (has('force') && !has('remove')) throw new UsageError('--force goes with --remove.');
}

function patternTypeOf(values: ParsedFlags): number {
  const text = str(values, 'resource-pattern-type') ?? 'literal';
  const code = acl.patternTypeFromName(text);
  if (code === undefined || code === PatternType.UNKNOWN) throw new UsageError(`Unknown resource-pattern-type: ${text}`);
  return code;
}

/** Kafka's getResourceFilter: the resources named by the flags. */
function patterns(values: ParsedFlags, patternType: number, required: boolean): Pattern[] {
  const out: Pattern[] = [];
  const named = (flag: string, resourceType: number) => {
    for (const name of list(values, flag)) out.push({ resourceType, resourceName: name.trim(), patternType });
  };
  named('topic', ResourceType.TOPIC);
  if (patternType === PatternType.LITERAL && (bool(values, 'cluster') || bool(values, 'idempotent'))) out.push(CLUSTER_PATTERN);
  named('group', ResourceType.GROUP);
  named('transactional-id', ResourceType.TRANSACTIONAL_ID);
  named('delegation-token', ResourceType.DELEGATION_TOKEN);
  if (out.length === 0 && required) throw new UsageError('You must provide at least one resource: --topic <topic> or --cluster or --group <group> or --delegation-token <Delegation Token ID>');
  return out;
}

/** The ACL entries of the principal and host flags for the operations given. */
function entries(values: ParsedFlags, operations: readonly number[]): Entry[] {
  const out: Entry[] = [];
  for (const [principals, hosts, permissionType] of [['allow-principal', 'allow-host', PermissionType.ALLOW], ['deny-principal', 'deny-host', PermissionType.DENY]] as const) {
    const ps = [...new Set(list(values, principals).map((p) => p.trim()))];
    for (const p of ps) {
      const problem = acl.principalError(p);
      if (problem !== null) throw new UsageError(problem);
    }
    const hs = list(values, hosts).length > 0 ? [...new Set(list(values, hosts).map((h) => h.trim()))] : [acl.WILDCARD];
    for (const principal of ps) for (const operation of operations) for (const host of hs) out.push({ principal, host, operation, permissionType });
  }
  return out;
}

/** Kafka's getResourceFilterToAcls: each resource with the ACLs to add or remove on it. */
function resourceAcls(values: ParsedFlags, patternType: number): Map<string, { pattern: Pattern; entries: Entry[] }> {
  const out = new Map<string, { pattern: Pattern; entries: Entry[] }>();
  const put = (pattern: Pattern, es: Entry[]) => {
    const key = JSON.stringify(pattern);
    const at = out.get(key);
    if (at === undefined) out.set(key, { pattern, entries: es });
    else for (const e of es) if (!at.entries.some((x) => JSON.stringify(x) === JSON.stringify(e))) at.entries.push(e);
  };
  const all = patterns(values, patternType, true);
  const producer = bool(values, 'producer');
  const consumer = bool(values, 'consumer');
  if (!producer && !consumer) {
    const ops = list(values, 'operation').length === 0 ? [Op.ALL] : list(values, 'operation').map(operationCode);
    for (const p of all) put(p, entries(values, ops));
  }
  if (producer) {
    for (const p of all) {
      if (p.resourceType === ResourceType.TOPIC) put(p, entries(values, [Op.WRITE, Op.DESCRIBE, Op.CREATE]));
      if (p.resourceType === ResourceType.TRANSACTIONAL_ID) put(p, entries(values, [Op.WRITE, Op.DESCRIBE]));
    }
    if (bool(values, 'idempotent')) put(CLUSTER_PATTERN, entries(values, [Op.IDEMPOTENT_WRITE]));
  }
  if (consumer) {
    for (const p of all) {
      if (p.resourceType === ResourceType.TOPIC) put(p, entries(values, [Op.READ, Op.DESCRIBE]));
      if (p.resourceType === ResourceType.GROUP) put(p, entries(values, [Op.READ]));
    }
  }
  for (const { pattern, entries: es } of out.values()) {
    const valid = [...(acl.SUPPORTED_OPERATIONS.get(pattern.resourceType) ?? []), Op.ALL];
    if (es.some((e) => !valid.includes(e.operation)))
      throw new UsageError(`ResourceType ${acl.resourceTypeName(pattern.resourceType)} only supports operations ${valid.map(acl.operationName).join(', ')}`);
  }
  return out;
}

function operationCode(name: string): number {
  const code = acl.operationFromName(name);
  if (code === undefined || code === Op.ANY || code === Op.UNKNOWN) throw new UsageError(`Unknown operation '${name}': use Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite or All.`);
  return code;
}

async function confirm(values: ParsedFlags, io: Io, question: string): Promise<boolean> {
  if (bool(values, 'force')) return true;
  if ((io.stdin as { isTTY?: boolean }).isTTY !== true) throw new UsageError('--remove asks before removing ACLs, and there is no terminal to answer on; add --force to remove without asking.');
  await writeOut(io.stdout, `${question}\n`);
  const rl = createInterface({ input: io.stdin });
  const answer = await new Promise<string>((resolve) => rl.once('line', resolve).once('close', () => resolve('')));
  rl.close();
  return answer.trim().toLowerCase() === 'y';
}

async function listAcls(admin: Admin, io: Io, values: ParsedFlags, filters: Pattern[]): Promise<number> {
  const any = { principal: null, host: null, operation: Op.ANY, permissionType: PermissionType.ANY };
  const found = filters.length === 0
    ? await admin.describeAcls({ resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, ...any })
    : (await Promise.all(filters.map((f) => admin.describeAcls({ ...f, ...any })))).flat();
  const byResource = new Map<string, { pattern: Pattern; entries: Entry[] }>();
  for (const b of found) {
    const pattern = { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType };
    const key = JSON.stringify(pattern);
    let r = byResource.get(key);
    if (r === undefined) byResource.set(key, (r = { pattern, entries: [] }));
    if (!r.entries.some((e) => e.principal === b.principal && e.host === b.host && e.operation === b.operation && e.permissionType === b.permissionType)) r.entries.push(b);
  }
  const principals = list(values, 'principal').map((p) => p.trim());
  const sections = principals.length === 0 ? [{ title: null as string | null, only: null as string | null }] : principals.map((p) => ({ title: `ACLs for principal \`${p}\`\n`, only: p }));
  let text = '';
  const json: unknown[] = [];
  for (const { title, only } of sections) {
    if (title !== null && !bool(values, 'json')) text += title;
    for (const { pattern, entries: es } of byResource.values()) {
      const shown = only === null ? es : es.filter((e) => e.principal === only);
      if (shown.length === 0) continue;
      text += `Current ACLs for resource \`${acl.patternText(pattern)}\`: \n ${shown.map((e) => `\t${acl.entryText(e)}`).join('\n')} \n\n`;
      json.push({
        resourceType: acl.resourceTypeName(pattern.resourceType), name: pattern.resourceName, patternType: acl.patternTypeName(pattern.patternType),
        acls: shown.map((e) => ({ principal: e.principal, host: e.host, operation: acl.operationName(e.operation), permissionType: acl.permissionName(e.permissionType) })),
      });
    }
  }
  await writeOut(io.stdout, bool(values, 'json') ? `${JSON.stringify(json, null, 2)}\n` : text);
  return 0;
}
