/**
 * Kafka's `kafka-consumer-groups --reset-offsets`, as the Admin runs it: the new offset of each
 * partition for a scenario (earliest, latest, an offset, a time, a shift), clamped to the log as
 * Kafka clamps it, committed from outside the group unless it is a dry run. The group must be
 * inactive (Empty or Dead).
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { Cluster } from './cluster.js';
import { tpKey } from './group/assignor.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, listOffset } from './offsets.js';

const INACTIVE_GROUP_STATES = new Set(['Empty', 'Dead']);

/** Where --reset-offsets moves a group: Kafka's scenarios. */
export type OffsetResetSpec =
  | { to: 'earliest' }
  | { to: 'latest' }
  | { to: 'offset'; offset: number }
  | { to: 'datetime'; timestamp: number }
  | { to: 'shift'; by: number };

export interface ResetOffsetsRequest {
  /** Topics with all their partitions, or only the listed ones. */
  topics: Array<{ topic: string; partitions?: number[] }>;
  spec: OffsetResetSpec;
  /** Compute and return the new offsets without committing them. */
  dryRun?: boolean;
}

/** What a reset needs of the Admin: the group's state, its commits, and committing. */
export interface GroupOffsetsAccess {
  describeGroups(groupIds: string[]): Promise<Array<{ state: string }>>;
  fetchOffsets(groupId: string): Promise<Array<{ topic: string; partition: number; offset: number }>>;
  commitOffsets(groupId: string, offsets: Array<{ topic: string; partition: number; offset: number }>): Promise<void>;
}

export interface ResetOffset {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch: null;
  metadata: null;
}

export async function resetGroupOffsets(admin: GroupOffsetsAccess, cluster: Cluster, groupId: string, req: ResetOffsetsRequest): Promise<ResetOffset[]> {
  const [group] = await admin.describeGroups([groupId]);
  if (group !== undefined && !INACTIVE_GROUP_STATES.has(group.state)) {
    throw new KafkaError(
      ErrorCode.NON_EMPTY_GROUP,
      `Assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${group.state}.`,
    );
  }
  const partitions: Array<{ topic: string; partition: number }> = [];
  for (const t of req.topics) {
    const info = await cluster.withRetry(() => cluster.topic(t.topic, { refresh: true }), { topics: [t.topic] });
    const existing = new Set(info.partitions.map((p) => p.partition));
    for (const p of t.partitions ?? [...existing]) {
      if (!existing.has(p)) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The partitions "${t.topic}-${p}" do not exist.`);
      partitions.push({ topic: t.topic, partition: p });
    }
  }
  const committed = req.spec.to === 'shift' ? new Map((await admin.fetchOffsets(groupId)).map((o) => [tpKey(o.topic, o.partition), o.offset])) : new Map<string, number>();
  const result = await Promise.all(partitions.map(async ({ topic, partition }) => ({ topic, partition, offset: await resetTarget(cluster, topic, partition, req.spec, committed), leaderEpoch: null, metadata: null })));
  result.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  if (req.dryRun !== true) await admin.commitOffsets(groupId, result);
  return result;
}

async function resetTarget(cluster: Cluster, topic: string, partition: number, spec: OffsetResetSpec, committed: Map<string, number>): Promise<number> {
  const end = async (): Promise<number> => (await listOffset(cluster, { topic, partition, timestamp: LATEST_TIMESTAMP })).offset;
  const start = async (): Promise<number> => (await listOffset(cluster, { topic, partition, timestamp: EARLIEST_TIMESTAMP })).offset;
  const clamp = async (offset: number): Promise<number> => Math.max(await start(), Math.min(await end(), offset));
  switch (spec.to) {
    case 'earliest':
      return start();
    case 'latest':
      return end();
    case 'offset':
      return clamp(spec.offset);
    case 'shift': {
      const current = committed.get(tpKey(topic, partition));
      if (current === undefined) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Cannot shift offset for partition ${topic}-${partition} since there is no current committed offset.`);
      }
      return clamp(current + spec.by);
    }
    case 'datetime': {
      const { offset } = await listOffset(cluster, { topic, partition, timestamp: spec.timestamp });
      // No message at or after that time: Kafka falls back to the log end.
      return offset < 0 ? end() : offset;
    }
  }
}
