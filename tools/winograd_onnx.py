#!/usr/bin/python3
"""Builds two ONNX models of the same chain of 3x3 convolutions + ReLU, to time in ONNX Runtime with
tools/OrtGraphBench.java: direct.onnx (Conv nodes, what our export writes) and winograd.onnx
(Winograd F(2x2, 3x3): 16 multiplies per 2x2 output tile instead of 36, written as ONNX operators).

    /usr/bin/python3 tools/winograd_onnx.py OUT_DIR BATCH CHANNELS SIZE LAYERS    # e.g. /tmp/wg 32 192 14 4

Per layer, winograd.onnx pads the input, reshapes it to one channel per image, transforms each
4x4 tile (stride 2) with a fixed 4x4 convolution into 16 values (B^T d B), moves them to
[16, tiles, channels], multiplies by the 16 transformed kernels (G g G^T) in one batched MatMul,
transforms each tile's 16 products back to 2x2 outputs (A^T m A) with a second MatMul, adds the
bias, applies the ReLU and puts the tiles back in place. SIZE must be even.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# Lavin & Gray's F(2x2, 3x3) matrices, for cross-correlation as ONNX's Conv computes it.
BT = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], np.float64)
G = np.array([[1, 0, 0], [.5, .5, .5], [.5, -.5, .5], [0, 0, 1]], np.float64)
AT = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], np.float64)


class Graph:
    def __init__(self):
        self.nodes, self.inits = [], []

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, inputs, output, **attrs):
        self.nodes.append(helper.make_node(op, inputs, [output], **attrs))
        return output

    def save(self, path, input_shape, output):
        graph = helper.make_graph(self.nodes, 'chain', [helper.make_tensor_value_info('x', TensorProto.FLOAT, input_shape)],
                                  [helper.make_tensor_value_info(output, TensorProto.FLOAT, input_shape)], self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)])
        onnx.checker.check_model(model)
        onnx.save(model, path)


def main(out, n, c, size, layers):
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((c, c, 3, 3)) * np.sqrt(2 / (9 * c)) for _ in range(layers)]
    biases = [(rng.standard_normal(c) * 0.1).astype(np.float32) for _ in range(layers)]

    direct = Graph()
    x = 'x'
    for i, (w, b) in enumerate(zip(weights, biases)):
        conv = direct.node('Conv', [x, direct.const(f'w{i}', w.astype(np.float32)), direct.const(f'b{i}', b)],
                           f'conv{i}', pads=[1, 1, 1, 1], kernel_shape=[3, 3])
        x = direct.node('Relu', [conv], f'y{i}')
    direct.save(f'{out}/direct.onnx', [n, c, size, size], x)

    t = size // 2  # tiles per side
    wino = Graph()
    tile_in = np.einsum('ia,jb->ijab', BT, BT).reshape(16, 1, 4, 4).astype(np.float32)
    tile_out = np.einsum('ui,vj->uvij', AT, AT).reshape(4, 16).astype(np.float32)
    shapes = {'one_channel': [n * c, 1, size + 2, size + 2], 'tiles': [n, c, 16, t * t], 'gemm': [16, n * t * t, c],
              'flat': [16, n * t * t * c], 'outputs': [2, 2, n, t, t, c], 'image': [n, c, size, size]}
    for name, shape in shapes.items():
        wino.const(name, np.array(shape, np.int64))
    wino.const('tile_in', tile_in)
    wino.const('tile_out', tile_out)
    wino.const('pads', np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64))
    x = 'x'
    for i, (w, b) in enumerate(zip(weights, biases)):
        kernels = np.einsum('ia,kcab,jb->ijck', G, w, G).reshape(16, c, c).astype(np.float32)
        p = f'l{i}_'
        v = wino.node('Pad', [x, 'pads'], p + 'pad')
        v = wino.node('Reshape', [v, 'one_channel'], p + 'one')
        v = wino.node('Conv', [v, 'tile_in'], p + 'v', strides=[2, 2], kernel_shape=[4, 4])
        v = wino.node('Reshape', [v, 'tiles'], p + 'tiles')
        v = wino.node('Transpose', [v], p + 'by_position', perm=[2, 0, 3, 1])
        v = wino.node('Reshape', [v, 'gemm'], p + 'gemm_in')
        m = wino.node('MatMul', [v, wino.const(f'u{i}', kernels)], p + 'm')
        m = wino.node('Reshape', [m, 'flat'], p + 'flat')
        y = wino.node('MatMul', ['tile_out', m], p + 'out')
        y = wino.node('Reshape', [y, 'outputs'], p + 'outputs')
        y = wino.node('Add', [y, wino.const(f'b{i}', biases[i])], p + 'biased')
        y = wino.node('Relu', [y], p + 'relu')
        y = wino.node('Transpose', [y], p + 'placed', perm=[2, 5, 3, 0, 4, 1])
        x = wino.node('Reshape', [y, 'image'], p + 'y')
    wino.save(f'{out}/winograd.onnx', [n, c, size, size], x)
    print(f'wrote {out}/direct.onnx and {out}/winograd.onnx: {layers} layers, {c} channels, {size}x{size}, batch {n}')


if __name__ == '__main__':
    if len(sys.argv) != 6 or int(sys.argv[3]) % 2:
        sys.exit(__doc__)
    main(sys.argv[1], *map(int, sys.argv[2:]))
