#!/usr/bin/env bash
# docs/results/analysis-2.md (issue 15, items 4 and 6): three cells x seeds
# 1,2,3 on the default task (add, 1-3 digits) from a short pretraining:
#   rl_mia   GRPO, every prompt drawn from a fixed pool of 32 train problems
#            (60 steps x 16 prompts: 30 epochs per member)
#   grpo     plain GRPO, 960 fresh problems each seen once
#   sft_gold SFT on gold solutions, no RL: 120 updates of 64 sequences at
#            lr 1e-4 = the RL cells' 60 steps x 2 mini-batches of 64 at 1e-4
# then the Self-Critique contamination probe on every RL cell and update
# sparsity/rank/overlap of RL against SFT from the same pretrained model.
#
# Usage: scripts/analysis_2.sh [OUTDIR]     (about 10 CPU-minutes)
set -euo pipefail
out=${1:-runs/analysis-2}
bin=/tmp/analysis2-ad
go build -o "$bin" ./cmd/autodidact
common=(--set threads=1 --set pretrain.steps=600 --set rl.steps=60 --set rl.lr=1e-4
  --set eval.problems=100 --set eval.samples=8 --set eval.every=0 --set checkpoint_every=60)
nice -n 10 "$bin" compare --out "$out" --seeds 1,2,3 --parallel 1 --baseline grpo \
  grpo rl_mia scripts/recipes/sft_gold.yaml "${common[@]}"

echo "== contamination: rl_mia (members = the 32-problem pool) =="
"$bin" analyze contamination "$out"/rl_mia-seed{1,2,3} --members 32 --nonmembers 96 | tee "$out/contamination_rl_mia.txt"
echo "== contamination: grpo (members = problems seen once) =="
"$bin" analyze contamination "$out"/grpo-seed{1,2,3} --members 96 --nonmembers 96 | tee "$out/contamination_grpo.txt"
echo "== contamination: rl_mia probed at the RL start (reference/: the same pretrained model, no RL) =="
for s in 1 2 3; do
  "$bin" analyze contamination "$out/rl_mia-seed$s" --checkpoint "$out/rl_mia-seed$s/reference" --members 32 --nonmembers 96
done | tee "$out/contamination_reference.txt"

echo "== sparsity (bf16 criterion; the tolerance rows and the rank ratio follow) =="
for s in 1 2 3; do
  for c in grpo rl_mia; do
    echo "-- $c-seed$s"; "$bin" analyze sparsity "$out/$c-seed$s" --bf16 | sed -n '3,5p'
  done
  echo "-- sft_gold-seed$s (step 600 -> 720)"
  "$bin" analyze sparsity x --base "$out/sft_gold-seed$s/checkpoints/step-00000600" \
    --final "$out/sft_gold-seed$s/checkpoints/step-00000720" --bf16 | sed -n '3,5p'
done > "$out/sparsity.txt"
cat "$out/sparsity.txt"
echo "== overlap (bf16 masks) =="
{ for s in 1 2 3; do
    echo "-- seed$s grpo vs rl_mia"; "$bin" analyze overlap "$out/grpo-seed$s" "$out/rl_mia-seed$s" --bf16 --no-rank
  done
  echo "-- seed1 vs seed2 grpo (different inits)"; "$bin" analyze overlap "$out/grpo-seed1" "$out/grpo-seed2" --bf16 --no-rank
} > "$out/overlap.txt"
cat "$out/overlap.txt"
