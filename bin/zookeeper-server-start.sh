#!/usr/bin/env bash
# Runs ZooKeeper from the system's installation, like Apache Kafka's script of the same name:
#   bin/zookeeper-server-start.sh [-daemon] config/zookeeper.properties
# ZooKeeper comes from the OS (Debian/Ubuntu: apt-get install zookeeper). ZOOKEEPER_CLASSPATH overrides where
# its jars are found (default: /etc/zookeeper/conf:/usr/share/java/*, Debian's layout).
set -euo pipefail
base_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ $# -lt 1 ]]; then
  echo "USAGE: $0 [-daemon] zookeeper.properties" >&2
  exit 1
fi
daemon=false
if [[ "$1" == "-daemon" ]]; then
  daemon=true
  shift
fi
classpath=${ZOOKEEPER_CLASSPATH:-"/etc/zookeeper/conf:/usr/share/java/*"}
if ! ls /usr/share/java/zookeeper*.jar >/dev/null 2>&1 && [[ -z "${ZOOKEEPER_CLASSPATH:-}" ]]; then
  echo "ZooKeeper is not installed: on Debian/Ubuntu run 'apt-get install zookeeper' (or set ZOOKEEPER_CLASSPATH)" >&2
  exit 1
fi
if ! command -v java >/dev/null; then
  echo "java is not on the PATH (ZooKeeper needs a JRE, e.g. apt-get install default-jre-headless)" >&2
  exit 1
fi
heap=${KAFKA_HEAP_OPTS:-"-Xmx512M -Xms512M"}
cmd=(java $heap -cp "$classpath" org.apache.zookeeper.server.quorum.QuorumPeerMain "$1")
if [[ "$daemon" == true ]]; then
  log_dir=${LOG_DIR:-"$base_dir/logs"}
  mkdir -p "$log_dir"
  nohup "${cmd[@]}" >"$log_dir/zookeeper.out" 2>&1 </dev/null &
  exit 0
fi
exec "${cmd[@]}"
