/**
 * Authorized operations (KIP-430): a bit set over Kafka's AclOperation codes. A broker without an
 * authorizer reports every operation a resource type supports; with one, those the principal may
 * do (`clusterOperations`, access.ts' `operationsOn`). Sent only when the client asks
 * (`include_*_authorized_operations`); otherwise the field keeps its default.
 */
import { Op, ResourceType, onCluster, operationsOn } from './access.js';
import { CLUSTER_NAME } from '../protocol/acls.js';
import type { RequestContext } from './handler.js';

/** Kafka's AclOperation codes. */
export const AclOperation = {
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
} as const;

/** The schemas' default for an authorized-operations field that was not asked for (-2^31). */
export const AUTHORIZED_OPERATIONS_NOT_REQUESTED = -2147483648;

function bits(...operations: number[]): number {
  return operations.reduce((set, op) => set | (1 << op), 0);
}

const { READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE } = AclOperation;

/** What Kafka's AclEntry.supportedOperations lists for each resource type. */
export const TOPIC_OPERATIONS = bits(READ, WRITE, CREATE, DESCRIBE, DELETE, ALTER, DESCRIBE_CONFIGS, ALTER_CONFIGS);
export const CLUSTER_OPERATIONS = bits(CREATE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE, ALTER, DESCRIBE);
/** Kafka 4's set: group configs (DESCRIBE_CONFIGS, ALTER_CONFIGS on a group) are served. */
export const GROUP_OPERATIONS = bits(READ, DESCRIBE, DELETE, DESCRIBE_CONFIGS, ALTER_CONFIGS);

/** `operations` when the client asked for them, else the field's default. */
export function authorizedOperations(asked: boolean, operations: number): number {
  return asked ? operations : AUTHORIZED_OPERATIONS_NOT_REQUESTED;
}

/** The cluster's authorized operations as Kafka reports them: none (0) without Describe on the cluster. */
export function clusterOperations(ctx: RequestContext): number {
  return onCluster(ctx, Op.DESCRIBE) ? operationsOn(ctx, ResourceType.CLUSTER, CLUSTER_NAME, CLUSTER_OPERATIONS) : 0;
}
