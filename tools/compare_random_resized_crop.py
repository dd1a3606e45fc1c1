#!/usr/bin/python3
"""Our RandomResizedCrop beside torchvision 0.14's, on PIL images: boxes, resampling, pixels.

    flock /tmp/repvgg-mvn.lock mvn -B -q -pl core compile
    flock /tmp/repvgg-mvn.lock /usr/bin/python3 tools/compare_random_resized_crop.py

Runs our side through tools/CropSamples.java (java on core/target/classes) and prints, side by side:
  1. the boxes, 20,000 per image size (square, landscape, and a tall image where the ten tries
     often fail): area fraction and aspect ratio (w / h) quantiles, the share of fallback crops,
     the box centre, and the two-sample Kolmogorov-Smirnov distance of each distribution
     (about 0.014 is what two samples of one distribution reach at 20,000 each, p = 0.05);
  2. resampling: one fixed box downscaled and one upscaled, by PIL's bilinear resize (which
     widens its filter when shrinking) and by our Resampler, max and mean difference in 8-bit levels;
  3. pixels after the whole train transform (crop, flip, ToTensor, Normalize), 2,000 crops of a
     Fashion-MNIST picture at 32 and 500 of a 640x480 picture with fine detail at 112: per channel
     mean, std, quantiles, and the mean |difference| of horizontal neighbours (aliasing raises it).
Needs Debian's python3-torch, python3-torchvision, python3-numpy and python3-pil.

    /usr/bin/python3 tools/compare_random_resized_crop.py --fixtures
writes instead the Pillow references ImageTransformTest checks Resampler.cropThenResize against:
core/src/test/resources/augment/crop_X_Y_WxH_to_S.png, the box of augment/input.png cut out and
resized to S x S with Image.BILINEAR, once enlarged and once shrunk. Deterministic.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from PIL import Image
from torchvision import transforms

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(REPO, "tools", "CropSamples.java")
CLASSES = os.path.join(REPO, "core", "target", "classes")
SCALE, RATIO = (0.08, 1.0), (3 / 4, 4 / 3)
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
N_BOXES = 20000


def java(*args):
    return subprocess.run(["java", "-cp", CLASSES, TOOL] + [str(a) for a in args], check=True,
                          capture_output=True, text=True).stdout


def ks(a, b):
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    return float(np.abs(np.searchsorted(a, grid, side="right") / len(a)
                        - np.searchsorted(b, grid, side="right") / len(b)).max())


def fallback(width, height):
    in_ratio = width / height
    if in_ratio < RATIO[0]:
        return (width, int(round(width / RATIO[0])))
    if in_ratio > RATIO[1]:
        return (int(round(height * RATIO[1])), height)
    return (width, height)


def box_stats(boxes, width, height):
    x, y, w, h = boxes.T.astype(np.float64)
    fw, fh = fallback(width, height)
    return {"area": w * h / (width * height), "ratio": w / h,
            "fallback": np.mean((w == fw) & (h == fh) & (x == (width - fw) // 2) & (y == (height - fh) // 2)),
            "cx": (x + w / 2) / width, "cy": (y + h / 2) / height}


def compare_boxes():
    print("== RandomResizedCrop boxes, %d per image size (torchvision | ours)" % N_BOXES)
    for width, height in ((28, 28), (640, 480), (200, 640)):
        torch.manual_seed(0)
        img = Image.new("RGB", (width, height))
        theirs = np.array([transforms.RandomResizedCrop.get_params(img, list(SCALE), list(RATIO)) for _ in range(N_BOXES)])
        theirs = theirs[:, [1, 0, 3, 2]]  # (i, j, h, w) -> (x, y, w, h)
        ours = np.array([list(map(int, line.split())) for line in java("boxes", width, height, N_BOXES, 0).splitlines()])
        t, o = box_stats(theirs, width, height), box_stats(ours, width, height)
        print("%dx%d" % (width, height))
        for key in ("area", "ratio"):
            qt = np.quantile(t[key], [0.05, 0.25, 0.5, 0.75, 0.95])
            qo = np.quantile(o[key], [0.05, 0.25, 0.5, 0.75, 0.95])
            print("  %-6s mean %.4f | %.4f   q5..q95 %s | %s   KS %.4f" % (
                key, t[key].mean(), o[key].mean(), np.round(qt, 3), np.round(qo, 3), ks(t[key], o[key])))
        print("  fallback share %.4f | %.4f   centre x %.4f | %.4f   centre y %.4f | %.4f   KS(cx) %.4f" % (
            t["fallback"], o["fallback"], t["cx"].mean(), o["cx"].mean(), t["cy"].mean(), o["cy"].mean(),
            ks(t["cx"], o["cx"])))


def detailed_picture(path):
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:480, 0:640]
    stripes = 127 + 120 * np.sin(xx * 1.9 + yy * 0.3)  # near Nyquist: what aliasing folds down
    rgb = np.stack([stripes, 60 + xx * 0.3, 200 - yy * 0.3], -1) + rng.normal(0, 20, (480, 640, 3))
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB").save(path)


def compare_resampling(tmp):
    print("== resampling one box: PIL crop + resize(BILINEAR) | our Resampler, 8-bit levels")
    picture = os.path.join(tmp, "detail.png")
    detailed_picture(picture)
    img = Image.open(picture)
    for (x, y, w, h), size in (((37, 21, 400, 300), 112), ((300, 200, 20, 24), 96)):
        pil = np.asarray(img.crop((x, y, x + w, y + h)).resize((size, size), Image.BILINEAR), np.float64)
        out = os.path.join(tmp, "ours.f32")
        java("resize", picture, x, y, w, h, size, out)
        ours = np.fromfile(out, "<f4").reshape(size, size, 3).astype(np.float64)
        d = np.abs(ours - pil)
        print("  box %dx%d -> %d (%s): max %.2f, mean %.3f" % (w, h, size, "down" if w > size else "up", d.max(), d.mean()))
    return picture


def pixel_stats(crops):
    c = crops.reshape(len(crops), 3, -1)
    per = [np.round([c[:, k].mean(), c[:, k].std()], 3) for k in range(3)]
    q = np.round(np.quantile(crops, [0.01, 0.25, 0.5, 0.75, 0.99]), 3)
    neighbours = np.abs(np.diff(crops, axis=-1)).mean()
    return per, q, neighbours


def compare_pixels(tmp, detail):
    print("== pixels after the train transform (torchvision | ours)")
    mnist = os.path.join(REPO, "examples", "fashion-mnist", "bag")
    mnist = os.path.join(mnist, sorted(os.listdir(mnist))[0])
    for path, size, crops in ((mnist, 32, 2000), (detail, 112, 500)):
        tv = transforms.Compose([transforms.RandomResizedCrop(size, SCALE, RATIO), transforms.RandomHorizontalFlip(),
                                 transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
        torch.manual_seed(0)
        img = Image.open(path).convert("RGB")
        theirs = np.stack([tv(img).numpy() for _ in range(crops)]).astype(np.float64)
        out = os.path.join(tmp, "crops.f32")
        java("pixels", path, size, crops, 0, out)
        ours = np.fromfile(out, "<f4").reshape(crops, 3, size, size).astype(np.float64)
        t, o = pixel_stats(theirs), pixel_stats(ours)
        print("%s at %d, %d crops" % (os.path.relpath(path, REPO) if path.startswith(REPO) else "640x480 detail",
                                      size, crops))
        print("  per channel (mean, std): %s | %s" % ([list(v) for v in t[0]], [list(v) for v in o[0]]))
        print("  quantiles 1,25,50,75,99%%: %s | %s   KS %.4f" % (t[1], o[1], ks(theirs.ravel()[::7], ours.ravel()[::7])))
        print("  mean |horizontal neighbour difference|: %.4f | %.4f" % (t[2], o[2]))


# (x, y, w, h, size) boxes of augment/input.png (40x32): enlarged, and shrunk.
FIXTURE_BOXES = ((5, 3, 12, 10, 32), (2, 1, 36, 30, 16))


def fixtures():
    folder = os.path.join(REPO, "core", "src", "test", "resources", "augment")
    img = Image.open(os.path.join(folder, "input.png")).convert("RGB")
    for x, y, w, h, size in FIXTURE_BOXES:
        name = "crop_%d_%d_%dx%d_to_%d.png" % (x, y, w, h, size)
        img.crop((x, y, x + w, y + h)).resize((size, size), Image.BILINEAR).save(os.path.join(folder, name))
        print("wrote", name)


def main():
    if sys.argv[1:] == ["--fixtures"]:
        fixtures()
        return
    if not os.path.isdir(CLASSES):
        sys.exit("build core first: mvn -B -q -pl core compile")
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        compare_boxes()
        detail = compare_resampling(tmp)
        compare_pixels(tmp, detail)


if __name__ == "__main__":
    main()
