#!/usr/bin/python3
"""`qinfer quantize --method mse` against a numpy oracle of its range search (docs/quantization.md, "Calibration
methods", engine/quant/range_mse.c).

    run_range_mse.py --qinfer BUILD/tools/qinfer [-v]

A one-Conv model whose input x is calibrated on .npy samples this script writes, so x's 2048-bin histogram is known
exactly. numpy evaluates the expected squared error of every candidate range from its definition (each clipped
bin's squared distance to the range's end summed bin by bin, step^2 / 12 for each value inside, exact zeros left
out, the step that of the range holding 0), with no prefix sums, and the written scale and zero point of x must be
those of a range whose error is the least (within 1e-9, for sums taken in another order). Besides the oracle,
what the method is for:
  - relu: half exact zeros, a half-normal bulk and 4 values at 5, 6, 7 and 12: the top is cut below the max
    (minmax keeps 12) and above the bulk's 99.9th percentile;
  - relu_zeros: the same values with the zeros left in the rounding term would clip more: the written top must be
    the oracle's with zeros out, which is above the top of the oracle with zeros in (the zeros matter);
  - signed: a normal bulk with a long positive tail and a short negative one: both ends are searched, so the low
    end keeps a larger share of the minimum than the top keeps of the maximum (one factor for both ends, the
    search this replaced, cannot do that);
  - zeros: every sample 0 but one small value: the top within two bins of it (the value sits in the last bin,
    whose centre the model clips by half a bin);
  - uint16: the relu samples with --activations uint16: 65536 levels are finer than the histogram, the whole range.
"""
import argparse
import os
import shutil
import sys
import tempfile

import numpy as np
from run_entropy import histogram, one_conv_model, x_params
from run_quant_shapes import act_params, check, failures, run  # the uint8 formula and the report helpers

BINS, LEVELS = 2048, 256


def errors(values, zeros_out=True):
    """(E, bls, bhs, lo, width): E[a, b] the expected squared error (squared bin widths) of the candidate with low
    bin bls[a] and high bin bhs[b]; inf where the step would be under one bin."""
    raw, h, lo, hi, width = histogram(values)
    if not zeros_out:
        h = raw
    c = np.arange(BINS) + 0.5
    z = -lo / width
    zb = min(int(z), BINS - 1) if lo <= 0 <= hi else -1
    bls = np.arange(0, (zb if zb >= 0 else BINS - 1) + 1) if lo < 0 else np.array([0])
    bhs = np.arange(BINS - 1, (zb if zb >= 0 else 0) - 1, -1) if hi > 0 else np.array([BINS - 1])
    clip_lo = np.array([np.sum(h[:b] * (b - c[:b]) ** 2) for b in bls])
    below = np.array([h[:b].sum() for b in bls])
    clip_hi = np.array([np.sum(h[b + 1:] * (c[b + 1:] - (b + 1)) ** 2) for b in bhs])
    above = np.array([h[b + 1:].sum() for b in bhs])
    L, U = bls[:, None].astype(np.float64), bhs[None, :] + 1.0
    span = np.maximum(U, z) - np.minimum(L, z)
    inside = h.sum() - below[:, None] - above[None, :]
    e = clip_lo[:, None] + clip_hi[None, :] + inside * span * span / (12.0 * (LEVELS - 1) ** 2)
    e[(span < LEVELS - 1) | (U <= L)] = np.inf
    return e, bls, bhs, lo, hi, width


def oracle(values, zeros_out=True):
    """The least expected error and the (scale, zero point) of every candidate within 1e-9 of it, and the first
    least candidate's range (widest first: low end ascending, top descending)."""
    e, bls, bhs, lo, hi, width = errors(values, zeros_out)
    best = float(e.min())
    rng = lambda a, b: (lo if bls[a] == 0 else float(np.float32(lo + bls[a] * width)),
                        hi if bhs[b] == BINS - 1 else float(np.float32(lo + (bhs[b] + 1) * width)))
    near = np.argwhere(e <= best * (1 + 1e-9) + 1e-12)
    params = {act_params(*rng(a, b)) for a, b in near}
    a, b = np.unravel_index(int(np.argmin(e)), e.shape)
    return best, params, rng(a, b)


