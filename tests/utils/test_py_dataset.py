"""keras.utils.PyDataset / Sequence: the class contract, against real Keras."""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest

import torchbridge as tb


def test_signature_and_alias() -> None:
    ours = inspect.signature(tb.utils.PyDataset).parameters.values()
    theirs = inspect.signature(keras.utils.PyDataset).parameters.values()
    assert [(p.name, p.default) for p in ours] == [(p.name, p.default) for p in theirs]
    assert tb.utils.Sequence is tb.utils.PyDataset


@pytest.mark.parametrize("module", [keras.utils, tb.utils], ids=["keras", "torchbridge"])
def test_iteration_and_options(module) -> None:
    class Squares(module.PyDataset):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)

        def __len__(self):
            return 3

        def __getitem__(self, i):
            return np.array([i * i])

    data = Squares(workers=2, use_multiprocessing=True, max_queue_size=4)
    assert [int(b[0]) for b in data] == [0, 1, 4]
    assert data.num_batches == 3
    assert (data.workers, data.use_multiprocessing, data.max_queue_size) == (2, True, 4)
    data.workers = 5
    assert data.workers == 5


@pytest.mark.parametrize("module", [keras.utils, tb.utils], ids=["keras", "torchbridge"])
def test_missing_super_init_warns_and_defaults(module) -> None:
    class NoSuper(module.PyDataset):
        def __init__(self):
            pass

        def __len__(self):
            return 1

        def __getitem__(self, i):
            return np.zeros(1)

    with pytest.warns(UserWarning, match=r"super\(\).__init__"):
        assert NoSuper().workers == 1
    data = NoSuper()
    with pytest.warns(UserWarning):
        assert (data.use_multiprocessing, data.max_queue_size) == (False, 10)


@pytest.mark.parametrize("module", [keras.utils, tb.utils], ids=["keras", "torchbridge"])
def test_endless_dataset_iterates_without_end(module) -> None:
    class Endless(module.PyDataset):
        @property
        def num_batches(self):
            return None

        def __getitem__(self, i):
            return i

    it = iter(Endless())
    assert [next(it) for _ in range(5)] == [0, 1, 2, 3, 4]


def test_num_batches_without_len_names_the_fix() -> None:
    class Nothing(tb.utils.PyDataset):
        pass

    with pytest.raises(NotImplementedError, match="num_batches"):
        _ = Nothing().num_batches
