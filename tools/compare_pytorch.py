#!/usr/bin/python3
"""PyTorch's side of the inference-speed comparison: the same networks, the same weights, timed.

RepVGG is built with tools/torch_reference.py's copy of the official module structure (train form:
rbr_dense / rbr_1x1 / rbr_identity; deploy form: stem + stages of one 3x3 conv `stageN.i.rbr_reparam`
+ ReLU each, then `linear`) and loads the model directories repvgg4j wrote (model.safetensors,
official key names) with load_state_dict(strict=True). SqueezeNet 1.1 and ResNet-18 are
torchvision's own models with their default (random) initialisation. Everything runs in eval mode
under torch.no_grad() with torch.set_num_threads(--threads). Prints one JSON object per measurement,
with the fields `repvgg bench --json` uses
(cpu_ms_per_run: process CPU time over the timed runs / runs, all threads, which other processes on a shared machine
do not inflate). Run with Debian's python3-torch (1.13): /usr/bin/python3.

    /usr/bin/python3 tools/compare_pytorch.py --train-dir A0_TRAIN --deploy-dir A0_DEPLOY --batch 1,32
    /usr/bin/python3 tools/compare_pytorch.py --deploy-dir A0_DEPLOY --write-check DIR   # input.npy + logits.npy
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
import torch
import torchvision

from torch_reference import build, read_safetensors, spec_from_model_json

BASELINES = {"squeezenet1_1": "SqueezeNet-1.1", "resnet18": "ResNet-18"}


def load_repvgg(model_dir):
    with open(os.path.join(model_dir, "model.json")) as f:
        config = json.load(f)
    spec, arch = spec_from_model_json(config)
    net = build(spec, config["num_classes"], deploy=config["form"] == "deploy")
    net.load_state_dict(read_safetensors(os.path.join(model_dir, "model.safetensors")), strict=True)
    return net.eval(), "RepVGG-" + arch, config["form"], config["num_classes"]


def time_forward(net, batch, size, warmup, iterations):
    x = torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(0))
    times = []
    with torch.no_grad():
        for i in range(warmup + iterations):
            if i == warmup:
                cpu_start = time.process_time()
            start = time.perf_counter()
            net(x)
            elapsed = (time.perf_counter() - start) * 1000
            if i >= warmup:
                times.append(elapsed)
    return times, (time.process_time() - cpu_start) * 1000 / iterations


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train-dir", help="RepVGG train-form model directory written by repvgg4j")
    ap.add_argument("--deploy-dir", help="RepVGG deploy-form model directory written by repvgg4j")
    ap.add_argument("--baseline", action="append", default=[], choices=sorted(BASELINES),
                    help="also time this torchvision model (repeatable)")
    ap.add_argument("--batch", default="1,32")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--write-check", metavar="DIR",
                    help="instead of timing: write DIR/input.npy (2 images) and the deploy net's DIR/logits.npy")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    if args.write_check:
        net, _, _, _ = load_repvgg(args.deploy_dir)
        x = torch.randn(2, 3, args.size, args.size, generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            logits = net(x)
        os.makedirs(args.write_check, exist_ok=True)
        np.save(os.path.join(args.write_check, "input.npy"), x.numpy())
        np.save(os.path.join(args.write_check, "logits.npy"), logits.numpy())
        return

    nets = []
    for d in (args.train_dir, args.deploy_dir):
        if d:
            nets.append(load_repvgg(d))
    for name in args.baseline:
        nets.append((getattr(torchvision.models, name)().eval(), BASELINES[name], "baseline", 1000))
    engine = "pytorch-python " + torch.__version__
    for batch in [int(b) for b in args.batch.split(",")]:
        for net, model, form, _ in nets:
            times, cpu_ms = time_forward(net, batch, args.size, args.warmup, args.iterations)
            median = statistics.median(times)
            print(json.dumps({"model": model, "form": form, "engine": engine, "batch": batch,
                              "threads": torch.get_num_threads(), "input_size": args.size,
                              "median_ms": round(median, 3), "min_ms": round(min(times), 3),
                              "max_ms": round(max(times), 3), "cpu_ms_per_run": round(cpu_ms, 3),
                              "images_per_s": round(batch * 1000 / median, 2)}),
                  flush=True)


if __name__ == "__main__":
    main()
