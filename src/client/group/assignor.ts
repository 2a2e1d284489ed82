/**
 * What a partition assignor is: the group leader gives it every member's subscription and the
 * partition count of every subscribed topic, and it says who reads what. Assignors are named as
 * in Kafka ('range', 'cooperative-sticky') because the broker only lets members into one group
 * when they share an assignor name.
 */
import type { Subscription, TopicPartitions } from './consumer-protocol.js';

/**
 * eager: every member gives up all its partitions before it rejoins (Kafka's RangeAssignor).
 * cooperative: members keep what they own across a rebalance and give up only what moves
 * (KIP-429); a member that gave something up rejoins for a second round.
 */
export type RebalanceProtocol = 'eager' | 'cooperative';

export interface MemberSubscription {
  memberId: string;
  groupInstanceId: string | null;
  subscription: Subscription;
}

export interface AssignmentInput {
  members: MemberSubscription[];
  /** Partition counts of the topics any member subscribes to; topics that do not exist are absent. */
  partitionsPerTopic: Map<string, number>;
}

/** Member id → its partitions, grouped by topic. Every member of the input has an entry. */
export type GroupAssignment = Map<string, TopicPartitions[]>;

export interface PartitionAssignor {
  readonly name: string;
  readonly protocol: RebalanceProtocol;
  /** Bytes this assignor wants in the member's Subscription userData, or null. */
  subscriptionUserData(): Buffer | null;
  assign(input: AssignmentInput): GroupAssignment;
}

/** "topic\0partition": a partition as a map key. */
export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export function parseTpKey(key: string): { topic: string; partition: number } {
  const at = key.lastIndexOf('\u0000');
  return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) };
}

/** Groups a flat list of partitions by topic, topics and partitions in ascending order. */
export function groupByTopic(list: Array<{ topic: string; partition: number }>): TopicPartitions[] {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of list) {
    let ps = byTopic.get(topic);
    if (ps === undefined) byTopic.set(topic, (ps = []));
    ps.push(partition);
  }
  return [...byTopic.keys()]
    .sort(compareStrings)
    .map((topic) => ({ topic, partitions: byTopic.get(topic)!.sort((a, b) => a - b) }));
}

export function flatten(list: TopicPartitions[]): Array<{ topic: string; partition: number }> {
  return list.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
}

/** Java's String.compareTo for the strings Kafka uses (UTF-16 code units), which is JS's `<`. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Kafka's member order for assignors: static members (with a group.instance.id) first, by
 * instance id; then dynamic members by member id.
 */
export function compareMembers(a: MemberSubscription, b: MemberSubscription): number {
  if (a.groupInstanceId !== null && b.groupInstanceId !== null) return compareStrings(a.groupInstanceId, b.groupInstanceId);
  if (a.groupInstanceId !== null) return -1;
  if (b.groupInstanceId !== null) return 1;
  return compareStrings(a.memberId, b.memberId);
}
