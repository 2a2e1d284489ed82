/**
 * Admin calls for client quotas (KIP-546): DescribeClientQuotas and AlterClientQuotas, as Kafka's
 * Admin.describeClientQuotas / alterClientQuotas. An entity maps entity types (`user`,
 * `client-id`, `ip`) to a name, or to null for that type's default.
 */
import { ErrorCode, KafkaError, errorName } from '../protocol/errors.js';
import type { DescribeClientQuotasRequest, DescribeClientQuotasResponse } from '../protocol/messages/48-describe-client-quotas.js';
import type { AlterClientQuotasRequest, AlterClientQuotasResponse } from '../protocol/messages/49-alter-client-quotas.js';
import type { Cluster } from './cluster.js';

const DESCRIBE_CLIENT_QUOTAS_KEY = 48;
const DESCRIBE_CLIENT_QUOTAS_VERSION_MAX = 1;
const ALTER_CLIENT_QUOTAS_KEY = 49;
const ALTER_CLIENT_QUOTAS_VERSION_MAX = 1;

/** Entity type → name (null: the default entity of that type). */
export type ClientQuotaEntity = Record<string, string | null>;

/** One filter component: an exact name, the type's default, or any entity of the type. */
export type ClientQuotaFilterComponent =
  | { entityType: string; match: 'exact'; name: string }
  | { entityType: string; match: 'default' }
  | { entityType: string; match: 'specified' };

const MATCH_TYPE = { exact: 0, default: 1, specified: 2 } as const;

export interface ClientQuotaEntry {
  entity: ClientQuotaEntity;
  values: Record<string, number>;
}

/** One entity's changes: a number sets the key, null removes it. */
export interface ClientQuotaAlteration {
  entity: ClientQuotaEntity;
  ops: Record<string, number | null>;
}

/**
 * The quotas of the entities a filter matches. `strict` (Kafka's ClientQuotaFilter.containsOnly)
 * leaves out entities that name types beyond the components.
 */
export async function describeClientQuotas(cluster: Cluster, components: ClientQuotaFilterComponent[], opts: { strict?: boolean } = {}): Promise<ClientQuotaEntry[]> {
  return cluster.withRetry(async () => {
    const conn = await cluster.anyConnection();
    const version = conn.versionFor(DESCRIBE_CLIENT_QUOTAS_KEY, DESCRIBE_CLIENT_QUOTAS_VERSION_MAX);
    const resp = await conn.request<DescribeClientQuotasRequest, DescribeClientQuotasResponse>(DESCRIBE_CLIENT_QUOTAS_KEY, version, {
      components: components.map((c) => ({ entityType: c.entityType, matchType: MATCH_TYPE[c.match], match: c.match === 'exact' ? c.name : null })),
      strict: opts.strict ?? false,
    });
    if (resp.errorCode !== ErrorCode.NONE) throw new KafkaError(resp.errorCode, resp.errorMessage ?? errorName(resp.errorCode));
    return (resp.entries ?? []).map((e) => ({
      entity: Object.fromEntries(e.entity.map((x) => [x.entityType, x.entityName])),
      values: Object.fromEntries(e.values.map((v) => [v.key, v.value])),
    }));
  });
}

/** Sets and removes quotas; the first entity refused throws its error (Kafka's sentence). */
export async function alterClientQuotas(cluster: Cluster, alterations: ClientQuotaAlteration[], opts: { validateOnly?: boolean } = {}): Promise<void> {
  await cluster.withRetry(async () => {
    const conn = await cluster.anyConnection();
    const version = conn.versionFor(ALTER_CLIENT_QUOTAS_KEY, ALTER_CLIENT_QUOTAS_VERSION_MAX);
    const resp = await conn.request<AlterClientQuotasRequest, AlterClientQuotasResponse>(ALTER_CLIENT_QUOTAS_KEY, version, {
      entries: alterations.map((a) => ({
        entity: Object.entries(a.entity).map(([entityType, entityName]) => ({ entityType, entityName })),
        ops: Object.entries(a.ops).map(([key, value]) => ({ key, value: value ?? 0, remove: value === null })),
      })),
      validateOnly: opts.validateOnly ?? false,
    });
    const failed = resp.entries.find((e) => e.errorCode !== ErrorCode.NONE);
    if (failed !== undefined) throw new KafkaError(failed.errorCode, failed.errorMessage ?? errorName(failed.errorCode));
  });
}
