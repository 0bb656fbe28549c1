"""The Metric base class: state, call, config, devices, gradients, names."""

from __future__ import annotations

from typing import Any

import keras
import pytest
import torch

from torchbridge.metrics import Mean, Metric, Precision, TruePositives


class CountPositives(Metric):
    def __init__(self, name: str = "count_positives", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, values: torch.Tensor) -> None:
        self.count.add_((self._input(values) > 0).sum())

    def result(self) -> torch.Tensor:
        return self.count.clone()


def test_subclass_update_result_reset_and_call() -> None:
    m = CountPositives()
    m.update_state(torch.tensor([1.0, -1.0, 2.0]))
    assert m.result().item() == 2
    assert m(torch.tensor([3.0])).item() == 3
    m.reset_state()
    assert m.result().item() == 0
    assert [tuple(v.shape) for v in m.variables] == [()]


def test_defaults_match_keras() -> None:
    ours, theirs = Mean(), keras.metrics.Mean()
    assert ours.name == theirs.name == "mean"
    assert ours.dtype == theirs.dtype == "float32"
    assert ours.get_config() == theirs.get_config()
    assert repr(ours) == "<Mean name=mean>"
    assert Mean(dtype="float64").result().dtype == torch.float64
    assert Mean(dtype=torch.float64).dtype == "float64"


def test_add_variable_initializers() -> None:
    m = CountPositives()
    assert m.add_variable((2,), "ones").tolist() == [1.0, 1.0]
    assert m.add_variable(3, 2.5).tolist() == [2.5, 2.5, 2.5]
    assert m.add_variable((2,), lambda shape, dtype: [4, 5]).tolist() == [4.0, 5.0]
    assert m.add_weight((1,)).tolist() == [0.0]
    assert m.add_variable((), dtype="float64").dtype == torch.float64
    with pytest.raises(ValueError, match="initializer"):
        m.add_variable((), "glorot")
    assert len(m.variables) == 6


def test_missing_super_init_is_explained() -> None:
    class Broken(Metric):
        def __init__(self) -> None:
            pass

    with pytest.raises(RuntimeError, match=r"super\(\).__init__"):
        Broken().add_variable(())


def test_invalid_dtype() -> None:
    with pytest.raises(ValueError, match="dtype"):
        Mean(dtype="float33")


def test_config_round_trip() -> None:
    m = Precision(thresholds=[0.3, 0.6], top_k=None, class_id=1, name="p")
    clone = Precision.from_config(m.get_config())
    assert clone.get_config() == m.get_config()
    assert clone.get_config() == keras.metrics.Precision.from_config(m.get_config()).get_config()


def test_state_never_requires_grad() -> None:
    x = torch.randn(5, requires_grad=True)
    m = Mean()
    m.update_state(x * 2)
    assert not m.result().requires_grad
    assert all(not v.requires_grad for v in m.variables)
    t = CountPositives()
    t.update_state(x)
    assert not t.count.requires_grad


def test_state_follows_input_device() -> None:
    m = TruePositives()
    meta_true = torch.ones(3, device="meta")
    m.update_state(meta_true, meta_true)
    assert m.device.type == "meta"
    assert all(v.device.type == "meta" for v in m.variables)
    assert m.accumulator.device.type == "meta"
    moved = Precision().to("meta")
    assert moved.device.type == "meta"
    assert moved.true_positives.device.type == "meta"
    assert moved._thresholds_tensor.device.type == "meta"


def test_abstract_methods_explain() -> None:
    with pytest.raises(NotImplementedError, match="update_state"):
        Metric(name="m").update_state()
    with pytest.raises(NotImplementedError, match="result"):
        Metric(name="m").result()


def test_auto_names_are_numbered_like_keras(fresh_names: None) -> None:
    ours = [TruePositives().name for _ in range(3)]
    theirs = [keras.metrics.TruePositives().name for _ in range(3)]
    assert ours == theirs == ["true_positives", "true_positives_1", "true_positives_2"]


def keras_style_metric(k: Any) -> Any:
    """A custom metric as the Keras guides write one: state from add_variable, updated with
    assign / assign_add / assign_sub and read with .value / .numpy()."""

    class PositiveRate(k.metrics.Metric):
        def __init__(self, name: str = "positive_rate", **kwargs: Any) -> None:
            super().__init__(name=name, **kwargs)
            self.hits = self.add_variable(shape=(), initializer="zeros", name="hits")
            self.seen = self.add_variable(shape=(), initializer="zeros", name="seen")
            self.misses = self.add_variable(shape=(), initializer="ones", name="misses")

        def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
            hit = k.ops.cast(k.ops.greater(y_pred, 0.5), "float32")
            self.hits.assign_add(k.ops.sum(hit))
            self.seen.assign(self.seen + k.ops.cast(k.ops.size(hit), "float32"))
            self.misses.assign_sub(k.ops.sum(hit) * 0.0)

        def result(self) -> Any:
            return self.hits.value / self.seen.value

        def reset_state(self) -> None:
            for v in self.variables:
                v.assign(k.ops.zeros_like(v))

    return PositiveRate()


def test_keras_style_metric_state_is_a_variable_as_in_keras() -> None:
    import numpy as np

    import torchbridge as tb

    batches = [np.array([0.1, 0.7, 0.9], "float32"), np.array([0.6, 0.2], "float32")]
    results = []
    for k in (keras, tb):
        metric = keras_style_metric(k)
        for b in batches:
            metric.update_state(b, b)
        results.append(float(metric.result()))
        assert [v.name for v in metric.variables] == ["hits", "seen", "misses"]
        assert float(metric.variables[2].numpy()) == 1.0
        metric.reset_state()
        assert [float(v.numpy()) for v in metric.variables] == [0.0, 0.0, 0.0]
    assert results[1] == pytest.approx(results[0]) == 0.6
