#!/usr/bin/python3
"""Loads a TorchScript file written by `repvgg export --format torchscript` in PyTorch, and checks
its logits against tools/torch_reference.py's RepVGG built from the same model directory.

Run with Debian's python3-torch (PyTorch 1.13): /usr/bin/python3.

    /usr/bin/python3 tools/check_torchscript.py model.pt MODEL_DIR [--batch 2] [--seed 0]

MODEL_DIR is the directory the file was exported from (train or deploy form, model.json and
model.safetensors). Prints the metadata the file carries (extra/repvgg.json), the parameter count,
and the comparison on a random batch; exits non-zero unless the two agree within 1e-4 of the
output scale.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

import torch_reference as ref


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("model_dir")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    extra = {"repvgg.json": ""}
    scripted = torch.jit.load(args.file, map_location="cpu", _extra_files=extra).eval()
    meta = json.loads(extra["repvgg.json"])
    params = sum(p.numel() for p in scripted.parameters())
    print(f"{args.file}: torch.jit.load passed (PyTorch {torch.__version__}); {params:,} parameters; "
          f"arch {meta['arch']}, {meta['num_classes']} classes, input {meta['input_size']}x{meta['input_size']}")

    with open(os.path.join(args.model_dir, "model.json")) as f:
        config = json.load(f)
    spec, _ = ref.spec_from_model_json(config)
    net = ref.build(spec, config["num_classes"], deploy=config["form"] == "deploy").eval()
    net.load_state_dict(ref.read_safetensors(os.path.join(args.model_dir, "model.safetensors")), strict=True)

    size = int(meta["input_size"])
    x = torch.from_numpy(np.random.default_rng(args.seed).standard_normal((args.batch, 3, size, size)).astype(np.float32))
    with torch.no_grad():
        expected = net(x).numpy()
        actual = scripted(x).numpy()
    ok = ref.compare(expected, actual, "TorchScript file vs PyTorch RepVGG")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
