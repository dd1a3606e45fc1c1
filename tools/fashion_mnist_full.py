#!/usr/bin/python3
"""Turn the whole Fashion-MNIST (Debian's dataset-fashion-mnist) into the toolkit's layout.

Writes <out>/train/<class>/train_<index>.png (60,000) and <out>/test/<class>/test_<index>.png
(10,000), plus annotations.txt, train.txt and test.txt (paths relative to <out>), ready for

    ./repvgg train --train <out>/train.txt --val <out>/test.txt --classes <out>/annotations.txt ...

Usage: /usr/bin/python3 tools/fashion_mnist_full.py --out /tmp/fashion-mnist
"""
import argparse
import gzip
import os

from make_examples import CLASSES, gray_png, read_idx_header


def convert(source, out, split, prefix):
    with gzip.open(os.path.join(source, f"{prefix}-labels-idx1-ubyte.gz")) as f:
        (count,) = read_idx_header(f, 1)
        labels = f.read(count)
    lines = []
    with gzip.open(os.path.join(source, f"{prefix}-images-idx3-ubyte.gz")) as f:
        n, rows, cols = read_idx_header(f, 3)
        if n != count or len(labels) != count:
            raise ValueError(f"{prefix}: {n} images but {len(labels)} labels")
        for index in range(n):
            label = labels[index]
            rel = f"{split}/{CLASSES[label]}/{split}_{index:05d}.png"
            path = os.path.join(out, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as png:
                png.write(gray_png(f.read(rows * cols), cols, rows))
            lines.append(f"{rel} {label}\n")
    with open(os.path.join(out, f"{split}.txt"), "w") as lst:
        lst.writelines(lines)
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, metavar="DIR")
    ap.add_argument("--source", default="/usr/share/datasets/fashion-mnist", metavar="DIR")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "annotations.txt"), "w") as f:
        f.writelines(f"{name} {i}\n" for i, name in enumerate(CLASSES))
    train = convert(args.source, args.out, "train", "train")
    test = convert(args.source, args.out, "test", "t10k")
    print(f"wrote {train} training and {test} test images, annotations.txt, train.txt, test.txt to {args.out}")


if __name__ == "__main__":
    main()
