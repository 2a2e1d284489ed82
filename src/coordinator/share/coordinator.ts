/**
 * The share coordinator (KIP-932): the owner of share-partition states in `__share_group_state`,
 * which partition leaders read and write through it (InitializeShareGroupState,
 * ReadShareGroupState, WriteShareGroupState, DeleteShareGroupState, ReadShareGroupStateSummary;
 * state-apis.ts answers them from this object).
 *
 * Alone, a broker serves every partition of the topic once it is replayed whole. In a cluster it
 * serves the partitions it leads (coordinator/partitions.ts: an election replays the partition,
 * COORDINATOR_LOAD_IN_PROGRESS meanwhile; a resignation forgets it, NOT_COORDINATOR after).
 *
 * Each write holds the whole state of one share-partition (a ShareSnapshot record) and replaces
 * what was stored: Samsa's partition leaders always send their whole state, where Kafka's may send
 * a delta (ShareUpdate) that its coordinator merges. A write is answered once the record is
 * replicated (acks=all). Fencing is Kafka's: a write or read with a leader epoch older than the
 * stored one is FENCED_LEADER_EPOCH (a deposed partition leader), a write with an older state
 * epoch than the stored one is FENCED_STATE_EPOCH (the state was re-initialized meanwhile).
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { StorageError } from '../../storage/errors.js';
import type { Logger } from '../../util/logger.js';
import type { CoordinatorLog } from '../internal-topic.js';
import { CoordinatorPartitions } from '../partitions.js';
import { groupPartition } from '../group/records.js';
import type { ShareConfig } from './config.js';
import { shareKeyText, type SharePartitionKey, type ShareSnapshotRecord } from './records.js';
import type { ShareSnapshot } from './share-partition.js';
import { SHARE_STATE_TOPIC, ShareStateStore } from './state-store.js';

/** How `__share_group_state` is created: Kafka's share.coordinator.state.topic.* keys. */
export function stateTopicSpec(c: ShareConfig) {
  return { partitions: c.stateTopicPartitions, segmentBytes: c.stateTopicSegmentBytes, configs: { 'min.insync.replicas': String(c.stateTopicMinIsr) } };
}

export interface ShareCoordinatorOptions {
  log: CoordinatorLog;
  config: ShareConfig;
  logger: Logger;
  now: () => number;
  /** In a cluster: serve only the partitions this broker leads (`onElection` / `onResignation`). */
  followsLeadership: boolean;
}

/** A stored state as read: none (`startOffset` −1, Kafka's uninitialized share-partition) or the record. */
export type StateRead = { errorCode: number; errorMessage: string | null; state: ShareSnapshotRecord | null };

export class ShareCoordinator {
  readonly store: ShareStateStore;
  private readonly parts: CoordinatorPartitions | null;
  /** One operation per share-partition at a time: a check and the write it allows are not interleaved. */
  private readonly turns = new Map<string, Promise<unknown>>();

  constructor(private readonly o: ShareCoordinatorOptions) {
    this.store = new ShareStateStore(o.log, o.config, o.logger, o.now);
    this.parts = !o.followsLeadership ? null : new CoordinatorPartitions({
      log: o.log,
      spec: () => stateTopicSpec(o.config),
      partitionOf: groupPartition,
      topicName: SHARE_STATE_TOPIC,
      logger: o.logger,
      followsLeadership: true,
      loader: {
        load: (p, cancelled) => {
          this.store.usePartitionCount(o.log.partitionCount() ?? o.config.stateTopicPartitions);
          return this.store.replayPartition(p, cancelled);
        },
        loaded: () => undefined,
        drop: (p) => this.store.dropPartition(p),
      },
    });
  }

  /** In a cluster, this broker now leads a partition of `__share_group_state`: it is replayed, then served. */
  onElection(partition: number, leaderEpoch: number): void {
    const count = this.o.log.partitionCount();
    if (count !== null) this.store.usePartitionCount(count);
    this.parts?.electAndLoad(partition, leaderEpoch);
  }

  /** In a cluster, this broker no longer leads a partition of `__share_group_state`: its states go. */
  onResignation(partition: number): void {
    this.parts?.resign(partition);
  }

  /**
   * The partition of `__share_group_state` for a share-partition's key ("group:topicId:partition"), or null while the topic
   * does not exist (in a cluster, asking creates it in the background, as FindCoordinator does).
   */
  partitionForKeyText(text: string): number | null {
    if (this.parts === null) return null;
    if (this.parts.findCoordinatorError(text) !== null) return null;
    return this.parts.partitionFor(text);
  }

  /** Null when this broker serves the key's state now; else NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS or COORDINATOR_NOT_AVAILABLE. */
  async servingError(key: SharePartitionKey): Promise<number | null> {
    if (this.parts === null) {
      await this.store.ready();
      return null;
    }
    return this.parts.error(shareKeyText(key));
  }

