"""``choose_from_datasets``: element *i* comes from ``datasets[choice_i]``, the choices
read from ``choice_dataset`` (int64 scalars). When a chosen dataset is empty the output
ends (``stop_on_empty_dataset=True``, tf.data's default) or the choice is skipped.
``sample_from_datasets`` drives this with random choices. State: every input's state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torchbridge.data.dataset import INFINITE, UNKNOWN, Dataset
from torchbridge.errors import InputError

__all__ = ["ChooseFromDatasets", "check_datasets"]


def check_datasets(datasets: Sequence[Any], op: str) -> list[Dataset]:
    datasets = list(datasets)
    if not datasets:
        raise ValueError(f"{op}: `datasets` must be a non-empty list of datasets.")
    for d in datasets:
        if not isinstance(d, Dataset):
            raise TypeError(f"{op} takes torchbridge Datasets, got {type(d).__name__}.")
    return datasets


class _ChooseIterator:
    def __init__(self, choices: Any, inputs: list[Any], stop_on_empty: bool) -> None:
        self._choices = choices
        self._inputs = inputs
        self._stop_on_empty = stop_on_empty
        self._empty = [False] * len(inputs)

    def __iter__(self) -> _ChooseIterator:
        return self

    def __next__(self) -> Any:
        while not all(self._empty):
            choice = int(next(self._choices))
            if not 0 <= choice < len(self._inputs):
                raise InputError(
                    f"choose_from_datasets: choice {choice} is out of range for "
                    f"{len(self._inputs)} datasets (valid: 0..{len(self._inputs) - 1})."
                )
            if self._empty[choice]:
                continue
            try:
                return next(self._inputs[choice])
            except StopIteration:
                self._empty[choice] = True
                if self._stop_on_empty:
                    break
        raise StopIteration

    def get_state(self) -> dict[str, Any]:
        return {
            "choices": self._choices.get_state(),
            "inputs": [it.get_state() for it in self._inputs],
            "empty": list(self._empty),
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self._choices.set_state(state["choices"])
        for it, s in zip(self._inputs, state["inputs"]):
            it.set_state(s)
        self._empty = list(state["empty"])

    def close(self) -> None:
        for it in (self._choices, *self._inputs):
            getattr(it, "close", lambda: None)()


class ChooseFromDatasets(Dataset):
    def __init__(
        self, datasets: Sequence[Dataset], choice_dataset: Dataset, stop_on_empty_dataset: bool
    ) -> None:
        self._datasets = check_datasets(datasets, "choose_from_datasets")
        if not isinstance(choice_dataset, Dataset):
            raise TypeError(
                "choose_from_datasets: choice_dataset must be a Dataset of int64 scalars, got "
                f"{type(choice_dataset).__name__}."
            )
        self._choice = choice_dataset
        self._stop_on_empty = bool(stop_on_empty_dataset)

    @property
    def _inputs(self) -> list[Dataset]:
        return [self._choice, *self._datasets]

    def _iterator(self) -> _ChooseIterator:
        return _ChooseIterator(
            self._choice._iterator(), [d._iterator() for d in self._datasets], self._stop_on_empty
        )

    def _cardinality(self) -> int:
        sizes = [d._cardinality() for d in self._datasets]
        if self._choice._cardinality() == INFINITE and all(s == INFINITE for s in sizes):
            return INFINITE
        return UNKNOWN
