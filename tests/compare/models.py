"""Models of the `qinfer compare` tests (tests/compare/run_compare.py), made with onnx.helper.

fp32: x -> Conv(3x3, pad 1) -> Relu -> Add(skip from x) -> GlobalAveragePool -> Flatten -> Gemm -> y
qdq:  the same in QDQ form, quantized by hand: uint8 activations (per tensor, ranges from one FP32 run),
      int8 weights per output channel, int32 biases; QuantizeLinear after x, Relu, Add, GlobalAveragePool,
      Flatten and Gemm, the last one dequantized into the output y.
Both keep the float tensor names x, relu, add, gap, flat, y, so REF's tensor of each QuantizeLinear input is
found by name. with_all_outputs() makes the copies ORT runs to return every intermediate tensor."""
import numpy as np
import onnx
from onnx import TensorProto as TP
from onnx import helper, numpy_helper

C, H, W, K = 8, 12, 12, 10
OPSET = 13


def weights(seed=1):
    r = np.random.default_rng(seed)
    return {
        'W': (r.standard_normal((C, C, 3, 3)) * 0.2).astype(np.float32),
        'B': (r.standard_normal(C) * 0.1).astype(np.float32),
        'G': (r.standard_normal((K, C)) * 0.5).astype(np.float32),
        'Gb': (r.standard_normal(K) * 0.1).astype(np.float32),
    }


def make_input(seed=2):
    return np.random.default_rng(seed).standard_normal((1, C, H, W)).astype(np.float32)


def _model(nodes, inits):
    graph = helper.make_graph(nodes, 'compare', [helper.make_tensor_value_info('x', TP.FLOAT, [1, C, H, W])],
                              [helper.make_tensor_value_info('y', TP.FLOAT, [1, K])], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid('', OPSET)])
    m.ir_version = 7
    onnx.checker.check_model(m)
    return m


def fp32_model(w):
    inits = [numpy_helper.from_array(w[k], k) for k in ('W', 'B', 'G', 'Gb')]
    nodes = [
        helper.make_node('Conv', ['x', 'W', 'B'], ['conv'], pads=[1, 1, 1, 1]),
        helper.make_node('Relu', ['conv'], ['relu']),
        helper.make_node('Add', ['relu', 'x'], ['add']),
        helper.make_node('GlobalAveragePool', ['add'], ['gap']),
        helper.make_node('Flatten', ['gap'], ['flat']),
        helper.make_node('Gemm', ['flat', 'G', 'Gb'], ['y'], transB=1),
    ]
    return _model(nodes, inits)


