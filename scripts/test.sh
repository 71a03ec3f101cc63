#!/usr/bin/env bash
# Installs what Recur needs, builds, and runs every test: fast unit tests, then the integration tests
# against a private PostgreSQL cluster that the tests start themselves (or $DATABASE_URL when set).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export RECUR_TEST_HOME="${RECUR_TEST_HOME:-$PWD/.build/test-cluster}"
if [[ -z "${KAFKA_BROKERS:-}" ]]; then
  echo "test: KAFKA_BROKERS not set: RealBrokerTests are skipped; the Kafka tests run against librdkafka's mock cluster" >&2
else
  echo "test: KAFKA_BROKERS is set: RealBrokerTests also run against $KAFKA_BROKERS" >&2
fi
# Warnings in Recur's own code fail the build; dependencies' warnings are theirs.
mkdir -p .build
swift build --build-tests 2>&1 | tee .build/test-build.log
if grep -E "^$PWD/(Sources|Tests)/.*(warning|error):" .build/test-build.log; then
  echo "test: the build has warnings or errors in Recur's code" >&2
  exit 1
fi
trap 'RECUR_HOME="$RECUR_TEST_HOME" .build/debug/recur db stop >/dev/null 2>&1 || true' EXIT
swift test --skip-build --filter 'RecurCoreTests|RecurServerTests'
swift test --skip-build --filter 'IntegrationTests'
if [[ -x scripts/fuzz.sh ]]; then scripts/fuzz.sh; fi
echo "test: all passed" >&2
