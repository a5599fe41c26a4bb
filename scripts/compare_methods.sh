#!/usr/bin/env bash
# Reproduces docs/results/methods-1.md: every method of issue 5 against GRPO
# on the default task, same seed and budget (default recipe settings, 16
# evaluation samples per problem so pass@16 is reported).
# Usage: scripts/compare_methods.sh [OUTDIR] [SEED]   (about 25 minutes on 2 cores)
set -euo pipefail
out=${1:-runs/methods-1}
seed=${2:-1}
go build -o /tmp/autodidact-cmp ./cmd/autodidact
mkdir -p "$out"
dirs=()
for r in grpo nsr psr w_reinforce lite_ppo drpo grpo_lambda siren lp_reg sar laser self; do
  if [ ! -f "$out/$r/summary.json" ]; then
    rm -rf "$out/$r"
    /tmp/autodidact-cmp run "$r" --out "$out/$r" --seed "$seed" --set eval.samples=16 --set 'eval.k_list=[1,4,16]' --set eval.every=0 > "$out/$r.log"
  fi
  dirs+=("$out/$r")
done
/tmp/autodidact-cmp report "${dirs[@]}"
