#!/usr/bin/env bash
# CaRL-style PPO mini-batch scaling on DrivingCaRL-v0 (docs/results/control-2b.md):
# a fixed budget of environment steps, the rollout batch grown by the number of
# parallel copies (128 steps each), 4 mini-batches per batch as in CaRL, 3 seeds.
# Prints, per batch size, the greedy CaRL return on held-out routes (100 = the
# whole route without a penalty) and the throughput (env steps per wall second,
# training and evaluation). Usage: scripts/control_carl_scaling.sh [STEPS] [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-300000}
OUT=${2:-runs/carl-scaling}
AD=${AD:-/tmp/ad}
[ -x "$AD" ] || go build -o "$AD" ./cmd/autodidact
mkdir -p "$OUT"
for envs in 4 16 64; do
  for seed in 1 2 3; do
    d="$OUT/envs$envs-seed$seed"
    [ -f "$d/summary.json" ] && continue
    rm -rf "$d"
    "$AD" control train --algo ppo --env DrivingCaRL-v0 --steps "$STEPS" --seed "$seed" --threads 1 \
      --set num_envs=$envs --set rollout_len=128 --set mini_batches=4 --set ent_coef=0 \
      --eval-episodes 20 --out "$d" > "$d.log" 2>&1
  done
done
python3 - "$OUT" "$STEPS" <<'PY'
import json, sys, glob, statistics as st, math
out, steps = sys.argv[1], int(sys.argv[2])
print(f"| copies x 128 = batch | mini-batch | updates | CaRL return (mean, 95% t-interval, 3 seeds) | per seed | env steps/s |")
print("| ---: | ---: | ---: | --- | --- | ---: |")
for envs in (4, 16, 64):
    rs, tp = [], []
    for seed in (1, 2, 3):
        s = json.load(open(f"{out}/envs{envs}-seed{seed}/summary.json"))
        rs.append(s["final_return"]); tp.append(steps / s["wall_seconds"])
    m = st.mean(rs); h = 4.303 * st.stdev(rs) / math.sqrt(3)
    B = envs * 128
    print(f"| {envs} x 128 = {B} | {B // 4} | {steps // B} | {m:.1f} [{m - h:.1f}, {m + h:.1f}] | {', '.join(f'{r:.1f}' for r in rs)} | {st.mean(tp):.0f} |")
PY
