#!/usr/bin/python3
"""PyTorch's record of 50 training steps of the official recipe, for TrainingStepsParityTest.

    flock /tmp/repvgg-mvn.lock /usr/bin/python3 tools/make_training_steps.py

Run with Debian's python3-torch (PyTorch 1.13, CPU), python3-numpy and python3-pil. Deterministic:
the same PyTorch writes the same numbers. The network is tools/torch_reference.py's copy of the
official RepVGG modules, tiny (stem 8 channels, 16 and 32 after it, one identity branch, grouped
layers 2 and 4, 10 classes), in train form with PyTorch's default initialisation (seed 0).

The recipe, as `repvgg train` runs it with --batch-size 8 --epochs 10 on 5 batches per epoch
(augmentation off, so the batches are fixed):
  SGD, momentum 0.9, Nesterov; weight decay 1e-4 on every parameter of more than one dimension
  (conv and linear kernels), none on biases, BN weights and biases, identity BNs;
  cross-entropy with label smoothing 0.1, mean over the batch;
  learning rate per step: the recipe's 0.1 x 8 / 256 for a batch of 8, reached by a linear warm-up
  over the first 5 steps (one epoch: a tenth of the run), then a cosine to 0 over the remaining 45. It is computed here with
  PyTorch's own schedulers (LinearLR then CosineAnnealingLR), not with our formula;
  BatchNorm in train mode, momentum 0.1, eps 1e-5 (running variance unbiased, as PyTorch keeps it).

Output (core/src/test/resources/training-steps/):
  initial.safetensors        the weights before step 1, official key names (no num_batches_tracked)
  images.npy                 float32 [32, 3, 32, 32]: 32 Fashion-MNIST pictures from examples/,
                             resized to 32x32 (PIL bilinear), /255, grey to RGB with gammas 1, 0.5
                             and 2 (see pictures()), ImageNet mean/std
  labels.npy                 int64 [32]: their class indices (the folders in sorted order)
  batches.npy                int64 [50, 8]: the images of each step's batch, by index
  losses.npy, lrs.npy        float64 [50]: each step's loss (before its update) and learning rate
  weights_after_N.safetensors   every tensor (BN running statistics included) after step N
  grads_at_N.safetensors        every parameter's gradient at step N, before its update
  velocity_after_N.safetensors  every parameter's momentum buffer after step N (it holds the weight
                                decay term, which the weights show only after many steps)
  init_std.tsv               arch, key, fan_in, std and max |w| of fresh PyTorch modules (pooled
                             over 20 seeds) of this network and of one with SE blocks: the
                             initialisation our fresh networks are compared with (FreshWeightsTest)
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_reference import build, save_npy, spec_string, write_safetensors  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "core", "src", "test", "resources", "training-steps")
EXAMPLES = os.path.join(REPO, "examples", "fashion-mnist")

# Must match TrainingStepsParityTest.ARCH.
SPEC = {"depths": [1, 2, 1, 1], "widths": [0.125, 0.125, 0.0625, 0.0625], "groups": 2}
CLASSES = 10
SIZE = 32
POOL = 32
BATCH = 8
STEPS = 50
WARMUP = 5
# The recipe's rate for a batch of 8. At 0.1 or 0.02 these 50 steps are chaotic: PyTorch's own
# float32 run ends 5% (0.1) and 2% (0.02) away in loss from its float64 run, so no two float32
# implementations could agree to 1e-4; at 0.1 x 8 / 256 float32 stays within 3e-7 of float64.
LR = 0.1 * BATCH / 256
MOMENTUM = 0.9
WEIGHT_DECAY = 1e-4
SMOOTHING = 0.1
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
SAVE_WEIGHTS = (1, 2, 10, 25, 50)
SAVE_GRADS = (1, 2, 10, 50)
INIT_SEEDS = 20
# SE on every block: the SE convolutions' biases are initialised too.
SE_SPEC = {"depths": [1, 1, 1, 1], "widths": [0.25, 0.25, 0.25, 0.25], "se": True}


def pictures():
    classes = sorted(os.listdir(EXAMPLES))
    assert len(classes) == CLASSES, classes
    per_class = POOL // CLASSES + 1
    images, labels = [], []
    for label, name in enumerate(classes):
        for file in sorted(os.listdir(os.path.join(EXAMPLES, name)))[:per_class]:
            grey = Image.open(os.path.join(EXAMPLES, name, file)).convert("L").resize((SIZE, SIZE), Image.BILINEAR)
            g = np.asarray(grey, dtype=np.float32) / 255.0
            # Not grey: with three copies of one channel (affine functions of one another after
            # normalisation) a 1x1 convolution on the image followed by BN does not depend on its
            # weights, and its true gradient is zero; float32 then gives rounding noise (PyTorch's
            # own float32 gradient was 11% off its float64 one). Three gammas make three channels.
            rgb = np.stack([g, np.sqrt(g), g * g])
            images.append((rgb - np.array(MEAN, np.float32)[:, None, None]) / np.array(STD, np.float32)[:, None, None])
            labels.append(label)
    order = np.random.default_rng(1).permutation(len(images))[:POOL]
    return np.stack([images[i] for i in order]).astype(np.float32), np.array([labels[i] for i in order], np.int64)


def state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}


def optimizer(model):
    # The official recipe's groups: no decay on anything of one dimension (biases, BN scales and shifts).
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    return torch.optim.SGD([{"params": decay, "weight_decay": WEIGHT_DECAY},
                            {"params": no_decay, "weight_decay": 0.0}],
                           lr=LR, momentum=MOMENTUM, nesterov=True)


def schedule(sgd):
    warm = torch.optim.lr_scheduler.LinearLR(sgd, start_factor=1.0 / WARMUP, end_factor=1.0, total_iters=WARMUP - 1)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(sgd, T_max=STEPS - WARMUP, eta_min=0.0)
    return torch.optim.lr_scheduler.SequentialLR(sgd, [warm, cosine], milestones=[WARMUP])


def init_std(out):
    """Per tensor, the spread of PyTorch's default initialisation, pooled over seeds."""
    rows = ["arch\tkey\tfan_in\tstd\tmax_abs"]
    for spec in (SPEC, SE_SPEC):
        pooled = {}
        for seed in range(INIT_SEEDS):
            torch.manual_seed(seed)
            for name, p in build(spec, CLASSES).named_parameters():
                pooled.setdefault(name, []).append(p.detach().flatten())
        fans = {}
        for name, module in build(spec, CLASSES).named_modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                fans[name + ".weight"] = fans[name + ".bias"] = module.weight[0].numel()
        for name, values in pooled.items():
            v = torch.cat(values).double()
            rows.append("%s\t%s\t%s\t%.6g\t%.6g" % (spec_string(spec), name, fans.get(name, ""),
                                                   v.std(unbiased=False).item(), v.abs().max().item()))
    with open(os.path.join(out, "init_std.tsv"), "w") as f:
        f.write("\n".join(rows) + "\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)  # one thread: the same sums in the same order on any machine
    images, labels = pictures()
    batches = np.stack([np.random.default_rng(100 + s).permutation(POOL)[:BATCH] for s in range(STEPS)])
    save_npy(os.path.join(OUT, "images.npy"), images)
    save_npy(os.path.join(OUT, "labels.npy"), labels)
    save_npy(os.path.join(OUT, "batches.npy"), batches.astype(np.int64))

    torch.manual_seed(0)
    model = build(SPEC, CLASSES).train()
    write_safetensors(os.path.join(OUT, "initial.safetensors"), state(model))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=SMOOTHING)
    sgd = optimizer(model)
    lr_schedule = schedule(sgd)
    losses, lrs = [], []
    x_all, y_all = torch.from_numpy(images), torch.from_numpy(labels)
    for step in range(1, STEPS + 1):
        idx = torch.from_numpy(batches[step - 1])
        sgd.zero_grad(set_to_none=True)
        loss = loss_fn(model(x_all[idx]), y_all[idx])
        loss.backward()
        lrs.append(sgd.param_groups[0]["lr"])
        losses.append(loss.item())
        if step in SAVE_GRADS:
            write_safetensors(os.path.join(OUT, "grads_at_%d.safetensors" % step),
                              {k: p.grad.detach().clone() for k, p in model.named_parameters()})
        sgd.step()
        lr_schedule.step()
        if step in SAVE_GRADS:
            write_safetensors(os.path.join(OUT, "velocity_after_%d.safetensors" % step),
                              {k: sgd.state[p]["momentum_buffer"].clone() for k, p in model.named_parameters()})
        if step in SAVE_WEIGHTS:
            write_safetensors(os.path.join(OUT, "weights_after_%d.safetensors" % step), state(model))
    save_npy(os.path.join(OUT, "losses.npy"), np.array(losses, np.float64))
    save_npy(os.path.join(OUT, "lrs.npy"), np.array(lrs, np.float64))
    init_std(OUT)
    print("loss %.4f -> %.4f; lr %s ... %s" % (losses[0], losses[-1], lrs[:6], lrs[-1]))


if __name__ == "__main__":
    main()
