#!/usr/bin/python3
"""PyTorch reference for repvgg4j: checkpoints, inputs and PyTorch's own logits to check ours against.

Run with Debian's python3-torch (PyTorch 1.13, CPU) and python3-numpy: /usr/bin/python3.
The network is built here from this file's own code, a copy of the official RepVGG module
structure (RepVGGBlock with rbr_dense / rbr_1x1 / rbr_identity, SEBlock, rbr_reparam, and the
official get_equivalent_kernel_bias conversion), not from repvgg4j.

Modes:

  fixtures [--out DIR]
      Writes the small cross-check fixtures (default core/src/test/resources/torch/): two tiny
      RepVGG networks with random weights and random BN statistics -- G (grouped: depths 2,2,2,1,
      groups 2) and S (squeeze-excitation on every block) -- saved in the three key layouts
      (official, timm, mmcls), train and deploy form, each as a torch.save zip .pth and as a
      .safetensors file; one input.npy; PyTorch's logits for every fixture; manifest.tsv that
      says which logits go with which fixture. Also tensors.pth (dtypes, views and strides for
      the checkpoint reader), and files we refuse with advice: legacy.pth (the pre-1.6 format),
      whole_module.pth (torch.save of a module, not its state dict) and torchscript.pt.
      Deterministic: the same PyTorch gives byte-identical files (torchscript.pt once came out
      with different zip bytes but the same entries; nothing reads its bytes).

  full-a0 --out DIR
      A full-size RepVGG-A0 (1000 classes) official train checkpoint a0_train.pth with random
      BN statistics, input.npy (2 x 3 x 224 x 224) and PyTorch's logits.npy. About 36 MB: not
      for the repository.

  compare --expected A.npy --actual B.npy
      Prints max |A - B|, max |A| and their ratio; exits 1 if the ratio exceeds 1e-4.

  reverse --model DIR --input X.npy --expected Y.npy
      The other direction: builds the PyTorch network from DIR/model.json (arch, form, classes),
      loads DIR/model.safetensors (written by repvgg4j) with load_state_dict(strict=True), runs
      X.npy and compares with Y.npy (e.g. `repvgg predict --tensor X.npy --save-logits Y.npy`).
      tools/check_reverse.sh runs the whole round trip.

There is no safetensors package here; safetensors files are written and read by hand below
(8-byte little-endian header length, JSON header sorted by key, padded with spaces to 8 bytes,
then the raw little-endian tensor data).
"""
import argparse
import collections
import copy
import json
import os
import re
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO, "core", "src", "test", "resources", "torch")
TOLERANCE = 1e-4


# ---------------------------------------------------------------- the official module structure

class SEBlock(nn.Module):
    def __init__(self, input_channels, internal_neurons):
        super().__init__()
        self.down = nn.Conv2d(input_channels, internal_neurons, kernel_size=1, stride=1, bias=True)
        self.up = nn.Conv2d(internal_neurons, input_channels, kernel_size=1, stride=1, bias=True)
        self.input_channels = input_channels

    def forward(self, inputs):
        x = F.avg_pool2d(inputs, kernel_size=inputs.size(3))
        x = F.relu(self.down(x))
        x = torch.sigmoid(self.up(x))
        return inputs * x.view(-1, self.input_channels, 1, 1)


def conv_bn(in_channels, out_channels, kernel_size, stride, padding, groups=1):
    result = nn.Sequential()
    result.add_module("conv", nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding,
                                        groups=groups, bias=False))
    result.add_module("bn", nn.BatchNorm2d(out_channels))
    return result


class RepVGGBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1, groups=1, deploy=False, use_se=False):
        super().__init__()
        self.groups = groups
        self.in_channels = in_channels
        self.nonlinearity = nn.ReLU()
        self.se = SEBlock(out_channels, out_channels // 16) if use_se else nn.Identity()
        if deploy:
            self.rbr_reparam = nn.Conv2d(in_channels, out_channels, 3, stride, 1, groups=groups, bias=True)
        else:
            self.rbr_identity = (nn.BatchNorm2d(in_channels)
                                 if out_channels == in_channels and stride == 1 else None)
            self.rbr_dense = conv_bn(in_channels, out_channels, 3, stride, 1, groups)
            self.rbr_1x1 = conv_bn(in_channels, out_channels, 1, stride, 0, groups)

    def forward(self, inputs):
        if hasattr(self, "rbr_reparam"):
            return self.nonlinearity(self.se(self.rbr_reparam(inputs)))
        id_out = 0 if self.rbr_identity is None else self.rbr_identity(inputs)
        return self.nonlinearity(self.se(self.rbr_dense(inputs) + self.rbr_1x1(inputs) + id_out))

    def get_equivalent_kernel_bias(self):
        kernel3x3, bias3x3 = self._fuse_bn_tensor(self.rbr_dense)
        kernel1x1, bias1x1 = self._fuse_bn_tensor(self.rbr_1x1)
        kernelid, biasid = self._fuse_bn_tensor(self.rbr_identity)
        return kernel3x3 + F.pad(kernel1x1, [1, 1, 1, 1]) + kernelid, bias3x3 + bias1x1 + biasid

    def _fuse_bn_tensor(self, branch):
        if branch is None:
            return 0, 0
        if isinstance(branch, nn.Sequential):
            kernel, bn = branch.conv.weight, branch.bn
        else:
            input_dim = self.in_channels // self.groups
            kernel_value = np.zeros((self.in_channels, input_dim, 3, 3), dtype=np.float32)
            for i in range(self.in_channels):
                kernel_value[i, i % input_dim, 1, 1] = 1
            kernel, bn = torch.from_numpy(kernel_value), branch
        std = (bn.running_var + bn.eps).sqrt()
        t = (bn.weight / std).reshape(-1, 1, 1, 1)
        return kernel * t, bn.bias - bn.running_mean * bn.weight / std

    def switch_to_deploy(self):
        if hasattr(self, "rbr_reparam"):
            return
        kernel, bias = self.get_equivalent_kernel_bias()
        conv = self.rbr_dense.conv
        self.rbr_reparam = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                                     conv.padding, groups=conv.groups, bias=True)
        self.rbr_reparam.weight.data = kernel.detach()
        self.rbr_reparam.bias.data = bias.detach()
        for name in ("rbr_dense", "rbr_1x1", "rbr_identity"):
            if hasattr(self, name):
                self.__delattr__(name)


class RepVGG(nn.Module):
    def __init__(self, num_blocks, num_classes, width_multiplier, override_groups_map=None,
                 deploy=False, use_se=False):
        super().__init__()
        self.override_groups_map = override_groups_map or {}
        self.in_planes = min(64, int(64 * width_multiplier[0]))
        self.stage0 = RepVGGBlock(3, self.in_planes, stride=2, deploy=deploy, use_se=use_se)
        self.cur_layer_idx = 1
        stages = []
        for planes, n in zip((64, 128, 256, 512), num_blocks):
            stages.append(self._make_stage(int(planes * width_multiplier[len(stages)]), n, deploy, use_se))
        self.stage1, self.stage2, self.stage3, self.stage4 = stages
        self.gap = nn.AdaptiveAvgPool2d(output_size=1)
        self.linear = nn.Linear(int(512 * width_multiplier[3]), num_classes)

    def _make_stage(self, planes, num_blocks, deploy, use_se):
        blocks = []
        for stride in [2] + [1] * (num_blocks - 1):
            groups = self.override_groups_map.get(self.cur_layer_idx, 1)
            blocks.append(RepVGGBlock(self.in_planes, planes, stride, groups, deploy, use_se))
            self.in_planes = planes
            self.cur_layer_idx += 1
        return nn.ModuleList(blocks)

    def forward(self, x):
        out = self.stage0(x)
        for stage in (self.stage1, self.stage2, self.stage3, self.stage4):
            for block in stage:
                out = block(out)
        return self.linear(self.gap(out).view(out.size(0), -1))


GROUPED_LAYERS = [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26]


def build(spec, num_classes, deploy=False):
    groups = spec.get("groups", 1)
    override = {layer: groups for layer in GROUPED_LAYERS} if groups > 1 else None
    return RepVGG(spec["depths"], num_classes, spec["widths"], override, deploy, spec.get("se", False))


def to_deploy(model):
    deploy = copy.deepcopy(model)
    for module in deploy.modules():
        if hasattr(module, "switch_to_deploy"):
            module.switch_to_deploy()
    return deploy


