/**
 * The share group admin APIs that change state (KIP-932, Kafka 4.2): AlterShareGroupOffsets,
 * DeleteShareGroupOffsets and DeleteGroups of a share group. Each needs an empty group (Kafka's
 * ShareGroup.validateEmptyGroup: NON_EMPTY_GROUP while members remain) and writes
 * `__share_group_state` before it answers, through share-service.ts.
 *
 * The checks follow Kafka's KafkaApis and GroupCoordinatorShard/GroupMetadataManager, in their
 * order: the group ACL (READ to alter, DELETE to delete offsets), the coordinator's state, READ
 * on each topic, then the group itself (GROUP_ID_NOT_FOUND "Group G not found." or "Group G is not
 * a share group."), then each topic and partition.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { AlterShareGroupOffsetsRequest, AlterShareGroupOffsetsResponse, AlterShareGroupOffsetsResponsePartition } from '../protocol/messages/91-alter-share-group-offsets.js';
import type { DeleteShareGroupOffsetsRequest, DeleteShareGroupOffsetsResponse, DeleteShareGroupOffsetsResponseTopic } from '../protocol/messages/92-delete-share-group-offsets.js';
import { Op, onGroup, onTopic } from './access.js';
import type { BrokerContext, RequestContext } from './handler.js';
import { ShareService } from './share-service.js';

/** Kafka's default messages (Errors.java) for the codes these APIs answer. */
const MESSAGES = new Map<number, string>([
  [ErrorCode.UNKNOWN_SERVER_ERROR, 'The server experienced an unexpected error when processing the request.'],
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.'],
  [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, "The coordinator is loading and hence can't process requests."],
  [ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.'],
  [ErrorCode.NOT_COORDINATOR, 'This is not the correct coordinator.'],
  [ErrorCode.INVALID_GROUP_ID, 'The group id is invalid.'],
  [ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Topic authorization failed.'],
  [ErrorCode.GROUP_AUTHORIZATION_FAILED, 'Group authorization failed.'],
  [ErrorCode.NON_EMPTY_GROUP, 'The group is not empty.'],
  [ErrorCode.GROUP_ID_NOT_FOUND, 'The group id does not exist.'],
]);
/** GroupMetadataManager's row for a topic the group has no share-partition state for. */
const NO_OFFSETS = 'There is no offset information to delete.';

export const kafkaMessage = (code: number): string | null => MESSAGES.get(code) ?? null;

interface Refusal {
  errorCode: number;
  errorMessage: string | null;
}

/**
 * Kafka's shareGroup(groupId) then validateEmptyGroup(): null for an empty share group, else why
 * not. A share group exists here while it has members, or share-partition state.
 */
async function emptyShareGroup(broker: BrokerContext, share: ShareService | undefined, groupId: string): Promise<Refusal | null> {
  const classic = broker.groups.getGroup(groupId);
  if (classic !== undefined && !classic.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} is not a share group.` };
  const live = broker.groups.shares.get(groupId);
  if (live === undefined && (share === undefined || (await share.stateOf(groupId)).length === 0)) {
    return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.` };
  }
  if (live !== undefined && live.members.size > 0) return { errorCode: ErrorCode.NON_EMPTY_GROUP, errorMessage: kafkaMessage(ErrorCode.NON_EMPTY_GROUP) };
  return null;
}

/** The refusal every request for the group gets first: its ACL, then the coordinator's state. */
function groupRefusal(ctx: RequestContext, groupId: string, operation: number): Refusal | null {
  if (!onGroup(ctx, operation, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: kafkaMessage(ErrorCode.GROUP_AUTHORIZATION_FAILED) };
  const notHere = ctx.broker.groups.groupError(groupId, 'non-empty');
  return notHere === null ? null : { errorCode: notHere, errorMessage: kafkaMessage(notHere) };
}

function failureCode(err: unknown): number {
  return err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
}

export async function alterShareGroupOffsets(ctx: RequestContext, req: AlterShareGroupOffsetsRequest): Promise<AlterShareGroupOffsetsResponse> {
  const topLevel = (r: Refusal): AlterShareGroupOffsetsResponse => ({ throttleTimeMs: 0, ...r, responses: [] });
  const refused = groupRefusal(ctx, req.groupId, Op.READ);
  if (refused !== null) return topLevel(refused);
  const share = ShareService.ifAny(ctx.broker);
  const notEmpty = await emptyShareGroup(ctx.broker, share, req.groupId);
  if (notEmpty !== null) return topLevel(notEmpty);
  const responses: AlterShareGroupOffsetsResponse['responses'] = [];
  for (const t of req.topics) {
    const meta = ctx.broker.topics.get(t.topicName);
    const topicError = !onTopic(ctx, Op.READ, t.topicName) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : meta === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : 0;
    const partitions: AlterShareGroupOffsetsResponsePartition[] = [];
    for (const p of t.partitions) {
      let errorCode = topicError !== 0 ? topicError : p.partitionIndex < 0 || p.partitionIndex >= meta!.partitions ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : 0;
      let errorMessage = kafkaMessage(errorCode);
      if (errorCode === 0 && p.startOffset < 0) {
        errorCode = ErrorCode.INVALID_REQUEST;
        errorMessage = `The start offset of ${t.topicName}-${p.partitionIndex} must be 0 or more, not ${p.startOffset}.`;
      }
      if (errorCode === 0) {
        try {
          await share!.resetStart(req.groupId, meta!.topicId, p.partitionIndex, p.startOffset);
          errorMessage = null;
        } catch (err) {
          errorCode = failureCode(err);
          errorMessage = err instanceof Error ? err.message : String(err);
        }
      }
      partitions.push({ partitionIndex: p.partitionIndex, errorCode, errorMessage });
    }
    responses.push({ topicName: t.topicName, topicId: meta?.topicId ?? '', partitions });
  }
  return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, responses };
}

