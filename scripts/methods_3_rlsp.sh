#!/usr/bin/env bash
# The RLSP rows of docs/results/methods-3.md (issue 13, card C7): countdown
# with 4 numbers, pretraining and SFT on search traces (trace: process), then
# RL with R = alpha V + (1 - alpha) E. Arms at equal samples, seeds 1,2,3,
# 95% t-intervals and paired differences against arm B:
#   recipes/rlsp.yaml                   A: alpha 0.8 held for 30% of the steps, then raised to 1
#   scripts/recipes/rlsp_outcome.yaml   B: alpha 1 (outcome-only GRPO), the baseline
#   scripts/recipes/rlsp_const.yaml     alpha 0.8 throughout
#   scripts/recipes/rlsp_direct.yaml    D: A on a model trained on direct solutions
# A, B and the constant arm share each seed's pretrained model. Figures:
# final pass@1 and pass@8, and the evaluation's rlsp_* behaviours (steps,
# backtracks and checks per response and per correct response).
#
# Usage: scripts/methods_3_rlsp.sh [OUTDIR] [extra compare flags...]
#   e.g. scripts/methods_3_rlsp.sh runs/methods-3-rlsp --parallel 1 --threads 1
set -euo pipefail
out=${1:-runs/methods-3-rlsp}
shift || true
go build -o /tmp/autodidact-rlsp ./cmd/autodidact
/tmp/autodidact-rlsp compare --out "$out" --seeds 1,2,3 --baseline scripts/recipes/rlsp_outcome.yaml \
  recipes/rlsp.yaml scripts/recipes/rlsp_outcome.yaml scripts/recipes/rlsp_const.yaml scripts/recipes/rlsp_direct.yaml "$@"
echo "table: $out/compare.md; intervals: $out/compare.json; plots: $out/*.svg, $out/*.png"
