#!/usr/bin/env bash
# The BG/NBD fit beside lifetimes' BetaGeoFitter on the same (frequency, recency, T) tables: the CDNOW
# summary lifetimes ships (weeks) and the purchasers of bench/data at one cutoff (days). Median of RUNS.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
DATA=bench/data
export RECUR_HOME="$PWD/$DATA/features-home"
VENV=bench/.venv-btyd
# lifetimes 0.11 needs numpy < 2 and pandas < 2.
[[ -x $VENV/bin/python ]] || { python3 -m venv $VENV && $VENV/bin/pip install -q lifetimes "numpy<2" "pandas<2" "scipy<1.12"; }
swift build -c release --product recur >/dev/null
swift build -c release --product recur-bench >/dev/null
CDNOW=$($VENV/bin/python -c "import lifetimes.datasets, os; print(os.path.dirname(lifetimes.datasets.__file__))")/cdnow_customers_summary.csv
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
for table in "$CDNOW" "$SUMMARY"; do
  echo "== $(basename "$table")"
  .build/release/recur-bench btyd --csv "$table" --runs "$RUNS" | tee "$DATA/btyd-recur.txt"
  $VENV/bin/python bench/btyd/peer.py "$table" "$RUNS" | tee "$DATA/btyd-peer.txt"
  r=$(sed -E 's/.*median ([0-9.]+).*/\1/' "$DATA/btyd-recur.txt"); p=$(sed -E 's/.*median ([0-9.]+).*/\1/' "$DATA/btyd-peer.txt")
  printf 'recur/lifetimes fit time %.3fx\n' "$(echo "$r / $p" | bc -l)"
done