export async function deleteShareGroupOffsets(ctx: RequestContext, req: DeleteShareGroupOffsetsRequest): Promise<DeleteShareGroupOffsetsResponse> {
  const topLevel = (r: Refusal): DeleteShareGroupOffsetsResponse => ({ throttleTimeMs: 0, ...r, responses: [] });
  const refused = groupRefusal(ctx, req.groupId, Op.DELETE);
  if (refused !== null) return topLevel(refused);
  const row = (topicName: string, topicId: string, errorCode: number, errorMessage = kafkaMessage(errorCode)): DeleteShareGroupOffsetsResponseTopic => ({ topicName, topicId, errorCode, errorMessage });
  // Kafka's order: the topics refused by their ACL, then those deleted, then the others.
  const denied = req.topics.filter((t) => !onTopic(ctx, Op.READ, t.topicName)).map((t) => row(t.topicName, '', ErrorCode.TOPIC_AUTHORIZATION_FAILED));
  const share = ShareService.ifAny(ctx.broker);
  const notEmpty = await emptyShareGroup(ctx.broker, share, req.groupId);
  if (notEmpty !== null) return topLevel(notEmpty);
  const state = await share!.stateOf(req.groupId);
  // A group with no share-partition state at all answers no rows, as Kafka's does.
  if (state.length === 0) return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, responses: denied };
  const deleted: DeleteShareGroupOffsetsResponseTopic[] = [];
  const others: DeleteShareGroupOffsetsResponseTopic[] = [];
  for (const t of req.topics) {
    if (!onTopic(ctx, Op.READ, t.topicName)) continue;
    const meta = ctx.broker.topics.get(t.topicName);
    if (meta === undefined) {
      others.push(row(t.topicName, '', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
      continue;
    }
    const keys = state.filter((k) => k.topicId === meta.topicId);
    if (keys.length === 0) {
      others.push(row(t.topicName, '', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, NO_OFFSETS));
      continue;
    }
    try {
      for (const k of keys) await share!.forget(req.groupId, k.topicId, k.partition);
      deleted.push(row(t.topicName, meta.topicId, 0, null));
    } catch (err) {
      others.push(row(t.topicName, meta.topicId, failureCode(err), err instanceof Error ? err.message : String(err)));
    }
  }
  return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, responses: [...denied, ...deleted, ...others] };
}

/**
 * DeleteGroups for a share group: NON_EMPTY_GROUP while it has members, else its share-partition
 * states are deleted and the group forgotten. Null when the group is not a share group here, for
 * the classic (and consumer) groups to answer.
 */
export async function deleteShareGroup(broker: BrokerContext, groupId: string): Promise<number | null> {
  const share = ShareService.ifAny(broker);
  if ((share === undefined && broker.groups.shares.get(groupId) === undefined) || groupId === '') return null;
  const notHere = broker.groups.groupError(groupId, 'any');
  if (notHere !== null) return notHere;
  const check = await emptyShareGroup(broker, share, groupId);
  if (check?.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) return null;
  if (check !== null) return check.errorCode;
  try {
    for (const k of (await share?.stateOf(groupId)) ?? []) await share!.forget(groupId, k.topicId, k.partition);
  } catch (err) {
    return failureCode(err);
  }
  // Then the group's tombstones in __consumer_offsets (NON_EMPTY_GROUP if a member joined meanwhile).
  return broker.groups.shares.delete(groupId);
}