def distributions():
    rng = np.random.default_rng(11)

    def relu(side):
        v = np.abs(rng.standard_normal(3 * 8 * side * side))
        v[rng.random(v.size) < 0.5] = 0
        v[rng.choice(v.size, 4, replace=False)] = [5.0, 6.0, 7.0, 12.0]
        return v.reshape(3, 1, 8, side, side).astype(np.float32)

    r = relu(128)
    yield "relu", r, []
    yield "relu_zeros", r, []
    v = rng.standard_normal(3 * 8 * 128 * 128)
    v = np.where(v > 0, v * 1.8, np.maximum(v * 0.6, -2.2))
    v[rng.choice(v.size, 40, replace=False)] = rng.uniform(9.0, 11.0, 40)
    yield "signed", v.reshape(3, 1, 8, 128, 128).astype(np.float32), []
    v = np.zeros(3 * 8 * 64 * 64)
    v[5] = 0.25
    yield "zeros", v.reshape(3, 1, 8, 64, 64).astype(np.float32), []
    yield "uint16", r, ["--activations", "uint16"]


def x_params16(path):
    import onnx
    from onnx import numpy_helper
    m = onnx.load(path)
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    for n in m.graph.node:
        if n.op_type == "QuantizeLinear" and n.input[0] == "x":
            return np.float32(inits[n.input[1]]), int(inits[n.input[2]])
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qinfer", required=True)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="qi_quant_mse_")
    try:
        for name, samples, extra in distributions():
            fp32 = os.path.join(work, f"conv{samples.shape[-1]}.onnx")
            if not os.path.exists(fp32):
                one_conv_model(fp32, samples.shape[-1])
            calib = os.path.join(work, "calib_" + name)
            os.makedirs(calib)
            for k, s in enumerate(samples):
                np.save(os.path.join(calib, f"{k:03d}.npy"), s)
            q = os.path.join(work, name + ".q.onnx")
            rc, out = run(args.qinfer, "quantize", fp32, "-o", q, "--calib", calib, "--method", "mse", "--no-trim",
                          *extra)
            if args.verbose:
                print(out)
            check(rc == 0, f"{name}: qinfer quantize --method mse exits 0" + ("" if rc == 0 else ": " + out))
            if rc != 0:
                continue
            values = samples.ravel()
            lo, hi = float(values.min()), float(values.max())
            if name == "uint16":
                s, z = x_params16(q)
                want_s = np.float32((np.float32(hi) - np.float32(min(lo, 0.0))) / np.float32(65535))
                check(s == want_s and z == 0, f"uint16: the whole range [{lo}, {hi}]: scale {s}, zero point {z} "
                                              f"(want {want_s}, 0)")
                continue
            got = x_params(q)
            best, params, first = oracle(values)
            check(got in params, f"{name}: scale, zero point {got} are those of a least-error range (numpy: "
                                 f"[{first[0]:.6g}, {first[1]:.6g}] -> {act_params(*first)}, error {best:.6g})")
            s, zp = got
            r_lo, r_hi = float(s) * (0 - zp), float(s) * (255 - zp)
            if name == "relu":
                p999 = float(np.percentile(values[values > 0], 99.9))
                check(p999 < r_hi < 0.9 * hi, f"relu: the top {r_hi:.4g} lies between the bulk's 99.9th percentile "
                                              f"{p999:.4g} and 0.9 x max {hi:.4g}")
            elif name == "relu_zeros":
                _, _, with_zeros = oracle(values, zeros_out=False)
                check(r_hi > with_zeros[1] + float(s), f"relu_zeros: the top {r_hi:.4g} is above the one the exact "
                                                      f"zeros would choose ({with_zeros[1]:.4g})")
            elif name == "zeros":
                check(hi - 2 * hi / BINS <= r_hi <= hi, f"zeros: the top {r_hi:.6g} is the max {hi} within two bins")
            elif name == "signed":
                check(r_lo / lo > r_hi / hi + 0.02, f"signed: the low end keeps {r_lo / lo:.3f} of the min, more than "
                                                    f"the top keeps of the max ({r_hi / hi:.3f})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
