/** ConsumerGroupDescribe, and what the classic admin APIs say about KIP-848 consumer groups. */
import { ErrorCode } from '../../../protocol/errors.js';
import type { GroupCoordinator } from '../coordinator.js';
import type { TopicPartitions } from './records.js';
import type { ConsumerGroupDescribeResponseDescribedGroup, ConsumerGroupDescribeResponseTopicPartitions } from '../../../protocol/messages/69-consumer-group-describe.js';

/** A group as ConsumerGroupDescribe reports it, less the authorized operations (the handler's). */
export type DescribedConsumerGroup = Omit<ConsumerGroupDescribeResponseDescribedGroup, 'authorizedOperations'>;
type DescribedPartitions = ConsumerGroupDescribeResponseTopicPartitions;

const notFound = (groupId: string, errorMessage: string): DescribedConsumerGroup => ({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [] });

export function describeConsumerGroup(c: GroupCoordinator, groupId: string): DescribedConsumerGroup {
  const error = c.groupError(groupId, 'any');
  if (error !== null) return { ...notFound(groupId, ''), errorCode: error, errorMessage: null };
  const g = c.getGroup(groupId);
  if (g === undefined) return notFound(groupId, `Group ${groupId} not found.`);
  const cg = g.consumer;
  if (cg === null) return notFound(groupId, `Group ${groupId} is not a consumer group.`);
  const names = new Map<string, string>();
  for (const t of c.topicsView.all()) names.set(t.topicId, t.name);
  const describe = (tp: TopicPartitions): { topicPartitions: DescribedPartitions[] } => ({
    topicPartitions: [...tp].filter(([id]) => names.has(id)).map(([topicId, partitions]) => ({ topicId, topicName: names.get(topicId)!, partitions: [...partitions].sort((a, b) => a - b) })),
  });
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    groupId,
    groupState: cg.state(),
    groupEpoch: cg.groupEpoch,
    assignmentEpoch: cg.assignmentEpoch,
    assignorName: cg.preferredAssignor() ?? c.config.consumer.assignors[0]!,
    members: [...cg.members.values()].map((m) => ({
      memberId: m.memberId,
      instanceId: m.metadata.instanceId,
      rackId: m.metadata.rackId,
      memberEpoch: m.assignment.memberEpoch,
      clientId: m.metadata.clientId,
      clientHost: m.metadata.clientHost,
      subscribedTopicNames: m.metadata.subscribedTopicNames,
      subscribedTopicRegex: m.metadata.subscribedTopicRegex,
      assignment: describe(m.assignment.assignedPartitions),
      targetAssignment: describe(cg.targets.get(m.memberId) ?? new Map()),
    })),
  };
}
