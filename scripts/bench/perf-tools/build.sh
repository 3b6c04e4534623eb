#!/bin/bash
# Builds the two load tools `npm run bench` measures with, from Debian's librdkafka-dev (2.0.2), into $OUT
# (default ~/.cache/kafka-perf-tools):
#   rdkafka_performance  librdkafka's own producer/consumer benchmark (its example source ships in librdkafka-dev)
#   mockbroker           librdkafka's in-memory mock Kafka cluster run as a standalone server: a C peer broker
# Prints the two paths last. usage: build.sh
#   then e.g. $OUT/rdkafka_performance -P -t perf -p 0 -b 127.0.0.1:9092 -s 1024 -c 1000000 -a 1
#             $OUT/mockbroker 1 perf 1   (prints its bootstrap address, serves until killed)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HOME/.cache/kafka-perf-tools}
example=/usr/share/doc/librdkafka-dev/examples/rdkafka_performance.c
if [[ ! -f $example ]]; then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq librdkafka-dev >/dev/null
fi
mkdir -p "$OUT/src" "$OUT/x"
cp "$here/shim/rd.h" "$here/shim/rdtime.h" "$OUT/src/" # the example includes "../src/rd.h"
cp "$example" "$OUT/x/"
gcc -O2 -I"$OUT/src" -I/usr/include/librdkafka -o "$OUT/rdkafka_performance" "$OUT/x/rdkafka_performance.c" \
  -lrdkafka -lm -lpthread
gcc -O2 -o "$OUT/mockbroker" "$here/mockbroker.c" -lrdkafka
echo "$OUT/rdkafka_performance"
echo "$OUT/mockbroker"
