/** ListOffsets, shared by the admin client and the consumer (which resolves earliest/latest with it). */
import { ErrorCode, KafkaError, errorName } from '../protocol/errors.js';
import type { ListOffsetsRequest, ListOffsetsResponse } from '../protocol/messages/02-list-offsets.js';
import type { Cluster } from './cluster.js';

const LIST_OFFSETS_KEY = 2;
/** v1 is the first with a single offset per partition; v8+ adds tiered-storage lookups we do not need. */
const LIST_OFFSETS_VERSION_MIN = 1;
const LIST_OFFSETS_VERSION_MAX = 7;

/** Kafka's special timestamps for ListOffsets. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

export interface OffsetAtTime {
  offset: number;
  /** The timestamp of the record at `offset`, or -1 for latest/earliest. */
  timestamp: number;
}

/** Isolation levels as Kafka numbers them in Fetch and ListOffsets. */
export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;

/**
 * The offset for a timestamp in one partition: -1 = the log end (next offset to be written),
 * -2 = the log start, otherwise the first offset whose timestamp is at or after it (-1 if none).
 */
export async function listOffset(
  cluster: Cluster,
  req: { topic: string; partition: number; timestamp: number; isolationLevel?: number },
  deadline?: number,
): Promise<OffsetAtTime> {
  return cluster.withRetry(
    async () => {
      const conn = await cluster.leaderConnection(req.topic, req.partition);
      const version = conn.versionFor(LIST_OFFSETS_KEY, LIST_OFFSETS_VERSION_MAX, LIST_OFFSETS_VERSION_MIN);
      const resp = await conn.request<ListOffsetsRequest, ListOffsetsResponse>(LIST_OFFSETS_KEY, version, {
        replicaId: -1,
        isolationLevel: req.isolationLevel ?? READ_UNCOMMITTED,
        topics: [
          {
            name: req.topic,
            partitions: [{ partitionIndex: req.partition, currentLeaderEpoch: -1, timestamp: req.timestamp, maxNumOffsets: 1 }],
          },
        ],
        timeoutMs: 0,
      });
      const p = resp.topics.find((t) => t.name === req.topic)?.partitions.find((x) => x.partitionIndex === req.partition);
      if (p === undefined) {
        throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `ListOffsets reply did not mention ${req.topic}-${req.partition}.`);
      }
      if (p.errorCode !== ErrorCode.NONE) {
        throw new KafkaError(p.errorCode, `ListOffsets for ${req.topic}-${req.partition} failed: ${errorName(p.errorCode)}`);
      }
      return { offset: p.offset, timestamp: p.timestamp };
    },
    { topics: [req.topic], deadline },
  );
}
