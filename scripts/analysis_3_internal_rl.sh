#!/usr/bin/env bash
# Internal RL (card D9) against token-level GRPO on the grid walk with a
# hidden order, 3 seeds, one thread each: for each seed, pretrain on expert
# walks and run token-level GRPO (scripts/recipes/gridwalk_grpo.yaml,
# 100 steps x 16 prompts x 8), then run internal-rl from the same
# pretrained checkpoint (the end of pretraining) with the same episode
# budget. Usage: scripts/analysis_3_internal_rl.sh [OUT] [extra internal-rl flags]
set -euo pipefail
out=${1:-runs/a3-irl}
shift || true
bin=${BIN:-autodidact}
mkdir -p "$out"
for s in 1 2 3; do
  d="$out/grpo-s$s"
  [ -f "$d/summary.json" ] || "$bin" run scripts/recipes/gridwalk_grpo.yaml --out "$d" --set threads=1 --set seed=$s
  ck=$(ls -d "$d"/checkpoints/step-* | head -1) # the end of pretraining
  "$bin" internal-rl "$d" --checkpoint "$ck" --seed $s --discover-steps 1000 --rl-steps 100 --json "$@" > "$out/irl-s$s.json"
done
python3 - "$out" <<'PY'
import json, sys, math
out = sys.argv[1]
def ci(xs):
    n = len(xs); m = sum(xs) / n
    if n < 2: return m, float("nan")
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
    t = {2: 12.706, 3: 4.303, 4: 3.182, 5: 2.776}.get(n, 2.0)
    return m, t * sd / math.sqrt(n)
g, b, a = [], [], []
for s in (1, 2, 3):
    ev = [json.loads(l) for l in open(f"{out}/grpo-s{s}/metrics.jsonl") if '"stage": "eval"' in l or '"stage":"eval"' in l]
    g.append(ev[-1]["eval"]["pass_at_k"]["1"])
    r = json.load(open(f"{out}/irl-s{s}.json"))
    b.append(r["success_before"]); a.append(r["success_after"])
    d = r["discovery"]
    print(f"seed {s}: token GRPO final pass@1 {g[-1]:.4f}; internal RL before {b[-1]:.4f} after {a[-1]:.4f}; "
          f"discovery nll {d[0]['nll']:.3f}->{d[-1]['nll']:.3f}, mean beta {d[-1]['mean_beta']:.3f}; "
          f"codes/rollout at the end {r['rl'][-1]['decisions']:.2f}")
diff = [x - y for x, y in zip(a, g)]
for name, xs in (("token GRPO", g), ("internal RL", a), ("internal RL - GRPO", diff)):
    m, h = ci(xs)
    print(f"{name}: {m:+.4f} [{m - h:+.4f}, {m + h:+.4f}]")
PY
