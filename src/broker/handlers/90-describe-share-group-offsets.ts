// DescribeShareGroupOffsets (key 90), versions 0–1 (Kafka 4.1/4.2's admin API for share groups,
// behind kafka-share-groups.sh --describe). Per share-partition: its start offset (SPSO; −1 when the
// group has no state there) and leader epoch; v1: the lag (KIP-1226: records from SPSO to the high
// watermark not yet acknowledged or archived; −1 when unknown). Topics null means every
// share-partition of the group. A group with neither members nor state here is GROUP_ID_NOT_FOUND.
import { ErrorCode } from '../../protocol/errors.js';
import {
  DescribeShareGroupOffsetsRequestSchema,
  DescribeShareGroupOffsetsResponseSchema,
  type DescribeShareGroupOffsetsRequest,
  type DescribeShareGroupOffsetsResponse,
  type DescribeShareGroupOffsetsResponseTopic,
} from '../../protocol/messages/90-describe-share-group-offsets.js';
import { Op, onGroup, onTopic } from '../access.js';
import type { Handler } from '../handler.js';
import { ShareService } from '../share-service.js';
import { shareKeyText } from '../../coordinator/share/records.js';

type Group = DescribeShareGroupOffsetsResponse['groups'][number];

export const describeShareGroupOffsetsHandler: Handler<DescribeShareGroupOffsetsRequest, DescribeShareGroupOffsetsResponse> = {
  apiKey: 90,
  minVersion: 0,
  maxVersion: 1,
  request: DescribeShareGroupOffsetsRequestSchema,
  response: DescribeShareGroupOffsetsResponseSchema,
  async handle(ctx, req) {
    const share = ShareService.of(ctx.broker);
    const groups: Group[] = [];
    for (const g of req.groups) {
      const refused = (errorCode: number, errorMessage: string | null = null): Group => ({ groupId: g.groupId, topics: [], errorCode, errorMessage });
      if (!onGroup(ctx, Op.DESCRIBE, g.groupId)) {
        groups.push(refused(ErrorCode.GROUP_AUTHORIZATION_FAILED));
        continue;
      }
      const notHere = ctx.broker.groups.groupError(g.groupId, 'non-empty');
      if (notHere !== null) {
        groups.push(refused(notHere));
        continue;
      }
      const offsets = await share.offsets(g.groupId);
      if (offsets === null) {
        groups.push(refused(ErrorCode.GROUP_ID_NOT_FOUND, `group ${g.groupId} is not a share group`));
        continue;
      }
      // Asked for: the topics and partitions named; else every share-partition with state.
      const asked = g.topics ?? groupByTopic([...offsets.values()].map((o) => ({ name: ctx.broker.topics.getById(o.topicId)?.name, partition: o.partition })));
      const topics: DescribeShareGroupOffsetsResponseTopic[] = [];
      for (const t of asked) {
        const meta = ctx.broker.topics.get(t.topicName);
        const allowed = onTopic(ctx, Op.DESCRIBE, t.topicName);
        topics.push({
          topicName: t.topicName,
          topicId: meta?.topicId ?? '',
          partitions: t.partitions.map((p) => {
            const errorCode = !allowed ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : meta === undefined || p >= meta.partitions ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : 0;
            const o = meta === undefined ? undefined : offsets.get(shareKeyText({ groupId: g.groupId, topicId: meta.topicId, partition: p }));
            if (errorCode !== 0 || o === undefined) return { partitionIndex: p, startOffset: -1, leaderEpoch: -1, lag: -1, errorCode, errorMessage: null };
            const log = ctx.broker.replicas.log(t.topicName, p);
            const lag = log === undefined ? -1 : Math.max(0, log.highWatermark - o.startOffset - o.doneInFlight);
            return { partitionIndex: p, startOffset: o.startOffset, leaderEpoch: o.leaderEpoch, lag, errorCode: 0, errorMessage: null };
          }),
        });
      }
      groups.push({ groupId: g.groupId, topics, errorCode: 0, errorMessage: null });
    }
    return { throttleTimeMs: 0, groups };
  },
};

function groupByTopic(entries: Array<{ name: string | undefined; partition: number }>): Array<{ topicName: string; partitions: number[] }> {
  const byName = new Map<string, number[]>();
  for (const e of entries) {
    if (e.name === undefined) continue; // a deleted topic
    const ps = byName.get(e.name) ?? [];
    ps.push(e.partition);
    byName.set(e.name, ps);
  }
  return [...byName].map(([topicName, partitions]) => ({ topicName, partitions: partitions.sort((a, b) => a - b) }));
}
