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
import { createPartitionsHandler } from '../handlers/37-create-partitions.js'
import { electLeadersHandler } from '../handlers/43-elect-leaders.js'
import { describeClusterHandler } from '../handlers/60-describe-cluster.js'
import { describeProducersHandler } from '../handlers/61-describe-producers.js'
import type { Handler } from '../handlers/handler.js'
import type { FetchSessionCache } from '../services/replica/fetch-session.js'
import type { Broker } from './broker.js'

export function createHandlers(b: Broker, sessions: FetchSessionCache): Handler[] {
  const isController = (): boolean => b.controller.isActive
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
    createPartitionsHandler({ topicAdmin: b.topicAdmin, isController }),
    electLeadersHandler({ controller: b.controller }),
    describeClusterHandler({ cache: b.cache }),
    describeProducersHandler({ replicas: b.replicas }),
  ]
  handlers.push(apiVersionsHandler(() => b.dispatcher.handlers))
  return handlers
}