def u8_params(lo, hi):
    """Asymmetric uint8 parameters covering [min(lo, 0), max(hi, 0)]."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = np.float32((hi - lo) / 255.0 if hi > lo else 1.0)
    zp = np.uint8(np.clip(np.round(-lo / scale), 0, 255))
    return scale, zp


def s8_per_channel(w):
    """Symmetric int8 per output channel (axis 0): (quantized weights, scales)."""
    amax = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
    scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
    shape = (-1,) + (1,) * (w.ndim - 1)
    q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8)
    return q, scale


# The QuantizeLinear nodes of the qdq model: float input -> quantized output.
QUANTIZED = {'x': 'x_q', 'relu': 'relu_q', 'add': 'add_q', 'gap': 'gap_q', 'flat': 'flat_q', 'gemm': 'gemm_q'}


def qdq_model(w, ranges):
    """ranges: float tensor name -> (min, max) from an FP32 run ('gemm' is the FP32 model's y)."""
    inits, nodes = [], []
    params = {}

    def const(name, a):
        inits.append(numpy_helper.from_array(np.asarray(a), name))
        return name

    def q(t, src=None):  # QuantizeLinear t -> t_q with the parameters of src (default t)
        s, z = params.setdefault(src or t, u8_params(*ranges[src or t]))
        if t not in params:
            params[t] = (s, z)
        nodes.append(helper.make_node('QuantizeLinear', [t, const(t + '_s', s), const(t + '_z', z)], [QUANTIZED[t]]))

    def dq(t, out):  # DequantizeLinear of QUANTIZED[t] -> out
        nodes.append(helper.make_node('DequantizeLinear', [QUANTIZED[t], t + '_s', t + '_z'], [out]))

    sx = params.setdefault('x', u8_params(*ranges['x']))[0]
    q('x')
    dq('x', 'x_dq_conv')
    dq('x', 'x_dq_add')
    wq, ws = s8_per_channel(w['W'])
    nodes.append(helper.make_node('DequantizeLinear', [const('Wq', wq), const('Ws', ws),
                                                       const('Wz', np.zeros(C, np.int8))], ['W_dq'], axis=0))
    bs = (sx * ws).astype(np.float32)
    bq = np.round(w['B'] / bs).astype(np.int32)
    nodes.append(helper.make_node('DequantizeLinear', [const('Bq', bq), const('Bs', bs),
                                                       const('Bz', np.zeros(C, np.int32))], ['B_dq'], axis=0))
    nodes.append(helper.make_node('Conv', ['x_dq_conv', 'W_dq', 'B_dq'], ['conv'], pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node('Relu', ['conv'], ['relu']))
    q('relu')
    dq('relu', 'relu_dq')
    nodes.append(helper.make_node('Add', ['relu_dq', 'x_dq_add'], ['add']))
    q('add')
    dq('add', 'add_dq')
    nodes.append(helper.make_node('GlobalAveragePool', ['add_dq'], ['gap']))
    q('gap')
    dq('gap', 'gap_dq')
    nodes.append(helper.make_node('Flatten', ['gap_dq'], ['flat']))
    q('flat', src='gap')  # value preserving: the same parameters as its input
    dq('flat', 'flat_dq')
    gq, gs = s8_per_channel(w['G'])
    nodes.append(helper.make_node('DequantizeLinear', [const('Gq', gq), const('Gs', gs),
                                                       const('Gz', np.zeros(K, np.int8))], ['G_dq'], axis=0))
    cs = (params['gap'][0] * gs).astype(np.float32)
    cq = np.round(w['Gb'] / cs).astype(np.int32)
    nodes.append(helper.make_node('DequantizeLinear', [const('Cq', cq), const('Cs', cs),
                                                       const('Cz', np.zeros(K, np.int32))], ['C_dq'], axis=0))
    nodes.append(helper.make_node('Gemm', ['flat_dq', 'G_dq', 'C_dq'], ['gemm'], transB=1))
    q('gemm')
    dq('gemm', 'y')
    return _model(nodes, inits), params


def with_all_outputs(model, names):
    """A copy of model that also outputs the tensors called names (types from shape inference)."""
    m = onnx.shape_inference.infer_shapes(model)
    known = {vi.name: vi for vi in list(m.graph.value_info) + list(m.graph.input) + list(m.graph.output)}
    have = {o.name for o in m.graph.output}
    for n in names:
        if n not in have:
            m.graph.output.append(known[n])
    return m


def relu_model(x_shape, x_name='x'):
    """A one-node model (x -> Relu -> y) for the input mismatch errors."""
    nodes = [helper.make_node('Relu', [x_name], ['y'])]
    graph = helper.make_graph(nodes, 'relu', [helper.make_tensor_value_info(x_name, TP.FLOAT, list(x_shape))],
                              [helper.make_tensor_value_info('y', TP.FLOAT, list(x_shape))])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid('', OPSET)])


