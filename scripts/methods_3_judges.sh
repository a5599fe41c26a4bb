#!/usr/bin/env bash
# The self-judging rows of docs/results/methods-3.md (issue 13, part D):
# self_rationalization against SFT on the same self-generated pairs and
# SFT on the program's rationales; the same two at 80 RL steps (4
# iterations, reusing the pretrained judges); ssr_zero against a frozen
# judge and the verifier (oracle); grm's voting accuracy over k. Seeds
# 1,2,3, one thread per cell (the machine was shared).
#
# Usage: scripts/methods_3_judges.sh [OUTDIR_PREFIX] [extra compare flags...]
set -euo pipefail
pre=${1:-runs/m3}
shift || true
go build -o /tmp/autodidact-m3j ./cmd/autodidact
ad=/tmp/autodidact-m3j
m=scripts/methods3
$ad compare self_rationalization $m/self_rationalization_sft.yaml $m/self_rationalization_teacher.yaml \
  --out "$pre-sr" --seeds 1,2,3 --threads 1 "$@"
mkdir -p "$pre-sr80"
[ -d "$pre-sr80/pretrained" ] || cp -r "$pre-sr/pretrained" "$pre-sr80/pretrained"
$ad compare self_rationalization $m/self_rationalization_sft.yaml --out "$pre-sr80" --seeds 1,2,3 --threads 1 \
  --set rl.steps=80 --set eval.every=40 "$@"
$ad compare ssr_zero $m/ssr_zero_frozen.yaml $m/ssr_zero_oracle.yaml --out "$pre-ssr" --seeds 1,2,3 --threads 1 --parallel 3 "$@"
mkdir -p "$pre-ssrk4"
[ -d "$pre-ssrk4/pretrained" ] || cp -r "$pre-ssr/pretrained" "$pre-ssrk4/pretrained"
$ad compare ssr_zero --out "$pre-ssrk4" --seeds 1,2,3 --threads 1 --parallel 3 --set judge.samples=4 --set judge.temperature=1 "$@"
$ad compare grm --out "$pre-grm" --seeds 1,2,3 --threads 1 "$@"
for d in sr sr80 ssr ssrk4; do
  python3 $m/figures.py "$pre-$d" base_pass@1 final_pass@1 delta_pass@1 final_maj@k
done
python3 $m/figures.py "$pre-ssr" final_agreement_q
python3 $m/figures.py "$pre-grm" base_grm_vote@1 base_grm_vote@2 base_grm_vote@4 base_grm_vote@8 \
  final_grm_vote@1 final_grm_vote@2 final_grm_vote@4 final_grm_vote@8 final_grm_guided_vote@8
python3 $m/within.py "$pre-sr" final_pass@1 base_pass@1
python3 $m/within.py "$pre-sr80" final_pass@1 base_pass@1
python3 $m/within.py "$pre-ssr" final_pass@1 base_pass@1
python3 $m/within.py "$pre-ssrk4" final_pass@1 base_pass@1
for st in base final; do
  python3 $m/within.py "$pre-grm" ${st}_grm_vote@8 ${st}_grm_vote@1
  python3 $m/within.py "$pre-grm" ${st}_grm_vote@4 ${st}_grm_vote@1
  python3 $m/within.py "$pre-grm" ${st}_grm_guided_vote@8 ${st}_grm_vote@8
done
