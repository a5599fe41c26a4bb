#!/usr/bin/env bash
# FastRLAP analog on Driving-v0 (docs/results/control-2b.md), 3 seeds per arm,
# 10,000 online steps, greedy lap evaluation on 5 held-out routes every 1,000:
#   fastrlap      IQL-pretrained frozen encoder (50k slow prior transitions),
#                 one slow demonstration lap in the buffer, UTD 8
#   scratch       SAC from scratch: raw observations, same layer sizes trained
#                 end to end, no demonstration, UTD 1
#   scratch-utd8  the same with UTD 8 (the card's ablation)
# Usage: scripts/control_fastrlap.sh [OUT] [ARMS...]; then
#        scripts/control_fastrlap_table.py OUT
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/fastrlap}; shift || true
ARMS=${*:-fastrlap scratch scratch-utd8}
AD=${AD:-/tmp/ad}
[ -x "$AD" ] || go build -o "$AD" ./cmd/autodidact
mkdir -p "$OUT"
COMMON=(--env Driving-v0 --steps 10000 --threads 1 --eval-episodes 10)
arm() {
  local name=$1; shift
  for seed in 1 2 3; do
    d="$OUT/$name-seed$seed"
    [ -f "$d/summary.json" ] && continue
    rm -rf "$d"
    "$AD" control train --algo fastrlap --seed "$seed" "${COMMON[@]}" "$@" --out "$d" > "$d.log" 2>&1
  done
}
for a in $ARMS; do
  case $a in
    fastrlap) arm fastrlap & ;;
    scratch) arm scratch --set use_encoder=false --set demo=false --set utd_ratio=1 & ;;
    scratch-utd8) arm scratch-utd8 --set use_encoder=false --set demo=false & ;;
  esac
done
wait
python3 scripts/control_fastrlap_table.py "$OUT"
