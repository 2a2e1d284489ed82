// ShareFetch (key 78), versions 1–2 (Kafka 4.1's stable version; v2, Kafka 4.2: ShareAcquireMode
// and IsRenewAck). A share session per member (epoch 0 opens, −1 closes, else the current epoch),
// acknowledgements piggy-backed per partition and applied before reading, then records acquired
// for the member from every partition of its session, up to MaxRecords (both acquire modes keep
// to it: batch-optimized may exceed it, record-limit may not); a fetch that gets none waits up to
// MaxWaitMs. v2: RENEW acknowledgements (KIP-1222) restart the records' locks, and a fetch with
// IsRenewAck acquires nothing. MinBytes and BatchSize are not used.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { ShareFetchRequestSchema, ShareFetchResponseSchema, type ShareFetchRequest, type ShareFetchResponse, type ShareFetchResponsePartitionData } from '../../protocol/messages/78-share-fetch.js';
import { Op, onGroup, onTopic } from '../access.js';
import type { Handler, RequestContext } from '../handler.js';
import { SHARE_GROUPS_OFF, shareGroupsServed } from '../feature-gates.js';
import { ShareService, misplacedRenew } from '../share-service.js';
import { FINAL_SHARE_SESSION_EPOCH, INITIAL_SHARE_SESSION_EPOCH, sessionPartitionKey } from '../share-sessions.js';

const NO_RECORDS = Buffer.alloc(0);
/** ShareFetch v2's ShareAcquireMode values (KIP-1206). */
const SHARE_ACQUIRE_BATCH_OPTIMIZED = 0;
const SHARE_ACQUIRE_RECORD_LIMIT = 1;

function refuse(errorCode: number, errorMessage: string | null = null): ShareFetchResponse {
  return { throttleTimeMs: 0, errorCode, errorMessage, acquisitionLockTimeoutMs: 0, responses: [], nodeEndpoints: [] };
}

interface Result extends ShareFetchResponsePartitionData {
  topicId: string;
}

/** The error of a partition the principal may not read, or whose topic is unknown here; else 0. */
export function sharePartitionError(ctx: RequestContext, share: ShareService, topicId: string): number {
  let name: string;
  try {
    name = share.topicName(topicId);
  } catch (err) {
    if (err instanceof KafkaError) return err.code;
    throw err;
  }
  return onTopic(ctx, Op.READ, name) ? 0 : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
}

