/**
 * Consumer lag as kafka_exporter names it (`kafka_consumergroup_lag`, `…_current_offset`,
 * `…_lag_sum`), reported by each group's coordinator for every partition the group committed an
 * offset for: the high watermark less the committed offset. The high watermark is the local log's
 * where this broker leads the partition; a partition led elsewhere takes its leader's, asked at
 * scrape time (remote-high-watermarks.ts), or, until that answers, a local follower's copy.
 */
import type { Registry } from 'prom-client';
import type { BrokerContext } from '../handler.js';
import type { RemotePartition, RemoteHighWatermarks } from './remote-high-watermarks.js';
import { gauge, type Labels } from './series.js';

export interface LagRow {
  group: string;
  topic: string;
  partition: number;
  committed: number;
  lag: number;
}

interface Committed {
  group: string;
  topic: string;
  partition: number;
  committed: number;
}

/** The leader of a partition as this broker's image has it (a lone broker leads everything); -1 when none. */
function leaderOf(ctx: BrokerContext, topic: string, partition: number): number {
  const store = ctx.metadataStore;
  return store === null ? ctx.nodeId : (store.partition(topic, partition)?.leader ?? -1);
}

/** Every committed offset of the groups this broker coordinates, with the partitions that need a remote high watermark. */
function committedOffsets(ctx: BrokerContext): { rows: Committed[]; remote: RemotePartition[] } {
  const rows: Committed[] = [];
  const remote: RemotePartition[] = [];
  const asked = new Set<string>();
  for (const listing of ctx.groups.listGroups([], []).groups) {
    const g = ctx.groups.getGroup(listing.groupId);
    if (g === undefined) continue;
    for (const [topic, byPartition] of g.offsets) {
      for (const [partition, o] of byPartition) {
        rows.push({ group: listing.groupId, topic, partition, committed: Number(o.offset) });
        const leader = leaderOf(ctx, topic, partition);
        const key = `${topic}\0${partition}`;
        if (leader >= 0 && leader !== ctx.nodeId && !asked.has(key)) {
          asked.add(key);
          remote.push({ topic, partition, leader });
        }
      }
    }
  }
  return { rows, remote };
}

/** The lag of every committed offset whose high watermark is known here or from its leader. */
export async function consumerLags(ctx: BrokerContext, remote: RemoteHighWatermarks | null): Promise<LagRow[]> {
  const { rows, remote: wanted } = committedOffsets(ctx);
  if (remote !== null && wanted.length > 0) await remote.refresh(wanted);
  const out: LagRow[] = [];
  for (const r of rows) {
    const local = ctx.replicas.log(r.topic, r.partition);
    const leader = leaderOf(ctx, r.topic, r.partition);
    const hw = leader === ctx.nodeId ? local?.highWatermark : (remote?.highWatermark(r.topic, r.partition) ?? local?.highWatermark);
    if (hw === undefined) continue;
    out.push({ ...r, lag: Math.max(0, hw - r.committed) });
  }
  return out;
}

export function registerConsumerLag(registry: Registry, ctx: () => BrokerContext | null, remote: () => RemoteHighWatermarks | null): void {
  const lags = async (): Promise<LagRow[]> => {
    const c = ctx();
    return c === null ? [] : consumerLags(c, remote());
  };
  const labels = (l: LagRow): Labels => ({ consumergroup: l.group, topic: l.topic, partition: l.partition });
  gauge(registry, 'kafka_consumergroup_lag', 'High watermark less the group\'s committed offset, per partition (reported by the group\'s coordinator).', ['consumergroup', 'topic', 'partition'], async () => (await lags()).map((l): [Labels, number] => [labels(l), l.lag]));
  gauge(registry, 'kafka_consumergroup_current_offset', 'The group\'s committed offset, per partition.', ['consumergroup', 'topic', 'partition'], async () => (await lags()).map((l): [Labels, number] => [labels(l), l.committed]));
  gauge(registry, 'kafka_consumergroup_lag_sum', 'A group\'s lag over all its partitions.', ['consumergroup'], async () => {
    const sums = new Map<string, number>();
    for (const l of await lags()) sums.set(l.group, (sums.get(l.group) ?? 0) + l.lag);
    return [...sums].map(([consumergroup, v]): [Labels, number] => [{ consumergroup }, v]);
  });
}
