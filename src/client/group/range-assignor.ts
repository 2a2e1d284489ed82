/**
 * Kafka's RangeAssignor ('range', eager): topic by topic, the partitions are cut into contiguous
 * ranges over the members subscribed to that topic, in Kafka's member order; the first
 * `partitions % members` members get one extra. With 7 partitions and 3 members: 0–2, 3–4, 5–6.
 */
import { compareMembers, groupByTopic, type AssignmentInput, type GroupAssignment, type PartitionAssignor } from './assignor.js';

export class RangeAssignor implements PartitionAssignor {
  readonly name = 'range';
  readonly protocol = 'eager' as const;

  subscriptionUserData(): Buffer | null {
    return null;
  }

  assign(input: AssignmentInput): GroupAssignment {
    const assigned = new Map<string, Array<{ topic: string; partition: number }>>();
    for (const m of input.members) assigned.set(m.memberId, []);
    const membersByTopic = new Map<string, typeof input.members>();
    for (const m of input.members) {
      for (const topic of new Set(m.subscription.topics)) {
        let list = membersByTopic.get(topic);
        if (list === undefined) membersByTopic.set(topic, (list = []));
        list.push(m);
      }
    }
    for (const [topic, members] of membersByTopic) {
      const partitionCount = input.partitionsPerTopic.get(topic);
      if (partitionCount === undefined || partitionCount <= 0) continue;
      members.sort(compareMembers);
      const perMember = Math.floor(partitionCount / members.length);
      const withExtra = partitionCount % members.length;
      members.forEach((m, i) => {
        const start = perMember * i + Math.min(i, withExtra);
        const length = perMember + (i < withExtra ? 1 : 0);
        const list = assigned.get(m.memberId)!;
        for (let p = start; p < start + length; p++) list.push({ topic, partition: p });
      });
    }
    return new Map([...assigned].map(([memberId, list]) => [memberId, groupByTopic(list)]));
  }
}
