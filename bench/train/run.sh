#!/usr/bin/env bash
# Training speed and quality beside scikit-learn and LightGBM, on one exported dataset of
# 1,000,000 rows × 30 features (the last cutoff is the holdout), fit time only, median of RUNS.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
DATA=bench/data
export RECUR_HOME="$PWD/$DATA/features-home"
[[ -x bench/.venv/bin/python ]] || { python3 -m venv bench/.venv && bench/.venv/bin/pip install -q -r bench/train/requirements.txt; }
swift build -c release --product recur >/dev/null
swift build -c release --product recur-bench >/dev/null
RECUR=.build/release/recur

# The events and weekly snapshots of bench/features/run.sh (10M events, 200k users).
"$RECUR" db start >/dev/null
if ! "$RECUR" features describe --as-of 2025-11-30 >/dev/null 2>&1; then bench/features/run.sh; fi
FULL="$DATA/train-export.csv"
[[ -s "$FULL" ]] || "$RECUR" export dataset --from 2025-08-03 --to 2025-11-30 --every 7d --horizon 30d --output "$FULL"
SET="$DATA/train-1m-30.csv"
# Exactly 1,000,000 rows drawn uniformly (seeded) and the first 30 features, for both tools.
[[ -s "$SET" ]] || bench/.venv/bin/python - "$FULL" "$SET" <<'PY'
import sys, pandas as pd
frame = pd.read_csv(sys.argv[1], dtype={"user_id": str})
cols = ["user_id", "cutoff"] + [c for c in frame.columns if c not in ("user_id", "cutoff", "label")][:30] + ["label"]
frame.sample(n=1_000_000, random_state=7).sort_values(["cutoff", "user_id"])[cols].to_csv(sys.argv[2], index=False)
PY

for model in logistic gbdt; do
  echo "== $model"
  .build/release/recur-bench train --csv "$SET" --model "$model" --runs "$RUNS" | tee "$DATA/train-recur-$model.txt"
  bench/.venv/bin/python bench/train/peer.py "$SET" "$model" "$RUNS" | tee "$DATA/train-peer-$model.txt"
  r=$(sed -E 's/.*median ([0-9.]+).*/\1/' "$DATA/train-recur-$model.txt"); p=$(sed -E 's/.*median ([0-9.]+).*/\1/' "$DATA/train-peer-$model.txt")
  ra=$(sed -E 's/.*AUC ([0-9.]+).*/\1/' "$DATA/train-recur-$model.txt"); pa=$(sed -E 's/.*AUC ([0-9.]+).*/\1/' "$DATA/train-peer-$model.txt")
  printf '%s: recur/peer wall time %.2fx, AUC difference %+.5f\n' "$model" "$(echo "$r / $p" | bc -l)" "$(echo "$ra - $pa" | bc -l)"
done

# The BG/NBD fit beside lifetimes' BetaGeoFitter, in the same run.
RUNS=$RUNS bench/btyd/run.sh
