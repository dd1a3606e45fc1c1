#!/usr/bin/env bash
# The full-size check: a RepVGG-A0 with 1000 classes and random BN statistics, written by PyTorch
# (tools/torch_reference.py full-a0, about 36 MB, never committed), imported with `repvgg import`,
# run with `repvgg predict --tensor` on a 2 x 3 x 224 x 224 input, and compared with PyTorch's logits
# (limit: 1e-4 of the logit scale). Then the reverse: the imported directory, and its deploy form,
# load back into PyTorch with load_state_dict(strict=True) and give the same logits. Last, the
# import exported to ONNX passes ONNX Runtime's check against our logits and onnx.checker.
#
#   tools/check_full_a0.sh [WORKDIR]        (default: a new temporary directory)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$(mktemp -d)}"
repvgg="$here/repvgg"
py=/usr/bin/python3

"$py" "$here/tools/torch_reference.py" full-a0 --out "$work"
"$repvgg" import --weights "$work/a0_train.pth" --out "$work/a0" --arch A0
"$repvgg" predict --model "$work/a0" --tensor "$work/input.npy" --save-logits "$work/ours.npy" --top 3
"$py" "$here/tools/torch_reference.py" compare --expected "$work/logits.npy" --actual "$work/ours.npy"
"$repvgg" convert --model "$work/a0" --out "$work/a0-deploy"
"$repvgg" predict --model "$work/a0-deploy" --tensor "$work/input.npy" --save-logits "$work/ours-deploy.npy" --top 3
"$py" "$here/tools/torch_reference.py" compare --expected "$work/logits.npy" --actual "$work/ours-deploy.npy"
"$py" "$here/tools/torch_reference.py" reverse --model "$work/a0" --input "$work/input.npy" --expected "$work/ours.npy"
"$py" "$here/tools/torch_reference.py" reverse --model "$work/a0-deploy" --input "$work/input.npy" --expected "$work/ours-deploy.npy"
# The same model as ONNX: exported, then run in ONNX Runtime against our logits (export refuses and
# deletes the file if they differ by more than 1e-4 of the logit scale).
"$repvgg" export --model "$work/a0" --format onnx --out "$work/a0.onnx"
"$py" "$here/tools/check_onnx.py" "$work/a0.onnx"
echo "full-size A0 check passed ($work)"
