#!/usr/bin/python3
"""Checks `repvgg cam` against Grad-CAM computed in PyTorch on tools/torch_reference.py's RepVGG.

Run with Debian's python3-torch (PyTorch 1.13): /usr/bin/python3.

    /usr/bin/python3 tools/check_cam.py MODEL_DIR [--layer stage4] [--images 3] [--seed 0]

For each of --images random pictures (PNG, resize_size x resize_size pixels, so that the model's
resize is the identity and its center crop a whole-pixel slice), the script runs
`./repvgg cam --save-map` with PyTorch's top class, and computes the same map in PyTorch: a
forward hook keeps the layer's output, autograd gives the class score's gradient, and
relu(sum_c mean(grad_c) * A_c) is the map (float64). Exits 1 unless every map agrees within 1e-4 of
its largest value.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import torch

import torch_reference as ref

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_png(path, rgb):
    """An 8-bit RGB PNG, written with zlib alone (no imaging library is needed here)."""
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


def layer_module(net, name):
    """stage4 -> the last block of stage 4, stage3.5 -> block 5 of stage 3, stage0 -> the stem."""
    stage, _, index = name.partition(".")
    module = getattr(net, stage)
    if stage == "stage0":
        return module
    return module[int(index)] if index else module[-1]


def grad_cam(net, x, layer, class_index=None):
    kept = {}
    handle = layer_module(net, layer).register_forward_hook(lambda m, i, o: kept.update(a=o))
    logits = net(x)
    handle.remove()
    a = kept["a"]
    k = int(logits[0].argmax()) if class_index is None else class_index
    (grad,) = torch.autograd.grad(logits[0, k], a)
    weights = grad.mean(dim=(2, 3), keepdim=True)
    return k, torch.relu((weights * a).sum(dim=1))[0].detach().numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model_dir")
    ap.add_argument("--layer", default="stage4")
    ap.add_argument("--images", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    with open(os.path.join(args.model_dir, "model.json")) as f:
        config = json.load(f)
    spec, arch = ref.spec_from_model_json(config)
    net = ref.build(spec, config["num_classes"], deploy=config["form"] == "deploy").eval()
    net.load_state_dict(ref.read_safetensors(os.path.join(args.model_dir, "model.safetensors")), strict=True)
    net = net.double()
    size, resize = config["input_size"], config["resize_size"]
    if (resize - size) % 2:
        sys.exit("resize_size - input_size is odd (%d - %d): the crop is not a whole-pixel slice; "
                 "use a model with an even margin" % (resize, size))
    margin = (resize - size) // 2
    mean = np.array(config["mean"]).reshape(3, 1, 1)
    std = np.array(config["std"]).reshape(3, 1, 1)

    rng = np.random.default_rng(args.seed)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.images):
            # Noise at a coarser grid, upsampled: some structure for the map to find.
            coarse = rng.integers(0, 256, (resize // 4 + 1, resize // 4 + 1, 3), dtype=np.uint8)
            rgb = np.ascontiguousarray(coarse.repeat(4, 0).repeat(4, 1)[:resize, :resize])
            png = os.path.join(tmp, "image%d.png" % i)
            write_png(png, rgb)
            crop = rgb[margin:margin + size, margin:margin + size].astype(np.float64)
            x = torch.from_numpy(((crop.transpose(2, 0, 1) / 255.0 - mean) / std)[None].copy())
            k, expected = grad_cam(net, x, args.layer)
            out = os.path.join(tmp, "cam")
            run = subprocess.run([os.path.join(REPO, "repvgg"), "cam", "--model", args.model_dir, "--out", out,
                                  "--layer", args.layer, "--class", str(k), "--save-map", png],
                                 capture_output=True, text=True)
            if run.returncode != 0:
                sys.exit("repvgg cam failed:\n" + run.stderr)
            print(run.stdout.strip().splitlines()[-1])
            actual = np.load(os.path.join(out, "image%d.cam.npy" % i))
            ok &= ref.compare(expected, actual, "image %d, class %d, %s %s: PyTorch vs repvgg4j"
                              % (i, k, args.layer, "x".join(map(str, expected.shape))))
    print("RepVGG-%s %s form: %s" % (arch, config["form"], "all maps agree" if ok else "maps DIFFER"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
