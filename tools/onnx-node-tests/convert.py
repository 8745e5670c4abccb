#!/usr/bin/python3
"""Converts ONNX's own backend node tests into recur's ONNX fixture format.

Source: Debian's libonnx-testdata (onnx 1.12 node tests: model.onnx + test_data_set_0/*.pb) and
python3-onnx (TensorProto parsing, onnx.version_converter). Run with Debian's python3:

    apt-get install python3-onnx libonnx-testdata
    /usr/bin/python3 tools/onnx-node-tests/convert.py          # writes fixtures/onnx-node-ops/
    node tools/onnx-node-tests/add-ort.mjs                     # adds onnxruntime-node's outputs

Each case becomes `<name>.onnx` + `<name>.onnx.json` ({file, op, opset, source, inputs,
outputs_expected}); ONNX's expected outputs come from its reference implementation. The older
operator forms (attributes before inputs: Slice < 10, Squeeze / Unsqueeze / ReduceSum / Split < 13,
Pad < 11, Clip < 11, Softmax / LogSoftmax before 13) are the same node tests rewritten to an older
opset by ONNX's own version converter, named `<name>_opset<N>`; the expected outputs are unchanged
(a converted model must compute the same thing, and onnxruntime confirms it in add-ort.mjs).
"""
import json
import os
import re
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

SRC = '/usr/share/libonnx-testdata/data/node'
OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'onnx-node-ops')

# The operators PyTorch's exporters emit around recurrent layers (the list), by test-name prefix.
OPERATORS = [
    'topk', 'top_k', 'reduce_prod', 'scatter_elements', 'scatternd', 'gather_elements', 'gathernd', 'cumsum',
    'nonzero', 'not', 'and', 'or', 'greater', 'less_equal', 'greater_equal', 'reduce_max', 'reduce_min', 'reduce_l2',
    'argmax', 'argmin', 'tile', 'max', 'min', 'neg', 'abs', 'exp', 'log', 'pow', 'sqrt', 'erf', 'clip', 'leakyrelu',
    'hardsigmoid', 'elu', 'layer_normalization', 'einsum', 'tril', 'triu', 'identity', 'mod', 'sign',
]
# Not these: pooling, other dtypes' spellings, sequences/optionals.
EXCLUDE = re.compile(r'_expanded|maxpool|maxunpool|minimum|identity_opt|identity_sequence|_float16|_int8|_int16|_uint|'
                     r'logsoftmax|less_equal_bcast_expanded|einsum_batch_diagonal|einsum_sum|einsum_transpose')
# Older forms, rebuilt from the current node tests: (test-name prefix, opset, rewrite). The inputs that
# were attributes in that opset are moved back into attributes, with the values the test feeds.
OLD_FORMS = [
    ('slice', 9), ('squeeze', 11), ('unsqueeze', 11), ('reduce_sum', 11), ('split', 11), ('split_equal', 18),
    ('constant_pad', 10), ('edge_pad', 10), ('reflect_pad', 10), ('clip', 10), ('softmax', 11), ('logsoftmax', 11),
]
DTYPES = {np.float32: 'float32', np.float64: 'float64', np.int64: 'int64', np.int32: 'int32', np.bool_: 'bool'}


def as_fixture(arr):
    dtype = DTYPES.get(arr.dtype.type)
    if dtype is None:
        return None
    data = arr.flatten().tolist()
    return {'shape': list(arr.shape), 'dtype': dtype, 'data': data}


def read_case(name):
    d = os.path.join(SRC, name)
    model = onnx.load(os.path.join(d, 'model.onnx'))
    data = os.path.join(d, 'test_data_set_0')
    ins = sorted(f for f in os.listdir(data) if f.startswith('input_'))
    outs = sorted(f for f in os.listdir(data) if f.startswith('output_'))
    def load(files, values):
        result = {}
        for f, v in zip(sorted(files, key=lambda s: int(re.search(r'\d+', s).group())), values):
            t = onnx.TensorProto()
            with open(os.path.join(data, f), 'rb') as fh:
                t.ParseFromString(fh.read())
            fx = as_fixture(numpy_helper.to_array(t))
            if fx is None:
                return None
            result[v.name] = fx
        return result
    graph_inputs = [i for i in model.graph.input if i.name not in {x.name for x in model.graph.initializer}]
    inputs = load(ins, graph_inputs)
    outputs = load(outs, model.graph.output)
    if inputs is None or outputs is None:
        return None
    return model, inputs, outputs


def opset_of(model):
    return max(o.version for o in model.opset_import if o.domain in ('', 'ai.onnx'))


def write(name, model, inputs, outputs, source):
    if opset_of(model) <= 17:  # the newest opset onnx 1.12's checker knows; onnxruntime checks the rest
        onnx.checker.check_model(model)
    op = model.graph.node[0].op_type if len(model.graph.node) == 1 else '+'.join(n.op_type for n in model.graph.node)
    with open(os.path.join(OUT, f'{name}.onnx'), 'wb') as fh:
        fh.write(model.SerializeToString())
    case = {'file': f'{name}.onnx', 'op': op, 'opset': opset_of(model), 'source': source,
            'inputs': inputs, 'outputs_expected': outputs}
    with open(os.path.join(OUT, f'{name}.onnx.json'), 'w') as fh:
        json.dump(case, fh)


