#!/usr/bin/env bash
# The InT, ReST-MCTS* and Agent-R rows of docs/results/methods-2.md (issue
# 12) on task chain, seeds 1,2,3, with the testbed's model, pretraining
# (methods-1b's pretrained models are reused when given: the same
# pretraining key) and RL settings (16 prompts x 8 samples, lr 1e-4), a
# held-out evaluation of 100 problems x 16 samples, and every cell
# reporting first_error_rate and recovery_rate (eval.first_error):
#
#   OUTDIR          grpo, int, int_full_reference (InT's plain-SFT control),
#                   agent_r at 50 RL steps (paired against grpo)
#   OUTDIR-int      the same int and int_full_reference cells, paired
#                   against int_full_reference (InT's claim)
#   OUTDIR-rest10   grpo and rest_mcts at 10 RL steps (ReST-MCTS* at 50
#                   did not fit the shared machine)
#
# Usage: scripts/methods_2_selfcorr.sh [OUTDIR] [PRETRAINED_DIR] [extra compare flags...]
#   e.g. scripts/methods_2_selfcorr.sh runs/methods-2sc runs/methods-1b/pretrained --parallel 4
set -euo pipefail
out=${1:-runs/methods-2sc}
pre=${2:-}
shift 2 || shift $# || true
bin=/tmp/autodidact-m2sc
go build -o "$bin" ./cmd/autodidact
for d in "$out" "$out-rest10"; do
  mkdir -p "$d"
  if [ -n "$pre" ] && [ -d "$pre" ] && [ ! -d "$d/pretrained" ]; then
    cp -r "$pre" "$d/pretrained"
  fi
done
testbed=(--set task.name=chain --set model.max_position_embeddings=96 --set rl.max_new_tokens=64 --set eval.max_new_tokens=64)
eval=(--set eval.problems=100 --set eval.samples=16 --set 'eval.k_list=[1,4,16]' --set eval.every=0 --set eval.first_error=true)
"$bin" compare --out "$out" --seeds 1,2,3 --baseline grpo --threads 1 \
  grpo int scripts/recipes/int_full_reference.yaml agent_r "${testbed[@]}" "${eval[@]}" --set rl.steps=50 "$@"
# InT against its plain-SFT control: the finished cells, paired differently.
mkdir -p "$out-int"
for s in 1 2 3; do
  for r in int int_full_reference; do
    [ -e "$out-int/$r-seed$s" ] || ln -s "$(realpath "$out/$r-seed$s")" "$out-int/$r-seed$s"
  done
done
"$bin" compare --out "$out-int" --seeds 1,2,3 --baseline int_full_reference --threads 1 \
  scripts/recipes/int_full_reference.yaml int "${testbed[@]}" "${eval[@]}" --set rl.steps=50 "$@"
"$bin" compare --out "$out-rest10" --seeds 1,2,3 --baseline grpo --threads 1 \
  grpo rest_mcts "${testbed[@]}" "${eval[@]}" --set rl.steps=10 "$@"
echo "tables: $out/compare.md, $out-int/compare.md, $out-rest10/compare.md"
