/** The authorizer's rules (Kafka's StandardAuthorizer) and TLS principals (SslPrincipalMapper, RFC 2253). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Authorizer, aclKey, authorizerSettings } from '../../../src/broker/authorizer.js';
import { SslPrincipalMapper, rfc2253 } from '../../../src/broker/ssl-principal.js';
import { KeyedRecords, type KeyedChange, type RecordKind } from '../../../src/cluster/store/keyed-records.js';
import { AclOperationCode as Op, PatternType, PermissionType, ResourceType, type AclBinding } from '../../../src/protocol/acls.js';

function store() {
  const k = new KeyedRecords();
  return { records: (kind: RecordKind) => k.get(kind), recordsVersion: (kind: RecordKind) => k.version(kind), putRecords: async (kind: RecordKind, c: readonly KeyedChange[]) => k.apply(kind, c) };
}
const topic = (name: string, principal: string, operation: number, permissionType: number = PermissionType.ALLOW, patternType: number = PatternType.LITERAL, host = '*'): AclBinding =>
  ({ resourceType: ResourceType.TOPIC, resourceName: name, patternType, principal, host, operation, permissionType });

test('deny wins, implications hold for ALLOW only, prefixes and wildcards match, hosts and User:* match, no ACL falls to allow.everyone.if.no.acl.found', async () => {
  const s = store();
  const a = new Authorizer(s, authorizerSettings({ 'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer', 'super.users': 'User:admin;User:broker' })!);
  const can = (p: string, op: number, name: string, host = '10.0.0.1') => a.authorize(p, host, op, ResourceType.TOPIC, name);
  assert.equal(can('User:alice', Op.READ, 't'), false, 'no ACL, default deny');
  assert.equal(can('User:broker', Op.DELETE, 't'), true, 'a super user');
  await a.createAcls([topic('t', 'User:alice', Op.READ), topic('pre-', 'User:bob', Op.WRITE, PermissionType.ALLOW, PatternType.PREFIXED), topic('*', 'User:*', Op.DESCRIBE, PermissionType.ALLOW, PatternType.LITERAL, '10.0.0.9')]);
  assert.equal(can('User:alice', Op.READ, 't'), true, 'the change applies at once');
  assert.equal(can('User:alice', Op.DESCRIBE, 't'), true, 'Read implies Describe');
  assert.equal(can('User:alice', Op.WRITE, 't'), false);
  assert.equal(can('User:bob', Op.WRITE, 'pre-x'), true);
  assert.equal(can('User:bob', Op.WRITE, 'pr'), false);
  assert.equal(can('User:carol', Op.DESCRIBE, 'any', '10.0.0.9'), true, 'User:* and the * topic from that host');
  assert.equal(can('User:carol', Op.DESCRIBE, 'any', '10.0.0.8'), false);
  await a.createAcls([topic('t', 'User:alice', Op.READ, PermissionType.DENY)]);
  assert.equal(can('User:alice', Op.READ, 't'), false, 'deny wins');
  assert.equal(can('User:alice', Op.DESCRIBE, 't'), true, 'a DENY of Read does not deny Describe');
  assert.equal(a.authorizeByResourceType('User:bob', '1.2.3.4', Op.WRITE, ResourceType.TOPIC), true);
  assert.equal(a.authorizeByResourceType('User:alice', '1.2.3.4', Op.WRITE, ResourceType.TOPIC), false);
  const everyone = new Authorizer(s, authorizerSettings({ 'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer', 'allow.everyone.if.no.acl.found': 'true' })!);
  assert.equal(everyone.authorize('User:x', 'h', Op.READ, ResourceType.GROUP, 'untouched'), true, 'no group has an ACL');
  assert.equal(everyone.authorize('User:x', 'h', Op.READ, ResourceType.TOPIC, 'untouched'), false, 'the * topic ACL is an ACL on every topic');
  assert.equal(everyone.authorize('User:x', 'h', Op.READ, ResourceType.TOPIC, 't'), false, 't has ACLs, none for User:x');
  const deleted = await a.deleteAcls([{ resourceType: ResourceType.ANY, resourceName: 't', patternType: PatternType.MATCH, principal: null, host: null, operation: Op.ANY, permissionType: PermissionType.ANY }]);
  assert.deepEqual(deleted[0]!.deleted.map(aclKey).sort(), [topic('*', 'User:*', Op.DESCRIBE, PermissionType.ALLOW, PatternType.LITERAL, '10.0.0.9'), topic('t', 'User:alice', Op.READ), topic('t', 'User:alice', Op.READ, PermissionType.DENY)].map(aclKey).sort(), 'MATCH takes the wildcard too, not the unrelated prefix');
  const bad = await a.createAcls([{ ...topic('x', 'User:a', Op.READ), resourceType: ResourceType.CLUSTER }, topic('', 'User:a', Op.READ), topic('x', 'alice', Op.READ)]);
  assert.deepEqual(bad.map((r) => r.errorMessage), ['The only valid name for the CLUSTER resource is kafka-cluster', 'Invalid empty resource name', "Invalid principal 'alice': expected principalType:name, e.g. User:alice."]);
});

test('TLS principals: RFC 2253 (last RDN first) and Kafka mapping rules', () => {
  assert.equal(rfc2253('C=US\nO=Acme\\, Inc\nOU=eng + UID=7\nCN=alice\nemailAddress=a@b.c'), '1.2.840.113549.1.9.1=#16056140622e63,CN=alice,OU=eng+UID=7,O=Acme\\, Inc,C=US', 'emailAddress as Java prints it');
  assert.equal(rfc2253('C=US\nO=Acme\nOU=eng\nCN=alice'), 'CN=alice,OU=eng,O=Acme,C=US');
  const m = SslPrincipalMapper.fromRules('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/, RULE:^CN=([^,]*).*$/$1/U, DEFAULT');
  assert.equal(m.name('CN=kafka1,OU=ServiceUsers,O=Acme'), 'kafka1');
  assert.equal(m.name('CN=alice,OU=eng'), 'ALICE');
  assert.equal(SslPrincipalMapper.fromRules('RULE:^CN=x$/y/').name('CN=z'), null, 'no rule applies');
  assert.equal(SslPrincipalMapper.fromRules(undefined).name('CN=z,O=o'), 'CN=z,O=o');
  assert.throws(() => SslPrincipalMapper.fromRules('RULE:^CN=x$/y/Q'), /Invalid rule/);
  assert.throws(() => SslPrincipalMapper.fromRules('NOPE'), /Invalid rule: NOPE/);
});
