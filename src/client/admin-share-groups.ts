/**
 * The share-group side of Kafka's Admin (KIP-932): listShareGroups (ListGroups with the type
 * filter), describeShareGroups (ShareGroupDescribe from each group's coordinator),
 * listShareGroupOffsets (DescribeShareGroupOffsets: each share-partition's start offset and lag),
 * alterShareGroupOffsets and deleteShareGroupOffsets (AlterShareGroupOffsets,
 * DeleteShareGroupOffsets, to the coordinator; the group must be empty). Admin.deleteGroups
 * deletes share groups too.
 */
import { ErrorCode, KafkaError, errorName } from '../protocol/errors.js';
import type { ShareGroupDescribeRequest, ShareGroupDescribeResponse } from '../protocol/messages/77-share-group-describe.js';
import type { DescribeShareGroupOffsetsRequest, DescribeShareGroupOffsetsResponse } from '../protocol/messages/90-describe-share-group-offsets.js';
import type { ListGroupsRequest, ListGroupsResponse } from '../protocol/messages/16-list-groups.js';
import type { AlterShareGroupOffsetsRequest, AlterShareGroupOffsetsResponse } from '../protocol/messages/91-alter-share-group-offsets.js';
import type { DeleteShareGroupOffsetsRequest, DeleteShareGroupOffsetsResponse } from '../protocol/messages/92-delete-share-group-offsets.js';
import type { Cluster } from './cluster.js';
import { findCoordinator } from './group/requests.js';

export interface ShareGroupMember {
  memberId: string;
  memberEpoch: number;
  clientId: string;
  clientHost: string;
  assignment: Array<{ topic: string; partition: number }>;
}

export interface ShareGroupDescription {
  groupId: string;
  state: string;
  coordinator: { nodeId: number; host: string; port: number };
  groupEpoch: number;
  members: ShareGroupMember[];
}

export interface ShareGroupOffset {
  topic: string;
  partition: number;
  /** The share-partition start offset; -1 when the group has no state for the partition. */
  startOffset: number;
  /** Records from the start offset to the high watermark; -1 when unknown. */
  lag: number;
}

async function coordinatorOf(cluster: Cluster, groupId: string) {
  const address = await findCoordinator(await cluster.anyConnection(), groupId);
  return { address, conn: await cluster.connectionTo(address.nodeId) };
}

/** Every share group in the cluster (ListGroups v5 with types ["share"] from each broker). */
export async function listShareGroups(cluster: Cluster): Promise<Array<{ groupId: string; state: string }>> {
  const snap = await cluster.refresh([]);
  const out = new Map<string, string>();
  for (const b of snap.brokers) {
    // A coordinator still loading its groups (COORDINATOR_LOAD_IN_PROGRESS) is asked again, as Kafka's admin does.
    const groups = await cluster.withRetry(async () => {
      const conn = await cluster.connectionTo(b.nodeId);
      const resp = await conn.request<ListGroupsRequest, ListGroupsResponse>(16, conn.versionFor(16, 5, 5), { statesFilter: [], typesFilter: ['share'] });
      if (resp.errorCode !== ErrorCode.NONE) throw new KafkaError(resp.errorCode, `ListGroups failed: ${errorName(resp.errorCode)}`);
      return resp.groups;
    });
    for (const g of groups) out.set(g.groupId, g.groupState);
  }
  return [...out].sort(([a], [b]) => (a < b ? -1 : 1)).map(([groupId, state]) => ({ groupId, state }));
}

export async function describeShareGroups(cluster: Cluster, groupIds: string[]): Promise<ShareGroupDescription[]> {
  return Promise.all(
    groupIds.map((groupId) =>
      cluster.withRetry(async () => {
        const { address, conn } = await coordinatorOf(cluster, groupId);
        const resp = await conn.request<ShareGroupDescribeRequest, ShareGroupDescribeResponse>(77, conn.versionFor(77, 1, 1), { groupIds: [groupId], includeAuthorizedOperations: false });
        const g = resp.groups[0]!;
        if (g.errorCode !== ErrorCode.NONE) throw new KafkaError(g.errorCode, g.errorMessage ?? `Describing share group '${groupId}' failed: ${errorName(g.errorCode)}`);
        return {
          groupId, state: g.groupState, coordinator: { nodeId: address.nodeId, host: address.host, port: address.port }, groupEpoch: g.groupEpoch,
          members: g.members.map((m) => ({
            memberId: m.memberId, memberEpoch: m.memberEpoch, clientId: m.clientId, clientHost: m.clientHost,
            assignment: m.assignment.topicPartitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topicName, partition }))),
          })),
        };
      }),
    ),
  );
}

