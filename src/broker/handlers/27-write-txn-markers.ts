// WriteTxnMarkers (key 27), versions 0–1.
// Writes COMMIT or ABORT markers to the partitions named, which this broker must lead
// (NOT_LEADER_OR_FOLLOWER otherwise); in a cluster each answers once the ISR holds it. The
// transaction coordinator sends it to the leaders of partitions on other brokers
// (cluster/txn-marker-channel.ts) and writes its own directly; admin tools
// (`kafka-transactions.sh abort`, Admin.abortTransaction) send it to end a hanging transaction.
// v1: flexible. A marker on __consumer_offsets also completes the producer's pending
// transactional offsets.
import { ErrorCode } from '../../protocol/errors.js';
import { WriteTxnMarkersRequestSchema, WriteTxnMarkersResponseSchema, type WriteTxnMarkersRequest, type WriteTxnMarkersResponse } from '../../protocol/messages/27-write-txn-markers.js';
import { Op, onCluster } from '../access.js';
import type { Handler } from '../handler.js';

const OFFSETS_TOPIC = '__consumer_offsets';

export const writeTxnMarkersHandler: Handler<WriteTxnMarkersRequest, WriteTxnMarkersResponse> = {
  apiKey: 27,
  minVersion: 0,
  maxVersion: 1,
  request: WriteTxnMarkersRequestSchema,
  response: WriteTxnMarkersResponseSchema,
  async handle(ctx, req) {
    // As Kafka: from a coordinator (ClusterAction on the cluster) or an admin tool (Alter on the cluster).
    if (!onCluster(ctx, Op.ALTER) && !onCluster(ctx, Op.CLUSTER_ACTION)) {
      const refused = (m: WriteTxnMarkersRequest['markers'][number]) => ({
        producerId: m.producerId, topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED })) })),
      });
      return { markers: req.markers.map(refused) };
    }
    const markers = await Promise.all(
      req.markers.map(async (m) => ({
        producerId: m.producerId,
        topics: await Promise.all(
          m.topics.map(async (t) => ({
            name: t.name,
            partitions: await Promise.all(
              t.partitionIndexes.map(async (partitionIndex) => {
                const marker = { producerId: m.producerId, producerEpoch: m.producerEpoch, commit: m.transactionResult, coordinatorEpoch: m.coordinatorEpoch };
                try {
                  await ctx.broker.replicas.writeTxnMarker(t.name, partitionIndex, { ...marker, timestampMs: ctx.broker.clock.now() });
                  if (t.name === OFFSETS_TOPIC) ctx.broker.groups.completeTxn(partitionIndex, m.producerId, m.transactionResult);
                  return { partitionIndex, errorCode: ErrorCode.NONE };
                } catch (err) {
                  const code = (err as { code?: unknown }).code;
                  return { partitionIndex, errorCode: typeof code === 'number' ? code : ErrorCode.KAFKA_STORAGE_ERROR };
                }
              }),
            ),
          })),
        ),
      })),
    );
    return { markers };
  },
};
