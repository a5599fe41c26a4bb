#!/usr/bin/env bash
# WSRL on Pendulum-v1 (docs/results/control-2b.md). A "medium" dataset: 20,000
# transitions of a SAC policy (8,000 steps from scratch, greedy return about
# -205) with action noise 1.0 half-range (episode return about -548). Arms, 3
# seeds each, the same online budget:
#   wsrl       offline pre-training (SAC+BC) then warm-up 500 steps with the
#              pre-trained policy, then online SAC (UTD 4) without the offline data
#   nowarmup   the same, warm-up 0 (updates from online step 257)
#   retain     the same as wsrl but half of every batch from the offline data
#   scratch    the same learner from a random initialisation, no data
#              (500 uniform random steps first)
# Environment: OFFLINE_STEPS (3000), EXTRA (more flags for every arm),
# SEQUENTIAL=1 (wsrl and nowarmup only, one run at a time), ONLY_WSRL=1.
# Usage: scripts/control_wsrl.sh [OUT]   (then scripts/control_wsrl_table.py OUT)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/wsrl}
AD=${AD:-/tmp/ad}
[ -x "$AD" ] || go build -o "$AD" ./cmd/autodidact
mkdir -p "$OUT"
if [ ! -f "$OUT/behaviour-sac/summary.json" ]; then
  rm -rf "$OUT/behaviour-sac"
  "$AD" control train --algo wsrl --env Pendulum-v1 --seed 100 --steps 8000 --set offline_steps=0 --set utd=1 \
    --threads 1 --eval-episodes 10 --out "$OUT/behaviour-sac"
fi
DATA="$OUT/pendulum-medium.safetensors"
[ -f "$DATA" ] || "$AD" control dataset --env Pendulum-v1 --policy "$OUT/behaviour-sac" --noise 1.0 --steps 20000 --seed 5 --out "$DATA"
COMMON=(--steps 10000 --set eval_every=500 --set eval_episodes=5 --set warmup_steps=500 --set offline_steps=${OFFLINE_STEPS:-3000} --threads 1 --eval-episodes 10)
read -ra X <<< "${EXTRA:-}" # e.g. EXTRA="--set critic_ensemble_size=10"
COMMON+=("${X[@]}")
arm() { # name, extra args...
  local name=$1; shift
  for seed in 1 2 3; do
    d="$OUT/$name-seed$seed"
    [ -f "$d/summary.json" ] && continue
    rm -rf "$d"
    "$AD" control train --algo wsrl --dataset "$DATA" --seed "$seed" "${COMMON[@]}" "$@" --out "$d" > "$d.log" 2>&1
  done
}
if [ -n "${SEQUENTIAL:-}" ]; then # one process at a time, only the WSRL and (unless ONLY_WSRL) no-warm-up arms
  arm wsrl
  [ -n "${ONLY_WSRL:-}" ] || arm nowarmup --set warmup_steps=0
else
  arm wsrl &
  arm nowarmup --set warmup_steps=0 &
  arm retain --set offline_data_ratio=0.5 &
  arm scratch --set offline_steps=0 &
  wait
fi
python3 scripts/control_wsrl_table.py "$OUT"
