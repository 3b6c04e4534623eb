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

echo "==> npm ci"
npm ci --no-audit --no-fund --loglevel=error

echo "==> build"
npm run build --silent

echo "==> lint and type checks"
npx tsc -p tsconfig.check.json
npx eslint .
npx prettier --check . >/dev/null

echo "==> unit tests"
npx vitest run --project unit

echo "==> examples (application test suites against an in-process cluster)"
npx vitest run --project examples
/usr/bin/python3 -m unittest discover -s examples/python-http
node --experimental-vm-modules node_modules/.bin/jest --config examples/kafkajs-jest/jest.config.mjs

echo "==> compatibility tests (real clients, real brokers, real ZooKeeper)"
npx vitest run --project compat

echo "==> benchmark smoke test (npm run bench -- --quick: every phase runs once, briefly; no figure is checked)"
SAMSA_SKIP_BUILD=1 npm run bench --silent -- --quick --out "$(mktemp -d)" >/dev/null
