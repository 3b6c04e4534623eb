/** Every API schema pair declared in this folder, by key (used by tests and tooling; handlers import directly). */
import type { MessageSchema } from '../codec/schema.js'
import { ProduceRequest, ProduceResponse } from './00-produce.js'
import { FetchRequest, FetchResponse } from './01-fetch.js'
import { ListOffsetsRequest, ListOffsetsResponse } from './02-list-offsets.js'
import { MetadataRequest, MetadataResponse } from './03-metadata.js'
import { LeaderAndIsrRequest, LeaderAndIsrResponse } from './04-leader-and-isr.js'
import { StopReplicaRequest, StopReplicaResponse } from './05-stop-replica.js'
import { UpdateMetadataRequest, UpdateMetadataResponse } from './06-update-metadata.js'
import { ControlledShutdownRequest, ControlledShutdownResponse } from './07-controlled-shutdown.js'
import { OffsetCommitRequest, OffsetCommitResponse } from './08-offset-commit.js'
import { OffsetFetchRequest, OffsetFetchResponse } from './09-offset-fetch.js'
import { FindCoordinatorRequest, FindCoordinatorResponse } from './10-find-coordinator.js'
import { JoinGroupRequest, JoinGroupResponse } from './11-join-group.js'
import { HeartbeatRequest, HeartbeatResponse } from './12-heartbeat.js'
import { LeaveGroupRequest, LeaveGroupResponse } from './13-leave-group.js'
import { SyncGroupRequest, SyncGroupResponse } from './14-sync-group.js'
import { DescribeGroupsRequest, DescribeGroupsResponse } from './15-describe-groups.js'
import { ListGroupsRequest, ListGroupsResponse } from './16-list-groups.js'
import { SaslHandshakeRequest, SaslHandshakeResponse } from './17-sasl-handshake.js'
import { ApiVersionsRequest, ApiVersionsResponse } from './18-api-versions.js'
import { CreateTopicsRequest, CreateTopicsResponse } from './19-create-topics.js'
import { DeleteTopicsRequest, DeleteTopicsResponse } from './20-delete-topics.js'
import { DeleteRecordsRequest, DeleteRecordsResponse } from './21-delete-records.js'
import { InitProducerIdRequest, InitProducerIdResponse } from './22-init-producer-id.js'
import { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse } from './23-offset-for-leader-epoch.js'
import { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from './24-add-partitions-to-txn.js'
import { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from './25-add-offsets-to-txn.js'
import { EndTxnRequest, EndTxnResponse } from './26-end-txn.js'
import { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from './27-write-txn-markers.js'
import { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from './28-txn-offset-commit.js'
import { DescribeAclsRequest, DescribeAclsResponse } from './29-describe-acls.js'
import { CreateAclsRequest, CreateAclsResponse } from './30-create-acls.js'
import { DeleteAclsRequest, DeleteAclsResponse } from './31-delete-acls.js'
import { DescribeConfigsRequest, DescribeConfigsResponse } from './32-describe-configs.js'
import { AlterConfigsRequest, AlterConfigsResponse } from './33-alter-configs.js'
import { AlterReplicaLogDirsRequest, AlterReplicaLogDirsResponse } from './34-alter-replica-log-dirs.js'
import { DescribeLogDirsRequest, DescribeLogDirsResponse } from './35-describe-log-dirs.js'
import { SaslAuthenticateRequest, SaslAuthenticateResponse } from './36-sasl-authenticate.js'
import { CreatePartitionsRequest, CreatePartitionsResponse } from './37-create-partitions.js'
import { CreateDelegationTokenRequest, CreateDelegationTokenResponse } from './38-create-delegation-token.js'
import { RenewDelegationTokenRequest, RenewDelegationTokenResponse } from './39-renew-delegation-token.js'
import { ExpireDelegationTokenRequest, ExpireDelegationTokenResponse } from './40-expire-delegation-token.js'
import {
  DescribeDelegationTokenRequest,
  DescribeDelegationTokenResponse,
} from './41-describe-delegation-token.js'
import { DeleteGroupsRequest, DeleteGroupsResponse } from './42-delete-groups.js'
import { ElectLeadersRequest, ElectLeadersResponse } from './43-elect-leaders.js'
import {
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse,
} from './44-incremental-alter-configs.js'
import {
  AlterPartitionReassignmentsRequest,
  AlterPartitionReassignmentsResponse,
} from './45-alter-partition-reassignments.js'
import {
  ListPartitionReassignmentsRequest,
  ListPartitionReassignmentsResponse,
} from './46-list-partition-reassignments.js'
import { OffsetDeleteRequest, OffsetDeleteResponse } from './47-offset-delete.js'
import { DescribeClientQuotasRequest, DescribeClientQuotasResponse } from './48-describe-client-quotas.js'
import { AlterClientQuotasRequest, AlterClientQuotasResponse } from './49-alter-client-quotas.js'
import {
  DescribeUserScramCredentialsRequest,
  DescribeUserScramCredentialsResponse,
} from './50-describe-user-scram-credentials.js'
import {
  AlterUserScramCredentialsRequest,
  AlterUserScramCredentialsResponse,
} from './51-alter-user-scram-credentials.js'
import { AlterPartitionRequest, AlterPartitionResponse } from './56-alter-partition.js'
import { UpdateFeaturesRequest, UpdateFeaturesResponse } from './57-update-features.js'
import { EnvelopeRequest, EnvelopeResponse } from './58-envelope.js'
import { DescribeClusterRequest, DescribeClusterResponse } from './60-describe-cluster.js'
import { DescribeProducersRequest, DescribeProducersResponse } from './61-describe-producers.js'
import { DescribeTransactionsRequest, DescribeTransactionsResponse } from './65-describe-transactions.js'
import { ListTransactionsRequest, ListTransactionsResponse } from './66-list-transactions.js'
import { AllocateProducerIdsRequest, AllocateProducerIdsResponse } from './67-allocate-producer-ids.js'
import {
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatResponse,
} from './68-consumer-group-heartbeat.js'
import { ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse } from './69-consumer-group-describe.js'

export interface ApiSchemas {
  readonly key: number
  readonly name: string
  readonly request: MessageSchema<unknown>
  readonly response: MessageSchema<unknown>
}

export const ALL_APIS: readonly ApiSchemas[] = [
  { key: 0, name: 'Produce', request: ProduceRequest, response: ProduceResponse },
  { key: 1, name: 'Fetch', request: FetchRequest, response: FetchResponse },
  { key: 2, name: 'ListOffsets', request: ListOffsetsRequest, response: ListOffsetsResponse },
  { key: 3, name: 'Metadata', request: MetadataRequest, response: MetadataResponse },
  { key: 4, name: 'LeaderAndIsr', request: LeaderAndIsrRequest, response: LeaderAndIsrResponse },
  { key: 5, name: 'StopReplica', request: StopReplicaRequest, response: StopReplicaResponse },
  { key: 6, name: 'UpdateMetadata', request: UpdateMetadataRequest, response: UpdateMetadataResponse },
  {
    key: 7,
    name: 'ControlledShutdown',
    request: ControlledShutdownRequest,
    response: ControlledShutdownResponse,
  },
  { key: 8, name: 'OffsetCommit', request: OffsetCommitRequest, response: OffsetCommitResponse },
  { key: 9, name: 'OffsetFetch', request: OffsetFetchRequest, response: OffsetFetchResponse },
  { key: 10, name: 'FindCoordinator', request: FindCoordinatorRequest, response: FindCoordinatorResponse },
  { key: 11, name: 'JoinGroup', request: JoinGroupRequest, response: JoinGroupResponse },
  { key: 12, name: 'Heartbeat', request: HeartbeatRequest, response: HeartbeatResponse },
  { key: 13, name: 'LeaveGroup', request: LeaveGroupRequest, response: LeaveGroupResponse },
  { key: 14, name: 'SyncGroup', request: SyncGroupRequest, response: SyncGroupResponse },
  { key: 15, name: 'DescribeGroups', request: DescribeGroupsRequest, response: DescribeGroupsResponse },
  { key: 16, name: 'ListGroups', request: ListGroupsRequest, response: ListGroupsResponse },
  { key: 17, name: 'SaslHandshake', request: SaslHandshakeRequest, response: SaslHandshakeResponse },
  { key: 18, name: 'ApiVersions', request: ApiVersionsRequest, response: ApiVersionsResponse },
  { key: 19, name: 'CreateTopics', request: CreateTopicsRequest, response: CreateTopicsResponse },
  { key: 20, name: 'DeleteTopics', request: DeleteTopicsRequest, response: DeleteTopicsResponse },
  { key: 21, name: 'DeleteRecords', request: DeleteRecordsRequest, response: DeleteRecordsResponse },
  { key: 22, name: 'InitProducerId', request: InitProducerIdRequest, response: InitProducerIdResponse },
  {
    key: 23,
    name: 'OffsetForLeaderEpoch',
    request: OffsetForLeaderEpochRequest,
    response: OffsetForLeaderEpochResponse,
  },
  {
    key: 24,
    name: 'AddPartitionsToTxn',
    request: AddPartitionsToTxnRequest,
    response: AddPartitionsToTxnResponse,
  },
  { key: 25, name: 'AddOffsetsToTxn', request: AddOffsetsToTxnRequest, response: AddOffsetsToTxnResponse },
  { key: 26, name: 'EndTxn', request: EndTxnRequest, response: EndTxnResponse },
  { key: 27, name: 'WriteTxnMarkers', request: WriteTxnMarkersRequest, response: WriteTxnMarkersResponse },
  { key: 28, name: 'TxnOffsetCommit', request: TxnOffsetCommitRequest, response: TxnOffsetCommitResponse },
  { key: 29, name: 'DescribeAcls', request: DescribeAclsRequest, response: DescribeAclsResponse },
  { key: 30, name: 'CreateAcls', request: CreateAclsRequest, response: CreateAclsResponse },
  { key: 31, name: 'DeleteAcls', request: DeleteAclsRequest, response: DeleteAclsResponse },
  { key: 32, name: 'DescribeConfigs', request: DescribeConfigsRequest, response: DescribeConfigsResponse },
  { key: 33, name: 'AlterConfigs', request: AlterConfigsRequest, response: AlterConfigsResponse },
  {
    key: 34,
    name: 'AlterReplicaLogDirs',
    request: AlterReplicaLogDirsRequest,
    response: AlterReplicaLogDirsResponse,
  },
  { key: 35, name: 'DescribeLogDirs', request: DescribeLogDirsRequest, response: DescribeLogDirsResponse },
  { key: 36, name: 'SaslAuthenticate', request: SaslAuthenticateRequest, response: SaslAuthenticateResponse },
  { key: 37, name: 'CreatePartitions', request: CreatePartitionsRequest, response: CreatePartitionsResponse },
  {
    key: 38,
    name: 'CreateDelegationToken',
    request: CreateDelegationTokenRequest,
    response: CreateDelegationTokenResponse,
  },
  {
    key: 39,
    name: 'RenewDelegationToken',
    request: RenewDelegationTokenRequest,
    response: RenewDelegationTokenResponse,
  },
  {
    key: 40,
    name: 'ExpireDelegationToken',
    request: ExpireDelegationTokenRequest,
    response: ExpireDelegationTokenResponse,
  },
  {
    key: 41,
    name: 'DescribeDelegationToken',
    request: DescribeDelegationTokenRequest,
    response: DescribeDelegationTokenResponse,
  },
  { key: 42, name: 'DeleteGroups', request: DeleteGroupsRequest, response: DeleteGroupsResponse },
  { key: 43, name: 'ElectLeaders', request: ElectLeadersRequest, response: ElectLeadersResponse },
  {
    key: 44,
    name: 'IncrementalAlterConfigs',
    request: IncrementalAlterConfigsRequest,
    response: IncrementalAlterConfigsResponse,
  },
  {
    key: 45,
    name: 'AlterPartitionReassignments',
    request: AlterPartitionReassignmentsRequest,
    response: AlterPartitionReassignmentsResponse,
  },
  {
    key: 46,
    name: 'ListPartitionReassignments',
    request: ListPartitionReassignmentsRequest,
    response: ListPartitionReassignmentsResponse,
  },
  { key: 47, name: 'OffsetDelete', request: OffsetDeleteRequest, response: OffsetDeleteResponse },
  {
    key: 48,
    name: 'DescribeClientQuotas',
    request: DescribeClientQuotasRequest,
    response: DescribeClientQuotasResponse,
  },
  {
    key: 49,
    name: 'AlterClientQuotas',
    request: AlterClientQuotasRequest,
    response: AlterClientQuotasResponse,
  },
  {
    key: 50,
    name: 'DescribeUserScramCredentials',
    request: DescribeUserScramCredentialsRequest,
    response: DescribeUserScramCredentialsResponse,
  },
  {
    key: 51,
    name: 'AlterUserScramCredentials',
    request: AlterUserScramCredentialsRequest,
    response: AlterUserScramCredentialsResponse,
  },
  { key: 56, name: 'AlterPartition', request: AlterPartitionRequest, response: AlterPartitionResponse },
  { key: 57, name: 'UpdateFeatures', request: UpdateFeaturesRequest, response: UpdateFeaturesResponse },
  { key: 58, name: 'Envelope', request: EnvelopeRequest, response: EnvelopeResponse },
  { key: 60, name: 'DescribeCluster', request: DescribeClusterRequest, response: DescribeClusterResponse },
  {
    key: 61,
    name: 'DescribeProducers',
    request: DescribeProducersRequest,
    response: DescribeProducersResponse,
  },
  {
    key: 65,
    name: 'DescribeTransactions',
    request: DescribeTransactionsRequest,
    response: DescribeTransactionsResponse,
  },
  { key: 66, name: 'ListTransactions', request: ListTransactionsRequest, response: ListTransactionsResponse },
  {
    key: 67,
    name: 'AllocateProducerIds',
    request: AllocateProducerIdsRequest,
    response: AllocateProducerIdsResponse,
  },
  {
    key: 68,
    name: 'ConsumerGroupHeartbeat',
    request: ConsumerGroupHeartbeatRequest,
    response: ConsumerGroupHeartbeatResponse,
  },
  {
    key: 69,
    name: 'ConsumerGroupDescribe',
    request: ConsumerGroupDescribeRequest,
    response: ConsumerGroupDescribeResponse,
  },
]
