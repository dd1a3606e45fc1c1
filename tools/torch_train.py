#!/usr/bin/python3
"""Trains RepVGG with the official recipe in plain PyTorch, over repvgg4j's list and class files.

The other side of tools/training_parity.sh: the same lists, options and recipe as `repvgg train`,
written from the recipe and torchvision's standard pieces, not from repvgg4j. The network is
tools/torch_reference.py's copy of the official module structure (train form). Run with Debian's
python3-torch and python3-torchvision (PyTorch 1.13): /usr/bin/python3.

    /usr/bin/python3 tools/torch_train.py --train data/train.txt --val data/val.txt \
        --classes data/annotations.txt --arch A0 --epochs 12 --batch-size 64 --image-size 32 --seed 0

The recipe, option by option as `repvgg train` names it (defaults in brackets, as ours):
  --lr [0.1 x batch / 256]       peak rate; SGD, Nesterov momentum (--momentum 0.9), weight decay
                                 (--weight-decay 1e-4) on every tensor of two or more dimensions
                                 (convolution and linear weights), none on biases and batch norms
  --warmup-epochs [min(5, epochs / 10)]  linear warm-up per step, then cosine to --min-lr [0]
  --label-smoothing [0.1]
  --crop-scale [0.08,1]          RandomResizedCrop(image size, scale, ratio 3/4-4/3, bilinear),
                                 RandomHorizontalFlip, ToTensor, Normalize(ImageNet mean and std)
  --crop-ratio [0.875]           evaluation: resize the shorter side to round(size / ratio), centre
                                 crop size (see EvalCrop for how the crop is placed)
Images are converted to RGB (grey levels copied to the three channels, as ours decodes them).
Batches: a seeded shuffle per epoch, the last short batch dropped; validation in list order.

Threads: --threads (2) intra-op threads and --workers (one per core, as ours) DataLoader worker
processes. `repvgg train` runs libtorch's intra-op threads plus one image-decoding thread per core
(its --workers), so with the defaults both sides use the same number of threads.

Prints one JSON line per epoch, then a summary line ("summary": true). What is timed: per epoch,
from creating the epoch's batch iterator (so loading, decoding and augmentation of the first
batches are inside) to the end of the last optimizer step; validation is outside. Our side's
images_per_s in metrics.csv times the same span (TrainingRun.trainEpoch). The summary's
images_per_s is all training images over the sum of those spans.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from torch_reference import build

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# The paper's table, as our RepVggSpec has it: depths per stage, width multipliers, groups, SE.
A_DEPTHS, B_DEPTHS, D_DEPTHS = [2, 4, 14, 1], [4, 6, 16, 1], [8, 14, 24, 1]
ARCHS = {
    "A0": (A_DEPTHS, [0.75, 0.75, 0.75, 2.5], 1, False),
    "A1": (A_DEPTHS, [1.0, 1.0, 1.0, 2.5], 1, False),
    "A2": (A_DEPTHS, [1.5, 1.5, 1.5, 2.75], 1, False),
    "B0": (B_DEPTHS, [1.0, 1.0, 1.0, 2.5], 1, False),
    "B1": (B_DEPTHS, [2.0, 2.0, 2.0, 4.0], 1, False),
    "B1g2": (B_DEPTHS, [2.0, 2.0, 2.0, 4.0], 2, False),
    "B1g4": (B_DEPTHS, [2.0, 2.0, 2.0, 4.0], 4, False),
    "B2": (B_DEPTHS, [2.5, 2.5, 2.5, 5.0], 1, False),
    "B2g2": (B_DEPTHS, [2.5, 2.5, 2.5, 5.0], 2, False),
    "B2g4": (B_DEPTHS, [2.5, 2.5, 2.5, 5.0], 4, False),
    "B3": (B_DEPTHS, [3.0, 3.0, 3.0, 5.0], 1, False),
    "B3g2": (B_DEPTHS, [3.0, 3.0, 3.0, 5.0], 2, False),
    "B3g4": (B_DEPTHS, [3.0, 3.0, 3.0, 5.0], 4, False),
    "D2se": (D_DEPTHS, [2.5, 2.5, 2.5, 5.0], 1, True),
}


def parse_arch(text):
    """A variant name (A0, repvgg_a0, RepVGG-A0) or ours' custom form 'depths=..;widths=..[;groups=G][;se=true]'."""
    text = text.strip()
    if "=" in text:
        fields = dict(part.split("=", 1) for part in text.split(";"))
        return {"depths": [int(d) for d in fields["depths"].split(",")],
                "widths": [float(w) for w in fields["widths"].split(",")],
                "groups": int(fields.get("groups", 1)), "se": fields.get("se", "false").lower() == "true"}
    key = text.lower()
    for prefix in ("repvgg-", "repvgg_", "repvgg"):
        if key.startswith(prefix):
            key = key[len(prefix):]
            break
    for name, (depths, widths, groups, se) in ARCHS.items():
        if name.lower() == key:
            return {"depths": depths, "widths": widths, "groups": groups, "se": se}
    sys.exit("unknown arch %r; known: %s, or depths=..;widths=.." % (text, ", ".join(ARCHS)))


