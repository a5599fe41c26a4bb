#!/usr/bin/env bash
# Engine speed, side by side in one session: autodidact with OpenBLAS and
# with the pure-Go kernels, and PyTorch at its best setting
# (scripts/bench_torch.py tries 1 thread, 2 threads and 2 threads with
# OMP_WAIT_POLICY=PASSIVE and says which won), over the shapes of
# docs/results/engine.md, ROUNDS times interleaved. OLD=path/to/autodidact
# adds an older binary's pure-Go backend (train 3.2M only: it is slow).
#
#   go build -o /tmp/autodidact ./cmd/autodidact
#   BIN=/tmp/autodidact ROUNDS=2 scripts/engine_bench.sh | tee runs/engine_bench.txt
#   NAMES=grpo-step-default BIN=/tmp/autodidact scripts/engine_bench.sh   # one shape
#
# Each autodidact run prints wall tokens/s and tokens per CPU-second; on a
# shared machine the CPU-time figure is the steadier of the two.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-/tmp/autodidact}
ROUNDS=${ROUNDS:-2}
PY=${PY:-/usr/bin/python3}
declare -A SHAPE=(
  [train-3.2M]="train --d 256 --layers 4 --heads 8 --ff 688 --vocab 64 --seq 128 --batch 16 --steps 3"
  [train-0.4M]="train --d 128 --layers 2 --heads 4 --ff 344 --vocab 64 --seq 64 --batch 32 --steps 5"
  [sample-3.2M]="sample --d 256 --layers 4 --heads 8 --ff 688 --vocab 64 --batch 64 --prompt 16 --new 112 --steps 1"
  [train-qwen0.5B-layer]="train --d 896 --layers 1 --heads 14 --kv-heads 2 --ff 4864 --vocab 64 --seq 128 --batch 4 --steps 2"
  [grpo-step-default]="grpo --d 128 --layers 2 --heads 4 --ff 344 --vocab 94 --batch 128 --prompt 10 --new 48 --steps 3"
)
NAMES=${NAMES:-train-3.2M train-0.4M sample-3.2M train-qwen0.5B-layer grpo-step-default}
for name in $NAMES; do
  args=${SHAPE[$name]}
  for r in $(seq "$ROUNDS"); do
    for be in go openblas; do
      out=$(AUTODIDACT_BLAS=$be "$BIN" bench $args)
      echo "$name round $r $be: $(echo "$out" | grep -o 'CPU time.*') $(echo "$out" | grep -o '[0-9.]* GFLOP/s (sgemm peak [0-9.]*') $(echo "$out" | tail -1)"
    done
    if [ -n "${OLD:-}" ] && [ "$name" = train-3.2M ]; then
      out=$(AUTODIDACT_BLAS=go "$OLD" bench ${args/--steps 3/--steps 1})
      echo "$name round $r old-go: $(echo "$out" | tail -1)"
    fi
    # The torch script takes the same flags.
    out=$($PY scripts/bench_torch.py $args --rounds 1)
    echo "$name round $r torch: $(echo "$out" | grep 'best setting') $(echo "$out" | grep '^round' | tr '\n' ';') $(echo "$out" | tail -1)"
  done
done
