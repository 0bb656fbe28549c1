"""What ``train_step`` / ``test_step`` / ``predict_step`` receive, for every kind of input.

Keras 3 hands a step each batch in the form its data adapter yields it:
``x`` alone, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``. The same
calls run on Keras (TensorFlow backend, ``run_eagerly=True``, in-process)
and on torchbridge with steps that record the structure they get; the
records must be equal. Inner lists and tuples are not told apart (Keras's
TensorFlow backend turns lists into tuples, its torch backend keeps them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch
from torch.utils.data import DataLoader, TensorDataset

import torchbridge as tb
from torchbridge.training.data_adapter import pack_x_y_sample_weight, unpack_x_y_sample_weight

N = 8
X = np.arange(N * 2, dtype="float32").reshape(N, 2)
Y = np.arange(N, dtype="float32").reshape(N, 1)
W = np.linspace(0.5, 1.5, N).astype("float32")
LABELS = np.array([0, 1] * (N // 2), dtype="int64")


def structure(data: Any, top: bool = True) -> Any:
    """The packing of a batch: containers and their lengths / keys, leaves as "t"."""
    if isinstance(data, (tuple, list)) and not hasattr(data, "_fields"):
        kind = type(data).__name__ if top else "seq"
        return (kind, *(structure(d, False) for d in data))
    if isinstance(data, Mapping):
        return ("dict", *sorted(data))
    return None if data is None else "t"


def _first_input(x: Any) -> Any:
    if isinstance(x, Mapping):
        x = x["a"]
    while isinstance(x, (tuple, list)):
        x = x[0]
    return x


class _Record:
    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    def add(self, kind: str, data: Any) -> None:
        entry = (kind, structure(data))
        if entry not in self.seen:
            self.seen.append(entry)


def _keras_spy(record: _Record) -> keras.Model:
    class Spy(keras.Model):
        def __init__(self) -> None:
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, x: Any) -> Any:
            return self.dense(_first_input(x))

        def train_step(self, data: Any) -> Any:
            record.add("train", data)
            return {"n": keras.ops.convert_to_tensor(0.0)}

        def test_step(self, data: Any) -> Any:
            record.add("test", data)
            return {"n": keras.ops.convert_to_tensor(0.0)}

        def predict_step(self, data: Any) -> Any:
            record.add("predict", data)
            x = data[0] if isinstance(data, tuple) else data
            return _first_input(x)[:, :1]

    model = Spy()
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    return model


def _our_spy(record: _Record) -> tb.Model:
    class Spy(tb.Model):
        def call(self, x: Any) -> Any:
            return _first_input(x)

        def train_step(self, data: Any) -> Any:
            record.add("train", data)
            return {"n": torch.tensor(0.0)}

        def test_step(self, data: Any) -> Any:
            record.add("test", data)
            return {"n": torch.tensor(0.0)}

        def predict_step(self, data: Any) -> Any:
            record.add("predict", data)
            x = data[0] if isinstance(data, tuple) else data
            return _first_input(x)[:, :1]

    model = Spy()
    model.compile(optimizer="sgd", loss="mse")
    return model


# --- sources built for each framework: tf.data for Keras, torchbridge.data for us ------------
def _dataset(framework: str, element: Any) -> Any:
    if framework == "keras":
        return tf.data.Dataset.from_tensor_slices(element).batch(4)
    return tb.data.Dataset.from_tensor_slices(element).batch(4)


def _generator(framework: str, batch: Any) -> Iterator[Any]:
    yield batch
    yield batch


def _loader(framework: str, *arrays: np.ndarray) -> DataLoader:
    return DataLoader(TensorDataset(*(torch.from_numpy(a) for a in arrays)), batch_size=4)


Call = Callable[[Any, str], Any]
CASES: dict[str, Call] = {
    # in-memory arrays
    "fit(x, y)": lambda m, f: m.fit(X, Y, batch_size=4, verbose=0),
    "fit(x, y, sample_weight)": lambda m, f: m.fit(X, Y, sample_weight=W, batch_size=4, verbose=0),
    "fit(x, y, class_weight)": lambda m, f: m.fit(
        X, LABELS, class_weight={0: 1.0, 1: 2.0}, batch_size=4, verbose=0
    ),
    "fit(x)": lambda m, f: m.fit(X, batch_size=4, verbose=0),
    "fit([x1, x2])": lambda m, f: m.fit([X, X], batch_size=4, verbose=0),
    "fit([x1, x2], y)": lambda m, f: m.fit([X, X], Y, batch_size=4, verbose=0),
    "fit({'a': x}, y)": lambda m, f: m.fit({"a": X}, Y, batch_size=4, verbose=0),
    "fit({'a': x})": lambda m, f: m.fit({"a": X}, batch_size=4, verbose=0),
    "fit(x, [y1, y2])": lambda m, f: m.fit(X, [Y, Y], batch_size=4, verbose=0),
    "fit(validation_data=(x, y))": lambda m, f: m.fit(
        X, Y, batch_size=4, verbose=0, validation_data=(X, Y)
    ),
    "fit(validation_data=(x, y, w))": lambda m, f: m.fit(
        X, Y, batch_size=4, verbose=0, validation_data=(X, Y, W)
    ),
    "fit(validation_split)": lambda m, f: m.fit(
        X, Y, batch_size=4, verbose=0, validation_split=0.5
    ),
    "evaluate(x, y)": lambda m, f: m.evaluate(X, Y, batch_size=4, verbose=0),
    "evaluate(x, y, sample_weight)": lambda m, f: m.evaluate(
        X, Y, sample_weight=W, batch_size=4, verbose=0
    ),
    "evaluate(x)": lambda m, f: m.evaluate(X, batch_size=4, verbose=0),
    "predict(x)": lambda m, f: m.predict(X, batch_size=4, verbose=0),
    "predict([x1, x2])": lambda m, f: m.predict([X, X], batch_size=4, verbose=0),
    "predict({'a': x})": lambda m, f: m.predict({"a": X}, batch_size=4, verbose=0),
    # a tf.data-style dataset of batches
    "fit(dataset of (x, y))": lambda m, f: m.fit(_dataset(f, (X, Y)), verbose=0),
    "fit(dataset of (x, y, w))": lambda m, f: m.fit(_dataset(f, (X, Y, W)), verbose=0),
    "fit(dataset of x)": lambda m, f: m.fit(_dataset(f, X), verbose=0),
    "fit(dataset of (x,))": lambda m, f: m.fit(_dataset(f, (X,)), verbose=0),
    "fit(dataset of ({'a': x}, y))": lambda m, f: m.fit(_dataset(f, ({"a": X}, Y)), verbose=0),
    "fit(dataset of (x, y), class_weight)": lambda m, f: m.fit(
        _dataset(f, (X, LABELS)), class_weight={0: 1.0, 1: 2.0}, verbose=0
    ),
    "fit(dataset, validation_data=dataset)": lambda m, f: m.fit(
        _dataset(f, (X, Y)), validation_data=_dataset(f, (X, Y, W)), verbose=0
    ),
    "evaluate(dataset of (x, y))": lambda m, f: m.evaluate(_dataset(f, (X, Y)), verbose=0),
    "predict(dataset of x)": lambda m, f: m.predict(_dataset(f, X), verbose=0),
    "predict(dataset of (x, y))": lambda m, f: m.predict(_dataset(f, (X, Y)), verbose=0),
    # a generator of batches
    "fit(generator of (x, y))": lambda m, f: m.fit(_generator(f, (X, Y)), verbose=0),
    "fit(generator of (x, y, w))": lambda m, f: m.fit(_generator(f, (X, Y, W)), verbose=0),
    "fit(generator of (x,))": lambda m, f: m.fit(_generator(f, (X,)), verbose=0),
    "fit(generator of ({'a': x}, y))": lambda m, f: m.fit(_generator(f, ({"a": X}, Y)), verbose=0),
    "predict(generator of (x,))": lambda m, f: m.predict(_generator(f, (X,)), verbose=0),
    "predict(generator of (x, y))": lambda m, f: m.predict(_generator(f, (X, Y)), verbose=0),
    # a torch DataLoader (collates samples into lists: [x, y])
    "fit(DataLoader of (x, y))": lambda m, f: m.fit(_loader(f, X, Y), verbose=0),
    "fit(DataLoader of (x, y, w))": lambda m, f: m.fit(_loader(f, X, Y, W), verbose=0),
    "fit(DataLoader of (x,))": lambda m, f: m.fit(_loader(f, X), verbose=0),
    "predict(DataLoader of (x,))": lambda m, f: m.predict(_loader(f, X), verbose=0),
}


def _seen(framework: str, call: Call) -> list[tuple[str, Any]]:
    record = _Record()
    model = _keras_spy(record) if framework == "keras" else _our_spy(record)
    call(model, framework)
    return record.seen


@pytest.mark.parametrize("case", list(CASES))
def test_steps_receive_the_batch_as_keras_passes_it(case: str) -> None:
    expected = _seen("keras", CASES[case])
    assert expected, "Keras ran no step"
    assert _seen("torchbridge", CASES[case]) == expected


def test_the_guides_unpacking_works_in_a_custom_step() -> None:
    """``x, y = data`` (keras-io's custom train_step) and the built-in step on the same data."""
    got: list[tuple[tuple[int, ...], tuple[int, ...]]] = []

    class Guide(tb.Model):
        def __init__(self) -> None:
            super().__init__()
            self.dense = torch.nn.Linear(2, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.dense(x)

        def train_step(self, data: Any) -> Any:
            x, y = data
            got.append((tuple(x.shape), tuple(y.shape)))
            return super().train_step(data)

    model = Guide()
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(X, Y, batch_size=4, epochs=2, verbose=0)
    assert got == [((4, 2), (4, 1))] * 4
    assert len(history.history["loss"]) == 2
    assert np.isfinite(history.history["loss"]).all()


@pytest.mark.parametrize(
    ("args", "packed"),
    [
        ((1,), 1),
        (([1, 2],), ([1, 2],)),
        (((1, 2),), ((1, 2),)),
        (({"a": 1},), {"a": 1}),
        ((1, 2), (1, 2)),
        ((1, 2, 3), (1, 2, 3)),
        ((1, None, 3), (1, None, 3)),  # weights without y are kept (Keras drops them)
    ],
)
def test_pack_is_keras_packing_and_unpack_inverts_it(args: tuple, packed: Any) -> None:
    assert pack_x_y_sample_weight(*args) == packed
    x, y, sw = (*args, None, None)[:3]
    assert unpack_x_y_sample_weight(packed) == (x, y, sw)
    if args[1:2] != (None,):  # the part Keras's own packing covers
        assert keras.utils.pack_x_y_sample_weight(*args) == packed


def test_a_batch_of_more_than_three_parts_names_the_forms() -> None:
    model = _our_spy(_Record())
    with pytest.raises(tb.errors.InputError, match=r"\(x, y, sample_weight\); got a tuple of 4"):
        model.fit(iter([(X, Y, W, W)]), verbose=0)
