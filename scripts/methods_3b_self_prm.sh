#!/usr/bin/env bash
# Self-PRM (issue 13; docs/results/methods-3b.md) on the chain testbed,
# seeds 1,2,3: GRPO (outcome reward only, 50 RL steps) with the self-PRM
# evaluation at the base, at step 25 and the end (100 held-out problems
# x 16 samples). Variants written from recipes/self_prm.yaml into
# OUTDIR/recipes differ only in what the evaluation measures (the training
# is the same GRPO, so their policies are identical per seed):
#   self_prm          step_score recompute, aggregate min (the paper's form)
#   self_prm_mean     recompute, mean
#   self_prm_lp_min   logprob, min
#   self_prm_lp_mean  logprob, mean
# Then scripts/methods_3b_table.py OUTDIR prints base-vs-final paired
# intervals of the self-PRM figures.
#
# Usage: scripts/methods_3b_self_prm.sh OUTDIR [extra compare flags...]
set -euo pipefail
out=$1
shift
bin=/tmp/autodidact-m3b-sprm
go build -o "$bin" ./cmd/autodidact
mkdir -p "$out/recipes"
variant() { # name step_score aggregate
  sed -e "s/^name: self_prm$/name: $1/" -e "s/self_prm: {step_score: recompute, aggregate: min,/self_prm: {step_score: $2, aggregate: $3,/" \
    recipes/self_prm.yaml > "$out/recipes/$1.yaml"
  echo "$out/recipes/$1.yaml"
}
rs=("$(variant self_prm recompute min)" "$(variant self_prm_mean recompute mean)" "$(variant self_prm_lp_min logprob min)" "$(variant self_prm_lp_mean logprob mean)")
nice -n 10 "$bin" compare --out "$out" --seeds 1,2,3 --threads 1 --parallel 1 "${rs[@]}" \
  --set eval.problems=100 --set eval.samples=16 --set 'eval.k_list=[1,16]' --set eval.every=25 "$@"
python3 scripts/methods_3b_table.py "$out"
