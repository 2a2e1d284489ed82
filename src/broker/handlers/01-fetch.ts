// Fetch (key 1), versions 4–12.
// v4+: isolation level; read_committed stops at the last stable offset and lists the aborted
// transactions overlapping the records returned. v5+: log start offset.
// v7+: incremental fetch sessions (KIP-227, fetch-session.ts): epoch 0 creates one (its id in the
// reply), epochs 1, 2, … fetch the session's partitions and answer only those with news, −1
// fetches without one; session errors FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH,
// FETCH_SESSION_TOPIC_ID_ERROR as Kafka. Followers get privileged sessions if they ask (Samsa's
// own replica fetcher sends sessionless fetches).
// v9+: current leader epoch, checked against the partition's (FENCED_LEADER_EPOCH /
// UNKNOWN_LEADER_EPOCH). v11+: rack id (KIP-392): in a cluster a follower serves such a consumer
// from its copy, and a leader with replica.selector.class=…RackAwareReplicaSelector names an
// in-sync follower in the consumer's rack as preferred read replica (no records then). v12+: flexible; last fetched
// epoch → diverging epoch when the fetcher's log is not a prefix of this one (KIP-595). v13+: topics by id instead of name (ids from Metadata 10+); an
// unknown id → UNKNOWN_TOPIC_ID on each of its partitions. v14: same as v13. v15: the replica
// id moves into the replica_state tag (consumers send none). v16: node endpoints tag (empty:
// this broker leads every partition, so there is never another leader to point at).
// Client quotas (consumers, not replicas): max_bytes is capped to what consumer_byte_rate allows
// in the quota window; a fetch that takes the rate above it is answered at once without records,
// with throttle_time_ms, and the connection is muted for that long (KIP-219).
import { ErrorCode } from '../../protocol/errors.js';
import { FetchRequestSchema, FetchResponseSchema, type FetchRequest, type FetchResponse, type FetchResponseFetchableTopicResponse, type FetchResponsePartitionData } from '../../protocol/messages/01-fetch.js';
import { fetchPartitions, ISOLATION_READ_COMMITTED } from '../fetch.js';
import type { Handler } from '../handler.js';
import { fetchQuotaMaxBytes, throttleFetch } from '../client-quota-manager.js';
import { Op, deniedTopics, onCluster } from '../access.js';
import { incrementalResponses, INVALID_SESSION_ID, newSessionPartitions, nextEpoch, sessionFetchTopics, type CachedPartition } from '../fetch-session.js';

/** A sessionless or full fetch has no cached partitions to follow (shared: nothing is allocated on that path). */
const NO_ORDER: readonly CachedPartition[] = [];

