/**
 * The authorization checks handlers make, as Kafka's AuthHelper makes them: each asks the broker's
 * authorizer about the request's principal and client address, and allows everything when no
 * authorizer is configured (one null check, so Produce and Fetch cost nothing more then).
 */
import { AclOperationCode as Op, CLUSTER_NAME, ResourceType } from '../protocol/acls.js';
import { ANONYMOUS_PRINCIPAL, type RequestContext } from './handler.js';
import { ErrorCode } from '../protocol/errors.js';

export { Op, ResourceType };

/** The client's address as Kafka's ACL hosts name it: an IPv4-mapped IPv6 address as plain IPv4. */
export function aclHost(clientHost: string): string {
  return clientHost.startsWith('::ffff:') && clientHost.includes('.') ? clientHost.slice(7) : clientHost;
}

/** May the request's principal do `operation` on the resource? Always true without an authorizer. */
export function allowed(ctx: RequestContext, operation: number, resourceType: number, name: string): boolean {
  const a = ctx.broker.authorizer;
  if (a === null || a === undefined) return true;
  return a.authorize(ctx.principal ?? ANONYMOUS_PRINCIPAL, aclHost(ctx.clientHost), operation, resourceType, name);
}

export const onCluster = (ctx: RequestContext, operation: number): boolean => allowed(ctx, operation, ResourceType.CLUSTER, CLUSTER_NAME);
export const onTopic = (ctx: RequestContext, operation: number, topic: string): boolean => allowed(ctx, operation, ResourceType.TOPIC, topic);
export const onGroup = (ctx: RequestContext, operation: number, group: string): boolean => allowed(ctx, operation, ResourceType.GROUP, group);
export const onTransactionalId = (ctx: RequestContext, operation: number, id: string): boolean => allowed(ctx, operation, ResourceType.TRANSACTIONAL_ID, id);

/** Kafka's filterByAuthorized: the names (each checked once) the principal may do `operation` on. */
export function authorizedTopics(ctx: RequestContext, operation: number, topics: Iterable<string>): Set<string> {
  const out = new Set<string>();
  if (ctx.broker.authorizer == null) {
    for (const t of topics) out.add(t);
    return out;
  }
  const seen = new Set<string>();
  for (const t of topics) {
    if (seen.has(t)) continue;
    seen.add(t);
    if (onTopic(ctx, operation, t)) out.add(t);
  }
  return out;
}

/** Kafka's authorizeByResourceType. */
export function onSomeResource(ctx: RequestContext, operation: number, resourceType: number): boolean {
  const a = ctx.broker.authorizer;
  if (a === null || a === undefined) return true;
  return a.authorizeByResourceType(ctx.principal ?? ANONYMOUS_PRINCIPAL, aclHost(ctx.clientHost), operation, resourceType);
}

/**
 * KIP-430's authorized operations of a resource: from the authorizer when there is one, else
 * `all` (every operation the resource type supports, as a broker without an authorizer says).
 */
export function operationsOn(ctx: RequestContext, resourceType: number, name: string, all: number): number {
  const a = ctx.broker.authorizer;
  if (a === null || a === undefined) return all;
  return a.authorizedOperations(ctx.principal ?? ANONYMOUS_PRINCIPAL, aclHost(ctx.clientHost), resourceType, name);
}

/** Whether the request needs checking at all: false without an authorizer. */
export const authorizing = (ctx: RequestContext): boolean => ctx.broker.authorizer != null;

/** The topics of a request the principal may not do `operation` on; null without an authorizer (nothing to check, nothing allocated). */
export function deniedTopics(ctx: RequestContext, operation: number, topics: Iterable<string>): Set<string> | null {
  if (ctx.broker.authorizer == null) return null;
  const denied = new Set<string>();
  for (const t of topics) if (!denied.has(t) && !onTopic(ctx, operation, t)) denied.add(t);
  return denied;
}

/** ConfigResource types that the config APIs authorize on the cluster (a broker, its loggers) and on a topic. */
const CONFIG_TOPIC = 2;
const CONFIG_BROKER = 4;
const CONFIG_BROKER_LOGGER = 8;
const CONFIG_GROUP = 32;
const CONFIG_CLIENT_METRICS = 16;

/**
 * Kafka's check of a config resource (DescribeConfigs, AlterConfigs, IncrementalAlterConfigs):
 * `operation` on the topic, or on the cluster for a broker; the error code when refused, else 0.
 */
export function configResourceRefusal(ctx: RequestContext, operation: number, resourceType: number, resourceName: string): number {
  if (resourceType === CONFIG_TOPIC) return onTopic(ctx, operation, resourceName) ? 0 : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  if (resourceType === CONFIG_GROUP) return onGroup(ctx, operation, resourceName) ? 0 : ErrorCode.GROUP_AUTHORIZATION_FAILED;
  if (resourceType === CONFIG_BROKER || resourceType === CONFIG_BROKER_LOGGER || resourceType === CONFIG_CLIENT_METRICS) return onCluster(ctx, operation) ? 0 : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
  return 0;
}