export async function listShareGroupOffsets(cluster: Cluster, groupId: string): Promise<ShareGroupOffset[]> {
  return cluster.withRetry(async () => {
    const { conn } = await coordinatorOf(cluster, groupId);
    const resp = await conn.request<DescribeShareGroupOffsetsRequest, DescribeShareGroupOffsetsResponse>(90, conn.versionFor(90, 1, 0), { groups: [{ groupId, topics: null }] });
    const g = resp.groups[0]!;
    if (g.errorCode !== ErrorCode.NONE) throw new KafkaError(g.errorCode, g.errorMessage ?? `Share group '${groupId}': ${errorName(g.errorCode)}`);
    return g.topics
      .flatMap((t) => t.partitions.map((p) => ({ topic: t.topicName, partition: p.partitionIndex, startOffset: p.startOffset, lag: p.lag ?? -1 })))
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  });
}

/** Errors that mean the coordinator moved or is not ready: asked again through withRetry. */
const COORDINATOR_ERRORS = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);

function failure(code: number, message: string | null, fallback: string): KafkaError | null {
  return code === ErrorCode.NONE ? null : new KafkaError(code, message ?? `${fallback}: ${errorName(code)}`);
}

/**
 * Sets the start offset of each share-partition (Kafka's Admin.alterShareGroupOffsets). A
 * refusal of the whole request (the group has members, is not a share group, …) is thrown; each
 * partition's own outcome is in the result, its error or null.
 */
export async function alterShareGroupOffsets(
  cluster: Cluster,
  groupId: string,
  offsets: Array<{ topic: string; partition: number; startOffset: number }>,
): Promise<Array<{ topic: string; partition: number; error: KafkaError | null }>> {
  const byTopic = new Map<string, Array<{ partitionIndex: number; startOffset: number }>>();
  for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partitionIndex: o.partition, startOffset: o.startOffset }]);
  return cluster.withRetry(async () => {
    const { conn } = await coordinatorOf(cluster, groupId);
    const req: AlterShareGroupOffsetsRequest = { groupId, topics: [...byTopic].map(([topicName, partitions]) => ({ topicName, partitions })) };
    const resp = await conn.request<AlterShareGroupOffsetsRequest, AlterShareGroupOffsetsResponse>(91, conn.versionFor(91, 0, 0), req);
    const top = failure(resp.errorCode, resp.errorMessage, `Altering the offsets of share group '${groupId}' failed`);
    if (top !== null) throw top;
    return resp.responses.flatMap((t) =>
      t.partitions.map((p) => {
        if (COORDINATOR_ERRORS.has(p.errorCode)) throw new KafkaError(p.errorCode, p.errorMessage ?? errorName(p.errorCode));
        return { topic: t.topicName, partition: p.partitionIndex, error: failure(p.errorCode, p.errorMessage, `${t.topicName}-${p.partitionIndex}`) };
      }),
    );
  });
}

/**
 * Deletes the share-partition states of the group for each topic (Kafka's
 * Admin.deleteShareGroupOffsets): the group starts there again from share.auto.offset.reset.
 * A refusal of the whole request is thrown; each topic's outcome is in the result.
 */
export async function deleteShareGroupOffsets(cluster: Cluster, groupId: string, topics: string[]): Promise<Array<{ topic: string; error: KafkaError | null }>> {
  return cluster.withRetry(async () => {
    const { conn } = await coordinatorOf(cluster, groupId);
    const req: DeleteShareGroupOffsetsRequest = { groupId, topics: topics.map((topicName) => ({ topicName })) };
    const resp = await conn.request<DeleteShareGroupOffsetsRequest, DeleteShareGroupOffsetsResponse>(92, conn.versionFor(92, 0, 0), req);
    const top = failure(resp.errorCode, resp.errorMessage, `Deleting the offsets of share group '${groupId}' failed`);
    if (top !== null) throw top;
    return resp.responses.map((t) => ({ topic: t.topicName, error: failure(t.errorCode, t.errorMessage, t.topicName) }));
  });
}
