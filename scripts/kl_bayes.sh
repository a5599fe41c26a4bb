#!/usr/bin/env bash
# The KL-as-Bayesian-inference rows of docs/results/analysis-1.md (issue 15,
# item 2; card D6): on task split, plain GRPO, GRPO + beta k3, exact KL-RL
# and DPG distribution matching (recipes/kl_bayes.yaml), all at beta 0.5,
# seeds 1,2,3, each measuring KL(pi || pi*), the within-right entropy ratio
# and the accuracy against the target's p* on 8 held-out N every 10 steps
# (metrics klb_* in each cell's metrics.jsonl; compare aggregates the last).
#
# Usage: scripts/kl_bayes.sh [OUTDIR] [extra compare flags...]
set -euo pipefail
out=${1:-runs/kl-bayes}
shift || true
go build -o /tmp/autodidact-klb ./cmd/autodidact
budget=(--set pretrain.steps=400 --set rl.steps=60 --set eval.problems=50 --set eval.samples=16 --set 'eval.k_list=[1,4,16]' --set eval.every=0)
/tmp/autodidact-klb compare --out "$out" --seeds 1,2,3 --baseline scripts/recipes/kl_grpo.yaml \
  scripts/recipes/kl_grpo.yaml scripts/recipes/kl_grpo_k3.yaml scripts/recipes/kl_rl.yaml kl_bayes "${budget[@]}" "$@"
echo "table: $out/compare.md; intervals: $out/compare.json; plots: $out/*.svg, $out/*.png"
