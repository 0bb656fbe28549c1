"""update_state and result never read a tensor value back to the host.

The fit loop calls them every step; a ``.item()`` or ``bool(tensor)`` there
would stall the GPU. Every way a value can reach Python is made to raise while
the hot metrics update and compute their result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch

from torchbridge import metrics

_READS_VALUES = ("item", "tolist", "numpy", "cpu", "__bool__", "__float__", "__int__")


@pytest.fixture
def no_host_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(name: str) -> Callable[..., Any]:
        def raiser(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError(f"host synchronisation: Tensor.{name} called")

        return raiser

    for name in _READS_VALUES:
        monkeypatch.setattr(torch.Tensor, name, forbidden(name))


def _binary() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return (torch.rand(16, 3, generator=g) > 0.5).float(), torch.rand(16, 3, generator=g)


def _sparse() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 6, (16,), generator=g), torch.softmax(
        torch.randn(16, 6, generator=g), -1
    )


def _onehot() -> tuple[torch.Tensor, torch.Tensor]:
    labels, scores = _sparse()
    return torch.nn.functional.one_hot(labels, 6).float(), scores


HOT = [
    ("Mean", metrics.Mean, None),
    ("Sum", metrics.Sum, None),
    ("MeanSquaredError", metrics.MeanSquaredError, _binary),
    ("MeanAbsoluteError", metrics.MeanAbsoluteError, _binary),
    ("BinaryCrossentropy", metrics.BinaryCrossentropy, _binary),
    ("CategoricalCrossentropy", metrics.CategoricalCrossentropy, _onehot),
    ("SparseCategoricalCrossentropy", metrics.SparseCategoricalCrossentropy, _sparse),
    (
        "SparseCategoricalCrossentropy-logits-ignore",
        lambda: metrics.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
        _sparse,
    ),
    ("RootMeanSquaredError", metrics.RootMeanSquaredError, _binary),
    ("Accuracy", metrics.Accuracy, _binary),
    ("BinaryAccuracy", metrics.BinaryAccuracy, _binary),
    ("CategoricalAccuracy", metrics.CategoricalAccuracy, _onehot),
    ("SparseCategoricalAccuracy", metrics.SparseCategoricalAccuracy, _sparse),
    ("TopKCategoricalAccuracy", metrics.TopKCategoricalAccuracy, _onehot),
    ("SparseTopKCategoricalAccuracy", metrics.SparseTopKCategoricalAccuracy, _sparse),
    ("Precision", metrics.Precision, _binary),
    ("Recall", metrics.Recall, _binary),
    ("Precision-top_k-class_id", lambda: metrics.Precision(top_k=2, class_id=1), _binary),
    ("Recall-thresholds", lambda: metrics.Recall(thresholds=[0.0, 0.5, 1.0]), _binary),
    ("TruePositives", metrics.TruePositives, _binary),
    ("AUC", metrics.AUC, _binary),
    ("AUC-PR", lambda: metrics.AUC(curve="PR"), _binary),
    ("AUC-multi_label", lambda: metrics.AUC(multi_label=True), _binary),
    (
        "AUC-thresholds",
        lambda: metrics.AUC(thresholds=[0.2, 0.7], label_weights=[1, 2, 3]),
        _binary,
    ),
    ("F1Score", lambda: metrics.F1Score(average="macro"), _binary),
    ("OneHotMeanIoU", lambda: metrics.OneHotMeanIoU(6, dtype="float32"), _onehot),
    (
        "BinaryIoU",
        lambda: metrics.BinaryIoU(dtype="float32"),
        lambda: tuple(t[:, 0] for t in _binary()),  # one value per weight, as Keras needs
    ),
    ("R2Score", metrics.R2Score, _binary),
    ("PearsonCorrelation", metrics.PearsonCorrelation, _binary),
    ("SensitivityAtSpecificity", lambda: metrics.SensitivityAtSpecificity(0.5), _binary),
    ("PrecisionAtRecall-class_id", lambda: metrics.PrecisionAtRecall(0.5, class_id=1), _binary),
]


@pytest.mark.parametrize(("label", "factory", "make"), HOT, ids=[h[0] for h in HOT])
@pytest.mark.parametrize("weighted", [False, True])
def test_update_and_result_do_not_sync(no_host_sync, label, factory, make, weighted) -> None:
    metric = factory()
    weight = torch.rand(16) if weighted else None
    for _ in range(2):
        if make is None:
            metric.update_state(torch.rand(16, 3), sample_weight=weight)
        else:
            y_true, y_pred = make()
            metric.update_state(y_true, y_pred, sample_weight=weight)
        result = metric.result()
        assert isinstance(result, torch.Tensor)
    metric.reset_state()
    metric.result()


def test_the_guard_catches_a_sync(no_host_sync) -> None:
    with pytest.raises(AssertionError, match="host synchronisation"):
        torch.ones(1).item()
    with pytest.raises(AssertionError, match="host synchronisation"):
        bool(torch.ones(1))
