/** Every API this codebase has a schema for, by api key. What the broker *serves* is decided by
 * its handlers; this is only the dictionary of message shapes. */
import type { MessageSchema } from './schema.js';
import { ProduceRequestSchema, ProduceResponseSchema } from './messages/00-produce.js';
import { FetchRequestSchema, FetchResponseSchema } from './messages/01-fetch.js';
import { ListOffsetsRequestSchema, ListOffsetsResponseSchema } from './messages/02-list-offsets.js';
import { MetadataRequestSchema, MetadataResponseSchema } from './messages/03-metadata.js';
import { OffsetCommitRequestSchema, OffsetCommitResponseSchema } from './messages/08-offset-commit.js';
import { OffsetFetchRequestSchema, OffsetFetchResponseSchema } from './messages/09-offset-fetch.js';
import { FindCoordinatorRequestSchema, FindCoordinatorResponseSchema } from './messages/10-find-coordinator.js';
import { JoinGroupRequestSchema, JoinGroupResponseSchema } from './messages/11-join-group.js';
import { HeartbeatRequestSchema, HeartbeatResponseSchema } from './messages/12-heartbeat.js';
import { LeaveGroupRequestSchema, LeaveGroupResponseSchema } from './messages/13-leave-group.js';
import { SyncGroupRequestSchema, SyncGroupResponseSchema } from './messages/14-sync-group.js';
import { DescribeGroupsRequestSchema, DescribeGroupsResponseSchema } from './messages/15-describe-groups.js';
import { ListGroupsRequestSchema, ListGroupsResponseSchema } from './messages/16-list-groups.js';
import { SaslHandshakeRequestSchema, SaslHandshakeResponseSchema } from './messages/17-sasl-handshake.js';
import { ApiVersionsRequestSchema, ApiVersionsResponseSchema } from './messages/18-api-versions.js';
import { CreateTopicsRequestSchema, CreateTopicsResponseSchema } from './messages/19-create-topics.js';
import { DeleteTopicsRequestSchema, DeleteTopicsResponseSchema } from './messages/20-delete-topics.js';
import { DeleteRecordsRequestSchema, DeleteRecordsResponseSchema } from './messages/21-delete-records.js';
import { InitProducerIdRequestSchema, InitProducerIdResponseSchema } from './messages/22-init-producer-id.js';
import { OffsetForLeaderEpochRequestSchema, OffsetForLeaderEpochResponseSchema } from './messages/23-offset-for-leader-epoch.js';
import { AddPartitionsToTxnRequestSchema, AddPartitionsToTxnResponseSchema } from './messages/24-add-partitions-to-txn.js';
import { AddOffsetsToTxnRequestSchema, AddOffsetsToTxnResponseSchema } from './messages/25-add-offsets-to-txn.js';
import { EndTxnRequestSchema, EndTxnResponseSchema } from './messages/26-end-txn.js';
import { TxnOffsetCommitRequestSchema, TxnOffsetCommitResponseSchema } from './messages/28-txn-offset-commit.js';
import { WriteTxnMarkersRequestSchema, WriteTxnMarkersResponseSchema } from './messages/27-write-txn-markers.js';
import { DescribeAclsRequestSchema, DescribeAclsResponseSchema } from './messages/29-describe-acls.js';
import { CreateAclsRequestSchema, CreateAclsResponseSchema } from './messages/30-create-acls.js';
import { DeleteAclsRequestSchema, DeleteAclsResponseSchema } from './messages/31-delete-acls.js';
import { DescribeConfigsRequestSchema, DescribeConfigsResponseSchema } from './messages/32-describe-configs.js';
import { AlterConfigsRequestSchema, AlterConfigsResponseSchema } from './messages/33-alter-configs.js';
import { DescribeLogDirsRequestSchema, DescribeLogDirsResponseSchema } from './messages/35-describe-log-dirs.js';
import { SaslAuthenticateRequestSchema, SaslAuthenticateResponseSchema } from './messages/36-sasl-authenticate.js';
import { CreatePartitionsRequestSchema, CreatePartitionsResponseSchema } from './messages/37-create-partitions.js';
import { DeleteGroupsRequestSchema, DeleteGroupsResponseSchema } from './messages/42-delete-groups.js';
import { ElectLeadersRequestSchema, ElectLeadersResponseSchema } from './messages/43-elect-leaders.js';
import { IncrementalAlterConfigsRequestSchema, IncrementalAlterConfigsResponseSchema } from './messages/44-incremental-alter-configs.js';
import { AlterPartitionReassignmentsRequestSchema, AlterPartitionReassignmentsResponseSchema } from './messages/45-alter-partition-reassignments.js';
import { ListPartitionReassignmentsRequestSchema, ListPartitionReassignmentsResponseSchema } from './messages/46-list-partition-reassignments.js';
import { OffsetDeleteRequestSchema, OffsetDeleteResponseSchema } from './messages/47-offset-delete.js';
import { DescribeClientQuotasRequestSchema, DescribeClientQuotasResponseSchema } from './messages/48-describe-client-quotas.js';
import { AlterClientQuotasRequestSchema, AlterClientQuotasResponseSchema } from './messages/49-alter-client-quotas.js';
import { DescribeUserScramCredentialsRequestSchema, DescribeUserScramCredentialsResponseSchema } from './messages/50-describe-user-scram-credentials.js';
import { AlterUserScramCredentialsRequestSchema, AlterUserScramCredentialsResponseSchema } from './messages/51-alter-user-scram-credentials.js';
import { UpdateFeaturesRequestSchema, UpdateFeaturesResponseSchema } from './messages/57-update-features.js';
import { DescribeClusterRequestSchema, DescribeClusterResponseSchema } from './messages/60-describe-cluster.js';
import { GetTelemetrySubscriptionsRequestSchema, GetTelemetrySubscriptionsResponseSchema } from './messages/71-get-telemetry-subscriptions.js';
import { PushTelemetryRequestSchema, PushTelemetryResponseSchema } from './messages/72-push-telemetry.js';
import { ListClientMetricsResourcesRequestSchema, ListClientMetricsResourcesResponseSchema } from './messages/74-list-client-metrics-resources.js';
import { DescribeProducersRequestSchema, DescribeProducersResponseSchema } from './messages/61-describe-producers.js';
import { DescribeTransactionsRequestSchema, DescribeTransactionsResponseSchema } from './messages/65-describe-transactions.js';
import { ListTransactionsRequestSchema, ListTransactionsResponseSchema } from './messages/66-list-transactions.js';
import { ConsumerGroupHeartbeatRequestSchema, ConsumerGroupHeartbeatResponseSchema } from './messages/68-consumer-group-heartbeat.js';
import { ConsumerGroupDescribeRequestSchema, ConsumerGroupDescribeResponseSchema } from './messages/69-consumer-group-describe.js';
import { ShareGroupHeartbeatRequestSchema, ShareGroupHeartbeatResponseSchema } from './messages/76-share-group-heartbeat.js';
import { ShareGroupDescribeRequestSchema, ShareGroupDescribeResponseSchema } from './messages/77-share-group-describe.js';
import { ShareFetchRequestSchema, ShareFetchResponseSchema } from './messages/78-share-fetch.js';
import { ShareAcknowledgeRequestSchema, ShareAcknowledgeResponseSchema } from './messages/79-share-acknowledge.js';
import { InitializeShareGroupStateRequestSchema, InitializeShareGroupStateResponseSchema } from './messages/83-initialize-share-group-state.js';
import { ReadShareGroupStateRequestSchema, ReadShareGroupStateResponseSchema } from './messages/84-read-share-group-state.js';
import { WriteShareGroupStateRequestSchema, WriteShareGroupStateResponseSchema } from './messages/85-write-share-group-state.js';
import { DeleteShareGroupStateRequestSchema, DeleteShareGroupStateResponseSchema } from './messages/86-delete-share-group-state.js';
import { ReadShareGroupStateSummaryRequestSchema, ReadShareGroupStateSummaryResponseSchema } from './messages/87-read-share-group-state-summary.js';
import { DescribeShareGroupOffsetsRequestSchema, DescribeShareGroupOffsetsResponseSchema } from './messages/90-describe-share-group-offsets.js';
import { AlterShareGroupOffsetsRequestSchema, AlterShareGroupOffsetsResponseSchema } from './messages/91-alter-share-group-offsets.js';
import { DeleteShareGroupOffsetsRequestSchema, DeleteShareGroupOffsetsResponseSchema } from './messages/92-delete-share-group-offsets.js';

