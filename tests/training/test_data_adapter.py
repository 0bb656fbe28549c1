"""Data adapters: arrays, tensors, DataLoaders, generators; Keras's split and weights."""

from __future__ import annotations

import functools
import operator

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from torchbridge.errors import InputError
from torchbridge.training.data_adapter import (
    ArrayAdapter,
    class_weight_to_sample_weight,
    make_adapter,
    split_validation,
    to_tensors,
    unpack_x_y_sample_weight,
)


def test_to_tensors_casts_floats_to_float32_like_keras() -> None:
    out = to_tensors({"a": np.ones((2, 2)), "b": [np.arange(3), np.zeros(3, "float16")]})
    assert out["a"].dtype == torch.float32
    assert out["b"][0].dtype == torch.int64
    assert out["b"][1].dtype == torch.float32
    assert to_tensors([0, 1, 2]).tolist() == [0, 1, 2]


def test_strings_stay_numpy_text_for_string_inputs() -> None:
    out = to_tensors({"text": np.array(["a", "b"]), "n": np.array([1.0, 2.0])})
    assert out["text"].dtype == object and out["text"].tolist() == ["a", "b"]
    assert out["n"].dtype == torch.float32


def test_array_adapter_batches_and_shuffles_deterministically() -> None:
    x = torch.arange(10).float().unsqueeze(1)
    adapter = ArrayAdapter(x, torch.arange(10), batch_size=4, shuffle=True, seed=7)
    assert adapter.num_batches == 3
    epoch0 = [b[1].tolist() for b in adapter.iter_epoch(0)]
    assert [len(b) for b in epoch0] == [4, 4, 2]
    assert sorted(functools.reduce(operator.iadd, epoch0, [])) == list(range(10))
    assert epoch0 == [b[1].tolist() for b in adapter.iter_epoch(0)]  # (seed, epoch) → order
    assert epoch0 != [b[1].tolist() for b in adapter.iter_epoch(1)]
    for xb, yb in adapter.iter_epoch(3):  # (x, y): no weights, so no third part (Keras)
        assert xb.squeeze(1).long().tolist() == yb.tolist()  # x and y stay aligned


def test_shuffle_batch_keeps_order_inside_batches() -> None:
    adapter = ArrayAdapter(torch.arange(12), batch_size=4, shuffle="batch", seed=1)
    batches = [b.tolist() for b in adapter.iter_epoch(0)]  # x alone: no y (Keras)
    assert sorted(batches) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]


def test_cardinality_mismatch_names_sizes() -> None:
    with pytest.raises(InputError, match=r"x: \[10\], y: \[9\]"):
        make_adapter(np.ones((10, 2)), np.ones(9))


def test_validation_split_takes_the_last_fraction() -> None:
    (tx, _ty, _), (_vx, vy, _) = split_validation(np.arange(10), np.arange(10), None, 0.2)
    assert tx.tolist() == list(range(8)) and vy.tolist() == [8, 9]
    with pytest.raises(InputError, match="validation_data"):
        split_validation((i for i in range(3)), None, None, 0.2)
    with pytest.raises(InputError, match="not enough"):
        split_validation(np.arange(1), np.arange(1), None, 0.1)


def test_class_weight_matches_keras_rule() -> None:
    y = torch.tensor([0, 1, 2, 1])
    assert class_weight_to_sample_weight(y, {0: 1.0, 1: 3.0}).tolist() == [1.0, 3.0, 1.0, 3.0]
    one_hot = torch.eye(3)[y]
    assert class_weight_to_sample_weight(one_hot, {2: 5.0}).tolist() == [1.0, 1.0, 5.0, 1.0]
    with pytest.raises(InputError, match="either class_weight or sample_weight"):
        make_adapter(np.ones((4, 1)), y, np.ones(4), class_weight={0: 1.0})


def test_unpack_rules() -> None:
    assert unpack_x_y_sample_weight((1,)) == (1, None, None)
    assert unpack_x_y_sample_weight((1, 2)) == (1, 2, None)
    assert unpack_x_y_sample_weight([1, 2, 3]) == (1, 2, 3)
    with pytest.raises(InputError, match="sample_weight"):
        unpack_x_y_sample_weight((1, 2, 3, 4))


def test_dataloader_dataset_and_generator_sources() -> None:
    ds = TensorDataset(torch.ones(10, 2), torch.zeros(10))
    loader_adapter = make_adapter(DataLoader(ds, batch_size=4))
    assert loader_adapter.num_batches == 3
    ds_adapter = make_adapter(ds, batch_size=5)
    assert [b[0].shape[0] for b in ds_adapter.iter_epoch(0)] == [5, 5]
    gen_adapter = make_adapter((np.ones((2, 2)), np.ones(2)) for _ in range(3))
    batches = list(gen_adapter.iter_epoch(0))
    assert len(batches) == 3 and batches[0][0].dtype == torch.float32
    with pytest.raises(InputError, match="do not pass y"):
        make_adapter(DataLoader(ds), np.ones(10))


def test_class_weight_with_a_pipeline_dataset_matches_arrays() -> None:
    import torchbridge as tb
    from torchbridge.data import Dataset

    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = rng.integers(0, 2, 16)
    weights = {0: 1.0, 1: 3.0}
    histories = []
    for source in ("arrays", "dataset"):
        torch.manual_seed(0)
        model = tb.Sequential([tb.Input((3,)), tb.layers.Dense(2, activation="softmax")])
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        if source == "arrays":
            h = model.fit(x, y, batch_size=4, shuffle=False, class_weight=weights, verbose=0)
        else:
            ds = Dataset.from_tensor_slices((x, y)).batch(4)
            h = model.fit(ds, class_weight=weights, verbose=0)
        histories.append(h.history["loss"])
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-6, atol=1e-7)
    with_weights = Dataset.from_tensor_slices((x, y, np.ones(16, "float32"))).batch(4)
    from torchbridge.data.ops._call import PipelineFunctionError

    with pytest.raises(PipelineFunctionError, match="not both") as info:
        model.fit(with_weights, class_weight=weights, verbose=0)
    assert isinstance(info.value.__cause__, InputError)


def test_read_only_arrays_train_without_a_warning() -> None:
    """A memmap or read-only view (scikit-learn's estimator checks pass these) is shared
    with torch, not copied, and gives no 'not writable' warning (an error in this suite)."""
    import warnings

    import torchbridge as tb

    x = np.ones((8, 3), "float32")
    y = np.zeros((8, 1), "float32")
    x.flags.writeable = False
    y.flags.writeable = False
    model = tb.Sequential([tb.Input((3,)), tb.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert len(history.history["loss"]) == 1
