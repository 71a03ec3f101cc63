#!/usr/bin/env bash
# The BG/NBD fit beside lifetimes' BetaGeoFitter on the same (frequency, recency, T) tables: the CDNOW
# summary lifetimes ships (weeks) and the purchasers of bench/data at one cutoff (days); then, on CDNOW,
# Pareto/NBD beside ParetoNBDFitter and Gamma-Gamma beside GammaGammaFitter. Median of RUNS.
# CDNOW_ONLY=1 skips the bench/data table (it needs the feature benchmark's store).
# SIMULATED="167676 10000000" adds BG/NBD-simulated tables of those sizes (bench/btyd/simulate.py);
# lifetimes is run beside Recur on those of at most PEER_MAX_ROWS rows (default 1,000,000).
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
DATA=bench/data
mkdir -p "$DATA"
export RECUR_HOME="$PWD/$DATA/features-home"
VENV=bench/.venv-btyd
# lifetimes 0.11 needs numpy < 2 and pandas < 2.
[[ -x $VENV/bin/python ]] || { python3 -m venv $VENV && $VENV/bin/pip install -q lifetimes "numpy<2" "pandas<2" "scipy<1.12"; }
swift build -c release --product recur >/dev/null
swift build -c release --product recur-bench >/dev/null
CDNOW=$($VENV/bin/python -c "import lifetimes.datasets, os; print(os.path.dirname(lifetimes.datasets.__file__))")/cdnow_customers_summary.csv
ratio() { r=$(sed -E 's/.*median ([0-9.]+).*/\1/' "$DATA/btyd-recur.txt"); p=$(sed -E 's/.*median ([0-9.]+).*/\1/' "$DATA/btyd-peer.txt")
  printf 'recur/lifetimes fit time %.3fx\n' "$(echo "$r / $p" | bc -l)"; }
CDNOW_SPEND=$(dirname "$CDNOW")/cdnow_customers_summary_with_transactions.csv
for model in paretonbd gammagamma; do
  echo "== $model on $(basename "$CDNOW_SPEND")"
  .build/release/recur-bench btyd --csv "$CDNOW_SPEND" --model "$model" --runs "$RUNS" | tee "$DATA/btyd-recur.txt"
  $VENV/bin/python bench/btyd/peer.py "$CDNOW_SPEND" "$RUNS" "$model" | tee "$DATA/btyd-peer.txt"
  ratio
done
TABLES=("$CDNOW")
if [[ "${CDNOW_ONLY:-0}" != 1 ]]; then
EXPORT="$DATA/btyd-export.csv"
[[ -s "$EXPORT" ]] || .build/release/recur export dataset --cutoffs 2025-11-23 --horizon 30d --output "$EXPORT" >/dev/null
SUMMARY="$DATA/btyd-summary.csv"
# The same rule as BuyTillYouDieModel.customer: purchasers only, whole days rounded up.
$VENV/bin/python - "$EXPORT" "$SUMMARY" <<'PY'
import sys, numpy as np, pandas as pd
d = pd.read_csv(sys.argv[1], usecols=["purchase_days_all", "days_since_first_purchase", "days_since_last_purchase"])
d = d[d["purchase_days_all"] >= 1]
up = lambda s: np.maximum(0, np.ceil(s - 1e-9))
T = up(d["days_since_first_purchase"])
pd.DataFrame({"frequency": d["purchase_days_all"] - 1, "recency": np.maximum(0, T - up(d["days_since_last_purchase"])), "T": T}).to_csv(sys.argv[2], index=False)
PY
TABLES+=("$SUMMARY")
fi
for size in ${SIMULATED:-}; do
  table="$DATA/btyd-simulated-$size.csv"
  [[ -s "$table" ]] || $VENV/bin/python bench/btyd/simulate.py "$size" "$table"
  TABLES+=("$table")
done
for table in "${TABLES[@]}"; do
  rows=$(($(wc -l < "$table") - 1))
  echo "== $(basename "$table") ($rows customers)"
  .build/release/recur-bench btyd --csv "$table" --runs "$RUNS" | tee "$DATA/btyd-recur.txt"
  if (( rows > ${PEER_MAX_ROWS:-1000000} )); then echo "lifetimes not run: $rows rows > PEER_MAX_ROWS"; continue; fi
  $VENV/bin/python bench/btyd/peer.py "$table" "$RUNS" | tee "$DATA/btyd-peer.txt"
  ratio
done
