#!/usr/bin/env bash
# The retrieval rows of docs/results/methods-2.md (issue 12): CLEANER
# (recipes/cleaner.yaml) and ReSeek (recipes/reseek.yaml) against GRPO on
# the raw trajectories of the same environment (recipes/retrieval.yaml:
# task lookup, env retrieval, the same pretraining, prompts, group size and
# RL steps), seeds 1,2,3, 95% t-intervals over seeds and paired
# differences. The three recipes share each seed's pretrained model.
# Figures: final_pass@1, and from the summaries' extras the environment's
# tool_errors, judgements, judge_right, no_then_search per episode.
#
# Usage: scripts/methods_2_retrieval.sh [OUTDIR] [extra compare flags...]
#   e.g. scripts/methods_2_retrieval.sh runs/methods-2-retrieval --parallel 3 --threads 1
set -euo pipefail
out=${1:-runs/methods-2-retrieval}
shift || true
go build -o /tmp/autodidact-retrieval ./cmd/autodidact
/tmp/autodidact-retrieval compare --out "$out" --seeds 1,2,3 --baseline recipes/retrieval.yaml \
  recipes/retrieval.yaml recipes/cleaner.yaml recipes/reseek.yaml "$@"
echo "table: $out/compare.md; intervals: $out/compare.json; plots: $out/*.svg, $out/*.png"
