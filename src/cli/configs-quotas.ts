/**
 * kafka-configs.sh for quota entities: `--entity-type users|clients|ips` (users and clients
 * together for a user's client ids), each with `--entity-name` or `--entity-default`. Kafka's
 * ConfigCommand routes a users entity's keys by kind: quota keys go to AlterClientQuotas, SCRAM
 * mechanism keys (`SCRAM-SHA-256=[iterations=8192,password=…]`, `--delete-config SCRAM-SHA-256`)
 * to AlterUserScramCredentials; `--describe` of users lists both.
 */
import { ErrorCode, KafkaError, type Admin, type ClientQuotaEntity, type ClientQuotaEntry, type ClientQuotaFilterComponent, type ScramAlteration } from '../client/index.js';
import { isIpQuotaKey, isResolvable, isUserOrClientQuotaKey } from '../cluster/client-quotas.js';
import { UsageError, writeOut, type Io } from './common.js';

export type QuotaEntityType = 'users' | 'clients' | 'ips';

export const QUOTA_ENTITY_TYPES: readonly string[] = ['users', 'clients', 'ips'];

const API_TYPE: Record<QuotaEntityType, string> = { users: 'user', clients: 'client-id', ips: 'ip' };
const SHOWN_TYPE: Record<string, string> = { user: 'user-principal', 'client-id': 'client-id', ip: 'ip' };
const SCRAM_MECHANISMS = new Set(['SCRAM-SHA-256', 'SCRAM-SHA-512']);

/**
 * The entity types and names as given, in order; a name '' is `--entity-default`. Kafka's checks
 * of the combination: types once each, users and clients the only pair, a resolvable ip.
 */
export async function checkQuotaEntities(types: string[], names: string[], alter: boolean): Promise<void> {
  if (types.length > 1 && !(types.length === 2 && types.includes('users') && types.includes('clients')))
    throw new UsageError(`Only 'users' and 'clients' entity types may be specified together`);
  if (alter && names.length !== types.length) throw new UsageError('--entity-name or --entity-default must be specified with each --entity-type for --alter');
  if (names.length > types.length) throw new UsageError('More entity names specified than entity types');
  if (types[0] === 'ips' && names[0] !== undefined && names[0] !== '' && !(await isResolvable(names[0])))
    throw new UsageError(`The entity name for ips must be a valid IP or resolvable host, but it is: ${names[0]}`);
}

/** Kafka's filter for the entities named: a name exactly, '' the default, no name any entity of the type; nothing else. */
function filterOf(types: string[], names: string[]): ClientQuotaFilterComponent[] {
  return types.map((t, i) => {
    const entityType = API_TYPE[t as QuotaEntityType];
    const name = names[i];
    if (name === undefined) return { entityType, match: 'specified' };
    return name === '' ? { entityType, match: 'default' } : { entityType, match: 'exact', name };
  });
}

/** `--describe`: Kafka's line per entity ("Quota configs for user-principal 'alice' are producer_byte_rate=1024.0"), or JSON. */
export async function describeQuotaEntities(admin: Admin, io: Io, types: string[], names: string[], json: boolean): Promise<void> {
  const entries = await admin.describeClientQuotas(filterOf(types, names), { strict: true });
  if (json) {
    await writeOut(io.stdout, `${JSON.stringify(entries.map((e) => ({ entity: e.entity, quotas: e.values })), null, 2)}\n`);
    return;
  }
  const lines = entries.map((e) => `${quotaLine(e)}\n`);
  // As Kafka: a users entity (not the default, not with clients) lists its SCRAM credentials too.
  if (types.length === 1 && types[0] === 'users' && names[0] !== '') {
    const credentials = await admin.describeUserScramCredentials(names[0] === undefined ? [] : [names[0]]);
    for (const [user, infos] of credentials)
      lines.push(`SCRAM credential configs for user-principal '${user}' are ${infos.map((c) => `${c.mechanism}=iterations=${c.iterations}`).join(', ')}\n`);
  }
  await writeOut(io.stdout, lines.join(''));
}

export function quotaLine(e: ClientQuotaEntry): string {
  const entity = ['user', 'client-id', 'ip']
    .filter((t) => t in e.entity)
    .map((t) => (e.entity[t] === null ? `the default ${SHOWN_TYPE[t]}` : `${SHOWN_TYPE[t]} '${e.entity[t]}'`))
    .join(', ');
  const values = Object.entries(e.values).map(([k, v]) => `${k}=${javaDouble(v)}`).join(', ');
  return `Quota configs for ${entity} are ${values}`;
}

/** Java's Double.toString, as Kafka prints quota values: 1024.0, 0.5, 1.048576E7. */
export function javaDouble(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(v);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(v);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exponent] = v.toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

/**
 * `--alter`: the keys are split as Kafka's ConfigCommand splits them — quota keys to
 * AlterClientQuotas, SCRAM keys (users only) to the credentials call — with Kafka's refusals.
 */
