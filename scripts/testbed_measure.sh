#!/usr/bin/env bash
# Measures a testbed task as in docs/results/testbed.md: the default
# pretraining (recipes/base.yaml), no RL, 100 held-out problems × 64 samples,
# then prints base pass@1, the pass@k curve and the reference solutions'
# length spread by style.
# Usage: scripts/testbed_measure.sh OUTDIR [--set task.params={...} ...]
# (about 5-15 minutes on 2 shared cores)
set -euo pipefail
out=$1
shift
go build -o /tmp/autodidact-tb ./cmd/autodidact
/tmp/autodidact-tb run --out "$out" --set task.name=chain \
  --set model.max_position_embeddings=96 --set rl.max_new_tokens=64 --set eval.max_new_tokens=64 \
  --set rl.steps=0 --set eval.samples=64 --set eval.problems=100 \
  --set 'eval.k_list=[1,2,4,8,16,32,64]' "$@" > "$out.log"
/tmp/autodidact-tb report "$out"
# Reference solution length (characters after the prompt) by style, 2000
# training problems.
/tmp/autodidact-tb tasks sample chain -n 2000 | awk '
/^--- /{ if (n) emit(); n=1; q=1; len=0; next }
q==1 { q=0; next }
{ len += length($0)+1 }
function emit(){ l=len-1; st=(l>8)?"steps":"direct"; c[st]++; s[st]+=l; if(!(st in mn)||l<mn[st])mn[st]=l; if(l>mx[st])mx[st]=l }
END{ emit(); for(k in c) printf "reference %s-style solutions: n=%d mean=%.1f min=%d max=%d chars\n",k,c[k],s[k]/c[k],mn[k],mx[k] }'
