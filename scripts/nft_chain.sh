#!/usr/bin/env bash
# The NFT rows of docs/results/analysis-1.md (issue 15, item 1): NFT and RFT
# (NFT without the negatives, scripts/recipes/rft.yaml) against GRPO on the
# testbed task chain, seeds 1,2,3, with exactly the testbed settings and
# budget of scripts/methods_1b.sh, so the GRPO cells and the pretrained
# models of a finished methods-1b (or methods-2) directory are reused
# (copied, not rerun) when it is given.
#
# Usage: scripts/nft_chain.sh [OUTDIR] [PREVIOUS_DIR] [extra compare flags...]
#   e.g. scripts/nft_chain.sh runs/nft runs/methods-2
set -euo pipefail
out=${1:-runs/nft}
prev=${2:-}
shift 2 || shift $# || true
go build -o /tmp/autodidact-nft ./cmd/autodidact
mkdir -p "$out"
if [ -n "$prev" ] && [ -d "$prev" ]; then
  [ -d "$out/pretrained" ] || cp -r "$prev/pretrained" "$out/pretrained"
  for s in 1 2 3; do
    [ -d "$out/grpo-seed$s" ] || cp -r "$prev/grpo-seed$s" "$out/grpo-seed$s"
  done
fi
testbed=(--set task.name=chain --set model.max_position_embeddings=96 --set rl.max_new_tokens=64 --set eval.max_new_tokens=64)
budget=(--set eval.problems=100 --set eval.samples=256 --set 'eval.k_list=[1,2,4,8,16,32,64,128,256]' --set eval.every=0)
/tmp/autodidact-nft compare --out "$out" --seeds 1,2,3 --baseline grpo \
  grpo nft scripts/recipes/rft.yaml "${testbed[@]}" "${budget[@]}" "$@"
echo "table: $out/compare.md; intervals: $out/compare.json; plots: $out/*.svg, $out/*.png"