def value_of(model, inputs, name):
    """The value a node input has in the test: a fed input or an initializer (None if absent)."""
    if name == '':
        return None
    if name in inputs:
        fx = inputs[name]
        return np.array(fx['data']).reshape(fx['shape'])
    for init in model.graph.initializer:
        if init.name == name:
            return numpy_helper.to_array(init)
    raise KeyError(name)


def softmax_2d(x, axis, log):
    """Softmax / LogSoftmax before opset 13: over the input coerced to [prod(:axis), prod(axis:)]."""
    axis = axis if axis >= 0 else axis + x.ndim
    flat = x.reshape(int(np.prod(x.shape[:axis])), -1).astype(np.float64)
    e = np.exp(flat - flat.max(axis=1, keepdims=True))
    y = e / e.sum(axis=1, keepdims=True)
    return (np.log(y) if log else y).astype(x.dtype).reshape(x.shape)


def to_old_form(model, inputs, outputs, target):
    """The same node test written in the operator's opset-`target` form, or None."""
    if len(model.graph.node) != 1:
        return None
    node = model.graph.node[0]
    op = node.op_type
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    moved = {}  # input position -> attribute name
    if op == 'Slice':
        steps = value_of(model, inputs, node.input[4]) if len(node.input) > 4 else None
        if steps is not None and not np.all(steps == 1):
            return None
        moved = {1: 'starts', 2: 'ends', 3: 'axes', 4: None}
    elif op in ('Squeeze', 'Unsqueeze', 'ReduceSum'):
        if attrs.pop('noop_with_empty_axes', 0):
            return None
        moved = {1: 'axes'}
    elif op == 'Split' and target < 18:
        moved = {1: 'split'}
    elif op == 'Split':
        if len(node.input) > 1 and node.input[1]:
            return None
        attrs['num_outputs'] = len(node.output)
    elif op == 'Pad':
        moved = {1: 'pads', 2: 'value'}
        if not next(iter(inputs.values()))['dtype'].startswith('float'):
            return None  # Pad-2 takes floats only
        if len(node.input) > 3 and node.input[3]:
            return None
    elif op == 'Clip':
        moved = {1: 'min', 2: 'max'}
    elif op in ('Softmax', 'LogSoftmax'):
        x = next(iter(inputs.values()))
        arr = np.array(x['data'], dtype=np.float32).reshape(x['shape'])
        out_name = node.output[0]
        y = softmax_2d(arr, attrs.get('axis', 1), op == 'LogSoftmax')
        outputs = {out_name: as_fixture(y)}
    else:
        return None
    kept = []
    for i, name in enumerate(node.input):
        if i in moved:
            v = value_of(model, inputs, name)
            if v is not None and moved[i] and v.size > 0:
                attrs[moved[i]] = float(v) if moved[i] in ('value', 'min', 'max') else [int(a) for a in v.flatten()]
        else:
            kept.append(name)
    gone = set(node.input) - set(kept)
    new_node = helper.make_node(op, kept, list(node.output), name=node.name or None, **attrs)
    graph = helper.make_graph(
        [new_node], model.graph.name,
        [i for i in model.graph.input if i.name not in gone],
        list(model.graph.output),
        [t for t in model.graph.initializer if t.name not in gone],
    )
    new = helper.make_model(graph, opset_imports=[helper.make_opsetid('', target)], producer_name='recur tools')
    new.ir_version = 7
    return new, {k: v for k, v in inputs.items() if k not in gone}, outputs


def main():
    os.makedirs(OUT, exist_ok=True)
    names = sorted(os.listdir(SRC))
    written = 0
    for name in names:
        short = name[len('test_'):]
        if EXCLUDE.search(name) or not any(short == p or short.startswith(p + '_') or re.match(p + r'\d', short)
                                           for p in OPERATORS):
            continue
        case = read_case(name)
        if case is None:
            continue
        source = f'onnx {onnx.__version__} backend node test'
        if opset_of(case[0]) < 7:
            # recur reads opsets 7-22: the test was generated at its operator's newest version (Not-1,
            # Elu-6, HardSigmoid-6, ...), which opset 7 still has — the same model stamped 7.
            for o in case[0].opset_import:
                if o.domain in ('', 'ai.onnx'):
                    o.version = 7
            source += ', stamped opset 7 (its operator has no newer version there)'
        write(name, *case, source)
        written += 1
    for prefix, target in OLD_FORMS:
        for name in names:
            short = name[len('test_'):]
            if '_expanded' in name or not (short == prefix or short.startswith(prefix + '_')):
                continue
            if prefix == 'softmax' and short.startswith('softmax_cross'):
                continue
            case = read_case(name)
            if case is None:
                continue
            old = to_old_form(*case, target)
            if old is None:
                print(f'skip {name} at opset {target}: not expressible there', file=sys.stderr)
                continue
            write(f'{name}_opset{target}', *old,
                  f'onnx {onnx.__version__} backend node test, rewritten to its opset-{target} form')
            written += 1
    print(f'{written} cases in {os.path.normpath(OUT)}')


main()
