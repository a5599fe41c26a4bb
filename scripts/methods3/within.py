#!/usr/bin/env python3
"""Per-recipe differences between two figures of the same cells (e.g.
final_grm_vote@8 - final_grm_vote@1), mean with a two-sided 95% Student-t
interval over seeds, from each cell's summary.json in a compare directory.
Usage: scripts/methods3/within.py DIR FIGURE_A FIGURE_B"""
import json, math, os, sys

T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}

def fig(s, name):
    if name in s:
        return s[name]
    return s.get("extra", {})[name]

d, a, b = sys.argv[1:4]
r = json.load(open(os.path.join(d, "compare.json")))
for rec in r["recipes"]:
    xs = []
    for c in r["cells"]:
        if c["recipe"] == rec and c["status"] == "done":
            s = json.load(open(os.path.join(d, c["dir"], "summary.json")))
            xs.append(fig(s, a) - fig(s, b))
    n = len(xs)
    m = sum(xs) / n
    if n > 1:
        sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
        h = T975.get(n - 1, 1.96) * sd / math.sqrt(n)
        print(f"{rec}: {a} - {b} = {m:+.3f} [{m-h:+.3f}, {m+h:+.3f}] (n={n}; per seed {', '.join(f'{x:+.3f}' for x in xs)})")
    else:
        print(f"{rec}: {a} - {b} = {m:+.3f} (n=1)")
