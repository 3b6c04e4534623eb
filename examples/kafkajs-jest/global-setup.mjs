// Starts the cluster once for the run; the workers read SAMSA_BOOTSTRAP_SERVERS and SAMSA_CLUSTER_URL.
import { jestGlobalSetup } from 'samsa'

export default async () => {
  await jestGlobalSetup({ brokers: 3, properties: { 'zookeeper.session.timeout.ms': 1500 } })
}
