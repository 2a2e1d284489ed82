/**
 * Where the share service reads and writes share-partition states (Kafka's Persister): alone, the
 * broker's own `__share_group_state` (every partition served here); in a cluster, the share
 * coordinator of each key, over the share-group state APIs (cluster/share-state-channel.ts),
 * answered in process when this broker is that coordinator. Every method resolves once the
 * coordinator answered; a write resolves only once the state is durable there. Errors are
 * KafkaErrors with the coordinator's code (FENCED_STATE_EPOCH, FENCED_LEADER_EPOCH, or the last
 * retriable error when no coordinator answered in time).
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { INITIALIZE_SHARE_GROUP_STATE, READ_SHARE_GROUP_STATE, WRITE_SHARE_GROUP_STATE, DELETE_SHARE_GROUP_STATE, READ_SHARE_GROUP_STATE_SUMMARY, UNINITIALIZED_START_OFFSET } from '../coordinator/share/state-apis.js';
import type { ShareCoordinator } from '../coordinator/share/coordinator.js';
import { shareKeyText, type SharePartitionKey } from '../coordinator/share/records.js';
import type { ShareSnapshot } from '../coordinator/share/share-partition.js';
import type { ShareStateChannels } from '../cluster/share-state-channel.js';
import type { ReadShareGroupStateResponse } from '../protocol/messages/84-read-share-group-state.js';
import type { ReadShareGroupStateSummaryResponse } from '../protocol/messages/87-read-share-group-state-summary.js';

/** A stored state's summary: its start offset and state epoch. */
export interface StateSummary {
  startOffset: number;
  stateEpoch: number;
}

export interface SharePersister {
  /** The stored state, or null when the share-partition has none. `leaderEpoch` −1: an admin read. */
  read(key: SharePartitionKey, leaderEpoch: number): Promise<ShareSnapshot | null>;
  write(key: SharePartitionKey, s: ShareSnapshot, leaderEpoch: number): Promise<void>;
  initialize(key: SharePartitionKey, stateEpoch: number, startOffset: number): Promise<void>;
  delete(key: SharePartitionKey): Promise<void>;
  summary(key: SharePartitionKey): Promise<StateSummary | null>;
}

function fail(code: number, message: string | null, key: SharePartitionKey): never {
  throw new KafkaError(code, message ?? `the share coordinator of ${shareKeyText(key)} answered error ${code}`);
}

/** Alone: the coordinator in this process, every partition of the topic served once replayed. */
export class LocalPersister implements SharePersister {
  constructor(private readonly c: ShareCoordinator) {}

  async read(key: SharePartitionKey, leaderEpoch: number): Promise<ShareSnapshot | null> {
    const r = await this.c.read(key, leaderEpoch, leaderEpoch >= 0);
    if (r.errorCode !== 0) fail(r.errorCode, r.errorMessage, key);
    return r.state;
  }

  async write(key: SharePartitionKey, s: ShareSnapshot, leaderEpoch: number): Promise<void> {
    const code = await this.c.write(key, s, leaderEpoch);
    if (code !== 0) fail(code, null, key);
  }

  async initialize(key: SharePartitionKey, stateEpoch: number, startOffset: number): Promise<void> {
    const code = await this.c.initialize(key, stateEpoch, startOffset);
    if (code !== 0) fail(code, null, key);
  }

  async delete(key: SharePartitionKey): Promise<void> {
    const code = await this.c.delete(key);
    if (code !== 0) fail(code, null, key);
  }

  async summary(key: SharePartitionKey): Promise<StateSummary | null> {
    const s = await this.read(key, -1);
    return s === null ? null : { startOffset: s.startOffset, stateEpoch: s.stateEpoch };
  }
}

interface PartitionAnswer {
  errorCode: number;
  errorMessage: string | null;
}
type Answer = { results: Array<{ partitions: PartitionAnswer[] }> };

/** The one partition's answer of a response to a one-partition request. */
const only = <P extends PartitionAnswer>(r: { results: Array<{ partitions: P[] }> }): P | undefined => r.results[0]?.partitions[0];
const errorOf = (r: Answer): number => only(r)?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;

/** In a cluster: each key's share coordinator, through the channels (in process when it is this broker). */
export class ClusterPersister implements SharePersister {
  constructor(private readonly channels: ShareStateChannels) {}

  /** One request about one key; its partition's answer, or a KafkaError. */
  private async call<R extends Answer>(key: SharePartitionKey, apiKey: number, partition: object): Promise<R> {
    const body = { groupId: key.groupId, topics: [{ topicId: key.topicId, partitions: [{ partition: key.partition, ...partition }] }] };
    const r = await this.channels.call<R>(shareKeyText(key), apiKey, body, errorOf);
    if (r.response === null) fail(r.errorCode, null, key);
    const p = only(r.response);
    if (r.errorCode !== 0) fail(r.errorCode, p?.errorMessage ?? null, key);
    return r.response;
  }

  async read(key: SharePartitionKey, leaderEpoch: number): Promise<ShareSnapshot | null> {
    const p = only(await this.call<ReadShareGroupStateResponse>(key, READ_SHARE_GROUP_STATE, { leaderEpoch }))!;
    if (p.startOffset === UNINITIALIZED_START_OFFSET) return null;
    return { startOffset: p.startOffset, stateEpoch: p.stateEpoch, stateBatches: p.stateBatches.map((b) => ({ ...b })) };
  }

  async write(key: SharePartitionKey, s: ShareSnapshot, leaderEpoch: number): Promise<void> {
    await this.call<Answer>(key, WRITE_SHARE_GROUP_STATE, { stateEpoch: s.stateEpoch, leaderEpoch, startOffset: s.startOffset, stateBatches: s.stateBatches });
  }

  async initialize(key: SharePartitionKey, stateEpoch: number, startOffset: number): Promise<void> {
    await this.call<Answer>(key, INITIALIZE_SHARE_GROUP_STATE, { stateEpoch, startOffset });
  }

  async delete(key: SharePartitionKey): Promise<void> {
    await this.call<Answer>(key, DELETE_SHARE_GROUP_STATE, {});
  }

  async summary(key: SharePartitionKey): Promise<StateSummary | null> {
    const p = only(await this.call<ReadShareGroupStateSummaryResponse>(key, READ_SHARE_GROUP_STATE_SUMMARY, { leaderEpoch: -1 }))!;
    return p.startOffset === UNINITIALIZED_START_OFFSET ? null : { startOffset: p.startOffset, stateEpoch: p.stateEpoch };
  }
}
