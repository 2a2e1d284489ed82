/**
 * Admin.electLeaders, as Kafka's Admin offers it: one ElectLeaders request (key 43) to any
 * broker, which runs the elections over the cluster's metadata and answers per partition. The
 * Admin class exposes it.
 */
import { ErrorCode, KafkaError, errorName } from '../protocol/errors.js';
import type { ElectLeadersRequest, ElectLeadersResponse } from '../protocol/messages/43-elect-leaders.js';
import type { Cluster } from './cluster.js';

const ELECT_LEADERS_KEY = 43;
const ELECT_LEADERS_VERSION_MAX = 2;
/** How long the broker may take over the elections, unless the caller says. */
const ELECTION_TIMEOUT_MS_DEFAULT = 30_000;

/** Kafka's ElectionType: PREFERRED moves leadership to the first replica; UNCLEAN lets a replica out of the ISR lead a partition with no live leader. */
export type ElectionType = 'PREFERRED' | 'UNCLEAN';

/** The wire values of ElectionType (KIP-460). */
const ELECTION_TYPE_CODE: Record<ElectionType, number> = { PREFERRED: 0, UNCLEAN: 1 };

export interface PartitionElection {
  topic: string;
  partition: number;
  /** null when a new leader was elected; ELECTION_NOT_NEEDED when a valid one already led. */
  error: KafkaError | null;
}

/**
 * Elects leaders of `partitions`, or of every partition that needs it when `partitions` is null
 * (the broker then leaves out partitions whose election was not needed, as Kafka's does).
 * Results come sorted by topic, then partition. A top-level error (not authorised, the metadata
 * store unreachable) rejects the whole call.
 */
export async function electLeaders(
  cluster: Cluster,
  type: ElectionType,
  partitions: ReadonlyArray<{ topic: string; partition: number }> | null,
  opts: { timeoutMs?: number } = {},
): Promise<PartitionElection[]> {
  const byTopic = new Map<string, number[]>();
  for (const p of partitions ?? []) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
  const request: ElectLeadersRequest = {
    electionType: ELECTION_TYPE_CODE[type],
    topicPartitions: partitions === null ? null : [...byTopic].map(([topic, ids]) => ({ topic, partitions: ids })),
    timeoutMs: opts.timeoutMs ?? ELECTION_TIMEOUT_MS_DEFAULT,
  };
  const resp = await cluster.withRetry(async () => {
    const conn = await cluster.anyConnection();
    // v0 knows only preferred elections.
    const version = conn.versionFor(ELECT_LEADERS_KEY, ELECT_LEADERS_VERSION_MAX, type === 'UNCLEAN' ? 1 : 0);
    const r = await conn.request<ElectLeadersRequest, ElectLeadersResponse>(ELECT_LEADERS_KEY, version, request);
    if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, `Leader election failed: ${errorName(r.errorCode)}`);
    return r;
  });
  const results = resp.replicaElectionResults.flatMap((t) =>
    t.partitionResult.map((p) => ({
      topic: t.topic,
      partition: p.partitionId,
      error: p.errorCode === ErrorCode.NONE ? null : new KafkaError(p.errorCode, p.errorMessage ?? errorName(p.errorCode)),
    })),
  );
  return results.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}
