#!/usr/bin/python3
"""Writes scikit-learn's bundled handwritten digits as a folder of class folders of PNGs.

A second small real data set for tools/training_parity.sh: 1,797 handwritten digits as 8x8 grey
pictures (from UCI's "Optical Recognition of Handwritten Digits"), 10 classes, shipped inside
Debian's python3-sklearn, so nothing is downloaded. Deterministic: the same package writes the same files.

    apt-get install -y python3-sklearn
    /usr/bin/python3 tools/make_digits_set.py --out /tmp/digits-png
    ./repvgg split --input /tmp/digits-png --out /tmp/digits --val-ratio 0.2 --seed 0

Each image is written upscaled to --size (32) with PIL's bilinear filter, 8-bit grey. Why not 8x8:
RandomResizedCrop draws its box in whole source pixels, so on an 8x8 picture its crops are a few
coarse boxes (at the smallest scale, 0.08 of 64 pixels, a 2x2 patch) instead of the near-continuous
range the recipe means; at 32x32 the grid is as fine as Fashion-MNIST's 28x28. The upscale is done
once here, so both trainers read the same stored pixels.
"""
import argparse
import os

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="a new or empty folder")
    ap.add_argument("--size", type=int, default=32, help="side of the written images (default 32; 8 keeps them as they are)")
    args = ap.parse_args()
    if os.path.isdir(args.out) and os.listdir(args.out):
        raise SystemExit("%s is not empty; give a new folder" % args.out)
    digits = load_digits()
    # Values are ink counts 0..16 per pixel (4x4 blocks of a 32x32 bitmap); 16 becomes white.
    pixels = np.rint(digits.images * (255.0 / 16.0)).astype(np.uint8)
    counts = [0] * 10
    for index, (image, label) in enumerate(zip(pixels, digits.target)):
        folder = os.path.join(args.out, "digit_%d" % label)
        os.makedirs(folder, exist_ok=True)
        picture = Image.fromarray(image, mode="L")
        if args.size != picture.width:
            picture = picture.resize((args.size, args.size), Image.BILINEAR)
        picture.save(os.path.join(folder, "%04d.png" % index))
        counts[label] += 1
    print("wrote %d images of %dx%d to %s: %s" % (len(pixels), args.size, args.size, args.out,
                                                   ", ".join("%d: %d" % (d, n) for d, n in enumerate(counts))))


if __name__ == "__main__":
    main()
