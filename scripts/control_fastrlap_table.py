#!/usr/bin/env python3
"""Table for scripts/control_fastrlap.sh: per arm over seeds, the first online
step at which the greedy policy met the lap target (all 5 held-out routes
completed, mean lap <= target steps), the best mean lap time seen, the final
completion and lap time; 95% t-intervals over seeds (runs that never met the
target are counted as such and left out of the mean).
Usage: scripts/control_fastrlap_table.py runs/fastrlap"""
import glob, json, math, os, statistics as st, sys

T = {2: 12.706, 3: 4.303, 4: 3.182, 5: 2.776}


def ci(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "n/a"
    m = st.mean(xs)
    if len(xs) < 2:
        return f"{m:.0f}"
    h = T.get(len(xs), 2.0) * st.stdev(xs) / math.sqrt(len(xs))
    return f"{m:.0f} [{m - h:.0f}, {m + h:.0f}]"


out = sys.argv[1] if len(sys.argv) > 1 else "runs/fastrlap"
print("| arm | seeds | first step meeting the lap target | best mean lap (steps) | final completion | final lap (steps) |")
print("| --- | ---: | --- | --- | --- | --- |")
for arm in ("fastrlap", "scratch", "scratch-utd8"):
    hit, best, comp, lap = [], [], [], []
    n = 0
    for d in sorted(glob.glob(f"{out}/{arm}-seed*")):
        if not os.path.isdir(d) or not os.path.exists(f"{d}/summary.json"):
            continue
        n += 1
        rows = [json.loads(l) for l in open(f"{d}/metrics.jsonl") if "eval_completion" in l]
        h = [r["env_steps"] for r in rows if r.get("lap_target_met")]
        hit.append(h[0] if h else None)
        full = [r["eval_lap_steps"] for r in rows if r["eval_completed"] == 5]
        best.append(min(full) if full else None)
        comp.append(rows[-1]["eval_completion"])
        lap.append(rows[-1]["eval_lap_steps"] if rows[-1]["eval_completed"] == 5 else None)
    if n == 0:
        continue
    never = sum(1 for x in hit if x is None)
    print(f"| {arm} | {n} | {ci(hit)}{f' ({never}/{n} never)' if never else ''} | {ci(best)} | "
          f"{ci([c * 100 for c in comp])} % | {ci(lap)} |")
