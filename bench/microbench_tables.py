#!/usr/bin/env python3
"""Markdown tables from a qinfer_microbench JSON file: one table per kernel family (kernel, shape, GOPS, peak_pct),
preceded by the run's context (CPU, peak probe, skipped kernels).

    build-release/bench/qinfer_microbench --benchmark_min_time=0.1 --benchmark_repetitions=3 \
        --benchmark_report_aggregates_only=true --benchmark_out=mb.json --benchmark_out_format=json
    /usr/bin/python3 bench/microbench_tables.py mb.json > tables.md

A kernel's family is the folder kernels/<family>/ whose config.c names it. With repetitions the median is shown.
"""
import argparse
import json
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def kernel_families(kernels_dir):
    """name -> family folder, from the identifiers qi_..._<what>__<isa> of every kernels/*/config.c."""
    families = {}
    for family in sorted(os.listdir(kernels_dir)):
        path = os.path.join(kernels_dir, family, "config.c")
        if not os.path.isfile(path):
            continue
        with open(path) as f:
            text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
        for name in re.findall(r"\bqi_[A-Za-z0-9_]+__[a-z0-9]+", text):
            families.setdefault(name, family)
    return families


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("json_file")
    ap.add_argument("--kernels", default=os.path.join(REPO, "kernels"))
    ap.add_argument("--tables-only", action="store_true", help="leave out the context lines")
    ap.add_argument("--level", default="###", help="Markdown heading of each family (default ###)")
    args = ap.parse_args()
    with open(args.json_file) as f:
        data = json.load(f)
    families = kernel_families(args.kernels)
    ctx = data.get("context", {})

    rows = {}  # family -> [(kernel, shape, gops, pct)]
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b.get("run_name", b["name"])
        kernel, _, shape = name.partition("/")
        fam = families.get(kernel, "other")
        pct = b.get("peak_pct")
        rows.setdefault(fam, []).append((kernel, shape, b.get("GOPS", 0.0), pct))

    out = sys.stdout
    if not args.tables_only:
        write_context(out, ctx, {r[0] for fam in rows.values() for r in fam})
    for fam in sorted(rows):
        out.write("\n%s %s\n\n| kernel | shape | GOPS | peak_pct |\n|---|---|---|---|\n" % (args.level, fam))
        for kernel, shape, gops, pct in rows[fam]:
            out.write("| `%s` | %s | %.2f | %s |\n" % (kernel, shape, gops, "%.1f" % pct if pct is not None else "–"))
    return 0


def write_context(out, ctx, benchmarked):
    out.write("- Run: %s, %s, %d CPUs at %s MHz, load average %s\n" % (
        ctx.get("date", "?"), ctx.get("host_name", "?"), ctx.get("num_cpus", 0), ctx.get("mhz_per_cpu", "?"),
        ", ".join("%.2f" % x for x in ctx.get("load_avg", []))))
    for key in sorted(ctx):
        if key.startswith("peak.") or key.startswith("qinfer."):
            out.write("- `%s`: %s\n" % (key, ctx[key]))
    # a kernel that a skipped config shares with a runnable one (a scalar fallback, the AVX2 packer of the VNNI
    # configs) was benchmarked through the runnable one: not listed as skipped
    skipped = sorted(k[len("skipped."):] for k in ctx if k.startswith("skipped.") and k[len("skipped."):] not in benchmarked)
    if skipped:
        out.write("- Skipped (this CPU lacks their ISA): %s\n" % ", ".join("`%s`" % s for s in skipped))


if __name__ == "__main__":
    sys.exit(main())