  /**
   * ReadShareGroupState / ReadShareGroupStateSummary: the stored state, after the leader epoch
   * check (−1: an admin read, not checked). With `claim` (ReadShareGroupState, a new partition
   * leader loading the state), a newer leader epoch is written first, as Kafka's coordinator does,
   * so that a deposed leader's later writes are fenced.
   */
  read(key: SharePartitionKey, leaderEpoch: number, claim = false): Promise<StateRead> {
    return this.inTurn(key, async () => {
      const err = await this.servingError(key);
      if (err !== null) return { errorCode: err, errorMessage: null, state: null };
      const state = this.store.read(key) ?? null;
      if (state !== null && leaderEpoch >= 0 && leaderEpoch < state.leaderEpoch) {
        return { errorCode: ErrorCode.FENCED_LEADER_EPOCH, errorMessage: `leader epoch ${leaderEpoch} is older than the stored ${state.leaderEpoch}`, state: null };
      }
      if (claim && state !== null && leaderEpoch > state.leaderEpoch) {
        const code = await this.durably(key, () => this.store.write(key, state, leaderEpoch));
        if (code !== 0) return { errorCode: code, errorMessage: null, state: null };
      }
      return { errorCode: 0, errorMessage: null, state: this.store.read(key) ?? null };
    });
  }

  /** WriteShareGroupState: the whole state of the share-partition, durable before this resolves to 0. */
  write(key: SharePartitionKey, s: ShareSnapshot, leaderEpoch: number): Promise<number> {
    return this.inTurn(key, async () => {
      const err = await this.servingError(key);
      if (err !== null) return err;
      const prev = this.store.read(key);
      if (prev !== undefined && leaderEpoch < prev.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
      if (prev !== undefined && s.stateEpoch < prev.stateEpoch) return ErrorCode.FENCED_STATE_EPOCH;
      return this.durably(key, () => this.store.write(key, s, leaderEpoch));
    });
  }

  /**
   * InitializeShareGroupState (AlterShareGroupOffsets): the share-partition starts again at
   * `startOffset` with nothing in flight, under `stateEpoch`, which must not be older than the
   * stored one. The stored leader epoch is kept, so the partition's leader may go on writing.
   */
  initialize(key: SharePartitionKey, stateEpoch: number, startOffset: number): Promise<number> {
    return this.inTurn(key, async () => {
      const err = await this.servingError(key);
      if (err !== null) return err;
      const prev = this.store.read(key);
      if (prev !== undefined && stateEpoch < prev.stateEpoch) return ErrorCode.FENCED_STATE_EPOCH;
      return this.durably(key, () => this.store.write(key, { startOffset, stateEpoch, stateBatches: [] }, prev?.leaderEpoch ?? -1));
    });
  }

  /** DeleteShareGroupState: a tombstone, so the share-partition starts from share.auto.offset.reset at its next use. */
  delete(key: SharePartitionKey): Promise<number> {
    return this.inTurn(key, async () => {
      const err = await this.servingError(key);
      if (err !== null) return err;
      return this.durably(key, () => this.store.delete(key));
    });
  }

  /**
   * Runs a write of the key's partition: 0 once durable, NOT_COORDINATOR when the partition's
   * leadership moved while it waited for the ISR (the new coordinator replays what was written).
   */
  private async durably(key: SharePartitionKey, write: () => Promise<void>): Promise<number> {
    const p = this.parts === null ? null : this.store.partitionOf(key);
    const term = p === null ? null : this.parts!.termOf(p);
    try {
      await write();
    } catch (err) {
      // The log's refusals (StorageError: not the leader any more, the ISR too small or too slow) are answers, not faults.
      if (!(err instanceof KafkaError) && !(err instanceof StorageError)) throw err;
      if (err.code === ErrorCode.NOT_LEADER_OR_FOLLOWER || err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return ErrorCode.NOT_COORDINATOR;
      return err.code;
    }
    if (p !== null && this.parts!.termOf(p) !== term) return ErrorCode.NOT_COORDINATOR;
    return 0;
  }

  private inTurn<T>(key: SharePartitionKey, fn: () => Promise<T>): Promise<T> {
    const text = shareKeyText(key);
    const run = (this.turns.get(text) ?? Promise.resolve()).then(fn);
    const settled = run.catch(() => undefined);
    this.turns.set(text, settled);
    void settled.then(() => {
      if (this.turns.get(text) === settled) this.turns.delete(text);
    });
    return run;
  }

  /** Resolves once every load of a partition queued so far has ended. */
  loaded(): Promise<void> {
    return this.parts?.loaded() ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    await this.parts?.stop();
  }
}
