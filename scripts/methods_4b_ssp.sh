#!/usr/bin/env bash
# The Search Self-play rows of docs/results/methods-4b.md (issue 14):
# search_self_play (recipes/search_self_play.yaml: the policy proposes the
# step's questions for the step problems' answers, RAG-checked, and solves
# them with search) against GRPO on the task's fixed questions
# (recipes/retrieval_propose.yaml: the same task, pretraining with the same
# proposer demonstrations, environment and RL budget); seeds 1,2,3, 95%
# t-intervals over seeds and paired differences; the two recipes share each
# seed's pretrained model. search_self_play is listed first so its cells
# run first.
#
# Usage: scripts/methods_4b_ssp.sh [OUTDIR] [extra compare flags...]
#   e.g. scripts/methods_4b_ssp.sh runs/methods-4b-ssp --parallel 1 --threads 1
set -euo pipefail
out=${1:-runs/methods-4b-ssp}
shift || true
go build -o /tmp/autodidact-methods4b ./cmd/autodidact
/tmp/autodidact-methods4b compare --out "$out" --seeds 1,2,3 --baseline recipes/retrieval_propose.yaml \
  recipes/search_self_play.yaml recipes/retrieval_propose.yaml "$@"
echo "table: $out/compare.md; intervals: $out/compare.json; plots: $out/*.svg, $out/*.png"
