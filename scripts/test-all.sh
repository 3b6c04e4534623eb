#!/usr/bin/env bash
# Installs everything the tests need and runs them all: lint, type checks, unit tests, and the compatibility
# tests with real clients (kafkajs, kcat/librdkafka, kafka-python, confluent-kafka, Sarama) against real brokers
# and a real ZooKeeper. Safe to run again: installed packages are skipped.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

apt_packages=(zookeeper kcat librdkafka-dev python3-kafka python3-confluent-kafka golang-go golang-github-shopify-sarama-dev chromium)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "==> Installing system packages: ${missing[*]}"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Runs a phase with a time limit, in a process group of its own. A phase still running at its limit is a hang (CI's
# own limit is far away): the process tree (state, CPU, wait channel) and the newest compat log tails go to stderr,
# then the phase's process group is stopped and the script fails.
limited() {
  local limit=$1 what=$2
  shift 2
  setsid "$@" &
  local pid=$! waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= limit)); then
      {
        echo "==> HANG: $what still running after ${limit}s; process tree:"
        ps -eo pid,pgid,stat,etimes,pcpu,rss,wchan:24,args --forest | cut -c1-240
        local run f
        run=$(ls -td /tmp/samsa-compat-* 2>/dev/null | head -1 || true)
        if [[ -n $run ]]; then
          for f in $(ls "$run"/logs/stall-*.log 2>/dev/null) $(ls -t "$run"/logs/* 2>/dev/null | head -4); do
            echo "----- tail of $f"
            tail -c 3000 "$f"
          done
        fi
      } >&2
      kill -TERM -- "-$pid" 2>/dev/null || true
      sleep 10
      kill -KILL -- "-$pid" 2>/dev/null || true
      wait "$pid" || true
      echo "==> FAILED: $what hung (limit ${limit}s)" >&2
      return 1
    fi
    sleep 2
    waited=$((waited + 2))
  done
  wait "$pid"
}

echo "==> npm ci"
npm ci --no-audit --no-fund --loglevel=error

echo "==> build"
npm run build --silent

echo "==> lint and type checks"
npx tsc -p tsconfig.check.json
npx eslint .
npx prettier --check . >/dev/null

echo "==> unit tests"
limited 900 "unit tests" npx vitest run --project unit

echo "==> examples (application test suites against an in-process cluster)"
limited 300 "examples" npx vitest run --project examples
limited 300 "python example" /usr/bin/python3 -m unittest discover -s examples/python-http
limited 300 "jest example" node --experimental-vm-modules node_modules/.bin/jest --config examples/kafkajs-jest/jest.config.mjs

echo "==> compatibility tests (real clients, real brokers, real ZooKeeper)"
limited 2700 "compatibility tests" npx vitest run --project compat

echo "==> benchmark smoke test (npm run bench -- --quick: every phase runs once, briefly; no figure is checked)"
limited 300 "benchmark smoke test" env SAMSA_SKIP_BUILD=1 npm run bench --silent -- --quick --out "$(mktemp -d)" >/dev/null
