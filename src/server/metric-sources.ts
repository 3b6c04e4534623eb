/**
 * What the scrape-time gauges of the broker's metrics read: the replica manager's partitions, the logs, the
 * controller's view of the cluster, the socket server's connections and the group coordinator's committed offsets.
 * Computed on demand (one pass over the partitions per scrape); nothing here runs on the request path.
 */
import type {
  ControllerStats,
  GroupStats,
  LedPartition,
  LogStats,
  MetricSources,
  ReplicaStats,
} from '../services/metrics/broker-metrics.js'
import type { Services } from '../services/services.js'

export interface BrokerSideSources {
  /** The effective min.insync.replicas of a topic. */
  minInsyncReplicas(topic: string): number
  /** Open connections by listener name. */
  connections(): ReadonlyMap<string, number>
}

export function metricSources(
  s: Pick<Services, 'replicas' | 'logManager' | 'cache' | 'controller' | 'groups'>,
  broker: BrokerSideSources,
): MetricSources {
  return {
    replicas(): ReplicaStats {
      let partitions = 0
      let leaders = 0
      let underReplicated = 0
      let underMinIsr = 0
      let atMinIsr = 0
      let offlineReplicas = 0
      const minIsrOf = new Map<string, number>()
      for (const p of s.replicas.hostedPartitions.values()) {
        partitions++
        if (!p.log) offlineReplicas++
        if (!p.isLeader) continue
        leaders++
        if (p.isr.length < p.replicas.length) underReplicated++
        let minIsr = minIsrOf.get(p.topic)
        if (minIsr === undefined) {
          minIsr = broker.minInsyncReplicas(p.topic)
          minIsrOf.set(p.topic, minIsr)
        }
        if (p.isr.length < minIsr) underMinIsr++
        else if (p.isr.length === minIsr) atMinIsr++
      }
      return { partitions, leaders, underReplicated, underMinIsr, atMinIsr, offlineReplicas }
    },

    replicationByteRates: () => s.replicas.replicationByteRates(),

    controller(): ControllerStats {
      const brokers = s.cache.brokers.size
      if (!s.controller.isActive)
        return {
          active: false,
          offlinePartitions: 0,
          topics: 0,
          partitions: 0,
          preferredReplicaImbalance: 0,
          brokers,
        }
      let partitions = 0
      let offlinePartitions = 0
      let preferredReplicaImbalance = 0
      for (const t of s.cache.topics.values()) {
        for (const p of t.partitions.values()) {
          partitions++
          const leader = p.state?.leader ?? -1
          if (leader < 0 || !s.cache.isAlive(leader)) offlinePartitions++
          if (p.replicas.length > 0 && leader !== p.replicas[0]) preferredReplicaImbalance++
        }
      }
      return {
        active: true,
        offlinePartitions,
        topics: s.cache.topics.size,
        partitions,
        preferredReplicaImbalance,
        brokers,
      }
    },

    *logs(): Iterable<LogStats> {
      for (const l of s.logManager.allLogs())
        yield {
          topic: l.topic,
          partition: l.partition,
          size: l.size,
          logStartOffset: l.logStartOffset,
          logEndOffset: l.logEndOffset,
          segments: l.numberOfSegments,
        }
    },

    *ledPartitions(): Iterable<LedPartition> {
      for (const p of s.replicas.hostedPartitions.values()) {
        if (!p.isLeader || !p.log) continue
        yield {
          topic: p.topic,
          partition: p.partition,
          oldestOffset: p.log.logStartOffset,
          currentOffset: p.log.highWatermark,
        }
      }
    },

    *topicPartitionCounts() {
      for (const t of s.cache.topics.values()) yield { topic: t.name, partitions: t.partitions.size }
    },

    *connections() {
      for (const [listener, count] of broker.connections()) yield { listener, count }
    },

    *groups(): Iterable<GroupStats> {
      for (const g of s.groups.allGroups()) {
        const offsets = g.allOffsets.map((o) => ({
          topic: o.topic,
          partition: o.partition,
          offset: o.offsetAndMetadata.offset,
          endOffset: s.replicas.getPartition(o.topic, o.partition)?.log?.highWatermark,
        }))
        yield { group: g.groupId, members: g.size, offsets }
      }
    },
  }
}
