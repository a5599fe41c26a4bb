#!/usr/bin/env bash
# The SSRL rows of docs/results/methods-4b.md (issue 14): SSRL
# (recipes/ssrl.yaml: self-search training episodes, the policy's own
# <result> blocks masked, reward 0.9*EM + 0.1*F, evaluated with the real
# search) against GRPO trained on the real search (recipes/retrieval_table.yaml:
# the same task with its fixed fact table, pretraining, environment and RL
# budget); seeds 1,2,3, 95% t-intervals over seeds and paired differences;
# every recipe shares each seed's pretrained model. Two ablations of SSRL,
# written from recipes/ssrl.yaml into OUTDIR/recipes: ssrl_nomask (the
# self-written results stay in the loss, the card's arm B) and
# ssrl_noformat (format_weight 0: EM only, to see what the format reward
# alone did).
#
# Usage: scripts/methods_4b_ssrl.sh [OUTDIR] [extra compare flags...]
#   e.g. scripts/methods_4b_ssrl.sh runs/methods-4b-ssrl --parallel 1 --threads 1
set -euo pipefail
out=${1:-runs/methods-4b-ssrl}
shift || true
go build -o /tmp/autodidact-methods4b ./cmd/autodidact
mkdir -p "$out/recipes"
sed -e 's/^name: ssrl$/name: ssrl_nomask/' -e 's/mask_information: true/mask_information: false/' recipes/ssrl.yaml > "$out/recipes/ssrl_nomask.yaml"
sed -e 's/^name: ssrl$/name: ssrl_noformat/' -e 's/format_weight: 0.1/format_weight: 0/' recipes/ssrl.yaml > "$out/recipes/ssrl_noformat.yaml"
/tmp/autodidact-methods4b compare --out "$out" --seeds 1,2,3 --baseline recipes/retrieval_table.yaml \
  recipes/retrieval_table.yaml recipes/ssrl.yaml "$out/recipes/ssrl_nomask.yaml" "$out/recipes/ssrl_noformat.yaml" "$@"
echo "table: $out/compare.md; intervals: $out/compare.json; plots: $out/*.svg, $out/*.png"
