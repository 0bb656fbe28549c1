"""grain datasets and loaders in fit/evaluate/predict, as Keras 3's GrainDatasetAdapter reads them."""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import numpy as np
import pytest
import torch

import torchbridge as tb
from torchbridge.errors import InputError
from torchbridge.training.adapter_registry import adapter_for
from torchbridge.training.adapters import grain_dataset

grain = pytest.importorskip("grain")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(20, 3)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5]], "float32") + 0.1).astype("float32")
BATCH = 4


class Rows:
    """A random-access source of ``(x, y)`` rows (grain's data source protocol)."""

    def __len__(self) -> int:
        return len(X)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        return X[index], Y[index]


def _map_dataset() -> Any:
    return grain.MapDataset.source(Rows()).batch(BATCH)


def _iter_dataset() -> Any:
    return grain.MapDataset.source(Rows()).to_iter_dataset().batch(BATCH)


def _data_loader() -> Any:
    return grain.DataLoader(
        data_source=Rows(),
        sampler=grain.samplers.IndexSampler(len(X), shuffle=False, num_epochs=1),
        operations=[grain.transforms.Batch(batch_size=BATCH)],
    )


def _python_map_dataset() -> Any:
    import grain.python as gp

    return gp.MapDataset.source(Rows()).batch(BATCH)


SOURCES = {
    "MapDataset": _map_dataset,
    "IterDataset": _iter_dataset,
    "DataLoader": _data_loader,
    "grain.python.MapDataset": _python_map_dataset,
}


def _model() -> tb.Model:
    torch.manual_seed(0)
    model = tb.Sequential([tb.Input((3,)), tb.layers.Dense(1)])
    model.compile(optimizer=tb.optimizers.SGD(learning_rate=0.05), loss="mse", device="cpu")
    return model


@pytest.mark.parametrize("kind", list(SOURCES))
def test_grain_batches_train_like_the_same_numpy_arrays(kind: str) -> None:
    assert adapter_for(SOURCES[kind]()).name == grain_dataset.NAME  # type: ignore[union-attr]
    ours, reference = _model(), _model()
    history = ours.fit(SOURCES[kind](), epochs=3, shuffle=False, verbose=0)
    want = reference.fit(X, Y, batch_size=BATCH, epochs=3, shuffle=False, verbose=0)
    for got, expected in zip(ours.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(history.history["loss"], want.history["loss"], rtol=1e-6)
    np.testing.assert_allclose(
        ours.evaluate(SOURCES[kind](), verbose=0),
        reference.evaluate(X, Y, batch_size=BATCH, verbose=0),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        ours.predict(SOURCES[kind](), verbose=0),
        reference.predict(X, batch_size=BATCH, verbose=0),
        rtol=0,
        atol=1e-6,
    )


def test_shuffle_true_is_ignored_with_keras_warning() -> None:
    model = _model()
    with pytest.warns(UserWarning, match="grain dataset is expected to already be shuffled"):
        model.fit(_map_dataset(), epochs=1, verbose=0)  # fit's default: shuffle=True
    reference = _model()
    reference.fit(X, Y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    for got, expected in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs",
    [{"y": Y}, {"sample_weight": np.ones(20, "float32")}, {"class_weight": {0: 1.0}}],
    ids=["y", "sample_weight", "class_weight"],
)
def test_arguments_keras_refuses_are_refused_with_its_words(kwargs: dict[str, Any]) -> None:
    from keras.src.trainers.data_adapters import get_data_adapter

    with pytest.raises(ValueError) as keras_error:
        get_data_adapter(_map_dataset(), **kwargs)
    with pytest.raises(InputError) as ours:
        _model().fit(_map_dataset(), shuffle=False, verbose=0, **kwargs)
    argument = next(iter(kwargs)).replace("sample_weight", "sample_weights")
    assert f"`{argument}`" in str(keras_error.value) and f"`{argument}`" in str(ours.value)
    first_sentence = str(keras_error.value).split(". ")[0]
    assert str(ours.value).startswith(first_sentence.split(" Received")[0])


def test_an_endless_dataset_is_read_for_steps_per_epoch() -> None:
    endless = grain.MapDataset.source(Rows()).repeat().batch(BATCH)
    ours, reference = _model(), _model()
    ours.fit(endless, steps_per_epoch=5, epochs=2, shuffle=False, verbose=0)
    reference.fit(X, Y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    for got, expected in zip(ours.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_recognised_by_type_module_without_importing_grain() -> None:
    def named(name: str, module: str) -> Any:
        return type(name, (), {"__module__": module})()

    assert grain_dataset.can_handle(named("MapDataset", "grain._src.python.dataset.dataset"))
    assert grain_dataset.can_handle(named("DataLoader", "grain._src.python.data_loader"))
    assert not grain_dataset.can_handle(named("DataLoader", "torch.utils.data"))
    assert not grain_dataset.can_handle(named("MapDataset", "mygrain.data"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not grain_dataset.can_handle(np.ones(3))
    source = inspect.getsource(grain_dataset)
    assert "import grain" not in source and "from grain" not in source


def test_keras_trains_the_same_weights_on_the_same_grain_dataset() -> None:
    """The oracle: Keras 3 (its GrainDatasetAdapter) fitting the same grain pipeline."""
    import keras

    keras.utils.set_random_seed(0)
    theirs = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    ours = tb.Sequential([tb.Input((3,)), tb.layers.Dense(1)])
    ours.set_weights(theirs.get_weights())
    theirs.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
    ours.compile(optimizer=tb.optimizers.SGD(learning_rate=0.05), loss="mse", device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Keras's and ours: shuffle=True ignored
        theirs.fit(_map_dataset(), epochs=2, verbose=0)
        ours.fit(_map_dataset(), epochs=2, verbose=0)
    for got, expected in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