def java_round(x):
    """Java's Math.round (halves go up), which ours uses for the warm-up steps and the resize size."""
    return math.floor(x + 0.5)


# ---------------------------------------------------------------- data

def read_classes(path):
    """annotations.txt: '<class name> <index>' per line, indices 0..N-1; returns the names by index."""
    names = {}
    with open(path, encoding="utf-8-sig") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if line:
                name, _, index = line.rpartition(" ")
                names[int(index)] = name
    if sorted(names) != list(range(len(names))):
        sys.exit("%s: indices are not 0..%d" % (path, len(names) - 1))
    return [names[i] for i in range(len(names))]


def read_list(path, classes):
    """A labelled list: '<image path> <label>' per line, split at the last blank; relative paths
    resolve against the list's folder (docs/formats.md)."""
    folder = os.path.dirname(os.path.abspath(path))
    samples = []
    with open(path, encoding="utf-8-sig") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            split = max(line.rfind(" "), line.rfind("\t"))
            image, label = line[:split].strip(), int(line[split + 1:])
            if not 0 <= label < classes:
                sys.exit("%s:%d: label %d is out of range (%d classes)" % (path, n, label, classes))
            samples.append((os.path.normpath(os.path.join(folder, image)), label))
    return samples


class ListImages(Dataset):
    def __init__(self, samples, transform):
        self.samples = samples
        self.transform = transform

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        path, label = self.samples[i]
        with Image.open(path) as image:
            return self.transform(image.convert("RGB")), label


class EvalCrop:
    """Resize the shorter side to `resize`, centre-crop `size`, in one bilinear resample of the
    source box that the crop covers -- the geometry ours uses (ImageTransform.Eval). torchvision's
    Resize + CenterCrop gives the same picture except that its crop snaps to the resized image's
    pixel grid, up to half a pixel off centre; --eval-transform torchvision uses that instead."""

    def __init__(self, size, resize):
        self.size, self.resize = size, resize

    def __call__(self, image):
        width, height = image.size
        side = self.size * min(width, height) / self.resize
        crop_w, crop_h = min(side, width), min(side, height)
        x0, y0 = (width - crop_w) / 2, (height - crop_h) / 2
        return image.resize((self.size, self.size), Image.BILINEAR, box=(x0, y0, x0 + crop_w, y0 + crop_h))


def transforms_for(args):
    normalise = [transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)]
    train = transforms.Compose([
        transforms.RandomResizedCrop(args.image_size, scale=tuple(args.crop_scale), ratio=(3 / 4, 4 / 3),
                                     interpolation=transforms.InterpolationMode.BILINEAR),
        transforms.RandomHorizontalFlip()] + normalise)
    resize = java_round(args.image_size / args.crop_ratio)
    if args.eval_transform == "torchvision":
        crop = [transforms.Resize(resize, interpolation=transforms.InterpolationMode.BILINEAR),
                transforms.CenterCrop(args.image_size)]
    else:
        crop = [EvalCrop(args.image_size, resize)]
    return train, transforms.Compose(crop + normalise)


# ---------------------------------------------------------------- recipe

def learning_rate(step, base, minimum, warmup_steps, total_steps):
    """Ours' LearningRateSchedule: linear warm-up from base / warmup to base, then cosine to minimum."""
    if step < warmup_steps:
        return base * (step + 1) / warmup_steps
    decay_steps = max(1, total_steps - warmup_steps)
    progress = min(1.0, (step - warmup_steps) / decay_steps)
    return minimum + (base - minimum) * 0.5 * (1 + math.cos(math.pi * progress))


def optimizer_for(model, args):
    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    # Ours picks the exempt tensors by name (biases, batch norms); in RepVGG those are exactly the
    # tensors of fewer than two dimensions. Checked, so that a change to either side shows here.
    by_name = {n for n, p in model.named_parameters() if n.endswith(".bias") or ".bn." in n or "rbr_identity" in n}
    by_shape = {n for n, p in model.named_parameters() if p.ndim < 2}
    assert by_name == by_shape, "decay sets differ: %s" % sorted(by_name ^ by_shape)
    return torch.optim.SGD([{"params": decay, "weight_decay": args.weight_decay},
                            {"params": no_decay, "weight_decay": 0.0}],
                           lr=args.lr, momentum=args.momentum, nesterov=True)


