/**
 * The group requests that the consumer and the admin client share: finding a group's
 * coordinator, committing offsets and fetching committed offsets. Each picks the highest version
 * both sides speak and turns Kafka's error codes into a KafkaError with a sentence.
 */
import { ErrorCode, KafkaError, errorName } from '../../protocol/errors.js';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../../protocol/messages/10-find-coordinator.js';
import type { OffsetCommitRequest, OffsetCommitResponse } from '../../protocol/messages/08-offset-commit.js';
import type { OffsetFetchRequest, OffsetFetchResponse } from '../../protocol/messages/09-offset-fetch.js';
import type { Connection } from '../connection.js';
import { tpKey } from './assignor.js';

export const FIND_COORDINATOR_KEY = 10;
/** v4+ looks up many keys at once; v5–6 are for share groups and transactions we do not need. */
const FIND_COORDINATOR_VERSION_MAX = 4;
const OFFSET_COMMIT_KEY = 8;
/** v1 is the first with a generation and member id. */
const OFFSET_COMMIT_VERSION_MIN = 1;
const OFFSET_COMMIT_VERSION_MAX = 9;
const OFFSET_FETCH_KEY = 9;
const OFFSET_FETCH_VERSION_MIN = 1;
const OFFSET_FETCH_VERSION_MAX = 9;
/** OffsetFetch v2 is the first that can ask for every partition of a group (topics = null). */
const OFFSET_FETCH_ALL_VERSION_MIN = 2;
/** OffsetFetch v8 moved to a list of groups. */
const OFFSET_FETCH_MULTI_GROUP_VERSION = 8;
/** FindCoordinator key type for consumer groups (1 is transactions). */
const KEY_TYPE_GROUP = 0;
/** Generation and member id of a commit made outside any generation (admin tools, assign()). */
export const STANDALONE_GENERATION = -1;

/** Errors that mean "ask who the coordinator is again". */
export const COORDINATOR_MOVED = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE]);

export interface CoordinatorAddress {
  nodeId: number;
  host: string;
  port: number;
}

export async function findCoordinator(conn: Connection, groupId: string): Promise<CoordinatorAddress> {
  const version = conn.versionFor(FIND_COORDINATOR_KEY, FIND_COORDINATOR_VERSION_MAX);
  const resp = await conn.request<FindCoordinatorRequest, FindCoordinatorResponse>(FIND_COORDINATOR_KEY, version, {
    key: groupId,
    keyType: KEY_TYPE_GROUP,
    coordinatorKeys: [groupId],
  });
  const c = version >= 4 ? resp.coordinators.find((x) => x.key === groupId) : { ...resp, key: groupId };
  if (c === undefined) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `FindCoordinator did not answer for group '${groupId}'.`);
  if (c.errorCode !== ErrorCode.NONE) throw new KafkaError(c.errorCode, groupErrorMessage(groupId, c.errorCode, c.errorMessage));
  return { nodeId: c.nodeId, host: c.host, port: c.port };
}

export interface OffsetToCommit {
  topic: string;
  partition: number;
  /** The next offset to read, as Kafka commits it. */
  offset: number;
  metadata?: string | null;
  leaderEpoch?: number;
}

