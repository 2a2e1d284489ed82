/**
 * Reading a fetch's partitions and waiting for data (long poll). A fetch waits until at least
 * `minBytes` are available or `maxWaitMs` passes, woken early by any append to (or high
 * watermark rise of) a partition it asked for; it always ends, with whatever it has.
 *
 * Leader epochs, as Kafka's Partition.fetchRecords: a current_leader_epoch other than the
 * partition's gets FENCED_LEADER_EPOCH (older) or UNKNOWN_LEADER_EPOCH (newer); a
 * last_fetched_epoch whose end here is before the fetch offset (or an epoch this log never had)
 * gets no records but the diverging epoch, at once, for the fetcher to truncate to.
 */
import { ErrorCode } from '../protocol/errors.js';
import { StorageError } from '../storage/errors.js';
import { partitionKey, type ReplicaManager } from '../cluster/replica-manager.js';
import type { BrokerContext } from './handler.js';

export const ISOLATION_READ_COMMITTED = 1;
/** What a request's current_leader_epoch or last_fetched_epoch says when it is absent. */
export const NO_LEADER_EPOCH = -1;

export interface PartitionFetch {
  topic: string;
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
  /** Fetch v9+ (-1: not checked). */
  currentLeaderEpoch?: number;
  /** Fetch v12+: the epoch of the last batch the fetcher holds (-1: none). */
  lastFetchedEpoch?: number;
}

