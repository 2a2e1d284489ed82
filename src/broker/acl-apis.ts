/**
 * The ACL APIs' translations between the wire and the authorizer (Kafka's AclApis): filters from
 * requests, bindings grouped by resource for DescribeAcls, matches listed per filter for DeleteAcls.
 */
import type { AclBinding, AclBindingFilter } from '../protocol/acls.js';
import type { DescribeAclsRequest, DescribeAclsResponseDescribeAclsResource } from '../protocol/messages/29-describe-acls.js';
import type { DeleteAclsRequestDeleteAclsFilter, DeleteAclsResponseDeleteAclsFilterResult } from '../protocol/messages/31-delete-acls.js';
import type { Authorizer } from './authorizer.js';

/** The sentence of Kafka's ClusterAuthorizationException for a request the principal may not make. */
export const CLUSTER_AUTHORIZATION_MESSAGE = 'Cluster authorization failed.';

type WireFilter = Pick<DescribeAclsRequest, 'resourceTypeFilter' | 'resourceNameFilter' | 'patternTypeFilter' | 'principalFilter' | 'hostFilter' | 'operation' | 'permissionType'>;

export function filterOf(f: WireFilter): AclBindingFilter {
  return {
    resourceType: f.resourceTypeFilter, resourceName: f.resourceNameFilter, patternType: f.patternTypeFilter,
    principal: f.principalFilter, host: f.hostFilter, operation: f.operation, permissionType: f.permissionType,
  };
}

/** DescribeAcls' resources: the matching bindings grouped by resource pattern. */
export function describeAcls(authorizer: Authorizer, req: WireFilter): DescribeAclsResponseDescribeAclsResource[] {
  const byResource = new Map<string, DescribeAclsResponseDescribeAclsResource>();
  for (const b of authorizer.acls(filterOf(req))) {
    const key = JSON.stringify([b.resourceType, b.patternType, b.resourceName]);
    let r = byResource.get(key);
    if (r === undefined) byResource.set(key, (r = { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] }));
    r.acls.push({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType });
  }
  return [...byResource.values()];
}

export async function deleteAcls(authorizer: Authorizer, filters: readonly DeleteAclsRequestDeleteAclsFilter[]): Promise<DeleteAclsResponseDeleteAclsFilterResult[]> {
  const results = await authorizer.deleteAcls(filters.map(filterOf));
  return results.map((r) => ({
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    matchingAcls: r.deleted.map((b: AclBinding) => ({ errorCode: 0, errorMessage: null, ...b })),
  }));
}
