#!/usr/bin/env bash
# The chain-task rows of docs/results/methods-2.md and methods-3.md: SALT
# (issue 12) and the length methods overthinking and efficiency_rl (issue
# 13) against GRPO, seeds 1,2,3, with exactly the testbed settings and
# budget of scripts/methods_1b.sh, so the GRPO cells and the pretrained
# models of a finished methods-1b directory are reused (copied, not
# rerun) when it is given.
#
# Usage: scripts/methods_2_chain.sh [OUTDIR] [METHODS_1B_DIR] [extra compare flags...]
#   e.g. scripts/methods_2_chain.sh runs/methods-2 runs/methods-1b --parallel 2
set -euo pipefail
out=${1:-runs/methods-2}
prev=${2:-}
shift 2 || shift $# || true
go build -o /tmp/autodidact-m2 ./cmd/autodidact
mkdir -p "$out"
if [ -n "$prev" ] && [ -d "$prev" ]; then
  [ -d "$out/pretrained" ] || cp -r "$prev/pretrained" "$out/pretrained"
  for s in 1 2 3; do
    [ -d "$out/grpo-seed$s" ] || cp -r "$prev/grpo-seed$s" "$out/grpo-seed$s"
  done
fi
testbed=(--set task.name=chain --set model.max_position_embeddings=96 --set rl.max_new_tokens=64 --set eval.max_new_tokens=64)
budget=(--set eval.problems=100 --set eval.samples=256 --set 'eval.k_list=[1,2,4,8,16,32,64,128,256]' --set eval.every=0)
/tmp/autodidact-m2 compare --out "$out" --seeds 1,2,3 --baseline grpo \
  grpo salt overthinking efficiency_rl "${testbed[@]}" "${budget[@]}" "$@"
echo "table: $out/compare.md; intervals: $out/compare.json; plots: $out/*.svg, $out/*.png"
