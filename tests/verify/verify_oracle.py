"""Face-verification metrics in numpy, written from the definitions in docs/cli.md ("qinfer eval-verify") and
independently of tools/verify_metrics.c: the threshold search tries every candidate by brute force, the AUC counts
every genuine x impostor pair, TAR@FAR sorts the impostor scores with numpy."""
import math

import numpy as np

FAR_TARGETS = (1e-3, 1e-4)


def cosine(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    na, nb = np.sqrt((a * a).sum(-1)), np.sqrt((b * b).sum(-1))
    dot = (a * b).sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((na > 0) & (nb > 0), dot / (na * nb), 0.0)


def candidates(train_scores):
    """-inf, between each two consecutive distinct scores a < b the midpoint (or a where the midpoint rounds to b,
    for adjacent doubles), +inf."""
    u = [float(x) for x in np.unique(train_scores)]
    mids = []
    for a, b in zip(u, u[1:]):
        m = (a + b) / 2
        mids.append(m if m < b else a)
    return [-math.inf] + mids + [math.inf]


def ten_fold(scores, same, folds, n_folds):
    accs, ths = [], []
    for f in range(n_folds):
        tr, te = folds != f, folds == f
        best_t, best = None, -1
        for t in candidates(scores[tr]):  # ascending: the first maximum is the lowest threshold
            right = int(((scores[tr] > t) == same[tr]).sum())
            if right > best:
                best, best_t = right, t
        accs.append(((scores[te] > best_t) == same[te]).mean() if te.any() else 0.0)
        ths.append(best_t)
    accs = np.array(accs, np.float64)
    return accs, ths


def roc_auc(scores, same):
    g, i = scores[same], scores[~same]
    greater = (g[:, None] > i[None, :]).sum()
    equal = (g[:, None] == i[None, :]).sum()
    return (2 * float(greater) + float(equal)) / 2 / (len(g) * len(i))


def tar_at_far(scores, same, far):
    imp = np.sort(scores[~same])[::-1]
    k = math.floor(far * len(imp))
    if far > 0 and k == 0:
        return None
    t = imp[k]
    return float((scores[same] > t).sum()) / same.sum()


def metrics(scores, same, folds, n_folds):
    scores = np.asarray(scores, np.float64)
    same = np.asarray(same, bool)
    folds = np.asarray(folds)
    accs, ths = ten_fold(scores, same, folds, n_folds)
    total = 0.0  # summed in fold order, as the definition reads (numpy's pairwise sum may round differently)
    for a in accs:
        total += float(a)
    mean = total / n_folds
    var = 0.0
    for a in accs:
        var += (float(a) - mean) * (float(a) - mean)
    return {
        "accuracy_mean": mean,
        "accuracy_std": math.sqrt(var / n_folds),
        "fold_accuracy": list(accs),
        "fold_threshold": ths,
        "roc_auc": roc_auc(scores, same),
        "tar_at_far": {f"{f:g}": tar_at_far(scores, same, f) for f in FAR_TARGETS},
        "tar_at_far0": tar_at_far(scores, same, 0.0),
    }


def int8_roundtrip(e):
    """Per-vector symmetric INT8 storage in float32 arithmetic: scale = max|e| / 127, q = round half to even."""
    e = np.asarray(e, np.float32)
    maxabs = np.abs(e).max(axis=-1, keepdims=True)
    scale = np.where(maxabs > 0, maxabs / np.float32(127), np.float32(1)).astype(np.float32)
    q = np.clip(np.rint(e / scale), -127, 127).astype(np.float32)
    return q * scale
