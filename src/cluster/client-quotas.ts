/**
 * Client quotas in the cluster metadata (KIP-546), as Kafka's ClientQuotaControlManager keeps
 * them: one keyed record per (entity, quota key) holding the value, like Kafka's
 * ClientQuotaRecord, so a change is a blind put or delete and two brokers altering different keys
 * of one entity never overwrite each other. An entity names a user, a client id or both, or an ip;
 * a null name is that type's default entity.
 *
 * Record key: Kafka's old ZooKeeper path for the entity, each name URI-encoded and `<default>` for
 * a default (`users/alice/clients/app`, `users/<default>`, `clients/a%2Fb`, `ips/10.0.0.1`), then
 * `:` and the quota key. encodeURIComponent escapes `/`, `:`, `<` and `>`, so any name round-trips.
 * Also here: Kafka's checks of an alteration (with its sentences) and DescribeClientQuotas'
 * filters (ClientQuotasImage.describe).
 */
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { KeyedChange } from './store/keyed-records.js';

export const USER = 'user';
export const CLIENT_ID = 'client-id';
export const IP = 'ip';
export type EntityType = typeof USER | typeof CLIENT_ID | typeof IP;

/** An entity: each type it names, with a name or null for that type's default. */
export type QuotaEntity = Partial<Record<EntityType, string | null>>;

export const PRODUCER_BYTE_RATE = 'producer_byte_rate';
export const CONSUMER_BYTE_RATE = 'consumer_byte_rate';
export const REQUEST_PERCENTAGE = 'request_percentage';
export const CONTROLLER_MUTATION_RATE = 'controller_mutation_rate';
export const CONNECTION_CREATION_RATE = 'connection_creation_rate';

/** Kafka's ConfigDef type of each quota key (QuotaConfig): integral keys refuse fractions. */
type QuotaKeyType = 'long' | 'int' | 'double';
const USER_CLIENT_KEYS: ReadonlyMap<string, QuotaKeyType> = new Map([
  [PRODUCER_BYTE_RATE, 'long'], [CONSUMER_BYTE_RATE, 'long'], [REQUEST_PERCENTAGE, 'double'], [CONTROLLER_MUTATION_RATE, 'double'],
]);
const IP_KEYS: ReadonlyMap<string, QuotaKeyType> = new Map([[CONNECTION_CREATION_RATE, 'int']]);

/** Whether a key is one of the user/client-id quotas (the configs CLI routes SCRAM keys elsewhere). */
export function isUserOrClientQuotaKey(key: string): boolean {
  return USER_CLIENT_KEYS.has(key);
}

export function isIpQuotaKey(key: string): boolean {
  return IP_KEYS.has(key);
}

const DEFAULT_NAME = '<default>';
const PATH_SEGMENT: Record<EntityType, string> = { [USER]: 'users', [CLIENT_ID]: 'clients', [IP]: 'ips' };
const SEGMENT_TYPE = new Map<string, EntityType>(Object.entries(PATH_SEGMENT).map(([t, s]) => [s, t as EntityType]));
/** Path order: a user before its clients, as Kafka's /config/users/<user>/clients/<client-id>. */
const TYPE_ORDER: readonly EntityType[] = [USER, CLIENT_ID, IP];

/** The entity's path, the first half of its records' keys. */
export function entityPath(e: QuotaEntity): string {
  const parts: string[] = [];
  for (const t of TYPE_ORDER) {
    if (!(t in e)) continue;
    const name = e[t];
    parts.push(PATH_SEGMENT[t], name === null || name === undefined ? DEFAULT_NAME : encodeURIComponent(name));
  }
  return parts.join('/');
}

export function recordKey(e: QuotaEntity, quotaKey: string): string {
  return `${entityPath(e)}:${quotaKey}`;
}

