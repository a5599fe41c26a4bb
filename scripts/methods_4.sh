#!/usr/bin/env bash
# docs/results/methods-4.md (issue 14): self-play and self-curriculum.
#   duel: SPO and INPO against the fixed-opponent baseline (spo with
#         opponent: reference, scripts/recipes/spo_reference.yaml) on the
#         rock-paper-scissors-well preference game, seeds 1,2,3 (the three
#         share one pretrained model per seed).
#   exit: ExIt's curriculum over partial histories against GRPO's uniform
#         sampling of fresh problems on chain, seeds 1,2,3.
# Usage: scripts/methods_4.sh [duel|exit|all] [OUTDIR] [extra compare flags...]
#   e.g. scripts/methods_4.sh duel runs/m4 --parallel 3 --threads 1
set -euo pipefail
part=${1:-all}
out=${2:-runs/m4}
shift 2 || shift $# || true
go build -o /tmp/autodidact-m4 ./cmd/autodidact
mkdir -p "$out"
if [ "$part" = duel ] || [ "$part" = all ]; then
  /tmp/autodidact-m4 compare --out "$out-duel" --seeds 1,2,3 --baseline scripts/recipes/spo_reference.yaml \
    scripts/recipes/spo_reference.yaml spo inpo "$@"
fi
if [ "$part" = exit ] || [ "$part" = all ]; then
  /tmp/autodidact-m4 compare --out "$out-exit" --seeds 1,2,3 --baseline grpo grpo exit \
    --set task.name=chain --set model.max_position_embeddings=96 --set rl.max_new_tokens=64 \
    --set eval.max_new_tokens=64 --set rl.steps=60 --set eval.problems=100 --set eval.samples=8 \
    --set 'eval.k_list=[1,8]' --set eval.every=0 "$@"
fi
