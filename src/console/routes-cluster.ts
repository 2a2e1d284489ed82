/**
 * Routes for what the cluster holds besides topics and groups: ACLs (list, create, delete one
 * binding), client quotas (list, set, remove a key) and transactions (list, describe an id, the
 * producers of a partition, abort a hanging transaction) and SCRAM credentials (list, set, delete).
 * Each POST makes one change through the
 * Admin client and redirects with a flash line; the broker's refusal is that line.
 */
import { acl, ErrorCode, KafkaError, type AclBinding, type ClientQuotaEntity } from '../client/index.js';
import { DEFAULT_SCRAM_ITERATIONS, type ScramAlteration } from '../client/admin-scram.js';
import { change, choiceField, intField, type Handler, type RouteContext } from './forms.js';
import { page } from './layout.js';
import { ACL_OPERATIONS, ACL_PATTERN_TYPES, ACL_PERMISSIONS, ACL_RESOURCE_TYPES, aclsBody } from './pages-acls.js';
import { entityText, QUOTA_ENTITY_KINDS, QUOTA_KEYS, quotasBody } from './pages-quotas.js';
import { SCRAM_MECHANISM_NAMES, usersBody } from './pages-users.js';
import { transactionBody, transactionsBody, type ProducersQuery } from './pages-transactions.js';
import { HttpError, Redirect } from './responses.js';

/** Transactional ids described on the list page; the rest show what ListTransactions says. */
const TRANSACTIONS_DESCRIBED_MAX = 50;
/** The entity types a quota may name (Kafka's ClientQuotaEntity). */
const QUOTA_ENTITY_TYPES = new Set(['user', 'client-id', 'ip']);

/** A broker's refusal as a sentence: SECURITY_DISABLED says what to configure, others carry Kafka's message and code. */
export function refusal(err: Error): string {
  if (!(err instanceof KafkaError)) return err.message;
  if (err.code === ErrorCode.SECURITY_DISABLED)
    return `The broker has no authorizer (authorizer.class.name is not set), so it keeps no ACLs: set authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer, and super.users for the admins, to manage them. (${err.codeName}: ${err.message})`;
  return err.message === err.codeName || err.message.includes(err.codeName) ? err.message : `${err.message} (${err.codeName})`;
}

const codeOf = (codes: Record<string, number>, name: string): number => codes[name]!;

const acls: Handler = async ({ data, flash }) => {
  const all = { resourceType: acl.ResourceType.ANY, resourceName: null, patternType: acl.PatternType.ANY, principal: null, host: null, operation: acl.AclOperationCode.ANY, permissionType: acl.PermissionType.ANY };
  const bindings = await data.admin.describeAcls(all).catch((err: Error) => `The cluster did not list its ACLs: ${refusal(err)}`);
  return page({ title: 'ACLs', section: '/acls', flash, body: aclsBody(bindings) });
};

const createAcl: Handler = async ({ data, form }) =>
  change('/acls', async () => {
    const resourceType = codeOf(acl.ResourceType, choiceField(form.get('resourceType'), 'The resource type', ACL_RESOURCE_TYPES));
    const typed = (form.get('resourceName') ?? '').trim();
    const binding: AclBinding = {
      resourceType,
      resourceName: typed === '' && resourceType === acl.ResourceType.CLUSTER ? acl.CLUSTER_NAME : typed,
      patternType: codeOf(acl.PatternType, choiceField(form.get('patternType'), 'The pattern type', ACL_PATTERN_TYPES)),
      principal: (form.get('principal') ?? '').trim(),
      host: (form.get('host') ?? '').trim() || acl.WILDCARD,
      operation: codeOf(acl.AclOperationCode, choiceField(form.get('operation'), 'The operation', ACL_OPERATIONS)),
      permissionType: codeOf(acl.PermissionType, choiceField(form.get('permissionType'), 'The permission', ACL_PERMISSIONS)),
    };
    if (binding.resourceName === '') throw new HttpError(400, 'Name the resource (or * for every one).');
    await data.admin.createAcls([binding]);
    return `Added ACL ${acl.patternText(binding)} ${acl.entryText(binding)}.`;
  }, refusal);

