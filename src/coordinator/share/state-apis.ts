/**
 * The share coordinator's inter-broker APIs (keys 83–87) as request → response over a
 * ShareCoordinator: each partition of the request is answered on its own (its own error), in
 * the request's order. The handlers call these after authorization; a partition leader on this
 * same broker calls them directly (no socket), through the same shapes.
 */
import type { InitializeShareGroupStateRequest, InitializeShareGroupStateResponse } from '../../protocol/messages/83-initialize-share-group-state.js';
import type { ReadShareGroupStateRequest, ReadShareGroupStateResponse } from '../../protocol/messages/84-read-share-group-state.js';
import type { WriteShareGroupStateRequest, WriteShareGroupStateResponse } from '../../protocol/messages/85-write-share-group-state.js';
import type { DeleteShareGroupStateRequest, DeleteShareGroupStateResponse } from '../../protocol/messages/86-delete-share-group-state.js';
import type { ReadShareGroupStateSummaryRequest, ReadShareGroupStateSummaryResponse } from '../../protocol/messages/87-read-share-group-state-summary.js';
import type { ShareCoordinator, StateRead } from './coordinator.js';
import type { SharePartitionKey } from './records.js';

export const INITIALIZE_SHARE_GROUP_STATE = 83;
export const READ_SHARE_GROUP_STATE = 84;
export const WRITE_SHARE_GROUP_STATE = 85;
export const DELETE_SHARE_GROUP_STATE = 86;
export const READ_SHARE_GROUP_STATE_SUMMARY = 87;

/** Kafka's start offset of a share-partition that has no state (PartitionFactory.UNINITIALIZED_START_OFFSET). */
export const UNINITIALIZED_START_OFFSET = -1;

interface Topics<P> {
  groupId: string;
  topics: Array<{ topicId: string; partitions: P[] }>;
}

/** Answers every partition of the request with `fn`, one after the other, grouped by topic as asked. */
async function perPartition<P extends { partition: number }, R>(req: Topics<P>, fn: (key: SharePartitionKey, p: P) => Promise<R>): Promise<Array<{ topicId: string; partitions: R[] }>> {
  const results: Array<{ topicId: string; partitions: R[] }> = [];
  for (const t of req.topics) {
    const partitions: R[] = [];
    for (const p of t.partitions) partitions.push(await fn({ groupId: req.groupId, topicId: t.topicId, partition: p.partition }, p));
    results.push({ topicId: t.topicId, partitions });
  }
  return results;
}

/** Every partition of the request refused with one error (CLUSTER_AUTHORIZATION_FAILED), with `extra` fields per partition. */
export function refuseAll<P extends { partition: number }, X extends object>(req: Topics<P>, errorCode: number, extra: X): Array<{ topicId: string; partitions: Array<{ partition: number; errorCode: number; errorMessage: string | null } & X> }> {
  return req.topics.map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode, errorMessage: null, ...extra })) }));
}

const coded = (partition: number, errorCode: number) => ({ partition, errorCode, errorMessage: null });

/** What a read answers beyond the error: the state, or Kafka's uninitialized share-partition. */
function readFields(r: StateRead) {
  const s = r.state;
  return { stateEpoch: s?.stateEpoch ?? 0, startOffset: s?.startOffset ?? UNINITIALIZED_START_OFFSET, stateBatches: s?.stateBatches.map((b) => ({ ...b })) ?? [] };
}

export async function initializeState(c: ShareCoordinator, req: InitializeShareGroupStateRequest): Promise<InitializeShareGroupStateResponse> {
  return { results: await perPartition(req, async (key, p) => coded(p.partition, await c.initialize(key, p.stateEpoch, p.startOffset))) };
}

export async function readState(c: ShareCoordinator, req: ReadShareGroupStateRequest): Promise<ReadShareGroupStateResponse> {
  return {
    results: await perPartition(req, async (key, p) => {
      const r = await c.read(key, p.leaderEpoch, true);
      return { partition: p.partition, errorCode: r.errorCode, errorMessage: r.errorMessage, ...readFields(r) };
    }),
  };
}

export async function writeState(c: ShareCoordinator, req: WriteShareGroupStateRequest): Promise<WriteShareGroupStateResponse> {
  return {
    results: await perPartition(req, async (key, p) => {
      const state = { startOffset: p.startOffset, stateEpoch: p.stateEpoch, stateBatches: p.stateBatches.map((b) => ({ ...b })) };
      return coded(p.partition, await c.write(key, state, p.leaderEpoch));
    }),
  };
}

export async function deleteState(c: ShareCoordinator, req: DeleteShareGroupStateRequest): Promise<DeleteShareGroupStateResponse> {
  return { results: await perPartition(req, async (key, p) => coded(p.partition, await c.delete(key))) };
}

export async function readStateSummary(c: ShareCoordinator, req: ReadShareGroupStateSummaryRequest): Promise<ReadShareGroupStateSummaryResponse> {
  return {
    results: await perPartition(req, async (key, p) => {
      const r = await c.read(key, p.leaderEpoch);
      const { stateEpoch, startOffset } = readFields(r);
      return { partition: p.partition, errorCode: r.errorCode, errorMessage: r.errorMessage, stateEpoch, startOffset };
    }),
  };
}

/** A request of keys 83–87 answered by this broker's own coordinator (a partition leader that is also the key's coordinator). */
export function serveStateRequest(c: ShareCoordinator, apiKey: number, body: unknown): Promise<unknown> {
  switch (apiKey) {
    case INITIALIZE_SHARE_GROUP_STATE:
      return initializeState(c, body as InitializeShareGroupStateRequest);
    case READ_SHARE_GROUP_STATE:
      return readState(c, body as ReadShareGroupStateRequest);
    case WRITE_SHARE_GROUP_STATE:
      return writeState(c, body as WriteShareGroupStateRequest);
    case DELETE_SHARE_GROUP_STATE:
      return deleteState(c, body as DeleteShareGroupStateRequest);
    case READ_SHARE_GROUP_STATE_SUMMARY:
      return readStateSummary(c, body as ReadShareGroupStateSummaryRequest);
    default:
      throw new Error(`API key ${apiKey} is not a share-group state API`);
  }
}
