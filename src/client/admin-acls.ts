/**
 * Admin.createAcls, Admin.describeAcls and Admin.deleteAcls, as Kafka's Admin offers them:
 * CreateAcls (30), DescribeAcls (29) and DeleteAcls (31) to any broker (the ACLs live in the
 * cluster metadata every broker shares). A refused call rejects with the broker's error and
 * sentence (SECURITY_DISABLED without an authorizer, CLUSTER_AUTHORIZATION_FAILED, ...).
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { AclBinding, AclBindingFilter } from '../protocol/acls.js';
import type { CreateAclsRequest, CreateAclsResponse } from '../protocol/messages/30-create-acls.js';
import type { DescribeAclsRequest, DescribeAclsResponse } from '../protocol/messages/29-describe-acls.js';
import type { DeleteAclsRequest, DeleteAclsResponse } from '../protocol/messages/31-delete-acls.js';
import type { Cluster } from './cluster.js';

const DESCRIBE_ACLS_KEY = 29;
const CREATE_ACLS_KEY = 30;
const DELETE_ACLS_KEY = 31;
/** v1 carries pattern types (PREFIXED, MATCH); v0 knows literal names only. */
const ACLS_VERSION_MIN = 1;
const ACLS_VERSION_MAX = 3;

function failed(errorCode: number, errorMessage: string | null): KafkaError {
  return new KafkaError(errorCode, errorMessage ?? undefined);
}

function wireFilter(f: AclBindingFilter) {
  return {
    resourceTypeFilter: f.resourceType, resourceNameFilter: f.resourceName, patternTypeFilter: f.patternType,
    principalFilter: f.principal, hostFilter: f.host, operation: f.operation, permissionType: f.permissionType,
  };
}

/** Creates the bindings; rejects with the first binding's error if any is refused (the others may be stored). */
export async function createAcls(cluster: Cluster, bindings: readonly AclBinding[]): Promise<void> {
  await cluster.withRetry(async () => {
    const conn = await cluster.controllerConnection();
    const version = conn.versionFor(CREATE_ACLS_KEY, ACLS_VERSION_MAX, ACLS_VERSION_MIN);
    const creations = bindings.map((b) => ({ ...b, resourcePatternType: b.patternType }));
    const resp = await conn.request<CreateAclsRequest, CreateAclsResponse>(CREATE_ACLS_KEY, version, { creations });
    const bad = resp.results.find((r) => r.errorCode !== ErrorCode.NONE);
    if (bad !== undefined) throw failed(bad.errorCode, bad.errorMessage);
  });
}

/** The bindings the filter matches. */
export async function describeAcls(cluster: Cluster, filter: AclBindingFilter): Promise<AclBinding[]> {
  return cluster.withRetry(async () => {
    const conn = await cluster.controllerConnection();
    const version = conn.versionFor(DESCRIBE_ACLS_KEY, ACLS_VERSION_MAX, ACLS_VERSION_MIN);
    const resp = await conn.request<DescribeAclsRequest, DescribeAclsResponse>(DESCRIBE_ACLS_KEY, version, wireFilter(filter));
    if (resp.errorCode !== ErrorCode.NONE) throw failed(resp.errorCode, resp.errorMessage);
    return resp.resources.flatMap((r) => r.acls.map((a) => ({ resourceType: r.resourceType, resourceName: r.resourceName, patternType: r.patternType, ...a })));
  });
}

/** Deletes what each filter matches; resolves to the bindings deleted, per filter. */
export async function deleteAcls(cluster: Cluster, filters: readonly AclBindingFilter[]): Promise<AclBinding[][]> {
  return cluster.withRetry(async () => {
    const conn = await cluster.controllerConnection();
    const version = conn.versionFor(DELETE_ACLS_KEY, ACLS_VERSION_MAX, ACLS_VERSION_MIN);
    const resp = await conn.request<DeleteAclsRequest, DeleteAclsResponse>(DELETE_ACLS_KEY, version, { filters: filters.map(wireFilter) });
    const bad = resp.filterResults.find((r) => r.errorCode !== ErrorCode.NONE);
    if (bad !== undefined) throw failed(bad.errorCode, bad.errorMessage);
    return resp.filterResults.map((r) => r.matchingAcls.map(({ errorCode: _e, errorMessage: _m, ...b }) => b));
  });
}
