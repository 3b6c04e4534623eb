/** Every request handler of a broker, given the broker's services. */
import { describeTopicConfig } from '../config/topic-config.js'
import { produceHandler } from '../handlers/00-produce.js'
import { fetchHandler } from '../handlers/01-fetch.js'
import { listOffsetsHandler } from '../handlers/02-list-offsets.js'
import { metadataHandler } from '../handlers/03-metadata.js'
import { saslAuthenticateHandler, saslHandshakeHandler } from '../handlers/17-sasl-handshake.js'
import { apiVersionsHandler } from '../handlers/18-api-versions.js'
import { createTopicsHandler } from '../handlers/19-create-topics.js'
import { deleteTopicsHandler } from '../handlers/20-delete-topics.js'
import { deleteRecordsHandler } from '../handlers/21-delete-records.js'
import { initProducerIdHandler } from '../handlers/22-init-producer-id.js'
import { offsetForLeaderEpochHandler } from '../handlers/23-offset-for-leader-epoch.js'
import { aclHandlers } from '../handlers/29-acls.js'
import { describeConfigsHandler } from '../handlers/32-describe-configs.js'
import { alterConfigsHandler, incrementalAlterConfigsHandler } from '../handlers/33-alter-configs.js'
import { describeLogDirsHandler } from '../handlers/35-describe-log-dirs.js'
import { createPartitionsHandler } from '../handlers/37-create-partitions.js'
import { electLeadersHandler } from '../handlers/43-elect-leaders.js'
import { describeClusterHandler } from '../handlers/60-describe-cluster.js'
import { describeProducersHandler } from '../handlers/61-describe-producers.js'
import { controlledShutdownHandler } from '../handlers/07-controlled-shutdown.js'
import { offsetCommitHandler } from '../handlers/08-offset-commit.js'
import { offsetFetchHandler } from '../handlers/09-offset-fetch.js'
import { findCoordinatorHandler } from '../handlers/10-find-coordinator.js'
import { joinGroupHandler } from '../handlers/11-join-group.js'
import { heartbeatHandler } from '../handlers/12-heartbeat.js'
import { leaveGroupHandler } from '../handlers/13-leave-group.js'
import { syncGroupHandler } from '../handlers/14-sync-group.js'
import { describeGroupsHandler } from '../handlers/15-describe-groups.js'
import { listGroupsHandler } from '../handlers/16-list-groups.js'
import { deleteGroupsHandler } from '../handlers/42-delete-groups.js'
import { offsetDeleteHandler } from '../handlers/47-offset-delete.js'
import { consumerGroupHeartbeatHandler } from '../handlers/68-consumer-group-heartbeat.js'
import { consumerGroupDescribeHandler } from '../handlers/69-consumer-group-describe.js'
import type { Handler } from '../handlers/handler.js'
import { MetadataStoreConsumerOffsets } from '../services/group/zk-offsets.js'
import type { FetchSessionCache } from '../services/replica/fetch-session.js'
import type { Broker } from './broker.js'

export function createHandlers(b: Broker, sessions: FetchSessionCache): Handler[] {
  const isController = (): boolean => b.controller.isActive
  // OffsetCommit/OffsetFetch v0 keep offsets in ZooKeeper (/consumers/...), as ZooKeeper-mode Kafka does.
  const zkOffsets = new MetadataStoreConsumerOffsets(b.store)
  const handlers: Handler[] = [
    produceHandler({ replicas: b.replicas, cache: b.cache }),
    fetchHandler({ replicas: b.replicas, cache: b.cache, sessions, fetchMaxBytes: b.config.fetchMaxBytes }),
    listOffsetsHandler({ replicas: b.replicas }),
    metadataHandler({ cache: b.cache, topicAdmin: b.topicAdmin }),
    saslHandshakeHandler(),
    saslAuthenticateHandler(),
    createTopicsHandler({
      topicAdmin: b.topicAdmin,
      isController,
      describeTopicConfigs: (overrides) => describeTopicConfig(overrides, b.config),
    }),
    deleteTopicsHandler({ topicAdmin: b.topicAdmin, cache: b.cache, isController }),
    deleteRecordsHandler({ replicas: b.replicas, cache: b.cache }),
    initProducerIdHandler({ producerIds: b.producerIds, log: b.log }),
    offsetForLeaderEpochHandler({ replicas: b.replicas }),
    ...aclHandlers(),
    describeConfigsHandler({ configs: b.configAdmin }),
    alterConfigsHandler({ configs: b.configAdmin }),
    incrementalAlterConfigsHandler({ configs: b.configAdmin }),
    describeLogDirsHandler({ logManager: b.logManager }),
    createPartitionsHandler({ topicAdmin: b.topicAdmin, isController }),
    electLeadersHandler({ controller: b.controller }),
    describeClusterHandler({ cache: b.cache }),
    describeProducersHandler({ replicas: b.replicas }),
    controlledShutdownHandler({ controller: b.controller }),
    offsetCommitHandler({ coordinator: b.groups, metadata: b.cache, zkOffsets }),
    offsetFetchHandler({ coordinator: b.groups, metadata: b.cache, zkOffsets }),
    findCoordinatorHandler({ cache: b.cache, topicAdmin: b.topicAdmin, groups: b.groups }),
    joinGroupHandler(b.groups),
    heartbeatHandler(b.groups),
    leaveGroupHandler(b.groups),
    syncGroupHandler(b.groups),
    describeGroupsHandler(b.groups),
    listGroupsHandler(b.groups),
    deleteGroupsHandler(b.groups),
    offsetDeleteHandler({ coordinator: b.groups, metadata: b.cache }),
    consumerGroupHeartbeatHandler(),
    consumerGroupDescribeHandler(),
  ]
  handlers.push(apiVersionsHandler(() => b.dispatcher.handlers))
  return handlers
}
