#!/usr/bin/python3
"""Checks ONNX files written by `repvgg export` with the ONNX project's own checker.

Run with Debian's python3 and its python3-onnx (apt-get install python3-onnx):

    /usr/bin/python3 tools/check_onnx.py model.onnx [more.onnx ...]

For each file: onnx.checker.check_model(full_check=True), which also runs shape inference, then
the IR version, opsets, inputs and outputs (symbolic dimensions by name), operator counts,
parameter count and the metadata_props. Exits non-zero if any file fails the check.
"""

import collections
import sys

import numpy as np
import onnx
from google.protobuf.message import DecodeError
from onnx import numpy_helper


def dims(value_info):
    shape = value_info.type.tensor_type.shape
    return [d.dim_param if d.dim_param else d.dim_value for d in shape.dim]


def elem_type(value_info):
    return onnx.TensorProto.DataType.Name(value_info.type.tensor_type.elem_type)


def shorten(text, limit=120):
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    graph = model.graph
    print(f"{path}: onnx.checker.check_model(full_check=True) passed (onnx {onnx.__version__})")
    print(f"  producer: {model.producer_name} {model.producer_version}, ir_version {model.ir_version}")
    print("  opset: " + ", ".join(f"{o.domain or 'ai.onnx'} {o.version}" for o in model.opset_import))
    for vi in graph.input:
        print(f"  input  {vi.name}: {elem_type(vi)} {dims(vi)}")
    for vi in graph.output:
        print(f"  output {vi.name}: {elem_type(vi)} {dims(vi)}")
    ops = collections.Counter(node.op_type for node in graph.node)
    print("  nodes: " + ", ".join(f"{op} {n}" for op, n in sorted(ops.items())))
    params = sum(int(np.prod(numpy_helper.to_array(t).shape)) for t in graph.initializer)
    print(f"  initializers: {len(graph.initializer)}, {params:,} parameters")
    print("  metadata_props:")
    for prop in model.metadata_props:
        print(f"    {prop.key} = {shorten(prop.value)}")


def main(paths):
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    failed = 0
    for path in paths:
        try:
            check(path)
        except (DecodeError, onnx.checker.ValidationError, onnx.shape_inference.InferenceError, OSError) as e:
            print(f"{path}: FAILED: {e}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
