// DescribeLogDirs (key 35), versions 0–4.
// Per log dir: its absolute path and, for the partitions asked for (all when topics is null),
// every local replica's size in bytes, leader or follower, and Kafka's offset lag for a current
// replica: max(high watermark - log end offset, 0) (ReplicaManager.getLogEndOffsetLag), which is
// 0 as long as a log's high watermark never passes its end. No future replicas.
// v1: same as v0. v2+: flexible. v3+: a top-level error code. v4+: the dir's total and usable
// bytes (from statfs; -1 if the file system cannot say).
import { ErrorCode } from '../../protocol/errors.js';
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DescribeLogDirsRequestSchema, DescribeLogDirsResponseSchema, type DescribeLogDirsRequest, type DescribeLogDirsResponse, type DescribeLogDirsResponseDescribeLogDirsTopic } from '../../protocol/messages/35-describe-log-dirs.js';
import { Op, onCluster } from '../access.js';
import type { Handler } from '../handler.js';

export const describeLogDirsHandler: Handler<DescribeLogDirsRequest, DescribeLogDirsResponse> = {
  apiKey: 35,
  minVersion: 0,
  maxVersion: 4,
  request: DescribeLogDirsRequestSchema,
  response: DescribeLogDirsResponseSchema,
  async handle(ctx, req, version) {
    if (!onCluster(ctx, Op.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] };
    const { config, replicas } = ctx.broker;
    const wanted = req.topics === null ? null : new Map(req.topics.map((t) => [t.topic, new Set(t.partitions)]));
    const byDir = new Map<string, Map<string, DescribeLogDirsResponseDescribeLogDirsTopic>>(config.logDirs.map((d) => [d, new Map()]));
    for (const { topic, partition, log } of replicas.logs.all()) {
      if (wanted !== null && wanted.get(topic)?.has(partition) !== true) continue;
      const topicsInDir = byDir.get(dirname(log.dir));
      if (topicsInDir === undefined) continue;
      let t = topicsInDir.get(topic);
      if (t === undefined) topicsInDir.set(topic, (t = { name: topic, partitions: [] }));
      t.partitions.push({ partitionIndex: partition, partitionSize: log.size, offsetLag: Math.max(log.highWatermark - log.logEndOffset, 0), isFutureKey: false });
    }
    const results = await Promise.all(
      [...byDir].map(async ([logDir, topics]) => {
        let totalBytes = -1;
        let usableBytes = -1;
        if (version >= 4) {
          try {
            const s = await statfs(logDir);
            totalBytes = s.blocks * s.bsize;
            usableBytes = s.bavail * s.bsize;
          } catch {
            // Unknown sizes stay -1, as Kafka reports them.
          }
        }
        const sorted = [...topics.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        for (const t of sorted) t.partitions.sort((a, b) => a.partitionIndex - b.partitionIndex);
        return { errorCode: 0, logDir, topics: sorted, totalBytes, usableBytes };
      }),
    );
    return { throttleTimeMs: 0, errorCode: 0, results };
  },
};
