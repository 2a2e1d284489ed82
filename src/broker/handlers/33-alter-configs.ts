// AlterConfigs (key 33), versions 0–2.
// Replaces a resource's whole set of overrides: a topic's configs (keys left out go back to the
// broker's values) or a broker scope's dynamic configs (this broker's id, or '' for the cluster
// default). Topics: unknown key or bad value → INVALID_CONFIG naming key and rule. Brokers, as
// Kafka's DynamicBrokerConfig: a key Kafka cannot change at runtime, a per-broker key at the
// cluster default, an ssl key without its listener prefix or a bad value → INVALID_REQUEST; keys
// Kafka does not know are stored (custom configs). Null value, a key given twice or a resource
// named twice → INVALID_REQUEST. validate_only checks without changing anything.
// Changes are stored durably before the reply and applied live to every partition log.
// v1: same as v0. v2+: flexible.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { AlterConfigsRequestSchema, AlterConfigsResponseSchema, type AlterConfigsRequest, type AlterConfigsResponse, type AlterConfigsResponseAlterConfigsResourceResponse } from '../../protocol/messages/33-alter-configs.js';
import { asResourceError, duplicateResources, replaceOverrides, resolveResource, resourceKey } from '../config-changes.js';
import { Op, configResourceRefusal } from '../access.js';
import type { Handler } from '../handler.js';

export const alterConfigsHandler: Handler<AlterConfigsRequest, AlterConfigsResponse> = {
  apiKey: 33,
  minVersion: 0,
  maxVersion: 2,
  request: AlterConfigsRequestSchema,
  response: AlterConfigsResponseSchema,
  async handle(ctx, req) {
    const dup = duplicateResources(req.resources);
    const responses: AlterConfigsResponseAlterConfigsResourceResponse[] = [];
    // One resource at a time, in order, so two changes to one topic cannot interleave.
    for (const res of req.resources) {
      const out = { errorCode: 0, errorMessage: null, resourceType: res.resourceType, resourceName: res.resourceName };
      try {
        if (dup.has(resourceKey(res))) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Error due to duplicate resource ${res.resourceName} in the request.`);
        const refusal = configResourceRefusal(ctx, Op.ALTER_CONFIGS, res.resourceType, res.resourceName);
        if (refusal !== 0) throw new KafkaError(refusal);
        const r = resolveResource(ctx, res.resourceType, res.resourceName);
        const configs: Record<string, string> = {};
        for (const c of res.configs) {
          if (c.value === null) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Null value not supported for: ${c.name}`);
          if (c.name in configs) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Error due to duplicate config keys: ${c.name}`);
          configs[c.name] = c.value;
        }
        await replaceOverrides(ctx, r, configs, req.validateOnly);
        responses.push(out);
      } catch (err) {
        responses.push({ ...out, ...asResourceError(err) });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
};