export const shareFetchHandler: Handler<ShareFetchRequest, ShareFetchResponse> = {
  apiKey: 78,
  minVersion: 1,
  maxVersion: 2,
  request: ShareFetchRequestSchema,
  response: ShareFetchResponseSchema,
  async handle(ctx, req, version) {
    const groupId = req.groupId ?? '';
    const memberId = req.memberId ?? '';
    if (!shareGroupsServed(ctx.broker)) return refuse(ErrorCode.UNSUPPORTED_VERSION, SHARE_GROUPS_OFF);
    if (groupId === '' || memberId === '') return refuse(ErrorCode.INVALID_REQUEST, 'ShareFetch needs a group id and a member id');
    if (!onGroup(ctx, Op.READ, groupId)) return refuse(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const renewing = version >= 2 && req.isRenewAck;
    if (version >= 2 && req.shareAcquireMode !== SHARE_ACQUIRE_BATCH_OPTIMIZED && req.shareAcquireMode !== SHARE_ACQUIRE_RECORD_LIMIT) return refuse(ErrorCode.INVALID_REQUEST, `share acquire mode ${req.shareAcquireMode} is not known`);
    const epoch = req.shareSessionEpoch;
    const hasAcks = req.topics.some((t) => t.partitions.some((p) => p.acknowledgementBatches.length > 0));
    if (epoch === INITIAL_SHARE_SESSION_EPOCH && hasAcks) return refuse(ErrorCode.INVALID_REQUEST, 'acknowledgements cannot open a share session');
    const share = ShareService.of(ctx.broker);
    let session;
    try {
      session = share.sessions.open(groupId, memberId, epoch);
    } catch (err) {
      if (err instanceof KafkaError) return refuse(err.code, err.message);
      throw err;
    }
    const results = new Map<string, Result>();
    const result = (topicId: string, partitionIndex: number): Result => {
      const key = sessionPartitionKey(topicId, partitionIndex);
      let r = results.get(key);
      if (r === undefined) {
        r = { topicId, partitionIndex, errorCode: 0, errorMessage: null, acknowledgeErrorCode: 0, acknowledgeErrorMessage: null, currentLeader: share.currentLeader(topicId, partitionIndex), records: NO_RECORDS, acquiredRecords: [] };
        results.set(key, r);
      }
      return r;
    };
    // librdkafka may name a topic twice (once to add partitions, once with acknowledgements).
    for (const t of req.topics) {
      for (const p of t.partitions) {
        const r = result(t.topicId, p.partitionIndex);
        const refused = sharePartitionError(ctx, share, t.topicId);
        if (refused !== 0) {
          r.errorCode = refused;
          r.acknowledgeErrorCode = p.acknowledgementBatches.length > 0 ? refused : 0;
          continue;
        }
        if (epoch !== FINAL_SHARE_SESSION_EPOCH) session.partitions.set(sessionPartitionKey(t.topicId, p.partitionIndex), { topicId: t.topicId, partition: p.partitionIndex });
        if (p.acknowledgementBatches.length === 0) continue;
        if (misplacedRenew(p.acknowledgementBatches, renewing)) {
          r.acknowledgeErrorCode = ErrorCode.INVALID_REQUEST;
          r.acknowledgeErrorMessage = 'RENEW acknowledgements need IsRenewAck (ShareFetch v2+)';
          continue;
        }
        try {
          r.acknowledgeErrorCode = await share.acknowledge(groupId, memberId, t.topicId, p.partitionIndex, p.acknowledgementBatches);
        } catch (err) {
          if (!(err instanceof KafkaError)) throw err;
          r.acknowledgeErrorCode = err.code;
          r.acknowledgeErrorMessage = err.message;
        }
      }
    }
    // A session opening (in a cluster): states held here that an admin change moved on are loaded again.
    if (epoch === INITIAL_SHARE_SESSION_EPOCH) await share.revalidate(groupId, session.partitions.values());
    for (const f of req.forgottenTopicsData) for (const p of f.partitions) session.partitions.delete(sessionPartitionKey(f.topicId, p));
    if (epoch === FINAL_SHARE_SESSION_EPOCH) {
      await share.releaseSession(groupId, memberId);
    } else {
      share.sessions.advance(session);
      if (epoch === INITIAL_SHARE_SESSION_EPOCH) for (const p of session.partitions.values()) result(p.topicId, p.partition);
      if (req.maxRecords > 0 && !renewing) await acquireRecords();
    }
    const byTopic = new Map<string, Result[]>();
    for (const r of results.values()) {
      const got = r.errorCode !== 0 || r.acknowledgeErrorCode !== 0 || r.acquiredRecords.length > 0 || epoch === INITIAL_SHARE_SESSION_EPOCH || req.topics.some((t) => t.topicId === r.topicId);
      if (!got) continue;
      const list = byTopic.get(r.topicId) ?? [];
      list.push(r);
      byTopic.set(r.topicId, list);
    }
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      acquisitionLockTimeoutMs: ctx.broker.groupConfigs.intValue(req.groupId ?? '', 'share.record.lock.duration.ms'),
      responses: [...byTopic].map(([topicId, partitions]) => ({ topicId, partitions: partitions.map(({ topicId: _, ...p }) => p) })),
      nodeEndpoints: [],
    };

    async function acquireRecords(): Promise<void> {
      const deadline = ctx.broker.clock.now() + Math.max(0, req.maxWaitMs);
      const targets = [...session!.partitions.values()].filter((p) => sharePartitionError(ctx, share, p.topicId) === 0);
      const partitions = targets.map((p) => ({ topic: share.topicName(p.topicId), partition: p.partition }));
      for (;;) {
        let wake!: () => void;
        const woken = new Promise<void>((resolve) => (wake = resolve));
        const unlisten = share.listen(partitions, wake);
        try {
          let left = req.maxRecords;
          let bytesLeft = req.maxBytes;
          let errors = false;
          for (const p of targets) {
            if (left <= 0 || bytesLeft <= 0) break;
            const r = result(p.topicId, p.partition);
            try {
              const got = await share.acquire(groupId, memberId, p.topicId, p.partition, left, bytesLeft);
              if (got.acquired.length === 0) continue;
              r.records = r.records === null || r.records.length === 0 ? got.records : Buffer.concat([r.records, got.records]);
              r.acquiredRecords.push(...got.acquired);
              for (const a of got.acquired) left -= a.lastOffset - a.firstOffset + 1;
              bytesLeft -= got.records.length;
            } catch (err) {
              if (!(err instanceof KafkaError)) throw err;
              r.errorCode = err.code;
              r.errorMessage = err.message;
              errors = true;
            }
          }
          const waitMs = deadline - ctx.broker.clock.now();
          if (left < req.maxRecords || errors || waitMs <= 0 || targets.length === 0) return;
          const timer = ctx.broker.clock.setTimeout(wake, waitMs);
          await woken;
          ctx.broker.clock.clearTimeout(timer);
        } finally {
          unlisten();
        }
      }
    }
  },
};
