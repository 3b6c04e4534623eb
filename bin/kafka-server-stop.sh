#!/usr/bin/env bash
# Stops the Samsa brokers of this installation with SIGTERM (a clean shutdown), like Apache Kafka's script of the
# same name:
#   bin/kafka-server-stop.sh [--process-role=broker] [--node-id=N]
# Each broker started by bin/kafka-server-start.sh (or bin/samsa.js) writes
# $SAMSA_PID_DIR/samsa-broker-<broker.id>-<pid>.pid (default: run/ of this installation); only those brokers are
# signalled, and with --node-id=N only the ones whose broker.id is N. Brokers of other installations are left alone.
set -uo pipefail
base_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pid_dir=${SAMSA_PID_DIR:-"$base_dir/run"}
signal=TERM
node_id="*"
for arg in "$@"; do
  case "$arg" in
    --node-id=*)
      node_id="${arg#--node-id=}"
      if ! [[ "$node_id" =~ ^-?[0-9]+$ ]]; then
        echo "Invalid --node-id: $node_id" >&2
        exit 1
      fi
      ;;
    --process-role=*) ;;
    *)
      echo "USAGE: $0 [--process-role=broker] [--node-id=N]" >&2
      exit 1
      ;;
  esac
done

pids=()
shopt -s nullglob
for f in "$pid_dir"/samsa-broker-$node_id-*.pid; do
  pid=$(head -n1 "$f" 2>/dev/null | tr -dc '0-9')
  # A pid file whose process is gone, or whose pid now belongs to something else, is stale: remove it.
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null &&
    ps -p "$pid" -o args= 2>/dev/null | grep -Eq '(dist/cli(\.bundle)?\.js|bin/start-bundle\.cjs|samsa(\.js)?)( |$)'; then
    pids+=("$pid")
  else
    rm -f "$f"
  fi
done

if [[ ${#pids[@]} -eq 0 ]]; then
  echo "No kafka server to stop"
  exit 1
fi
kill -s "$signal" "${pids[@]}"
