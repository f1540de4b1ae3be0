#!/usr/bin/python3
"""qinfer against ONNX Runtime, side by side, on the model zoo: run time, session creation and peak memory.

    bench/compare_ort.py [--qinfer BUILD/tools/qinfer] [--models a,b] [--threads 1,2] [--runs N] [--warmup N]
                         [--rounds N] [--out PREFIX] [--int8 | --no-int8] [--int8-dir DIR]

For each zoo model (models/make_zoo.py --list; files from <cache>/zoo/<name>/manifest.json) and each thread count,
ORT (bench/ort_bench.js: onnxruntime-node, CPU EP, intra-op threads N, inter-op 1, sequential, all graph
optimizations) and `qinfer bench` run one after the other, --rounds times, the order swapped every round (ORT first,
then qinfer first, ...), so both see the same machine noise. Both read the same input: the model's first zoo input
set (set0, the shapes the zoo tests use). Each process makes one session, warms up, times --runs runs and reports
its median; a side's median is the median of its rounds' medians. Session creation: ORT's
InferenceSession.create (file read included) against qinfer's model load + session create. Memory: the peak
resident set of each process from /usr/bin/time (node's own runtime is in ORT's figure, about 40 MB).

INT8 (on by default, --no-int8 leaves it out): every model with calibration samples (<cache>/zoo/<name>/calib,
models/make_calib.py) is quantized once by `qinfer quantize` (static, 4 samples, as tests/quant/run_quant_zoo.py
does) into a QDQ file cached in --int8-dir (default <cache>/bench_int8, named by the FP32 file's hash and the
qinfer version, so a changed model or quantizer makes a new one); that file is run by both, interleaved as above,
in an INT8 row beside the model's FP32 row, with the ratios qinfer INT8 / ORT INT8 (qinfer/ORT) and qinfer INT8 /
ORT FP32 (from the FP32 row of the same thread count, measured in the same invocation).

Prints a Markdown table and writes PREFIX.csv and PREFIX.json (default ./compare_ort.*) stamped with the ORT and
qinfer versions, the date, the CPU model and the git commit. Exit status 1 if any run failed.
"""
import argparse
import csv
import datetime
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
ORT_BENCH = os.path.join(HERE, "ort_bench.js")
MAKE_ZOO = os.path.join(REPO, "models", "make_zoo.py")
TIME = "/usr/bin/time"


def zoo_names():
    out = subprocess.run([sys.executable, MAKE_ZOO, "--list"], check=True, stdout=subprocess.PIPE, text=True).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def zoo_model(cache, name):
    """-> (model path, {input: .npy path} of set0, "1x3x224x224 ..."); builds the model when it is missing."""
    mdir = os.path.join(cache, "zoo", name)
    manifest = os.path.join(mdir, "manifest.json")
    if not os.path.exists(manifest):
        subprocess.run([sys.executable, MAKE_ZOO, "--cache", cache, "--only", name, "--print-path"], check=True,
                       stdout=subprocess.DEVNULL)
    with open(manifest) as f:
        man = json.load(f)
    inputs = {n: os.path.join(mdir, p) for n, p in man["sets"][0].items()}
    return os.path.join(mdir, man["model"]), inputs, " ".join(npy_shape(p) for p in inputs.values())


def npy_shape(path):
    """"1x3x224x224" from a .npy header (no numpy needed)."""
    with open(path, "rb") as f:
        head = f.read(512).decode("latin1")
    shape = head.split("'shape':", 1)[1].split("(", 1)[1].split(")", 1)[0]
    return "x".join(d.strip() for d in shape.split(",") if d.strip())


