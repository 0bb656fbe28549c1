"""Raw-string preprocessing inside ONNX graphs: strings in, what the layer returns out.

``TextVectorization``, ``StringLookup`` and ``IntegerLookup`` become ONNX
graphs built from standard ONNX operators, ``ai.onnx.ml.LabelEncoder`` (the
vocabulary lookup) and onnxruntime-extensions' string operators
(``ai.onnx.contrib`` domain: ``StringRegexReplace``,
``StringRegexSplitWithOffsets``). ONNX Runtime runs them once the
extensions library is registered::

    import onnxruntime as ort, onnxruntime_extensions as ortx
    options = ort.SessionOptions()
    options.register_custom_ops_library(ortx.get_library_path())   # or session_options()
    session = ort.InferenceSession(path, options)

Public functions (the exporter calls these)::

    string_preprocessing_graph(
        layer,                       # TextVectorization | StringLookup | IntegerLookup
        input_name: str = "inputs",
        output_name: str = "outputs",
        opset: int = 18,
        input_rank: int = 1,         # 1: (batch,); 2: (batch, 1) or (batch, k)
    ) -> onnx.ModelProto
        # TextVectorization: string [N] -> int64 [N, L] ("int"), int64 [N, depth]
        # ("multi_hot", "count") or float32 [N, depth] ("tf_idf").
        # StringLookup: string tensor of any shape -> int64 of that shape ("int");
        # IntegerLookup: int64 tensor -> int64. Raises ExportError naming the
        # option when the result could differ from the layer's.

    prepend_string_preprocessing(
        preprocessing: onnx.ModelProto,
        model: onnx.ModelProto,
        model_input: str | None = None,   # default: the model's first input
        prefix: str = "preprocessing/",
    ) -> onnx.ModelProto
        # preprocessing's output feeds ``model_input`` (cast int64 -> the model
        # input's integer/float type when they differ); the result takes the
        # preprocessing's inputs plus the model's other inputs.

    prepend_string_layers(
        model: onnx.ModelProto | str | os.PathLike[str],
        string_layers: Sequence[tuple[str, layer]],   # (raw-string input name, layer)
        model_inputs: Sequence[str] | None = None,    # the model input each one feeds
        filepath: str | os.PathLike[str] | None = None,
        input_ranks: Sequence[int] | None = None,     # 1: (batch,), 2: (batch, 1)
    ) -> onnx.ModelProto
        # every string layer in front of the numeric model, written to filepath.

    session_options() -> onnxruntime.SessionOptions   # extensions registered

Exactness: every option combination accepted here gives the layer's output
exactly (integers equal, tf-idf floats bit-equal), as TensorFlow's string ops
do in Keras: ``"lower"`` lowercases ASCII letters only (26 literal regex
replacements: onnxruntime-extensions' ``StringLower`` lowercases all of
Unicode), ``"strip_punctuation"`` deletes the 32 ASCII punctuation
characters, ``"whitespace"`` splits on runs of ASCII whitespace and
``"character"`` on Unicode code points. What cannot be expressed exactly is
refused with :class:`~torchbridge.export.errors.ExportError`: a callable
``standardize`` / ``split``, ``ngrams``, ``num_oov_indices`` other than 1 for
strings (Keras hashes the extra OOV buckets with FarmHash Fingerprint64, which
no ONNX Runtime operator computes) or 0 (the layer raises on an unknown
token; a graph cannot), ``invert=True``, ``one_hot``, a non-UTF-8
``encoding``. ``IntegerLookup`` with several OOV buckets (``value % n``) is
exact. One difference depends on the data, not on the options: ONNX Runtime
cuts a string at its first NUL character (``"\\x00"``), where the layer keeps
the rest.

``onnx``, ``onnxruntime`` and ``onnxruntime_extensions`` are imported inside
the functions (the ``export`` extra installs them).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from torchbridge.export.errors import ExportError
from torchbridge.export.onnx_builder import (
    _MIN_OPSET,
    _ML_DOMAIN,
    CONTRIB_DOMAIN,
    GraphBuilder,
    session_options,
)

if TYPE_CHECKING:
    import onnx

__all__ = [
    "string_preprocessing_graph",
    "prepend_string_preprocessing",
    "prepend_string_layers",
    "session_options",
]

# TensorFlow's string ops, as Keras applies them (ASCII only), written for RE2.
_PUNCTUATION = r"[!-/:-@\[-`{-~]"  # the 32 ASCII punctuation characters
_WHITESPACE_SPLIT = r"([\t\n\x0b\x0c\r ]+)"  # runs of ASCII whitespace (bytes.split)
_CHARACTER_SPLIT = r"((?s).)"  # every Unicode code point, kept as a token
_CHARACTER_KEEP = r"(?s)."


# --- refusals ----------------------------------------------------------------------------------
def _refuse(layer: Any, option: str, why: str, fix: str) -> ExportError:
    return ExportError(
        f"Cannot export layer '{layer.name}' ({type(layer).__name__}) with its preprocessing "
        f"inside the ONNX graph: {option} {why}. {fix}"
    )


def _check_lookup(layer: Any, owner: Any, strings: bool) -> None:
    """Refuse the lookup options that an ONNX graph cannot reproduce exactly."""
    if layer.invert:
        raise _refuse(
            owner,
            "invert=True",
            "maps indices back to strings, which is post-processing, not preprocessing",
            "Export the model without the inverted lookup and map the indices in your client "
            "with layer.get_vocabulary().",
        )
    if layer.num_oov_indices == 0:
        raise _refuse(
            owner,
            "num_oov_indices=0",
            "makes the layer raise on an unknown token, which a graph cannot do",
            "Use num_oov_indices=1 (unknown tokens map to the OOV index).",
        )
    if layer.num_oov_indices > 1 and (strings or layer.oov_method == "farmhash"):
        raise _refuse(
            owner,
            f"num_oov_indices={layer.num_oov_indices}",
            "hashes unknown tokens into OOV buckets with FarmHash Fingerprint64, which no ONNX "
            "Runtime operator computes",
            "Use num_oov_indices=1, or export the model without the lookup and run it in Python.",
        )
    if layer.output_mode == "one_hot":
        raise _refuse(
            owner,
            "output_mode='one_hot'",
            "is not supported by the ONNX string export",
            "Use output_mode='int' followed by a one-hot encoding in the model, or "
            "'multi_hot' / 'count' / 'tf_idf'.",
        )
    if strings and str(layer.encoding).lower().replace("-", "").replace("_", "") != "utf8":
        raise _refuse(
            owner,
            f"encoding={layer.encoding!r}",
            "is not UTF-8, the only text encoding of ONNX string tensors",
            "Use encoding='utf-8'.",
        )
    if layer.output_mode == "tf_idf" and layer.idf_weights is None:
        raise _refuse(
            owner,
            "output_mode='tf_idf' without idf weights",
            "has nothing to weight the counts with",
            "Call adapt() or set_vocabulary(vocabulary, idf_weights) before exporting.",
        )
    if not layer.get_vocabulary(include_special_tokens=False):
        raise _refuse(
            owner,
            "an empty vocabulary",
            "has nothing to look up",
            "Call adapt() or set_vocabulary() before exporting.",
        )


# --- pieces of the graph --------------------------------------------------------------------
def _lower_ascii(g: GraphBuilder, x: str) -> str:
    """ASCII-only lowercasing (tf.strings.lower): one literal replacement per letter."""
    for upper in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        x = g.op(
            "StringRegexReplace",
            [x, g.const(upper, "upper"), g.const(upper.lower(), "lower")],
            domain=CONTRIB_DOMAIN,
            global_replace=1,
        )
    return x


def _standardize(g: GraphBuilder, x: str, standardize: Any) -> str:
    if standardize in ("lower", "lower_and_strip_punctuation"):
        x = _lower_ascii(g, x)
    if standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
        x = g.op(
            "StringRegexReplace",
            [x, g.const(_PUNCTUATION, "punctuation"), g.const("", "empty")],
            domain=CONTRIB_DOMAIN,
            global_replace=1,
        )
    return x


def _lookup(g: GraphBuilder, keys: str, lookup: Any, drop_value: int) -> str:
    """Token → index (int64) with ``LabelEncoder``; the mask token maps to ``drop_value``
    outside "int" mode (a column cut off afterwards) and to 0 in "int" mode."""
    tokens = lookup.get_vocabulary(include_special_tokens=False)
    start = lookup._token_start_index()
    values = list(range(start, start + len(tokens)))
    int_mode = lookup.output_mode == "int"
    if lookup.mask_token is not None:
        tokens = [*tokens, lookup.mask_token]
        values.append(0 if int_mode else drop_value)
    oov = lookup._oov_start_index()
    if lookup._string_vocab:
        return g.op(
            "LabelEncoder",
            [keys],
            domain=_ML_DOMAIN,
            keys_strings=[str(t) for t in tokens],
            values_int64s=values,
            default_int64=oov,
        )
    ids = g.op(
        "LabelEncoder",
        [keys],
        domain=_ML_DOMAIN,
        keys_int64s=[int(t) for t in tokens],
        values_int64s=values,
        default_int64=-1 if lookup.num_oov_indices > 1 else oov,
    )
    if lookup.num_oov_indices > 1:  # integers: value floormod num_oov_indices (Python's %)
        bucket = g.op("Mod", [keys, g.const(np.int64(lookup.num_oov_indices), "buckets")])
        bucket = g.op("Add", [bucket, g.const(np.int64(oov), "oov_start")])
        unknown = g.op("Equal", [ids, g.const(np.int64(-1), "minus_one")])
        ids = g.op("Where", [unknown, bucket, ids])
    return ids


def _dense(g: GraphBuilder, ids: str, rows: str, width: int | None, pad: int) -> str:
    """Ragged (flat ids [T], row splits [N+1]) → dense [N, W], padded with ``pad``.

    W is ``width`` when given (longer rows are cut), else the longest row."""
    starts = g.op("Slice", [rows, g.const(np.array([0]), "zero"), g.const(np.array([-1]), "m1")])
    ends = g.op("Slice", [rows, g.const(np.array([1]), "one"), g.const(np.array([2**62]), "inf")])
    lengths = g.op("Sub", [ends, starts])
    if width is None:
        longest = g.op("Concat", [lengths, g.const(np.array([0]), "zero")], axis=0)
        w = g.op("ReduceMax", [longest], keepdims=0)
    else:
        w = g.const(np.int64(width), "width")
    positions = g.op("Range", [g.const(np.int64(0), "zero"), w, g.const(np.int64(1), "one")])
    pos_row = g.op("Unsqueeze", [positions, g.const(np.array([0]), "axis0")])
    index = g.op("Add", [g.op("Unsqueeze", [starts, g.const(np.array([1]), "axis1")]), pos_row])
    valid = g.op("Less", [pos_row, g.op("Unsqueeze", [lengths, g.const(np.array([1]), "axis1")])])
    total = g.op("Shape", [ids])
    safe = g.op("Where", [valid, index, total])
    extended = g.op("Concat", [ids, g.const(np.array([pad], dtype=np.int64), "pad")], axis=0)
    return g.op("Gather", [extended, safe], axis=0)


def _pad_last_axis(g: GraphBuilder, ids: str, width: int, rank: int) -> str:
    """``ids[..., :width]`` padded with 0 to ``width`` on the last axis (rank ``rank``)."""
    cut = g.op(
        "Slice",
        [
            ids,
            g.const(np.array([0]), "zero"),
            g.const(np.array([width]), "width"),
            g.const(np.array([-1]), "last_axis"),
        ],
    )
    last = g.op("Gather", [g.op("Shape", [cut]), g.const(np.array([rank - 1]), "last")], axis=0)
    missing = g.op("Sub", [g.const(np.array([width]), "width"), last])
    zeros = g.const(np.zeros(2 * rank - 1, dtype=np.int64), "pads")
    pads = g.op("Concat", [zeros, missing], axis=0)
    return g.op("Pad", [cut, pads, g.const(np.int64(0), "pad_value")], mode="constant")


def _int_tensor(value: int) -> Any:
    import onnx
    from onnx import helper

    return helper.make_tensor("value", onnx.TensorProto.INT64, [1], [value])


def _encode(g: GraphBuilder, dense: str, lookup: Any, depth: int) -> str:
    """multi_hot / count / tf_idf of the rows of ``dense`` [R, K] (index ``depth`` = nothing)."""
    rows = g.op(
        "Slice", [g.op("Shape", [dense]), g.const(np.array([0]), "z"), g.const(np.array([1]), "o")]
    )
    shape = g.op("Concat", [rows, g.const(np.array([depth + 1]), "depth")], axis=0)
    zeros = g.op("ConstantOfShape", [shape], value=_int_tensor(0))
    ones = g.op("Expand", [g.const(np.int64(1), "one"), g.op("Shape", [dense])])
    counts = g.op("ScatterElements", [zeros, dense, ones], axis=1, reduction="add")
    counts = g.op(
        "Slice",
        [
            counts,
            g.const(np.array([0]), "z"),
            g.const(np.array([depth]), "d"),
            g.const(np.array([1]), "axis"),
        ],
    )
    mode = lookup.output_mode
    if mode == "count":
        return counts
    if mode == "multi_hot":
        return g.op("Min", [counts, g.const(np.int64(1), "one")])
    idf = lookup.idf_weights
    weights = idf.detach().cpu().numpy().astype(np.float32)[:depth]
    product = g.op("Mul", [g.op("Cast", [counts], to=1), g.const(weights, "idf")])  # float32
    present = g.op("Greater", [counts, g.const(np.int64(0), "zero")])
    return g.op("Where", [present, product, g.const(np.float32(0.0), "zero_f")])


def _encode_last_axis(g: GraphBuilder, ids: str, lookup: Any, depth: int) -> str:
    """Encode each vector along the last axis of ``ids`` (any rank ≥ 1), as the layers do."""
    shape = g.op("Shape", [ids])
    lead = g.op("Slice", [shape, g.const(np.array([0]), "z"), g.const(np.array([-1]), "m1")])
    last = g.op("Slice", [shape, g.const(np.array([-1]), "m1"), g.const(np.array([2**62]), "inf")])
    rows = g.op("Concat", [g.const(np.array([-1]), "m1"), last], axis=0)
    encoded = _encode(g, g.op("Reshape", [ids, rows]), lookup, depth)
    out_shape = g.op("Concat", [lead, g.const(np.array([depth]), "depth")], axis=0)
    return g.op("Reshape", [encoded, out_shape])


def _text_vectorization(g: GraphBuilder, layer: Any, x: str, rank: int) -> tuple[str, int]:
    import onnx

    lookup = layer._lookup_layer
    _check_lookup(lookup, layer, strings=True)
    for option, value in (("standardize", layer._standardize), ("split", layer._split)):
        if callable(value):
            raise _refuse(
                layer,
                f"{option}={getattr(value, '__name__', type(value).__name__)} (a callable)",
                "is Python code, which cannot be translated into ONNX operators",
                f"Use one of the built-in {option} options, or export the model without the "
                "TextVectorization layer and vectorize in Python.",
            )
    if layer._ngrams not in (None, (1,)):
        raise _refuse(
            layer,
            f"ngrams={layer._ngrams_arg!r}",
            "joins neighbouring tokens, which onnxruntime-extensions has no operator for",
            "Use ngrams=None, or export the model without the TextVectorization layer.",
        )
    mode = layer._output_mode
    depth = lookup._depth() if mode != "int" else 0
    length = layer._output_sequence_length
    x = _standardize(g, x, layer._standardize)
    if layer._split is None:
        ids = _lookup(g, x, lookup, depth)
        if mode != "int":
            return _encode_last_axis(g, ids, lookup, depth), _out_type(mode)
        if length is not None:
            ids = _pad_last_axis(g, ids, length, rank)
        return ids, onnx.TensorProto.INT64
    if rank != 1:  # (batch, 1): one document a row
        x = g.op("Reshape", [x, g.const(np.array([-1]), "flat")])
    if layer._split == "whitespace":
        pattern, keep = _WHITESPACE_SPLIT, ""
    else:
        pattern, keep = _CHARACTER_SPLIT, _CHARACTER_KEEP
    tokens, _, _, rows = g.op(
        "StringRegexSplitWithOffsets",
        [x, g.const(pattern, "split"), g.const(keep, "keep")],
        n_out=4,
        domain=CONTRIB_DOMAIN,
    )
    ids = _lookup(g, tokens, lookup, depth)
    if mode == "int":
        return _dense(g, ids, rows, length, pad=0), onnx.TensorProto.INT64
    dense = _dense(g, ids, rows, None, pad=depth)
    return _encode(g, dense, lookup, depth), _out_type(mode)


def _out_type(mode: str) -> int:
    import onnx

    return onnx.TensorProto.FLOAT if mode == "tf_idf" else onnx.TensorProto.INT64


def string_preprocessing_graph(
    layer: Any,
    input_name: str = "inputs",
    output_name: str = "outputs",
    opset: int = 18,
    input_rank: int = 1,
) -> onnx.ModelProto:
    """An ONNX graph computing ``layer``'s output from raw strings (or integers).

    Args:
        layer: a built ``TextVectorization``, ``StringLookup`` or ``IntegerLookup``.
        input_name / output_name: names of the graph's single input and output.
        opset: the default-domain opset (18 or later).
        input_rank: rank of the input: 1 for ``(batch,)``; 2 for ``(batch, 1)``
            (TextVectorization with a split) or ``(batch, k)``; more for lookups.

    Raises:
        ExportError: an option whose result the graph could not reproduce exactly.
    """
    import onnx
    from onnx import helper

    from torchbridge.layers.preprocessing.index_lookup import IndexLookup
    from torchbridge.layers.preprocessing.text_vectorization import TextVectorization

    if isinstance(opset, bool) or not isinstance(opset, int) or opset < _MIN_OPSET:
        raise ExportError(f"opset must be an integer >= {_MIN_OPSET}; received opset={opset!r}.")
    if isinstance(input_rank, bool) or not isinstance(input_rank, int) or input_rank < 1:
        raise ExportError(f"input_rank must be a positive integer; received {input_rank!r}.")
    g = GraphBuilder()
    if isinstance(layer, TextVectorization):
        if layer._split is not None and input_rank > 2:
            raise _refuse(
                layer,
                f"input_rank={input_rank}",
                "does not fit a layer that splits one string per example",
                "Use input_rank=1 for (batch,) inputs or 2 for (batch, 1).",
            )
        in_type = onnx.TensorProto.STRING
        out, out_type = _text_vectorization(g, layer, input_name, input_rank)
    elif isinstance(layer, IndexLookup):
        _check_lookup(layer, layer, strings=layer._string_vocab)
        in_type = onnx.TensorProto.STRING if layer._string_vocab else onnx.TensorProto.INT64
        mode = layer.output_mode
        depth = layer._depth() if mode != "int" else 0
        out = _lookup(g, input_name, layer, depth)
        out_type = onnx.TensorProto.INT64
        if mode != "int":
            out, out_type = _encode_last_axis(g, out, layer, depth), _out_type(mode)
    else:
        raise ExportError(
            f"string_preprocessing_graph takes a TextVectorization, StringLookup or "
            f"IntegerLookup layer; received {type(layer).__name__}."
        )
    g.nodes.append(helper.make_node("Identity", [out], [output_name], name=g.name("output")))
    dims: list[Any] = ["batch"] + [f"dim_{i}" for i in range(1, input_rank)]
    if isinstance(layer, TextVectorization) and layer._split is not None and input_rank == 2:
        dims = ["batch", 1]
    inputs = [helper.make_tensor_value_info(input_name, in_type, dims)]
    outputs = [helper.make_tensor_value_info(output_name, out_type, None)]
    return g.model(inputs, outputs, opset, f"{layer.name}_preprocessing")


# --- composition ---------------------------------------------------------------------------------
def _rename_input(graph: Any, old: str, new: str) -> None:
    for value in graph.input:
        if value.name == old:
            value.name = new
    for node in graph.node:
        node.input[:] = [new if name == old else name for name in node.input]
        for attr in node.attribute:  # subgraphs (If / Loop / Scan) may read it too
            for sub in ([attr.g] if attr.HasField("g") else []) + list(attr.graphs):
                _rename_input_uses(sub, old, new)


def _rename_input_uses(graph: Any, old: str, new: str) -> None:
    for node in graph.node:
        node.input[:] = [new if name == old else name for name in node.input]
        for attr in node.attribute:
            for sub in ([attr.g] if attr.HasField("g") else []) + list(attr.graphs):
                _rename_input_uses(sub, old, new)


def _opset(model: Any, domain: str) -> int | None:
    for entry in model.opset_import:
        if entry.domain == domain or (domain == "" and entry.domain == "ai.onnx"):
            return int(entry.version)
    return None


def prepend_string_preprocessing(
    preprocessing: onnx.ModelProto,
    model: onnx.ModelProto,
    model_input: str | None = None,
    prefix: str = "preprocessing/",
) -> onnx.ModelProto:
    """One ONNX model: ``preprocessing``'s output feeds ``model``'s input ``model_input``.

    The result's inputs are the preprocessing's (raw strings) plus the model's
    other inputs; its outputs are the model's. The preprocessing output is cast
    to the model input's element type when they differ (int64 → int32 ...);
    the opsets are aligned (the preprocessing takes the model's default-domain
    opset when it is newer, the model is converted to opset 18 when older).
    """
    import onnx
    from onnx import compose, helper

    pre = onnx.ModelProto()
    pre.CopyFrom(preprocessing)
    main = onnx.ModelProto()
    main.CopyFrom(model)
    initializers = {t.name for t in main.graph.initializer}
    feeds = [v for v in main.graph.input if v.name not in initializers]
    if not feeds:
        raise ExportError("prepend_string_preprocessing: the model has no input to feed.")
    names = [v.name for v in feeds]
    if model_input is None:
        model_input = names[0]
    if model_input not in names:
        raise ExportError(
            f"prepend_string_preprocessing: the model has no input {model_input!r}; its inputs "
            f"are {names}. Pass model_input= one of them."
        )
    if len(pre.graph.output) != 1:
        raise ExportError(
            "prepend_string_preprocessing: the preprocessing graph must have one output; it has "
            f"{len(pre.graph.output)}."
        )
    # opsets: one version per domain in both models
    main_opset = _opset(main, "") or _MIN_OPSET
    if main_opset < _MIN_OPSET:
        from onnx import version_converter

        main = version_converter.convert_version(main, _MIN_OPSET)
        main_opset = _MIN_OPSET
    for entry in pre.opset_import:
        other = _opset(main, entry.domain)
        if other is not None and other > entry.version:
            entry.version = other
    for entry in main.opset_import:
        mine = _opset(pre, entry.domain)
        if mine is not None and mine > entry.version:
            entry.version = mine
    pre.ir_version = main.ir_version = max(pre.ir_version, main.ir_version)

    pre = compose.add_prefix(pre, prefix, rename_inputs=False, rename_outputs=True)
    produced = pre.graph.output[0]
    target = next(v for v in feeds if v.name == model_input).type.tensor_type.elem_type
    if target and produced.type.tensor_type.elem_type != target:
        cast_name = f"{prefix}cast_to_model_input"
        pre.graph.node.append(
            helper.make_node("Cast", [produced.name], [cast_name], to=target, name=cast_name)
        )
        del pre.graph.output[:]
        pre.graph.output.append(helper.make_tensor_value_info(cast_name, target, None))
        produced = pre.graph.output[0]
    fed = f"{prefix}model_input/{model_input}"
    _rename_input(main.graph, model_input, fed)
    clash = {v.name for v in pre.graph.input} & (
        {v.name for v in main.graph.input} | {v.name for v in main.graph.output}
    )
    if clash:
        raise ExportError(
            f"prepend_string_preprocessing: the preprocessing input {sorted(clash)} has the name "
            "of another input or output of the model; build the preprocessing with another "
            "input_name."
        )
    return compose.merge_models(pre, main, io_map=[(produced.name, fed)])


def prepend_string_layers(
    model: onnx.ModelProto | str | os.PathLike[str],
    string_layers: Sequence[tuple[str, Any]],
    model_inputs: Sequence[str] | None = None,
    filepath: str | os.PathLike[str] | None = None,
    input_ranks: Sequence[int] | None = None,
) -> onnx.ModelProto:
    """Put each string layer in front of the (numeric) ONNX ``model``.

    Args:
        model: the exported numeric model (a ``ModelProto`` or a path to one).
        string_layers: ``(name of the raw-string input, layer)`` per string input.
        model_inputs: the model input each layer feeds, in the same order
            (default: the model's first inputs in order).
        filepath: where to write the result (may be the path ``model`` was read from).
        input_ranks: rank of each raw-string input (default 1: ``(batch,)``).
    """
    import onnx

    merged = onnx.load(os.fspath(model)) if isinstance(model, (str, os.PathLike)) else model
    if model_inputs is None:
        initializers = {t.name for t in merged.graph.initializer}
        names = [v.name for v in merged.graph.input if v.name not in initializers]
        model_inputs = names[: len(string_layers)]
    if len(model_inputs) != len(string_layers):
        raise ExportError(
            f"prepend_string_layers: {len(string_layers)} string layers but "
            f"{len(model_inputs)} model inputs to feed; pass one model input per layer."
        )
    ranks = list(input_ranks) if input_ranks is not None else [1] * len(string_layers)
    for i, ((name, layer), target, rank) in enumerate(
        zip(string_layers, model_inputs, ranks, strict=True)
    ):
        pre = string_preprocessing_graph(layer, input_name=name, input_rank=rank)
        merged = prepend_string_preprocessing(pre, merged, target, prefix=f"preprocessing_{i}/")
    if filepath is not None:
        onnx.save(merged, os.fspath(filepath))
    return merged
