#!/usr/bin/env python3
"""Tables for scripts/control_wsrl.sh (runs still going count once past 10%
of their online steps; AUC and final only over finished ones): per arm over seeds, the mean of the
greedy evaluations (5 episodes every 500 online steps), the pre-trained
policy's return, the minimum in the first 10% of online steps (the dip), the
area under the curve (mean of all evaluations), the first online step with an
evaluation of -300 or better, and the final 10-episode return; 95% t-intervals
over the seeds. Usage: scripts/control_wsrl_table.py runs/wsrl"""
import glob, json, math, os, statistics as st, sys

T = {2: 12.706, 3: 4.303, 4: 3.182, 5: 2.776}


def ci(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "n/a"
    m = st.mean(xs)
    if len(xs) < 2:
        return f"{m:.1f}"
    h = T.get(len(xs), 2.0) * st.stdev(xs) / math.sqrt(len(xs))
    return f"{m:.1f} [{m - h:.1f}, {m + h:.1f}]"


out = sys.argv[1] if len(sys.argv) > 1 else "runs/wsrl"
print("| arm | seeds | pre-trained | min eval, first 10% | mean eval (AUC) | first step >= -300 | final (10 ep.) |")
print("| --- | ---: | --- | --- | --- | --- | --- |")
for arm in ("wsrl", "nowarmup", "retain", "scratch"):
    pre, dip, auc, reach, final, unfinished = [], [], [], [], [], []
    n = 0
    for d in sorted(glob.glob(f"{out}/{arm}-seed*")):
        if not os.path.isdir(d) or not os.path.exists(f"{d}/metrics.jsonl"):
            continue
        rows = [json.loads(l) for l in open(f"{d}/metrics.jsonl")]
        ev = [(r["env_steps"], r["eval_return"]) for r in rows if "eval_return" in r]
        total = json.load(open(f"{d}/config.json"))["wsrl"]["online_steps"]
        if max(s for s, _ in ev) < total / 10:
            continue  # not yet through the first 10% of its online steps
        n += 1
        done = os.path.exists(f"{d}/summary.json")
        p = [v for s, v in ev if s == 0]
        pre.append(p[0] if p else None)
        online = [(s, v) for s, v in ev if s > 0]
        dip.append(min(v for s, v in online if s <= total / 10))
        hit = [s for s, v in online if v >= -300]
        reach.append(hit[0] if hit else None)
        if done:
            auc.append(st.mean(v for _, v in online))
            final.append(json.load(open(f"{d}/summary.json"))["final_return"])
        else:
            unfinished.append(max(s for s, _ in ev))
    if n == 0:
        continue
    never = sum(1 for x in reach if x is None)
    rs = ci(reach) + (f" ({never} not yet / never)" if never else "")
    note = f" ({len(final)} finished; others stopped at {', '.join(map(str, unfinished))} steps)" if unfinished else ""
    print(f"| {arm} | {n} | {ci(pre)} | {ci(dip)} | {ci(auc)}{note} | {rs} | {ci(final)} |")