/** The entity and quota key of a record key; null for a key this code did not write. */
export function parseRecordKey(key: string): { entity: QuotaEntity; path: string; quotaKey: string } | null {
  const colon = key.lastIndexOf(':');
  if (colon <= 0) return null;
  const path = key.slice(0, colon);
  const parts = path.split('/');
  if (parts.length % 2 !== 0) return null;
  const entity: QuotaEntity = {};
  for (let i = 0; i < parts.length; i += 2) {
    const type = SEGMENT_TYPE.get(parts[i]!);
    if (type === undefined || type in entity) return null;
    try {
      entity[type] = parts[i + 1] === DEFAULT_NAME ? null : decodeURIComponent(parts[i + 1]!);
    } catch {
      return null;
    }
  }
  return { entity, path, quotaKey: key.slice(colon + 1) };
}

export interface QuotaEntry {
  entity: QuotaEntity;
  values: Map<string, number>;
}

/** Every entity with quotas, by path, from the store's quota records. */
export function quotaEntries(records: ReadonlyMap<string, unknown>): Map<string, QuotaEntry> {
  const out = new Map<string, QuotaEntry>();
  for (const [key, value] of records) {
    const parsed = parseRecordKey(key);
    if (parsed === null || typeof value !== 'number') continue;
    let entry = out.get(parsed.path);
    if (entry === undefined) out.set(parsed.path, (entry = { entity: parsed.entity, values: new Map() }));
    entry.values.set(parsed.quotaKey, value);
  }
  return out;
}

/** Java's ClientQuotaEntity.toString, for Kafka's sentences: `ClientQuotaEntity(entries={user=alice})`. */
export function entityText(e: QuotaEntity): string {
  return `ClientQuotaEntity(entries={${entityList(e).map((x) => `${x.entityType}=${x.entityName}`).join(', ')}})`;
}

/** One alteration as AlterClientQuotas carries it: a null value removes the key. */
export interface QuotaAlteration {
  entity: Array<{ entityType: string; entityName: string | null }>;
  ops: Array<{ key: string; value: number | null }>;
}

/**
 * Checks one alteration as Kafka's controller does and returns the record changes it makes given
 * the entity's current values; a KafkaError (INVALID_REQUEST with Kafka's sentence) otherwise.
 */
export async function alterationChanges(alteration: QuotaAlteration, current: ReadonlyMap<string, unknown>): Promise<KeyedChange[]> {
  const entity = entityOf(alteration.entity);
  const types = Object.keys(entity);
  if (types.length === 0) throw invalid('Invalid empty client quota entity');
  for (const t of types) {
    if (t !== USER && t !== CLIENT_ID && t !== IP) throw invalid(`Unhandled client quota entity type: ${t}`);
    if (entity[t] === '') throw invalid(`Empty ${t} not supported`);
  }
  const keys = await keysForEntity(entity);
  const seen = new Set<string>();
  for (const op of alteration.ops) {
    if (seen.has(op.key)) throw invalid(`Duplicate quota key ${op.key} not updating quota for this entity ${entityText(entity)}`);
    seen.add(op.key);
  }
  const changes: KeyedChange[] = [];
  for (const op of alteration.ops) {
    const key = recordKey(entity, op.key);
    if (op.value === null) {
      if (current.has(key)) changes.push({ key, value: null });
      continue;
    }
    checkQuotaValue(keys, op.key, op.value);
    if (current.get(key) !== op.value) changes.push({ key, value: op.value });
  }
  return changes;
}

/** An entity from the wire's list; as Kafka reads it into a map, a type named twice keeps its last name. */
export function entityOf(list: ReadonlyArray<{ entityType: string; entityName: string | null }>): QuotaEntity {
  const entity: QuotaEntity = {};
  for (const e of list) entity[e.entityType as EntityType] = e.entityName;
  return entity;
}

/** The entity's types and names in Samsa's order (user, client-id, ip), as the APIs list them. */
export function entityList(e: QuotaEntity): Array<{ entityType: string; entityName: string | null }> {
  const out: Array<{ entityType: string; entityName: string | null }> = [];
  for (const t of TYPE_ORDER) if (t in e) out.push({ entityType: t, entityName: e[t] ?? null });
  for (const t of Object.keys(e)) if (!TYPE_ORDER.includes(t as EntityType)) out.push({ entityType: t, entityName: e[t as EntityType] ?? null });
  return out;
}