def evaluate(model, loader):
    """Top-1, top-5 and plain (unsmoothed) cross-entropy over the whole list, as ours' Evaluation."""
    model.eval()
    loss_sum, top1, top5, count = 0.0, 0, 0, 0
    with torch.no_grad():
        for images, labels in loader:
            logits = model(images)
            loss_sum += F.cross_entropy(logits, labels, reduction="sum").item()
            best5 = logits.topk(min(5, logits.shape[1]), dim=1).indices
            top1 += (best5[:, 0] == labels).sum().item()
            top5 += (best5 == labels[:, None]).any(dim=1).sum().item()
            count += len(labels)
    return loss_sum / count, top1 / count, top5 / count


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--val", required=True)
    ap.add_argument("--classes", required=True)
    ap.add_argument("--arch", default="A0")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--image-size", type=int, default=224)
    ap.add_argument("--lr", type=float, help="peak learning rate (default: 0.1 x batch size / 256)")
    ap.add_argument("--min-lr", type=float, default=0.0)
    ap.add_argument("--warmup-epochs", type=float, help="default: 5, or a tenth of the epochs below 50")
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--crop-scale", type=lambda s: [float(v) for v in s.split(",")], default=[0.08, 1.0])
    ap.add_argument("--crop-ratio", type=float, default=0.875)
    ap.add_argument("--eval-transform", choices=["ours", "torchvision"], default="ours",
                    help="where the evaluation crop sits (see EvalCrop); default: as ours")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2, help="intra-op threads (default: 2)")
    ap.add_argument("--workers", type=int, default=os.cpu_count(),
                    help="DataLoader worker processes (default: one per core, as ours' --workers)")
    args = ap.parse_args()
    if args.lr is None:
        args.lr = 0.1 * args.batch_size / 256
    if args.warmup_epochs is None:
        args.warmup_epochs = min(5.0, args.epochs / 10.0)

    started = time.perf_counter()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    classes = read_classes(args.classes)
    train_tf, eval_tf = transforms_for(args)
    train_set = ListImages(read_list(args.train, len(classes)), train_tf)
    val_set = ListImages(read_list(args.val, len(classes)), eval_tf)
    # persistent_workers: ours keeps its decoding threads from epoch to epoch; so do these processes.
    common = {"num_workers": args.workers, "persistent_workers": args.workers > 0}
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, drop_last=True,
                              generator=torch.Generator().manual_seed(args.seed), **common)
    val_loader = DataLoader(val_set, batch_size=args.batch_size, shuffle=False, **common)

    spec = parse_arch(args.arch)
    model = build(spec, len(classes))
    sgd = optimizer_for(model, args)
    steps_per_epoch = len(train_loader)
    if steps_per_epoch < 1:
        sys.exit("the training list has %d images, fewer than one batch of %d" % (len(train_set), args.batch_size))
    total_steps = steps_per_epoch * args.epochs
    warmup_steps = min(total_steps, java_round(args.warmup_epochs * steps_per_epoch))

    step, history = 0, []
    train_images, train_seconds = 0, 0.0
    for epoch in range(args.epochs):
        model.train()
        epoch_start = time.perf_counter()
        loss_sum, correct, seen, lr = 0.0, 0, 0, args.lr
        for images, labels in train_loader:
            lr = learning_rate(step, args.lr, args.min_lr, warmup_steps, total_steps)
            for group in sgd.param_groups:
                group["lr"] = lr
            logits = model(images)
            loss = F.cross_entropy(logits, labels, label_smoothing=args.label_smoothing)
            sgd.zero_grad(set_to_none=True)
            loss.backward()
            sgd.step()
            # The same bookkeeping ours does per step (loss and train top-1), inside the timed span.
            loss_sum += loss.item() * len(labels)
            correct += (logits.argmax(1) == labels).sum().item()
            seen += len(labels)
            step += 1
        seconds = time.perf_counter() - epoch_start
        train_images += seen
        train_seconds += seconds
        val_loss, val_top1, val_top5 = evaluate(model, val_loader)
        row = {"epoch": epoch + 1, "lr": lr, "train_loss": loss_sum / seen, "train_top1": correct / seen,
               "val_loss": val_loss, "val_top1": val_top1, "val_top5": val_top5,
               "images_per_s": seen / seconds, "train_seconds": seconds,
               "seconds": time.perf_counter() - epoch_start}
        history.append(row)
        print(json.dumps(row), flush=True)

    best = max(history, key=lambda r: r["val_top1"])  # the first of equals, as ours keeps it
    print(json.dumps({
        "summary": True, "side": "pytorch", "torch": torch.__version__, "arch": args.arch, "seed": args.seed,
        "epochs": args.epochs, "batch_size": args.batch_size, "image_size": args.image_size, "lr": args.lr,
        "warmup_steps": warmup_steps, "total_steps": total_steps, "threads": args.threads, "workers": args.workers,
        "best_val_top1": best["val_top1"], "best_epoch": best["epoch"], "final_val_top1": history[-1]["val_top1"],
        "train_images": train_images, "train_seconds": train_seconds, "images_per_s": train_images / train_seconds,
        "wall_seconds": time.perf_counter() - started,
        "onednn_isa": os.environ.get("ONEDNN_MAX_CPU_ISA") or "(unset)"}), flush=True)


if __name__ == "__main__":
    main()
