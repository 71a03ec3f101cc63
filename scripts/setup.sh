#!/usr/bin/env bash
# Installs the Debian packages Recur builds and runs against. Idempotent: a
# second run finds everything in place and installs nothing.
set -euo pipefail

packages=(
  pkg-config
  libpq-dev postgresql
  librdkafka-dev kcat
  libopenblas-dev liblapack-dev
  zlib1g-dev
  bc curl      # the benchmarks' and the fault soak's arithmetic and probes
)
# The real Redis clients of the compatibility matrix (docs/protocol.md), and curl for the docs' examples, for the tests.
if [[ "${RECUR_SETUP_CLIENTS:-0}" == "1" ]]; then
  packages+=(redis-tools node-redis ruby-redis libhiredis-dev python3-venv gcc libc6-dev curl)
  # Headless Chromium for the live page and the report.
  packages+=(chromium)
  # pROC, the R package the comparison's DeLong numbers are checked against.
  packages+=(r-cran-proc)
  # promtool (in Debian's prometheus package, not started), to lint the /metrics text.
  packages+=(prometheus)
fi
if [[ "${RECUR_SETUP_BENCH:-0}" == "1" ]]; then
  packages+=(redis-server redis-tools python3-venv)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all Debian packages present" >&2
fi

# The Debian postgresql package may start a system cluster; Recur uses its own
# private cluster, so the system one is left alone.
command -v swift >/dev/null || { echo "setup: swift 6.x is required on PATH" >&2; exit 1; }
