// IncrementalAlterConfigs (key 44), versions 0–1.
// Changes some keys of a resource and leaves the rest: SET (0) a value, DELETE (1) an override
// (back to the broker's value), APPEND (2) / SUBTRACT (3) items of a list config
// (cleanup.policy, log.cleanup.policy; starting from the value in force, which may be inherited).
// Resources as in AlterConfigs (topic; broker id or '' for the cluster default) and groups (32:
// Kafka 4's group configs, names and values checked as Kafka's GroupConfig), with the same
// validation and errors; APPEND/SUBTRACT on a non-list key → INVALID_CONFIG; an unknown
// operation → INVALID_REQUEST. validate_only checks without changing anything.
// v1+: flexible.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { IncrementalAlterConfigsRequestSchema, IncrementalAlterConfigsResponseSchema, type IncrementalAlterConfigsRequest, type IncrementalAlterConfigsResponse, type IncrementalAlterConfigsResponseAlterConfigsResourceResponse } from '../../protocol/messages/44-incremental-alter-configs.js';
import { isListConfig } from '../../cluster/config-catalog.js';
import { describeTopicConfigs } from '../topic-configs.js';
import { asResourceError, currentOverrides, duplicateResources, replaceOverrides, resolveResource, resourceKey, type Resource } from '../config-changes.js';
import { Op, configResourceRefusal } from '../access.js';
import type { Handler, RequestContext } from '../handler.js';

const OP_SET = 0;
const OP_DELETE = 1;
const OP_APPEND = 2;
const OP_SUBTRACT = 3;

export const incrementalAlterConfigsHandler: Handler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> = {
  apiKey: 44,
  minVersion: 0,
  maxVersion: 1,
  request: IncrementalAlterConfigsRequestSchema,
  response: IncrementalAlterConfigsResponseSchema,
  async handle(ctx, req) {
    const dup = duplicateResources(req.resources);
    const responses: IncrementalAlterConfigsResponseAlterConfigsResourceResponse[] = [];
    // One resource at a time, in order: each reads the overrides the one before it wrote.
    for (const res of req.resources) {
      const out = { errorCode: 0, errorMessage: null, resourceType: res.resourceType, resourceName: res.resourceName };
      try {
        if (dup.has(resourceKey(res))) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Error due to duplicate resource ${res.resourceName} in the request.`);
        const refusal = configResourceRefusal(ctx, Op.ALTER_CONFIGS, res.resourceType, res.resourceName);
        if (refusal !== 0) throw new KafkaError(refusal);
        const r = resolveResource(ctx, res.resourceType, res.resourceName);
        const names = new Set<string>();
        const configs = currentOverrides(ctx, r);
        for (const c of res.configs) {
          if (names.has(c.name)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Error due to duplicate config keys: ${c.name}`);
          names.add(c.name);
          applyOp(r, configs, c.name, c.configOperation, c.value, () => inForce(ctx, r, c.name));
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

/** The value a key has now when the resource does not set it: inherited from the broker or Kafka's default. */
function inForce(ctx: RequestContext, r: Resource, name: string): string | null {
  const { dynamicConfig } = ctx.broker;
  if (r.kind === 'broker') return dynamicConfig.resolve(name).value;
  if (r.kind === 'group' || r.kind === 'client-metrics') return null;
  return describeTopicConfigs(dynamicConfig, {}).find((e) => e.name === name)?.value ?? null;
}

function applyOp(r: Resource, configs: Record<string, string>, name: string, op: number, value: string | null, inherited: () => string | null): void {
  switch (op) {
    case OP_SET:
      if (value === null) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Null value not supported for: ${name}`);
      configs[name] = value;
      return;
    case OP_DELETE:
      delete configs[name];
      return;
    case OP_APPEND:
    case OP_SUBTRACT: {
      const verb = op === OP_APPEND ? 'append' : 'subtract';
      if (!isListConfig(name, r.kind)) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Config value ${verb} is not allowed for config key: ${name}`);
      const current = configs[name] ?? inherited() ?? '';
      const items = current.split(',').map((s) => s.trim()).filter((s) => s !== '');
      const given = (value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
      const next = op === OP_APPEND ? [...items, ...given.filter((g) => !items.includes(g))] : items.filter((i) => !given.includes(i));
      configs[name] = next.join(',');
      return;
    }
    default:
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown config operation ${op} for ${name}; expected 0 (SET), 1 (DELETE), 2 (APPEND) or 3 (SUBTRACT).`);
  }
}
