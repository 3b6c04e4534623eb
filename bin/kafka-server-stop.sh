#!/usr/bin/env bash
# Stops running Samsa brokers with SIGTERM (a clean shutdown), like Apache Kafka's script of the same name.
#   bin/kafka-server-stop.sh [--process-role=broker] [--node-id=N]
signal=TERM
node_id=""
for arg in "$@"; do
  case "$arg" in
    --node-id=*) node_id="${arg#--node-id=}" ;;
  esac
done
pids=$(pgrep -f 'dist/cli\.js' || true)
if [[ -n "$node_id" ]]; then
  pids=$(for p in $pids; do tr '\0' ' ' </proc/$p/cmdline | grep -q -- "broker.id=$node_id" && echo "$p"; done)
fi
if [[ -z "$pids" ]]; then
  echo "No kafka server to stop"
  exit 1
fi
kill -s "$signal" $pids
