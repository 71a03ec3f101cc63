#!/usr/bin/env bash
# Training past memory (issue 30), on bench/scale/run.sh's store (10M users, 45M events; built if
# missing, about 30 minutes): the weekly cutoffs 2025-10-19 … 2025-11-30 (the last one the holdout).
#   - RECUR (rows spilled to disk and read batch by batch) on all seven cutoffs: about 34M rows;
#   - beside it, on the two cutoffs run.sh trains on (2025-11-02, 2025-11-30: 10.3M rows), RECUR and
#     RECUR_BEFORE (a build that holds the rows in memory as doubles), alternating, RUNS times.
# Each line: rows, wall time, peak RSS (/usr/bin/time), fit seconds and holdout AUC (the artifact's metadata).
# The spill file wants 368 B of free disk per row under TMPDIR (12.6 GB for the seven cutoffs).
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=bench/data
export RECUR_HOME="$PWD/$DATA/scale-home"
export RECUR_MODELS_DIR="$PWD/$DATA/scale-train-models"
RECUR=${RECUR:-.build/release/recur}
RECUR_BEFORE=${RECUR_BEFORE:-}
MODELS=${MODELS:-logistic gbdt}
RUNS=${RUNS:-1}
STAGES=${STAGES:-all}
LOG="$DATA/scale-train-log.txt"
[[ -x "$RECUR" ]] || swift build -c release --product recur >/dev/null
"$RECUR" db start >/dev/null
if [[ ! -e "$DATA/scale-backfill.done" ]]; then STAGES=all bench/scale/run.sh; fi
if [[ ! -e "$DATA/scale-backfill-weekly.done" ]]; then
  "$RECUR" features backfill --from 2025-10-19 --to 2025-11-30 --every 7d --quiet
  touch "$DATA/scale-backfill-weekly.done"
fi
mkdir -p "$RECUR_MODELS_DIR"

# train LABEL BINARY MODEL CUTOFFS: one fit, measured.
train() {
  local label=$1 binary=$2 model=$3 cutoffs=$4
  local version="$label-$model-$(date +%s)"
  local status=0
  /usr/bin/time -f "%e %M" -o "$DATA/scale-train-time.txt" "$binary" train --version "$version" --model "$model" \
    --cutoffs "$cutoffs" --horizon 30d --calibrate none > "$DATA/scale-train-out.txt" 2> "$DATA/scale-train-err.txt" || status=$?
  if [[ $status -ne 0 ]]; then
    printf '%-8s %-8s %s: FAILED (exit %s): %s\n' "$label" "$model" "$cutoffs" "$status" "$(grep -v '^Command exited' "$DATA/scale-train-err.txt" | tail -n 1)" | tee -a "$LOG"
    return 0
  fi
  read -r wall peak < "$DATA/scale-train-time.txt"
  python3 - "$RECUR_MODELS_DIR/$version/metadata.json" "$label" "$model" "$wall" "$peak" <<'PY' | tee -a "$LOG"
import json, sys
meta = json.load(open(sys.argv[1]))
label, model, wall, peak = sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
print(f"{label:8} {model:8} {len(meta['cutoffs'])} cutoffs, {meta['training_rows']:>10,} training rows: wall {wall:7.1f} s, "
      f"peak RSS {peak // 1024:6,} MB, fit {meta['training_seconds']:7.1f} s, holdout AUC {meta['holdout']['roc_auc']:.5f} ({meta['holdout']['rows']:,} rows)")
PY
  rm -rf "${RECUR_MODELS_DIR:?}/$version"
}

date -u +"== %Y-%m-%dT%H:%M:%SZ $(git rev-parse --short HEAD)" >> "$LOG"
for model in $MODELS; do
  train now "$RECUR" "$model" 2025-10-19,2025-10-26,2025-11-02,2025-11-09,2025-11-16,2025-11-23,2025-11-30
done
for model in $MODELS; do
  for ((i = 0; i < RUNS; i++)); do
    train now "$RECUR" "$model" 2025-11-02,2025-11-30
    [[ -z "$RECUR_BEFORE" ]] || train before "$RECUR_BEFORE" "$model" 2025-11-02,2025-11-30
  done
done
