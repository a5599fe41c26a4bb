#!/usr/bin/env bash
# Rollout throughput of one run with 0 (the learner samples itself), 1 and
# 2 rollout workers over an embedded NATS server on loopback: synchronous
# (rl.staleness 0; with two workers each step's sampling is split between
# them, --rollout-shards 2) and asynchronous (rl.staleness 1, tis). Every
# process uses one thread. Each setting runs REPS times (interleaved, so
# load changes on a shared machine hit all settings alike); the table gives
# medians. Writes runs/cluster-throughput/ and the table on stdout
# (docs/results/cluster.md).
set -euo pipefail
AD=${AUTODIDACT:-go run ./cmd/autodidact}
OUT=${OUT:-runs/cluster-throughput}
REPS=${REPS:-3}
STEPS=${STEPS:-40}
mkdir -p "$OUT"
COMMON=(grpo --smoke --seed 1 --set threads=1 --set pretrain.steps=300 --set model.hidden_size=64
  --set 'task.params={min_digits: 1, max_digits: 1}' --set rl.steps="$STEPS" --set rl.prompts_per_step=8
  --set rl.group_size=8 --set rl.max_new_tokens=48 --set rl.slots=64 --set eval.every=0
  --pretrain-cache "$OUT/pretrained")
declare -A EXTRA=(
  [local]=""
  [w1]="--rollout-workers 1"
  [w2-shards2]="--rollout-workers 2 --rollout-shards 2"
  [w1-async]="--rollout-workers 1 --set rl.staleness=1"
  [w2-async]="--rollout-workers 2 --set rl.staleness=1"
)
NAMES=(local w1 w2-shards2 w1-async w2-async)
for rep in $(seq 1 "$REPS"); do
  for name in "${NAMES[@]}"; do
    rm -rf "${OUT:?}/$name-$rep"
    # shellcheck disable=SC2086
    $AD run "${COMMON[@]}" --out "$OUT/$name-$rep" ${EXTRA[$name]} > "$OUT/$name-$rep.log" 2>&1
  done
done
python3 - "$OUT" "$REPS" "${NAMES[@]}" <<'PY'
import json, re, statistics, sys
out, reps, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
print("| setting | RL s | steps/s | learner sampling-wait s | learner train s | idle fraction | worker sampling s | worker weight load + transfer s | episodes/s | final pass@1 |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for name in names:
    rows = []
    for r in range(1, reps + 1):
        d = f"{out}/{name}-{r}"
        s = json.load(open(d + "/summary.json"))
        t = s["rl_time"]
        steps = sum(1 for l in open(d + "/metrics.jsonl") if '"stage":"rl"' in l)
        eps = 0
        for l in open(d + "/metrics.jsonl"):
            m = json.loads(l)
            if m.get("stage") == "rl":
                eps += m["kept_samples"]
        idle, ws, wt = float("nan"), float("nan"), float("nan")
        m = re.search(r"waited ([0-9.]+) s of ([0-9.]+) s of RL steps \(idle fraction ([0-9.]+)\); workers sampled ([0-9.]+) s \(([0-9.]+) s with", open(d + ".log").read())
        if m:
            idle, ws, wt = float(m.group(3)), float(m.group(4)), float(m.group(5)) - float(m.group(4))
        rows.append((t["total"], steps / t["total"], t["sample"], t["train"], idle, ws, wt, eps / t["total"], s["final_pass@1"]))
    med = [statistics.median(c) for c in zip(*rows)]
    f = lambda x, p=2: "—" if x != x else f"{x:.{p}f}"
    print(f"| {name} | {f(med[0])} | {f(med[1],1)} | {f(med[2])} | {f(med[3])} | {f(med[4],3)} | {f(med[5])} | {f(med[6])} | {f(med[7],0)} | {' '.join(f'{r[8]:.3f}' for r in rows)} |")
PY
