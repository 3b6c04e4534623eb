/**
 * Every request handler of a broker, built from the broker's services. A new handler is one line here; its
 * factory takes the `Services` slice it uses.
 */
import { produceHandler } from './00-produce.js'
import { fetchHandler } from './01-fetch.js'
import { listOffsetsHandler } from './02-list-offsets.js'
import { metadataHandler } from './03-metadata.js'
import { updateMetadataHandler } from './06-update-metadata.js'
import { controlledShutdownHandler } from './07-controlled-shutdown.js'
import { offsetCommitHandler } from './08-offset-commit.js'
import { offsetFetchHandler } from './09-offset-fetch.js'
import { findCoordinatorHandler } from './10-find-coordinator.js'
import { joinGroupHandler } from './11-join-group.js'
import { heartbeatHandler } from './12-heartbeat.js'
import { leaveGroupHandler } from './13-leave-group.js'
import { syncGroupHandler } from './14-sync-group.js'
import { describeGroupsHandler } from './15-describe-groups.js'
import { listGroupsHandler } from './16-list-groups.js'
import { saslAuthenticateHandler, saslHandshakeHandler } from './17-sasl-handshake.js'
import { apiVersionsHandler } from './18-api-versions.js'
import { createTopicsHandler } from './19-create-topics.js'
import { deleteTopicsHandler } from './20-delete-topics.js'
import { deleteRecordsHandler } from './21-delete-records.js'
import { initProducerIdHandler } from './22-init-producer-id.js'
import { offsetForLeaderEpochHandler } from './23-offset-for-leader-epoch.js'
import { addPartitionsToTxnHandler } from './24-add-partitions-to-txn.js'
import { addOffsetsToTxnHandler } from './25-add-offsets-to-txn.js'
import { endTxnHandler } from './26-end-txn.js'
import { writeTxnMarkersHandler } from './27-write-txn-markers.js'
import { txnOffsetCommitHandler } from './28-txn-offset-commit.js'
import { aclHandlers } from './29-acls.js'
import { describeConfigsHandler } from './32-describe-configs.js'
import { alterConfigsHandler, incrementalAlterConfigsHandler } from './33-alter-configs.js'
import { alterReplicaLogDirsHandler } from './34-alter-replica-log-dirs.js'
import { describeLogDirsHandler } from './35-describe-log-dirs.js'
import { createPartitionsHandler } from './37-create-partitions.js'
import { deleteGroupsHandler } from './42-delete-groups.js'
import { electLeadersHandler } from './43-elect-leaders.js'
import { alterPartitionReassignmentsHandler } from './45-alter-partition-reassignments.js'
import { listPartitionReassignmentsHandler } from './46-list-partition-reassignments.js'
import { offsetDeleteHandler } from './47-offset-delete.js'
import { alterClientQuotasHandler, describeClientQuotasHandler } from './48-client-quotas.js'
import { describeUserScramCredentialsHandler } from './50-describe-user-scram-credentials.js'
import { alterUserScramCredentialsHandler } from './51-alter-user-scram-credentials.js'
import { describeClusterHandler } from './60-describe-cluster.js'
import { describeProducersHandler } from './61-describe-producers.js'
import { describeTransactionsHandler } from './65-describe-transactions.js'
import { listTransactionsHandler } from './66-list-transactions.js'
import { consumerGroupHeartbeatHandler } from './68-consumer-group-heartbeat.js'
import { consumerGroupDescribeHandler } from './69-consumer-group-describe.js'
import type { Handler } from './handler.js'
import type { Services } from '../services/services.js'

export function createHandlers(s: Services): Handler[] {
  const handlers: Handler[] = [
    produceHandler(s),
    fetchHandler(s),
    listOffsetsHandler(s),
    metadataHandler(s),
    updateMetadataHandler(s),
    controlledShutdownHandler(s),
    offsetCommitHandler(s),
    offsetFetchHandler(s),
    findCoordinatorHandler(s),
    joinGroupHandler(s),
    heartbeatHandler(s),
    leaveGroupHandler(s),
    syncGroupHandler(s),
    describeGroupsHandler(s),
    listGroupsHandler(s),
    saslHandshakeHandler(),
    createTopicsHandler(s),
    deleteTopicsHandler(s),
    deleteRecordsHandler(s),
    initProducerIdHandler(s),
    offsetForLeaderEpochHandler(s),
    addPartitionsToTxnHandler(s),
    addOffsetsToTxnHandler(s),
    endTxnHandler(s),
    writeTxnMarkersHandler(s),
    txnOffsetCommitHandler(s),
    ...aclHandlers(s),
    describeConfigsHandler(s),
    alterConfigsHandler(s),
    alterReplicaLogDirsHandler(s),
    describeLogDirsHandler(s),
    saslAuthenticateHandler(),
    createPartitionsHandler(s),
    deleteGroupsHandler(s),
    electLeadersHandler(s),
    alterPartitionReassignmentsHandler(s),
    listPartitionReassignmentsHandler(s),
    incrementalAlterConfigsHandler(s),
    offsetDeleteHandler(s),
    describeClientQuotasHandler(s),
    alterClientQuotasHandler(s),
    describeUserScramCredentialsHandler(s),
    alterUserScramCredentialsHandler(s),
    describeClusterHandler(s),
    describeProducersHandler(s),
    describeTransactionsHandler(s),
    listTransactionsHandler(s),
    consumerGroupHeartbeatHandler(s),
    consumerGroupDescribeHandler(s),
  ]
  handlers.push(apiVersionsHandler(() => handlers))
  return handlers
}
