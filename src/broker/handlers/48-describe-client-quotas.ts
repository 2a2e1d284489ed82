// DescribeClientQuotas (key 48), versions 0–1.
// The quotas of the entities a filter selects, from the metadata's quota records (Kafka's
// ClientQuotasImage.describe): components match a type EXACT (a name), DEFAULT (the type's
// default entity) or SPECIFIED (any entity of the type); strict keeps only entities with no type
// beyond the filter's. A bad filter → INVALID_REQUEST (an unknown entity type: UNSUPPORTED_VERSION)
// with Kafka's sentence and no entries.
// v1: flexible.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { DescribeClientQuotasRequestSchema, DescribeClientQuotasResponseSchema, type DescribeClientQuotasRequest, type DescribeClientQuotasResponse } from '../../protocol/messages/48-describe-client-quotas.js';
import { describeQuotas, entityList, quotaEntries } from '../../cluster/client-quotas.js';
import { Op, onCluster } from '../access.js';
import { CLUSTER_AUTHORIZATION_MESSAGE } from '../acl-apis.js';
import type { Handler } from '../handler.js';

export const describeClientQuotasHandler: Handler<DescribeClientQuotasRequest, DescribeClientQuotasResponse> = {
  apiKey: 48,
  minVersion: 0,
  maxVersion: 1,
  request: DescribeClientQuotasRequestSchema,
  response: DescribeClientQuotasResponseSchema,
  async handle(ctx, req) {
    if (!onCluster(ctx, Op.DESCRIBE_CONFIGS))
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: CLUSTER_AUTHORIZATION_MESSAGE, entries: null };
    try {
      const all = quotaEntries(ctx.broker.keyedRecords.records('quota')).values();
      const entries = describeQuotas(all, req.components, req.strict).map((e) => ({
        entity: entityList(e.entity),
        values: [...e.values].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, value]) => ({ key, value })),
      }));
      return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, entries };
    } catch (err) {
      if (!(err instanceof KafkaError)) throw err;
      return { throttleTimeMs: 0, errorCode: err.code, errorMessage: err.message, entries: null };
    }
  },
};
