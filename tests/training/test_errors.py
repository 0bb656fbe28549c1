"""Errors a user can trigger through fit() name the problem and the fix."""

from __future__ import annotations

import numpy as np
import pytest
from torch import nn

import torchbridge as tb
from torchbridge.errors import InputError, LossInputError


def _fit(loss: str, y: np.ndarray, softmax: bool = True) -> None:
    layers = [nn.Linear(4, 3)] + ([nn.Softmax(-1)] if softmax else [])
    model = tb.Model.wrap(nn.Sequential(*layers))
    model.compile("adam", loss)
    model.fit(np.random.rand(8, 4), y, verbose=0)


def test_label_out_of_range() -> None:
    with pytest.raises(LossInputError, match=r"label 5 is out of range for 3 classes"):
        _fit("sparse_categorical_crossentropy", np.array([0, 1, 2, 0, 0, 1, 2, 5]))


def test_labels_of_the_wrong_dtype() -> None:
    with pytest.raises(LossInputError, match=r"integer class ids.*categorical_crossentropy"):
        _fit("sparse_categorical_crossentropy", np.random.rand(8))
    with pytest.raises(LossInputError, match=r"labels are strings.*StringLookup"):
        _fit("sparse_categorical_crossentropy", np.array(["cat"] * 8))


def test_output_shape_incompatible_with_the_loss() -> None:
    with pytest.raises(LossInputError, match="use 'sparse_categorical_crossentropy'"):
        _fit("categorical_crossentropy", np.array([0, 1, 2, 1, 0, 1, 2, 1]))
    with pytest.raises(LossInputError, match=r"\(8, 5\).*\(8, 3\).*cannot be broadcast"):
        _fit("mse", np.random.rand(8, 5))


def test_logits_given_to_a_probability_loss() -> None:
    with pytest.raises(LossInputError, match="from_logits=True"):
        _fit("sparse_categorical_crossentropy", np.zeros(8, "int64"), softmax=False)


def test_x_y_length_mismatch() -> None:
    model = tb.Model.wrap(nn.Linear(4, 1))
    model.compile("adam", "mse")
    with pytest.raises(InputError, match="same first dimension"):
        model.fit(np.random.rand(10, 4), np.random.rand(9, 1), verbose=0)
