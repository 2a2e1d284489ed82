// ElectLeaders (key 43), versions 0–2. v0: preferred elections only. v1+: election type
// (0 preferred, 1 unclean; another → INVALID_REQUEST) and a top-level error code. v2+: flexible.
// In a cluster the elections are compare-and-swap writes to the metadata store (replica-placement's
// electLeaders): preferred moves leadership to the first replica when it is live and in sync;
// unclean picks a live replica out of the ISR when no in-sync one is live. The store unreachable:
// REQUEST_TIMED_OUT. One broker leads every partition as its preferred replica: each named
// partition answers ELECTION_NOT_NEEDED (unknown ones UNKNOWN_TOPIC_OR_PARTITION); null topics
// (all partitions) lists every topic with no partitions, since Kafka leaves out those whose
// election is not needed.
import { ErrorCode } from '../../protocol/errors.js';
import { ElectLeadersRequestSchema, ElectLeadersResponseSchema, type ElectLeadersRequest, type ElectLeadersResponse } from '../../protocol/messages/43-elect-leaders.js';
import { ElectionType, electLeader, electLeaders } from '../../cluster/replica-placement.js';
import { MetadataUnavailableError } from '../../cluster/store/types.js';
import { Op, onCluster } from '../access.js';
import type { Handler } from '../handler.js';

export const electLeadersHandler: Handler<ElectLeadersRequest, ElectLeadersResponse> = {
  apiKey: 43,
  minVersion: 0,
  maxVersion: 2,
  request: ElectLeadersRequestSchema,
  response: ElectLeadersResponseSchema,
  async handle(ctx, req, version) {
    const { topics } = ctx.broker;
    if (!onCluster(ctx, Op.ALTER)) {
      const replicaElectionResults = (req.topicPartitions ?? []).map((t) => ({ topic: t.topic, partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null })) }));
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, replicaElectionResults };
    }
    const electionType = version === 0 ? ElectionType.PREFERRED : req.electionType;
    if (electionType !== ElectionType.PREFERRED && electionType !== ElectionType.UNCLEAN) {
      const errorMessage = `Unknown election type ${electionType}`;
      const replicaElectionResults = (req.topicPartitions ?? []).map((t) => ({
        topic: t.topic,
        partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage })),
      }));
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults };
    }
    const store = ctx.broker.metadataStore;
    if (store !== null) {
      try {
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: await electLeaders(store, electionType, req.topicPartitions) };
      } catch (err) {
        if (!(err instanceof MetadataUnavailableError)) throw err;
        return { throttleTimeMs: 0, errorCode: ErrorCode.REQUEST_TIMED_OUT, replicaElectionResults: [] };
      }
    }
    if (req.topicPartitions === null) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: [...topics.all()].map((t) => ({ topic: t.name, partitionResult: [] })) };
    }
    const replicaElectionResults = req.topicPartitions.map((t) => ({
      topic: t.topic,
      partitionResult: t.partitions.map((partitionId) => ({ partitionId, ...electLeader(topics, t.topic, partitionId) })),
    }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults };
  },
};