def fp32_numpy(w, x):
    """The fp32 model's tensors computed by numpy (float64, for calibration ranges)."""
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = np.stack([xp[:, :, i:i + H, j:j + W] for i in range(3) for j in range(3)], axis=2)  # N,C,9,H,W
    conv = np.einsum('nckhw,ock->nohw', cols, w['W'].reshape(C, C, 9).astype(np.float64))
    conv += w['B'].reshape(1, C, 1, 1)
    t = {'x': x, 'conv': conv, 'relu': np.maximum(conv, 0)}
    t['add'] = t['relu'] + x
    t['gap'] = t['add'].mean(axis=(2, 3), keepdims=True)
    t['flat'] = t['gap'].reshape(1, C)
    t['gemm'] = t['flat'] @ w['G'].T.astype(np.float64) + w['Gb']
    return t


def make_pair(x):
    """(fp32 model, qdq model, quantization parameters by float tensor name), calibrated on x."""
    w = weights()
    t = fp32_numpy(w, x)
    ranges = {k: (v.min(), v.max()) for k, v in t.items()}
    qdq, params = qdq_model(w, ranges)
    return fp32_model(w), qdq, params


# ---- the isolated view's chain: x -> (Conv 3x3 -> Relu) x DEPTH -> y ----

DEPTH = 6


def chain_weights(seed=5):
    r = np.random.default_rng(seed)
    std = np.sqrt(2.0 / (C * 9))
    return [((r.standard_normal((C, C, 3, 3)) * std).astype(np.float32),
             (r.standard_normal(C) * 0.05).astype(np.float32)) for _ in range(DEPTH)]


def chain_names():
    """The float tensor every layer writes (the last one is the output y)."""
    return ['r%d' % i for i in range(1, DEPTH)] + ['y']


def _chain_model(nodes, inits):
    graph = helper.make_graph(nodes, 'chain', [helper.make_tensor_value_info('x', TP.FLOAT, [1, C, H, W])],
                              [helper.make_tensor_value_info('y', TP.FLOAT, [1, C, H, W])], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid('', OPSET)])
    m.ir_version = 7
    onnx.checker.check_model(m)
    return m


def chain_fp32(ws):
    inits, nodes, prev = [], [], 'x'
    for i, ((w, b), out) in enumerate(zip(ws, chain_names())):
        inits += [numpy_helper.from_array(w, 'W%d' % i), numpy_helper.from_array(b, 'B%d' % i)]
        nodes.append(helper.make_node('Conv', [prev, 'W%d' % i, 'B%d' % i], ['c%d' % i], pads=[1, 1, 1, 1]))
        nodes.append(helper.make_node('Relu', ['c%d' % i], [out]))
        prev = out
    return _chain_model(nodes, inits)


def conv3x3(x, w, b):
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = np.stack([xp[:, :, i:i + H, j:j + W] for i in range(3) for j in range(3)], axis=2)
    return np.einsum('nckhw,ock->nohw', cols, w.reshape(C, C, 9).astype(np.float64)) + b.reshape(1, C, 1, 1)


