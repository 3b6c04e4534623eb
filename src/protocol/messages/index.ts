/** Every API declared in this folder: its key, name and request/response schemas, typed. */
import { api, type ApiDef } from '../api.js'
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

export const Apis = {
  Produce: api(0, 'Produce', ProduceRequest, ProduceResponse),
  Fetch: api(1, 'Fetch', FetchRequest, FetchResponse),
  ListOffsets: api(2, 'ListOffsets', ListOffsetsRequest, ListOffsetsResponse),
  Metadata: api(3, 'Metadata', MetadataRequest, MetadataResponse),
  LeaderAndIsr: api(4, 'LeaderAndIsr', LeaderAndIsrRequest, LeaderAndIsrResponse),
  StopReplica: api(5, 'StopReplica', StopReplicaRequest, StopReplicaResponse),
  UpdateMetadata: api(6, 'UpdateMetadata', UpdateMetadataRequest, UpdateMetadataResponse),
  ControlledShutdown: api(7, 'ControlledShutdown', ControlledShutdownRequest, ControlledShutdownResponse),
  OffsetCommit: api(8, 'OffsetCommit', OffsetCommitRequest, OffsetCommitResponse),
  OffsetFetch: api(9, 'OffsetFetch', OffsetFetchRequest, OffsetFetchResponse),
  FindCoordinator: api(10, 'FindCoordinator', FindCoordinatorRequest, FindCoordinatorResponse),
  JoinGroup: api(11, 'JoinGroup', JoinGroupRequest, JoinGroupResponse),
  Heartbeat: api(12, 'Heartbeat', HeartbeatRequest, HeartbeatResponse),
  LeaveGroup: api(13, 'LeaveGroup', LeaveGroupRequest, LeaveGroupResponse),
  SyncGroup: api(14, 'SyncGroup', SyncGroupRequest, SyncGroupResponse),
  DescribeGroups: api(15, 'DescribeGroups', DescribeGroupsRequest, DescribeGroupsResponse),
  ListGroups: api(16, 'ListGroups', ListGroupsRequest, ListGroupsResponse),
  SaslHandshake: api(17, 'SaslHandshake', SaslHandshakeRequest, SaslHandshakeResponse),
  ApiVersions: api(18, 'ApiVersions', ApiVersionsRequest, ApiVersionsResponse),
  CreateTopics: api(19, 'CreateTopics', CreateTopicsRequest, CreateTopicsResponse),
  DeleteTopics: api(20, 'DeleteTopics', DeleteTopicsRequest, DeleteTopicsResponse),
  DeleteRecords: api(21, 'DeleteRecords', DeleteRecordsRequest, DeleteRecordsResponse),
  InitProducerId: api(22, 'InitProducerId', InitProducerIdRequest, InitProducerIdResponse),
  OffsetForLeaderEpoch: api(
    23,
    'OffsetForLeaderEpoch',
    OffsetForLeaderEpochRequest,
    OffsetForLeaderEpochResponse,
  ),
  AddPartitionsToTxn: api(24, 'AddPartitionsToTxn', AddPartitionsToTxnRequest, AddPartitionsToTxnResponse),
  AddOffsetsToTxn: api(25, 'AddOffsetsToTxn', AddOffsetsToTxnRequest, AddOffsetsToTxnResponse),
  EndTxn: api(26, 'EndTxn', EndTxnRequest, EndTxnResponse),
  WriteTxnMarkers: api(27, 'WriteTxnMarkers', WriteTxnMarkersRequest, WriteTxnMarkersResponse),
  TxnOffsetCommit: api(28, 'TxnOffsetCommit', TxnOffsetCommitRequest, TxnOffsetCommitResponse),
  DescribeAcls: api(29, 'DescribeAcls', DescribeAclsRequest, DescribeAclsResponse),
  CreateAcls: api(30, 'CreateAcls', CreateAclsRequest, CreateAclsResponse),
  DeleteAcls: api(31, 'DeleteAcls', DeleteAclsRequest, DeleteAclsResponse),
  DescribeConfigs: api(32, 'DescribeConfigs', DescribeConfigsRequest, DescribeConfigsResponse),
  AlterConfigs: api(33, 'AlterConfigs', AlterConfigsRequest, AlterConfigsResponse),
  AlterReplicaLogDirs: api(
    34,
    'AlterReplicaLogDirs',
    AlterReplicaLogDirsRequest,
    AlterReplicaLogDirsResponse,
  ),
  DescribeLogDirs: api(35, 'DescribeLogDirs', DescribeLogDirsRequest, DescribeLogDirsResponse),
  SaslAuthenticate: api(36, 'SaslAuthenticate', SaslAuthenticateRequest, SaslAuthenticateResponse),
  CreatePartitions: api(37, 'CreatePartitions', CreatePartitionsRequest, CreatePartitionsResponse),
  CreateDelegationToken: api(
    38,
    'CreateDelegationToken',
    CreateDelegationTokenRequest,
    CreateDelegationTokenResponse,
  ),
  RenewDelegationToken: api(
    39,
    'RenewDelegationToken',
    RenewDelegationTokenRequest,
    RenewDelegationTokenResponse,
  ),
  ExpireDelegationToken: api(
    40,
    'ExpireDelegationToken',
    ExpireDelegationTokenRequest,
    ExpireDelegationTokenResponse,
  ),
  DescribeDelegationToken: api(
    41,
    'DescribeDelegationToken',
    DescribeDelegationTokenRequest,
    DescribeDelegationTokenResponse,
  ),
  DeleteGroups: api(42, 'DeleteGroups', DeleteGroupsRequest, DeleteGroupsResponse),
  ElectLeaders: api(43, 'ElectLeaders', ElectLeadersRequest, ElectLeadersResponse),
  IncrementalAlterConfigs: api(
    44,
    'IncrementalAlterConfigs',
    IncrementalAlterConfigsRequest,
    IncrementalAlterConfigsResponse,
  ),
  AlterPartitionReassignments: api(
    45,
    'AlterPartitionReassignments',
    AlterPartitionReassignmentsRequest,
    AlterPartitionReassignmentsResponse,
  ),
  ListPartitionReassignments: api(
    46,
    'ListPartitionReassignments',
    ListPartitionReassignmentsRequest,
    ListPartitionReassignmentsResponse,
  ),
  OffsetDelete: api(47, 'OffsetDelete', OffsetDeleteRequest, OffsetDeleteResponse),
  DescribeClientQuotas: api(
    48,
    'DescribeClientQuotas',
    DescribeClientQuotasRequest,
    DescribeClientQuotasResponse,
  ),
  AlterClientQuotas: api(49, 'AlterClientQuotas', AlterClientQuotasRequest, AlterClientQuotasResponse),
  DescribeUserScramCredentials: api(
    50,
    'DescribeUserScramCredentials',
    DescribeUserScramCredentialsRequest,
    DescribeUserScramCredentialsResponse,
  ),
  AlterUserScramCredentials: api(
    51,
    'AlterUserScramCredentials',
    AlterUserScramCredentialsRequest,
    AlterUserScramCredentialsResponse,
  ),
  AlterPartition: api(56, 'AlterPartition', AlterPartitionRequest, AlterPartitionResponse),
  UpdateFeatures: api(57, 'UpdateFeatures', UpdateFeaturesRequest, UpdateFeaturesResponse),
  Envelope: api(58, 'Envelope', EnvelopeRequest, EnvelopeResponse),
  DescribeCluster: api(60, 'DescribeCluster', DescribeClusterRequest, DescribeClusterResponse),
  DescribeProducers: api(61, 'DescribeProducers', DescribeProducersRequest, DescribeProducersResponse),
  DescribeTransactions: api(
    65,
    'DescribeTransactions',
    DescribeTransactionsRequest,
    DescribeTransactionsResponse,
  ),
  ListTransactions: api(66, 'ListTransactions', ListTransactionsRequest, ListTransactionsResponse),
  AllocateProducerIds: api(
    67,
    'AllocateProducerIds',
    AllocateProducerIdsRequest,
    AllocateProducerIdsResponse,
  ),
  ConsumerGroupHeartbeat: api(
    68,
    'ConsumerGroupHeartbeat',
    ConsumerGroupHeartbeatRequest,
    ConsumerGroupHeartbeatResponse,
  ),
  ConsumerGroupDescribe: api(
    69,
    'ConsumerGroupDescribe',
    ConsumerGroupDescribeRequest,
    ConsumerGroupDescribeResponse,
  ),
} as const

export const ALL_APIS: readonly ApiDef<unknown, unknown>[] = Object.values(Apis) as ApiDef<unknown, unknown>[]
