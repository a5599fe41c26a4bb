#!/usr/bin/env bash
# The InT, ReST-MCTS* and Agent-R rows of docs/results/methods-2.md (issue
# 12): each against GRPO on task chain, seeds 1,2,3, with the testbed's
# model, pretraining (methods-1b's pretrained models are reused when
# given: the same pretraining key) and RL settings (16 prompts x 8 samples,
# lr 1e-4) but 50 RL steps and a held-out evaluation of 100 problems x 16
# samples (the machine was shared by ~8 sessions). Every cell reports
# first_error_rate and recovery_rate (eval.first_error).
#
# Usage: scripts/methods_2_selfcorr.sh [OUTDIR] [PRETRAINED_DIR] [extra compare flags...]
#   e.g. scripts/methods_2_selfcorr.sh runs/methods-2sc runs/methods-1b/pretrained --parallel 4
set -euo pipefail
out=${1:-runs/methods-2sc}
pre=${2:-}
shift 2 || shift $# || true
go build -o /tmp/autodidact-m2sc ./cmd/autodidact
mkdir -p "$out"
if [ -n "$pre" ] && [ -d "$pre" ] && [ ! -d "$out/pretrained" ]; then
  cp -r "$pre" "$out/pretrained"
fi
testbed=(--set task.name=chain --set model.max_position_embeddings=96 --set rl.max_new_tokens=64 --set eval.max_new_tokens=64)
budget=(--set rl.steps=50 --set eval.problems=100 --set eval.samples=16 --set 'eval.k_list=[1,4,16]' --set eval.every=0
  --set eval.first_error=true)
/tmp/autodidact-m2sc compare --out "$out" --seeds 1,2,3 --baseline grpo --threads 1 \
  grpo int scripts/recipes/int_full_reference.yaml rest_mcts agent_r "${testbed[@]}" "${budget[@]}" "$@"
echo "table: $out/compare.md; intervals: $out/compare.json"
