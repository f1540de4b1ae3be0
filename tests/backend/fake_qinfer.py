#!/usr/bin/python3
"""A stand-in for the qinfer CLI that runs ONNX Runtime instead, to test the harnesses themselves.

    fake_qinfer.py run MODEL [--input NAME=FILE]... [--output-dir DIR] [--threads N] [other options ignored]

Same contract as `qinfer run`: FILE is .npy or an ONNX TensorProto .pb, inputs not given are random, every output
is written as DIR/NAME.npy with characters of NAME outside [A-Za-z0-9._-] replaced by '_'. .pb inputs are turned
into .npy and handed to tests/zoo/ort_run.js. With it, run_backend.py and run_zoo.py can be checked before the
real CLI exists (the backend tests then measure ORT against ONNX's expected outputs). onnxruntime-node comes from
$QINFER_CACHE (run_backend.py sets it to its --cache), as tests/common/ort_common.js describes.
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ORT_RUN = os.path.join(os.path.dirname(HERE), "zoo", "ort_run.js")


def main(argv):
    if not argv or argv[0] != "run":
        print("fake_qinfer: usage: fake_qinfer.py run MODEL [--input NAME=FILE]... [--output-dir DIR]",
              file=sys.stderr)
        return 2
    import numpy as np
    import onnx
    from onnx import numpy_helper
    model, out_dir, inputs = None, ".", []
    i = 1
    while i < len(argv):
        a = argv[i]
        if a in ("--input", "--output-dir", "--threads", "--isa", "--dim", "--shape"):
            if i + 1 >= len(argv):
                print(f"fake_qinfer: {a} needs a value", file=sys.stderr)
                return 2
            v = argv[i + 1]
            if a == "--input":
                name, _, f = v.rpartition("=")
                inputs.append((name, f))
            elif a == "--output-dir":
                out_dir = v
            i += 2
        elif model is None:
            model = a
            i += 1
        else:
            print(f"fake_qinfer: unexpected argument {a}", file=sys.stderr)
            return 2
    m = onnx.load(model, load_external_data=False)
    inits = {t.name for t in m.graph.initializer}
    given = {n for n, _ in inputs}
    with tempfile.TemporaryDirectory() as tmp:
        args = []
        for k, (name, f) in enumerate(inputs):
            if f.endswith(".pb"):
                t = onnx.TensorProto()
                with open(f, "rb") as fh:
                    t.ParseFromString(fh.read())
                f2 = os.path.join(tmp, f"in{k}.npy")
                np.save(f2, numpy_helper.to_array(t))
                f = f2
            args += ["--input", f"{name}={f}"]
        rng = np.random.default_rng(0)
        for k, vi in enumerate(m.graph.input):
            if vi.name in inits or vi.name in given:
                continue
            tt = vi.type.tensor_type
            shape = [d.dim_value if d.dim_value > 0 else 1 for d in tt.shape.dim]
            dt = onnx.helper.tensor_dtype_to_np_dtype(tt.elem_type) if hasattr(onnx.helper, "tensor_dtype_to_np_dtype") \
                else onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[tt.elem_type]
            f2 = os.path.join(tmp, f"rand{k}.npy")
            np.save(f2, rng.standard_normal(shape).astype(dt))
            args += ["--input", f"{vi.name}={f2}"]
        p = subprocess.run(["node", ORT_RUN, model, "--output-dir", out_dir] + args)
        if p.returncode == 0:
            try:
                os.unlink(os.path.join(out_dir, "ort.json"))
            except OSError:
                pass
        return p.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
