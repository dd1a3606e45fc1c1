#!/usr/bin/python3
"""Writes the Pillow reference images that AugmentOpsTest checks data/augment/ImageOps against.

Run with Debian's Python and python3-pil (Pillow 9.4): /usr/bin/python3 tools/make_augment_fixtures.py

Output (core/src/test/resources/augment/): input.png, a 40x32 RGB picture with gradients, a
disc, noise and a constant channel region; one PNG per operation and argument, made by Pillow the
way timm's auto_augment.py calls it (bilinear resampling, fill (124, 116, 104) for geometry); and
manifest.tsv: file, operation, argument. Deterministic.
"""
import os

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "core", "src", "test", "resources", "augment")
FILL = (124, 116, 104)


def picture():
    rng = np.random.default_rng(7)
    h, w = 32, 40
    y, x = np.mgrid[0:h, 0:w]
    r = 40 + 5 * x
    g = 30 + 6 * y
    b = np.where((x - 26) ** 2 + (y - 12) ** 2 < 64, 220, 60)
    rgb = np.stack([r, g, b], axis=-1).astype(np.int64) + rng.integers(-12, 13, (h, w, 3))
    rgb[24:, :10] = (90, 90, 90)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")


def affine(img, matrix):
    return img.transform(img.size, Image.AFFINE, matrix, resample=Image.BILINEAR, fillcolor=FILL)


OPERATIONS = [
    ("invert", None, lambda img, a: ImageOps.invert(img)),
    ("autocontrast", None, lambda img, a: ImageOps.autocontrast(img)),
    ("equalize", None, lambda img, a: ImageOps.equalize(img)),
    ("solarize", 128, lambda img, a: ImageOps.solarize(img, a)),
    ("solarize", 64, lambda img, a: ImageOps.solarize(img, a)),
    ("solarizeadd", 70, lambda img, a: img.point([min(255, i + a) if i < 128 else i for i in range(256)] * 3)),
    ("posterize", 3, lambda img, a: ImageOps.posterize(img, a)),
    ("posterize", 6, lambda img, a: ImageOps.posterize(img, a)),
    ("color", 0.3, lambda img, a: ImageEnhance.Color(img).enhance(a)),
    ("color", 1.7, lambda img, a: ImageEnhance.Color(img).enhance(a)),
    ("contrast", 0.4, lambda img, a: ImageEnhance.Contrast(img).enhance(a)),
    ("contrast", 1.8, lambda img, a: ImageEnhance.Contrast(img).enhance(a)),
    ("brightness", 0.5, lambda img, a: ImageEnhance.Brightness(img).enhance(a)),
    ("brightness", 1.6, lambda img, a: ImageEnhance.Brightness(img).enhance(a)),
    ("sharpness", 0.1, lambda img, a: ImageEnhance.Sharpness(img).enhance(a)),
    ("sharpness", 1.9, lambda img, a: ImageEnhance.Sharpness(img).enhance(a)),
    ("shearx", 0.25, lambda img, a: affine(img, (1, a, 0, 0, 1, 0))),
    ("sheary", -0.2, lambda img, a: affine(img, (1, 0, 0, a, 1, 0))),
    ("translatex", 7.5, lambda img, a: affine(img, (1, 0, a, 0, 1, 0))),
    ("translatey", -5.0, lambda img, a: affine(img, (1, 0, 0, 0, 1, a))),
    ("rotate", 23.0, lambda img, a: img.rotate(a, resample=Image.BILINEAR, fillcolor=FILL)),
    ("rotate", -11.5, lambda img, a: img.rotate(a, resample=Image.BILINEAR, fillcolor=FILL)),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    img = picture()
    img.save(os.path.join(OUT, "input.png"))
    rows = []
    for name, arg, fn in OPERATIONS:
        file = name + ("" if arg is None else "_" + str(arg)) + ".png"
        fn(img, arg).save(os.path.join(OUT, file))
        rows.append("%s\t%s\t%s" % (file, name, "" if arg is None else arg))
    with open(os.path.join(OUT, "manifest.tsv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    print("wrote %d operations to %s" % (len(rows), OUT))


if __name__ == "__main__":
    main()
