/**
 * Kafka's ACL authorizer (StandardAuthorizer, and AclAuthorizer's identical rules): ACL bindings
 * kept in the cluster metadata as keyed records of kind 'acl' (one record per binding), indexed
 * per resource type by literal name and by prefix, and rebuilt whenever the store's 'acl' version
 * moves — so an ACL created through any broker applies at once on every broker.
 *
 * A check: a super user is allowed everything; else the bindings on the resource (its literal
 * name, the `*` wildcard, every prefix of its name) are scanned: a matching DENY wins; a matching
 * ALLOW (Read/Write/Delete/Alter imply Describe, AlterConfigs implies DescribeConfigs; ALL implies
 * everything) allows; with no binding on the resource at all, allow.everyone.if.no.acl.found
 * decides; else denied. Principals match exactly or through `User:*`, hosts exactly or `*`.
 */
import { ConfigError } from '../cluster/config.js';
import type { KeyedChange, RecordKind } from '../cluster/store/keyed-records.js';
import { ErrorCode } from '../protocol/errors.js';
import {
  AclOperationCode as Op, CLUSTER_NAME, PatternType, PermissionType, ResourceType, SUPPORTED_OPERATIONS, WILDCARD, WILDCARD_PRINCIPAL,
  filterMatches, operationName, patternTypeName, principalError, resourceTypeName, type AclBinding, type AclBindingFilter,
} from '../protocol/acls.js';

