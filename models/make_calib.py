#!/usr/bin/python3
"""Writes calibration samples for the zoo models: <cache>/zoo/<name>/calib/<k>.npy, one file per sample.

    /usr/bin/python3 models/make_calib.py [--cache DIR] [--only NAME[,NAME...]] [--count N]

Samples come from the same distribution as the model's test inputs (models/make_zoo.py: normalised noise for the
torchvision and face models, synthetic text pages / lines for PaddleOCR) with other seeds, in the shape of input
set 0, so a model quantized on them is tested on unseen data of the same kind. The zoo must exist already
(make_zoo.py). Rewrites a folder only when its sample count or this script changed.
"""
import argparse
import hashlib
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_zoo  # noqa: E402


def samples(spec, count):
    """count arrays of set 0's shape, seeds disjoint from make_zoo's test sets."""
    one = dict(spec, shapes=[spec["shapes"][0]])
    out = []
    for k in range(count):
        s = dict(one, seed=spec["seed"] * 7919 + 500 + k)
        out.append(next(iter(make_zoo.make_inputs(s, "x")[0].values())))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache")
    ap.add_argument("--only")
    ap.add_argument("--count", type=int, default=8)
    args = ap.parse_args()
    cache = make_zoo.cache_dir(args.cache)
    names = list(make_zoo.MODELS)
    if args.only:
        want = {n.replace("_", "").replace("-", "").lower() for n in args.only.split(",")}
        names = [n for n in names if n.replace("_", "").lower() in want]
    with open(__file__, "rb") as f:
        stamp = hashlib.sha256(f.read() + str(args.count).encode()).hexdigest()
    for name in names:
        d = os.path.join(cache, "zoo", name, "calib")
        if not os.path.isdir(os.path.dirname(d)):
            sys.exit(f"make_calib: {name} is not in the zoo yet (run models/make_zoo.py)")
        stamp_file = os.path.join(d, ".stamp")
        if os.path.exists(stamp_file) and open(stamp_file).read() == stamp:
            continue
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            os.remove(os.path.join(d, f))
        for k, x in enumerate(samples(make_zoo.MODELS[name], args.count)):
            np.save(os.path.join(d, f"{k:03d}.npy"), x)
        with open(stamp_file, "w") as f:
            f.write(stamp)
        print(f"make_calib: {name}: {args.count} samples -> {d}", file=sys.stderr)


if __name__ == "__main__":
    main()
