"""The ``tf.*`` functions ``torchbridge migrate`` rewrites, each to an exact ``keras.*``
equivalent (mostly ``keras.ops``), with the argument mapping: TensorFlow's positional
order, the Keras name of each argument, arguments dropped (``name=``), arguments that
block the rewrite when given (no exact equivalent), and defaults that must be spelled out
where TensorFlow's differ from Keras's. ``tf.data`` / ``tf.io`` names map by prefix."""

from __future__ import annotations

import dataclasses

__all__ = ["DATA_PREFIXES", "OpRule", "OPS", "find_data_target"]


@dataclasses.dataclass(frozen=True)
class OpRule:
    """``target`` called with TensorFlow's arguments renamed.

    ``params``: TensorFlow's parameters in positional order, each ``"tf"``, ``"tf:keras"``,
    ``"tf:-"`` (dropped) or ``"tf:!"`` (given -> no rewrite). ``keras_order``: the Keras
    positional order (a positional argument stays positional while the orders agree).
    ``defaults``: Keras keyword -> code added when TensorFlow's argument is absent.
    ``required``: TensorFlow arguments without which the call is not equivalent.
    ``varargs``: positional arguments past ``params`` pass through (einsum).
    """

    target: str
    params: tuple[str, ...]
    keras_order: tuple[str, ...]
    defaults: tuple[tuple[str, str], ...] = ()
    required: tuple[str, ...] = ()
    varargs: bool = False
    note: str = ""

    def mapping(self) -> dict[str, str]:
        out = {}
        for spec in self.params:
            tf_name, _, keras_name = spec.partition(":")
            out[tf_name] = keras_name or tf_name
        return out

    def tf_positional(self) -> list[str]:
        return [spec.partition(":")[0] for spec in self.params]


OPS: dict[str, OpRule] = {}


def _add(names: str, target: str, params: str, keras_order: str, **kw: object) -> None:
    rule = OpRule(target, tuple(params.split()), tuple(keras_order.split()), **kw)  # type: ignore[arg-type]
    for name in names.split():
        OPS["tensorflow." + name] = rule


_REDUCE = "input_tensor:x axis keepdims name:-"
for _tf, _k in [
    ("reduce_sum", "sum"),
    ("reduce_mean", "mean"),
    ("reduce_max", "max"),
    ("reduce_min", "min"),
    ("reduce_prod", "prod"),
    ("reduce_any", "any"),
    ("reduce_all", "all"),
    ("reduce_logsumexp", "logsumexp"),
]:
    _add(f"{_tf} math.{_tf}", f"keras.ops.{_k}", _REDUCE, "x axis keepdims")
_add("math.reduce_std", "keras.ops.std", _REDUCE, "x axis keepdims")
_add("math.reduce_variance", "keras.ops.var", _REDUCE, "x axis keepdims")

for _names, _k in [
    ("abs math.abs", "abs"),
    ("exp math.exp", "exp"),
    ("sqrt math.sqrt", "sqrt"),
    ("square math.square", "square"),
    ("sign math.sign", "sign"),
    ("floor math.floor", "floor"),
    ("math.ceil", "ceil"),
    ("round math.round", "round"),
    ("sin math.sin", "sin"),
    ("cos math.cos", "cos"),
    ("tan math.tan", "tan"),
    ("tanh math.tanh nn.tanh", "tanh"),
    ("sigmoid math.sigmoid nn.sigmoid", "sigmoid"),
    ("math.log", "log"),
    ("math.log1p", "log1p"),
    ("math.expm1", "expm1"),
    ("math.erf", "erf"),
    ("negative math.negative", "negative"),
    ("math.reciprocal", "reciprocal"),
    ("math.rsqrt", "rsqrt"),
    ("math.is_nan", "isnan"),
    ("math.is_inf", "isinf"),
    ("math.is_finite", "isfinite"),
    ("logical_not math.logical_not", "logical_not"),
]:
    _add(_names, f"keras.ops.{_k}", "x name:-", "x")

for _names, _k in [
    ("nn.relu", "relu"),
    ("nn.relu6", "relu6"),
    ("nn.elu", "elu"),
    ("nn.selu", "selu"),
    ("nn.softplus math.softplus", "softplus"),
    ("nn.softsign math.softsign", "softsign"),
]:
    _add(_names, f"keras.ops.{_k}", "features:x name:-", "x")
