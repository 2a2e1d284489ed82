/**
 * Admin.describeLogDirs, as Kafka's Admin offers it: DescribeLogDirs (key 35) for every partition
 * to each broker asked for, each answering for its own log dirs and the replicas in them. The
 * Admin class exposes it.
 */
import { ErrorCode, KafkaError, errorName } from '../protocol/errors.js';
import type { DescribeLogDirsRequest, DescribeLogDirsResponse } from '../protocol/messages/35-describe-log-dirs.js';
import type { Cluster } from './cluster.js';

const DESCRIBE_LOG_DIRS_KEY = 35;
const DESCRIBE_LOG_DIRS_VERSION_MAX = 4;

export interface ReplicaInfo {
  topic: string;
  partition: number;
  /** Bytes of the replica's log on disk. */
  size: number;
  /** How far the replica's log end is behind its high watermark (Kafka's offsetLag); -1 when the broker cannot say. */
  offsetLag: number;
  /** A replica being moved into this dir (never, on Samsa). */
  isFuture: boolean;
}

export interface LogDirDescription {
  /** The dir's absolute path on its broker. */
  logDir: string;
  /** Why the broker could not describe the dir (e.g. KAFKA_STORAGE_ERROR for one offline), else null. */
  error: KafkaError | null;
  /** Sorted by topic, then partition. */
  replicas: ReplicaInfo[];
  /** The file system's size and free space in bytes; null from a broker too old to say or unable to. */
  totalBytes: number | null;
  usableBytes: number | null;
}

/** Each broker's log dirs, in the broker's order, keyed by broker id. Rejects if any broker fails. */
export async function describeLogDirs(cluster: Cluster, brokerIds: readonly number[]): Promise<Map<number, LogDirDescription[]>> {
  await cluster.withRetry(() => cluster.refresh([]));
  const described = await Promise.all(
    brokerIds.map((id) =>
      cluster.withRetry(async () => {
        const conn = await cluster.connectionTo(id);
        const version = conn.versionFor(DESCRIBE_LOG_DIRS_KEY, DESCRIBE_LOG_DIRS_VERSION_MAX);
        const resp = await conn.request<DescribeLogDirsRequest, DescribeLogDirsResponse>(DESCRIBE_LOG_DIRS_KEY, version, { topics: null });
        if (version >= 3 && resp.errorCode !== ErrorCode.NONE)
          throw new KafkaError(resp.errorCode, `Describing the log dirs of broker ${id} failed: ${errorName(resp.errorCode)}`);
        return [id, resp.results.map((d) => logDirDescription(d, version))] as const;
      }),
    ),
  );
  return new Map(described);
}

function logDirDescription(d: DescribeLogDirsResponse['results'][number], version: number): LogDirDescription {
  const replicas = d.topics.flatMap((t) =>
    t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, size: p.partitionSize, offsetLag: p.offsetLag, isFuture: p.isFutureKey })),
  );
  replicas.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  // v4 brings the sizes; -1 means the broker could not read them.
  const known = (n: number): number | null => (version >= 4 && n >= 0 ? n : null);
  return {
    logDir: d.logDir,
    error: d.errorCode === ErrorCode.NONE ? null : new KafkaError(d.errorCode),
    replicas,
    totalBytes: known(d.totalBytes),
    usableBytes: known(d.usableBytes),
  };
}