/** The authorizer class names Kafka ships; either enables this authorizer. */
export const AUTHORIZER_CLASSES: readonly string[] = ['org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'kafka.security.authorizer.AclAuthorizer'];

/** What the authorizer needs of a metadata store (the single broker's log, or etcd). */
export interface AclStore {
  records(kind: RecordKind): ReadonlyMap<string, unknown>;
  recordsVersion(kind: RecordKind): number;
  putRecords(kind: RecordKind, changes: readonly KeyedChange[]): Promise<void>;
}

export interface AuthorizerSettings {
  /** `super.users`: principals allowed everything (`User:admin;User:broker`). */
  superUsers: ReadonlySet<string>;
  /** `allow.everyone.if.no.acl.found`: a resource with no ACL at all is open to everyone. */
  allowEveryoneIfNoAclFound: boolean;
}

/** The settings from server.properties; null without `authorizer.class.name`; ConfigError for a class Samsa does not have. */
export function authorizerSettings(raw: Readonly<Record<string, string>>): AuthorizerSettings | null {
  const cls = (raw['authorizer.class.name'] ?? '').trim();
  if (cls === '') return null;
  if (!AUTHORIZER_CLASSES.includes(cls))
    throw new ConfigError(`authorizer.class.name: '${cls}' is not an authorizer Samsa has; set ${AUTHORIZER_CLASSES[0]} (or ${AUTHORIZER_CLASSES[1]}) for Kafka's ACLs, or leave it empty.`);
  const superUsers = new Set((raw['super.users'] ?? '').split(';').map((s) => s.trim()).filter((s) => s !== ''));
  for (const p of superUsers) {
    const problem = principalError(p);
    if (problem !== null) throw new ConfigError(`super.users: ${problem} Separate principals with ';' (User:admin;User:broker).`);
  }
  const everyone = (raw['allow.everyone.if.no.acl.found'] ?? 'false').trim().toLowerCase();
  if (everyone !== 'true' && everyone !== 'false') throw new ConfigError(`allow.everyone.if.no.acl.found: '${everyone}' must be true or false.`);
  return { superUsers, allowEveryoneIfNoAclFound: everyone === 'true' };
}

/** Remembered check results, cleared when the ACLs change; past this many the memory starts again (a bound, not a tuning knob). */
const DECISIONS_CACHED_MAX = 10_000;
/** Kafka's MAX_RECORDS_PER_USER_OP: the most ACLs one DeleteAcls filter may remove. */
const ACLS_DELETED_PER_FILTER_MAX = 10_000;

/** The bindings of one resource type: by literal name (the wildcard `*` too) and by prefix. */
interface TypeIndex {
  literal: Map<string, AclBinding[]>;
  prefixed: Map<string, AclBinding[]>;
  /** The distinct lengths of the prefixes, so a check looks up only prefixes that exist. */
  prefixLengths: number[];
}

export interface AclResult {
  errorCode: number;
  errorMessage: string | null;
}

/** The record key of a binding: every field, so equal bindings are one record (Kafka keeps each binding once). */
export function aclKey(b: AclBinding): string {
  return JSON.stringify([b.resourceType, b.patternType, b.resourceName, b.principal, b.host, b.operation, b.permissionType]);
}

export class Authorizer {
  private version = -1;
  private byType = new Map<number, TypeIndex>();
  private bindings: AclBinding[] = [];
  private decisions = new Map<string, boolean>();

  constructor(
    private readonly store: AclStore,
    readonly settings: AuthorizerSettings,
  ) {}

  /** The index, rebuilt first if the store's ACLs moved since it was built. */
  private fresh(): void {
    const v = this.store.recordsVersion('acl');
    if (v === this.version) return;
    this.version = v;
    this.decisions = new Map();
    this.byType = new Map();
    this.bindings = [];
    for (const value of this.store.records('acl').values()) {
      const b = value as AclBinding;
      this.bindings.push(b);
      let t = this.byType.get(b.resourceType);
      if (t === undefined) this.byType.set(b.resourceType, (t = { literal: new Map(), prefixed: new Map(), prefixLengths: [] }));
      const m = b.patternType === PatternType.PREFIXED ? t.prefixed : t.literal;
      const list = m.get(b.resourceName);
      if (list === undefined) m.set(b.resourceName, [b]);
      else list.push(b);
    }
    for (const t of this.byType.values()) t.prefixLengths = [...new Set([...t.prefixed.keys()].map((k) => k.length))];
  }

  isSuperUser(principal: string): boolean {
    return this.settings.superUsers.has(principal);
  }

  /** May `principal` from `host` do `operation` on the resource? */
  authorize(principal: string, host: string, operation: number, resourceType: number, name: string): boolean {
    if (this.settings.superUsers.has(principal)) return true;
    this.fresh();
    const key = `${principal}\n${host}\n${operation}\n${resourceType}\n${name}`;
    const known = this.decisions.get(key);
    if (known !== undefined) return known;
    const decision = this.decide(principal, host, operation, resourceType, name);
    if (this.decisions.size >= DECISIONS_CACHED_MAX) this.decisions.clear();
    this.decisions.set(key, decision);
    return decision;
  }

  private decide(principal: string, host: string, operation: number, resourceType: number, name: string): boolean {
    const t = this.byType.get(resourceType);
    if (t === undefined) return this.settings.allowEveryoneIfNoAclFound;
    const sections: AclBinding[][] = [];
    const exact = t.literal.get(name);
    if (exact !== undefined) sections.push(exact);
    if (name !== WILDCARD) {
      const wildcard = t.literal.get(WILDCARD);
      if (wildcard !== undefined) sections.push(wildcard);
    }
    for (const len of t.prefixLengths) {
      if (len > name.length) continue;
      const p = t.prefixed.get(name.slice(0, len));
      if (p !== undefined) sections.push(p);
    }
    if (sections.length === 0) return this.settings.allowEveryoneIfNoAclFound;
    let allowed = false;
    for (const acls of sections) {
      for (const acl of acls) {
        const r = result(acl, principal, host, operation);
        if (r === PermissionType.DENY) return false;
        if (r === PermissionType.ALLOW) allowed = true;
      }
    }
    return allowed;
  }

  /**
   * Kafka's Authorizer.authorizeByResourceType: may the principal do `operation` on some resource
   * of the type (an idempotent producer's Write on any topic)? An ALLOW counts unless a DENY for the
   * same principal covers its pattern.
   */
  authorizeByResourceType(principal: string, host: string, operation: number, resourceType: number): boolean {
    if (this.authorize(principal, host, operation, resourceType, 'hardcode')) return true;
    this.fresh();
    const applies = (b: AclBinding) =>
      b.resourceType === resourceType && (b.principal === principal || b.principal === WILDCARD_PRINCIPAL) &&
      (b.host === WILDCARD || b.host === host) && (b.operation === operation || b.operation === Op.ALL);
    const denies = this.bindings.filter((b) => applies(b) && b.permissionType === PermissionType.DENY);
    if (denies.some((d) => d.patternType === PatternType.LITERAL && d.resourceName === WILDCARD)) return false;
    const deniedPrefix = (name: string) => denies.some((d) => d.patternType === PatternType.PREFIXED && name.startsWith(d.resourceName));
    for (const a of this.bindings) {
      if (!applies(a) || a.permissionType !== PermissionType.ALLOW) continue;
      if (a.patternType === PatternType.LITERAL) {
        if (a.resourceName === WILDCARD) return true;
        if (!denies.some((d) => d.patternType === PatternType.LITERAL && d.resourceName === a.resourceName) && !deniedPrefix(a.resourceName)) return true;
      } else if (!deniedPrefix(a.resourceName)) return true;
    }
    return false;
  }

  /** KIP-430: the bit set of the resource type's operations the principal may do on the resource. */
  authorizedOperations(principal: string, host: string, resourceType: number, name: string): number {
    let set = 0;
    for (const op of SUPPORTED_OPERATIONS.get(resourceType) ?? []) if (this.authorize(principal, host, op, resourceType, name)) set |= 1 << op;
    return set;
  }

  /** DescribeAcls: every binding the filter matches. */
  acls(filter: AclBindingFilter): AclBinding[] {
    this.fresh();
    return this.bindings.filter((b) => filterMatches(filter, b));
  }

  /** CreateAcls: each binding checked as Kafka's AclApis and AclControlManager check it; the valid ones stored in one batch. */
  async createAcls(bindings: readonly AclBinding[]): Promise<AclResult[]> {
    const results = bindings.map((b) => creationError(b));
    const changes = bindings.filter((_, i) => results[i] === null).map((b) => ({ key: aclKey(b), value: { ...b } }));
    try {
      if (changes.length > 0) await this.store.putRecords('acl', changes);
    } catch (err) {
      return results.map((r) => r ?? { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: `Unknown error while trying to create ACL: ${(err as Error).message}` });
    }
    return results.map((r) => r ?? { errorCode: ErrorCode.NONE, errorMessage: null });
  }

  /** DeleteAcls: each filter's matches removed; all filters' removals stored in one batch. */
  async deleteAcls(filters: readonly AclBindingFilter[]): Promise<Array<AclResult & { deleted: AclBinding[] }>> {
    this.fresh();
    const results = filters.map((f) => {
      const deleted = this.bindings.filter((b) => filterMatches(f, b));
      if (deleted.length > ACLS_DELETED_PER_FILTER_MAX)
        return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Cannot remove more than ${ACLS_DELETED_PER_FILTER_MAX} acls in a single delete operation.`, deleted: [] };
      return { errorCode: ErrorCode.NONE, errorMessage: null, deleted };
    });
    const keys = new Set(results.flatMap((r) => r.deleted.map(aclKey)));
    try {
      if (keys.size > 0) await this.store.putRecords('acl', [...keys].map((key) => ({ key, value: null })));
    } catch (err) {
      return results.map(() => ({ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: (err as Error).message, deleted: [] }));
    }
    return results;
  }
}

/** What one ACL says about the action: ALLOW, DENY, or null when it does not apply (StandardAuthorizerData.findResult). */
function result(acl: AclBinding, principal: string, host: string, operation: number): number | null {
  if (acl.principal !== principal && acl.principal !== WILDCARD_PRINCIPAL) return null;
  if (acl.host !== WILDCARD && acl.host !== host) return null;
  if (acl.operation !== Op.ALL) {
    // Implications hold for ALLOW only: a DENY of Read does not deny Describe.
    if (acl.permissionType === PermissionType.ALLOW && operation === Op.DESCRIBE) {
      if (!IMPLIES_DESCRIBE.has(acl.operation)) return null;
    } else if (acl.permissionType === PermissionType.ALLOW && operation === Op.DESCRIBE_CONFIGS) {
      if (acl.operation !== Op.DESCRIBE_CONFIGS && acl.operation !== Op.ALTER_CONFIGS) return null;
    } else if (acl.operation !== operation) return null;
  }
  return acl.permissionType;
}

const IMPLIES_DESCRIBE = new Set<number>([Op.DESCRIBE, Op.READ, Op.WRITE, Op.DELETE, Op.ALTER]);

/** Kafka's checks of a binding to create, with its sentences; null when it may be stored. */
function creationError(b: AclBinding): AclResult | null {
  const invalid = (errorMessage: string): AclResult => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage });
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== CLUSTER_NAME) return invalid(`The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`);
  if (b.resourceName === '') return invalid('Invalid empty resource name');
  if (b.resourceType === ResourceType.ANY || !SUPPORTED_OPERATIONS.has(b.resourceType)) return invalid(`Invalid resourceType ${resourceTypeName(b.resourceType)}`);
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return invalid(`Invalid patternType ${patternTypeName(b.patternType)}`);
  if (b.operation === Op.ANY || operationName(b.operation) === 'UNKNOWN') return invalid(`Invalid operation ${operationName(b.operation)}`);
  if (b.permissionType !== PermissionType.ALLOW && b.permissionType !== PermissionType.DENY) return invalid(`Invalid permissionType ${b.permissionType === PermissionType.ANY ? 'ANY' : 'UNKNOWN'}`);
  const p = principalError(b.principal);
  if (p !== null) return invalid(p);
  return null;
}