_add("nn.silu nn.swish", "keras.ops.silu", "features:x beta:! name:-", "x")
_add(
    "nn.gelu",
    "keras.ops.gelu",
    "features:x approximate name:-",
    "x approximate",
    defaults=(("approximate", "False"),),
)
_add(
    "nn.leaky_relu",
    "keras.ops.leaky_relu",
    "features:x alpha:negative_slope name:-",
    "x negative_slope",
)
_add("nn.softmax math.softmax", "keras.ops.softmax", "logits:x axis name:-", "x axis")
_add("nn.log_softmax math.log_softmax", "keras.ops.log_softmax", "logits:x axis name:-", "x axis")

for _names, _k in [
    ("add math.add", "add"),
    ("subtract math.subtract", "subtract"),
    ("multiply math.multiply", "multiply"),
    ("divide math.divide", "divide"),
    ("math.truediv truediv", "true_divide"),
    ("math.floordiv floordiv", "floor_divide"),
    ("math.floormod mod math.mod", "mod"),
    ("maximum math.maximum", "maximum"),
    ("minimum math.minimum", "minimum"),
    ("pow math.pow", "power"),
    ("equal math.equal", "equal"),
    ("not_equal math.not_equal", "not_equal"),
    ("greater math.greater", "greater"),
    ("greater_equal math.greater_equal", "greater_equal"),
    ("less math.less", "less"),
    ("less_equal math.less_equal", "less_equal"),
    ("logical_and math.logical_and", "logical_and"),
    ("logical_or math.logical_or", "logical_or"),
]:
    _add(_names, f"keras.ops.{_k}", "x:x1 y:x2 name:-", "x1 x2")

_add(
    "matmul linalg.matmul",
    "keras.ops.matmul",
    "a:x1 b:x2 transpose_a:! transpose_b:! adjoint_a:! adjoint_b:! a_is_sparse:! "
    "b_is_sparse:! output_type:! grad_a:! grad_b:! name:-",
    "x1 x2",
)
_add("concat", "keras.ops.concatenate", "values:xs axis name:-", "xs axis", required=("axis",))
_add("stack", "keras.ops.stack", "values:x axis name:-", "x axis")
_add("reshape", "keras.ops.reshape", "tensor:x shape:newshape name:-", "x newshape")
_add("expand_dims", "keras.ops.expand_dims", "input:x axis name:-", "x axis")
_add("squeeze", "keras.ops.squeeze", "input:x axis name:- squeeze_dims:!", "x axis")
_add("transpose", "keras.ops.transpose", "a:x perm:axes conjugate:! name:-", "x axes")
_add("tile", "keras.ops.tile", "input:x multiples:repeats name:-", "x repeats")
_add(
    "gather",
    "keras.ops.take",
    "params:x indices validate_indices:! axis batch_dims:! name:-",
    "x indices axis",
    defaults=(("axis", "0"),),
)
_add("cast dtypes.cast", "keras.ops.cast", "x dtype name:-", "x dtype")
_add(
    "one_hot",
    "keras.ops.one_hot",
    "indices:x depth:num_classes on_value:! off_value:! axis dtype name:-",
    "x num_classes axis dtype",
)
_add(
    "range", "keras.ops.arange", "start limit:stop delta:step dtype name:-", "start stop step dtype"
)
_add(
    "clip_by_value",
    "keras.ops.clip",
    "t:x clip_value_min:x_min clip_value_max:x_max name:-",
    "x x_min x_max",
)
_add(
    "where", "keras.ops.where", "condition x:x1 y:x2 name:-", "condition x1 x2", required=("x", "y")
)
_add(
    "argmax math.argmax",
    "keras.ops.argmax",
    "input:x axis output_type:! name:- dimension:!",
    "x axis",
    defaults=(("axis", "0"),),
    note="tf returns int64 indices, keras.ops int32",
)
_add(
    "argmin math.argmin",
    "keras.ops.argmin",
    "input:x axis output_type:! name:- dimension:!",
    "x axis",
    defaults=(("axis", "0"),),
    note="tf returns int64 indices, keras.ops int32",
)
_add(
    "math.top_k nn.top_k",
    "keras.ops.top_k",
    "input:x k sorted index_type:! name:-",
    "x k sorted",
    defaults=(("k", "1"),),
)
_add("sort", "keras.ops.sort", "values:x axis direction:! name:-", "x axis")
_add("einsum", "keras.ops.einsum", "equation:subscripts", "subscripts", varargs=True)
_add("zeros", "keras.ops.zeros", "shape dtype name:- layout:!", "shape dtype")
_add("ones", "keras.ops.ones", "shape dtype name:- layout:!", "shape dtype")
_add("zeros_like", "keras.ops.zeros_like", "input:x dtype name:- layout:!", "x dtype")
_add("ones_like", "keras.ops.ones_like", "input:x dtype name:- layout:!", "x dtype")
_add("fill", "keras.ops.full", "dims:shape value:fill_value name:- layout:!", "shape fill_value")
_add(
    "math.cumsum cumsum",
    "keras.ops.cumsum",
    "x axis exclusive:! reverse:! name:-",
    "x axis",
    defaults=(("axis", "0"),),
)
_add(
    "convert_to_tensor",
    "keras.ops.convert_to_tensor",
    "value:x dtype dtype_hint:! name:-",
    "x dtype",
)
_add(
    "constant",
    "keras.ops.convert_to_tensor",
    "value:x dtype shape:! name:- verify_shape:!",
    "x dtype",
)
_add(
    "shape",
    "keras.ops.shape",
    "input:x out_type:! name:-",
    "x",
    note="keras.ops.shape returns a tuple of ints (tf.shape a 1-D int32 tensor): indexing is "
    "the same, tensor arithmetic on the whole shape is not",
)
_add("stop_gradient", "keras.ops.stop_gradient", "input:variable name:-", "variable")
_add(
    "random.normal",
    "keras.random.normal",
    "shape mean stddev dtype seed name:- layout:!",
    "shape mean stddev dtype seed",
    note="same distribution, a different random stream than TensorFlow's",
)
_add(
    "random.uniform",
    "keras.random.uniform",
    "shape minval maxval dtype seed name:- layout:!",
    "shape minval maxval dtype seed",
    note="same distribution, a different random stream than TensorFlow's",
)
_add(
    "random.set_seed",
    "keras.utils.set_random_seed",
    "seed",
    "seed",
    note="also seeds Python's random and NumPy",
)
_add(
    "Variable",
    "keras.Variable",
    "initial_value:initializer trainable validate_shape:! caching_device:! name "
    "variable_def:! dtype import_scope:! constraint:! synchronization:! aggregation:! shape:!",
    "initializer",
)
_add("TensorSpec", "torchbridge.data.TensorSpec", "shape dtype name", "shape dtype name")