def chain_qdq(ws, x, coarse):
    """QDQ chain: uint8 activations (per tensor, ranges from numpy's FP32 run, each range widened by coarse[name]
    times: a step that many times too large), int8 weights per channel, int32 biases. The last layer writes
    y_pre, quantized and dequantized into y. Returns (model, {float name: (scale, zp)}, {name: region})
    where region = (float inputs, the DequantizeLinear output that ends the node's Q-DQ region)."""
    inits, nodes, params, regions = [], [], {}, {}

    def const(name, a):
        inits.append(numpy_helper.from_array(np.asarray(a), name))
        return name

    def qdq(t, value, out):
        lo, hi = float(value.min()), float(value.max())
        f = coarse.get(t, 1.0)
        s, z = u8_params(lo * f, hi * f)
        params[t] = (s, z)
        nodes.append(helper.make_node('QuantizeLinear', [t, const(t + '_s', s), const(t + '_z', z)], [t + '_q']))
        nodes.append(helper.make_node('DequantizeLinear', [t + '_q', t + '_s', t + '_z'], [out]))

    qdq('x', x, 'x_dq')
    regions['x'] = (['x'], 'x_dq')
    prev, v = 'x', x.astype(np.float64)
    for i, ((w, b), name) in enumerate(zip(ws, chain_names())):
        v = np.maximum(conv3x3(v, w, b), 0)
        wq, wsc = s8_per_channel(w)
        nodes.append(helper.make_node('DequantizeLinear', [const('Wq%d' % i, wq), const('Ws%d' % i, wsc),
                                                           const('Wz%d' % i, np.zeros(C, np.int8))], ['W%d_dq' % i],
                                      axis=0))
        bs = (params[prev][0] * wsc).astype(np.float32)
        nodes.append(helper.make_node('DequantizeLinear', [const('Bq%d' % i, np.round(b / bs).astype(np.int32)),
                                                           const('Bs%d' % i, bs),
                                                           const('Bz%d' % i, np.zeros(C, np.int32))], ['B%d_dq' % i],
                                      axis=0))
        t = 'y_pre' if name == 'y' else name
        nodes.append(helper.make_node('Conv', [prev + '_dq', 'W%d_dq' % i, 'B%d_dq' % i], ['c%d' % i],
                                      pads=[1, 1, 1, 1]))
        nodes.append(helper.make_node('Relu', ['c%d' % i], [t]))
        qdq(t, v, 'y' if name == 'y' else t + '_dq')
        if name == 'y':
            params['y'] = params.pop('y_pre')
        regions[name] = ([prev], 'y' if name == 'y' else t + '_dq')
        prev = t
    return _chain_model(nodes, inits), params, regions


def table_pair(x):
    """x -> Conv 3x3 -> c -> HardSigmoid -> y, and its QDQ form where c's range is cut to [-3, 3] (HardSigmoid's
    ramp: what range trimming does), so that c's rounding clips values the HardSigmoid flattens anyway; qinfer
    runs DQ -> HardSigmoid -> Q as one lookup table (QLinearTable). Returns (fp32, qdq, regions)."""
    (w, b), = chain_weights(seed=9)[:1]
    w = w * 4  # c spreads well beyond [-3, 3]
    fp = _chain_model([helper.make_node('Conv', ['x', 'W0', 'B0'], ['c'], pads=[1, 1, 1, 1]),
                       helper.make_node('HardSigmoid', ['c'], ['y'])],
                      [numpy_helper.from_array(w, 'W0'), numpy_helper.from_array(b, 'B0')])
    inits, nodes = [], []

    def const(name, a):
        inits.append(numpy_helper.from_array(np.asarray(a), name))
        return name

    def qdq(t, lo, hi, out):
        s, z = u8_params(lo, hi)
        nodes.append(helper.make_node('QuantizeLinear', [t, const(t + '_s', s), const(t + '_z', z)], [t + '_q']))
        nodes.append(helper.make_node('DequantizeLinear', [t + '_q', t + '_s', t + '_z'], [out]))
        return s

    sx = qdq('x', x.min(), x.max(), 'x_dq')
    wq, wsc = s8_per_channel(w)
    bs = (sx * wsc).astype(np.float32)
    nodes += [helper.make_node('DequantizeLinear', [const('Wq', wq), const('Ws', wsc), const('Wz', np.zeros(C, np.int8))],
                               ['W_dq'], axis=0),
              helper.make_node('DequantizeLinear', [const('Bq', np.round(b / bs).astype(np.int32)), const('Bs', bs),
                                                    const('Bz', np.zeros(C, np.int32))], ['B_dq'], axis=0),
              helper.make_node('Conv', ['x_dq', 'W_dq', 'B_dq'], ['c'], pads=[1, 1, 1, 1])]
    qdq('c', -3.0, 3.0, 'c_dq')
    nodes.append(helper.make_node('HardSigmoid', ['c_dq'], ['hs']))
    qdq('hs', 0.0, 1.0, 'y')
    return fp, _chain_model(nodes, inits), {'c': (['x'], 'y'), 'y': (['c'], 'y')}