export interface ApiSchemas {
  name: string;
  request: MessageSchema;
  response: MessageSchema;
}

export const API_SCHEMAS: ReadonlyMap<number, ApiSchemas> = new Map<number, ApiSchemas>([
  [0, { name: 'Produce', request: ProduceRequestSchema, response: ProduceResponseSchema }],
  [1, { name: 'Fetch', request: FetchRequestSchema, response: FetchResponseSchema }],
  [2, { name: 'ListOffsets', request: ListOffsetsRequestSchema, response: ListOffsetsResponseSchema }],
  [3, { name: 'Metadata', request: MetadataRequestSchema, response: MetadataResponseSchema }],
  [8, { name: 'OffsetCommit', request: OffsetCommitRequestSchema, response: OffsetCommitResponseSchema }],
  [9, { name: 'OffsetFetch', request: OffsetFetchRequestSchema, response: OffsetFetchResponseSchema }],
  [10, { name: 'FindCoordinator', request: FindCoordinatorRequestSchema, response: FindCoordinatorResponseSchema }],
  [11, { name: 'JoinGroup', request: JoinGroupRequestSchema, response: JoinGroupResponseSchema }],
  [12, { name: 'Heartbeat', request: HeartbeatRequestSchema, response: HeartbeatResponseSchema }],
  [13, { name: 'LeaveGroup', request: LeaveGroupRequestSchema, response: LeaveGroupResponseSchema }],
  [14, { name: 'SyncGroup', request: SyncGroupRequestSchema, response: SyncGroupResponseSchema }],
  [15, { name: 'DescribeGroups', request: DescribeGroupsRequestSchema, response: DescribeGroupsResponseSchema }],
  [16, { name: 'ListGroups', request: ListGroupsRequestSchema, response: ListGroupsResponseSchema }],
  [17, { name: 'SaslHandshake', request: SaslHandshakeRequestSchema, response: SaslHandshakeResponseSchema }],
  [18, { name: 'ApiVersions', request: ApiVersionsRequestSchema, response: ApiVersionsResponseSchema }],
  [19, { name: 'CreateTopics', request: CreateTopicsRequestSchema, response: CreateTopicsResponseSchema }],
  [20, { name: 'DeleteTopics', request: DeleteTopicsRequestSchema, response: DeleteTopicsResponseSchema }],
  [21, { name: 'DeleteRecords', request: DeleteRecordsRequestSchema, response: DeleteRecordsResponseSchema }],
  [22, { name: 'InitProducerId', request: InitProducerIdRequestSchema, response: InitProducerIdResponseSchema }],
  [23, { name: 'OffsetForLeaderEpoch', request: OffsetForLeaderEpochRequestSchema, response: OffsetForLeaderEpochResponseSchema }],
  [24, { name: 'AddPartitionsToTxn', request: AddPartitionsToTxnRequestSchema, response: AddPartitionsToTxnResponseSchema }],
  [25, { name: 'AddOffsetsToTxn', request: AddOffsetsToTxnRequestSchema, response: AddOffsetsToTxnResponseSchema }],
  [26, { name: 'EndTxn', request: EndTxnRequestSchema, response: EndTxnResponseSchema }],
  [27, { name: 'WriteTxnMarkers', request: WriteTxnMarkersRequestSchema, response: WriteTxnMarkersResponseSchema }],
  [28, { name: 'TxnOffsetCommit', request: TxnOffsetCommitRequestSchema, response: TxnOffsetCommitResponseSchema }],
  [29, { name: 'DescribeAcls', request: DescribeAclsRequestSchema, response: DescribeAclsResponseSchema }],
  [30, { name: 'CreateAcls', request: CreateAclsRequestSchema, response: CreateAclsResponseSchema }],
  [31, { name: 'DeleteAcls', request: DeleteAclsRequestSchema, response: DeleteAclsResponseSchema }],
  [32, { name: 'DescribeConfigs', request: DescribeConfigsRequestSchema, response: DescribeConfigsResponseSchema }],
  [33, { name: 'AlterConfigs', request: AlterConfigsRequestSchema, response: AlterConfigsResponseSchema }],
  [35, { name: 'DescribeLogDirs', request: DescribeLogDirsRequestSchema, response: DescribeLogDirsResponseSchema }],
  [36, { name: 'SaslAuthenticate', request: SaslAuthenticateRequestSchema, response: SaslAuthenticateResponseSchema }],
  [37, { name: 'CreatePartitions', request: CreatePartitionsRequestSchema, response: CreatePartitionsResponseSchema }],
  [42, { name: 'DeleteGroups', request: DeleteGroupsRequestSchema, response: DeleteGroupsResponseSchema }],
  [43, { name: 'ElectLeaders', request: ElectLeadersRequestSchema, response: ElectLeadersResponseSchema }],
  [44, { name: 'IncrementalAlterConfigs', request: IncrementalAlterConfigsRequestSchema, response: IncrementalAlterConfigsResponseSchema }],
  [45, { name: 'AlterPartitionReassignments', request: AlterPartitionReassignmentsRequestSchema, response: AlterPartitionReassignmentsResponseSchema }],
  [46, { name: 'ListPartitionReassignments', request: ListPartitionReassignmentsRequestSchema, response: ListPartitionReassignmentsResponseSchema }],
  [47, { name: 'OffsetDelete', request: OffsetDeleteRequestSchema, response: OffsetDeleteResponseSchema }],
  [48, { name: 'DescribeClientQuotas', request: DescribeClientQuotasRequestSchema, response: DescribeClientQuotasResponseSchema }],
  [49, { name: 'AlterClientQuotas', request: AlterClientQuotasRequestSchema, response: AlterClientQuotasResponseSchema }],
  [50, { name: 'DescribeUserScramCredentials', request: DescribeUserScramCredentialsRequestSchema, response: DescribeUserScramCredentialsResponseSchema }],
  [51, { name: 'AlterUserScramCredentials', request: AlterUserScramCredentialsRequestSchema, response: AlterUserScramCredentialsResponseSchema }],
  [57, { name: 'UpdateFeatures', request: UpdateFeaturesRequestSchema, response: UpdateFeaturesResponseSchema }],
  [60, { name: 'DescribeCluster', request: DescribeClusterRequestSchema, response: DescribeClusterResponseSchema }],
  [61, { name: 'DescribeProducers', request: DescribeProducersRequestSchema, response: DescribeProducersResponseSchema }],
  [65, { name: 'DescribeTransactions', request: DescribeTransactionsRequestSchema, response: DescribeTransactionsResponseSchema }],
  [66, { name: 'ListTransactions', request: ListTransactionsRequestSchema, response: ListTransactionsResponseSchema }],
  [68, { name: 'ConsumerGroupHeartbeat', request: ConsumerGroupHeartbeatRequestSchema, response: ConsumerGroupHeartbeatResponseSchema }],
  [69, { name: 'ConsumerGroupDescribe', request: ConsumerGroupDescribeRequestSchema, response: ConsumerGroupDescribeResponseSchema }],
  [71, { name: 'GetTelemetrySubscriptions', request: GetTelemetrySubscriptionsRequestSchema, response: GetTelemetrySubscriptionsResponseSchema }],
  [72, { name: 'PushTelemetry', request: PushTelemetryRequestSchema, response: PushTelemetryResponseSchema }],
  [74, { name: 'ListClientMetricsResources', request: ListClientMetricsResourcesRequestSchema, response: ListClientMetricsResourcesResponseSchema }],
  [76, { name: 'ShareGroupHeartbeat', request: ShareGroupHeartbeatRequestSchema, response: ShareGroupHeartbeatResponseSchema }],
  [77, { name: 'ShareGroupDescribe', request: ShareGroupDescribeRequestSchema, response: ShareGroupDescribeResponseSchema }],
  [78, { name: 'ShareFetch', request: ShareFetchRequestSchema, response: ShareFetchResponseSchema }],
  [79, { name: 'ShareAcknowledge', request: ShareAcknowledgeRequestSchema, response: ShareAcknowledgeResponseSchema }],
  [83, { name: 'InitializeShareGroupState', request: InitializeShareGroupStateRequestSchema, response: InitializeShareGroupStateResponseSchema }],
  [84, { name: 'ReadShareGroupState', request: ReadShareGroupStateRequestSchema, response: ReadShareGroupStateResponseSchema }],
  [85, { name: 'WriteShareGroupState', request: WriteShareGroupStateRequestSchema, response: WriteShareGroupStateResponseSchema }],
  [86, { name: 'DeleteShareGroupState', request: DeleteShareGroupStateRequestSchema, response: DeleteShareGroupStateResponseSchema }],
  [87, { name: 'ReadShareGroupStateSummary', request: ReadShareGroupStateSummaryRequestSchema, response: ReadShareGroupStateSummaryResponseSchema }],
  [90, { name: 'DescribeShareGroupOffsets', request: DescribeShareGroupOffsetsRequestSchema, response: DescribeShareGroupOffsetsResponseSchema }],
  [91, { name: 'AlterShareGroupOffsets', request: AlterShareGroupOffsetsRequestSchema, response: AlterShareGroupOffsetsResponseSchema }],
  [92, { name: 'DeleteShareGroupOffsets', request: DeleteShareGroupOffsetsRequestSchema, response: DeleteShareGroupOffsetsResponseSchema }],
]);

export function apiName(apiKey: number): string {
  return API_SCHEMAS.get(apiKey)?.name ?? `ApiKey${apiKey}`;
}
