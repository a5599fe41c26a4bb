#!/usr/bin/env python3
"""Tables of docs/results/methods-3b.md from a compare directory's cells.

Usage: scripts/methods_3b_table.py OUTDIR [BASELINE_RECIPE]

For every recipe (cells RECIPE-seedN/summary.json): pass@1 and the
self-PRM / LaSeR evaluation figures at the base and the final evaluation
with 95% t-intervals over seeds, the paired final - base difference, and
the reranking gains best-of-n - pass@1. With BASELINE_RECIPE, each
recipe's paired difference of the LaSeR gain against it. For self-PRM
recipes also the curve of self_prm_auc over the evaluations (metrics.jsonl).
"""
import glob, json, math, os, re, sys

T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def stat(xs):
    xs = [x for x in xs if x is not None and not math.isnan(x)]
    n = len(xs)
    if n == 0:
        return "—"
    m = sum(xs) / n
    if n < 2:
        return f"{m:+.3f} (n=1)"
    s = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
    h = T975[n - 1] * s / math.sqrt(n)
    return f"{m:+.3f} [{m - h:+.3f}, {m + h:+.3f}]"


def main():
    out = sys.argv[1]
    base_recipe = sys.argv[2] if len(sys.argv) > 2 else None
    cells = {}
    for p in sorted(glob.glob(os.path.join(out, "*-seed*", "summary.json"))):
        name, seed = re.match(r"(.*)-seed(\d+)$", os.path.basename(os.path.dirname(p))).groups()
        cells.setdefault(name, {})[int(seed)] = json.load(open(p))
    keys = ["self_prm_auc", "self_prm_auc_pooled", "self_prm_gain", "self_prm_vote_gain", "self_prm_f1",
            "self_prm_err_acc", "self_prm_ok_acc", "self_prm_score"]

    def get(s, when, k):
        if k == "pass@1":
            return s[f"{when}_pass@1"]
        if k == "laser_gain":
            v = s.get("extra", {}).get(f"{when}_laser_best_of_n")
            return None if v is None else v - s[f"{when}_pass@1"]
        return s.get("extra", {}).get(f"{when}_{k}")

    print(f"| recipe | figure | seeds | base | final | final − base |\n|---|---|---|---|---|---|")
    for name, by in cells.items():
        seeds = sorted(by)
        ks = ["pass@1"] + [k for k in keys + ["laser_gain"] if any(get(by[s], "final", k) is not None for s in seeds)]
        for k in ks:
            b = [get(by[s], "base", k) for s in seeds]
            f = [get(by[s], "final", k) for s in seeds]
            d = [None if x is None or y is None else y - x for x, y in zip(b, f)]
            print(f"| {name} | {k} | {','.join(map(str, seeds))} | {stat(b)} | {stat(f)} | {stat(d)} |")
    if base_recipe and base_recipe in cells:
        print(f"\nPaired against {base_recipe} (final evaluation):\n\n| recipe | Δ pass@1 | Δ (laser_best_of_n − pass@1) |\n|---|---|---|")
        b = cells[base_recipe]
        for name, by in cells.items():
            if name == base_recipe:
                continue
            seeds = sorted(set(by) & set(b))
            dp = [by[s]["final_pass@1"] - b[s]["final_pass@1"] for s in seeds]
            dg = [get(by[s], "final", "laser_gain") - get(b[s], "final", "laser_gain") for s in seeds]
            print(f"| {name} | {stat(dp)} | {stat(dg)} |")
    for name, by in cells.items():
        curves = {}
        for s in sorted(by):
            mp = os.path.join(out, f"{name}-seed{s}", "metrics.jsonl")
            for line in open(mp):
                m = json.loads(line)
                if m.get("stage") == "eval" and "self_prm_auc" in m.get("eval", {}):
                    curves.setdefault(m["eval"]["tag"], []).append((m["eval"]["self_prm_auc"], m["eval"]["pass_at_k"]["1"], m["eval"]["self_prm_gain"]))
        if curves:
            print(f"\n{name}: over training (mean over seeds)\n\n| eval | seeds | pass@1 | self_prm_auc | self_prm_gain |\n|---|---|---|---|---|")
            for tag, v in curves.items():
                n = len(v)
                print(f"| {tag} | {n} | {sum(x[1] for x in v)/n:.3f} | {sum(x[0] for x in v)/n:.3f} | {sum(x[2] for x in v)/n:+.3f} |")


main()
