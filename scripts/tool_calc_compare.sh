#!/usr/bin/env bash
# Reproduces the tool_calc table of docs/results/episodes.md (issue 9):
# recipe tool_calc (the calculator in the loop) against the same recipe
# without the tool (scripts/recipes/tool_calc_no_tool.yaml), seeds 1,2,3,
# with 95% t-intervals over seeds and paired differences (compare.json,
# compare.md, plots). Figures: final_pass@1 (held-out accuracy) and
# base_/final_tool_calls (calls per episode) from the summary's extras.
#
# Usage: scripts/tool_calc_compare.sh [OUTDIR] [extra compare flags...]
#   e.g. scripts/tool_calc_compare.sh runs/tool-calc --parallel 2
set -euo pipefail
out=${1:-runs/tool-calc}
shift || true
go build -o /tmp/autodidact-tool ./cmd/autodidact
/tmp/autodidact-tool compare --out "$out" --seeds 1,2,3 --baseline scripts/recipes/tool_calc_no_tool.yaml \
  scripts/recipes/tool_calc_no_tool.yaml tool_calc "$@"
echo "table: $out/compare.md; intervals: $out/compare.json; plots: $out/*.svg, $out/*.png"
