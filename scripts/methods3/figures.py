#!/usr/bin/env python3
"""Print chosen figures of a compare directory's compare.json (mean [95% CI]
per recipe, and paired differences against its baseline) as markdown rows.
Usage: scripts/methods3/figures.py DIR FIGURE..."""
import json, sys

def fmt(s, signed=False):
    f = "{:+.3f}" if signed else "{:.3f}"
    ci = s.get("ci95")
    if not ci or ci[0] is None:
        return f.format(s["mean"])
    return (f + " [" + f + ", " + f + "]").format(s["mean"], ci[0], ci[1])

d, names = sys.argv[1], sys.argv[2:]
r = json.load(open(d + "/compare.json"))
print("| recipe | " + " | ".join(names) + " | " + " | ".join("Δ " + n + " (paired)" for n in names) + " |")
print("| --- " * (1 + 2 * len(names)) + "|")
for rec in r["recipes"]:
    fig = r["figures"][rec]
    pair = r["paired_vs_baseline"].get(rec, {})
    cells = [fmt(fig[n]) if n in fig else "" for n in names]
    diffs = [fmt(pair[n], True) if n in pair else "—" for n in names]
    print("| " + rec.split("/")[-1].removesuffix(".yaml") + " | " + " | ".join(cells) + " | " + " | ".join(diffs) + " |")