const deleteAcl: Handler = async ({ data, form }) =>
  change('/acls', async () => {
    const text = (key: string): string => {
      const v = form.get(key);
      if (v === null) throw new HttpError(400, `The ACL to delete has no ${key}.`);
      return v;
    };
    // Every field exact (no ANY, no MATCH): the filter matches this one binding.
    const filter = {
      resourceType: intField(form.get('resourceType'), 'The resource type', { min: 2 }), resourceName: text('resourceName'), patternType: intField(form.get('patternType'), 'The pattern type', { min: 3 }),
      principal: text('principal'), host: text('host'), operation: intField(form.get('operation'), 'The operation', { min: 2 }), permissionType: intField(form.get('permissionType'), 'The permission', { min: 2 }),
    };
    const [deleted = []] = await data.admin.deleteAcls([filter]);
    if (deleted.length === 0) return `No ACL matched ${acl.patternText(filter)} ${acl.entryText(filter)}: it was already gone.`;
    return `Deleted ACL ${acl.patternText(filter)} ${acl.entryText(filter)}.`;
  }, refusal);

const quotas: Handler = async ({ data, flash }) => {
  const entries = await data.admin.describeClientQuotas([]).catch((err: Error) => `The cluster did not list its quotas: ${refusal(err)}`);
  return page({ title: 'Quotas', section: '/quotas', flash, body: quotasBody(entries) });
};

/** The entity the set form names: a blank name is the default entity of its type. */
function formEntity(form: URLSearchParams): ClientQuotaEntity {
  const name = (key: string): string | null => (form.get(key) ?? '').trim() || null;
  switch (choiceField(form.get('entityType'), 'The entity', QUOTA_ENTITY_KINDS)) {
    case 'user': return { user: name('user') };
    case 'client-id': return { 'client-id': name('clientId') };
    case 'user+client-id': return { user: name('user'), 'client-id': name('clientId') };
    case 'ip': return { ip: name('ip') };
  }
}