export interface CommitContext {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

/** Commits offsets; throws a KafkaError for a group error or the first partition refused. */
export async function commitOffsets(conn: Connection, ctx: CommitContext, offsets: OffsetToCommit[]): Promise<void> {
  if (offsets.length === 0) return;
  const version = conn.versionFor(OFFSET_COMMIT_KEY, OFFSET_COMMIT_VERSION_MAX, OFFSET_COMMIT_VERSION_MIN);
  const byTopic = new Map<string, OffsetToCommit[]>();
  for (const o of offsets) {
    let list = byTopic.get(o.topic);
    if (list === undefined) byTopic.set(o.topic, (list = []));
    list.push(o);
  }
  const resp = await conn.request<OffsetCommitRequest, OffsetCommitResponse>(OFFSET_COMMIT_KEY, version, {
    groupId: ctx.groupId,
    generationIdOrMemberEpoch: ctx.generationId,
    memberId: ctx.memberId,
    groupInstanceId: ctx.groupInstanceId,
    retentionTimeMs: -1n,
    topics: [...byTopic].map(([name, list]) => ({
      name,
      partitions: list.map((o) => ({
        partitionIndex: o.partition,
        committedOffset: BigInt(o.offset),
        committedLeaderEpoch: o.leaderEpoch ?? -1,
        commitTimestamp: -1n,
        committedMetadata: o.metadata ?? '',
      })),
    })),
  });
  for (const t of resp.topics) {
    for (const p of t.partitions) {
      if (p.errorCode === ErrorCode.NONE) continue;
      throw new KafkaError(p.errorCode, commitErrorMessage(ctx.groupId, `${t.name}-${p.partitionIndex}`, p.errorCode));
    }
  }
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  /** -1 when the group has committed nothing for the partition. */
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
}

/**
 * The group's committed offsets: for the given partitions, or (topics = null) for every
 * partition it has committed. Keyed by `tpKey`.
 */
export async function fetchCommittedOffsets(
  conn: Connection,
  groupId: string,
  partitions: Array<{ topic: string; partition: number }> | null,
  opts: { requireStable?: boolean } = {},
): Promise<Map<string, CommittedOffset>> {
  const min = partitions === null ? OFFSET_FETCH_ALL_VERSION_MIN : OFFSET_FETCH_VERSION_MIN;
  const version = conn.versionFor(OFFSET_FETCH_KEY, OFFSET_FETCH_VERSION_MAX, min);
  let topics: Array<{ name: string; partitionIndexes: number[] }> | null = null;
  if (partitions !== null) {
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of partitions) {
      let list = byTopic.get(topic);
      if (list === undefined) byTopic.set(topic, (list = []));
      list.push(partition);
    }
    topics = [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
  }
  const resp = await conn.request<OffsetFetchRequest, OffsetFetchResponse>(OFFSET_FETCH_KEY, version, {
    groupId,
    topics,
    groups: [{ groupId, memberId: null, memberEpoch: -1, topics }],
    requireStable: opts.requireStable ?? false,
  });
  let groupError = resp.errorCode;
  let resultTopics = resp.topics;
  if (version >= OFFSET_FETCH_MULTI_GROUP_VERSION) {
    const g = resp.groups.find((x) => x.groupId === groupId);
    groupError = g?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    resultTopics = g?.topics ?? [];
  }
  if (groupError !== ErrorCode.NONE) throw new KafkaError(groupError, groupErrorMessage(groupId, groupError));
  const out = new Map<string, CommittedOffset>();
  for (const t of resultTopics) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE && p.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
        throw new KafkaError(p.errorCode, `Fetching the committed offset of ${t.name}-${p.partitionIndex} for group '${groupId}' failed: ${errorName(p.errorCode)}`);
      }
      out.set(tpKey(t.name, p.partitionIndex), {
        topic: t.name,
        partition: p.partitionIndex,
        offset: p.errorCode === ErrorCode.NONE ? Number(p.committedOffset) : -1,
        leaderEpoch: p.committedLeaderEpoch,
        metadata: p.metadata,
      });
    }
  }
  return out;
}

/** A sentence for a group-level error, in Kafka's words where Kafka has them. */
export function groupErrorMessage(groupId: string, code: number, brokerMessage?: string | null): string {
  if (brokerMessage) return brokerMessage.includes(groupId) ? brokerMessage : `Group '${groupId}': ${brokerMessage}`;
  switch (code) {
    case ErrorCode.NON_EMPTY_GROUP:
      return 'The group is not empty.';
    case ErrorCode.GROUP_ID_NOT_FOUND:
      return `Consumer group '${groupId}' does not exist.`;
    case ErrorCode.INVALID_GROUP_ID:
      return `'${groupId}' is not a valid group id.`;
    case ErrorCode.GROUP_AUTHORIZATION_FAILED:
      return `Not authorized to access group '${groupId}'.`;
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
      return `The coordinator of group '${groupId}' is not available; try again shortly.`;
    case ErrorCode.NOT_COORDINATOR:
      return `The broker asked is not the coordinator of group '${groupId}'.`;
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
      return `The coordinator of group '${groupId}' is still loading its offsets; try again shortly.`;
    case ErrorCode.REBALANCE_IN_PROGRESS:
      return `Group '${groupId}' is rebalancing; try again once it is stable.`;
    case ErrorCode.INCONSISTENT_GROUP_PROTOCOL:
      return `The members of group '${groupId}' share no partition assignor; give every consumer of the group a common one (e.g. 'range').`;
    case ErrorCode.INVALID_SESSION_TIMEOUT:
      return `The broker refused the session timeout for group '${groupId}'; it must lie between the broker's group.min.session.timeout.ms and group.max.session.timeout.ms.`;
    case ErrorCode.FENCED_INSTANCE_ID:
      return `Another consumer with the same groupInstanceId joined group '${groupId}', so this one was fenced; give every consumer its own groupInstanceId.`;
    case ErrorCode.GROUP_MAX_SIZE_REACHED:
      return `Group '${groupId}' is full (the broker's group.max.size).`;
    default:
      return `Group '${groupId}': ${errorName(code)}`;
  }
}

function commitErrorMessage(groupId: string, where: string, code: number): string {
  switch (code) {
    case ErrorCode.ILLEGAL_GENERATION:
    case ErrorCode.UNKNOWN_MEMBER_ID:
      return (
        `Commit of ${where} for group '${groupId}' failed: this consumer is no longer part of the group's current generation ` +
        `(a rebalance happened, e.g. because it did not poll in time); its partitions may now belong to another consumer.`
      );
    case ErrorCode.REBALANCE_IN_PROGRESS:
      return `Commit of ${where} for group '${groupId}' failed because the group is rebalancing; poll to rejoin, then commit again.`;
    case ErrorCode.OFFSET_METADATA_TOO_LARGE:
      return `Commit of ${where} for group '${groupId}' failed: the metadata string is longer than the broker allows (offset.metadata.max.bytes).`;
    default:
      return `Commit of ${where} for group '${groupId}' failed: ${groupErrorMessage(groupId, code)}`;
  }
}