def randomize(model, seed, gamma=(0.5, 1.5)):
    """Random weights everywhere and non-trivial BN statistics, so every fusion step matters.
    BN weights are drawn uniformly from the range gamma."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                n = module.num_features
                module.weight.copy_(gamma[0] + (gamma[1] - gamma[0]) * torch.rand(n, generator=g))
                module.bias.copy_(0.4 * (torch.rand(n, generator=g) - 0.5))
                module.running_mean.copy_(0.4 * (torch.rand(n, generator=g) - 0.5))
                module.running_var.copy_(0.5 + torch.rand(n, generator=g))
                module.num_batches_tracked.fill_(1000)
            elif isinstance(module, (nn.Conv2d, nn.Linear)):
                fan_in = module.weight[0].numel()
                bound = (3.0 / fan_in) ** 0.5  # unit-variance outputs keep the logits at a readable scale
                module.weight.copy_(bound * (2 * torch.rand(module.weight.shape, generator=g) - 1))
                if module.bias is not None:
                    module.bias.copy_(0.1 * (2 * torch.rand(module.bias.shape, generator=g) - 1))
        for module in model.modules():
            if isinstance(module, SEBlock):
                # Gates around sigmoid(1) ~ 0.73 rather than 0.5, so that a stack of SE blocks does
                # not shrink the features (and the logits) towards the head's bias.
                module.up.bias.add_(1.0)
    return model


def spec_string(spec):
    text = "depths=%s;widths=%s" % (",".join(map(str, spec["depths"])), ",".join(repr(w) for w in spec["widths"]))
    if spec.get("groups", 1) > 1:
        text += ";groups=%d" % spec["groups"]
    if spec.get("se"):
        text += ";se=true"
    return text


# ---------------------------------------------------------------- key layouts (official -> other)

def timm_key(key):
    key = re.sub(r"^stage0\.", "stem.", key)
    key = re.sub(r"^stage(\d)\.(\d+)\.", lambda m: "stages.%d.%s." % (int(m.group(1)) - 1, m.group(2)), key)
    key = re.sub(r"^linear\.", "head.fc.", key)
    for old, new in (("rbr_dense.", "conv_kxk."), ("rbr_1x1.", "conv_1x1."), ("rbr_identity.", "identity."),
                     ("rbr_reparam.", "reparam_conv."), ("se.down.", "attn.fc1."), ("se.up.", "attn.fc2.")):
        key = key.replace(old, new)
    return key


def mmcls_key(key):
    key = re.sub(r"^stage0\.", "backbone.stem.", key)
    key = re.sub(r"^stage(\d)\.", r"backbone.stage_\1.", key)
    key = re.sub(r"^linear\.", "head.fc.", key)
    for old, new in (("rbr_dense.bn.", "branch_3x3.norm."), ("rbr_dense.conv.", "branch_3x3.conv."),
                     ("rbr_1x1.bn.", "branch_1x1.norm."), ("rbr_1x1.conv.", "branch_1x1.conv."),
                     ("rbr_identity.", "branch_norm."), ("rbr_reparam.", "branch_reparam."),
                     ("se.down.", "se_layer.conv1.conv."), ("se.up.", "se_layer.conv2.conv.")):
        key = key.replace(old, new)
    return key


LAYOUTS = {"official": lambda k: k, "timm": timm_key, "mmcls": mmcls_key}


# ---------------------------------------------------------------- safetensors and npy by hand

ST_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64",
             torch.float64: "F64"}
ST_TORCH = {v: k for k, v in ST_DTYPES.items()}
ST_NUMPY = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name]
        data = tensor_bytes(t)
        header[name] = {"dtype": ST_DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = collections.OrderedDict()
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        buf = raw[base + start:base + end]
        if info["dtype"] == "BF16":
            t = torch.from_numpy(np.frombuffer(buf, dtype="<i2").copy()).view(torch.bfloat16)
        else:
            t = torch.from_numpy(np.frombuffer(buf, dtype=np.dtype(ST_NUMPY[info["dtype"]]).newbyteorder("<")).copy())
        out[name] = t.reshape(info["shape"])
    return out


def save_npy(path, array):
    np.save(path, np.ascontiguousarray(array), allow_pickle=False)


# ---------------------------------------------------------------- modes

# (file stem, variant, form, layout, weights dtype, container) -- one row per checkpoint pair.
FIXTURE_ROWS = [
    ("official_train_G", "G", "train", "official", torch.float32, "plain"),
    ("official_deploy_S", "S", "deploy", "official", torch.float32, "ddp"),
    ("timm_train_S", "S", "train", "timm", torch.float16, "plain"),
    ("timm_deploy_G", "G", "deploy", "timm", torch.float32, "model"),
    ("mmcls_train_G", "G", "train", "mmcls", torch.bfloat16, "mmcls"),
    ("mmcls_deploy_S", "S", "deploy", "mmcls", torch.float32, "mmcls"),
]

VARIANTS = {
    # grouped: even depths, so the official layer rule (2, 4, 6) and timm's (every second block of a stage) agree
    "G": {"depths": [2, 2, 2, 1], "widths": [0.125, 0.0625, 0.03125, 0.03125], "groups": 2},
    # SE on every block: channels >= 16 so the official C // 16 bottleneck is at least 1
    "S": {"depths": [1, 2, 1, 1], "widths": [0.25, 0.125, 0.0625, 0.03125], "se": True},
}
NUM_CLASSES = 5
INPUT_SHAPE = (2, 3, 32, 32)


def wrap(state, container):
    if container == "plain":
        return state
    if container == "ddp":  # what a DistributedDataParallel training script saves
        return {"epoch": 3, "best_acc1": 0.25,
                "state_dict": collections.OrderedDict(("module." + k, v) for k, v in state.items())}
    if container == "model":  # timm's train.py checkpoints keep the weights under 'model'... and more
        return {"model": state, "epoch": 7, "arch": "repvgg_tiny"}
    if container == "mmcls":
        return {"meta": {"mmcls_version": "0.25.0", "epoch": 12}, "state_dict": state}
    raise ValueError(container)


def fixtures(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    x = torch.from_numpy(np.random.default_rng(0).standard_normal(INPUT_SHAPE).astype(np.float32))
    save_npy(os.path.join(out, "input.npy"), x.numpy())
    trained = {name: randomize(build(spec, NUM_CLASSES), seed).eval()
               for seed, (name, spec) in enumerate(sorted(VARIANTS.items()))}
    manifest = ["file\tlayout\tform\tarch\tnum_classes\tlogits\tnotes"]
    for stem, variant, form, layout, dtype, container in FIXTURE_ROWS:
        model = trained[variant] if form == "train" else to_deploy(trained[variant]).eval()
        state = collections.OrderedDict(
            (k, v.to(dtype) if v.is_floating_point() else v) for k, v in model.state_dict().items())
        # The reference runs the weights exactly as stored (rounded to fp16/bf16 where they are).
        reference = build(VARIANTS[variant], NUM_CLASSES, deploy=(form == "deploy")).eval()
        reference.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
        with torch.no_grad():
            logits = reference(x).numpy()
        save_npy(os.path.join(out, "logits_%s.npy" % stem), logits)
        renamed = collections.OrderedDict((LAYOUTS[layout](k), v) for k, v in state.items())
        renamed._metadata = getattr(model.state_dict(), "_metadata", None)
        torch.save(wrap(renamed, container), os.path.join(out, stem + ".pth"))
        # safetensors: plain, as timm's hub files are; float32, but float16 for the mmcls deploy
        # file and bfloat16 for the timm train file.
        st_dtype = {"mmcls_deploy_S": torch.float16, "timm_train_S": torch.bfloat16}.get(stem, torch.float32)
        st_state = collections.OrderedDict(
            (k, v.to(st_dtype) if v.is_floating_point() else v) for k, v in renamed.items())
        write_safetensors(os.path.join(out, stem + ".safetensors"), st_state)
        reference.load_state_dict({k: v.float() if v.is_floating_point() else v
                                   for k, v in collections.OrderedDict(
                                       (k, st_state[LAYOUTS[layout](k)]) for k in state).items()})
        with torch.no_grad():
            st_logits = reference(x).numpy()
        save_npy(os.path.join(out, "logits_%s_st.npy" % stem), st_logits)
        notes = "dtype %s, container %s" % (str(dtype).replace("torch.", ""), container)
        arch = spec_string(VARIANTS[variant])
        manifest.append("\t".join([stem + ".pth", layout, form, arch, str(NUM_CLASSES), "logits_%s.npy" % stem, notes]))
        manifest.append("\t".join([stem + ".safetensors", layout, form, arch, str(NUM_CLASSES),
                                   "logits_%s_st.npy" % stem, "dtype %s" % str(st_dtype).replace("torch.", "")]))
        print("%-22s %-8s %-6s max |logit| %.3f" % (stem, layout, form, float(np.abs(logits).max())))
    with open(os.path.join(out, "manifest.tsv"), "w") as f:
        f.write("\n".join(manifest) + "\n")
    tensors(os.path.join(out, "tensors.pth"))
    # Files that are PyTorch but not state dicts: a whole pickled module and a TorchScript archive.
    torch.manual_seed(0)
    torch.save(nn.Linear(2, 1), os.path.join(out, "whole_module.pth"))
    torch.jit.save(torch.jit.script(nn.Linear(2, 1)), os.path.join(out, "torchscript.pt"))
    # The pre-1.6 format names storages by memory address, so a tensor would make the file differ
    # run to run; the reader recognises the format from its first bytes, which this file has.
    torch.save({"epoch": 1, "note": "pre-1.6 torch.save format"}, os.path.join(out, "legacy.pth"),
               _use_new_zipfile_serialization=False)


def tensors(path):
    """Edge cases for the reader: a transposed view, a view with a storage offset sharing its
    storage, fp16 (incl. a subnormal), bf16, float64, int64 and a 0-d tensor. Values are exact."""
    base = torch.arange(10, dtype=torch.float32)
    torch.save(collections.OrderedDict([
        ("transposed", torch.arange(12, dtype=torch.float32).reshape(3, 4).t()),
        ("whole", base),
        ("window", base[4:7]),
        ("half", torch.tensor([1.5, -2.25, 65504.0, 2.0 ** -24], dtype=torch.float16)),
        ("bf16", torch.tensor([1.0, -3.5, 2.0 ** 100], dtype=torch.bfloat16)),
        ("double", torch.tensor([[0.5], [-0.25]], dtype=torch.float64)),
        ("count", torch.tensor(1234, dtype=torch.int64)),
        ("scalar", torch.tensor(3.0)),
    ]), path)


def full_a0(out):
    os.makedirs(out, exist_ok=True)
    spec = {"depths": [2, 4, 14, 1], "widths": [0.75, 0.75, 0.75, 2.5]}
    # Three summed branches per block over 22 blocks: smaller BN weights keep the logits near
    # the scale of a trained network's (tens) instead of growing block by block.
    model = randomize(build(spec, 1000), 2024, gamma=(0.4, 1.0)).eval()
    torch.save(model.state_dict(), os.path.join(out, "a0_train.pth"))
    x = torch.from_numpy(np.random.default_rng(1).standard_normal((2, 3, 224, 224)).astype(np.float32))
    with torch.no_grad():
        logits = model(x).numpy()
    save_npy(os.path.join(out, "input.npy"), x.numpy())
    save_npy(os.path.join(out, "logits.npy"), logits)
    print("wrote %s: a0_train.pth, input.npy %s, logits.npy %s (max |logit| %.3f)"
          % (out, tuple(x.shape), logits.shape, float(np.abs(logits).max())))


def compare(expected, actual, label="compare"):
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    if expected.shape != actual.shape:
        print("%s: shapes differ: expected %s, actual %s" % (label, expected.shape, actual.shape))
        return False
    diff = float(np.abs(expected - actual).max())
    scale = float(np.abs(expected).max())
    ok = diff <= TOLERANCE * scale
    print("%s: max |diff| = %.3g, max |expected| = %.3g, relative %.3g (limit %.0e): %s"
          % (label, diff, scale, diff / scale if scale else diff, TOLERANCE, "equal" if ok else "NOT equal"))
    return ok


def spec_from_model_json(config):
    arch = config["arch"]
    s = config.get("spec", {})
    return {"depths": s["depths"], "widths": s["widths"], "groups": s.get("groups", 1), "se": s.get("se", False)}, arch


def reverse(model_dir, input_path, expected_path):
    with open(os.path.join(model_dir, "model.json")) as f:
        config = json.load(f)
    spec, arch = spec_from_model_json(config)
    deploy = config["form"] == "deploy"
    net = build(spec, config["num_classes"], deploy=deploy).eval()
    state = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    result = net.load_state_dict(state, strict=True)
    print("load_state_dict(strict=True) of %s into PyTorch RepVGG-%s %s form: %s"
          % (os.path.join(model_dir, "model.safetensors"), arch, config["form"], result))
    x = torch.from_numpy(np.load(input_path))
    with torch.no_grad():
        logits = net(x).numpy()
    return compare(logits, np.load(expected_path), "PyTorch vs repvgg4j")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("fixtures")
    p.add_argument("--out", default=FIXTURES)
    p = sub.add_parser("full-a0")
    p.add_argument("--out", required=True)
    p = sub.add_parser("compare")
    p.add_argument("--expected", required=True)
    p.add_argument("--actual", required=True)
    p = sub.add_parser("reverse")
    p.add_argument("--model", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--expected", required=True)
    args = ap.parse_args()
    torch.set_num_threads(2)
    if args.mode == "fixtures":
        fixtures(args.out)
    elif args.mode == "full-a0":
        full_a0(args.out)
    elif args.mode == "compare":
        sys.exit(0 if compare(np.load(args.expected), np.load(args.actual)) else 1)
    elif args.mode == "reverse":
        sys.exit(0 if reverse(args.model, args.input, args.expected) else 1)


if __name__ == "__main__":
    main()
