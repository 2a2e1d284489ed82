/**
 * Describing a KIP-848 consumer group, as Kafka 4's Admin does (ConsumerGroupDescribe, key 69):
 * DescribeGroups answers such a group as Dead, so a Dead answer is asked again this way.
 */
import { ErrorCode, KafkaError, errorName } from '../protocol/errors.js';
import type { ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse } from '../protocol/messages/69-consumer-group-describe.js';
import type { Connection } from './connection.js';

const CONSUMER_GROUP_DESCRIBE_KEY = 69;

export interface ConsumerProtocolGroup {
  state: string;
  assignor: string;
  groupEpoch: number;
  assignmentEpoch: number;
  members: Array<{
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    host: string;
    memberEpoch: number;
    assignment: Array<{ topic: string; partition: number }>;
    targetAssignment: Array<{ topic: string; partition: number }>;
    subscribedTopics: string[];
  }>;
}

const flat = (a: { topicPartitions: Array<{ topicName: string; partitions: number[] }> }) => a.topicPartitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topicName, partition })));

/** The group as a consumer-protocol group, or null when it is none (GROUP_ID_NOT_FOUND) or the broker does not serve the API. */
export async function describeConsumerProtocolGroup(conn: Connection, groupId: string): Promise<ConsumerProtocolGroup | null> {
  if (conn.apiVersionRange(CONSUMER_GROUP_DESCRIBE_KEY) === undefined) return null;
  const resp = await conn.request<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse>(CONSUMER_GROUP_DESCRIBE_KEY, conn.versionFor(CONSUMER_GROUP_DESCRIBE_KEY, 0, 0), {
    groupIds: [groupId],
    includeAuthorizedOperations: false,
  });
  const g = resp.groups.find((x) => x.groupId === groupId);
  if (g === undefined || g.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) return null;
  if (g.errorCode !== ErrorCode.NONE) throw new KafkaError(g.errorCode, g.errorMessage ?? `Describing group '${groupId}' failed: ${errorName(g.errorCode)}`);
  return {
    state: g.groupState,
    assignor: g.assignorName,
    groupEpoch: g.groupEpoch,
    assignmentEpoch: g.assignmentEpoch,
    members: g.members.map((m) => ({
      memberId: m.memberId, groupInstanceId: m.instanceId, clientId: m.clientId, host: m.clientHost, memberEpoch: m.memberEpoch,
      assignment: flat(m.assignment), targetAssignment: flat(m.targetAssignment), subscribedTopics: m.subscribedTopicNames,
    })),
  };
}
