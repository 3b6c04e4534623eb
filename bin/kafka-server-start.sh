#!/usr/bin/env bash
# Starts a Samsa broker, like Apache Kafka's script of the same name:
#   bin/kafka-server-start.sh [-daemon] server.properties [--override property=value]*
# The broker writes its pid to $SAMSA_PID_DIR/samsa-broker-<broker.id>-<pid>.pid (default: run/ of this
# installation), which bin/kafka-server-stop.sh reads. With -daemon it runs in the background and writes
# $LOG_DIR/server.log and $LOG_DIR/kafkaServer.out (LOG_DIR defaults to logs/ of this installation).
set -euo pipefail
# Builtins only before the broker starts (each fork and exec costs milliseconds of a start-up measured in tens).
script=${BASH_SOURCE[0]}
[[ "$script" == */* ]] || script=./$script
here=$PWD
cd -- "${script%/*}/.."
base_dir=$PWD
cd -- "$here"

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
elif [[ -d "$base_dir/src" ]]; then
  # A checkout: warn of sources newer than the build, beside the broker's start rather than before it (the walk
  # of src/ took ~7 ms); run apart (twice forked) so that the broker is never left a child to reap
  (
    if [[ -n $(find "$base_dir/src" -name '*.ts' ! -name '*.test.ts' -newer "$base_dir/dist/cli.js" -print -quit) ]]; then
      echo "Warning: $base_dir/src has changed since the last build (npm run build; npm start builds when needed)" >&2
    fi &
  )
fi

# dist/cli.bundle.cjs (npm run build makes it with esbuild: one module to load instead of ~270), started by
# bin/start-bundle.cjs with V8's code cache, when it is there and not older than dist/cli.js; otherwise dist/cli.js,
# which runs the same code.
entry="$base_dir/dist/cli.js"
if [[ -f "$base_dir/dist/cli.bundle.cjs" ]] && [[ ! "$entry" -nt "$base_dir/dist/cli.bundle.cjs" ]]; then
  entry="$base_dir/bin/start-bundle.cjs"
fi

export SAMSA_PID_DIR=${SAMSA_PID_DIR:-"$base_dir/run"}

# Node reads and parses every certificate of NODE_EXTRA_CA_CERTS when it starts, before any code runs (about 80 ms
# for a system bundle of 144); the broker needs them only for a TLS context without a trust store of its own. The
# file is handed over as SAMSA_EXTRA_CA_CERTS: the broker puts the variable back and adds the file's certificates to
# Node's root certificates where such a context is made (not with --use-openssl-ca, whose store is another one).
if [[ -n "${NODE_EXTRA_CA_CERTS-}" && "${NODE_OPTIONS-}" != *openssl-ca* ]]; then
  export SAMSA_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS
  unset NODE_EXTRA_CA_CERTS
fi

# As Kafka's kafka-run-class.sh: LOG_DIR (default logs/ of this installation) holds the files of the loggers Kafka's
# log4j.properties sends apart (controller.log, state-change.log, ...), in the foreground too.
log_dir=${LOG_DIR:-"$base_dir/logs"}
[[ -d "$log_dir" ]] || mkdir -p "$log_dir"
export SAMSA_LOG_DIR=${SAMSA_LOG_DIR-"$log_dir"} # set and empty: everything in the main log

if [[ "$daemon" == true ]]; then
  # The broker's log lines go to server.log (appended, in the text layout; each line names the broker id);
  # kafkaServer.out keeps what the process itself prints (a crash, say).
  export SAMSA_LOG_FILE=${SAMSA_LOG_FILE:-"$log_dir/server.log"}
  nohup node "$entry" "$@" >>"$log_dir/kafkaServer.out" 2>&1 </dev/null &
  exit 0
fi
exec node "$entry" "$@"
