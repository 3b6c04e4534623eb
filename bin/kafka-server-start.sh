#!/usr/bin/env bash
# Starts a Samsa broker, like Apache Kafka's script of the same name:
#   bin/kafka-server-start.sh [-daemon] server.properties [--override property=value]*
set -euo pipefail
base_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [[ $# -lt 1 ]]; then
  echo "USAGE: $0 [-daemon] server.properties [--override property=value]*" >&2
  exit 1
fi

daemon=false
if [[ "$1" == "-daemon" ]]; then
  daemon=true
  shift
fi

if [[ ! -f "$base_dir/dist/cli.js" ]]; then
  echo "Samsa is not built yet; running npm run build in $base_dir" >&2
  (cd "$base_dir" && npm run build --silent)
fi

if [[ "$daemon" == true ]]; then
  log_dir=${LOG_DIR:-"$base_dir/logs"}
  mkdir -p "$log_dir"
  nohup node "$base_dir/dist/cli.js" "$@" >"$log_dir/kafkaServer.out" 2>&1 </dev/null &
  exit 0
fi
exec node "$base_dir/dist/cli.js" "$@"
