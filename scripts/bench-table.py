#!/usr/bin/env python3
"""Google Benchmark JSON (--benchmark_out=FILE --benchmark_out_format=json) as Markdown tables, one per
benchmark family, for docs/performance.md: the arguments split into columns, the time and every counter.
With --best ARG,ARG..., within each group of rows equal in the other arguments only the fastest is kept,
to read a tuning sweep (e.g. --best warps,multi_row for bench_cuda_gemv's *_by_warps rows).

  scripts/bench-table.py gpu-out/bench_cuda_gemv.json [--args N,K,batch,...] [--best NAMES]
"""
import argparse
import json
import sys
from collections import OrderedDict


def fmt(v):
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("json")
    p.add_argument("--args", default="", help="comma-separated names for the benchmark arguments, in order")
    p.add_argument("--best", default="", help="comma-separated argument names to choose the fastest over")
    a = p.parse_args()
    with open(a.json) as f:
        data = json.load(f)
    names = [n for n in a.args.split(",") if n]
    best = [n for n in a.best.split(",") if n]
    families = OrderedDict()
    for b in data.get("benchmarks", []):
        if b.get("run_type") == "aggregate" or b.get("error_occurred"):
            continue
        parts = b["name"].split("/")  # family/arg/arg/...; options such as iterations:1 or manual_time dropped
        family, values = parts[0], [x for x in parts[1:] if ":" not in x and not x.endswith("_time")]
        row = OrderedDict((names[i] if i < len(names) else f"arg{i}", v) for i, v in enumerate(values))
        row["_args"] = len(values)
        row["time"] = f"{b['real_time']:.4g} {b.get('time_unit', '')}".strip()
        row["_t"] = b["real_time"]
        for k, v in b.items():
            if k not in ("name", "family_index", "per_family_instance_index", "run_name", "run_type", "repetitions",
                         "repetition_index", "threads", "iterations", "real_time", "cpu_time", "time_unit"):
                if isinstance(v, (int, float)):
                    row[k] = fmt(v)
        families.setdefault(family, []).append(row)
    if not families:
        sys.exit(f"{a.json}: no benchmark rows")
    for family, rows in families.items():
        nargs = rows[0]["_args"]
        if best and all(n in rows[0] for n in best):
            groups = OrderedDict()
            for r in rows:
                key = tuple(v for k, v in list(r.items())[:nargs] if k not in best)
                if key not in groups or r["_t"] < groups[key]["_t"]:
                    groups[key] = r
            rows = list(groups.values())
        cols = [c for c in rows[0] if c[0] != "_"]
        print(f"\n### {family}\n")
        print("| " + " | ".join(cols) + " |")
        print("| " + " | ".join("---" if i < nargs else "---:" for i in range(len(cols))) + " |")
        for r in rows:
            print("| " + " | ".join(str(r.get(c, "")) for c in cols) + " |")


if __name__ == "__main__":
    main()
