/** The ACLs page: every binding with a delete button, and a form to create one (as kafka-acls --add). */
import { acl, type AclBinding } from '../client/index.js';
import { hiddenFields, html, options, table, type Html } from './html.js';

/** The resource types the form offers, by Kafka's names. */
export const ACL_RESOURCE_TYPES = ['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID'] as const;
export const ACL_PATTERN_TYPES = ['LITERAL', 'PREFIXED'] as const;
export const ACL_OPERATIONS = ['ALL', 'READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE'] as const;
export const ACL_PERMISSIONS = ['ALLOW', 'DENY'] as const;

const label = (s: string): string => s.toLowerCase().replace(/_/g, '-');
const choices = (names: readonly string[]) => names.map((n) => [n, label(n)] as const);

/** The delete form of one binding: every field exact, so DeleteAcls removes this binding and no other. */
function deleteForm(b: AclBinding): Html {
  return html`<form class="inline" method="post" action="/acls/delete" data-confirm="Delete this ACL?">${hiddenFields({
    resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType,
  })}<button class="danger">Delete</button></form>`;
}

export function createAclForm(): Html {
  return html`<form class="card" method="post" action="/acls" id="create-acl">
<label>Resource type<select name="resourceType">${options(choices(ACL_RESOURCE_TYPES), 'TOPIC')}</select></label>
<label>Resource name<input name="resourceName" placeholder="orders, or * (cluster: kafka-cluster)"></label>
<label>Pattern<select name="patternType">${options(choices(ACL_PATTERN_TYPES), 'LITERAL')}</select></label>
<label>Principal<input name="principal" placeholder="User:alice" required></label>
<label>Host<input name="host" value="*"></label>
<label>Operation<select name="operation">${options(choices(ACL_OPERATIONS), 'ALL')}</select></label>
<label>Permission<select name="permissionType">${options(choices(ACL_PERMISSIONS), 'ALLOW')}</select></label>
<button type="submit">Add ACL</button></form>`;
}

export function aclsBody(bindings: AclBinding[] | string): Html {
  if (typeof bindings === 'string') return html`<h1>ACLs</h1><div class="flash error" id="acls-error">${bindings}</div><h2>Add an ACL</h2>${createAclForm()}`;
  const sorted = [...bindings].sort((a, b) => a.resourceType - b.resourceType || (a.resourceName < b.resourceName ? -1 : a.resourceName > b.resourceName ? 1 : 0) || (a.principal < b.principal ? -1 : 1));
  const rows = sorted.map((b) => [
    label(acl.resourceTypeName(b.resourceType)), b.resourceName, label(acl.patternTypeName(b.patternType)), b.principal, b.host, label(acl.operationName(b.operation)), label(acl.permissionName(b.permissionType)), deleteForm(b),
  ]);
  return html`<h1>ACLs</h1>
<h2>Add an ACL</h2>${createAclForm()}
<h2>Bindings</h2>${table(['Resource type', 'Resource', 'Pattern', 'Principal', 'Host', 'Operation', 'Permission', ''], rows, { id: 'acls', empty: 'No ACLs.' })}`;
}
