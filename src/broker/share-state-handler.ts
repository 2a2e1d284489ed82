/**
 * The handlers of the share coordinator's inter-broker APIs (keys 83–87) share one shape:
 * ClusterAction on the cluster (as Kafka's KafkaApis asks of these broker-only APIs), then the
 * request answered partition by partition by the share coordinator (coordinator/share/state-apis.ts).
 */
import { ErrorCode } from '../protocol/errors.js';
import type { MessageSchema } from '../protocol/schema.js';
import type { ShareCoordinator } from '../coordinator/share/coordinator.js';
import { refuseAll } from '../coordinator/share/state-apis.js';
import { Op, onCluster } from './access.js';
import type { Handler } from './handler.js';
import { ShareService } from './share-service.js';

interface StateRequest {
  groupId: string;
  topics: Array<{ topicId: string; partitions: Array<{ partition: number }> }>;
}

export interface ShareStateHandlerSpec<Req, Resp> {
  apiKey: number;
  request: MessageSchema;
  response: MessageSchema;
  serve: (c: ShareCoordinator, req: Req) => Promise<Resp>;
  /** The fields a refused partition carries beyond its error (a read's empty state). */
  refusedFields: object;
}

export function shareStateHandler<Req extends StateRequest, Resp>(spec: ShareStateHandlerSpec<Req, Resp>): Handler<Req, Resp> {
  return {
    apiKey: spec.apiKey,
    minVersion: 0,
    maxVersion: 0,
    unstable: true,
    request: spec.request,
    response: spec.response,
    async handle(ctx, req) {
      if (!onCluster(ctx, Op.CLUSTER_ACTION)) return { results: refuseAll(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, spec.refusedFields) } as Resp;
      return spec.serve(ShareService.coordinatorOf(ctx.broker), req);
    },
  };
}