/** Kafka's checkCurrentLeaderEpoch: 0, FENCED_LEADER_EPOCH or UNKNOWN_LEADER_EPOCH. */
export function checkCurrentLeaderEpoch(replicas: ReplicaManager, topic: string, partition: number, currentLeaderEpoch: number): number {
  if (currentLeaderEpoch === NO_LEADER_EPOCH) return 0;
  const local = replicas.leaderEpoch(topic, partition);
  if (local > currentLeaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
  if (local < currentLeaderEpoch) return ErrorCode.UNKNOWN_LEADER_EPOCH;
  return 0;
}

export interface PartitionFetchResult {
  topic: string;
  partition: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  records: Buffer | null;
  /** read_committed: aborted transactions overlapping the records (null for read_uncommitted). */
  abortedTransactions: Array<{ producerId: number; firstOffset: number }> | null;
  /** Fetch v12+ (KIP-951): the leader this broker knows, when it cannot serve the partition. */
  currentLeader?: { leaderId: number; leaderEpoch: number };
  /** Fetch v12+: where the fetcher's log diverged from this one (null: it did not). */
  divergingEpoch: { epoch: number; endOffset: number } | null;
  /** Fetch v11+ (KIP-392): the replica the consumer should fetch this partition from instead. */
  preferredReadReplica?: number;
}

export interface FetchSpec {
  partitions: PartitionFetch[];
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  /** A follower's broker id (replica fetch: reads up to the log end and reports its progress), else -1. */
  replicaId?: number;
  /**
   * A consumer's rack (Fetch v11+, '' when it gives none): such a fetch may be served by a
   * follower, and a leader may name a closer replica (KIP-392). Absent before v11: leaders only.
   */
  clientRack?: string;
}

/** One partition's result as a plain literal (one shape for every result; no spread copies). */
function partitionResult(
  p: PartitionFetch,
  errorCode: number,
  highWatermark: number,
  lastStableOffset: number,
  logStartOffset: number,
  records: Buffer | null,
  abortedTransactions: Array<{ producerId: number; firstOffset: number }> | null,
  divergingEpoch: { epoch: number; endOffset: number } | null = null,
): PartitionFetchResult {
  return { topic: p.topic, partition: p.partition, errorCode, highWatermark, lastStableOffset, logStartOffset, records, abortedTransactions, divergingEpoch };
}

const NO_RECORDS = Buffer.alloc(0);

async function readOnce(broker: BrokerContext, spec: FetchSpec): Promise<{ results: PartitionFetchResult[]; bytes: number; errors: boolean }> {
  let bytes = 0;
  let errors = false;
  const results: PartitionFetchResult[] = [];
  // read_committed stops at the last stable offset (the first open transaction's first offset).
  const committed = spec.isolationLevel === ISOLATION_READ_COMMITTED;
  const isolation = committed ? 'read_committed' : 'read_uncommitted';
  const replicaId = spec.replicaId ?? -1;
  const replication = broker.replication;
  // KIP-392: a consumer that sent a rack (v11+) may read from a follower's copy.
  const fromFollowers = replicaId < 0 && spec.clientRack !== undefined;
  for (const p of spec.partitions) {
    let asFollower = false;
    if (replication !== null) {
      // The leader serves a partition to followers and consumers; a follower, to consumers that allow it.
      let notLeader = replication.notLeader(p.topic, p.partition, p.currentLeaderEpoch ?? -1);
      if (notLeader !== null && fromFollowers) {
        notLeader = replication.notFollower(p.topic, p.partition, p.currentLeaderEpoch ?? -1);
        asFollower = notLeader === null;
      }
      if (notLeader !== null) {
        const r = partitionResult(p, notLeader.errorCode, -1, -1, -1, null, null);
        r.currentLeader = { leaderId: notLeader.leaderId, leaderEpoch: notLeader.leaderEpoch };
        results.push(r);
        errors = true;
        continue;
      }
    }
    const log = broker.replicas.log(p.topic, p.partition);
    if (log === undefined) {
      results.push(partitionResult(p, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1, -1, null, null));
      errors = true;
      continue;
    }
    const fenced = asFollower ? 0 : checkCurrentLeaderEpoch(broker.replicas, p.topic, p.partition, p.currentLeaderEpoch ?? NO_LEADER_EPOCH);
    if (fenced !== 0) {
      results.push(partitionResult(p, fenced, -1, -1, -1, null, null));
      errors = true;
      continue;
    }
    let hw = log.highWatermark;
    let lso = log.lastStableOffset;
    const budget = Math.min(p.partitionMaxBytes, Math.max(0, spec.maxBytes - bytes));
    try {
      // Before the range check: a diverged fetcher may be past this log's end.
      const lastFetchedEpoch = p.lastFetchedEpoch ?? NO_LEADER_EPOCH;
      const diverging = lastFetchedEpoch === NO_LEADER_EPOCH ? null : log.divergingEpoch(lastFetchedEpoch, p.fetchOffset);
      if (diverging !== null) {
        // Answered at once, as Kafka does, with no records.
        results.push(partitionResult(p, 0, hw, lso, log.logStartOffset, NO_RECORDS, committed ? [] : null, diverging));
        errors = true;
        continue;
      }
      if (p.fetchOffset < log.logStartOffset || p.fetchOffset > log.logEndOffset) {
        if (asFollower && (p.currentLeaderEpoch ?? NO_LEADER_EPOCH) === NO_LEADER_EPOCH) {
          // A consumer without leader epochs may be here on stale metadata (this broker led the
          // partition once): Kafka answers it no records rather than OFFSET_OUT_OF_RANGE, which would
          // reset its position; it retries and finds the leader when its metadata is refreshed.
          results.push(partitionResult(p, 0, hw, lso, log.logStartOffset, NO_RECORDS, committed ? [] : null));
          continue;
        }
        throw new StorageError(ErrorCode.OFFSET_OUT_OF_RANGE, 'offset out of range');
      }
      if (replication !== null && replicaId >= 0) {
        // A follower's fetch offset is its log end, now known to be a prefix of this log: it
        // counts for the ISR and the high watermark (Kafka's updateFollowerFetchState).
        const refused = replication.followerFetched(p.topic, p.partition, replicaId, p.fetchOffset);
        if (refused !== null) throw new StorageError(refused.errorCode, `broker ${replicaId} is not a replica of ${p.topic}-${p.partition}`);
        hw = log.highWatermark;
        lso = log.lastStableOffset;
      }
      const preferred = replication !== null && fromFollowers && !asFollower ? replication.preferredReadReplica(p.topic, p.partition, spec.clientRack!, p.fetchOffset) : -1;
      if (preferred >= 0) {
        // Answered at once, with no records: the consumer fetches from the replica named.
        const r = partitionResult(p, 0, hw, lso, log.logStartOffset, NO_RECORDS, committed ? [] : null);
        r.preferredReadReplica = preferred;
        results.push(r);
        errors = true;
        continue;
      }
      if (replication !== null && replicaId >= 0 && replication.leaderThrottled(p.topic, p.partition, replicaId)) {
        // A throttled replica outside the ISR, with the leader's replication rate used up: no data this time.
        results.push(partitionResult(p, 0, hw, lso, log.logStartOffset, NO_RECORDS, null));
        continue;
      }
      // A follower copies everything written; consumers see only what the ISR holds.
      const maxOffset = replicaId >= 0 ? log.logEndOffset : hw;
      const read = budget === 0 && bytes > 0 ? null : await log.read(p.fetchOffset, budget, { maxOffset, minOneBatch: bytes === 0, isolation: replicaId >= 0 ? 'read_uncommitted' : isolation });
      const records = read?.records ?? NO_RECORDS;
      bytes += records.length;
      if (replicaId < 0 && records.length > 0) broker.metrics?.fetched(p.topic, records.length);
      if (replication !== null && replicaId >= 0) replication.sentToFollower(p.topic, p.partition, records.length);
      const abortedTransactions = committed ? (read?.abortedTransactions ?? []) : null;
      results.push(partitionResult(p, 0, hw, read?.lastStableOffset ?? lso, log.logStartOffset, records, abortedTransactions));
    } catch (err) {
      if (!(err instanceof StorageError)) throw err;
      errors = true;
      results.push(partitionResult(p, err.code, hw, lso, log.logStartOffset, null, null));
    }
  }
  return { results, bytes, errors };
}

/** Reads, and if there is not yet enough data, waits for appends until the deadline. */
export async function fetchPartitions(broker: BrokerContext, spec: FetchSpec): Promise<PartitionFetchResult[]> {
  const deadline = broker.clock.now() + Math.max(0, spec.maxWaitMs);
  const keys = spec.partitions.map((p) => partitionKey(p.topic, p.partition));
  for (;;) {
    // Listen before reading so an append between the read and the wait is not missed.
    let wake!: () => void;
    const appended = new Promise<void>((resolve) => (wake = resolve));
    const cancel = broker.replicas.onAppend(keys, wake);
    try {
      const { results, bytes, errors } = await readOnce(broker, spec);
      const left = deadline - broker.clock.now();
      if (bytes >= spec.minBytes || errors || left <= 0 || keys.length === 0) return results;
      // The append listener, the deadline and the broker stopping all settle the same promise.
      // The broker's clock, so that a test moving it ends the wait as max_wait_ms would.
      const timer = broker.clock.setTimeout(wake, left);
      const unlisten = broker.onStopping(wake);
      await appended;
      broker.clock.clearTimeout(timer);
      unlisten();
      if (broker.clock.now() >= deadline) return (await readOnce(broker, spec)).results;
    } finally {
      cancel();
    }
  }
}
