#!/usr/bin/env python3
"""RLSP/SRPO table of docs/results/methods-3.md from run directories.

The seed-2 cells ran in their own compare directory (max_position_embeddings
160, see the doc); this script gathers the cells of several compare
directories by recipe and seed and prints means with 95% t-intervals over
seeds and paired differences against the baseline recipe.

Usage: scripts/methods_3_rlsp_table.py BASELINE DIR... (e.g. rlsp_outcome
runs/m3-rlsp runs/m3-rlsp-s2 runs/m3-srpo13)
"""
import glob, json, math, os, re, sys

T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}

def stat(xs):
    n = len(xs)
    m = sum(xs) / n
    if n < 2:
        return m, None
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
    h = T95.get(n - 1, 1.96) * sd / math.sqrt(n)
    return m, (m - h, m + h)

def fmt(s, signed=False):
    m, ci = s
    f = "%+.3f" if signed else "%.3f"
    if ci is None:
        return f % m
    return (f + " [" + f + ", " + f + "]") % (m, ci[0], ci[1])

base, dirs = sys.argv[1], sys.argv[2:]
cells = {}
for d in dirs:
    for p in glob.glob(os.path.join(d, "*-seed*", "summary.json")):
        name, seed = re.match(r"(.*)-seed(\d+)$", os.path.basename(os.path.dirname(p))).groups()
        cells.setdefault(name, {})[int(seed)] = json.load(open(p))
cols = [("final pass@1", lambda s: s["final_pass@1"]), ("final pass@8", lambda s: s["final_pass@k"]),
        ("mean length", lambda s: s["final_mean_len"]),
        ("backtracks / correct", lambda s: s.get("extra", {}).get("final_rlsp_backtracks_correct", float("nan"))),
        ("correct with a backtrack", lambda s: s.get("extra", {}).get("final_rlsp_search_correct", float("nan"))),
        ("steps / response", lambda s: s.get("extra", {}).get("final_rlsp_steps", float("nan")))]
print("| recipe | seeds | base pass@1 | " + " | ".join(c for c, _ in cols) + " | Δ pass@1 vs %s (paired) | Δ pass@8 (paired) |" % base)
print("|" + " --- |" * (len(cols) + 5))
for name in sorted(cells):
    seeds = sorted(cells[name])
    row = [name, ",".join(map(str, seeds)), fmt(stat([cells[name][s]["base_pass@1"] for s in seeds]))]
    for _, f in cols:
        xs = [f(cells[name][s]) for s in seeds]
        row.append("—" if any(math.isnan(x) for x in xs) else fmt(stat(xs)))
    for key in ("final_pass@1", "final_pass@k"):
        common = [s for s in seeds if s in cells.get(base, {})]
        if name == base or not common:
            row.append("—")
        else:
            row.append(fmt(stat([cells[name][s][key] - cells[base][s][key] for s in common]), True))
    print("| " + " | ".join(row) + " |")
