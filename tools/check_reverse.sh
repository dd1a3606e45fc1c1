#!/usr/bin/env bash
# The reverse direction of the PyTorch cross-check: model directories repvgg4j writes load into the
# PyTorch network (tools/torch_reference.py, official module structure) with
# load_state_dict(strict=True) and give the logits repvgg4j gives, within 1e-4 of the logit scale.
#
# Imports two fixtures (SE variant from timm names, grouped variant from mmcls names), converts each
# to deploy form, runs `repvgg predict --tensor` on all four directories and checks each in PyTorch;
# then exports each as TorchScript and checks that PyTorch loads the file and gets the same logits.
# Needs /usr/bin/python3 with Debian's python3-torch and python3-numpy; not part of `mvn verify`.
#
#   tools/check_reverse.sh [WORKDIR]        (default: a new temporary directory)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$(mktemp -d)}"
fixtures="$here/core/src/test/resources/torch"
repvgg="$here/repvgg"
py=/usr/bin/python3

for fixture in timm_train_S mmcls_train_G; do
  "$repvgg" import --weights "$fixtures/$fixture.pth" --out "$work/$fixture-train" --image-size 32
  "$repvgg" convert --model "$work/$fixture-train" --out "$work/$fixture-deploy"
  for form in train deploy; do
    dir="$work/$fixture-$form"
    "$repvgg" predict --model "$dir" --tensor "$fixtures/input.npy" --save-logits "$dir.logits.npy" --top 1
    "$py" "$here/tools/torch_reference.py" reverse --model "$dir" --input "$fixtures/input.npy" --expected "$dir.logits.npy"
  done
  "$repvgg" export --model "$work/$fixture-train" --format torchscript --out "$work/$fixture.pt"
  (cd "$here/tools" && "$py" check_torchscript.py "$work/$fixture.pt" "$work/$fixture-train")
done
echo "reverse check passed ($work)"
