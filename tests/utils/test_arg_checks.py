"""One integer rule for fit's arguments and Dataset methods' arguments, each keeping its wording."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from torchbridge.data.ops._args import int_arg
from torchbridge.errors import InputError
from torchbridge.training.arguments import check_count
from torchbridge.utils.arg_checks import check_integer


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (3, True),
        (np.int64(3), True),
        (0, False),
        (True, False),
        (np.bool_(True), False),
        (3.0, False),
        ("3", False),
        (None, False),
    ],
    ids=["int", "np_int", "zero", "bool", "np_bool", "float", "str", "none"],
)
def test_both_checks_follow_one_rule(value: Any, ok: bool) -> None:
    outcomes = []
    for check in (
        lambda: check_count(value, "epochs", minimum=1, fix="E.g. epochs=10."),
        lambda: int_arg(value, "batch", "batch_size", minimum=1),
        lambda: check_integer(value, "n", minimum=1),
    ):
        try:
            outcomes.append(check() == 3)
        except InputError:
            outcomes.append(False)
    assert outcomes == [ok, ok, ok]


def test_the_messages_keep_their_content() -> None:
    with pytest.raises(InputError) as fit_error:
        check_count(2.5, "epochs", minimum=0, fix="E.g. epochs=10.")
    assert str(fit_error.value) == (
        "epochs must be an integer >= 0, got 2.5 (of type float). E.g. epochs=10."
    )
    with pytest.raises(InputError) as data_error:
        int_arg(2.5, "take", "count", hint="-1 takes every element.")
    assert str(data_error.value) == (
        "take: count must be an integer, got 2.5 (of type float). -1 takes every element."
    )
    with pytest.raises(InputError, match=r"^batch: batch_size must be a positive integer, got 0"):
        int_arg(0, "batch", "batch_size", minimum=1)


def test_dataset_methods_also_take_0d_integer_tensors_and_arrays() -> None:
    assert int_arg(torch.tensor(4), "batch", "batch_size", minimum=1) == 4
    assert int_arg(np.array(4), "batch", "batch_size", minimum=1) == 4
    with pytest.raises(InputError, match=r"got tensor\(1\.5"):  # a float tensor is refused
        int_arg(torch.tensor(1.5), "batch", "batch_size")
    with pytest.raises(InputError, match=r"got array\(4\)"):  # fit's arguments do not
        check_count(np.array(4), "epochs", minimum=1, fix="")
