"""Bad arguments to fit/evaluate/predict, *_on_batch, Input and layer constructors.

The property: for any drawn argument values, torchbridge either behaves as Keras does or
raises an error of its own that names the argument — never a raw torch/NumPy exception
and never a silent run where the user surely erred. ``hypothesis`` draws the values; the
cases the issue measured are pinned in a table below.
"""

from __future__ import annotations

import os
import traceback
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import torchbridge as tb
from torchbridge.errors import InputError, TorchbridgeError

_PACKAGE = os.path.dirname(tb.__file__)

x = np.random.default_rng(0).random((10, 4)).astype("float32")
y = np.random.default_rng(1).integers(0, 3, 10)


def _model() -> tb.Model:
    model = tb.Sequential([tb.Input((4,)), tb.layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _raised_by_torchbridge(exc: BaseException) -> bool:
    """A torchbridge error class, or a ValueError/TypeError raised by torchbridge's own code
    (its message written for the user), not by torch or NumPy underneath."""
    if isinstance(exc, TorchbridgeError):
        return True
    if not isinstance(exc, (ValueError, TypeError)):
        return False
    last = traceback.extract_tb(exc.__traceback__)[-1]
    return os.path.abspath(last.filename).startswith(_PACKAGE)


def _outcome(fn) -> tuple[str, object]:
    try:
        with warnings.catch_warnings():  # Keras's warnings (e.g. data ran out) are fine here
            warnings.simplefilter("ignore", UserWarning)
            return "ok", fn()
    except Exception as exc:  # the property decides whether this exception is acceptable
        assert _raised_by_torchbridge(exc), (
            f"a raw {type(exc).__module__}.{type(exc).__name__}: {exc}\n"
            + "".join(traceback.format_exception(exc)[-3:])
        )
        return "error", exc


# --- the measured cases -------------------------------------------------------------------
MISTAKES = {
    "fit on empty data": lambda: _model().fit(np.zeros((0, 4), "float32"), np.zeros(0), verbose=0),
    "batch_size=0": lambda: _model().fit(x, y, batch_size=0, verbose=0),
    "batch_size=True": lambda: _model().fit(x, y, batch_size=True, verbose=0),
    "batch_size=3.0": lambda: _model().fit(x, y, batch_size=3.0, verbose=0),
    "epochs=-1": lambda: _model().fit(x, y, epochs=-1, verbose=0),
    "epochs=1.5": lambda: _model().fit(x, y, epochs=1.5, verbose=0),
    "steps_per_epoch=0": lambda: _model().fit(x, y, steps_per_epoch=0, verbose=0),
    "shuffle='yes'": lambda: _model().fit(x, y, shuffle="yes", verbose=0),
    "validation_split=1.5": lambda: _model().fit(x, y, validation_split=1.5, verbose=0),
    "validation_freq=0": lambda: _model().fit(x, y, validation_split=0.2, validation_freq=0),
    "class_weight by name": lambda: _model().fit(x, y, class_weight={"ham": 1.0}, verbose=0),
    "class_weight negative": lambda: _model().fit(x, y, class_weight={0: -1.0}, verbose=0),
    "predict(batch_size=0)": lambda: _model().predict(x, batch_size=0, verbose=0),
    "evaluate(steps=0)": lambda: _model().evaluate(x, y, steps=0, verbose=0),
    "train_on_batch on 0 rows": lambda: _model().train_on_batch(np.zeros((0, 4), "float32"), []),
    "Input(shape=(-4,))": lambda: tb.Input(shape=(-4,)),
    "dtype='flaot32'": lambda: tb.layers.Dense(3, dtype="flaot32"),
    "Conv2D on rank 2": lambda: tb.layers.Conv2D(3, 3)(x),
}


@pytest.mark.parametrize("case", sorted(MISTAKES))
def test_a_mistake_is_a_torchbridge_error_naming_it(case) -> None:
    with pytest.raises(InputError) as info:
        MISTAKES[case]()
    message = str(info.value)
    assert len(message) > 40, message  # says what was wrong and what to do


def test_dtype_typo_suggests_the_name() -> None:
    with pytest.raises(InputError, match="Did you mean 'float32'"):
        tb.layers.Dense(3, dtype="flaot32")


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "uint8", "float64"])
def test_numpy_features_of_any_dtype_are_cast_as_keras_casts(dtype) -> None:
    """Keras converts a model's inputs to its Input's dtype; int64 or bool features train."""
    model = _model()
    features = (x * 4).astype(dtype)
    history = model.fit(features, y, epochs=1, verbose=0).history
    assert np.isfinite(history["loss"][0])
    assert model.predict(features, verbose=0).dtype == np.float32
    # a Dense layer called on integer features promotes them as Keras's matmul does
    assert tb.layers.Dense(2)(features).dtype == tb.ops.convert_to_tensor(x).dtype


# --- the property ---------------------------------------------------------------------------
_ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 40),
    st.floats(-2.0, 3.0),
    st.just(float("nan")),
    st.sampled_from(["", "32", "batch", "auto", "float32"]),
    st.just([1, 2]),
    st.just({0: 1.0, 1: 2.0}),
    st.just(np.int64(4)),
)

