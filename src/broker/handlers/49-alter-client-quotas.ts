// AlterClientQuotas (key 49), versions 0–1.
// Sets and removes quotas of user, client-id, (user, client-id) and ip entities, a null name
// being the type's default, with Kafka's checks (ClientQuotaControlManager): known keys for the
// entity (producer_byte_rate, consumer_byte_rate, request_percentage, controller_mutation_rate;
// connection_creation_rate for ips), values above 0, whole numbers for the integral keys, no key
// twice, no entity twice — each failure INVALID_REQUEST with Kafka's sentence for that entry
// alone. The accepted entries' changes are stored in one batch, so every broker applies them
// together; validate_only checks without storing. controller_mutation_rate is stored, not enforced.
// v1: flexible.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { AlterClientQuotasRequestSchema, AlterClientQuotasResponseSchema, type AlterClientQuotasRequest, type AlterClientQuotasResponse, type AlterClientQuotasResponseEntryData } from '../../protocol/messages/49-alter-client-quotas.js';
import { alterationChanges, entityOf, entityText } from '../../cluster/client-quotas.js';
import type { KeyedChange } from '../../cluster/store/keyed-records.js';
import { Op, onCluster } from '../access.js';
import { CLUSTER_AUTHORIZATION_MESSAGE } from '../acl-apis.js';
import type { Handler } from '../handler.js';

export const alterClientQuotasHandler: Handler<AlterClientQuotasRequest, AlterClientQuotasResponse> = {
  apiKey: 49,
  minVersion: 0,
  maxVersion: 1,
  request: AlterClientQuotasRequestSchema,
  response: AlterClientQuotasResponseSchema,
  async handle(ctx, req) {
    if (!onCluster(ctx, Op.ALTER_CONFIGS))
      return { throttleTimeMs: 0, entries: req.entries.map((e) => ({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: CLUSTER_AUTHORIZATION_MESSAGE, entity: e.entity })) };
    const store = ctx.broker.keyedRecords;
    const current = store.records('quota');
    const seen = new Set<string>();
    const changes: KeyedChange[] = [];
    const entries: AlterClientQuotasResponseEntryData[] = [];
    for (const e of req.entries) {
      const out: AlterClientQuotasResponseEntryData = { errorCode: ErrorCode.NONE, errorMessage: null, entity: e.entity };
      entries.push(out);
      const entity = entityOf(e.entity);
      const id = JSON.stringify(Object.entries(entity).sort());
      try {
        if (seen.has(id)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Ignoring duplicate entity ${entityText(entity)}`);
        seen.add(id);
        changes.push(...(await alterationChanges({ entity: e.entity, ops: e.ops.map((o) => ({ key: o.key, value: o.remove ? null : o.value })) }, current)));
      } catch (err) {
        if (!(err instanceof KafkaError)) throw err;
        out.errorCode = err.code;
        out.errorMessage = err.message;
      }
    }
    if (req.validateOnly || changes.length === 0) return { throttleTimeMs: 0, entries };
    try {
      await store.putRecords('quota', changes);
    } catch (err) {
      for (const out of entries) {
        if (out.errorCode !== ErrorCode.NONE) continue;
        out.errorCode = ErrorCode.UNKNOWN_SERVER_ERROR;
        out.errorMessage = `The quotas could not be stored: ${(err as Error).message}`;
      }
    }
    return { throttleTimeMs: 0, entries };
  },
};
