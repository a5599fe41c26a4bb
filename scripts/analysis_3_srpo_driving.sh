#!/usr/bin/env bash
# SRPO on the driving environment (docs/results/analysis-3.md, section "SRPO
# on the driving environment"): sparse-reward PPO vs PPO + SRPO on
# DrivingSparseShort-v0 (reward 1 for completing a 20 m route, 0 otherwise),
# the same 300k env steps, 16 copies x 128 steps per update, seeds 1..N, one
# thread. Then the table (mean and 95% t-interval over seeds, paired
# differences) and the training-curve picture. About 25 s per run.
# Usage: scripts/analysis_3_srpo_driving.sh [SEEDS] [OUT] [PLOT]
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${1:-10}
OUT=${2:-runs/srpo-driving}
PLOT=${3:-docs/results/analysis-3/srpo-driving}
AD=${AD:-/tmp/ad}
[ -x "$AD" ] || go build -o "$AD" ./cmd/autodidact
mkdir -p "$OUT"
for seed in $(seq 1 "$SEEDS"); do
  for algo in ppo ppo_srpo; do
    d="$OUT/$algo-seed$seed"
    [ -f "$d/summary.json" ] && continue
    rm -rf "$d"
    GOMAXPROCS=1 "$AD" control train --algo "$algo" --env DrivingSparseShort-v0 --steps 300000 --seed "$seed" \
      --threads 1 --set num_envs=16 --eval-episodes 20 --out "$d" > "$d.log" 2>&1
  done
done
GOMAXPROCS=1 go run scripts/analysis_3_srpo_driving.go "$OUT" "$SEEDS" "$PLOT"
