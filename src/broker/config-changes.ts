/**
 * What the config APIs (DescribeConfigs, AlterConfigs, IncrementalAlterConfigs) share: which
 * resource a request names, the overrides it holds now, and writing a new set of them.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { DEFAULT_SCOPE } from '../cluster/dynamic-config.js';
import { topicNameError } from '../cluster/topic-names.js';
import type { RequestContext } from './handler.js';

/** Kafka's ConfigResource types. */
export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, CLIENT_METRICS: 16, GROUP: 32 } as const;

export type Resource = { kind: 'topic'; name: string } | { kind: 'broker'; scope: string } | { kind: 'group'; name: string } | { kind: 'client-metrics'; name: string };

/** Resolves a request's resource; KafkaError for a bad name or a type this broker does not keep configs for. */
export function resolveResource(ctx: RequestContext, resourceType: number, resourceName: string): Resource {
  if (resourceType === ResourceType.TOPIC) {
    const nameError = topicNameError(resourceName);
    if (nameError !== null) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, nameError);
    ctx.broker.topics.require(resourceName);
    return { kind: 'topic', name: resourceName };
  }
  if (resourceType === ResourceType.BROKER) {
    const node = String(ctx.broker.nodeId);
    if (resourceName !== DEFAULT_SCOPE && Number(resourceName) !== ctx.broker.nodeId)
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${node} or empty string, but received ${resourceName}`);
    return { kind: 'broker', scope: resourceName === DEFAULT_SCOPE ? DEFAULT_SCOPE : node };
  }
  if (resourceType === ResourceType.CLIENT_METRICS) {
    if (resourceName === '') throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Client metrics subscription name must not be empty');
    return { kind: 'client-metrics', name: resourceName };
  }
  if (resourceType === ResourceType.GROUP) {
    if (resourceName === '') throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Group name must not be empty');
    return { kind: 'group', name: resourceName };
  }
  throw new KafkaError(ErrorCode.INVALID_REQUEST, `Resource type ${resourceType} has no configs on this broker; use 2 (topic), 4 (broker), 16 (client metrics) or 32 (group).`);
}

/** The overrides a resource holds now: a topic's configs, or a broker scope's dynamic values. */
export function currentOverrides(ctx: RequestContext, r: Resource): Record<string, string> {
  if (r.kind === 'group') return { ...ctx.broker.groupConfigs.overrides(r.name) };
  if (r.kind === 'client-metrics') return { ...ctx.broker.telemetry.resources.configs(r.name) };
  return r.kind === 'topic' ? { ...ctx.broker.topics.require(r.name).configs } : { ...ctx.broker.dynamicConfig.dynamic(r.scope) };
}

/** Validates a resource's whole new set of overrides and, unless `validateOnly`, stores and applies it. */
export async function replaceOverrides(ctx: RequestContext, r: Resource, configs: Record<string, string>, validateOnly: boolean): Promise<void> {
  const { topics, dynamicConfig, groupConfigs } = ctx.broker;
  if (r.kind === 'group') {
    groupConfigs.validate(configs);
    if (!validateOnly) await groupConfigs.set(r.name, configs);
    return;
  }
  if (r.kind === 'client-metrics') {
    const { resources } = ctx.broker.telemetry;
    resources.validate(configs);
    if (!validateOnly) await resources.set(r.name, configs);
    return;
  }
  if (r.kind === 'topic') {
    topics.validateConfigs(configs);
    if (!validateOnly) await topics.setTopicConfigs(r.name, configs);
    return;
  }
  dynamicConfig.validate(r.scope, configs);
  if (validateOnly) return;
  await dynamicConfig.set(r.scope, configs);
  // Topics without their own value follow the broker's: give every log its new settings.
  topics.reapplyLogConfigs();
}

/** Resources named more than once in one request; Kafka answers each of them INVALID_REQUEST. */
export function duplicateResources(resources: ReadonlyArray<{ resourceType: number; resourceName: string }>): Set<string> {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const r of resources) {
    const key = resourceKey(r);
    if (seen.has(key)) dup.add(key);
    seen.add(key);
  }
  return dup;
}

export function resourceKey(r: { resourceType: number; resourceName: string }): string {
  return `${r.resourceType}:${r.resourceName}`;
}

/** Turns a thrown KafkaError into a resource's error code and message; anything else is rethrown. */
export function asResourceError(err: unknown): { errorCode: number; errorMessage: string } {
  if (!(err instanceof KafkaError)) throw err;
  return { errorCode: err.code, errorMessage: err.message };
}
