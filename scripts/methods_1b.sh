#!/usr/bin/env bash
# Reproduces docs/results/methods-1b.md (issue 10, item 4): every method
# plug-in of docs/results/methods-1.md against GRPO on the testbed task
# `chain`, seeds 1,2,3, pass@k up to k = 256, with 95% t-intervals over seeds
# and paired differences against GRPO (compare.json, compare.md, plots).
#
# Usage: scripts/methods_1b.sh [OUTDIR] [extra compare flags...]
#   e.g. scripts/methods_1b.sh runs/methods-1b --parallel 2
# Killed and rerun with the same arguments, it skips finished cells and
# resumes the unfinished ones.
#
# Cost: 12 recipes × 3 seeds = 36 cells of ~5 min pretraining + 100 RL steps
# + two 100-problem × 256-sample evaluations: several hours on 2 cores.
# QUICK=1 runs a reduced pipeline check instead (2 recipes, 2 seeds, 200
# pretraining steps, 10 RL steps, 20 problems × 16 samples): its figures
# check the pipeline and support no finding.
set -euo pipefail
out=${1:-runs/methods-1b}
shift || true
go build -o /tmp/autodidact-1b ./cmd/autodidact

# The testbed task and the model settings its longer solutions need
# (docs/results/testbed.md). Naming task chain drops base.yaml's `add`
# parameters, so chain's defaults apply.
testbed=(--set task.name=chain
  --set model.max_position_embeddings=96 --set rl.max_new_tokens=64 --set eval.max_new_tokens=64)

if [ "${QUICK:-0}" = 1 ]; then
  recipes=(grpo nsr)
  seeds=1,2
  budget=(--set pretrain.steps=200 --set rl.steps=10 --set eval.problems=20 --set eval.samples=16
    --set 'eval.k_list=[1,4,16]' --set eval.every=0 --set checkpoint_every=5)
else
  recipes=(grpo nsr psr w_reinforce lite_ppo drpo grpo_lambda siren lp_reg sar laser self)
  seeds=1,2,3
  budget=(--set eval.problems=100 --set eval.samples=256
    --set 'eval.k_list=[1,2,4,8,16,32,64,128,256]' --set eval.every=0)
fi

/tmp/autodidact-1b compare --out "$out" --seeds "$seeds" --baseline grpo \
  "${recipes[@]}" "${testbed[@]}" "${budget[@]}" "$@"
echo "table: $out/compare.md; intervals: $out/compare.json; plots: $out/*.svg, $out/*.png"