_FIT_ARGS = (
    "batch_size",
    "epochs",
    "shuffle",
    "validation_split",
    "class_weight",
    "steps_per_epoch",
    "validation_freq",
    "initial_epoch",
    "verbose",
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(_FIT_ARGS), value=_ANY)
def test_fit_takes_any_value_or_refuses_it_with_its_own_error(name, value) -> None:
    kwargs = {"verbose": 0, name: value}
    status, result = _outcome(lambda: _model().fit(x, y, **kwargs))
    if status == "error":
        assert name in str(result), f"the error does not name {name!r}: {result}"
        return
    history = result.history
    epochs = kwargs.get("epochs", 1)
    expected = max(0, int(epochs) - int(kwargs.get("initial_epoch") or 0))
    assert len(history.get("loss", [])) == expected, (name, value, history)
    assert all(np.isfinite(v) for v in history.get("loss", []))


@settings(max_examples=60, deadline=None)
@given(
    method=st.sampled_from(["predict", "evaluate"]),
    name=st.sampled_from(["batch_size", "steps", "verbose"]),
    value=_ANY,
)
def test_evaluate_and_predict_take_any_value_or_refuse_it(method, name, value) -> None:
    model = _model()
    call = (
        (lambda: model.predict(x, **{name: value}))
        if method == "predict"
        else (lambda: model.evaluate(x, y, **{name: value}))
    )
    status, result = _outcome(call)
    if status == "error":
        assert name in str(result), f"the error does not name {name!r}: {result}"
    elif method == "predict":
        assert result.shape[1] == 3


_LAYERS = {
    "Dense": (lambda v: tb.layers.Dense(v), (2, 4)),
    "Dropout": (lambda v: tb.layers.Dropout(v), (2, 4)),
    "Conv1D filters": (lambda v: tb.layers.Conv1D(v, 2), (2, 5, 3)),
    "Conv1D kernel_size": (lambda v: tb.layers.Conv1D(2, v), (2, 5, 3)),
    "Conv1D strides": (lambda v: tb.layers.Conv1D(2, 2, strides=v), (2, 5, 3)),
    "Conv2D padding": (lambda v: tb.layers.Conv2D(2, 2, padding=v), (2, 5, 5, 1)),
    "Embedding input_dim": (lambda v: tb.layers.Embedding(v, 3), (2, 4)),
    "Embedding output_dim": (lambda v: tb.layers.Embedding(10, v), (2, 4)),
    "LSTM units": (lambda v: tb.layers.LSTM(v), (2, 3, 4)),
    "MaxPooling1D pool_size": (lambda v: tb.layers.MaxPooling1D(v), (2, 6, 3)),
    "Reshape": (lambda v: tb.layers.Reshape(v), (2, 4)),
    "Input shape": (lambda v: tb.layers.Dense(2)(tb.Input(shape=v)), None),
}


@settings(max_examples=150, deadline=None)
@given(layer=st.sampled_from(sorted(_LAYERS)), value=_ANY)
def test_layer_constructors_take_any_value_or_refuse_it(layer, value) -> None:
    make, shape = _LAYERS[layer]

    def build_and_call():
        made = make(value)
        if shape is None:
            return made
        data = (
            np.random.default_rng(0)
            .integers(0, 9, shape)
            .astype("int64" if layer.startswith("Embedding") else "float32")
        )
        return made(data)

    status, result = _outcome(build_and_call)
    if status == "ok" and shape is not None:
        assert result.shape[0] == shape[0]


DATASET_MISTAKES = {
    "batch(0)": lambda ds: ds.batch(0),
    "batch(2.5)": lambda ds: ds.batch(2.5),
    "batch('64')": lambda ds: ds.batch("64"),
    "shuffle(None)": lambda ds: ds.shuffle(None),
    "shuffle(0)": lambda ds: ds.shuffle(0),
    "take(2.5)": lambda ds: ds.take(2.5),
    "skip('x')": lambda ds: ds.skip("x"),
    "repeat(1.5)": lambda ds: ds.repeat(1.5),
    "prefetch(-5)": lambda ds: ds.prefetch(-5),
}


@pytest.mark.parametrize("case", sorted(DATASET_MISTAKES))
def test_dataset_methods_refuse_bad_counts_when_called(case) -> None:
    """At the call, not at the first iteration (batch(2.5) used to batch by 2)."""
    from torchbridge.data import Dataset

    with pytest.raises(InputError) as info:
        DATASET_MISTAKES[case](Dataset.range(10))
    method = case.split("(")[0]
    assert str(info.value).startswith(f"{method}:")


def test_dataset_counts_accept_numpy_and_tensor_integers() -> None:
    import torch

    from torchbridge.data import Dataset

    ds = Dataset.range(10).batch(np.int64(4)).take(torch.tensor(2))
    assert [len(b) for b in ds] == [4, 4]


def test_filter_refuses_a_non_callable_at_the_call() -> None:
    from torchbridge.data import Dataset

    with pytest.raises(TypeError, match="callable predicate"):
        Dataset.range(3).filter("x > 1")
