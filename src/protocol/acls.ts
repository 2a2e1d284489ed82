/**
 * Kafka's ACL model as the wire carries it (org.apache.kafka.common.acl / .resource): the codes of
 * resource types, pattern types, operations and permission types, an ACL binding and a binding
 * filter, Kafka's filter matching, and the text forms Kafka prints (`ResourcePattern(...)`,
 * `(principal=..., host=..., operation=..., permissionType=...)`). Pure: the broker's authorizer,
 * the admin client and kafka-acls share it.
 */
import type { DeleteAclsResponseDeleteAclsMatchingAcl } from './messages/31-delete-acls.js';

/** ResourceType codes. */
export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
/** PatternType codes: ANY and MATCH only in filters. */
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
/** AclOperation codes (ANY only in filters). */
export const AclOperationCode = {
  UNKNOWN: 0, ANY: 1, ALL: 2, READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8, CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12, CREATE_TOKENS: 13, DESCRIBE_TOKENS: 14,
} as const;
/** AclPermissionType codes (ANY only in filters). */
export const PermissionType = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

/** The one name a Cluster resource has. */
export const CLUSTER_NAME = 'kafka-cluster';
/** A literal resource name, principal name or host that matches every one. */
export const WILDCARD = '*';
export const WILDCARD_PRINCIPAL = 'User:*';

function names<T extends Record<string, number>>(codes: T): Map<number, string> {
  return new Map(Object.entries(codes).map(([k, v]) => [v, k]));
}
const RESOURCE_TYPE_NAMES = names(ResourceType);
const PATTERN_TYPE_NAMES = names(PatternType);
const OPERATION_NAMES = names(AclOperationCode);
const PERMISSION_NAMES = names(PermissionType);

const nameOf = (m: Map<number, string>, code: number): string => m.get(code) ?? 'UNKNOWN';
export const resourceTypeName = (code: number): string => nameOf(RESOURCE_TYPE_NAMES, code);
export const patternTypeName = (code: number): string => nameOf(PATTERN_TYPE_NAMES, code);
export const operationName = (code: number): string => nameOf(OPERATION_NAMES, code);
export const permissionName = (code: number): string => nameOf(PERMISSION_NAMES, code);

/** A code from its name, case and `_`/`-` insensitive as Kafka's fromString (`Read`, `idempotent-write`); undefined when unknown. */
function codeFrom(codes: Record<string, number>, name: string): number | undefined {
  const key = name.trim().toUpperCase().replace(/-/g, '_');
  // Kafka's operation names are CamelCase too: IdempotentWrite, ClusterAction, DescribeConfigs.
  const camel = name.trim().replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
  return codes[key] ?? codes[camel];
}
export const operationFromName = (name: string): number | undefined => codeFrom(AclOperationCode, name);
export const patternTypeFromName = (name: string): number | undefined => codeFrom(PatternType, name);

/** One ACL: who may (or may not) do what on which resources (the fields DeleteAcls lists a match with). */
export type AclBinding = Omit<DeleteAclsResponseDeleteAclsMatchingAcl, 'errorCode' | 'errorMessage'>;

/** A filter over bindings: null strings and the ANY codes match everything; MATCH patterns match what applies to the name. */
export interface AclBindingFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permissionType: number;
}

/** Kafka's ResourcePatternFilter.matches. */
export function patternMatches(f: AclBindingFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.patternType !== PatternType.ANY && f.patternType !== PatternType.MATCH && f.patternType !== b.patternType) return false;
  if (f.resourceName === null) return true;
  if (f.patternType === PatternType.ANY || f.patternType === b.patternType) return f.resourceName === b.resourceName;
  if (b.patternType === PatternType.LITERAL) return f.resourceName === b.resourceName || b.resourceName === WILDCARD;
  return b.patternType === PatternType.PREFIXED && f.resourceName.startsWith(b.resourceName);
}

/** Kafka's AclBindingFilter.matches: the pattern and the entry (principal, host, operation, permission). */
export function filterMatches(f: AclBindingFilter, b: AclBinding): boolean {
  return (
    patternMatches(f, b) &&
    (f.principal === null || f.principal === b.principal) &&
    (f.host === null || f.host === b.host) &&
    (f.operation === AclOperationCode.ANY || f.operation === b.operation) &&
    (f.permissionType === PermissionType.ANY || f.permissionType === b.permissionType)
  );
}

/** Kafka's ResourcePattern / ResourcePatternFilter toString. */
export function patternText(p: { resourceType: number; resourceName: string | null; patternType: number }): string {
  return `ResourcePattern(resourceType=${resourceTypeName(p.resourceType)}, name=${p.resourceName ?? '<any>'}, patternType=${patternTypeName(p.patternType)})`;
}

/** Kafka's AccessControlEntry toString. */
export function entryText(e: { principal: string | null; host: string | null; operation: number; permissionType: number }): string {
  return `(principal=${e.principal ?? '<any>'}, host=${e.host ?? '<any>'}, operation=${operationName(e.operation)}, permissionType=${permissionName(e.permissionType)})`;
}

/** The operations Kafka's AclEntry.supportedOperations lists per resource type (ALL is accepted besides). */
export const SUPPORTED_OPERATIONS: ReadonlyMap<number, readonly number[]> = (() => {
  const o = AclOperationCode;
  return new Map<number, readonly number[]>([
    [ResourceType.TOPIC, [o.READ, o.WRITE, o.CREATE, o.DESCRIBE, o.DELETE, o.ALTER, o.DESCRIBE_CONFIGS, o.ALTER_CONFIGS]],
    [ResourceType.GROUP, [o.READ, o.DESCRIBE, o.DELETE, o.DESCRIBE_CONFIGS, o.ALTER_CONFIGS]],
    [ResourceType.CLUSTER, [o.CREATE, o.CLUSTER_ACTION, o.DESCRIBE_CONFIGS, o.ALTER_CONFIGS, o.IDEMPOTENT_WRITE, o.ALTER, o.DESCRIBE]],
    [ResourceType.TRANSACTIONAL_ID, [o.DESCRIBE, o.WRITE]],
    [ResourceType.DELEGATION_TOKEN, [o.DESCRIBE]],
    [ResourceType.USER, [o.CREATE_TOKENS, o.DESCRIBE_TOKENS]],
  ]);
})();

/** `Type:name` (Kafka's SecurityUtils.parseKafkaPrincipal): null when there is no type before a colon. */
export function principalError(principal: string): string | null {
  const i = principal.indexOf(':');
  if (i <= 0) return `Invalid principal '${principal}': expected principalType:name, e.g. User:alice.`;
  return null;
}