export const fetchHandler: Handler<FetchRequest, FetchResponse> = {
  apiKey: 1,
  minVersion: 4,
  maxVersion: 16,
  request: FetchRequestSchema,
  response: FetchResponseSchema,
  async handle(ctx, req, version) {
    const replicaId = version >= 15 ? req.replicaState.replicaId : req.replicaId;
    const sessions = ctx.broker.fetchSessions;
    const context = sessions.newContext(ctx.broker.clock.now(), version, req.sessionId, req.sessionEpoch, req.topics, req.forgottenTopicsData);
    if (context.kind === 'error') return { throttleTimeMs: 0, errorCode: context.errorCode, sessionId: INVALID_SESSION_ID, responses: [], nodeEndpoints: [] };
    // An incremental fetch reads every partition of its session, from the positions last sent.
    let topics = req.topics;
    let order: readonly CachedPartition[] = NO_ORDER;
    if (context.kind === 'incremental') ({ topics, order } = sessionFetchTopics(context.session));
    // From v13 topics come by id: resolve each to its name; an unknown id reads nothing.
    const names = topics.map((t) => (version >= 13 ? (ctx.broker.topics.getById(t.topicId)?.name ?? null) : t.topic));
    // As Kafka: a follower (replica id >= 0) needs ClusterAction on the cluster, a consumer Read on each topic.
    const denied = replicaId >= 0
      ? (onCluster(ctx, Op.CLUSTER_ACTION) ? null : new Set(names.filter((n): n is string => n !== null)))
      : deniedTopics(ctx, Op.READ, names.filter((n): n is string => n !== null));
    const readable = (i: number): boolean => names[i] !== null && denied?.has(names[i]!) !== true;
    const partitions = topics.flatMap((t, i) =>
      !readable(i) ? [] : t.partitions.map((p) => ({
        topic: names[i]!, partition: p.partition, fetchOffset: p.fetchOffset, partitionMaxBytes: p.partitionMaxBytes,
        currentLeaderEpoch: p.currentLeaderEpoch, lastFetchedEpoch: p.lastFetchedEpoch,
      })),
    );
    // A consumer under consumer_byte_rate asks for at most what its quota allows in the window.
    const maxBytes = replicaId >= 0 ? req.maxBytes : Math.min(req.maxBytes, fetchQuotaMaxBytes(ctx));
    const results = await fetchPartitions(ctx.broker, {
      partitions,
      maxWaitMs: req.maxWaitMs,
      minBytes: Math.min(req.minBytes, maxBytes),
      maxBytes,
      isolationLevel: req.isolationLevel,
      replicaId,
      ...(version >= 11 ? { clientRack: req.rackId } : {}),
    });
    const committed = req.isolationLevel === ISOLATION_READ_COMMITTED;
    const responses: FetchResponseFetchableTopicResponse[] = [];
    let i = 0;
    topics.forEach((t, ti) => {
      const known = readable(ti);
      const refusal = names[ti] === null ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
      responses.push({
        topic: t.topic,
        topicId: t.topicId,
        partitions: t.partitions.map((p) => {
          if (!known) return refused(p.partition, refusal);
          const r = results[i++]!;
          return {
            partitionIndex: r.partition, errorCode: r.errorCode, highWatermark: r.highWatermark,
            lastStableOffset: r.lastStableOffset, logStartOffset: r.logStartOffset,
            divergingEpoch: r.divergingEpoch ?? { epoch: -1, endOffset: -1 }, currentLeader: r.currentLeader ?? { leaderId: -1, leaderEpoch: -1 },
            snapshotId: { endOffset: -1, epoch: -1 }, abortedTransactions: committed ? (r.abortedTransactions ?? []) : null,
            preferredReadReplica: r.preferredReadReplica ?? -1, records: r.records ?? Buffer.alloc(0),
          };
        }),
      });
    });
    // BrokerTopicMetrics' Total/FailedFetchRequestsPerSec over every partition read (an incremental answer's unchanged ones too).
    const metrics = ctx.broker.metrics;
    if (metrics !== undefined) for (let ti = 0; ti < responses.length; ti++) metrics.fetchRequests(names[ti] ?? null, responses[ti]!.partitions);
    // v16 (KIP-951): how to reach the leaders named in current-leader tags.
    const leaderIds = new Set(results.filter((r) => r.currentLeader !== undefined && r.currentLeader.leaderId >= 0).map((r) => r.currentLeader!.leaderId));
    const nodeEndpoints = version >= 16 && leaderIds.size > 0
      ? ctx.broker.view.brokers(ctx.listenerName).filter((b) => leaderIds.has(b.nodeId)).map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }))
      : [];
    if (replicaId < 0 && ctx.broker.quotas.enabled('fetch')) {
      const throttleTimeMs = throttleFetch(ctx, fetchedBytes(responses));
      // Throttled: the answer carries nothing (Kafka's throttled fetch response), the bytes were not
      // counted, no session is made and an incremental one keeps what it last sent.
      if (throttleTimeMs > 0) {
        if (context.kind !== 'incremental') return { throttleTimeMs, errorCode: 0, sessionId: INVALID_SESSION_ID, responses: [], nodeEndpoints: [] };
        const errorCode = context.session.epoch === nextEpoch(context.requestEpoch) ? 0 : ErrorCode.INVALID_FETCH_SESSION_EPOCH;
        return { throttleTimeMs, errorCode, sessionId: context.session.id, responses: [], nodeEndpoints: [] };
      }
    }
    switch (context.kind) {
      case 'sessionless':
        return { throttleTimeMs: 0, errorCode: 0, sessionId: INVALID_SESSION_ID, responses, nodeEndpoints };
      case 'full': {
        const usesTopicIds = version >= 13;
        const sessionId = sessions.maybeCreateSession(ctx.broker.clock.now(), replicaId >= 0, responses.reduce((n, t) => n + t.partitions.length, 0), usesTopicIds, () => newSessionPartitions(usesTopicIds, topics, responses));
        return { throttleTimeMs: 0, errorCode: 0, sessionId, responses, nodeEndpoints };
      }
      case 'incremental': {
        const session = context.session;
        // Another request on this session moved its epoch on while this one waited (Kafka: "possible duplicate request").
        if (session.epoch !== nextEpoch(context.requestEpoch))
          return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: session.id, responses: [], nodeEndpoints: [] };
        const changed = incrementalResponses(session, order, responses);
        let sent = 0;
        for (const t of changed) sent += t.partitions.length;
        sessions.stats.incrementalFetches++;
        sessions.stats.incrementalPartitionsSent += sent;
        sessions.onIncremental?.(sent, session.partitions.size);
        return { throttleTimeMs: 0, errorCode: 0, sessionId: session.id, responses: changed, nodeEndpoints };
      }
    }
  },
};

function fetchedBytes(responses: FetchResponseFetchableTopicResponse[]): number {
  let bytes = 0;
  for (const t of responses) for (const p of t.partitions) bytes += p.records?.length ?? 0;
  return bytes;
}

/** A partition not read: its topic id is unknown, or the principal may not read it. */
function refused(partitionIndex: number, errorCode: number): FetchResponsePartitionData {
  return {
    partitionIndex, errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1,
    divergingEpoch: { epoch: -1, endOffset: -1 }, currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1, epoch: -1 }, abortedTransactions: null, preferredReadReplica: -1, records: Buffer.alloc(0),
  };
}