# tf.data / tf.io -> torchbridge.data / torchbridge.io: same names and arguments.
DATA_PREFIXES: tuple[tuple[str, str], ...] = (
    ("tensorflow.data.experimental.AUTOTUNE", "torchbridge.data.AUTOTUNE"),
    ("tensorflow.data.experimental.make_csv_dataset", "torchbridge.data.make_csv_dataset"),
    ("tensorflow.data.experimental.CsvDataset", "torchbridge.data.CsvDataset"),
    ("tensorflow.data.experimental", "torchbridge.data.experimental"),
    ("tensorflow.data", "torchbridge.data"),
    ("tensorflow.io.parse_single_example", "torchbridge.io.parse_single_example"),
    ("tensorflow.io.parse_example", "torchbridge.io.parse_example"),
    ("tensorflow.io.parse_single_sequence_example", "torchbridge.io.parse_single_sequence_example"),
    ("tensorflow.io.FixedLenFeature", "torchbridge.io.FixedLenFeature"),
    ("tensorflow.io.VarLenFeature", "torchbridge.io.VarLenFeature"),
    ("tensorflow.io.FixedLenSequenceFeature", "torchbridge.io.FixedLenSequenceFeature"),
    ("tensorflow.io.TFRecordWriter", "torchbridge.io.TFRecordWriter"),
    ("tensorflow.io.TFRecordOptions", "torchbridge.io.TFRecordOptions"),
)


def find_data_target(path: str) -> str | None:
    """The torchbridge spelling of a ``tensorflow.data`` / ``tensorflow.io`` name, if any
    (existence in torchbridge is checked by the caller)."""
    for prefix, target in DATA_PREFIXES:
        if path == prefix or path.startswith(prefix + "."):
            return target + path[len(prefix) :]
    return None