def file_hash(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def qinfer_version(qinfer):
    out = subprocess.run([qinfer, "--version"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    return (out.split() or ["?"])[-1]


def int8_model(args, name, fp32):
    """-> the cached QDQ file `qinfer quantize` makes of the zoo model (made now when missing), or None when the
    model has no calibration samples. Raises RuntimeError when quantizing fails."""
    calib = os.path.join(os.path.abspath(args.cache), "zoo", name, "calib")
    if not os.path.isdir(calib):
        return None
    out_dir = args.int8_dir or os.path.join(os.path.abspath(args.cache), "bench_int8")
    os.makedirs(out_dir, exist_ok=True)
    qpath = os.path.join(out_dir, f"{name}.{file_hash(fp32)[:12]}.qinfer-{qinfer_version(args.qinfer)}.int8.onnx")
    if not os.path.exists(qpath):
        tmp = qpath + f".{os.getpid()}.tmp"
        p = subprocess.run([args.qinfer, "quantize", fp32, "-o", tmp, "--calib", calib, "--max-samples", "4"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=args.timeout)
        if p.returncode != 0:
            raise RuntimeError(f"qinfer quantize {name}: exit {p.returncode}: {p.stderr.strip()[-300:]}")
        os.replace(tmp, qpath)  # whole files only, also for a concurrent run
    return qpath


def run_json(cmd, timeout):
    """Runs cmd under /usr/bin/time; -> (JSON object of its last stdout line, peak RSS in KB or None, error)."""
    with tempfile.NamedTemporaryFile(prefix="qinfer-bench-rss.", delete=False) as tf:
        rss_file = tf.name
    full = ([TIME, "-f", "%M", "-o", rss_file] if os.access(TIME, os.X_OK) else []) + cmd
    try:
        p = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
        if p.returncode != 0:
            return None, None, f"exit {p.returncode}: " + " | ".join(p.stderr.strip().splitlines()[-3:])
        try:
            obj = json.loads(p.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return None, None, f"no JSON in the output: {p.stdout[-300:]!r}"
        rss = None
        try:
            with open(rss_file) as f:
                rss = int(f.read().split()[-1])
        except (OSError, ValueError, IndexError):
            pass
        return obj, rss, None
    except subprocess.TimeoutExpired:
        return None, None, f"timed out after {timeout} s"
    finally:
        os.unlink(rss_file)


def machine():
    try:
        out = subprocess.run(["lscpu"], stdout=subprocess.PIPE, text=True).stdout
        info = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        return f"{info.get('Model name', '?').strip()}, {info.get('CPU(s)', '?').strip()} CPUs"
    except OSError:
        return "?"


def git_commit():
    try:
        return subprocess.run(["git", "-C", REPO, "rev-parse", "HEAD"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True).stdout.strip() or "?"
    except OSError:
        return "?"


def fmt(v, digits=2):
    return "–" if v is None else f"{v:.{digits}f}"


def measure(args, name, model, inputs, threads):
    """One row: ORT and qinfer alternately, --rounds times."""
    ort_cmd = [args.node, ORT_BENCH, model, "--threads", str(threads), "--runs", str(args.runs),
               "--warmup", str(args.warmup), "--cache", os.path.abspath(args.cache)]
    q_cmd = [args.qinfer, "bench", model, "--threads", str(threads), "--runs", str(args.runs),
             "--warmup", str(args.warmup), "--json"]
    for n, p in inputs.items():
        ort_cmd += ["--input", f"{n}={p}"]
        q_cmd += ["--input", f"{n}={p}"]
    res = {"ort": [], "qinfer": []}
    errors = []
    for r in range(args.rounds):
        order = [("ort", ort_cmd), ("qinfer", q_cmd)]
        for side, cmd in order if r % 2 == 0 else order[::-1]:
            obj, rss, err = run_json(cmd, args.timeout)
            if err:
                errors.append(f"{side}: {err}")
            else:
                obj["peak_rss_kb_process"] = rss
                res[side].append(obj)
    row = {"model": name, "threads": threads, "runs": args.runs, "rounds": args.rounds, "errors": errors}

    def med(side, key):
        vals = [o[key] for o in res[side] if o.get(key) is not None]
        return statistics.median(vals) if vals else None

    row["ort_median_ms"] = med("ort", "median_ms")
    row["qinfer_median_ms"] = med("qinfer", "median_ms")
    row["ort_min_ms"] = med("ort", "min_ms")
    row["qinfer_min_ms"] = med("qinfer", "min_ms")
    row["ratio"] = (row["qinfer_median_ms"] / row["ort_median_ms"]
                    if row["ort_median_ms"] and row["qinfer_median_ms"] is not None else None)
    row["ort_create_ms"] = med("ort", "session_create_ms")
    q_create = [o["load_ms"] + o["session_create_ms"] for o in res["qinfer"]]
    row["qinfer_create_ms"] = statistics.median(q_create) if q_create else None
    ort_rss, q_rss = med("ort", "peak_rss_kb_process"), med("qinfer", "peak_rss_kb_process")
    row["ort_peak_rss_mb"] = ort_rss / 1024 if ort_rss else None
    row["qinfer_peak_rss_mb"] = q_rss / 1024 if q_rss else None
    row["macs"] = res["qinfer"][0]["macs"] if res["qinfer"] else None
    row["qinfer_isa"] = res["qinfer"][0]["isa"] if res["qinfer"] else None
    row["qinfer_arena_bytes"] = res["qinfer"][0]["arena_bytes"] if res["qinfer"] else None
    row["ort_version"] = res["ort"][0]["ort_version"] if res["ort"] else None
    row["qinfer_version"] = res["qinfer"][0]["qinfer_version"] if res["qinfer"] else None
    return row


COLUMNS = [("model", "model"), ("precision", "precision"), ("input", "input"), ("threads", "threads"),
           ("ORT ms", "ort_median_ms"), ("qinfer ms", "qinfer_median_ms"), ("qinfer/ORT", "ratio"),
           ("qinfer INT8/ORT FP32", "ratio_ort_fp32"), ("ORT create ms", "ort_create_ms"),
           ("qinfer create ms", "qinfer_create_ms"), ("ORT peak RSS MB", "ort_peak_rss_mb"),
           ("qinfer peak RSS MB", "qinfer_peak_rss_mb"), ("qinfer GFLOP/s", "gflops")]


def table_line(row):
    cells = []
    for _, key in COLUMNS:
        v = row.get(key)
        if isinstance(v, float):
            ratio = key.startswith("ratio")
            cells.append(fmt(v, 2) + ("×" if ratio else ""))
        else:
            cells.append("–" if v is None else str(v))
    return "| " + " | ".join(cells) + " |"


def main():
    ap = argparse.ArgumentParser(description="qinfer vs ONNX Runtime timings on the model zoo",
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--qinfer",
                    default=os.environ.get("QINFER_BIN") or os.path.join(REPO, "build-release", "tools", "qinfer"),
                    help="the qinfer CLI (default $QINFER_BIN, else <repo>/build-release/tools/qinfer)")
    ap.add_argument("--cache", default=os.environ.get("QINFER_CACHE") or os.path.join(REPO, ".cache"),
                    help="cache folder holding zoo/ (default $QINFER_CACHE or <repo>/.cache)")
    ap.add_argument("--models", help="comma-separated zoo model names (default: all)")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--runs", type=int, default=10, help="timed runs per process (default 10)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed runs per process first (default 2)")
    ap.add_argument("--rounds", type=int, default=2, help="processes per side and row, alternating (default 2)")
    ap.add_argument("--node", default=shutil.which("node") or "node", help="node executable")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per process")
    ap.add_argument("--out", default="compare_ort", help="write PREFIX.csv and PREFIX.json (default compare_ort)")
    ap.add_argument("--int8", dest="int8", action="store_true", default=True,
                    help="also an INT8 row per model with calibration samples (the default)")
    ap.add_argument("--no-int8", dest="int8", action="store_false", help="FP32 rows only")
    ap.add_argument("--int8-dir", help="where the quantized files are cached (default <cache>/bench_int8)")
    args = ap.parse_args()
    if args.runs < 1 or args.warmup < 0 or args.rounds < 1:
        ap.error("--runs and --rounds need >= 1, --warmup >= 0")
    try:
        threads = [int(t) for t in args.threads.split(",") if t.strip()]
    except ValueError:
        ap.error(f"bad --threads '{args.threads}' (e.g. 1,2)")
    if not threads or min(threads) < 1:
        ap.error("--threads needs counts >= 1")
    args.qinfer = os.path.abspath(args.qinfer)
    if not os.access(args.qinfer, os.X_OK):
        ap.error(f"{args.qinfer} is not an executable (build qinfer, or pass --qinfer)")
    known = zoo_names()
    names = [m.strip() for m in args.models.split(",") if m.strip()] if args.models else known
    unknown = [m for m in names if m not in known]
    if unknown:
        ap.error(f"unknown model(s) {', '.join(unknown)} (zoo: {', '.join(known)})")

    meta = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"), "machine": machine(),
            "commit": git_commit(), "load_average_start": list(os.getloadavg()), "runs": args.runs,
            "warmup": args.warmup, "rounds": args.rounds}
    print(f"# {meta['date']}  {meta['machine']}  commit {meta['commit'][:12]}  "
          f"{args.runs} runs x {args.rounds} rounds per side (+{args.warmup} warm-up)  "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    print("| " + " | ".join(c for c, _ in COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS), flush=True)
    rows, failed = [], False
    for name in names:
        try:
            model, inputs, shape = zoo_model(os.path.abspath(args.cache), name)
        except (OSError, subprocess.CalledProcessError, KeyError, ValueError) as e:
            print(f"{name}: no zoo model ({e}); run models/make_zoo.py", file=sys.stderr)
            failed = True
            continue
        qmodel = None
        if args.int8:
            try:
                qmodel = int8_model(args, name, model)
            except (OSError, RuntimeError, subprocess.TimeoutExpired) as e:
                print(f"{name}: no INT8 row ({e})", file=sys.stderr)
                failed = True
        for t in threads:
            fp32_row = None
            for precision, path in [("FP32", model)] + ([("INT8", qmodel)] if qmodel else []):
                row = measure(args, name, path, inputs, t)
                row["input"] = shape
                row["precision"] = precision
                if row["macs"] and row["qinfer_median_ms"]:
                    row["gflops"] = 2.0 * row["macs"] / (row["qinfer_median_ms"] * 1e6)
                if precision == "FP32":
                    fp32_row = row
                elif fp32_row and fp32_row["ort_median_ms"] and row["qinfer_median_ms"] is not None:
                    row["ratio_ort_fp32"] = row["qinfer_median_ms"] / fp32_row["ort_median_ms"]
                rows.append(row)
                print(table_line(row), flush=True)
                for e in row["errors"]:
                    print(f"  {name} {precision} threads {t}: {e}", file=sys.stderr)
                    failed = True
    versions = {k: next((r[k] for r in rows if r.get(k)), None) for k in ("ort_version", "qinfer_version")}
    meta.update(versions)
    meta["load_average_end"] = list(os.getloadavg())
    print(f"# ONNX Runtime {versions['ort_version']} (onnxruntime-node, CPU EP); qinfer {versions['qinfer_version']}, "
          f"isa {next((r['qinfer_isa'] for r in rows if r.get('qinfer_isa')), '?')}; "
          f"load average {os.getloadavg()[0]:.2f}")

    keys = ["model", "precision", "input", "threads", "ort_median_ms", "qinfer_median_ms", "ratio", "ratio_ort_fp32",
            "ort_min_ms", "qinfer_min_ms",
            "ort_create_ms", "qinfer_create_ms", "ort_peak_rss_mb", "qinfer_peak_rss_mb", "macs", "gflops",
            "qinfer_isa", "qinfer_arena_bytes", "runs", "rounds", "ort_version", "qinfer_version"]
    with open(args.out + ".csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(keys + ["date", "machine", "commit"])
        for r in rows:
            w.writerow([r.get(k) for k in keys] + [meta["date"], meta["machine"], meta["commit"]])
    with open(args.out + ".json", "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)
        f.write("\n")
    print(f"# wrote {args.out}.csv and {args.out}.json")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
