#!/usr/bin/env bash
# LaSeR retune (issue 13; docs/results/methods-3b.md) on the chain testbed:
#   grid   one seed: laser with beta_v in {0.1, 1, 5} x alpha in {0.1, 1}
#   final  seeds 1,2,3: the grid's best setting against the default
# Reported per cell: laser_best_of_n - pass@1 of the final evaluation.
# The variants are written from recipes/laser.yaml into OUTDIR/recipes.
#
# Usage: scripts/methods_3b_laser.sh grid|final OUTDIR [BEST_BETA BEST_ALPHA] [extra compare flags...]
set -euo pipefail
mode=$1 out=$2
shift 2
bin=/tmp/autodidact-m3b
go build -o "$bin" ./cmd/autodidact
mkdir -p "$out/recipes"
variant() { # beta alpha -> recipe path
  local n="laser_b${1}_a${2}"
  sed -e "s/^name: laser$/name: $n/" -e "s/laser: {alpha: 0.1, beta_v: 0.1,/laser: {alpha: $2, beta_v: $1,/" recipes/laser.yaml > "$out/recipes/$n.yaml"
  echo "$out/recipes/$n.yaml"
}
testbed=(--set task.name=chain --set model.max_position_embeddings=96 --set rl.max_new_tokens=64 --set eval.max_new_tokens=64
  --set rl.steps=30 --set eval.problems=64 --set eval.samples=16 --set 'eval.k_list=[1,16]' --set eval.every=0)
case $mode in
grid)
  rs=()
  for b in 0.1 1 5; do for a in 0.1 1; do rs+=("$(variant $b $a)"); done; done
  nice -n 10 "$bin" compare --out "$out" --seeds 1 --baseline "${rs[0]}" --threads 1 --parallel 1 "${rs[@]}" "${testbed[@]}" "$@" ;;
final)
  b=$1 a=$2; shift 2
  nice -n 10 "$bin" compare --out "$out" --seeds 1,2,3 --baseline "$(variant 0.1 0.1)" --threads 1 --parallel 1 \
    "$(variant 0.1 0.1)" "$(variant $b $a)" "${testbed[@]}" "$@" ;;
esac
echo "table: $out/compare.md"
