#!/usr/bin/env bash
# Installs what Recur needs, builds, and runs every test: fast unit tests, then the integration tests
# against a private PostgreSQL cluster that the tests start themselves (or $DATABASE_URL when set).
set -euo pipefail
cd "$(dirname "$0")/.."
RECUR_SETUP_CLIENTS=1 ./scripts/setup.sh
export RECUR_REQUIRE_PROC=1   # setup.sh installed r-cran-proc: the pROC cross-check must run
export RECUR_REQUIRE_PROMTOOL=1   # and prometheus: promtool must lint the metrics
# redis-py and valkey-py, the newest from PyPI with their C reply parsers (hiredis, libvalkey), in a
# venv of their own; without PyPI their matrix rows are skipped and say so.
mkdir -p .build
[[ -x .build/clients-venv/bin/python ]] || python3 -m venv .build/clients-venv || true
# requests, pandas and psycopg too: the README's Python recipe runs under the docs-examples test with this venv first on PATH.
[[ -x .build/clients-venv/bin/pip ]] && .build/clients-venv/bin/pip install -q --upgrade "redis[hiredis]" "valkey[libvalkey]" requests pandas "psycopg[binary]" >/dev/null 2>&1 \
  && echo "test: $(.build/clients-venv/bin/python -c 'import redis, valkey; print(f"redis-py {redis.__version__}, valkey-py {valkey.__version__}")') from PyPI" >&2 \
  || echo "test: could not install redis-py and valkey-py from PyPI: their compatibility rows are skipped" >&2
# nbclient, pandas, scikit-learn and matplotlib for the exported comparison notebook, in their own venv.
[[ -x .build/notebook-venv/bin/python ]] || python3 -m venv .build/notebook-venv || true
if [[ -x .build/notebook-venv/bin/pip ]] && .build/notebook-venv/bin/pip install -q -r Tests/notebook/requirements.txt >/dev/null 2>&1; then
  export RECUR_REQUIRE_NOTEBOOK=1
else
  echo "test: could not install nbclient and friends from PyPI: the notebook check is skipped" >&2
fi
# openapi-core, to check every HTTP route's answers against docs/openapi.yaml, in its own venv.
[[ -x .build/contract-venv/bin/python ]] || python3 -m venv .build/contract-venv || true
if [[ -x .build/contract-venv/bin/pip ]] && .build/contract-venv/bin/pip install -q openapi-core >/dev/null 2>&1; then
  export RECUR_REQUIRE_OPENAPI=1
else
  echo "test: could not install openapi-core from PyPI: the API contract check is skipped" >&2
fi
# The CDNOW sample that lifetimes ships, for the BG/NBD check against Fader, Hardie & Lee (2005); kept out of git.
if [[ -s .build/lifetimes/lifetimes/datasets/cdnow_customers_summary.csv ]] || \
   { .build/notebook-venv/bin/pip download -q --no-deps lifetimes -d .build/lifetimes >/dev/null 2>&1 && \
     .build/notebook-venv/bin/python -c "import glob, zipfile; zipfile.ZipFile(glob.glob('.build/lifetimes/*.whl')[0]).extractall('.build/lifetimes')"; }; then
  export RECUR_REQUIRE_LIFETIMES=1
else
  echo "test: could not fetch lifetimes from PyPI: the CDNOW check is skipped" >&2
fi
export RECUR_TEST_HOME="${RECUR_TEST_HOME:-$PWD/.build/test-cluster}"
if [[ -z "${KAFKA_BROKERS:-}" ]]; then
  echo "test: KAFKA_BROKERS not set: RealBrokerTests are skipped; the Kafka tests run against librdkafka's mock cluster" >&2
else
  echo "test: KAFKA_BROKERS is set: RealBrokerTests also run against $KAFKA_BROKERS" >&2
fi
# The code is formatted by .swift-format (swift-format ships with the toolchain): `swift format format -i -r
# Sources Tests Package.swift` fixes what this finds.
swift format lint --strict -r --parallel Sources Tests Package.swift
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
# The fault soak for a minute (docs/benchmarks.md has a 30-minute run): builders killed and paused,
# PostgreSQL down, failed fetches, the server restarted, models promoted and corrupted; then counted
# (not the broker down: librdkafka's mock broker can abort then, see the script). Served by a cluster of
# two nodes, so a restart costs one node's slots and the probes follow MOVED.
RECUR=.build/debug/recur SOAK_DATA=.build/soak SOAK_NODES=2 SOAK_FAULTS="kill stop postgres fetch server promote corrupt" bench/soak/run.sh 1
echo "test: all passed" >&2