export async function alterQuotaEntity(admin: Admin, io: Io, types: string[], names: string[], adds: Map<string, string>, deletes: string[]): Promise<void> {
  const head = types[0] as QuotaEntityType;
  const addKeys = [...adds.keys()];
  if (head === 'ips') {
    const unknown = [...addKeys, ...deletes].filter((k) => !isIpQuotaKey(k));
    if (unknown.length > 0) throw new UsageError(`Only connection quota configs can be added for 'ips' using --bootstrap-server. Unexpected config names: ${unknown.join(',')}`);
    await alterQuotas(admin, types, names, adds, deletes);
  } else {
    const isScram = (k: string): boolean => SCRAM_MECHANISMS.has(k);
    const scramAdds = addKeys.filter(isScram);
    const scramDeletes = deletes.filter(isScram);
    const unknownAdds = addKeys.filter((k) => !isScram(k) && !isUserOrClientQuotaKey(k));
    const unknownDeletes = deletes.filter((k) => !isScram(k) && !isUserOrClientQuotaKey(k));
    const hasQuota = addKeys.some(isUserOrClientQuotaKey) || deletes.some(isUserOrClientQuotaKey);
    if (head === 'clients' || types.length === 2) {
      if (unknownAdds.length > 0 || scramAdds.length > 0)
        throw new UsageError(`Only quota configs can be added for 'clients' using --bootstrap-server. Unexpected config names: ${[...unknownAdds, ...scramAdds].join(',')}`);
      if (unknownDeletes.length > 0 || scramDeletes.length > 0)
        throw new UsageError(`Only quota configs can be deleted for 'clients' using --bootstrap-server. Unexpected config names: ${[...unknownDeletes, ...scramDeletes].join(',')}`);
    } else {
      if (unknownAdds.length > 0) throw new UsageError(`Only quota and SCRAM credential configs can be added for 'users' using --bootstrap-server. Unexpected config names: ${unknownAdds.join(',')}`);
      if (unknownDeletes.length > 0) throw new UsageError(`Only quota and SCRAM credential configs can be deleted for 'users' using --bootstrap-server. Unexpected config names: ${unknownDeletes.join(',')}`);
      if (scramAdds.length > 0 || scramDeletes.length > 0) {
        if (names.includes('')) throw new UsageError('The use of --entity-default or --user-defaults is not allowed with User SCRAM Credentials using --bootstrap-server.');
        if (hasQuota) throw new UsageError(`Cannot alter both quota and SCRAM credential configs simultaneously for 'users' using --bootstrap-server.`);
      }
    }
    if (hasQuota) await alterQuotas(admin, types, names, adds, deletes);
    else await alterScramCredentials(admin, names[0]!, new Map(scramAdds.map((k) => [k, adds.get(k)!])), scramDeletes);
  }
  io.stdout.write(names[0] !== '' ? `Completed updating config for ${head.slice(0, -1)} ${names[0]}.\n` : `Completed updating default config for ${head} in the cluster.\n`);
}

/** Kafka's alterQuotaConfigs: a key to delete must be set; every value a number. */
async function alterQuotas(admin: Admin, types: string[], names: string[], adds: Map<string, string>, deletes: string[]): Promise<void> {
  const current = (await admin.describeClientQuotas(filterOf(types, names), { strict: true }))[0]?.values ?? {};
  const missing = deletes.filter((k) => !(k in current));
  if (missing.length > 0) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Invalid config(s): ${missing.join(',')}`);
  const ops: Record<string, number | null> = {};
  for (const [k, text] of adds) {
    const value = Number(text.trim());
    if (text.trim() === '' || Number.isNaN(value)) throw new UsageError(`Cannot parse quota configuration value for ${k}: ${text}`);
    ops[k] = value;
  }
  for (const k of deletes) ops[k] = null;
  const entity: ClientQuotaEntity = {};
  types.forEach((t, i) => (entity[API_TYPE[t as QuotaEntityType]] = names[i] === '' ? null : names[i]!));
  await admin.alterClientQuotas([{ entity, ops }]);
}

/**
 * Kafka's alterUserScramCredentialConfigs: each added mechanism's value is `iterations=N,password=P`
 * (iterations optional, 4096); the password is salted and hashed by the admin client, never sent.
 */
async function alterScramCredentials(admin: Admin, user: string, adds: Map<string, string>, deletes: string[]): Promise<void> {
  const alterations: ScramAlteration[] = [];
  for (const [mechanism, value] of adds) {
    const props = new Map<string, string>();
    for (const part of value.split(',')) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new UsageError(`${mechanism}: expected iterations=<n>,password=<password>, not '${value.replace(/password=.*/, 'password=…')}'.`);
      props.set(part.slice(0, eq).trim(), part.slice(eq + 1));
    }
    const unknown = [...props.keys()].filter((k) => k !== 'iterations' && k !== 'password');
    if (unknown.length > 0) throw new UsageError(`${mechanism}: unknown credential properties ${unknown.join(',')}; give iterations=<n> (optional) and password=<password>.`);
    const password = props.get('password');
    if (password === undefined || password === '') throw new UsageError(`${mechanism}: give the password, as ${mechanism}=[password=<password>] (or [iterations=8192,password=<password>]).`);
    const iterationsText = props.get('iterations');
    const iterations = iterationsText === undefined ? undefined : Number(iterationsText);
    if (iterations !== undefined && !(Number.isInteger(iterations) && iterations > 0)) throw new UsageError(`${mechanism}: iterations must be a whole number, not '${iterationsText}'.`);
    alterations.push({ type: 'upsert', user, mechanism: mechanism as ScramAlteration['mechanism'], password, ...(iterations !== undefined ? { iterations } : {}) });
  }
  for (const mechanism of deletes) alterations.push({ type: 'delete', user, mechanism: mechanism as ScramAlteration['mechanism'] });
  const results = await admin.alterUserScramCredentials(alterations);
  const failed = [...results.values()].find((e) => e !== null);
  if (failed != null) throw failed;
}
