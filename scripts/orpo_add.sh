#!/usr/bin/env bash
# The ORPO rows of docs/results/analysis-1.md (issue 15, item 3; card D7):
# GRPO on a hand-made proxy reward (last digit right + length right) with no
# regulariser, with the sequence k3 KL, and with ORPO's sqrt(chi2), against
# GRPO on the true reward (the verifier), task add, seeds 1,2,3. Training
# curves of the true reward (accuracy), the proxy reward and chi2 per step are
# in each cell's metrics.jsonl (plots: compare's accuracy/reward pictures).
#
# Usage: scripts/orpo_add.sh [OUTDIR] [extra compare flags...]
#   e.g. scripts/orpo_add.sh runs/orpo --parallel 2 --set orpo.coef=0.01
set -euo pipefail
out=${1:-runs/orpo}
shift || true
go build -o /tmp/autodidact-orpo ./cmd/autodidact
/tmp/autodidact-orpo compare --out "$out" --seeds 1,2,3 --baseline scripts/recipes/proxy_none.yaml \
  scripts/recipes/proxy_none.yaml scripts/recipes/proxy_kl.yaml orpo grpo "$@"
echo "table: $out/compare.md; intervals: $out/compare.json; plots: $out/*.svg, $out/*.png"