/** The quota keys an entity may carry; ip entities must not name users or clients and must resolve. */
async function keysForEntity(entity: QuotaEntity): Promise<ReadonlyMap<string, QuotaKeyType>> {
  if (!(IP in entity)) return USER_CLIENT_KEYS;
  // Kafka's sentence, its missing space included.
  if (USER in entity || CLIENT_ID in entity) throw invalid('Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId');
  const ip = entity[IP];
  if (ip !== null && ip !== undefined && !(await isResolvable(ip))) throw invalid(`${ip} is not a valid IP or resolvable host.`);
  return IP_KEYS;
}

/** Kafka's InetAddress.getByName check: an address, or a host name that resolves. */
export async function isResolvable(host: string): Promise<boolean> {
  if (isIP(host) !== 0) return true;
  try {
    await lookup(host);
    return true;
  } catch {
    return false;
  }
}

const INT_MAX = 2 ** 31 - 1;
const LONG_MAX = 2 ** 63;
/** Below this a fraction counts as rounding, not as a fractional value (Kafka's 1e-6). */
const FRACTION_EPSILON = 1e-6;

function checkQuotaValue(keys: ReadonlyMap<string, QuotaKeyType>, key: string, value: number): void {
  const type = keys.get(key);
  if (type === undefined) throw invalid(`Invalid configuration key ${key}`);
  if (!(value > 0)) throw invalid(`Quota ${key} must be greater than 0`);
  if (type === 'double') return;
  if (type === 'int' && value > INT_MAX) throw invalid(`Proposed value for ${key} is too large for an INT.`);
  if (type === 'long' && value > LONG_MAX) throw invalid(`Proposed value for ${key} is too large for a LONG.`);
  if (Math.abs(value % 1) > FRACTION_EPSILON) throw invalid(`${key} cannot be a fractional value.`);
}

function invalid(message: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_REQUEST, message);
}

export const MATCH_EXACT = 0;
export const MATCH_DEFAULT = 1;
export const MATCH_SPECIFIED = 2;

export interface FilterComponent {
  entityType: string;
  matchType: number;
  match: string | null;
}

/**
 * The entries a DescribeClientQuotas filter selects (Kafka's ClientQuotasImage.describe): EXACT
 * names one entity of a type, DEFAULT its default, SPECIFIED any entity of the type (the default
 * too, as Kafka's image matches it); strict keeps only entities with no other type.
 */
export function describeQuotas(entries: Iterable<QuotaEntry>, components: readonly FilterComponent[], strict: boolean): QuotaEntry[] {
  const exact = new Map<string, string | null>();
  const specified = new Set<string>();
  for (const c of components) {
    if (c.entityType === '') throw invalid('Invalid empty entity type.');
    if (exact.has(c.entityType) || specified.has(c.entityType)) throw invalid(`Entity type ${c.entityType} cannot appear more than once in the filter.`);
    if (c.entityType !== IP && c.entityType !== USER && c.entityType !== CLIENT_ID) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `Unsupported entity type ${c.entityType}`);
    switch (c.matchType) {
      case MATCH_EXACT:
        if (c.match === null) throw invalid('Request specified MATCH_TYPE_EXACT, but set match string to null.');
        exact.set(c.entityType, c.match);
        break;
      case MATCH_DEFAULT:
        if (c.match !== null) throw invalid('Request specified MATCH_TYPE_DEFAULT, but also specified a match string.');
        exact.set(c.entityType, null);
        break;
      case MATCH_SPECIFIED:
        if (c.match !== null) throw invalid('Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.');
        specified.add(c.entityType);
        break;
      default:
        throw invalid(`Unknown match type ${c.matchType}`);
    }
  }
  const named = (t: string): boolean => exact.has(t) || specified.has(t);
  if (named(IP) && (named(USER) || named(CLIENT_ID)))
    throw invalid('Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.');
  const out: QuotaEntry[] = [];
  for (const entry of entries) {
    const e = entry.entity as Record<string, string | null | undefined>;
    if (strict && Object.keys(e).length !== exact.size + specified.size) continue;
    let ok = true;
    for (const [t, name] of exact) if (!(t in e) || e[t] !== name) ok = false;
    for (const t of specified) if (!(t in e)) ok = false;
    if (ok) out.push(entry);
  }
  return out;
}
