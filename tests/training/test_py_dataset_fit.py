"""fit / evaluate / predict on a keras.utils.PyDataset, against real Keras: same batches, same
number of steps, same History; workers (threads, processes), shuffle, endless datasets."""

from __future__ import annotations

import math
import random
import warnings

import keras
import numpy as np
import pytest

import torchbridge as tb
from torchbridge.errors import InputError


def _make_dataset_class(base: type) -> type:
    class Batches(base):  # type: ignore[misc, valid-type]
        """Batch ``i`` holds rows ``[4i, 4i + 4)``; logs the indices read and the hooks."""

        def __init__(self, x, y=None, sw=None, n_batches=None, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.sw = x, y, sw
            self.n = n_batches if n_batches is not None else math.ceil(len(x) / 4)
            self.log: list = []

        def __len__(self):
            return self.n

        def __getitem__(self, i):
            self.log.append(i)
            rows = slice(4 * i, 4 * i + 4)
            if self.y is None:
                return (self.x[rows],)
            if self.sw is None:
                return self.x[rows], self.y[rows]
            return self.x[rows], self.y[rows], self.sw[rows]

        def on_epoch_end(self):
            self.log.append("end")

    return Batches


KerasBatches = _make_dataset_class(keras.utils.PyDataset)
OurBatches = _make_dataset_class(tb.utils.PyDataset)


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(22, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")
    sw = np.linspace(0.5, 1.5, 22).astype("float32")
    return x, y, sw


def _models():
    keras.utils.set_random_seed(0)
    k = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.Dense(1)])
    ours = tb.Sequential([tb.Input((3,)), tb.layers.Dense(2), tb.layers.Dense(1)])
    ours.set_weights(k.get_weights())
    k.compile(keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
    ours.compile(tb.optimizers.SGD(0.05), "mse", metrics=["mae"])
    return k, ours


@pytest.mark.parametrize(
    "case",
    [
        {"shuffle": False},
        {"shuffle": True},
        {"shuffle": False, "sample_weight": True},
        {"shuffle": False, "workers": 3},
    ],
    ids=["ordered", "shuffled", "sample_weight", "threads"],
)
def test_fit_history_matches_keras(case: dict) -> None:
    x, y, sw = _data()
    sw_arg = sw if case.get("sample_weight") else None
    workers = case.get("workers", 1)
    k, ours = _models()
    kd = KerasBatches(x, y, sw_arg, workers=workers)
    od = OurBatches(x, y, sw_arg, workers=workers)
    random.seed(123)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kh = k.fit(kd, epochs=3, shuffle=case["shuffle"], verbose=0).history
    random.seed(123)
    oh = ours.fit(od, epochs=3, shuffle=case["shuffle"], verbose=0).history
    assert list(oh) == list(kh)
    for key in kh:
        np.testing.assert_allclose(oh[key], kh[key], rtol=1e-5, atol=1e-6, err_msg=key)
    # Each epoch reads every batch once and ends with on_epoch_end (fit's reset ends
    # one first, as Keras's).
    ours_reads = [i for i in od.log if i != "end"]
    assert sorted(ours_reads) == sorted(list(range(6)) * 3)
    assert od.log.count("end") == 4 and od.log[0] == od.log[-1] == "end"
    if not case["shuffle"] and workers == 1:
        assert ours_reads == list(range(6)) * 3
    np.testing.assert_allclose(
        ours.evaluate(OurBatches(x, y), verbose=0),
        k.evaluate(KerasBatches(x, y), verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )
    np.testing.assert_allclose(
        ours.predict(OurBatches(x), verbose=0),
        k.predict(KerasBatches(x), verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )


class Endless(tb.utils.PyDataset):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.read: list[int] = []

    @property
    def num_batches(self):
        return None

    def __getitem__(self, i):
        self.read.append(i)
        x = np.full((2, 3), float(i % 5), "float32")
        return x, x.sum(1, keepdims=True)


def test_endless_dataset_needs_steps_per_epoch() -> None:
    _, ours = _models()
    with pytest.raises(InputError, match="steps_per_epoch"):
        ours.fit(Endless(), epochs=1, verbose=0)
    data = Endless()
    history = ours.fit(data, epochs=2, steps_per_epoch=3, verbose=0).history
    assert len(history["loss"]) == 2
    assert data.read == list(range(6))  # one stream continued across epochs


def test_epoch_hooks_with_steps_per_epoch() -> None:
    x, y, _ = _data()
    _, ours = _models()
    data = OurBatches(x, y)
    ours.fit(data, epochs=2, steps_per_epoch=6, shuffle=False, verbose=0)
    assert data.log == ["end", *range(6), "end", *range(6), "end"]
    data = OurBatches(x, y)
    ours.fit(data, epochs=2, steps_per_epoch=3, shuffle=False, verbose=0)
    assert data.log == ["end", 0, 1, 2, "end", 3, 4, 5, "end"]  # hooks every epoch (Keras)


def test_processes_give_the_same_batches_as_sequential_reading() -> None:
    x, _, _ = _data()
    _, ours = _models()
    sequential = ours.predict(OurBatches(x), verbose=0)
    parallel = ours.predict(OurBatches(x, workers=2, use_multiprocessing=True), verbose=0)
    np.testing.assert_allclose(parallel, sequential, rtol=1e-6, atol=1e-7)


def test_targets_beside_a_py_dataset_are_refused() -> None:
    x, y, _ = _data()
    _, ours = _models()
    with pytest.raises(InputError, match="PyDataset"):
        ours.fit(OurBatches(x, y), y, verbose=0)
    with pytest.raises(InputError, match="validation_split"):
        ours.fit(OurBatches(x, y), validation_split=0.2, verbose=0)


def test_bad_batch_names_the_contract() -> None:
    class Bad(tb.utils.PyDataset):
        def __len__(self):
            return 1

        def __getitem__(self, i):
            return (1, 2, 3, 4)

    _, ours = _models()
    with pytest.raises(InputError, match=r"\(inputs, targets\)"):
        ours.fit(Bad(), verbose=0)


def test_class_weight_adds_sample_weights() -> None:
    class Labels(tb.utils.PyDataset):
        def __len__(self):
            return 1

        def __getitem__(self, i):
            return np.eye(3, dtype="float32"), np.array([0, 1, 2])

    from torchbridge.training.data_adapter import make_adapter

    adapter = make_adapter(Labels(), class_weight={0: 1.0, 1: 2.0, 2: 3.0})
    (batch,) = list(adapter.iter_epoch(0))
    assert batch[2].tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("steps_per_epoch", [None, 2])
def test_epoch_hooks_are_called_as_keras_calls_them(steps_per_epoch) -> None:
    """on_epoch_begin/on_epoch_end around every epoch (also when steps_per_epoch makes a
    pass span epochs), and on_epoch_end when fit/evaluate reset the data: Keras's calls."""

    def run(lib):
        class Events(lib.utils.PyDataset):
            def __init__(self):
                super().__init__()
                self.events = []

            def __len__(self):
                return 6

            def __getitem__(self, i):
                return np.full((2, 3), float(i), "float32"), np.ones((2, 1), "float32")

            def on_epoch_begin(self):
                self.events.append("B")

            def on_epoch_end(self):
                self.events.append("E")

        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        out = []
        for call in ("fit", "evaluate", "predict"):
            data = Events()
            if call == "fit":
                model.fit(data, epochs=3, steps_per_epoch=steps_per_epoch, verbose=0)
            else:
                getattr(model, call)(data, verbose=0)
            out.append("".join(data.events))
        return out

    assert run(tb) == run(keras)
