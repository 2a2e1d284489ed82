// DescribeProducers (key 61), version 0 (flexible).
// The active producers of each partition, from the partition's producer state: id, epoch, last
// sequence and timestamp, coordinator epoch, and the first offset of its open transaction (-1
// when none). UNKNOWN_TOPIC_OR_PARTITION for a partition this broker does not host.
import { ErrorCode } from '../../protocol/errors.js';
import { DescribeProducersRequestSchema, DescribeProducersResponseSchema, type DescribeProducersRequest, type DescribeProducersResponse } from '../../protocol/messages/61-describe-producers.js';
import { Op, onTopic } from '../access.js';
import type { Handler } from '../handler.js';

const NO_SEQUENCE = -1;

export const describeProducersHandler: Handler<DescribeProducersRequest, DescribeProducersResponse> = {
  apiKey: 61,
  minVersion: 0,
  maxVersion: 0,
  request: DescribeProducersRequestSchema,
  response: DescribeProducersResponseSchema,
  async handle(ctx, req) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => {
          if (!onTopic(ctx, Op.READ, t.name)) return { partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null, activeProducers: [] };
          const notLeader = ctx.broker.replication?.notLeader(t.name, partitionIndex) ?? null;
          if (notLeader !== null && notLeader.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
            return { partitionIndex, errorCode: notLeader.errorCode, errorMessage: null, activeProducers: [] };
          const log = ctx.broker.replicas.log(t.name, partitionIndex);
          if (log === undefined)
            return { partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `${t.name}-${partitionIndex} is not hosted on this broker.`, activeProducers: [] };
          const activeProducers = [...log.producerState.entries()].map((e) => ({
            producerId: e.producerId,
            producerEpoch: e.producerEpoch,
            lastSequence: e.batches.at(-1)?.lastSeq ?? NO_SEQUENCE,
            lastTimestamp: e.lastTimestampMs,
            coordinatorEpoch: e.coordinatorEpoch,
            currentTxnStartOffset: e.currentTxnFirstOffset ?? -1,
          }));
          return { partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers };
        }),
      })),
    };
  },
};