/** The entity a remove button carries (the JSON of a listed entry), checked for shape. */
function postedEntity(text: string | null): ClientQuotaEntity {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch {
    throw new HttpError(400, 'The quota to remove names no entity.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HttpError(400, 'The quota to remove names no entity.');
  const entries = Object.entries(parsed);
  if (entries.length === 0 || entries.some(([type, name]) => !QUOTA_ENTITY_TYPES.has(type) || (name !== null && typeof name !== 'string'))) throw new HttpError(400, 'The quota to remove names an entity of unknown types.');
  return Object.fromEntries(entries) as ClientQuotaEntity;
}

const setQuota: Handler = async ({ data, form }) =>
  change('/quotas', async () => {
    const entity = formEntity(form);
    const key = choiceField(form.get('key'), 'The quota', QUOTA_KEYS);
    const raw = (form.get('value') ?? '').trim();
    const value = Number(raw);
    if (raw === '' || !Number.isFinite(value) || value < 0) throw new HttpError(400, `The value of ${key} must be a number of at least 0, not '${raw}'.`);
    await data.admin.alterClientQuotas([{ entity, ops: { [key]: value } }]);
    return `Set ${key}=${value} for ${entityText(entity)}.`;
  }, refusal);

const removeQuota: Handler = async ({ data, form }) =>
  change('/quotas', async () => {
    const entity = postedEntity(form.get('entity'));
    const key = choiceField(form.get('key'), 'The quota', QUOTA_KEYS);
    await data.admin.alterClientQuotas([{ entity, ops: { [key]: null } }]);
    return `Removed ${key} from ${entityText(entity)}.`;
  }, refusal);

const transactions: Handler = async ({ data, query, flash }) => {
  const list = await data.admin.listTransactions().catch((err: Error) => `The cluster did not list its transactions: ${refusal(err)}`);
  const described = typeof list === 'string' ? [] : await Promise.all(list.slice(0, TRANSACTIONS_DESCRIBED_MAX).map((t) => data.admin.describeTransaction(t.transactionalId).catch(() => null)));
  const topicName = (query.get('topic') ?? '').trim();
  let producers: ProducersQuery | null = null;
  if (topicName !== '') {
    const partition = intField(query.get('partition'), 'The partition', { min: 0, fallback: 0 });
    producers = { topic: topicName, partition, producers: await data.admin.describeProducers(topicName, partition).catch((err: Error) => refusal(err)) };
  }
  return page({ title: 'Transactions', section: '/transactions', flash, body: transactionsBody(list, described.filter((d) => d !== null), producers) });
};

const describeTransaction: Handler = async ({ data, query, flash }) => {
  const id = (query.get('id') ?? '').trim();
  if (id === '') throw new HttpError(400, 'Name the transactional id to describe.');
  const d = await data.admin.describeTransaction(id).catch((err: Error) => refusal(err));
  return page({ title: `Transaction ${id}`, section: '/transactions', flash, body: transactionBody(id, d) });
};

const abortTransaction: Handler = async ({ data, form }) => {
  const topic = (form.get('topic') ?? '').trim();
  const partition = intField(form.get('partition'), 'The partition', { min: 0 });
  const back = `/transactions?${new URLSearchParams({ topic, partition: String(partition) }).toString()}`;
  return change(back, async () => {
    if (topic === '') throw new HttpError(400, 'Name the topic of the transaction to abort.');
    const spec = {
      topic, partition,
      producerId: intField(form.get('producerId'), 'The producer id', { min: 0 }),
      producerEpoch: intField(form.get('producerEpoch'), 'The producer epoch', { min: 0 }),
      coordinatorEpoch: intField(form.get('coordinatorEpoch'), 'The coordinator epoch', { min: 0 }),
    };
    await data.admin.abortTransaction(spec);
    return `Aborted the open transaction of producer ${spec.producerId} (epoch ${spec.producerEpoch}) on ${topic}-${partition}.`;
  }, refusal);
};

const users: Handler = async ({ data, flash }) => {
  const found = await data.admin.describeUserScramCredentials().catch((err: Error) => `The cluster did not list its SCRAM credentials: ${refusal(err)}`);
  return page({ title: 'SCRAM users', section: '/users', flash, body: usersBody(found) });
};

/** Applies one alteration; the user's error, if the broker refused it, is thrown. */
async function alterScram(data: RouteContext['data'], alteration: ScramAlteration): Promise<void> {
  const failed = (await data.admin.alterUserScramCredentials([alteration])).get(alteration.user);
  if (failed) throw failed;
}

const setCredential: Handler = async ({ data, form }) =>
  change('/users', async () => {
    const user = (form.get('user') ?? '').trim();
    if (user === '') throw new HttpError(400, 'Name the user.');
    const password = form.get('password') ?? '';
    if (password === '') throw new HttpError(400, 'Give the user a password.');
    const mechanism = choiceField(form.get('mechanism'), 'The mechanism', SCRAM_MECHANISM_NAMES);
    const iterations = intField(form.get('iterations'), 'The iterations', { min: 1, fallback: DEFAULT_SCRAM_ITERATIONS });
    await alterScram(data, { type: 'upsert', user, mechanism, password, iterations });
    return `Set a ${mechanism} credential (${iterations} iterations) for ${user}.`;
  }, refusal);

const deleteCredential: Handler = async ({ data, form }) =>
  change('/users', async () => {
    const user = form.get('user') ?? '';
    const mechanism = choiceField(form.get('mechanism'), 'The mechanism', SCRAM_MECHANISM_NAMES);
    await alterScram(data, { type: 'delete', user, mechanism });
    return `Deleted the ${mechanism} credential of ${user}.`;
  }, refusal);

export const CLUSTER_ROUTES: ReadonlyArray<[string, RegExp, Handler]> = [
  ['GET', /^\/acls$/, acls],
  ['POST', /^\/acls$/, createAcl],
  ['POST', /^\/acls\/delete$/, deleteAcl],
  ['GET', /^\/quotas$/, quotas],
  ['POST', /^\/quotas$/, setQuota],
  ['POST', /^\/quotas\/remove$/, removeQuota],
  ['GET', /^\/transactions$/, transactions],
  ['GET', /^\/transactions\/describe$/, describeTransaction],
  ['POST', /^\/transactions\/abort$/, abortTransaction],
  ['GET', /^\/users$/, users],
  ['POST', /^\/users$/, setCredential],
  ['POST', /^\/users\/delete$/, deleteCredential],
];

