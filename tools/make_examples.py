#!/usr/bin/python3
"""Write the small Fashion-MNIST example set that `./repvgg demo` trains on.

Reads the IDX files shipped by Debian's dataset-fashion-mnist package and writes
the first N images of each class (in file order) as 8-bit grayscale PNGs:

    <out>/<class>/train_<index>.png     index = position in the source file

Standard library only, so it runs on any Python 3. Output is deterministic:
the same source files and zlib give byte-identical PNGs.
"""
import argparse
import gzip
import os
import struct
import zlib

# Label order 0..9 as defined by Fashion-MNIST; names are filesystem-safe.
CLASSES = ["t-shirt_top", "trouser", "pullover", "dress", "coat",
           "sandal", "shirt", "sneaker", "bag", "ankle_boot"]

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IDX_UBYTE = 0x08  # IDX data type code for unsigned bytes


def read_idx_header(f, ndim):
    magic = struct.unpack(">I", f.read(4))[0]
    if magic != (IDX_UBYTE << 8 | ndim):
        raise ValueError(f"{f.name}: bad IDX magic {magic:#010x}, expected {ndim}-dim ubyte")
    return struct.unpack(f">{ndim}I", f.read(4 * ndim))


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data)))


def gray_png(pixels, width, height):
    # Each scanline needs a leading filter byte; 0 (none) keeps it simple and small enough.
    raw = b"".join(b"\0" + pixels[y * width:(y + 1) * width] for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit, colour type 0
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-class", type=int, default=300, metavar="N",
                    help="images per class (default 300)")
    ap.add_argument("--out", metavar="DIR", default=os.path.join(REPO, "examples", "fashion-mnist"),
                    help="output folder (default examples/fashion-mnist in this repository)")
    ap.add_argument("--source", metavar="DIR", default="/usr/share/datasets/fashion-mnist",
                    help="folder holding the *-idx*-ubyte.gz files (default: Debian's dataset-fashion-mnist)")
    args = ap.parse_args()

    with gzip.open(os.path.join(args.source, "train-labels-idx1-ubyte.gz")) as f:
        (count,) = read_idx_header(f, 1)
        labels = f.read(count)
    if len(labels) != count:
        raise ValueError("label file is truncated")

    counts = [0] * len(CLASSES)
    files = size = 0
    with gzip.open(os.path.join(args.source, "train-images-idx3-ubyte.gz")) as f:
        n, rows, cols = read_idx_header(f, 3)
        if n != count:
            raise ValueError(f"{n} images but {count} labels")
        # Stream image by image so we can stop as soon as every class is full.
        for index in range(n):
            if min(counts) >= args.per_class:
                break
            pixels = f.read(rows * cols)
            label = labels[index]
            if counts[label] >= args.per_class:
                continue
            counts[label] += 1
            folder = os.path.join(args.out, CLASSES[label])
            os.makedirs(folder, exist_ok=True)
            data = gray_png(pixels, cols, rows)
            with open(os.path.join(folder, f"train_{index:05d}.png"), "wb") as out:
                out.write(data)
            files += 1
            size += len(data)

    if min(counts) < args.per_class:
        print(f"warning: some classes have fewer than {args.per_class} images: {counts}")
    # Files from an earlier run with a larger N are not ours to guess about; just flag them.
    present = sum(len(os.listdir(os.path.join(args.out, c)))
                  for c in CLASSES if os.path.isdir(os.path.join(args.out, c)))
    if present != files:
        print(f"warning: {args.out} holds {present} files, {present - files} not written by this run")
    print(f"wrote {files} files, {size} bytes ({size / 1024:.1f} KiB) to {args.out}")


if __name__ == "__main__":
    main()
